-- wrk script for the peer comparison (bench/peer.sh): moto's S3 PutObject, each request a new key.
--   wrk -s bench/moto_put.lua http://127.0.0.1:PORT/ -- BUCKET BODY_BYTES
-- Thread k sends PUT /BUCKET/k-<k>-<n> for n = 1, 2, ... with a BODY_BYTES body
-- (application/octet-stream) and the fake SigV4 Authorization header that routes a request to
-- moto's S3 backend (moto does not verify signatures). Each request creates an object, as each
-- FleetMock trigger creates a deployment. done() appends sent_<k>=N (the highest n thread k sent)
-- to the result line, so bench/moto_delete.lua can delete the same keys.
-- wrk calls request() once more on the first thread's state from its main OS thread, to check
-- the request; that call may use up key n=1 of thread 1 without sending it (a DELETE of a key
-- that does not exist is a 204 like any other, so that is harmless).
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

setup = common.setup

local bucket, body
local headers = {
   ["Authorization"] = common.moto_authorization,
   ["Content-Type"] = "application/octet-stream",
}
sent = 0

function init(args)
   bucket, body = args[1], string.rep("x", tonumber(args[2] or "1024"))
   assert(bucket, "moto_put.lua: pass BUCKET BODY_BYTES after --")
end

function request()
   sent = sent + 1
   return wrk.format("PUT", "/" .. bucket .. "/k-" .. (thread_index or 0) .. "-" .. sent, headers, body)
end

function done(summary, latency, requests)
   local extra = {}
   for k, thread in ipairs(common.threads) do extra["sent_" .. k] = tonumber(thread:get("sent")) or 0 end
   common.report(summary, latency, nil, extra)
end

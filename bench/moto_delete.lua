-- wrk script for the peer comparison (bench/peer.sh): moto's S3 DeleteObject, each key once.
--   wrk -s bench/moto_delete.lua http://127.0.0.1:PORT/ -- BUCKET N1,N2,...
-- Thread k deletes /BUCKET/k-<k>-1 .. k-<k>-<Nk>, the keys bench/moto_put.lua created, once each,
-- then goes idle; like bench/cancel.lua, the run ends after --duration or when the keys run out,
-- and req/s is computed over the threads' own monotonic clock (first request to last reply).
-- Every reply other than 204 counts as non204.
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

setup = common.setup

local headers = { ["Authorization"] = common.moto_authorization }
local bucket
common.send_each_once(function(n)
   return wrk.format("DELETE", "/" .. bucket .. "/k-" .. thread_index .. "-" .. n, headers)
end)

function init(args)
   bucket = args[1]
   assert(bucket and args[2], "moto_delete.lua: pass BUCKET N1,N2,... after --")
   local counts = {}
   for n in args[2]:gmatch("%d+") do table.insert(counts, tonumber(n)) end
   available = counts[thread_index] or 0
   assert(available > 0, "moto_delete.lua: no keys for thread " .. thread_index)
end

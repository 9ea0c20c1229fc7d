-- wrk script for the peer comparison (bench/peer.sh): moto's S3 DeleteObject, each key once.
--   wrk -s bench/moto_delete.lua http://127.0.0.1:PORT/ -- BUCKET N1,N2,...
-- Thread k deletes /BUCKET/k-<k>-1 .. k-<k>-<Nk>, the keys bench/moto_put.lua created, once each,
-- then goes idle; like bench/cancel.lua, the run ends after --duration or when the keys run out,
-- and req/s is computed over the threads' own monotonic clock (first request to last reply).
-- Every reply other than 204 counts as non204.
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
local ffi = require("ffi")

ffi.cdef [[
   typedef struct { long tv_sec; long tv_nsec; } fleetmock_timespec;
   int clock_gettime(int clock_id, fleetmock_timespec *tp);
   unsigned long pthread_self(void);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("fleetmock_timespec")
local function now_us()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
   return tonumber(timespec.tv_sec) * 1000000 + math.floor(tonumber(timespec.tv_nsec) / 1000)
end

setup = common.setup

local headers = { ["Authorization"] = common.moto_authorization }
local bucket
local sent = 0
local main_os_thread = nil
available = 0
answered = 0
non204 = 0
exhausted = 0
first_us = 0
last_us = 0

function init(args)
   bucket = args[1]
   assert(bucket and args[2], "moto_delete.lua: pass BUCKET N1,N2,... after --")
   local counts = {}
   for n in args[2]:gmatch("%d+") do table.insert(counts, tonumber(n)) end
   available = counts[thread_index] or 0
   assert(available > 0, "moto_delete.lua: no keys for thread " .. thread_index)
   main_os_thread = ffi.C.pthread_self()
end

local function key_request(n)
   return wrk.format("DELETE", "/" .. bucket .. "/k-" .. thread_index .. "-" .. n, headers)
end

function request()
   if ffi.C.pthread_self() == main_os_thread then
      return key_request(1) -- wrk's verification call: parsed, never sent
   end
   if sent == 0 then first_us = now_us() end
   if sent >= available then
      exhausted = 1
      return ""
   end
   sent = sent + 1
   return key_request(sent)
end

function response(status, headers, body)
   answered = answered + 1
   last_us = now_us()
   if status ~= 204 then non204 = non204 + 1 end
   if answered >= available then wrk.thread:stop() end
end

function done(summary, latency, requests)
   local first, last = nil, 0
   for _, thread in ipairs(common.threads) do
      local f, l = tonumber(thread:get("first_us")) or 0, tonumber(thread:get("last_us")) or 0
      if f > 0 and (first == nil or f < first) then first = f end
      if l > last then last = l end
   end
   local answered_total = common.thread_sum("answered")
   local elapsed_us = (first and last > first) and (last - first) or summary.duration
   common.report(summary, latency, {
      rps = answered_total / (elapsed_us / 1e6),
      duration_us = elapsed_us,
      requests = answered_total,
   }, {
      ids = common.thread_sum("available"),
      non204 = common.thread_sum("non204"),
      exhausted = common.thread_sum("exhausted"),
   })
end

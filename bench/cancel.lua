-- wrk script: POST /api/unstable/fleet/deployments/{id}/cancel for each id of IDS_FILE, once.
--   wrk -t N -s bench/cancel.lua http://127.0.0.1:PORT/ -- IDS_FILE N
-- Thread k of N takes lines k, k+N, k+2N, ... of the file. A deployment can be canceled only
-- once (a second cancel is 400), so ids are never reused: when a thread has sent its last id,
-- its connections go idle (request() returns an empty string, which wrk writes as nothing),
-- and once the last reply is in the thread stops. The run therefore ends after --duration or
-- when the ids run out, whichever comes first, and req/s is computed here from the thread's
-- own monotonic clock (first request to last reply) rather than wrk's --duration.
-- Every reply other than 204 counts as non204 (and 4xx/5xx also as non2xx).
-- wrk calls request() once more, on the first thread's state from its main OS thread, to check
-- the request before the run (script_verify_request); that call must not use up an id.
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

local requests = {}
local sent = 0
local main_os_thread = nil
-- Globals, read by done() through thread:get().
available = 0   -- ids this thread owns
answered = 0    -- replies to those ids
non204 = 0
exhausted = 0   -- 1 once every id was sent
first_us = 0    -- monotonic time of the first request
last_us = 0     -- monotonic time of the last reply

function init(args)
   local path, thread_count = args[1], tonumber(args[2])
   assert(path and thread_count, "cancel.lua: pass IDS_FILE THREADS after --")
   local line_number = 0
   for id in io.lines(path) do
      if id ~= "" then
         if line_number % thread_count == thread_index - 1 then
            -- Pre-built, as wrk's SCRIPTING advises, so request() is a table lookup.
            table.insert(requests, wrk.format("POST", "/api/unstable/fleet/deployments/" .. id .. "/cancel",
               common.credentials, ""))
         end
         line_number = line_number + 1
      end
   end
   available = #requests
   assert(available > 0, "cancel.lua: no ids for thread " .. thread_index .. " in " .. path)
   -- init() runs on wrk's main OS thread, like the verification call.
   main_os_thread = ffi.C.pthread_self()
end

function request()
   if ffi.C.pthread_self() == main_os_thread then
      return requests[1] -- wrk's verification call: parsed, never sent
   end
   if sent == 0 then first_us = now_us() end
   if sent >= available then
      exhausted = 1
      return ""
   end
   sent = sent + 1
   return requests[sent]
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

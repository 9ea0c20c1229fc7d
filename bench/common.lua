-- Shared by the FleetMock wrk scripts (bench/*.lua): credentials, thread numbering, and the
-- done() report, one machine-readable line that bench/run.sh parses:
--   FLEETMOCK_RESULT requests=N duration_us=N rps=X p50_us=N p90_us=N p99_us=N max_us=N
--                    non2xx=N connect_errors=N read_errors=N write_errors=N timeouts=N [name=N...]
-- non2xx is wrk's count of replies with a status above 399. Latencies are in microseconds.
-- Load it with: dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
local common = {}

common.credentials = {
   ["DD-API-KEY"] = "fleetmock-api-key",
   ["DD-APPLICATION-KEY"] = "fleetmock-app-key",
}

-- For the peer (moto, bench/peer.sh): a SigV4 Authorization header whose credential scope names
-- S3. moto does not verify signatures by default; it only reads the scope to pick the service.
common.moto_authorization = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, "
   .. "SignedHeaders=host, Signature=x"

-- setup() hook (runs in the main Lua state): numbers the threads 1..n as the global
-- `thread_index` of each thread's state, and keeps them so done() can read their globals.
common.threads = {}
function common.setup(thread)
   table.insert(common.threads, thread)
   thread:set("thread_index", #common.threads)
end

-- Sum of a numeric global over every thread (unset counts as 0).
function common.thread_sum(name)
   local total = 0
   for _, thread in ipairs(common.threads) do
      total = total + (tonumber(thread:get(name)) or 0)
   end
   return total
end

-- Prints the result line. override: optional {requests=, duration_us=, rps=} replacing wrk's
-- figures; extra: optional table name -> integer appended to the line.
function common.report(summary, latency, override, extra)
   override = override or {}
   local requests = override.requests or summary.requests
   local duration_us = override.duration_us or summary.duration
   local rps = override.rps or (duration_us > 0 and requests / (duration_us / 1e6) or 0)
   local e = summary.errors
   local line = string.format(
      "FLEETMOCK_RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d"
         .. " non2xx=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d",
      requests, duration_us, rps,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      e.status, e.connect, e.read, e.write, e.timeout)
   if extra then
      local names = {}
      for name in pairs(extra) do table.insert(names, name) end
      table.sort(names)
      for _, name in ipairs(names) do
         line = line .. string.format(" %s=%d", name, extra[name])
      end
   end
   io.write(line .. "\n")
end

function common.done(summary, latency, requests)
   common.report(summary, latency)
end

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

-- For scripts whose requests may each be sent only once (cancel.lua: a deployment is canceled
-- once; moto_delete.lua: a key is deleted once). Defines request(), response() and done():
-- each thread sends requests nth(1) .. nth(available), where the script's init() sets the
-- global `available`, then goes idle (request() returns "", which wrk writes as nothing); the
-- thread stops once the last reply is in. The run thus ends after --duration or when the
-- requests run out, and req/s is computed over the threads' own monotonic clock (first request
-- to last reply) rather than wrk's --duration. Every reply other than 204 counts as non204.
function common.send_each_once(nth)
   -- The script is loaded, and init() runs, on wrk's main OS thread, like the call that verifies
   -- the request before the run: that call must not use up a request.
   local main_os_thread = ffi.C.pthread_self()
   local sent = 0
   -- Globals, read by done() through thread:get().
   available, answered, non204, exhausted, first_us, last_us = 0, 0, 0, 0, 0, 0

   function request()
      if ffi.C.pthread_self() == main_os_thread then
         return nth(1) -- wrk's verification call: parsed, never sent
      end
      if sent == 0 then first_us = now_us() end
      if sent >= available then
         exhausted = 1
         return ""
      end
      sent = sent + 1
      return nth(sent)
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
end

return common

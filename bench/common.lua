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

return common

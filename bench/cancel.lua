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

setup = common.setup

local requests = {}
common.send_each_once(function(n) return requests[n] end)

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
end

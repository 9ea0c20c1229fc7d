-- wrk script: like trigger.lua, but also appends the id of every created deployment to
-- PREFIX.<thread number>, one per line, for cancel.lua. Not a measurement (parsing the
-- body costs client CPU): bench/run.sh uses it only to prepare the cancel run.
--   wrk -s bench/collect_ids.lua http://127.0.0.1:PORT/api/unstable/fleet/schedules/ID/trigger -- PREFIX
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

wrk.method = "POST"
wrk.body = ""
for name, value in pairs(common.credentials) do wrk.headers[name] = value end

setup = common.setup

local out
collected = 0

function init(args)
   assert(args[1], "collect_ids.lua: pass the output prefix after --")
   out = assert(io.open(args[1] .. "." .. thread_index, "a"))
   -- wrk never closes a thread's Lua state, so buffered lines would be lost at the end.
   out:setvbuf("line")
end

function response(status, headers, body)
   if status == 201 then
      local id = body:match('"id":"([%x%-]+)","type":"deployment"')
      if id then
         out:write(id, "\n")
         collected = collected + 1
      end
   end
end

function done(summary, latency, requests)
   common.report(summary, latency, nil, { collected = common.thread_sum("collected") })
end

-- wrk script: POST /api/unstable/fleet/schedules/{id}/trigger with an empty body
-- (Content-Length: 0); each call creates a deployment. A static request: the id is in the URL.
--   wrk -s bench/trigger.lua http://127.0.0.1:PORT/api/unstable/fleet/schedules/ID/trigger
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

wrk.method = "POST"
wrk.body = ""
for name, value in pairs(common.credentials) do wrk.headers[name] = value end
done = common.done

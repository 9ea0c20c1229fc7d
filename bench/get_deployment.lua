-- wrk script: GET one deployment with credentials (a static request: the id is in the URL).
--   wrk -s bench/get_deployment.lua http://127.0.0.1:PORT/api/unstable/fleet/deployments/ID
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

wrk.method = "GET"
for name, value in pairs(common.credentials) do wrk.headers[name] = value end
done = common.done

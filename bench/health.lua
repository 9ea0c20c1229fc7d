-- wrk script: GET /__fleetmock/health, no credentials (the in-run baseline: transport only).
--   wrk -s bench/health.lua http://127.0.0.1:PORT/__fleetmock/health
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

wrk.method = "GET"
done = common.done

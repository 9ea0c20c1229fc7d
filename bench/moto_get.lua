-- wrk script for the peer comparison (bench/peer.sh): moto's S3 GetObject of one object.
--   wrk -s bench/moto_get.lua http://127.0.0.1:PORT/BUCKET/KEY
-- A static request with the fake SigV4 Authorization header (an anonymous GetObject is a 403).
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

wrk.method = "GET"
wrk.headers["Authorization"] = common.moto_authorization
done = common.done

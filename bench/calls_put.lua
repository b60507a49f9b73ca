-- bench/calls_put.lua — wrk script for bench/run's calls_update scenario: an
-- AD changing one person's call time on a shoot day,
-- PUT /api/v1/productions/{id}/days/{did}/calls/{pid} with the JSON body
-- {"call":"HH:MM"}, the time changing from request to request (05:00 to
-- 07:59, always before the day's wrap), as a signed-in browser sends it:
-- the AD's session cookie (the whole `__Host-slate_session=...` pair) in
-- BENCH_COOKIE, its CSRF token in BENCH_CSRF (both from the environment, so
-- they are not on a command line), and `Origin: https://<Host>`. The path is
-- the URL's.
--
--   BENCH_COOKIE='__Host-slate_session=...' BENCH_CSRF=... wrk -t2 -c64 -d10s --latency \
--     -s bench/calls_put.lua https://127.0.0.1:PORT/api/v1/productions/ID/days/DID/calls/PID
--
-- Every request is a write: a transaction with the call and its audit
-- event. wrk itself counts only non-2xx/3xx answers; this script counts
-- statuses and prints, at the end, one line that bench/run reads (any answer
-- but 200 is an error):
--
--   calls_put.lua: responses=N status_200=N other=N last_other=STATUS

local cookie = os.getenv("BENCH_COOKIE")
local csrf = os.getenv("BENCH_CSRF")
if cookie == nil or cookie == "" or csrf == nil or csrf == "" then
	error("calls_put.lua: set BENCH_COOKIE (the session cookie pair) and BENCH_CSRF")
end

local statuses = dofile((debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "statuses.lua")

-- Host and Origin must agree: Slate takes a write whose Origin is
-- https://<Host> (or its public URL) and refuses any other.
local authority = statuses.authority()

wrk.method = "PUT"
wrk.headers["Host"] = authority
wrk.headers["Origin"] = "https://" .. authority
wrk.headers["Cookie"] = cookie
wrk.headers["X-CSRF-Token"] = csrf
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"

-- each thread starts elsewhere in the three hours, so concurrent writes differ
statuses.count("calls_put.lua", function(args)
	minute = ((id or 1) * 47) % 180
end)

function request()
	minute = (minute + 7) % 180
	local body = string.format('{"call":"%02d:%02d"}', 5 + math.floor(minute / 60), minute % 60)
	return wrk.format(nil, nil, nil, body)
end

-- bench/people.lua — wrk script for bench/run's people_list scenario: an
-- AD's GET of the production's people list,
-- GET /api/v1/productions/{id}/people (the first page, 100 people by name,
-- unless the URL asks for another ?limit), with the AD's session cookie (the
-- whole `__Host-slate_session=...` pair) in BENCH_COOKIE, from the
-- environment so it is not on a command line. The path is the URL's.
--
--   BENCH_COOKIE='__Host-slate_session=...' wrk -t2 -c64 -d10s --latency \
--     -s bench/people.lua https://127.0.0.1:PORT/api/v1/productions/ID/people
--
-- wrk itself counts only non-2xx/3xx answers; this script counts statuses
-- and prints, at the end, one line that bench/run reads (any answer but 200
-- is an error):
--
--   people.lua: responses=N status_200=N other=N last_other=STATUS

local cookie = os.getenv("BENCH_COOKIE")
if cookie == nil or cookie == "" then
	error("people.lua: set BENCH_COOKIE to the session cookie pair")
end

wrk.method = "GET"
wrk.headers["Cookie"] = cookie
wrk.headers["Accept"] = "application/json"

local statuses = dofile((debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "statuses.lua")
statuses.count("people.lua")

-- bench/callsheet.lua — wrk script for bench/run's callsheet scenarios: a
-- crew member's GET of a published call sheet,
-- GET /api/v1/productions/{id}/callsheets/{cid}, with their session cookie
-- (the whole `__Host-slate_session=...` pair) in BENCH_COOKIE, from the
-- environment so it is not on a command line. The path is the URL's.
--
--   BENCH_COOKIE='__Host-slate_session=...' wrk -t2 -c64 -d10s --latency \
--     -s bench/callsheet.lua https://127.0.0.1:PORT/api/v1/productions/ID/callsheets/CID
--
-- The same script drives nginx (which ignores the cookie), so both servers
-- get the same request bytes. wrk itself counts only non-2xx/3xx answers;
-- this script counts statuses and prints, at the end, one line that
-- bench/run reads (any answer but 200 is an error):
--
--   callsheet.lua: responses=N status_200=N other=N last_other=STATUS

local cookie = os.getenv("BENCH_COOKIE")
if cookie == nil or cookie == "" then
	error("callsheet.lua: set BENCH_COOKIE to the session cookie pair")
end

wrk.method = "GET"
wrk.headers["Cookie"] = cookie
wrk.headers["Accept"] = "application/json"

local statuses = dofile((debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "statuses.lua")
statuses.count("callsheet.lua")

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

local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	responses, status_200, other, last_other = 0, 0, 0, 0
end

function response(status, headers, body)
	responses = responses + 1
	if status == 200 then
		status_200 = status_200 + 1
	else
		other = other + 1
		last_other = status
	end
end

function done(summary, latency, requests)
	local n, ok, bad, last = 0, 0, 0, 0
	for _, t in ipairs(threads) do
		n = n + t:get("responses")
		ok = ok + t:get("status_200")
		bad = bad + t:get("other")
		if t:get("last_other") ~= 0 then last = t:get("last_other") end
	end
	io.write(string.format("callsheet.lua: responses=%d status_200=%d other=%d last_other=%d\n",
		n, ok, bad, last))
end

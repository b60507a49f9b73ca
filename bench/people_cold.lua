-- bench/people_cold.lua — wrk script for bench/run's people_list_cold
-- scenario: the AD's people list as bench/people.lua asks for it, but every
-- request names another ?offset (0 to 63 in turn, a thread's own sequence),
-- so that the loop's kept pages (src/api/cache.c, 16 a loop thread) never
-- answer and every page is read, opened and written afresh. An offset skips
-- that many rows unopened, so each answer is still 100 people with their
-- contacts. Same BENCH_COOKIE and closing line as bench/people.lua:
--
--   people_cold.lua: responses=N status_200=N other=N last_other=STATUS

local cookie = os.getenv("BENCH_COOKIE")
if cookie == nil or cookie == "" then
	error("people_cold.lua: set BENCH_COOKIE to the session cookie pair")
end

wrk.method = "GET"
wrk.headers["Cookie"] = cookie
wrk.headers["Accept"] = "application/json"

local n = 0

function request()
	n = n + 1
	return wrk.format(nil, wrk.path .. "?offset=" .. (n % 64))
end

local statuses = dofile((debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "statuses.lua")
statuses.count("people_cold.lua", function() n = id * 7 end)

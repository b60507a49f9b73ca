-- bench/login.lua — wrk script for bench/run's login scenarios: every request
-- is a sign-in, POST /api/v1/auth/login with a JSON body and a same-origin
-- Origin, with the account in BENCH_LOGIN_EMAIL / BENCH_LOGIN_PASSWORD (the
-- environment, so the password is not on a command line).
--
--   BENCH_LOGIN_EMAIL=admin@localhost BENCH_LOGIN_PASSWORD=... \
--     wrk -t2 -c8 -d10s --latency -s bench/login.lua https://127.0.0.1:PORT/api/v1/auth/login
--
-- wrk itself only counts non-2xx/3xx responses; this script counts statuses
-- and prints, at the end, one line that bench/run reads:
--
--   login.lua: responses=N status_200=N other=N last_other=STATUS
--
-- A right password always answers 200 (successful sign-ins are never
-- throttled), so `other` must be 0.

local email = os.getenv("BENCH_LOGIN_EMAIL") or "admin@localhost"
local password = os.getenv("BENCH_LOGIN_PASSWORD")
if password == nil or password == "" then
	error("login.lua: set BENCH_LOGIN_PASSWORD")
end

-- A JSON string: quotes, backslashes and control characters escaped.
local function json_string(s)
	return '"' .. s:gsub('[%c"\\]', function(c)
		if c == '"' then return '\\"' end
		if c == "\\" then return "\\\\" end
		return string.format("\\u%04x", c:byte())
	end) .. '"'
end

local statuses = dofile((debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./") .. "statuses.lua")

-- Host and Origin must agree: Slate takes a sign-in whose Origin is
-- https://<Host> (or its public URL) and refuses any other Origin.
local authority = statuses.authority()

wrk.method = "POST"
wrk.body = "{\"email\":" .. json_string(email) .. ",\"password\":" .. json_string(password) .. "}"
wrk.headers["Host"] = authority
wrk.headers["Origin"] = "https://" .. authority
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"

statuses.count("login.lua")

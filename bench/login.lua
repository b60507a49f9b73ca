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

-- Host and Origin must agree: Slate takes a sign-in whose Origin is
-- https://<Host> (or its public URL) and refuses any other Origin.
local authority = wrk.host
if authority:find(":") then authority = "[" .. authority .. "]" end
if wrk.port then authority = authority .. ":" .. wrk.port end

wrk.method = "POST"
wrk.body = "{\"email\":" .. json_string(email) .. ",\"password\":" .. json_string(password) .. "}"
wrk.headers["Host"] = authority
wrk.headers["Origin"] = "https://" .. authority
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"

-- Per-thread counters (each wrk thread has its own Lua state); done() adds
-- them up in the main state.
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	responses = 0
	status_200 = 0
	other = 0
	last_other = 0
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
	io.write(string.format("login.lua: responses=%d status_200=%d other=%d last_other=%d\n",
		n, ok, bad, last))
end

-- bench/statuses.lua — what every wrk script of bench/run shares: counting
-- the answers by status (wrk itself counts only non-2xx/3xx) and, at the
-- end, the one line bench/run reads, where any answer but 200 is an error:
--
--   NAME: responses=N status_200=N other=N last_other=STATUS
--
-- A script loads it next to itself and calls statuses.count(NAME), which
-- defines wrk's setup, init, response and done. `on_init`, when given, runs
-- at the end of init (a thread's own starting state); threads are numbered
-- from 1 in the global `id`.

local statuses = {}

-- Host and Origin as Slate checks them on writes: https://<Host>.
function statuses.authority()
	local authority = wrk.host
	if authority:find(":") then authority = "[" .. authority .. "]" end
	if wrk.port then authority = authority .. ":" .. wrk.port end
	return authority
end

function statuses.count(name, on_init)
	local threads = {}
	local thread_no = 0

	function setup(thread)
		thread_no = thread_no + 1
		thread:set("id", thread_no)
		table.insert(threads, thread)
	end

	function init(args)
		responses, status_200, other, last_other = 0, 0, 0, 0
		if on_init then on_init(args) end
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
		io.write(string.format("%s: responses=%d status_200=%d other=%d last_other=%d\n",
			name, n, ok, bad, last))
	end
end

return statuses

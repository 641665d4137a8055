-- wrk script of the bench's load generator (bench/wrk.ts). Configured by environment so no
-- token appears on a command line:
--   BENCH_PATH         request path
--   BENCH_TOKEN        one token for every request (wrk's static request buffer), or
--   BENCH_TOKEN_FILE   one token per line, sent in turn from line BENCH_TOKEN_START (0-based)
-- done() prints one JSON line: the counts, latency percentiles and wrk's own CPU time.

local path = os.getenv("BENCH_PATH") or "/"
local fixed = os.getenv("BENCH_TOKEN")
local file = os.getenv("BENCH_TOKEN_FILE")

wrk.method = "GET"
wrk.path = path

if fixed ~= nil and fixed ~= "" then
	wrk.headers["Authorization"] = "Bearer " .. fixed
elseif file ~= nil and file ~= "" then
	-- Whole requests prebuilt once per thread: request() then costs a table lookup.
	local requests = {}
	local count = 0
	local index = 0

	function init(args)
		local start = tonumber(os.getenv("BENCH_TOKEN_START") or "0")
		for line in io.lines(file) do
			if line ~= "" then
				count = count + 1
				requests[count] = wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. line })
			end
		end
		if count == 0 then error(file .. " holds no tokens") end
		index = start % count
	end

	function request()
		index = index + 1
		if index > count then index = 1 end
		return requests[index]
	end
end

-- utime + stime of this process, in clock ticks (fields 14 and 15 of /proc/self/stat; the
-- command name in field 2 cannot hold spaces here).
local function cpu_ticks()
	local stat = io.open("/proc/self/stat")
	if stat == nil then return -1 end
	local line = stat:read("*l")
	stat:close()
	local fields = {}
	for field in line:gmatch("%S+") do fields[#fields + 1] = field end
	return tonumber(fields[14]) + tonumber(fields[15])
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		'BENCH_RESULT {"requests":%d,"durationMicros":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50Micros":%d,"p99Micros":%d,"maxMicros":%d,"cpuTicks":%d}\n',
		summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
		latency:percentile(50), latency:percentile(99), latency.max, cpu_ticks()))
end

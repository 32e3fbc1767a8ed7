-- wrk script of bench/cluster/run.sh: GETs for the paths listed in the file BENCH_PATHS (one a line),
-- with the Host header BENCH_HOST. Each thread walks the whole list from its own starting point
-- (thread t of T starts at t/T of the list), so every path is asked at the same steady rate,
-- requests/s divided by the number of paths: with enough paths no key reaches the edge's hot-key
-- threshold (10 requests in one second) and a peer-owned key stays a peer hit; with a handful of
-- paths every key is hot at once (the mirroring measurement).
-- done() prints the same "BENCH key=value ..." line as bench/edge-compare/bench.lua.

local file = os.getenv("BENCH_PATHS")
local host = os.getenv("BENCH_HOST")
local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
local started = 0
local reqs, pos

function setup(thread)
  started = started + 1
  thread:set("thread_id", started)
end

function init(args)
  local headers = {}
  if host then headers["Host"] = host end
  reqs = {}
  for line in io.lines(file) do
    if #line > 0 then reqs[#reqs + 1] = wrk.format("GET", line, headers) end
  end
  if #reqs == 0 then error("no paths in " .. tostring(file)) end
  pos = math.floor(((thread_id or 1) - 1) * #reqs / threads)
end

function request()
  pos = pos % #reqs + 1
  return reqs[pos]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d bytes=%d rps=%.1f p50_us=%d p99_us=%d p999_us=%d max_us=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, summary.duration, summary.bytes,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end

-- wrk script of bench/edge-https/run.sh: every connection goes to 127.0.0.1 (the URL's host is only
-- the SNI and Host name, and may resolve to another address), and the summary is one
-- machine-readable line.
--   BENCH_ADDR_PORT  the server's port on 127.0.0.1
local port = os.getenv("BENCH_ADDR_PORT")

function setup(thread)
  thread.addr = wrk.lookup("127.0.0.1", port)[1]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d rps=%.1f p50_us=%d p99_us=%d errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end

-- wrk script shared by every scenario of run.sh.
--
-- Without BENCH_KEYS the request is the URL given to wrk and this script defines no request()
-- function, so wrk keeps its static-request fast path (the hot-object and pass-through scenarios).
-- With BENCH_KEYS=n the request cycles over n keys BENCH_KEY_PREFIX..%0<w>d:
--   BENCH_DIST=zipf    (default) Zipf over ranks with exponent BENCH_ZIPF_S (default 0.99, the YCSB
--                      "zipfian" constant); rank r maps to key (r * 7919) mod n so hot keys are spread
--                      over the key space rather than being the lowest numbers
--   BENCH_DIST=uniform every key equally likely
--   BENCH_DIST=cycle   the threads walk disjoint strided slices of the keys (fills caches; needs
--                      BENCH_THREADS = wrk's thread count)
-- done() prints one machine-readable line, "BENCH key=value ...", that run.sh parses. Latencies are
-- wrk's (microseconds, measured from request send; wrk 4 does not correct coordinated omission).

local keys = tonumber(os.getenv("BENCH_KEYS") or "0")
local started = 0
local slice, answered = 0, 0

-- runs in the main Lua state; thread:set makes thread_id a global of that thread's own state
function setup(thread)
  started = started + 1
  thread:set("thread_id", started)
end

if keys > 0 then
  local prefix = os.getenv("BENCH_KEY_PREFIX") or "/k/"
  local width = tonumber(os.getenv("BENCH_KEY_WIDTH") or "0")
  local dist = os.getenv("BENCH_DIST") or "zipf"
  local host = os.getenv("BENCH_HOST")
  local reqs, cdf, pos, stride

  local function key(i)
    if width > 0 then return prefix .. string.format("%0" .. width .. "d", i) end
    return prefix .. tostring(i)
  end

  local headers = {}
  -- request strings are prebuilt for small key spaces; large ones (the full-cache runs, ~1M keys)
  -- are formatted per request to keep wrk's memory small
  local prebuilt = keys <= 200000

  -- the request for key index i (0-based)
  local function req(i)
    if prebuilt then return reqs[i + 1] end
    return wrk.format("GET", key(i), headers)
  end

  function init(args)
    if host then headers["Host"] = host end
    reqs = {}
    if prebuilt then
      for i = 1, keys do reqs[i] = wrk.format("GET", key(i - 1), headers) end
    end
    -- cycle: thread t of T walks keys t-1, t-1+T, t-1+2T, ...: the threads cover disjoint key sets,
    -- so all keys have been requested once every thread has made keys/T requests
    stride = tonumber(os.getenv("BENCH_THREADS") or "1")
    pos = ((thread_id or 1) - 1) % keys
    slice = math.ceil((keys - pos) / stride)
    answered = 0
    if dist == "zipf" then
      local s = tonumber(os.getenv("BENCH_ZIPF_S") or "0.99")
      cdf = {}
      local sum = 0
      for r = 1, keys do
        sum = sum + 1 / (r ^ s)
        cdf[r] = sum
      end
      for r = 1, keys do cdf[r] = cdf[r] / sum end
    end
    math.randomseed(os.time() * 1000 + (thread_id or 1))
  end

  function request()
    if dist == "cycle" then
      local r = req(pos)
      pos = (pos + stride) % keys
      return r
    elseif dist == "uniform" then
      return req(math.random(keys) - 1)
    end
    local u = math.random()
    local lo, hi = 1, keys
    while lo < hi do
      local mid = math.floor((lo + hi) / 2)
      if cdf[mid] < u then lo = mid + 1 else hi = mid end
    end
    -- rank lo maps to key (lo * 7919) mod keys: popular keys spread over the key space
    return req((lo * 7919) % keys)
  end
end

-- a fill stops each thread once every key of its slice has been answered, so a fill run takes
-- as long as filling takes (the duration given to wrk is then only an upper bound)
if keys > 0 and (os.getenv("BENCH_DIST") or "zipf") == "cycle" then
  function response(status, headers, body)
    answered = answered + 1
    if answered >= slice then wrk.thread:stop() end
  end
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

#!/usr/bin/env bash
# Edge comparison: Kasoku vs Varnish vs nginx proxy_cache, same origin, same wrk load, one machine.
#
# Starts on loopback: an origin (nginx serving generated static files), Varnish, nginx proxy_cache and
# the Kasoku edge, then for each scenario runs wrk against each server in turn (warm-up, then the
# measured run) and prints a markdown table of requests/s, p50/p99/p99.9 latency, the origin requests
# seen during the measured run (a hit scenario must show ~0) and the server's CPU microseconds per
# request; the table and the target ratios of issue 3 are also written to bench/results/<timestamp>.md.
#
# Scenarios: hot1k (one 1 KiB object), hot256k (one 256 KiB object), keys10k (10,000 distinct 1 KiB
# objects, Zipf s=0.99 over the keys, after a warm-up that walks every key), pass (a path the three
# caches are configured to pass, whose origin response is Cache-Control: no-store).
# Not in the default set: full (fills the CACHE_MEMORY budget, 2 GiB, with FULL_KEYS 1 KiB objects
# under /gen/ during FULL_FILL, then Zipf over that key space, which is larger than what fits, so
# eviction keeps running: p99.9 and, for Kasoku, GC pause time during the measured run), e.g.
#   SCENARIOS=full SERVERS=kasoku bench/edge-compare/run.sh
# and memory (Kasoku only): heap and off-heap bytes per cached object, from the JVM's heap after a
# full GC and its resident set before and after filling MEM_KEYS distinct 1 KiB objects (the budget
# must hold them all: 1M objects need CACHE_MEMORY=3g), e.g.
#   SCENARIOS=memory SERVERS=kasoku CACHE_MEMORY=3g bench/edge-compare/run.sh
#
# Usage: bench/edge-compare/run.sh            (from the repository root; needs root for apt-get)
# Environment (defaults in brackets):
#   THREADS [2] CONNECTIONS [64] DURATION [15s] WARMUP [10s]     wrk parameters, the same for every server
#   SERVER_WARMUP [20s]    hot hits sent to each server once after start, before any scenario
#   SERVERS ["varnish nginx kasoku"]  SCENARIOS ["hot1k hot256k keys10k pass"]
#   KEYS [10000]  BENCH_DIST [zipf]  BENCH_ZIPF_S [0.99]
#   CACHE_MEMORY [2g]  cache budget of every server (Varnish -s malloc, nginx max_size, KASOKU_EDGE_MEMORY)
#   MEM_KEYS [1000000]  objects of the memory scenario
#   FULL_KEYS [1600000]  FULL_FILL [300s]  key space of the full scenario, and the most a fill may take
#   EDGE_JAVA_OPTS ["-XX:+UseG1GC -XX:MaxRAMPercentage=40 -XX:+ExitOnOutOfMemoryError", the README's]
#   SKIP_BUILD [0]  set to 1 to reuse launcher/target/kasoku.jar as it is
#   EDGE_JAR [launcher/target/kasoku.jar]  the jar to run (another build, to compare two; implies no build)
#   KEEP_WORKDIR [0]       set to 1 to keep the temporary directory (configs, logs) for inspection
#   NGINX_ACCESS_LOG [off] json: nginx writes an access log as a CDN must (one JSON line per request with
#                          the fields of Kasoku's access-log record, gzip level 6 like Kasoku's segments,
#                          buffer=256k flush=1s, no fsync); off: no access log, as nginx was always measured
# Every process this script starts is stopped on exit (trap EXIT), whatever the outcome.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
DURATION="${DURATION:-15s}"
WARMUP="${WARMUP:-10s}"
SERVER_WARMUP="${SERVER_WARMUP:-20s}"
SERVERS="${SERVERS:-varnish nginx kasoku}"
SCENARIOS="${SCENARIOS:-hot1k hot256k keys10k pass}"
KEYS="${KEYS:-10000}"
export BENCH_DIST="${BENCH_DIST:-zipf}"
export BENCH_ZIPF_S="${BENCH_ZIPF_S:-0.99}"
CACHE_MEMORY="${CACHE_MEMORY:-2g}"
FULL_KEYS="${FULL_KEYS:-1600000}"
FULL_FILL="${FULL_FILL:-300s}"
MEM_KEYS="${MEM_KEYS:-1000000}"
EDGE_JAVA_OPTS="${EDGE_JAVA_OPTS:--XX:+UseG1GC -XX:MaxRAMPercentage=40 -XX:+ExitOnOutOfMemoryError}"
HOST_HEADER="bench.kasoku.test"

# log, die, free_port, cpu_ticks/CLK_TCK and the process cleanup (PIDS, WORK, KEEP_WORKDIR)
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"
cleanup() { # the shared cleanup, and the background key fill of the full scenario if one runs
  local rc=$?
  if [[ -n "$WORK" && -f "$WORK/fill.pid" ]]; then PIDS+=("$(cat "$WORK/fill.pid")"); fi
  bench_cleanup "$rc"
}
trap cleanup EXIT

wait_http() { # url pid: until the url answers, the process died, or 30 s passed
  local url=$1 pid=$2
  for _ in $(seq 300); do
    if curl -s -o /dev/null -m 1 -H "Host: $HOST_HEADER" "$url"; then return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}


# ---------------------------------------------------------------- install
need_install=0
needed="nginx wrk"; [[ " $SERVERS " == *" varnish "* ]] && needed="$needed varnishd"
for bin in $needed; do command -v "$bin" >/dev/null || need_install=1; done
if [[ $need_install == 1 ]]; then
  log "installing varnish, nginx and wrk from the distribution's packages"
  [[ $(id -u) == 0 ]] || die "varnish/nginx/wrk missing and not root: apt-get install -y varnish nginx wrk"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q varnish nginx wrk >/dev/null
fi
VARNISHD=$(command -v varnishd || echo /usr/sbin/varnishd)
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# tmpfs so that the nginx cache directory and the origin's files never touch a disk
WORK=$(mktemp -d /dev/shm/kasoku-bench.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/www/k" "$WORK/www/nostore" "$WORK/logs" "$WORK/nginx-cache" "$WORK/results"

# ---------------------------------------------------------------- origin content
log "generating origin content in $WORK/www"
head -c 1024 /dev/urandom > "$WORK/www/hot1k"
head -c 262144 /dev/urandom > "$WORK/www/hot256k"
head -c 1024 /dev/urandom > "$WORK/www/nostore/1k"
head -c 1024 /dev/urandom > "$WORK/www/obj1k"
last_key=$((KEYS - 1)); KEY_WIDTH=${#last_key}
(cd "$WORK/www/k" && head -c $(( 1024 * KEYS )) /dev/urandom | split -b 1024 -a "$KEY_WIDTH" -d - "")
[[ -f "$WORK/www/k/$(printf "%0${KEY_WIDTH}d" $((KEYS - 1)))" ]] || die "key generation failed"

ORIGIN_PORT=$(free_port); VARNISH_PORT=$(free_port); NGINX_PORT=$(free_port); KASOKU_PORT=$(free_port)

# ---------------------------------------------------------------- origin: nginx, static files
# Cacheable paths say "public, max-age=86400" (and carry ETag/Last-Modified as nginx always sends);
# /nostore/ says "no-store"; /gen/<anything> serves one 1 KiB file under any name (used by the
# memory-fill runs, which need more keys than there are files). /_status counts requests.
cat > "$WORK/origin.conf" <<EOF
user root;
worker_processes 2;
pid $WORK/origin.pid;
error_log $WORK/logs/origin-error.log warn;
events { worker_connections 8192; multi_accept on; }
http {
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 10000000; keepalive_timeout 120s;
  open_file_cache max=20000 inactive=10m;
  default_type application/octet-stream;
  client_body_temp_path $WORK/tmp-origin-body;
  server {
    listen 127.0.0.1:$ORIGIN_PORT backlog=4096;
    root $WORK/www;
    location / { add_header Cache-Control "public, max-age=86400"; }
    location /nostore/ { add_header Cache-Control "no-store"; }
    location /gen/ { add_header Cache-Control "public, max-age=86400"; try_files /obj1k =404; }
    location = /_status { stub_status; }
  }
}
EOF

# ---------------------------------------------------------------- nginx proxy_cache
# Cache zone on tmpfs (the work directory), keep-alive to the origin, cache lock on (nginx's request
# collapsing), the cache's verdict in X-Cache-Status. /nostore/ is a plain proxy location: the
# equivalent of Varnish's return(pass) and of a Kasoku site rule with cache: false.
NGINX_LOG_CONF="  access_log off;"
case "${NGINX_ACCESS_LOG:-off}" in
  off) ;;
  json)
    # \$ keeps each variable for nginx; escape=json escapes the values as JSON strings
    NGINX_LOG_CONF="  log_format edgejson escape=json '{\"ts\":\"\$time_iso8601\",\"host\":\"\$host\",\"clientIp\":\"\$remote_addr\",\"method\":\"\$request_method\",\"path\":\"\$request_uri\",\"protocol\":\"\$server_protocol\",\"status\":\$status,\"bytes\":\$body_bytes_sent,\"bytesIn\":\$request_length,\"contentType\":\"\$sent_http_content_type\",\"range\":\"\$http_range\",\"cacheStatus\":\"\$upstream_cache_status\",\"originMs\":\"\$upstream_response_time\",\"totalMs\":\"\$request_time\",\"userAgent\":\"\$http_user_agent\",\"referer\":\"\$http_referer\",\"requestId\":\"\$request_id\"}';
  access_log $WORK/logs/nginx-access.log.gz edgejson gzip=6 buffer=256k flush=1s;";;
  *) die "NGINX_ACCESS_LOG must be off or json, not ${NGINX_ACCESS_LOG}";;
esac
cat > "$WORK/nginx.conf" <<EOF
user root;
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/logs/nginx-error.log warn;
events { worker_connections 8192; multi_accept on; }
http {
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 10000000; keepalive_timeout 120s;
  client_body_temp_path $WORK/tmp-nginx-body;
  proxy_temp_path $WORK/tmp-nginx-proxy;
$NGINX_LOG_CONF
  proxy_cache_path $WORK/nginx-cache levels=1:2 keys_zone=edge:256m max_size=$CACHE_MEMORY inactive=1d use_temp_path=off;
  upstream origin { server 127.0.0.1:$ORIGIN_PORT; keepalive 128; }
  server {
    listen 127.0.0.1:$NGINX_PORT backlog=4096;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host \$host;
    location / {
      proxy_pass http://origin;
      proxy_cache edge;
      proxy_cache_lock on;
      add_header X-Cache-Status \$upstream_cache_status always;
    }
    location /nostore/ { proxy_pass http://origin; }
  }
}
EOF

# ---------------------------------------------------------------- Varnish
cat > "$WORK/varnish.vcl" <<EOF
vcl 4.1;
backend origin { .host = "127.0.0.1"; .port = "$ORIGIN_PORT"; }
sub vcl_recv {
  if (req.url ~ "^/nostore/") { return (pass); }
}
sub vcl_deliver {
  if (obj.hits > 0) { set resp.http.X-Cache = "HIT"; } else { set resp.http.X-Cache = "MISS"; }
}
EOF

start_origin() {
  "$NGINX" -p "$WORK" -c "$WORK/origin.conf" -g 'daemon off;' >"$WORK/logs/origin.out" 2>&1 &
  ORIGIN_PID=$!; PIDS+=("$ORIGIN_PID")
  wait_http "http://127.0.0.1:$ORIGIN_PORT/_status" "$ORIGIN_PID" || die "origin did not start: $(cat "$WORK/logs/origin-error.log")"
}

start_varnish() {
  # -F: foreground, so $! is the manager and stopping it stops the cache child
  "$VARNISHD" -F -a "127.0.0.1:$VARNISH_PORT" -T 127.0.0.1:0 -f "$WORK/varnish.vcl" -n "$WORK/varnish" \
    -s "malloc,$CACHE_MEMORY" >"$WORK/logs/varnish.out" 2>&1 &
  VARNISH_PID=$!; PIDS+=("$VARNISH_PID")
  wait_http "http://127.0.0.1:$VARNISH_PORT/hot1k" "$VARNISH_PID" || die "varnish did not start: $(tail -20 "$WORK/logs/varnish.out")"
}

start_nginx() {
  "$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -g 'daemon off;' >"$WORK/logs/nginx.out" 2>&1 &
  NGINX_PID=$!; PIDS+=("$NGINX_PID")
  wait_http "http://127.0.0.1:$NGINX_PORT/hot1k" "$NGINX_PID" || die "nginx did not start: $(cat "$WORK/logs/nginx-error.log")"
}

# Kasoku: the shipped monolith, started as the README starts it (every role in one JVM, the embedded
# store, the README's JVM settings), then configured through the public API as a customer would: the
# operator creates a tenant, the tenant's admin key PUTs a site whose origin is the loopback nginx,
# with a rule passing /nostore/ (the equivalent of the VCL pass and of nginx's plain proxy_pass). The
# access log and the counters go through the logging and metrics roles of the same process, so their
# CPU is part of the edge's figures, as it is for a user of the jar.
cat > "$WORK/kasoku-site.json" <<EOF
{"hostnames": ["$HOST_HEADER"],
 "origins": [{"url": "http://127.0.0.1:$ORIGIN_PORT"}],
 "rules": [{"match": {"pathPrefix": "/nostore/"}, "cache": false}]}
EOF
KASOKU_JAR="${EDGE_JAR:-$ROOT/launcher/target/kasoku.jar}"
KASOKU_API_PORT=$(free_port); KASOKU_TLS_PORT=$(free_port)
KASOKU_OPERATOR_TOKEN="bench-operator-token-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
start_kasoku() {
  if [[ "${SKIP_BUILD:-0}" != 1 && -z "${EDGE_JAR:-}" ]]; then
    log "building the jar (mvn -pl launcher -am package -DskipTests)"
    (cd "$ROOT" && mvn -B -q -o -pl launcher -am package -DskipTests >"$WORK/logs/mvn.out" 2>&1) \
      || die "build failed: $(tail -30 "$WORK/logs/mvn.out")"
  fi
  [[ -f "$KASOKU_JAR" ]] || die "no $KASOKU_JAR"
  # only the KASOKU_* settings below reach it (it refuses unknown KASOKU_* names)
  # shellcheck disable=SC2086
  env $(env | awk -F= '/^KASOKU_/ {printf "-u %s ", $1}') \
  KASOKU_EDGE_PORT=$KASOKU_PORT KASOKU_EDGE_TLS_PORT=$KASOKU_TLS_PORT KASOKU_API_PORT=$KASOKU_API_PORT \
  KASOKU_EDGE_MEMORY=$CACHE_MEMORY KASOKU_BOOTSTRAP_TOKEN=$KASOKU_OPERATOR_TOKEN \
  KASOKU_ALLOWED_ORIGIN_NETWORKS=127.0.0.0/8 KASOKU_DATA_DIR="$WORK/kasoku-data" \
    java $EDGE_JAVA_OPTS -Xlog:gc:file="$WORK/logs/kasoku-gc.log":uptime -jar "$KASOKU_JAR" >"$WORK/logs/kasoku.out" 2>&1 &
  KASOKU_PID=$!; PIDS+=("$KASOKU_PID")
  local api="http://127.0.0.1:$KASOKU_API_PORT" ready=0 answer key
  for _ in $(seq 600); do
    if curl -sf -o /dev/null -m 1 "$api/readyz"; then ready=1; break; fi
    kill -0 "$KASOKU_PID" 2>/dev/null || break
    sleep 0.1
  done
  [[ $ready == 1 ]] || die "kasoku not ready: $(tail -30 "$WORK/logs/kasoku.out")"
  answer=$(curl -sf -X POST "$api/v1/tenants" -H "Authorization: Bearer $KASOKU_OPERATOR_TOKEN" \
    -H 'Content-Type: application/json' -d '{"name": "Bench", "id": "bench"}') || die "tenant creation refused"
  key=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["adminApiKey"])' <<<"$answer")
  curl -sf -o /dev/null -X PUT "$api/v1/tenants/bench/sites/bench" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' --data-binary @"$WORK/kasoku-site.json" || die "site refused"
  # the site is live on the edge once config.changed has been applied
  wait_http "http://127.0.0.1:$KASOKU_PORT/hot1k" "$KASOKU_PID" || die "kasoku did not serve the site: $(tail -30 "$WORK/logs/kasoku.out")"
  for _ in $(seq 100); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' -H "Host: $HOST_HEADER" "http://127.0.0.1:$KASOKU_PORT/hot1k") == 200 ]] && return 0
    sleep 0.1
  done
  die "kasoku does not answer 200 for the site: $(tail -30 "$WORK/logs/kasoku.out")"
}

port_of() { case $1 in varnish) echo "$VARNISH_PORT";; nginx) echo "$NGINX_PORT";; kasoku) echo "$KASOKU_PORT";; esac; }
pid_of() { case $1 in varnish) echo "$VARNISH_PID";; nginx) echo "$NGINX_PID";; kasoku) echo "$KASOKU_PID";; esac; }

# the server's own verdict on a request: HIT / MISS / PASS ...
cache_verdict() { # server path
  local hdrs
  hdrs=$(curl -s -o /dev/null -D - -H "Host: $HOST_HEADER" "http://127.0.0.1:$(port_of "$1")$2" | tr -d '\r')
  local v
  case $1 in
    varnish) v=$(awk 'tolower($1) == "x-cache:" {print toupper($2)}' <<<"$hdrs");;
    nginx) v=$(awk 'tolower($1) == "x-cache-status:" {print toupper($2)}' <<<"$hdrs");;
    # RFC 9211: "Kasoku; hit" for a hit, "Kasoku; fwd=..." otherwise
    kasoku) v=$(awk 'tolower($1) == "cache-status:" { print (tolower($0) ~ /; *hit/) ? "HIT" : "NOT-HIT" }' <<<"$hdrs");;
  esac
  echo "${v:-NONE}"
}

origin_requests() {
  curl -s "http://127.0.0.1:$ORIGIN_PORT/_status" | awk 'NR==3 {print $3}'
}
# "connections requests" the origin accepted and served so far, in one read (a proxy that keeps its
# origin connections alive opens few)
origin_counts() {
  curl -s "http://127.0.0.1:$ORIGIN_PORT/_status" | awk 'NR==3 {print $1, $3}'
}

# ---------------------------------------------------------------- wrk
run_wrk() { # server duration path [keys dist]   (with keys: path is the key prefix, KEY_FORMAT_WIDTH its digits)
  local server=$1 duration=$2 path=$3 keys=${4:-0} dist=${5:-$BENCH_DIST}
  BENCH_KEYS=$keys BENCH_DIST=$dist BENCH_THREADS=$THREADS BENCH_KEY_WIDTH=${KEY_FORMAT_WIDTH:-0} BENCH_KEY_PREFIX=$path BENCH_HOST=$HOST_HEADER \
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "$duration" --timeout 5s -H "Host: $HOST_HEADER" \
      -s "$HERE/bench.lua" "http://127.0.0.1:$(port_of "$server")$path" 2>&1
}

# Fills a cache with every key once: wrk's threads walk disjoint slices of the keys and stop at the
# end of their slice, but wrk itself only exits at the end of its duration, so this watches the
# origin's request counter and interrupts wrk (it then prints its summary) once the origin has seen
# one request per key. Prints wrk's BENCH line.
fill_keys() { # server path keys max_duration
  local server=$1 path=$2 keys=$3 max=$4 o0 polls=0 wpid complete=0
  o0=$(origin_requests)
  (
    export BENCH_KEYS=$keys BENCH_DIST=cycle BENCH_THREADS=$THREADS BENCH_KEY_WIDTH=${KEY_FORMAT_WIDTH:-0} \
      BENCH_KEY_PREFIX=$path BENCH_HOST=$HOST_HEADER
    exec wrk -t "$THREADS" -c "$CONNECTIONS" -d "$max" --timeout 5s -H "Host: $HOST_HEADER" \
      -s "$HERE/bench.lua" "http://127.0.0.1:$(port_of "$server")$path" >"$WORK/fill.out" 2>&1
  ) &
  wpid=$!
  echo "$wpid" >"$WORK/fill.pid" # this runs in a subshell: cleanup() finds the fill's wrk here
  while kill -0 "$wpid" 2>/dev/null; do
    sleep 1
    polls=$((polls + 1))
    if (( $(origin_requests) - o0 - polls >= keys )); then complete=1; kill -INT "$wpid" 2>/dev/null || true; break; fi
  done
  wait "$wpid" 2>/dev/null || true
  rm -f "$WORK/fill.pid"
  grep '^BENCH ' "$WORK/fill.out" || true
  # the threads also stop by themselves once their slices are answered
  if grep -q "^BENCH requests=\($keys\|[0-9]\{$((${#keys} + 1)),\}\) " "$WORK/fill.out"; then complete=1; fi
  if [[ $complete == 1 ]]; then echo FILL_COMPLETE; fi
}

RESULTS="$WORK/results/rows.tsv"
: >"$RESULTS"

# Varnish's own counters (hits, misses, objects, LRU evictions) to cross-check a run
varnish_counters() {
  varnishstat -n "$WORK/varnish" -1 -f MAIN.cache_hit -f MAIN.cache_miss -f MAIN.cache_hitmiss -f MAIN.cache_hitpass \
    -f MAIN.n_object -f MAIN.n_lru_nuked -f MAIN.n_expired -f MAIN.busy_sleep 2>/dev/null | awk '{printf "%s=%s ", substr($1, 6), $2}'
}

# pause time (young + full, ms) of a JVM so far, from jstat
jvm_pause_ms() {
  jstat -gc "$1" 2>/dev/null | awk 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i }
    NR == 2 { printf "%.0f", ($col["YGCT"] + $col["FGCT"]) * 1000 }'
}
jvm_uptime_s() { jcmd "$1" VM.uptime 2>/dev/null | awk '/ s$/ {print $1}'; }
# the longest pause logged by -Xlog:gc between two uptimes
jvm_max_pause_ms() { # from_s to_s
  awk -v a="$1" -v b="$2" '/Pause/ { t = substr($1, 2) + 0; if (t >= a && t <= b) { ms = $NF; sub(/ms$/, "", ms); if (ms + 0 > m) m = ms + 0 } }
    END { printf "%.1f", m }' "$WORK/logs/kasoku-gc.log"
}

# heap in use (bytes) of a JVM after a full collection, and its resident set (bytes)
jvm_heap_after_gc() {
  jcmd "$1" GC.run >/dev/null 2>&1; jcmd "$1" GC.run >/dev/null 2>&1
  jstat -gc "$1" | awk 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i }
    NR == 2 { printf "%.0f", ($col["S0U"] + $col["S1U"] + $col["EU"] + $col["OU"]) * 1024 }'
}
rss_bytes() { awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$1/status"; }

MEMORY_ROWS="$WORK/results/memory.tsv"
measure_memory() { # server
  local server=$1 pid h0 h1 r0 r1 o0 o1 fill filled attempt
  if [[ $server != kasoku ]]; then log "memory: $server skipped (only the JVM edge is measured this way)"; return; fi
  pid=$(pid_of "$server")
  h0=$(jvm_heap_after_gc "$pid"); r0=$(rss_bytes "$pid"); o0=$(origin_requests)
  KEY_FORMAT_WIDTH=0
  for attempt in 1 2 3; do
    log "$server: memory fill of $MEM_KEYS keys under /gen/ (pass $attempt, up to $FULL_FILL)"
    fill=$(fill_keys "$server" /gen/ "$MEM_KEYS" "$FULL_FILL")
    [[ $fill == *FILL_COMPLETE* ]] && break
  done
  o1=$(origin_requests)
  h1=$(jvm_heap_after_gc "$pid"); r1=$(rss_bytes "$pid")
  local stored=$((o1 - o0 - 1))
  printf '%s\t%s\t%s\t%s\t%s\n' "$server" "$stored" "$((h1 - h0))" "$((r1 - r0))" "$MEM_KEYS" >>"$MEMORY_ROWS"
  log "$(awk -v n="$stored" -v h=$((h1 - h0)) -v r=$((r1 - r0)) 'BEGIN { printf "memory: %d objects fetched; heap %.0f B/object, resident set growth %.0f B/object", n, h / n, r / n }')"
}

measure() { # scenario server
  local scenario=$1 server=$2 path keys=0 fill_time=$WARMUP out o0 o1 c0 c1 pid
  KEY_FORMAT_WIDTH=0
  case $scenario in
    memory) measure_memory "$server"; return;;
    hot1k) path=/hot1k;;
    hot256k) path=/hot256k;;
    keys10k) path=/k/; keys=$KEYS; KEY_FORMAT_WIDTH=$KEY_WIDTH; fill_time=60s;;
    pass) path=/nostore/1k;;
    full) path=/gen/; keys=$FULL_KEYS; fill_time=$FULL_FILL;;
    *) die "unknown scenario $scenario";;
  esac
  if [[ $keys -gt 0 ]]; then
    # fill: each wrk thread walks its own slice of the keys; enough requests means every key was asked
    # (a pass that made fewer requests than there are keys is repeated: a shared machine can slow it)
    local fill filled attempt
    for attempt in 1 2 3; do
      log "$server: filling $keys keys under $path (pass $attempt, up to $fill_time)"
      fill=$(fill_keys "$server" "$path" "$keys" "$fill_time")
      [[ $fill == *FILL_COMPLETE* ]] && break
      filled=$(sed -n 's/.* requests=\([0-9]*\) .*/\1/p' <<<"$fill")
      log "WARNING: $server: fill pass made only ${filled:-0} requests for $keys keys"
    done
    run_wrk "$server" "$WARMUP" "$path" "$keys" >/dev/null
    if [[ $scenario != full ]]; then
      # spot-check: a handful of keys must now be hits
      local k miss=0
      for k in 0 1 17 $((KEYS / 2)) $((KEYS - 1)); do
        [[ $(cache_verdict "$server" "/k/$(printf "%0${KEY_WIDTH}d" "$k")") == HIT ]] || miss=$((miss + 1))
      done
      [[ $miss == 0 ]] || log "WARNING: $server: $miss of 5 sampled keys not HIT after warm-up"
    fi
  else
    run_wrk "$server" "$WARMUP" "$path" >/dev/null
    if [[ $scenario != pass ]]; then
      local v; v=$(cache_verdict "$server" "$path")
      [[ $v == HIT ]] || die "$server does not serve $path from cache after warm-up (verdict: $v)"
    fi
  fi
  pid=$(pid_of "$server")
  local g0="" g1="" u0="" u1="" gc="-"
  if [[ $server == kasoku ]]; then g0=$(jvm_pause_ms "$pid"); u0=$(jvm_uptime_s "$pid"); fi
  local a0 a1
  local oc0 oc1
  read -r a0 o0 <<<"$(origin_counts)"; c0=$(cpu_ticks "$pid"); oc0=$(cpu_ticks "$ORIGIN_PID")
  out=$(run_wrk "$server" "$DURATION" "$path" "$keys")
  c1=$(cpu_ticks "$pid"); oc1=$(cpu_ticks "$ORIGIN_PID"); read -r a1 o1 <<<"$(origin_counts)"
  if [[ $server == varnish ]]; then log "varnish counters after $scenario: $(varnish_counters)"; fi
  if [[ $server == kasoku ]]; then
    g1=$(jvm_pause_ms "$pid"); u1=$(jvm_uptime_s "$pid")
    [[ -n $g0 && -n $g1 ]] && gc="$((g1 - g0)) ms, max $(jvm_max_pause_ms "${u0:-0}" "${u1:-0}") ms"
  fi
  local line; line=$(grep '^BENCH ' <<<"$out" || true)
  [[ -n $line ]] || die "wrk produced no summary for $server/$scenario: $out"
  # shellcheck disable=SC2086
  local $(sed 's/^BENCH //' <<<"$line")
  local errors=$((err_connect + err_read + err_write + err_status + err_timeout))
  # CPU time (utime + stime from /proc/<pid>/stat, the process and its direct children) per request
  # answered: unlike requests/s it stays meaningful when other work shares the cores
  local cpu_us_per_req; cpu_us_per_req=$(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v n="$requests" 'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }')
  local origin_cpu_us; origin_cpu_us=$(awk -v t=$((oc1 - oc0)) -v hz="$CLK_TCK" -v n="$requests" 'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }')
  # origin requests seen during the run, minus the two /_status reads
  # the second status read is itself one connection and one request
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$server" "$rps" "$p50_us" "$p99_us" "$p999_us" \
    "$bytes" "$errors" "$((o1 - o0 - 1))" "$cpu_us_per_req" "$gc" "$((a1 - a0 - 1))" "$origin_cpu_us" >>"$RESULTS"
  log "$(printf '%-8s %-8s %10.0f req/s  p50 %6.2f ms  p99 %6.2f ms  p99.9 %6.2f ms  errors %s  origin %s (%s conns)  cpu %s us/req (origin %s)  gc %s' \
    "$scenario" "$server" "$rps" "$(awk -v x="$p50_us" 'BEGIN{print x/1000}')" "$(awk -v x="$p99_us" 'BEGIN{print x/1000}')" \
    "$(awk -v x="$p999_us" 'BEGIN{print x/1000}')" "$errors" "$((o1 - o0 - 1))" "$((a1 - a0 - 1))" "$cpu_us_per_req" "$origin_cpu_us" "$gc")"
}

# ---------------------------------------------------------------- run
log "ports: origin $ORIGIN_PORT varnish $VARNISH_PORT nginx $NGINX_PORT kasoku $KASOKU_PORT"
start_origin
for s in $SERVERS; do "start_$s"; done
log "started: $SERVERS; wrk -t$THREADS -c$CONNECTIONS -d$DURATION (warm-up $WARMUP) per run"

# the caches must actually cache: a second request for a cacheable path is a HIT, /nostore/ is not
for s in $SERVERS; do
  cache_verdict "$s" /hot1k >/dev/null
  v=$(cache_verdict "$s" /hot1k); [[ $v == HIT ]] || die "$s: second GET /hot1k is not a HIT ($v)"
  cache_verdict "$s" /nostore/1k >/dev/null
  v=$(cache_verdict "$s" /nostore/1k); [[ $v != HIT ]] || die "$s: /nostore/1k served from cache"
done
log "cache check passed: /hot1k HIT and /nostore/1k not cached on every server"

# every server gets the same start-up warm-up before the first scenario (for the JVM edge this is
# when the JIT compiles the request path; a 10 s scenario warm-up alone left it half compiled on a
# loaded machine)
for s in $SERVERS; do
  log "$s: start-up warm-up, $SERVER_WARMUP of hot hits"
  run_wrk "$s" "$SERVER_WARMUP" /hot1k >/dev/null
done

for scenario in $SCENARIOS; do
  for s in $SERVERS; do measure "$scenario" "$s"; done
done

# ---------------------------------------------------------------- report
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$ROOT/bench/results"
REPORT="$ROOT/bench/results/$STAMP.md"
{
  echo "# Edge comparison $STAMP"
  echo
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB;" \
    "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "wrk $THREADS threads, $CONNECTIONS connections, $DURATION per run after a $WARMUP warm-up (and $SERVER_WARMUP per server after start); keys10k: $KEYS keys, $BENCH_DIST (s=$BENCH_ZIPF_S); cache budgets $CACHE_MEMORY."
  if [[ " $SCENARIOS " == *" full "* ]]; then echo "full: $FULL_KEYS keys of 1 KiB under /gen/, filled for up to $FULL_FILL, then $BENCH_DIST over the same keys."; fi
  if [[ " $SERVERS " == *" kasoku "* ]]; then echo "Kasoku JVM: $EDGE_JAVA_OPTS; GC pauses = young + full pause time during the measured run (jstat) and the longest pause (-Xlog:gc)."; fi
  echo "nginx access log: ${NGINX_ACCESS_LOG:-off}."
  echo "Versions: $([[ -x $VARNISHD ]] && "$VARNISHD" -V 2>&1 | head -1 | sed 's/ (.*//; s/(//; s/$/, /')$("$NGINX" -v 2>&1 | sed 's/.*: //'), $(java -version 2>&1 | head -1)."
  echo
  echo "| scenario | server | req/s | p50 ms | p99 ms | p99.9 ms | MiB/s | errors | origin reqs (conns) | CPU µs/req | origin CPU µs/req | GC pauses |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  awk -F'\t' -v d="$DURATION" '
    function secs(x) { if (x ~ /m$/) return x * 60; if (x ~ /h$/) return x * 3600; return x + 0 }
    { printf "| %s | %s | %.0f | %.2f | %.2f | %.2f | %.1f | %d | %d (%d) | %s | %s | %s |\n", $1, $2, $3, $4/1000, $5/1000, $6/1000, $7/1048576/secs(d), $8, $9, $12, $10, $13, $11 }' "$RESULTS"
  if [[ -s $MEMORY_ROWS ]]; then
    echo
    echo "Memory per cached 1 KiB object (heap after full GC, and resident-set growth, which with a pre-touched heap is the off-heap bodies plus the allocator's slack):"
    echo
    echo "| server | objects fetched | heap B/object | off-heap (RSS growth) B/object | total B/object |"
    echo "|---|---:|---:|---:|---:|"
    awk -F'\t' '{ printf "| %s | %d | %.0f | %.0f | %.0f |\n", $1, $2, $3 / $2, $4 / $2, ($3 + $4) / $2 }' "$MEMORY_ROWS"
  fi
  echo
  echo "Targets (issue 3), ratios from this run:"
  echo
  awk -F'\t' '
    { rps[$1 "/" $2] = $3; p99[$1 "/" $2] = $5; cpu[$1 "/" $2] = $10 }
    function ratio(a, b) { return (b > 0) ? a / b : 0 }
    function line(name, k, ref, target, checkp99,   r, ok) {
      if (!(k in rps) || !(ref in rps)) { printf "- %s: not measured\n", name; return }
      r = ratio(rps[k], rps[ref]); ok = (r >= target) && (!checkp99 || p99[k] <= p99[ref])
      printf "- %s: %.2fx (target >= %.1fx%s) p99 %.2f ms vs %.2f ms -> %s\n", name, r, target,
        checkp99 ? ", p99 <= reference" : "", p99[k] / 1000, p99[ref] / 1000, ok ? "MET" : "NOT MET"
    }
    END {
      line("hot 1 KiB, Kasoku / nginx", "hot1k/kasoku", "hot1k/nginx", 1.3, 1)
      line("10k keys, Kasoku / nginx", "keys10k/kasoku", "keys10k/nginx", 1.3, 1)
      best = ("hot256k/varnish" in rps && (!("hot256k/nginx" in rps) || rps["hot256k/varnish"] >= rps["hot256k/nginx"])) ? "hot256k/varnish" : "hot256k/nginx"
      line("hot 256 KiB, Kasoku / faster of Varnish and nginx (" substr(best, 9) ")", "hot256k/kasoku", best, 1.0, 0)
      line("pass-through, Kasoku / nginx", "pass/kasoku", "pass/nginx", 1.0, 0)
      if (("pass/kasoku" in cpu) && ("pass/nginx" in cpu))
        printf "- pass-through CPU per forwarded request: Kasoku %.1f us vs nginx %.1f us (target <= nginx) -> %s\n",
          cpu["pass/kasoku"], cpu["pass/nginx"], (cpu["pass/kasoku"] + 0 <= cpu["pass/nginx"] + 0) ? "MET" : "NOT MET"
      printf "\nReference ratios: hot 1 KiB nginx / Varnish %.2fx; pass-through nginx / Varnish %.2fx\n",
        ratio(rps["hot1k/nginx"], rps["hot1k/varnish"]), ratio(rps["pass/nginx"], rps["pass/varnish"])
    }' "$RESULTS"
} >"$REPORT"
echo
cat "$REPORT"
log "written to $REPORT"

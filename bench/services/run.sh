#!/usr/bin/env bash
# Logging and metrics benchmarks (issues 13 and 14), each against the shipped jar started as a user
# starts it: java $KASOKU_JAVA_OPTS -jar launcher/target/kasoku.jar, with the README's JVM settings.
#
# Usage: bench/services/run.sh <bench>...       (from anywhere; benches run in the order given)
#   logging-intake        records/s one logging process acknowledges (durable) and its CPU per record:
#                         LogIntakeDriver joins the cluster and sends AccessLogBatch batches on the bus
#   download              MB/s of NDJSON to one client from one logging process holding a stored range
#                         (filled first over the bus), heap sampled from its /metrics during the download
#   sink-latency          request end (record ts) -> arrival at an HTTP sink the bench runs, p99
#   edge-logging-cost     wrk hot hits, all roles vs all roles but logging: ratio
#   metrics-counter-cost  wrk hot hits, all roles vs all roles but metrics: ratio
#   metrics-fold          50 simulated edges x 1000 tenants of CounterDeltas a second to one metrics process
#   live-view             request end -> counted in GET /v1/tenants/{t}/stats?step=1s, p99
#   all                   every one of them, in this order
# Each bench prints its figures on lines starting with "RESULT <bench>:" and takes at most about two
# minutes with the defaults (start-up included); the summary of every RESULT line is printed at the end.
#
# Environment (defaults in brackets):
#   KASOKU_JAVA_OPTS ["-XX:+UseG1GC -XX:MaxRAMPercentage=40 -XX:+ExitOnOutOfMemoryError"]  the README's settings
#   SECONDS_ [20]  WARMUP [10]   measured and warm-up seconds of every bench (shorten for a smoke run)
#   INTAKE_SENDERS [4] INTAKE_WINDOW [8]           simulated edges and batches in flight per edge
#   DOWNLOAD_RECORDS [2000000] DOWNLOAD_HOURS [6]  stored range of the download bench (about 1 GB of NDJSON)
#   SINK_RATE [500]                                requests/s through the edge during sink-latency
#   WRK_THREADS [2] WRK_CONNECTIONS [64]           wrk of the two edge-cost benches
#   EDGE_ROUNDS [1]                                rounds of (on, off) of the edge-cost benches (each about 70 s)
#   FOLD_EDGES [50] FOLD_TENANTS [1000]            metrics-fold
#   LIVE_BURST [20]                                requests per second during live-view
#   PORT_BASE [26000]   ports PORT_BASE+0..99 are used (API +81, edge +80, TLS +443->+43, cluster +71/+72, Redis +79, origin +90)
#   SKIP_BUILD [0]      1: reuse launcher/target/kasoku.jar and bench/target/kasoku-bench.jar as they are
#   KEEP_WORKDIR [0]    1: keep the work directory (process logs, data) for inspection
# Needs java, curl, python3, redis-server (logging-intake, download, metrics-fold) and wrk (edge costs).
# Every process this script starts is stopped on exit (trap EXIT), whatever the outcome.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
KASOKU_JAVA_OPTS="${KASOKU_JAVA_OPTS:--XX:+UseG1GC -XX:MaxRAMPercentage=40 -XX:+ExitOnOutOfMemoryError}"
SECONDS_="${SECONDS_:-20}"
WARMUP="${WARMUP:-10}"
INTAKE_SENDERS="${INTAKE_SENDERS:-4}"
INTAKE_WINDOW="${INTAKE_WINDOW:-8}"
DOWNLOAD_RECORDS="${DOWNLOAD_RECORDS:-2000000}"
DOWNLOAD_HOURS="${DOWNLOAD_HOURS:-6}"
SINK_RATE="${SINK_RATE:-500}"
WRK_THREADS="${WRK_THREADS:-2}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-64}"
EDGE_ROUNDS="${EDGE_ROUNDS:-1}"
FOLD_EDGES="${FOLD_EDGES:-50}"
FOLD_TENANTS="${FOLD_TENANTS:-1000}"
LIVE_BURST="${LIVE_BURST:-20}"
PORT_BASE="${PORT_BASE:-26000}"
API_PORT=$((PORT_BASE + 81)); EDGE_PORT=$((PORT_BASE + 80)); TLS_PORT=$((PORT_BASE + 43))
CLUSTER_PORT=$((PORT_BASE + 71)); DRIVER_PORT=$((PORT_BASE + 72)); REDIS_PORT=$((PORT_BASE + 79))
ORIGIN_PORT=$((PORT_BASE + 90))
OPERATOR="bench-operator-token-0123456789-abcdefgh"
SECRET="bench-secret-key-with-at-least-32-characters"
JAR="$ROOT/launcher/target/kasoku.jar"
BENCH_JAR="$ROOT/bench/target/kasoku-bench.jar"
CLK_TCK=$(getconf CLK_TCK)
ALL_ROLES="cache-edge,purge,auth,config,logging,metrics,portal"

# ---------------------------------------------------------------- processes and cleanup
STOP_GRACE_S=15 # the roles drain their queues on TERM
. "$HERE/../lib.sh"
forget_pid() { local p=$1 keep=() q; for q in "${PIDS[@]}"; do [[ $q == "$p" ]] || keep+=("$q"); done; PIDS=("${keep[@]}"); }

# on the repository's disk, not tmpfs: the logging role fsyncs what it acknowledges
WORK=$(mktemp -d "$ROOT/bench/target/services-bench.XXXXXX" 2>/dev/null || { mkdir -p "$ROOT/bench/target"; mktemp -d "$ROOT/bench/target/services-bench.XXXXXX"; })
RESULTS="$WORK/results.txt"
: >"$RESULTS"

wait_ready() { # api_port pid name
  for _ in $(seq 1200); do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' -m 1 "http://127.0.0.1:$1/readyz") == 200 ]]; then return 0; fi
    kill -0 "$2" 2>/dev/null || die "$3 exited during start: $(tail -20 "$WORK/$3.log")"
    sleep 0.1
  done
  die "$3 not ready after 120 s: $(tail -20 "$WORK/$3.log")"
}

# start_kasoku name roles clustered(0|1): the shipped jar with the README's JVM settings; sets KASOKU_PID
start_kasoku() {
  local name=$1 roles=$2 clustered=$3
  mkdir -p "$WORK/$name"
  (
    for v in $(compgen -e | grep '^KASOKU_' || true); do unset "$v"; done
    export KASOKU_SERVICES="$roles" KASOKU_NODE_ID="bench-$name" KASOKU_DATA_DIR="$WORK/$name" \
      KASOKU_BIND_ADDRESS=127.0.0.1 KASOKU_API_PORT=$API_PORT KASOKU_EDGE_PORT=$EDGE_PORT KASOKU_EDGE_TLS_PORT=$TLS_PORT \
      KASOKU_BOOTSTRAP_TOKEN="$OPERATOR" KASOKU_SECRET_KEY="$SECRET" KASOKU_ALLOWED_ORIGIN_NETWORKS=127.0.0.0/8
    if [[ $clustered == 1 ]]; then
      export KASOKU_CLUSTER=true KASOKU_CLUSTER_HOST=127.0.0.1 KASOKU_CLUSTER_PORT=$CLUSTER_PORT \
        KASOKU_CLUSTER_MEMBERS="127.0.0.1:$CLUSTER_PORT,127.0.0.1:$DRIVER_PORT" KASOKU_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
    fi
    # shellcheck disable=SC2086
    exec java $KASOKU_JAVA_OPTS -jar "$JAR" >"$WORK/$name.log" 2>&1
  ) &
  KASOKU_PID=$!; PIDS+=("$KASOKU_PID")
  wait_ready "$API_PORT" "$KASOKU_PID" "$name"
  log "$name up (pid $KASOKU_PID, roles $roles$([[ $clustered == 1 ]] && echo ', clustered'))"
}

start_redis() { # sets REDIS_PID: a Redis of the bench's own, no persistence, on REDIS_PORT
  command -v redis-server >/dev/null || die "redis-server missing (apt-get install -y redis-server)"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" \
    >"$WORK/redis.log" 2>&1 &
  REDIS_PID=$!; PIDS+=("$REDIS_PID")
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  die "redis-server did not start: $(tail -5 "$WORK/redis.log")"
}

stop_all() { local p; for p in "${PIDS[@]}"; do stop_pid "$p"; done; PIDS=(); }

driver() { # class, then -D options: its RESULT lines go to the output and the summary, the rest to a log
  local class=$1; shift
  local out="$WORK/driver-$class-$(date +%s%N).log"
  java -Xmx1g -Dclk="$CLK_TCK" -Dhazelcast.phone.home.enabled=false -Djava.net.preferIPv4Stack=true "$@" \
    -cp "$BENCH_JAR" "dev.kasoku.bench.services.$class" >"$out" 2>&1 \
    || die "$class failed: $(grep -v '^RESULT' "$out" | tail -30)"
  grep '^RESULT ' "$out" | tee -a "$RESULTS" || die "$class printed no RESULT line: $(tail -30 "$out")"
}

create_tenant() { # id: prints the admin API key
  curl -sf -X POST "http://127.0.0.1:$API_PORT/v1/tenants" -H "Authorization: Bearer $OPERATOR" \
    -H 'Content-Type: application/json' -d "{\"name\": \"Bench $1\", \"id\": \"$1\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["adminApiKey"])'
}

# ---------------------------------------------------------------- benches
bench_logging_intake() {
  start_redis
  start_kasoku intake logging 1
  driver LogIntakeDriver -Dmembers="127.0.0.1:$CLUSTER_PORT" -Dport="$DRIVER_PORT" -Dpid="$KASOKU_PID" \
    -Dseconds="$SECONDS_" -Dwarmup="$WARMUP" -Dsenders="$INTAKE_SENDERS" -Dwindow="$INTAKE_WINDOW"
  log "intake: $(du -sh "$WORK/intake/logs" 2>/dev/null | cut -f1) stored"
  stop_all
}

bench_download() {
  start_redis
  start_kasoku download logging,auth 1
  local key; key=$(create_tenant dl)
  log "download: storing $DOWNLOAD_RECORDS records of tenant dl over the last $DOWNLOAD_HOURS h"
  driver LogIntakeDriver -Dmembers="127.0.0.1:$CLUSTER_PORT" -Dport="$DRIVER_PORT" -Drecords="$DOWNLOAD_RECORDS" \
    -DspreadHours="$DOWNLOAD_HOURS" -Dtenant=dl -Dsenders="$INTAKE_SENDERS" -Dwindow="$INTAKE_WINDOW"
  log "download: $(du -sh "$WORK/download/logs" | cut -f1) stored (compressed); downloading"
  driver DownloadBench -Dapi="http://127.0.0.1:$API_PORT" -Dkey="$key" -Dtenant=dl -Dhours="$DOWNLOAD_HOURS" \
    -DexpectRecords="$DOWNLOAD_RECORDS"
  stop_all
}

bench_sink_latency() {
  start_kasoku sink "$ALL_ROLES" 0
  driver SinkLatencyBench -Dapi="http://127.0.0.1:$API_PORT" -Dedge="http://127.0.0.1:$EDGE_PORT" \
    -Doperator="$OPERATOR" -Drate="$SINK_RATE" -Dseconds="$SECONDS_" -Dwarmup="$((WARMUP < 5 ? WARMUP : 5))"
  stop_all
}

bench_live_view() {
  start_kasoku live "$ALL_ROLES" 0
  driver LiveViewBench -Dapi="http://127.0.0.1:$API_PORT" -Dedge="http://127.0.0.1:$EDGE_PORT" \
    -Doperator="$OPERATOR" -Dseconds="$SECONDS_" -Dburst="$LIVE_BURST"
  stop_all
}

bench_metrics_fold() {
  start_redis
  start_kasoku fold metrics 1
  driver MetricsFoldDriver -Dmembers="127.0.0.1:$CLUSTER_PORT" -Dport="$DRIVER_PORT" -Dpid="$KASOKU_PID" \
    -Dredis="redis://127.0.0.1:$REDIS_PORT" -DredisPid="$REDIS_PID" -Dedges="$FOLD_EDGES" -Dtenants="$FOLD_TENANTS" \
    -Dseconds="$SECONDS_" -Dwarmup="$WARMUP"
  stop_all
}

# wrk hot hits of one monolith: sets EDGE_RESULT to "requests/s cpu_us_per_request"
edge_run() { # name roles
  start_kasoku "$1" "$2" 0
  local key host="www.hot.example"
  key=$(create_tenant hot)
  curl -sf -X PUT "http://127.0.0.1:$API_PORT/v1/tenants/hot/sites/www" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' \
    -d "{\"hostnames\": [\"$host\"], \"origins\": [{\"url\": \"http://127.0.0.1:$ORIGIN_PORT\"}], \"defaultTtl\": \"1h\"}" >/dev/null
  local verdict=""
  for _ in $(seq 100); do
    verdict=$(curl -s -o /dev/null -D - -H "Host: $host" "http://127.0.0.1:$EDGE_PORT/hot1k" | tr -d '\r' \
      | awk -F': ' 'tolower($1) == "cache-status" {print $2}')
    [[ $verdict == *hit* ]] && break
    sleep 0.2
  done
  [[ $verdict == *hit* ]] || die "$1: /hot1k is not a hit through the edge (Cache-Status: $verdict)"
  wrk -t "$WRK_THREADS" -c "$WRK_CONNECTIONS" -d "${WARMUP}s" -H "Host: $host" "http://127.0.0.1:$EDGE_PORT/hot1k" >/dev/null
  local c0 c1 out rps
  c0=$(awk '{sub(/^.*\) /,""); print $12 + $13}' "/proc/$KASOKU_PID/stat")
  out=$(wrk -t "$WRK_THREADS" -c "$WRK_CONNECTIONS" -d "${SECONDS_}s" -H "Host: $host" "http://127.0.0.1:$EDGE_PORT/hot1k")
  c1=$(awk '{sub(/^.*\) /,""); print $12 + $13}' "/proc/$KASOKU_PID/stat")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  [[ -n $rps ]] || die "wrk printed no Requests/sec: $out"
  grep -q 'Non-2xx' <<<"$out" && log "WARNING: $1: $(grep 'Non-2xx' <<<"$out")"
  stop_pid "$KASOKU_PID"; forget_pid "$KASOKU_PID"
  EDGE_RESULT=$(awk -v r="$rps" -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v s="$SECONDS_" 'BEGIN { printf "%.0f %.1f", r, t * 1e6 / hz / (r * s) }')
}

start_origin() { # python's http.server over one 1 KiB file (the site's defaultTtl makes it cacheable)
  mkdir -p "$WORK/www"; head -c 1024 /dev/urandom >"$WORK/www/hot1k"
  python3 -m http.server "$ORIGIN_PORT" --bind 127.0.0.1 --directory "$WORK/www" >"$WORK/origin.log" 2>&1 &
  ORIGIN_PID=$!; PIDS+=("$ORIGIN_PID")
  for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/hot1k" && return 0; sleep 0.1; done
  die "origin did not start"
}

edge_cost() { # bench label roles_without target: EDGE_ROUNDS rounds of (on, off); the ratio of the summed rates
  local bench=$1 label=$2 without=$3 target=$4 r on_rps on_cpu off_rps off_cpu rounds=""
  local sum_on=0 sum_off=0 cpu_on=0 cpu_off=0
  command -v wrk >/dev/null || die "wrk missing (apt-get install -y wrk)"
  start_origin
  for r in $(seq "$EDGE_ROUNDS"); do
    edge_run "$bench-on-$r" "$ALL_ROLES"; read -r on_rps on_cpu <<<"$EDGE_RESULT"
    edge_run "$bench-off-$r" "$without"; read -r off_rps off_cpu <<<"$EDGE_RESULT"
    rounds+="$(awk -v a="$on_rps" -v b="$off_rps" 'BEGIN { printf " %.3f", a / b }')"
    sum_on=$((sum_on + on_rps)); sum_off=$((sum_off + off_rps))
    cpu_on=$(awk -v a="$cpu_on" -v b="$on_cpu" 'BEGIN { print a + b }'); cpu_off=$(awk -v a="$cpu_off" -v b="$off_cpu" 'BEGIN { print a + b }')
  done
  stop_all
  awk -v b="$bench" -v l="$label" -v on="$sum_on" -v off="$sum_off" -v con="$cpu_on" -v coff="$cpu_off" -v n="$EDGE_ROUNDS" \
    -v rounds="$rounds" -v t="$WRK_THREADS" -v c="$WRK_CONNECTIONS" -v s="$SECONDS_" -v w="$WARMUP" -v target="$4" \
    'BEGIN { printf "RESULT %s: hot 1 KiB hits, %s on %.0f req/s (%.1f us CPU/req) vs off %.0f req/s (%.1f us CPU/req) = %.3fx (rounds:%s; wrk -t%s -c%s %ss after %ss warm-up, each run a fresh process; target %s)\n",
      b, l, on / n, con / n, off / n, coff / n, on / off, rounds, t, c, s, w, target }' | tee -a "$RESULTS"
}

bench_edge_logging_cost() {
  edge_cost edge-logging-cost "logging" "cache-edge,purge,auth,config,metrics,portal" ">= 0.97x"
}

bench_metrics_counter_cost() {
  edge_cost metrics-counter-cost "metrics" "cache-edge,purge,auth,config,logging,portal" ">= 0.98x"
}

# ---------------------------------------------------------------- run
[[ $# -gt 0 ]] || { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
BENCHES=()
for b in "$@"; do
  case $b in
    all) BENCHES+=(logging-intake download sink-latency edge-logging-cost metrics-counter-cost metrics-fold live-view);;
    logging-intake|download|sink-latency|edge-logging-cost|metrics-counter-cost|metrics-fold|live-view) BENCHES+=("$b");;
    *) die "unknown bench '$b' (logging-intake download sink-latency edge-logging-cost metrics-counter-cost metrics-fold live-view all)";;
  esac
done
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  log "building launcher/target/kasoku.jar and bench/target/kasoku-bench.jar (mvn -pl launcher,bench -am package -DskipTests)"
  (cd "$ROOT" && mvn -B -q -pl launcher,bench -am package -DskipTests) || die "build failed"
fi
[[ -f $JAR && -f $BENCH_JAR ]] || die "missing $JAR or $BENCH_JAR (build, or SKIP_BUILD=0)"
log "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); JVM options of the jar: $KASOKU_JAVA_OPTS"
for b in "${BENCHES[@]}"; do
  log "---- $b (${SECONDS_}s measured after ${WARMUP}s warm-up)"
  start=$(date +%s)
  "bench_${b//-/_}"
  log "---- $b took $(( $(date +%s) - start )) s"
done
echo
echo "Summary ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average at end $(cut -d' ' -f1-3 /proc/loadavg)):"
cat "$RESULTS"

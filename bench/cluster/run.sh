#!/usr/bin/env bash
# Peer fill (docs/cluster.md) measured on edges started from the shipped jar, as a user starts them:
# a control process (auth, config, purge, logging, metrics) and cache-edge processes clustered over
# Hazelcast on loopback with a Redis of the script's own, a site created through the public API whose
# origin is a counting origin (ClusterBench origin: its per-phase request counts are the ground truth).
#
#   1. offload    origin fetches per distinct key: OFFLOAD_KEYS keys of 1 KiB, each requested
#                 OFFLOAD_PASSES times, request j of key k through edge (k + j) mod n; with 3, 2 and 1
#                 peer-fill edges (the 3-edge cluster h1-h3 of the hop phase, shrunk by a SIGTERM at a
#                 time), and 3 edges with KASOKU_EDGE_PEER_FILL=off as the reference (independent
#                 caches: up to n); budgets of HOP_MEMORY_MB, so nothing is evicted
#   2. capacity   each edge's budget (EDGE_MEMORY_MB) holds a third of a Zipf(0.99) working set of
#                 CAP_KEYS keys of CAP_SIZE bytes: every key once, CAP_WARM warm-up draws, then
#                 CAP_REQUESTS measured draws round-robin over the edges; hit ratio = 1 - origin
#                 fetches / requests, for the 3-edge peer-fill cluster, 3 independent edges (peer fill
#                 off) and ONE edge with three times the budget (the same draws for all three)
#   3. hop        3 peer-fill edges (HOP_MEMORY_MB each): which keys each edge owns is found by asking
#                 the first edge (h1) for HOP_KEYS keys; then wrk through h1 on the keys it owns (local
#                 hits) and on keys h2 owns (peer hits: each key asked well under the 10/s hot-key
#                 threshold), at LAT_CONNECTIONS (latency p50/p99, one request at a time), at
#                 MID_CONNECTIONS and at CONNECTIONS (throughput), with the CPU per request of every
#                 edge from /proc/<pid>/stat and h1's peer outcome counters; then HOT_KEYS keys h2
#                 owns, hammered through h1: req/s once mirrored (after HOT_WARMUP)
# Every configuration starts from empty caches (fresh processes), so no count is skewed by what an
# earlier phase left in a full cache.
#
# Everything after the build runs holding the machine-wide lock (flock /tmp/kasoku-bench.lock): the
# counts are not timing-sensitive, but five JVMs would disturb anyone else's measurement. `uptime` is
# recorded before and after. The whole run takes about 6 minutes with the defaults; every process the
# script starts is stopped on exit, whatever the outcome (bench/lib.sh).
#
# Usage: bench/cluster/run.sh               (from anywhere; needs java, mvn, redis-server, wrk, curl, python3)
# Environment (defaults in brackets):
#   SKIP_BUILD [0]        1: reuse launcher/target/kasoku.jar and bench/target/kasoku-bench.jar as they are
#   EDGE_JAR [launcher/target/kasoku.jar]  the jar the nodes run (another build; the bench jar is still built unless SKIP_BUILD=1)
#   PHASES ["offload capacity hop"]
#   EDGE_JAVA_OPTS ["-Xms256m -Xmx512m -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError"]  of every node (five JVMs share the machine)
#   OFFLOAD_KEYS [1000] OFFLOAD_PASSES [5]
#   EDGE_MEMORY_MB [8]    each edge's KASOKU_EDGE_MEMORY in the capacity phase (the single big edge: 3x)
#   CAP_SIZE [4096] CAP_KEYS [3 x what one budget holds at CAP_SIZE + CAP_OVERHEAD bytes an object]
#   CAP_OVERHEAD [700]    the storage's per-object weight beyond the body (head, key, entry; measured, see the report)
#   CAP_WARM [20000] CAP_REQUESTS [20000] CAP_THREADS [4]
#   HOP_MEMORY_MB [64]    of the offload and hop edges (nothing evicted)
#   HOP_KEYS [15000] HOP_SIZE [1024] HOT_KEYS [8]
#   DURATION [10s] HOT_WARMUP [3s] THREADS [2] CONNECTIONS [32] MID_CONNECTIONS [4] LAT_CONNECTIONS [1]   wrk parameters
#   PORT_BASE [36000]     ports are taken from PORT_BASE up (free ones only), never above 36999
#   KEEP_WORKDIR [0]      1: keep the work directory (node logs, key lists) for inspection
# Prints a markdown report on stdout and writes it to bench/results/cluster-<timestamp>.md.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PHASES="${PHASES:-offload capacity hop}"
EDGE_JAVA_OPTS="${EDGE_JAVA_OPTS:--Xms256m -Xmx512m -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError}"
OFFLOAD_KEYS="${OFFLOAD_KEYS:-1000}"
OFFLOAD_PASSES="${OFFLOAD_PASSES:-5}"
EDGE_MEMORY_MB="${EDGE_MEMORY_MB:-8}"
CAP_SIZE="${CAP_SIZE:-4096}"
CAP_OVERHEAD="${CAP_OVERHEAD:-700}"
CAP_KEYS="${CAP_KEYS:-$(( 3 * (EDGE_MEMORY_MB << 20) / (CAP_SIZE + CAP_OVERHEAD) ))}"
CAP_WARM="${CAP_WARM:-20000}"
CAP_REQUESTS="${CAP_REQUESTS:-20000}"
CAP_THREADS="${CAP_THREADS:-4}"
HOP_MEMORY_MB="${HOP_MEMORY_MB:-64}"
HOP_KEYS="${HOP_KEYS:-15000}"
HOP_SIZE="${HOP_SIZE:-1024}"
HOT_KEYS="${HOT_KEYS:-8}"
DURATION="${DURATION:-10s}"
HOT_WARMUP="${HOT_WARMUP:-3s}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-32}"
LAT_CONNECTIONS="${LAT_CONNECTIONS:-1}"
MID_CONNECTIONS="${MID_CONNECTIONS:-4}"
PORT_BASE="${PORT_BASE:-36000}"
HOST_HEADER="www.cluster.bench.test"
OPERATOR="bench-operator-token-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
SECRET="bench-secret-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
CLK_TCK=$(getconf CLK_TCK)

for bin in java redis-server wrk curl python3; do command -v "$bin" >/dev/null || die "$bin is not installed"; done

# ---------------------------------------------------------------- build (outside the lock)
JAR="${EDGE_JAR:-$ROOT/launcher/target/kasoku.jar}"
BENCH_JAR="$ROOT/bench/target/kasoku-bench.jar"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  modules=bench; [[ -z "${EDGE_JAR:-}" ]] && modules=launcher,bench
  log "building $modules (mvn -B -q -o -pl $modules -am package -DskipTests)"
  (cd "$ROOT" && mvn -B -q -o -pl "$modules" -am package -DskipTests >/tmp/kasoku-cluster-bench-mvn.$$ 2>&1) \
    || die "build failed: $(tail -30 /tmp/kasoku-cluster-bench-mvn.$$)"
  rm -f /tmp/kasoku-cluster-bench-mvn.$$
fi
[[ -f "$JAR" ]] || die "no $JAR"
[[ -f "$BENCH_JAR" ]] || die "no $BENCH_JAR"

# ---------------------------------------------------------------- the lock, for everything else
log "waiting for /tmp/kasoku-bench.lock"
exec 9>>/tmp/kasoku-bench.lock
flock 9
UPTIME_BEFORE=$(uptime)
log "lock held; $UPTIME_BEFORE"

WORK=$(mktemp -d /dev/shm/kasoku-cluster-bench.XXXXXX)
mkdir -p "$WORK/logs" "$WORK/keys"
RESULTS="$WORK/results.md"
: >"$RESULTS"

# ---------------------------------------------------------------- ports: our range only
# Ports: picked from PORT_BASE up, free when probed. The range lies inside the kernel's ephemeral
# range (32768-60999), so an outgoing connection may take one of them as its source port between the
# probe and the bind: every node's ports are probed again just before it starts, and a node that
# could not bind is started again on fresh ones.
NODES="control a1 a2 a3 i1 i2 i3 big o1 o2 o3 h1 h2 h3"
NEXT_PORT=$PORT_BASE
FREE=()
free_ports() { # count: FREE=(that many free ports), from NEXT_PORT up, wrapping within PORT_BASE-36999
  local line
  line=$(python3 - "$NEXT_PORT" "$PORT_BASE" "$1" <<'PY'
import socket, sys
start, base, need = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
out, p, tried = [], start, 0
while len(out) < need and tried <= 37000 - base:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); out.append(str(p))
    except OSError:
        pass
    finally:
        s.close()
    p, tried = (p + 1 if p < 36999 else base), tried + 1
print(p, " ".join(out))
PY
)
  read -r -a FREE <<<"$line"
  NEXT_PORT=${FREE[0]}; FREE=("${FREE[@]:1}")
  (( ${#FREE[@]} == $1 )) || die "not $1 free ports left in $PORT_BASE-36999"
}
is_free() { python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.close()' "$1" 2>/dev/null; }
declare -A API EDGE TLS CPORT EBPORT PPORT PID TRIES
MEMBERS=""
for n in $NODES; do
  free_ports 6
  API[$n]=${FREE[0]}; EDGE[$n]=${FREE[1]}; TLS[$n]=${FREE[2]}; CPORT[$n]=${FREE[3]}; EBPORT[$n]=${FREE[4]}; PPORT[$n]=${FREE[5]}
  MEMBERS="${MEMBERS:+$MEMBERS,}127.0.0.1:${CPORT[$n]}"
done
free_ports 2; REDIS_PORT=${FREE[0]}; ORIGIN_PORT=${FREE[1]}
log "ports from $PORT_BASE; origin $ORIGIN_PORT, redis $REDIS_PORT"

repick_ports() { # node: any of its ports taken since it was picked is replaced by a free one
  local n=$1 v
  for v in API EDGE TLS CPORT EBPORT PPORT; do
    local -n map=$v
    if ! is_free "${map[$n]}"; then free_ports 1; log "$n: port ${map[$n]} taken meanwhile, using ${FREE[0]}"; map[$n]=${FREE[0]}; fi
  done
}

bench_java() { java -Xmx256m -cp "$BENCH_JAR" dev.kasoku.bench.ClusterBench "$@"; }

# ---------------------------------------------------------------- Redis and the origin
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" \
  >"$WORK/logs/redis.log" 2>&1 9>&- &
PIDS+=($!)
java -Xmx256m -cp "$BENCH_JAR" dev.kasoku.bench.ClusterBench origin --port "$ORIGIN_PORT" >"$WORK/logs/origin.log" 2>&1 9>&- &
ORIGIN_PID=$!; PIDS+=("$ORIGIN_PID")
for _ in $(seq 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/_stats/x" && redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/_stats/x" || die "origin did not start: $(cat "$WORK/logs/origin.log")"

# ---------------------------------------------------------------- the nodes
declare -A ARGS
start_node() { # name roles [KEY=value...]: the jar with the settings a clustered deployment gives it
  local n=$1 roles=$2; shift 2
  ARGS[$n]="$roles $*"
  TRIES[$n]=$(( ${TRIES[$n]:-0} + 1 ))
  repick_ports "$n"
  # only the settings below reach it (the launcher refuses unknown KASOKU_* names)
  # shellcheck disable=SC2046
  env $(env | awk -F= '/^KASOKU_/ {printf "-u %s ", $1}') \
    KASOKU_SERVICES="$roles" KASOKU_NODE_ID="$n" KASOKU_CLUSTER=true KASOKU_CLUSTER_HOST=127.0.0.1 \
    KASOKU_CLUSTER_PORT="${CPORT[$n]}" KASOKU_CLUSTER_MEMBERS="$MEMBERS" KASOKU_EVENTBUS_PORT="${EBPORT[$n]}" \
    KASOKU_PEER_PORT="${PPORT[$n]}" KASOKU_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" \
    KASOKU_DATA_DIR="$WORK/data/$n" KASOKU_BIND_ADDRESS=127.0.0.1 KASOKU_API_PORT="${API[$n]}" \
    KASOKU_EDGE_PORT="${EDGE[$n]}" KASOKU_EDGE_TLS_PORT="${TLS[$n]}" KASOKU_SECRET_KEY="$SECRET" \
    KASOKU_BOOTSTRAP_TOKEN="$OPERATOR" KASOKU_ALLOWED_ORIGIN_NETWORKS=127.0.0.0/8 KASOKU_SHUTDOWN_GRACE=2s "$@" \
    java $EDGE_JAVA_OPTS -jar "$JAR" >"$WORK/logs/$n.log" 2>&1 9>&- &
  PID[$n]=$!; PIDS+=("$!")
}

await_ready() { # names...: /readyz 200 on each, within 180 s
  local n
  for n in "$@"; do
    for _ in $(seq 1800); do
      curl -sf -o /dev/null -m 2 "http://127.0.0.1:${API[$n]}/readyz" && continue 2
      if ! kill -0 "${PID[$n]}" 2>/dev/null; then
        if grep -q 'Address already in use' "$WORK/logs/$n.log" && (( TRIES[$n] < 3 )); then
          log "$n could not bind a port; starting it again"
          mv "$WORK/logs/$n.log" "$WORK/logs/$n.${TRIES[$n]}.log"
          # shellcheck disable=SC2086
          start_node "$n" ${ARGS[$n]}
          continue
        fi
        die "$n exited: $(tail -40 "$WORK/logs/$n.log")"
      fi
      sleep 0.1
    done
    die "$n not ready in 180 s: $(tail -40 "$WORK/logs/$n.log")"
  done
}

await_site() { # names...: each edge serves the site (the config reached it)
  local n
  for n in "$@"; do
    for i in $(seq 600); do
      [[ $(curl -s -o /dev/null -w '%{http_code}' -m 5 -H "Host: $HOST_HEADER" "http://127.0.0.1:${EDGE[$n]}/warm/32/$n-$i") == 200 ]] && continue 2
      sleep 0.1
    done
    die "$n never served $HOST_HEADER: $(tail -40 "$WORK/logs/$n.log")"
  done
}

stop_node() { stop_pid "${PID[$1]}"; log "$1 stopped"; }

edge_ports() { local n out=""; for n in "$@"; do out="${out:+$out,}${EDGE[$n]}"; done; echo "$out"; }
csv() { local IFS=,; echo "$*"; }

metric() { # node regex: the sum of the values of the /metrics lines that match
  curl -sf -m 5 "http://127.0.0.1:${API[$1]}/metrics" | awk -v re="$2" '$0 ~ re && $1 !~ /^#/ { s += $NF } END { printf "%.0f", s }'
}

cpu_ticks() { # pid: utime + stime so far, clock ticks
  awk '{sub(/^.*\) /,""); print $12 + $13}' "/proc/$1/stat"
}

result_field() { # line key
  sed -n "s/.*[ ]$2=\([^ ]*\).*/\1/p" <<<" $1"
}

start_node control "auth,config,purge,logging,metrics"
await_ready control
API_BASE="http://127.0.0.1:${API[control]}"
answer=$(curl -sf -X POST "$API_BASE/v1/tenants" -H "Authorization: Bearer $OPERATOR" \
  -H 'Content-Type: application/json' -d '{"name": "Cluster bench", "id": "clusterbench"}') || die "tenant creation refused"
TENANT_KEY=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["adminApiKey"])' <<<"$answer")
curl -sf -o /dev/null -X PUT "$API_BASE/v1/tenants/clusterbench/sites/www" -H "Authorization: Bearer $TENANT_KEY" \
  -H 'Content-Type: application/json' \
  -d "{\"hostnames\": [\"$HOST_HEADER\"], \"origins\": [{\"url\": \"http://127.0.0.1:$ORIGIN_PORT\"}]}" || die "site refused"
log "control up; tenant clusterbench, site $HOST_HEADER -> origin :$ORIGIN_PORT"

start_cluster() { # memory_mb peer_fill names...: starts the edges, waits for ready, site and (peer fill on) membership
  local mem=$1 fill=$2; shift 2
  local n t0=$SECONDS
  for n in "$@"; do start_node "$n" cache-edge KASOKU_EDGE_MEMORY="$mem" KASOKU_EDGE_PEER_FILL="$fill"; done
  await_ready "$@"; await_site "$@"
  if [[ $fill == on && $# -gt 1 ]]; then
    bench_java members --edges "$(edge_ports "$@")" --names "$(csv "$@")" --host "$HOST_HEADER" --timeout 90 >/dev/null \
      || die "membership of $* never complete"
  fi
  log "edges $* up (KASOKU_EDGE_MEMORY=$mem, KASOKU_EDGE_PEER_FILL=$fill) in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------- 1. offload
OUTCOMES="hit fill not-here purged unreachable timeout refused protocol"
peer_outcomes() { # node: "hit=n fill=n ..." of kasoku_edge_peer_requests_total so far
  local page o out=""
  page=$(curl -sf -m 5 "http://127.0.0.1:${API[$1]}/metrics")
  for o in $OUTCOMES; do
    out="$out $o=$(awk -v re="^kasoku_edge_peer_requests_total.*outcome=\"$o\"" '$0 ~ re { s += $NF } END { printf "%.0f", s }' <<<"$page")"
  done
  echo "${out# }"
}

offload() { # label peer_fill names...
  local label=$1 fill=$2; shift 2
  local n o before=() after=() i=0 deltas=""
  for n in "$@"; do before+=("$(peer_outcomes "$n")"); done
  local out; out=$(bench_java rr --edges "$(edge_ports "$@")" --host "$HOST_HEADER" --origin "$ORIGIN_PORT" \
    --prefix "/o$label/1024/" --keys "$OFFLOAD_KEYS" --passes "$OFFLOAD_PASSES")
  for n in "$@"; do after+=("$(peer_outcomes "$n")"); done
  # the peer outcome counters of the requesting edges, summed: why a non-owner went to the origin
  for o in $OUTCOMES; do
    local sum=0
    for i in "${!before[@]}"; do sum=$(( sum + $(result_field "${after[$i]}" "$o") - $(result_field "${before[$i]}" "$o") )); done
    deltas="$deltas peer_$o=$sum"
  done
  grep '^FAILURE\|^SLOW' <<<"$out" >&2 || true
  local line; line="$(grep '^RESULT' <<<"$out")$deltas"
  log "offload $label ($# edges, peer fill $fill): $line"
  printf 'offload\t%s\t%s\t%s\t%s\n' "$label" "$#" "$fill" "$line" >>"$WORK/rows.tsv"
}

# ---------------------------------------------------------------- 2. capacity
capacity() { # label what names...
  local label=$1 what=$2; shift 2
  local out; out=$(bench_java zipf --edges "$(edge_ports "$@")" --host "$HOST_HEADER" --origin "$ORIGIN_PORT" \
    --prefix "/c$label/$CAP_SIZE/" --keys "$CAP_KEYS" --warm "$CAP_WARM" --requests "$CAP_REQUESTS" --threads "$CAP_THREADS")
  grep '^FAILURE\|^SLOW' <<<"$out" >&2 || true
  local line n objects=0 bytes=0 mirrored=0 budget=0 held=""
  line=$(grep '^RESULT' <<<"$out")
  for n in "$@"; do
    local o b m
    o=$(metric "$n" '^kasoku_edge_objects'); b=$(metric "$n" '^kasoku_edge_stored_bytes')
    m=$(metric "$n" '^kasoku_edge_peer_mirrored_total'); budget=$(metric "$n" '^kasoku_edge_storage_budget_bytes')
    objects=$((objects + o)); bytes=$((bytes + b)); mirrored=$((mirrored + m)); held="${held:+$held,}$n:$o"
  done
  log "capacity $label ($what): $line; objects held:$held; mirrored $mirrored"
  printf 'capacity\t%s\t%s\t%s\t%s objects=%s stored_bytes=%s mirrored=%s budget_each=%s held=%s\n' "$label" "$#" "$what" "$line" \
    "$objects" "$bytes" "$mirrored" "$budget" "$held" >>"$WORK/rows.tsv"
}

# ---------------------------------------------------------------- 3. the hop
run_wrk() { # node paths_file connections duration: wrk with THREADS threads (one when connections < THREADS)
  local t=$THREADS; (( $3 < t )) && t=$3
  BENCH_PATHS=$2 BENCH_HOST=$HOST_HEADER BENCH_THREADS=$t \
    wrk -t "$t" -c "$3" -d "$4" --timeout 5s -H "Host: $HOST_HEADER" -s "$HERE/paths.lua" \
    "http://127.0.0.1:${EDGE[$1]}/" 2>&1 9>&-
}

hop_run() { # label paths_file connections: wrk through h1, CPU of every edge, peer outcomes at h1, origin fetches
  local label=$1 file=$2 conns=$3
  local c1 c2 c3 p0 p1 m0 m1 o0 o1 out line o deltas=""
  c1=$(cpu_ticks "${PID[h1]}"); c2=$(cpu_ticks "${PID[h2]}"); c3=$(cpu_ticks "${PID[h3]}")
  p0=$(peer_outcomes h1); m0=$(metric h1 '^kasoku_edge_peer_mirrored_total')
  o0=$(curl -sf "http://127.0.0.1:$ORIGIN_PORT/_stats/h" | sed 's/fetches=\([0-9]*\).*/\1/')
  out=$(run_wrk h1 "$file" "$conns" "$DURATION")
  c1=$(( $(cpu_ticks "${PID[h1]}") - c1 )); c2=$(( $(cpu_ticks "${PID[h2]}") - c2 )); c3=$(( $(cpu_ticks "${PID[h3]}") - c3 ))
  p1=$(peer_outcomes h1); m1=$(metric h1 '^kasoku_edge_peer_mirrored_total')
  o1=$(curl -sf "http://127.0.0.1:$ORIGIN_PORT/_stats/h" | sed 's/fetches=\([0-9]*\).*/\1/')
  line=$(grep '^BENCH ' <<<"$out" || true)
  [[ -n $line ]] || die "wrk produced no summary for $label: $out"
  for o in $OUTCOMES; do
    deltas="$deltas peer_$o=$(( $(result_field "$p1" "$o") - $(result_field "$p0" "$o") ))"
  done
  local requests; requests=$(result_field "$line" requests)
  local us; us=$(awk -v a="$c1" -v b="$c2" -v c="$c3" -v hz="$CLK_TCK" -v n="$requests" \
    'BEGIN { f = n ? 1e6 / hz / n : 0; printf "cpu_h1_us=%.1f cpu_h2_us=%.1f cpu_h3_us=%.1f cpu_all_us=%.1f", a*f, b*f, c*f, (a+b+c)*f }')
  local row="${line#BENCH } $us${deltas} mirrored=$((m1 - m0)) origin=$((o1 - o0)) connections=$conns"
  log "hop $label: $row"
  printf 'hop\t%s\t%s\n' "$label" "$row" >>"$WORK/rows.tsv"
}

: >"$WORK/rows.tsv"
has() { [[ " $PHASES " == *" $1 "* ]]; }
# Every configuration starts empty, and no count runs on an edge whose cache an earlier phase filled:
# W-TinyLFU would then refuse a new key in favour of the old frequent ones (a key fetched again), which
# is the storage's admission at work, not peer fill.
if has capacity; then
  start_cluster "${EDGE_MEMORY_MB}m" on a1 a2 a3
  capacity cluster "3 edges, peer fill on" a1 a2 a3
  for n in a1 a2 a3; do stop_pid "${PID[$n]}"; done
fi
# the independent edges, the big one and the offload reference: peer fill off, so none routes to another
if has capacity || has offload; then
  off_nodes=""
  has capacity && off_nodes="i1 i2 i3"
  has offload && off_nodes="$off_nodes o1 o2 o3"
  has capacity && start_cluster "${EDGE_MEMORY_MB}m" off i1 i2 i3
  has capacity && start_cluster "$((3 * EDGE_MEMORY_MB))m" off big
  has offload && start_cluster "${HOP_MEMORY_MB}m" off o1 o2 o3
  has capacity && capacity independent "3 independent edges, peer fill off" i1 i2 i3
  has capacity && capacity single "1 edge, 3x the budget" big
  has offload && offload 3off off o1 o2 o3
  for n in $off_nodes big; do [[ -n "${PID[$n]:-}" ]] && stop_pid "${PID[$n]}"; done
fi

if has hop || has offload; then
  start_cluster "${HOP_MEMORY_MB}m" on h1 h2 h3
  has offload && offload 3 on h1 h2 h3
fi
if has hop; then
  out=$(bench_java discover --edge "${EDGE[h1]}" --host "$HOST_HEADER" --prefix "/h/$HOP_SIZE/" --keys "$HOP_KEYS" --out "$WORK/keys")
  grep '^FAILURE\|^SLOW' <<<"$out" >&2 || true
  log "hop: key owners seen through h1: $(grep '^RESULT' <<<"$out")"
  [[ -s $WORK/keys/self.paths && -s $WORK/keys/h2.paths ]] || die "no key lists for h1/h2: $out"
  head -n "$HOT_KEYS" "$WORK/keys/h2.paths" >"$WORK/keys/hot.paths"
  tail -n +"$((HOT_KEYS + 1))" "$WORK/keys/h2.paths" >"$WORK/keys/peer.paths"
  LOCAL_PATHS=$(wc -l <"$WORK/keys/self.paths"); PEER_PATHS=$(wc -l <"$WORK/keys/peer.paths")
  log "hop: $LOCAL_PATHS keys h1 owns, $PEER_PATHS keys h2 owns (+ $HOT_KEYS hot); JIT warm-up"
  # the first runs only warm the JIT of both paths (and are not reported)
  run_wrk h1 "$WORK/keys/self.paths" "$CONNECTIONS" 5s >/dev/null
  run_wrk h1 "$WORK/keys/peer.paths" "$MID_CONNECTIONS" 5s >/dev/null
  hop_run local-latency "$WORK/keys/self.paths" "$LAT_CONNECTIONS"
  hop_run peer-latency "$WORK/keys/peer.paths" "$LAT_CONNECTIONS"
  hop_run local-throughput "$WORK/keys/self.paths" "$CONNECTIONS"
  hop_run peer-throughput "$WORK/keys/peer.paths" "$MID_CONNECTIONS"
  hop_run peer-throughput "$WORK/keys/peer.paths" "$CONNECTIONS"
  run_wrk h1 "$WORK/keys/hot.paths" "$CONNECTIONS" "$HOT_WARMUP" >/dev/null
  hop_run hot-mirrored "$WORK/keys/hot.paths" "$CONNECTIONS"
fi
if has offload; then
  stop_node h3
  bench_java members --edges "$(edge_ports h1 h2)" --names h1,h2 --absent h3 --host "$HOST_HEADER" >/dev/null \
    || die "h3 still routed to after its stop"
  offload 2 on h1 h2
  stop_node h2
  bench_java members --edges "$(edge_ports h1)" --names h1 --absent h2 --host "$HOST_HEADER" >/dev/null \
    || die "h2 still routed to after its stop"
  offload 1 on h1
fi

UPTIME_AFTER=$(uptime)

# ---------------------------------------------------------------- report
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
f() { result_field "$1" "$2"; }
{
  echo "# Peer fill (bench/cluster) $STAMP"
  echo
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB."
  echo "Before: $UPTIME_BEFORE"
  echo "After:  $UPTIME_AFTER"
  echo "Nodes: java $EDGE_JAVA_OPTS -jar $(basename "$JAR"); $(java -version 2>&1 | head -1)."
  if grep -q '^offload' "$WORK/rows.tsv"; then
    echo
    echo "Origin offload: $OFFLOAD_KEYS keys of 1 KiB, $OFFLOAD_PASSES requests each, request j of key k through edge (k + j) mod n."
    echo
    echo "| edges | peer fill | requests | failed | origin fetches | per key | most for one key | local hit | peer hit | peer fill | miss | peer failures, not-here, purged |"
    echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    while IFS=$'\t' read -r _ _ n fill line; do
      echo "| $n | $fill | $(f "$line" requests) | $(f "$line" failed) | $(f "$line" fetches) | $(f "$line" per_key) | $(f "$line" max_per_key) | $(f "$line" local_hit) | $(f "$line" peer_hit) | $(f "$line" peer_fill) | $(f "$line" miss) | $(( $(f "$line" peer_unreachable) + $(f "$line" peer_timeout) + $(f "$line" peer_refused) + $(f "$line" peer_protocol) )), $(f "$line" peer_not-here), $(f "$line" peer_purged) |"
    done < <(grep '^offload' "$WORK/rows.tsv")
  fi
  if grep -q '^capacity' "$WORK/rows.tsv"; then
    echo
    echo "Capacity: $CAP_KEYS keys of $CAP_SIZE B, Zipf 0.99; every key once, $CAP_WARM warm-up draws, $CAP_REQUESTS measured draws (the same for each), round-robin; budget ${EDGE_MEMORY_MB}m an edge, $((3 * EDGE_MEMORY_MB))m for the single one."
    echo
    echo "| configuration | requests | failed | origin fetches | hit ratio (origin) | hit ratio (Cache-Status) | local hit | peer hit | peer fill | miss | objects held | B/object | mirrored |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"
    while IFS=$'\t' read -r _ label _ what line; do
      echo "| $what | $(f "$line" requests) | $(f "$line" failed) | $(f "$line" fetches) | $(f "$line" hit_ratio) | $(f "$line" client_hit_ratio) | $(f "$line" local_hit) | $(f "$line" peer_hit) | $(f "$line" peer_fill) | $(f "$line" miss) | $(f "$line" held | tr , ' ') ($(f "$line" objects)) | $(awk -v b="$(f "$line" stored_bytes)" -v o="$(f "$line" objects)" 'BEGIN { printf "%.0f", o ? b / o : 0 }') | $(f "$line" mirrored) |"
    done < <(grep '^capacity' "$WORK/rows.tsv")
    awk -F'\t' '$1 == "capacity" { match($5, /hit_ratio=[0-9.]+/); h[$2] = substr($5, RSTART + 10, RLENGTH - 10) }
      END { if (h["single"] > 0) printf "\nCluster / one edge with 3x the budget: %.3fx (goal >= 0.9x); independent / one edge: %.3fx.\n", h["cluster"] / h["single"], h["independent"] / h["single"] }' "$WORK/rows.tsv"
  fi
  if grep -q '^hop' "$WORK/rows.tsv"; then
    echo
    echo "The hop: wrk -t$THREADS through h1, $DURATION a run; local = keys h1 owns ($LOCAL_PATHS), peer = keys h2 owns ($PEER_PATHS, each asked well under the 10/s hot threshold), hot = $HOT_KEYS keys h2 owns after $HOT_WARMUP of mirroring. CPU per request from /proc/<pid>/stat of each edge."
    echo
    echo "| run | connections | req/s | p50 ms | p99 ms | errors | peer hits at h1 | peer failures at h1 | mirrored | origin | CPU µs/req h1 | h2 | h3 | all edges |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    while IFS=$'\t' read -r _ label line; do
      errs=$(( $(f "$line" err_connect) + $(f "$line" err_read) + $(f "$line" err_write) + $(f "$line" err_status) + $(f "$line" err_timeout) ))
      echo "| $label | $(f "$line" connections) | $(f "$line" rps | cut -d. -f1) | $(awk -v x="$(f "$line" p50_us)" 'BEGIN{printf "%.2f", x/1000}') | $(awk -v x="$(f "$line" p99_us)" 'BEGIN{printf "%.2f", x/1000}') | $errs | $(f "$line" peer_hit) | $(( $(f "$line" peer_unreachable) + $(f "$line" peer_timeout) + $(f "$line" peer_refused) + $(f "$line" peer_protocol) )) | $(f "$line" mirrored) | $(f "$line" origin) | $(f "$line" cpu_h1_us) | $(f "$line" cpu_h2_us) | $(f "$line" cpu_h3_us) | $(f "$line" cpu_all_us) |"
    done < <(grep '^hop' "$WORK/rows.tsv")
  fi
} >"$RESULTS"
mkdir -p "$ROOT/bench/results"
cp "$RESULTS" "$ROOT/bench/results/cluster-$STAMP.md"
echo
cat "$RESULTS"
log "written to bench/results/cluster-$STAMP.md"

#!/usr/bin/env bash
# HTTPS comparison: the Kasoku edge vs nginx proxy_cache, both terminating TLS with the same ECDSA P-256
# certificate in front of the same origin, one machine, the same wrk load.
#
# Starts on loopback: an origin (nginx serving a generated 1 KiB file), nginx with TLS and proxy_cache,
# and Kasoku as a user runs it: the shipped launcher/target/kasoku.jar with the README's JVM settings,
# every role in one JVM (embedded store), then configured through the public API only: the operator
# creates a tenant, the tenant's admin key PUTs a site whose origin is the loopback nginx and whose
# "tls" holds the certificate and key (KASOKU_EDGE_TLS_PROVIDER as given, default auto). Then, for each
# server:
#   keepalive   wrk -t$THREADS -c$CONNECTIONS on kept-alive connections: cached 1 KiB hits over TLS
#   handshake   the same with "Connection: close": one new connection, so one full TLS handshake, per
#               request (wrk never resumes a session), i.e. handshakes per second
# and prints a markdown table (req/s, p50/p99 latency, server CPU µs per request) with the ratios
# Kasoku/nginx, also written to bench/results/https-<timestamp>.md. The edge's start line (its TLS
# provider, its warm-up) and, when WARM_CURVE=1, a restart: the Kasoku process is stopped and started
# again on its data directory (its site and certificate come from its store, as after a deploy), and
# its keep-alive rate is logged second by second from /readyz on; the report gives the time from the
# launch to readiness and the first second at 90 % of the warm rate measured before.
#
# The site's host name is this machine's host name (SITE_HOST: a name wrk can resolve, and one a site
# may hold, so not "localhost"): wrk sends it as SNI and Host and the certificate names it, while
# every connection goes to 127.0.0.1 (bench.lua pins the address).
#
# Usage: bench/edge-https/run.sh            (from the repository root; needs root for apt-get)
# Environment (defaults in brackets):
#   THREADS [2] CONNECTIONS [64] DURATION [15s] WARMUP [10s]  wrk parameters, the same for every server
#   SERVER_WARMUP [20s]   keep-alive hits sent to each server once after start, before any scenario
#   SERVERS ["nginx kasoku"]  SCENARIOS ["keepalive handshake"]
#   NGINX_WORKERS [2]     nginx worker processes (one per core is nginx's advice)
#   EDGE_JAVA_OPTS ["-XX:+UseG1GC -XX:MaxRAMPercentage=40 -XX:+ExitOnOutOfMemoryError", the README's]
#   KASOKU_EDGE_TLS_PROVIDER [auto]  KASOKU_EDGE_WARMUP [the edge's default]  passed to the edge when set
#   WARM_CURVE [0]        1: restart the edge and log its keep-alive rate second by second (WARM_SECONDS [15])
#   SKIP_BUILD [0]        1: reuse launcher/target/kasoku.jar as it is
#   EDGE_JAR [launcher/target/kasoku.jar]  the jar to run (another build, to compare two; implies no build)
#   PORT_BASE [unset]     take the listeners' ports from PORT_BASE on (PORT_BASE..+5) instead of free ones
#   KEEP_WORKDIR [0]      1: keep the temporary directory (configs, logs)
# Every process this script starts is stopped on exit (trap EXIT), whatever the outcome.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
DURATION="${DURATION:-15s}"
WARMUP="${WARMUP:-10s}"
SERVER_WARMUP="${SERVER_WARMUP:-20s}"
SERVERS="${SERVERS:-nginx kasoku}"
SCENARIOS="${SCENARIOS:-keepalive handshake}"
NGINX_WORKERS="${NGINX_WORKERS:-2}"
EDGE_JAVA_OPTS="${EDGE_JAVA_OPTS:--XX:+UseG1GC -XX:MaxRAMPercentage=40 -XX:+ExitOnOutOfMemoryError}"
TLS_PROVIDER="${KASOKU_EDGE_TLS_PROVIDER:-auto}"
EDGE_WARMUP="${KASOKU_EDGE_WARMUP:-}"
WARM_CURVE="${WARM_CURVE:-0}"
SITE_HOST="${SITE_HOST:-$(hostname)}"

. "$HERE/../lib.sh"

wait_https() { # port pid: until GET /hot1k answers over TLS, the process died, or 60 s passed
  for _ in $(seq 600); do
    if curl -sk -o /dev/null -m 1 --resolve "$SITE_HOST:$1:127.0.0.1" "https://$SITE_HOST:$1/hot1k"; then return 0; fi
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}


# ---------------------------------------------------------------- install
need_install=0
for bin in nginx wrk openssl curl; do command -v "$bin" >/dev/null || need_install=1; done
if [[ $need_install == 1 ]]; then
  log "installing nginx, wrk, openssl and curl from the distribution's packages"
  [[ $(id -u) == 0 ]] || die "nginx/wrk/openssl/curl missing and not root: apt-get install -y nginx wrk openssl curl"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx wrk openssl curl >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
getent hosts "$SITE_HOST" >/dev/null || die "SITE_HOST $SITE_HOST does not resolve (wrk needs that); set SITE_HOST"

WORK=$(mktemp -d /dev/shm/kasoku-https-bench.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/www" "$WORK/logs" "$WORK/nginx-cache"
head -c 1024 /dev/urandom > "$WORK/www/hot1k"

# one ECDSA P-256 certificate for the site, served by both
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=$SITE_HOST" \
  -addext "subjectAltName=DNS:$SITE_HOST" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null \
  || die "openssl could not make the certificate"

if [[ -n ${PORT_BASE:-} ]]; then
  ORIGIN_PORT=$PORT_BASE; NGINX_PORT=$((PORT_BASE + 1)); KASOKU_PORT=$((PORT_BASE + 2))
  KASOKU_TLS_PORT=$((PORT_BASE + 3)); KASOKU_API_PORT=$((PORT_BASE + 4))
else
  ORIGIN_PORT=$(free_port); NGINX_PORT=$(free_port); KASOKU_PORT=$(free_port); KASOKU_TLS_PORT=$(free_port)
  KASOKU_API_PORT=$(free_port)
fi

cat > "$WORK/origin.conf" <<EOF
user root;
worker_processes 1;
pid $WORK/origin.pid;
error_log $WORK/logs/origin-error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 10000000; keepalive_timeout 120s;
  client_body_temp_path $WORK/tmp-origin-body;
  server {
    listen 127.0.0.1:$ORIGIN_PORT backlog=4096;
    root $WORK/www;
    location / { add_header Cache-Control "public, max-age=86400"; }
  }
}
EOF

# nginx: TLS with the same certificate, TLS 1.2 and 1.3 as the edge, HTTP/1.1 (what wrk speaks),
# proxy_cache on tmpfs, kept-alive origin connections
cat > "$WORK/nginx.conf" <<EOF
user root;
worker_processes $NGINX_WORKERS;
pid $WORK/nginx.pid;
error_log $WORK/logs/nginx-error.log warn;
events { worker_connections 8192; multi_accept on; }
http {
  access_log off;
  keepalive_requests 10000000; keepalive_timeout 120s;
  client_body_temp_path $WORK/tmp-nginx-body;
  proxy_temp_path $WORK/tmp-nginx-proxy;
  proxy_cache_path $WORK/nginx-cache levels=1:2 keys_zone=edge:64m max_size=1g inactive=1d use_temp_path=off;
  upstream origin { server 127.0.0.1:$ORIGIN_PORT; keepalive 128; }
  server {
    listen 127.0.0.1:$NGINX_PORT ssl backlog=4096;
    server_name $SITE_HOST;
    ssl_certificate $WORK/cert.pem;
    ssl_certificate_key $WORK/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host \$host;
    location / {
      proxy_pass http://origin;
      proxy_cache edge;
      proxy_cache_lock on;
      add_header X-Cache-Status \$upstream_cache_status always;
    }
  }
}
EOF

start_origin() {
  "$NGINX" -p "$WORK" -c "$WORK/origin.conf" -g 'daemon off;' >"$WORK/logs/origin.out" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 100); do curl -s -o /dev/null -m 1 "http://127.0.0.1:$ORIGIN_PORT/hot1k" && return 0; sleep 0.1; done
  die "origin did not start: $(cat "$WORK/logs/origin-error.log")"
}

start_nginx() {
  "$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -g 'daemon off;' >"$WORK/logs/nginx.out" 2>&1 &
  NGINX_PID=$!; PIDS+=("$NGINX_PID")
  wait_https "$NGINX_PORT" "$NGINX_PID" || die "nginx did not start: $(cat "$WORK/logs/nginx-error.log")"
}

python3 - "$WORK" "$SITE_HOST" "$ORIGIN_PORT" >"$WORK/kasoku-site.json" <<'EOF'
import json, sys
work, host, port = sys.argv[1:4]
print(json.dumps({"hostnames": [host], "origins": [{"url": "http://127.0.0.1:" + port}],
                  "tls": {"certificatePem": open(work + "/cert.pem").read(),
                          "privateKeyPem": open(work + "/key.pem").read()}}))
EOF
KASOKU_JAR="${EDGE_JAR:-$ROOT/launcher/target/kasoku.jar}"
SECRET="bench-https-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
OPERATOR_TOKEN="bench-operator-token-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

launch_kasoku() { # log_name: starts the jar on the bench's ports and data directory; sets KASOKU_PID
  local warm=()
  [[ -n $EDGE_WARMUP ]] && warm=(KASOKU_EDGE_WARMUP="$EDGE_WARMUP")
  LAUNCHED_AT=$(date +%s.%N)
  kasoku_launch "$WORK/logs/kasoku-$1.out" \
    KASOKU_EDGE_PORT="$KASOKU_PORT" KASOKU_EDGE_TLS_PORT="$KASOKU_TLS_PORT" KASOKU_API_PORT="$KASOKU_API_PORT" \
    KASOKU_EDGE_TLS_PROVIDER="$TLS_PROVIDER" KASOKU_EDGE_MEMORY=512m "${warm[@]}" \
    KASOKU_SECRET_KEY="$SECRET" KASOKU_BOOTSTRAP_TOKEN="$OPERATOR_TOKEN" KASOKU_BIND_ADDRESS=127.0.0.1 \
    KASOKU_ALLOWED_ORIGIN_NETWORKS=127.0.0.0/8 KASOKU_DATA_DIR="$WORK/kasoku-data"
  KASOKU_PID=$!; PIDS+=("$KASOKU_PID")
  kasoku_wait_ready "http://127.0.0.1:$KASOKU_API_PORT" "$KASOKU_PID" "$WORK/logs/kasoku-$1.out"
  READY_AFTER=$(awk -v a="$LAUNCHED_AT" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  EDGE_START_LINE=$(kasoku_start_line "$WORK/logs/kasoku-$1.out")
  log "kasoku ($1): ready ${READY_AFTER} s after launch; $EDGE_START_LINE"
}

start_kasoku() {
  kasoku_build_jar "$ROOT" "$WORK/logs/mvn.out"
  launch_kasoku main
  READY_FIRST=$READY_AFTER
  kasoku_create_site "http://127.0.0.1:$KASOKU_API_PORT" "$OPERATOR_TOKEN" bench https "$WORK/kasoku-site.json"
  # the site and its certificate are live once config.changed has been applied: the edge then
  # answers 200 for the host name with the site's certificate (curl checks it against cert.pem)
  for _ in $(seq 300); do
    if curl -sf -o /dev/null -m 1 --cacert "$WORK/cert.pem" --resolve "$SITE_HOST:$KASOKU_TLS_PORT:127.0.0.1" \
      "https://$SITE_HOST:$KASOKU_TLS_PORT/hot1k"; then return 0; fi
    sleep 0.1
  done
  die "kasoku does not serve the site with its certificate: $(tail -30 "$WORK/logs/kasoku-main.out")"
}

port_of() { case $1 in nginx) echo "$NGINX_PORT";; kasoku) echo "$KASOKU_TLS_PORT";; esac; }
pid_of() { case $1 in nginx) echo "$NGINX_PID";; kasoku) echo "$KASOKU_PID";; esac; }

cache_verdict() { # server: HIT or not, by the server's own header
  local hdrs
  hdrs=$(curl -sk -o /dev/null -D - --resolve "$SITE_HOST:$(port_of "$1"):127.0.0.1" \
    "https://$SITE_HOST:$(port_of "$1")/hot1k" | tr -d '\r')
  case $1 in
    nginx) awk 'tolower($1) == "x-cache-status:" {print toupper($2)}' <<<"$hdrs";;
    kasoku) awk 'tolower($1) == "cache-status:" { print (tolower($0) ~ /; *hit/) ? "HIT" : "NOT-HIT" }' <<<"$hdrs";;
  esac
}

run_wrk() { # server duration scenario
  local extra=()
  [[ $3 == handshake ]] && extra=(-H "Connection: close")
  BENCH_ADDR_PORT=$(port_of "$1") wrk -t "$THREADS" -c "$CONNECTIONS" -d "$2" --timeout 5s --latency "${extra[@]}" \
    -s "$HERE/bench.lua" "https://$SITE_HOST:$(port_of "$1")/hot1k" 2>&1
}

RESULTS="$WORK/rows.tsv"
: >"$RESULTS"
measure() { # scenario server
  local scenario=$1 server=$2 pid out c0 c1
  pid=$(pid_of "$server")
  run_wrk "$server" "$WARMUP" "$scenario" >/dev/null
  c0=$(cpu_ticks "$pid")
  out=$(run_wrk "$server" "$DURATION" "$scenario")
  c1=$(cpu_ticks "$pid")
  local line; line=$(grep '^BENCH ' <<<"$out" || true)
  [[ -n $line ]] || die "wrk produced no summary for $server/$scenario: $out"
  # shellcheck disable=SC2086
  local $(sed 's/^BENCH //' <<<"$line")
  local cpu; cpu=$(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v n="$requests" 'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$server" "$rps" "$p50_us" "$p99_us" "$errors" "$cpu" >>"$RESULTS"
  log "$(printf '%-9s %-6s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  errors %s  cpu %s us/req' "$scenario" "$server" \
    "$rps" "$(awk -v x="$p50_us" 'BEGIN{print x/1000}')" "$(awk -v x="$p99_us" 'BEGIN{print x/1000}')" "$errors" "$cpu")"
}

# A restart: the edge is stopped (SIGTERM, a graceful drain) and started again on its data directory,
# so its site and certificate come from its own store; then its keep-alive rate second by second from
# readiness on, to read how long it takes to reach 90 % of the warm rate measured above. Prints
# "second req/s" lines.
restart_kasoku() {
  stop_pid "$KASOKU_PID"
  launch_kasoku fresh
}
warm_curve() {
  local c0 c1 l n
  for s in $(seq 1 "${WARM_SECONDS:-15}"); do
    c0=$(cpu_ticks "$KASOKU_PID")
    l=$(BENCH_ADDR_PORT=$KASOKU_TLS_PORT wrk -t "$THREADS" -c "$CONNECTIONS" -d 1s --timeout 5s -s "$HERE/bench.lua" \
      "https://$SITE_HOST:$KASOKU_TLS_PORT/hot1k" 2>&1 | grep '^BENCH ' || true)
    c1=$(cpu_ticks "$KASOKU_PID")
    n=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$l")
    # req/s, and the edge's CPU µs per request in that second (what a loaded machine distorts least)
    echo "$s $(sed -n 's/.* rps=\([0-9.]*\).*/\1/p' <<<"$l") $(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v n="${n:-0}" \
      'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }')"
  done
}

# ---------------------------------------------------------------- run
log "ports: origin $ORIGIN_PORT nginx $NGINX_PORT kasoku $KASOKU_TLS_PORT (http $KASOKU_PORT, api $KASOKU_API_PORT)"
LOAD_BEFORE=$(uptime)
log "load before: $LOAD_BEFORE"
start_origin
for s in $SERVERS; do "start_$s"; done
for s in $SERVERS; do
  cache_verdict "$s" >/dev/null
  v=$(cache_verdict "$s"); [[ $v == HIT ]] || die "$s: second GET /hot1k over TLS is not a HIT ($v)"
done
log "cache check passed: /hot1k is a HIT over TLS on every server"
for s in $SERVERS; do
  log "$s: start-up warm-up, $SERVER_WARMUP of keep-alive hits"
  run_wrk "$s" "$SERVER_WARMUP" keepalive >/dev/null
done
for scenario in $SCENARIOS; do
  for s in $SERVERS; do measure "$scenario" "$s"; done
done
CURVE=""
if [[ $WARM_CURVE == 1 && " $SERVERS " == *" kasoku "* ]]; then
  log "restarted edge: keep-alive req/s per second after readiness"
  restart_kasoku
  CURVE=$(warm_curve)
fi
LOAD_AFTER=$(uptime)
log "load after: $LOAD_AFTER"

# ---------------------------------------------------------------- report
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$ROOT/bench/results"
REPORT="$ROOT/bench/results/https-$STAMP.md"
{
  echo "# HTTPS edge comparison $STAMP"
  echo
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB;" \
    "load average at end: $(cut -d' ' -f1-3 /proc/loadavg) (uptime before: $(sed 's/.*load average: //' <<<"$LOAD_BEFORE"))."
  echo "wrk $THREADS threads, $CONNECTIONS connections, $DURATION per run after a $WARMUP warm-up (and $SERVER_WARMUP per server after start);" \
    "one ECDSA P-256 certificate; a cached 1 KiB object; handshake = Connection: close, one full handshake per request."
  echo "Versions: $("$NGINX" -v 2>&1 | sed 's/.*: //') ($NGINX_WORKERS workers, $(openssl version | cut -d' ' -f1-2)), $(java -version 2>&1 | head -1); Kasoku JVM: $EDGE_JAVA_OPTS."
  [[ -n ${EDGE_START_LINE:-} ]] && echo "Kasoku ($(basename "$KASOKU_JAR"), ready ${READY_FIRST:-?} s after launch): $EDGE_START_LINE"
  echo
  echo "| scenario | server | req/s | p50 ms | p99 ms | errors | CPU µs/req |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  awk -F'\t' '{ printf "| %s | %s | %.0f | %.2f | %.2f | %d | %s |\n", $1, $2, $3, $4/1000, $5/1000, $6, $7 }' "$RESULTS"
  echo
  echo "Targets (issue 18, HTTPS), ratios from this run:"
  echo
  awk -F'\t' '{ rps[$1 "/" $2] = $3; p99[$1 "/" $2] = $5 }
    function line(name, k, ref) {
      if (!(k in rps) || !(ref in rps) || rps[ref] == 0) { printf "- %s: not measured\n", name; return }
      r = rps[k] / rps[ref]
      printf "- %s: %.2fx (target >= 1.0x) p99 %.2f ms vs %.2f ms -> %s\n", name, r, p99[k] / 1000, p99[ref] / 1000, r >= 1.0 ? "MET" : "NOT MET"
    }
    END {
      line("keep-alive HTTPS hits, Kasoku / nginx", "keepalive/kasoku", "keepalive/nginx")
      line("TLS handshakes per second, Kasoku / nginx", "handshake/kasoku", "handshake/nginx")
    }' "$RESULTS"
  if [[ -n $CURVE ]]; then
    echo
    warm=$(awk -F'\t' '$1 == "keepalive" && $2 == "kasoku" {printf "%.0f", $3}' "$RESULTS")
    warm_cpu=$(awk -F'\t' '$1 == "keepalive" && $2 == "kasoku" {print $7}' "$RESULTS")
    at90=$(awk -v w="$warm" '$2 >= 0.9 * w { print $1; exit }' <<<"$CURVE")
    # 90 % of the warm rate in CPU terms: at most warm CPU per request / 0.9
    cpu90=$(awk -v w="$warm_cpu" '$3 > 0 && $3 <= w / 0.9 { print $1; exit }' <<<"$CURVE")
    echo "Restarted edge (same data directory): ready ${READY_AFTER} s after launch. Each second after readiness:" \
      "second, keep-alive req/s, edge CPU µs per request (warm: $warm req/s, $warm_cpu µs/req)." \
      "First second at >= 90 % of the warm rate: ${at90:-not within the curve}; at <= warm CPU per request / 0.9:" \
      "${cpu90:-not within the curve}."
    echo
    echo '```'
    echo "$CURVE"
    echo '```'
  fi
} >"$REPORT"
echo
cat "$REPORT"
log "written to $REPORT"

# Shared helpers for the bench scripts; source it right after `set -euo pipefail`:
#   . "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"
#
# Gives log/die (timestamped lines on stderr), free_port (a loopback port the kernel says is free),
# and process cleanup: every pid a script appends to PIDS is sent TERM on exit, given STOP_GRACE_S
# seconds (default 5) to drain, then KILLed; WORK, when set to a directory, is removed on exit unless
# KEEP_WORKDIR=1. Sourcing installs the EXIT trap and turns INT/TERM into exit 130.

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

PIDS=()
WORK=""
STOP_GRACE_S="${STOP_GRACE_S:-5}"

stop_pid() { # pid: TERM, up to STOP_GRACE_S seconds for a drain, then KILL
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq $((STOP_GRACE_S * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

bench_cleanup() { # [rc]: the exit status to keep (a script's own EXIT trap that runs first passes it)
  local rc=${1:-$?} pid
  # TERM them all first so they drain side by side, then wait for each in turn
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  if [[ -n "$WORK" && -d "$WORK" ]]; then
    if [[ "${KEEP_WORKDIR:-0}" == 1 ]]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
  fi
  exit $rc
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- process CPU
# user+system clock ticks of a pid and its direct children (nginx workers, the Varnish cache child)
cpu_ticks() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    if [[ -r /proc/$p/stat ]]; then
      # fields after the ")" of comm: utime is field 14, stime 15 of the whole line
      total=$(( total + $(awk '{sub(/^.*\) /,""); print $12 + $13}' "/proc/$p/stat") ))
    fi
  done
  echo "$total"
}
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------- the shipped jar
# Kasoku as a user starts it: `java <opts> -jar kasoku.jar`, every role in one JVM, the embedded store,
# then configured through the public API only. The caller sets KASOKU_JAR (the jar) and EDGE_JAVA_OPTS
# (the README's JVM settings by default) and passes every KASOKU_* setting as NAME=value arguments;
# no other KASOKU_* variable of the caller's environment reaches the process (it refuses unknown names).

kasoku_build_jar() { # root log: builds launcher/target/kasoku.jar unless SKIP_BUILD=1 or EDGE_JAR is given
  if [[ "${SKIP_BUILD:-0}" != 1 && -z "${EDGE_JAR:-}" ]]; then
    log "building the jar (mvn -pl launcher -am package -DskipTests)"
    (cd "$1" && mvn -B -q -o -pl launcher -am package -DskipTests >"$2" 2>&1) || die "build failed: $(tail -30 "$2")"
  fi
  [[ -f "$KASOKU_JAR" ]] || die "no $KASOKU_JAR"
}

kasoku_launch() { # out_file NAME=value...: starts the jar in the background; the caller reads $!
  local out=$1; shift
  # shellcheck disable=SC2046,SC2086
  env $(env | awk -F= '/^KASOKU_/ {printf "-u %s ", $1}') "$@" \
    java $EDGE_JAVA_OPTS -jar "$KASOKU_JAR" >"$out" 2>&1 &
}

kasoku_wait_ready() { # api_url pid out_file: until /readyz answers 200 (60 s at most)
  for _ in $(seq 600); do
    if curl -sf -o /dev/null -m 1 "$1/readyz"; then return 0; fi
    kill -0 "$2" 2>/dev/null || die "kasoku exited: $(tail -30 "$3")"
    sleep 0.1
  done
  die "kasoku not ready after 60 s: $(tail -30 "$3")"
}

# Creates tenant $3 with the operator token and PUTs site $4 from the JSON file $5 with the tenant's
# first admin key, as a customer does (POST /v1/tenants, PUT /v1/tenants/{t}/sites/{s}).
kasoku_create_site() { # api_url operator_token tenant site site_json_file
  local answer key
  answer=$(curl -sf -X POST "$1/v1/tenants" -H "Authorization: Bearer $2" \
    -H 'Content-Type: application/json' -d "{\"name\": \"$3\", \"id\": \"$3\"}") || die "tenant creation refused"
  key=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["adminApiKey"])' <<<"$answer")
  local code
  code=$(curl -s -o "$5.answer" -w '%{http_code}' -X PUT "$1/v1/tenants/$3/sites/$4" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' --data-binary @"$5")
  [[ $code == 200 ]] || die "site refused ($code): $(cat "$5.answer")"
}

# the launcher's start line ("role cache-edge started: ... TLS provider ...") and readiness time
kasoku_start_line() { grep -o 'role cache-edge started: .*' "$1" | head -1; }

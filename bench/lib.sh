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

bench_cleanup() {
  local rc=$? pid
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

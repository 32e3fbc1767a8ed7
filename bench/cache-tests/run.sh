#!/usr/bin/env bash
# The public HTTP cache test suite (cache-tests.fyi, npm package http-cache-tests) through the edge.
#
# Fetches the suite from the npm registry into a temporary directory (never into the repository), or
# runs a local checkout given in SUITE_DIR, starts its origin server and the edge alone (dev.kasoku.cacheedge.EdgeServerMain from the bench jar,
# one site for CACHE_TESTS_HOST whose origin is the suite's server, default rules: origin Cache-Control
# honoured; the client resolves that name to 127.0.0.1 through loopback-name.cjs), runs the suite's command-line client against the edge and prints the required and
# optimal pass counts the way cache-tests.fyi scores them (a test whose dependency fails does not
# pass), then the failing required and optimal tests. The raw results JSON is kept in RESULTS.
#
# Usage: bench/cache-tests/run.sh             (from anywhere; needs node >= 14, npm, java, python3)
#        SUITE_DIR=/tmp/cache-tests-suite bench/cache-tests/run.sh
# The newest test set is not published to npm (npm has 0.4.5, an older set without the CDN-Cache-Control
# and interim-response groups); point SUITE_DIR at a checkout of github.com/http-tests/cache-tests to run
# it. Both layouts are understood: the npm one (server/, cli.mjs, lib/display.mjs) and the repository's
# newer one (test-engine/server, test-engine/cli.mjs, test-engine/lib/results.mjs). A checkout without
# node_modules gets its runtime dependencies from the npm registry (npm install --omit=dev, inside it).
# Environment (defaults in brackets):
#   SUITE_DIR [empty]   a local checkout of the suite to run instead of the npm package
#   CACHE_TESTS_VERSION [0.4.5]   the npm version of http-cache-tests (when SUITE_DIR is empty)
#   CACHE_TESTS_HOST [cache-tests.kasoku.test]   the site's hostname (localhost is reserved)
#   ORIGIN_PORT, EDGE_PORT [free ports]
#   RESULTS [bench/cache-tests/results.json]   where the suite's JSON results are written (not committed)
#   TEST_ID [empty]   run only this test and print its requests and responses (debugging a failure)
#   SKIP_BUILD [0]    set to 1 to reuse bench/target/kasoku-bench.jar as it is
#   KEEP_WORKDIR [0]  set to 1 to keep the temporary directory (suite, logs)
# Every process this script starts is stopped on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VERSION="${CACHE_TESTS_VERSION:-0.4.5}"
RESULTS="${RESULTS:-$HERE/results.json}"
TEST_ID="${TEST_ID:-}"
export CACHE_TESTS_HOST="${CACHE_TESTS_HOST:-cache-tests.kasoku.test}"
JAR="$ROOT/bench/target/kasoku-bench.jar"

. "$HERE/../lib.sh"
WORK="$(mktemp -d)"

wait_http() { # url pid [host]: until the url answers 200, the process died, or 30 s passed
  for _ in $(seq 300); do
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' -m 1 -H "Host: ${3:-127.0.0.1}" "$1")" == 200 ]]; then return 0; fi
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

ORIGIN_PORT="${ORIGIN_PORT:-$(free_port)}"
EDGE_PORT="${EDGE_PORT:-$(free_port)}"
mkdir -p "$WORK/logs"

if [[ -n "${SUITE_DIR:-}" ]]; then
  SUITE="$(cd "$SUITE_DIR" && pwd)" || die "no SUITE_DIR $SUITE_DIR"
  [[ -f "$SUITE/tests/index.mjs" ]] || die "$SUITE has no tests/index.mjs: not a checkout of http-tests/cache-tests"
  log "running the local checkout $SUITE"
  if [[ -d "$SUITE/test-engine" && ! -d "$SUITE/node_modules/node-fetch-with-proxy" ]]; then
    (cd "$SUITE" && npm install --silent --no-audit --no-fund --omit=dev >"$WORK/logs/npm.out" 2>&1) \
      || die "npm install failed: $(tail -20 "$WORK/logs/npm.out")"
  fi
else
  log "fetching http-cache-tests@$VERSION from the npm registry"
  (cd "$WORK" && npm pack --silent "http-cache-tests@$VERSION" >/dev/null && tar xzf http-cache-tests-*.tgz) \
    || die "npm pack failed"
  SUITE="$WORK/package"
  (cd "$SUITE" && npm install --silent --no-save --no-audit --no-fund --omit=dev node-fetch@2 >"$WORK/logs/npm.out" 2>&1) \
    || die "npm install failed: $(tail -20 "$WORK/logs/npm.out")"
fi
if [[ -d "$SUITE/test-engine" ]]; then # the repository's layout
  SERVER_JS=test-engine/server/server.mjs CLI_JS=test-engine/cli.mjs
else # the npm package's layout
  SERVER_JS=server/server.mjs CLI_JS=cli.mjs
fi

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  log "building the bench jar (mvn -pl bench -am package -DskipTests)"
  (cd "$ROOT" && mvn -B -q -o -pl bench -am package -DskipTests >"$WORK/logs/mvn.out" 2>&1) \
    || die "build failed: $(tail -30 "$WORK/logs/mvn.out")"
fi
[[ -f "$JAR" ]] || die "no $JAR"

log "suite origin on $ORIGIN_PORT, edge on $EDGE_PORT"
(cd "$SUITE" && exec env npm_config_port="$ORIGIN_PORT" npm_config_protocol=http npm_config_pidfile="$WORK/server.pid" \
  NODE_OPTIONS="--require $HERE/origin-keepalive.cjs" node --no-warnings "$SERVER_JS") >"$WORK/logs/origin.out" 2>&1 &
PIDS+=("$!")
wait_http "http://127.0.0.1:$ORIGIN_PORT/" "${PIDS[-1]}" || die "origin did not start: $(cat "$WORK/logs/origin.out")"

# only the KASOKU_* settings meant for the edge reach it (it refuses unknown KASOKU_* names)
# shellcheck disable=SC2046
env $(env | awk -F= '/^KASOKU_/ {printf "-u %s ", $1}') \
  KASOKU_EDGE_PORT="$EDGE_PORT" KASOKU_ALLOWED_ORIGIN_NETWORKS=127.0.0.0/8 KASOKU_DATA_DIR="$WORK/kasoku-data" \
  java -Xmx512m -cp "$JAR" dev.kasoku.cacheedge.EdgeServerMain "$CACHE_TESTS_HOST" "http://127.0.0.1:$ORIGIN_PORT" \
  >"$WORK/logs/edge.out" 2>&1 &
PIDS+=("$!")
wait_http "http://127.0.0.1:$EDGE_PORT/" "${PIDS[-1]}" "$CACHE_TESTS_HOST" \
  || die "edge did not start: $(tail -30 "$WORK/logs/edge.out")"

BASE="http://$CACHE_TESTS_HOST:$EDGE_PORT" # no trailing slash: the client appends "/config/..."
export NODE_OPTIONS="--require $HERE/loopback-name.cjs"
log "running the suite against $BASE"
if [[ -n "$TEST_ID" ]]; then
  (cd "$SUITE" && npm_config_base="$BASE" npm_config_id="$TEST_ID" npm_package_config_id="" node --no-warnings "$CLI_JS")
  exit 0
fi
(cd "$SUITE" && npm_config_base="$BASE" npm_config_id="" npm_package_config_id="" node --no-warnings "$CLI_JS") \
  >"$RESULTS" 2>"$WORK/logs/cli.err" || die "suite failed: $(tail -20 "$WORK/logs/cli.err")"
node --no-warnings "$HERE/summary.mjs" "$SUITE" "$RESULTS"

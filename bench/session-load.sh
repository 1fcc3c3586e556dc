#!/usr/bin/env bash
# Load test of the hot path: GET /api/auth/session with a signed-in session
# cookie against `latch serve`, next to a bare net/http server answering the
# same JSON, in one run: JWT sessions, database sessions on SQLite, and —
# when LATCH_TEST_POSTGRES_DSN is set — database sessions on PostgreSQL.
# Then the upstream guard: GET /app through latch serve (JWT session) to the
# bare server, next to GET /app through a plain reverse proxy (bare --proxy,
# no authentication) and on the bare server itself.
# Prints requests/s, p50/p99 and the ratio to the bare server. Needs wrk
# (apt-get install wrk), curl and psql (for the PostgreSQL run).
# LATCH_BENCH_ENV="GOGC=100" passes settings to the latch processes.
#
#   bench/session-load.sh [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
conns="${2:-32}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

work=$(mktemp -d)
schema=""
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "$schema" ] && psql -q "$LATCH_TEST_POSTGRES_DSN" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/latch" ./cmd/latch
go build -o "$work/bare" ./bench/bare
secret="load-test-secret-load-test-secret-0123"
port=3900

# start_latch KEY DATABASE STRATEGY [YAML]: runs latch serve on the next
# port with a signed-in user and YAML added to its configuration; sets
# $url and $cookie.
start_latch() {
  local key=$1 db=$2 strategy=$3
  port=$((port + 1))
  mkdir -p "$work/$key"
  printf 'sessionStrategy: %s\n%s\n' "$strategy" "${4:-}" >"$work/$key/latch.yaml"
  (
    cd "$work/$key"
    export LATCH_DATABASE="$db" LATCH_SECRET="$secret" LATCH_URL="http://127.0.0.1:$port/api/auth"
    echo "a load test password" | "$work/latch" user add --email load@example.com --name "Load Test" >/dev/null
    exec env ${LATCH_BENCH_ENV:-} "$work/latch" serve --addr "127.0.0.1:$port" >"$work/$key.out" 2>"$work/$key.log"
  ) &
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  local jar="$work/$key.jar" csrf
  csrf=$(curl -fs -c "$jar" "http://127.0.0.1:$port/api/auth/csrf" | sed 's/.*"csrfToken":"\([0-9a-f]*\)".*/\1/')
  curl -fs -b "$jar" -c "$jar" -o /dev/null \
    --data-urlencode "csrfToken=$csrf" --data-urlencode "email=load@example.com" \
    --data-urlencode "password=a load test password" --data "json=true" \
    "http://127.0.0.1:$port/api/auth/callback/credentials"
  cookie=$(awk '$6 ~ /session-token|csrf-token|callback-url/ {printf "%s=%s; ", $6, $7}' "$jar")
  url="http://127.0.0.1:$port/api/auth/session"
  local body
  body=$(curl -fs -H "Cookie: $cookie" "$url")
  case "$body" in *load@example.com*) ;; *) echo "$key: sign-in failed: $body" >&2; exit 1 ;; esac
}

run() { # key label url cookie; prints requests/s, p50, p99 and errors
  local out="$work/$1.wrk"
  wrk -t2 -c"$conns" -d"${duration}s" --latency -H "Cookie: $4" "$3" >"$out"
  local rps p50 p99 errs
  rps=$(awk '/Requests\/sec/ {print $2}' "$out")
  p50=$(awk '$1=="50%" {print $2}' "$out")
  p99=$(awk '$1=="99%" {print $2}' "$out")
  errs=$(awk '/Non-2xx|Socket errors/' "$out" | tr '\n' ' ')
  printf '%-34s %10s req/s   p50 %-9s p99 %-9s %s\n' "$2" "$rps" "$p50" "$p99" "$errs"
  echo "$rps" >"$work/$1.rps"
}

"$work/bare" --addr "127.0.0.1:3999" &
for _ in $(seq 50); do curl -fs "http://127.0.0.1:3999/api/auth/session" >/dev/null && break; sleep 0.1; done

echo "GET /api/auth/session, ${duration}s each, $conns connections, wrk -t2:"
run bare "bare net/http (same JSON)" "http://127.0.0.1:3999/api/auth/session" ""
start_latch jwt "$work/jwt/latch.db" jwt
run jwt "latch, JWT session" "$url" "$cookie"
start_latch sqlite "$work/sqlite/latch.db" database
run sqlite "latch, database session, SQLite" "$url" "$cookie"
if [ -n "${LATCH_TEST_POSTGRES_DSN:-}" ] && command -v psql >/dev/null; then
  schema="latch_bench_$$"
  psql -q "$LATCH_TEST_POSTGRES_DSN" -c "CREATE SCHEMA $schema" >/dev/null
  sep='?'; case "$LATCH_TEST_POSTGRES_DSN" in *\?*) sep='&' ;; esac
  start_latch postgres "${LATCH_TEST_POSTGRES_DSN}${sep}search_path=$schema" database
  run postgres "latch, database session, PostgreSQL" "$url" "$cookie"
fi
for k in jwt sqlite postgres; do
  [ -f "$work/$k.rps" ] || continue
  awk -v k="$k" -v a="$(cat "$work/$k.rps")" -v b="$(cat "$work/bare.rps")" 'BEGIN {printf "ratio %s / bare: %.2f\n", k, a / b}'
done

echo "GET /app, the upstream guard:"
run bareapp "bare net/http, direct" "http://127.0.0.1:3999/app" ""
"$work/bare" --addr "127.0.0.1:3998" --proxy "http://127.0.0.1:3999" &
for _ in $(seq 50); do curl -fs "http://127.0.0.1:3998/app" >/dev/null && break; sleep 0.1; done
run plainproxy "plain reverse proxy, no auth" "http://127.0.0.1:3998/app" ""
start_latch upstream "$work/upstream/latch.db" jwt "upstream: {url: 'http://127.0.0.1:3999'}
access: {knownUsers: true}"
run upstream "latch guarding it, JWT session" "http://127.0.0.1:$port/app" "$cookie"
awk -v a="$(cat "$work/upstream.rps")" -v b="$(cat "$work/plainproxy.rps")" 'BEGIN {printf "ratio latch guard / plain proxy: %.2f\n", a / b}'


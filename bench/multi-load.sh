#!/usr/bin/env bash
# Sustained load across two `latch serve` instances sharing PostgreSQL and
# Redis (database sessions): a user signs in on instance A, then wrk reads
# the session on A and on B at the same time. Prints requests/s, p99 and the
# error count per instance; exits non-zero on any error.
#
#   LATCH_TEST_POSTGRES_DSN=postgres://... LATCH_TEST_REDIS_URL=redis://... \
#     bench/multi-load.sh [DURATION_SECONDS] [CONNECTIONS_PER_INSTANCE]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-60}"
conns="${2:-16}"
: "${LATCH_TEST_POSTGRES_DSN:?set LATCH_TEST_POSTGRES_DSN}" "${LATCH_TEST_REDIS_URL:?set LATCH_TEST_REDIS_URL}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

work=$(mktemp -d)
schema="latch_multiload_$$"
prefix="latch-multiload-$$:"
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  psql -q "$LATCH_TEST_POSTGRES_DSN" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/latch" ./cmd/latch
psql -q "$LATCH_TEST_POSTGRES_DSN" -c "CREATE SCHEMA $schema" >/dev/null
sep='?'; case "$LATCH_TEST_POSTGRES_DSN" in *\?*) sep='&' ;; esac
export LATCH_DATABASE="${LATCH_TEST_POSTGRES_DSN}${sep}search_path=$schema"
export LATCH_REDIS="$LATCH_TEST_REDIS_URL" LATCH_SECRET="multi-load-secret-multi-load-secret-0123"
printf 'sessionStrategy: database\nredisPrefix: "%s"\n' "$prefix" >"$work/latch.yaml"
cd "$work"
echo "a load test password" | ./latch user add --email load@example.com --name "Load Test" >/dev/null
for port in 3911 3912; do
  LATCH_URL="http://127.0.0.1:$port/api/auth" ./latch serve --addr "127.0.0.1:$port" >"$port.out" 2>"$port.log" &
done
for port in 3911 3912; do
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
done

jar="$work/jar"
csrf=$(curl -fs -c "$jar" "http://127.0.0.1:3911/api/auth/csrf" | sed 's/.*"csrfToken":"\([0-9a-f]*\)".*/\1/')
curl -fs -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrfToken=$csrf" \
  --data-urlencode "email=load@example.com" --data-urlencode "password=a load test password" --data "json=true" \
  "http://127.0.0.1:3911/api/auth/callback/credentials"
cookie=$(awk '$6 ~ /session-token|csrf-token|callback-url/ {printf "%s=%s; ", $6, $7}' "$jar")
for port in 3911 3912; do
  body=$(curl -fs -H "Cookie: $cookie" "http://127.0.0.1:$port/api/auth/session")
  case "$body" in *load@example.com*) ;; *) echo "instance $port does not see the session: $body" >&2; exit 1 ;; esac
done

echo "GET /api/auth/session on two instances at once, ${duration}s, $conns connections each:"
for port in 3911 3912; do
  wrk -t1 -c"$conns" -d"${duration}s" --latency -H "Cookie: $cookie" "http://127.0.0.1:$port/api/auth/session" >"$port.wrk" &
done
wait $(jobs -p | tail -2) 2>/dev/null || true
sleep 1
total=0 failed=0
for port in 3911 3912; do
  rps=$(awk '/Requests\/sec/ {print $2}' "$port.wrk")
  p99=$(awk '$1=="99%" {print $2}' "$port.wrk")
  errs=$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$port.wrk")
  printf 'instance %s: %10s req/s   p99 %-9s errors %s\n' "$port" "$rps" "$p99" "$errs"
  total=$(awk -v a="$total" -v b="$rps" 'BEGIN {print a + b}')
  failed=$((failed + errs))
done
printf 'total: %s req/s, %d errors\n' "$total" "$failed"
[ "$failed" -eq 0 ]

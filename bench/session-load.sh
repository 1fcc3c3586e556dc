#!/usr/bin/env bash
# Load test of the hot path: GET /api/auth/session with a signed-in session
# cookie against `latch serve`, next to a bare net/http server answering the
# same JSON, in one run. Needs wrk (apt-get install wrk) and curl.
#
#   bench/session-load.sh [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
conns="${2:-32}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/latch" ./cmd/latch
go build -o "$work/bare" ./bench/bare

latch_port=3900 bare_port=3901
export LATCH_DATABASE="$work/latch.db" LATCH_SECRET="load-test-secret-load-test-secret-0123" LATCH_URL="http://127.0.0.1:$latch_port/api/auth"
echo "a load test password" | "$work/latch" user add --email load@example.com --name "Load Test" >/dev/null
"$work/latch" serve --addr "127.0.0.1:$latch_port" >"$work/latch.out" 2>"$work/latch.log" &
"$work/bare" --addr "127.0.0.1:$bare_port" &
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$latch_port/healthz" >/dev/null && curl -fs "http://127.0.0.1:$bare_port/api/auth/session" >/dev/null && break; sleep 0.1; done

# Sign in as a browser would: CSRF token, then the credentials callback.
jar="$work/cookies"
csrf=$(curl -fs -c "$jar" "http://127.0.0.1:$latch_port/api/auth/csrf" | sed 's/.*"csrfToken":"\([0-9a-f]*\)".*/\1/')
curl -fs -b "$jar" -c "$jar" -o /dev/null \
  --data-urlencode "csrfToken=$csrf" --data-urlencode "email=load@example.com" \
  --data-urlencode "password=a load test password" --data "json=true" \
  "http://127.0.0.1:$latch_port/api/auth/callback/credentials"
cookie=$(awk '$6 ~ /session-token|csrf-token|callback-url/ {printf "%s=%s; ", $6, $7}' "$jar")
body=$(curl -fs -H "Cookie: $cookie" "http://127.0.0.1:$latch_port/api/auth/session")
case "$body" in *load@example.com*) ;; *) echo "sign-in failed: $body" >&2; exit 1 ;; esac

run() { # key label url; prints requests/s, p50, p99 and errors
  local out="$work/$1.wrk"
  wrk -t2 -c"$conns" -d"${duration}s" --latency -H "Cookie: $cookie" "$3" >"$out"
  local rps p50 p99 errs
  rps=$(awk '/Requests\/sec/ {print $2}' "$out")
  p50=$(awk '$1=="50%" {print $2}' "$out")
  p99=$(awk '$1=="99%" {print $2}' "$out")
  errs=$(awk '/Non-2xx|Socket errors/' "$out")
  printf '%-24s %12s req/s   p50 %-9s p99 %-9s %s\n' "$2" "$rps" "$p50" "$p99" "$errs"
  echo "$rps" >"$work/$1.rps"
}
echo "GET /api/auth/session, ${duration}s, $conns connections, wrk -t2:"
run latch "latch (JWT session)" "http://127.0.0.1:$latch_port/api/auth/session"
run bare "bare net/http" "http://127.0.0.1:$bare_port/api/auth/session"
awk -v a="$(cat "$work/latch.rps")" -v b="$(cat "$work/bare.rps")" \
  'BEGIN {printf "ratio latch / bare: %.2f\n", a / b}'

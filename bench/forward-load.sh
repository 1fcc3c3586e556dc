#!/usr/bin/env bash
# Load test of the forward-auth check next to GET /api/auth/session, over
# HTTP against one `latch serve` (JWT sessions, SQLite): a signed-in
# check of Traefik's kind (GET /api/auth/forward-auth with X-Forwarded-*),
# nginx's kind (GET /api/auth/auth-request with X-Original-URL), and the
# signed-in check with the signed assertion on. Prints requests/s, p50 and
# p99. Needs wrk (apt-get install wrk) and curl.
#
#   bench/forward-load.sh [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
conns="${2:-32}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

work=$(mktemp -d)
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/latch" ./cmd/latch
secret="load-test-secret-load-test-secret-0123"
port=3950

# start_latch KEY ASSERTION: latch serve protecting http://app.example.com,
# trusting 127.0.0.1, with a signed-in user; sets $cookie.
start_latch() {
  local key=$1
  port=$((port + 1))
  mkdir -p "$work/$key"
  printf 'trustedProxies: [127.0.0.1]\nforwardAuth:\n  assertion: %s\n  sites:\n    - url: http://app.example.com\n' "$2" >"$work/$key/latch.yaml"
  (
    cd "$work/$key"
    export LATCH_DATABASE="$work/$key/latch.db" LATCH_SECRET="$secret" LATCH_URL="http://127.0.0.1:$port/api/auth"
    echo "a load test password" | "$work/latch" user add --email load@example.com --name "Load Test" >/dev/null
    exec "$work/latch" serve --addr "127.0.0.1:$port" >"$work/$key.out" 2>"$work/$key.log"
  ) &
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  local jar="$work/$key.jar" csrf
  csrf=$(curl -fs -c "$jar" "http://127.0.0.1:$port/api/auth/csrf" | sed 's/.*"csrfToken":"\([0-9a-f]*\)".*/\1/')
  curl -fs -b "$jar" -c "$jar" -o /dev/null \
    --data-urlencode "csrfToken=$csrf" --data-urlencode "email=load@example.com" \
    --data-urlencode "password=a load test password" --data "json=true" \
    "http://127.0.0.1:$port/api/auth/callback/credentials"
  cookie=$(awk '$6 ~ /session-token/ {printf "%s=%s", $6, $7}' "$jar")
}

run() { # label url headers...; prints requests/s, p50, p99 and errors
  local label=$1 url=$2
  shift 2
  local args=()
  for h in "$@"; do args+=(-H "$h"); done
  # Every answer must be 200: check one first.
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' "${args[@]}" "$url")
  [ "$code" = 200 ] || { echo "$label: $code, not 200" >&2; exit 1; }
  local out="$work/run.wrk"
  wrk -t2 -c"$conns" -d"${duration}s" --latency "${args[@]}" "$url" >"$out"
  printf '%-44s %10s req/s   p50 %-9s p99 %-9s %s\n' "$label" \
    "$(awk '/Requests\/sec/ {print $2}' "$out")" "$(awk '$1=="50%" {print $2}' "$out")" \
    "$(awk '$1=="99%" {print $2}' "$out")" "$(awk '/Non-2xx|Socket errors/' "$out" | tr '\n' ' ')"
}

echo "${duration}s each, $conns connections, wrk -t2, JWT session:"
start_latch plain false
base="http://127.0.0.1:$port/api/auth"
run "GET /api/auth/session" "$base/session" "Cookie: $cookie"
run "forward-auth (Traefik/Caddy headers)" "$base/forward-auth" "Cookie: $cookie" \
  "X-Forwarded-Method: GET" "X-Forwarded-Proto: http" "X-Forwarded-Host: app.example.com" "X-Forwarded-Uri: /page?x=1" "Accept: text/html"
run "auth-request (nginx headers)" "$base/auth-request" "Cookie: $cookie" \
  "X-Original-URL: http://app.example.com/page?x=1" "X-Original-Method: GET"
start_latch assert true
base="http://127.0.0.1:$port/api/auth"
run "forward-auth with the signed assertion" "$base/forward-auth" "Cookie: $cookie" \
  "X-Forwarded-Method: GET" "X-Forwarded-Proto: http" "X-Forwarded-Host: app.example.com" "X-Forwarded-Uri: /page?x=1" "Accept: text/html"

#!/usr/bin/env bash
# Session checks during a burst of password sign-ins: `latch serve`
# (SQLite) with USERS users; wrk measures GET /api/auth/session of one
# signed-in user alone, then again while USERS sign-ins arrive at once
# (argon2id, about 19 MiB each). Prints the session check's p50/p99 in
# both runs, how the sign-ins ended (those that waited too long for a
# password check slot get 503 + Retry-After) and the peak RSS. Needs wrk
# and curl.
#
#   bench/signin-burst.sh [USERS]
set -euo pipefail
cd "$(dirname "$0")/.."
users="${1:-200}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/latch" ./cmd/latch
go build -o "$work/signins" ./bench/signins
port=3960
cd "$work"
export LATCH_SECRET="burst-test-secret-burst-test-secret" LATCH_URL="http://127.0.0.1:$port/api/auth"
echo "adding $users users..."
for i in $(seq 0 "$users"); do
  echo "a burst test password" | ./latch user add --email "user-$i@example.com" >/dev/null
done
# The sign-ins come from $users different addresses (through 127.0.0.1 as
# a trusted proxy): the per-address limits are not what is measured.
echo 'trustedProxies: ["127.0.0.1/32"]' >latch.yaml
./latch serve --addr "127.0.0.1:$port" >serve.out 2>serve.log &
pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
# The watcher: one more user, signed in, whose session wrk checks.
csrf=$(curl -fs -c jar "$LATCH_URL/csrf" | sed 's/.*"csrfToken":"\([0-9a-f]*\)".*/\1/')
curl -fs -b jar -c jar -o /dev/null --data-urlencode "csrfToken=$csrf" --data-urlencode "email=user-$users@example.com" \
  --data-urlencode "password=a burst test password" --data json=true "$LATCH_URL/callback/credentials"
cookie=$(awk '$6 ~ /session-token|csrf-token|callback-url/ {printf "%s=%s; ", $6, $7}' jar)
latency() { awk '$1=="50%" {p50=$2} $1=="99%" {p99=$2} /Requests\/sec/ {rps=$2} END {printf "p50 %s, p99 %s, %s req/s", p50, p99, rps}' "$1"; }

wrk -t2 -c16 -d10s --latency -H "Cookie: $cookie" "$LATCH_URL/session" >alone.wrk
echo "session check alone:             $(latency alone.wrk)"
wrk -t2 -c16 -d20s --latency -H "Cookie: $cookie" "$LATCH_URL/session" >burst.wrk &
wrkpid=$!
sleep 3
./signins -url "$LATCH_URL" -email "user-%d@example.com" -users "$users" -password "a burst test password" -n "$users" -c "$users" -spread || true
wait "$wrkpid"
echo "session check during the burst:  $(latency burst.wrk)"
awk '$1 == "VmHWM:" {printf "peak RSS: %.0f MB\n", $2 / 1024}' "/proc/$pid/status"

#!/usr/bin/env bash
# Memory of `latch serve` under password sign-ins: RSS at start, the peak
# (VmHWM) and RSS after N credentials sign-ins (default 10,000, 4 at once: the per-account limit counts sign-ins in flight)
# on SQLite, and again after a minute idle. Each check is argon2id (about
# 19 MiB); limits.memoryLimit (or GOMEMLIMIT) bounds what the heap may keep.
# LATCH_BENCH_ENV="GOMEMLIMIT=1GiB" passes settings to the latch process.
#
#   bench/signin-memory.sh [SIGN_INS] [AT_ONCE]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"
c="${2:-4}"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/latch" ./cmd/latch
go build -o "$work/signins" ./bench/signins
port=3950
cd "$work"
export LATCH_SECRET="memory-test-secret-memory-test-secret" LATCH_URL="http://127.0.0.1:$port/api/auth"
echo "a memory test password" | ./latch user add --email mem@example.com --name "Memory Test" >/dev/null
env ${LATCH_BENCH_ENV:-} ./latch serve --addr "127.0.0.1:$port" >serve.out 2>serve.log &
pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
rss() { awk -v k="$1:" '$1 == k {printf "%.1f MB", $2 / 1024}' "/proc/$pid/status"; }
echo "RSS at start: $(rss VmRSS)"
./signins -url "$LATCH_URL" -email mem@example.com -password "a memory test password" -n "$n" -c "$c"
echo "after $n sign-ins: RSS $(rss VmRSS), peak $(rss VmHWM)"
sleep 60
echo "a minute later: RSS $(rss VmRSS)"

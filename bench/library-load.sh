#!/usr/bin/env bash
# The session check of the library on a plain net/http server against a
# bare net/http handler answering the same JSON to the same requests, with
# many distinct sessions (USERS signed-in users' cookies, rotated by
# bench/many-users.lua):
# JWT sessions (also with a store, which makes them revocable: the marks
# are checked on every read), database sessions on SQLite and, when
# LATCH_TEST_POSTGRES_DSN is set, on PostgreSQL; the guard in front of
# bare, next to a plain reverse proxy; and next-auth 4.24.15 on Node with
# the same cookies, as the reference. wrk -t2 at 64 and 32
# connections; prints a Markdown table of req/s, p50, p99, the ratio to
# bare, and the server's RSS after the run. Needs wrk and curl (and psql
# for PostgreSQL).
#
#   bench/library-load.sh [DURATION_SECONDS] [USERS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
users="${2:-1000}"
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
go build -o "$work/bare" ./bench/bare
go build -o "$work/library" ./bench/library
lua="$PWD/bench/many-users.lua"

# wait_up URL: waits for the server to answer.
wait_up() { for _ in $(seq 600); do curl -fs -o /dev/null "$1" && return; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }

# measure LABEL PID URL COOKIES: one table row per connection count.
measure() {
  local label=$1 pid=$2 url=$3 cookies=$4 c out rps p50 p99 errs ratio rss
  for c in 64 32; do
    out="$work/out"
    COOKIES="$cookies" LOAD_PATH="/${url#http://*/}" wrk -t2 -c"$c" -d"${duration}s" --latency -s "$lua" "$url" >"$out"
    rps=$(awk '/Requests\/sec/ {print $2}' "$out")
    p50=$(awk '$1=="50%" {print $2}' "$out")
    p99=$(awk '$1=="99%" {print $2}' "$out")
    errs=$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' "$out")
    [ "$label" = bare ] && echo "$rps" >"$work/bare-$c"
    ratio=$(awk -v a="$rps" -v b="$(cat "$work/bare-$c")" 'BEGIN {printf "%.2f", a / b}')
    rss=$(awk '$1 == "VmRSS:" {printf "%.0f MB", $2 / 1024}' "/proc/$pid/status")
    printf '| %s | %d | %s | %s | %s | %sx | %s | %s |\n' "$label" "$c" "$rps" "$p50" "$p99" "$ratio" "$rss" "$errs"
  done
}

# The JWT server signs its users in first: bare gets the same requests,
# the same users' cookies (it ignores them, but reads them as any app
# behind a browser does).
"$work/library" -addr 127.0.0.1:3921 -users "$users" -cookies "$work/3921.cookies" -upstream http://127.0.0.1:3919 2>"$work/3921.log" &
jwt_pid=$!
wait_up http://127.0.0.1:3921/api/auth/csrf
"$work/bare" --addr 127.0.0.1:3919 &
wait_up http://127.0.0.1:3919/api/auth/session

echo "GET /api/auth/session, $users users, ${duration}s per row, wrk -t2, $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
echo
echo "| server | connections | req/s | p50 | p99 | / bare | RSS | errors |"
echo "|---|---|---|---|---|---|---|---|"
bare_pid=$!
measure bare "$bare_pid" http://127.0.0.1:3919/api/auth/session "$work/3921.cookies"

run_library() { # LABEL PORT [STORE [FLAG]]
  "$work/library" -addr "127.0.0.1:$2" -users "$users" -cookies "$work/$2.cookies" ${3:+-store "$3"} ${4:-} 2>"$work/$2.log" &
  local pid=$!
  wait_up "http://127.0.0.1:$2/api/auth/csrf"
  measure "$1" "$pid" "http://127.0.0.1:$2/api/auth/session" "$work/$2.cookies"
  kill "$pid"
}
measure "library, JWT" "$jwt_pid" http://127.0.0.1:3921/api/auth/session "$work/3921.cookies"
# The guard (package guard) in front of bare, with the same JWT sessions,
# and its floor: a plain reverse proxy (httputil, no sign-in check).
measure "guard, JWT, in front of bare" "$jwt_pid" http://127.0.0.1:3921/app "$work/3921.cookies"
kill "$jwt_pid"
"$work/bare" --addr 127.0.0.1:3918 --proxy http://127.0.0.1:3919 &
wait_up http://127.0.0.1:3918/app
measure "plain reverse proxy in front of bare" "$!" http://127.0.0.1:3918/app "$work/3921.cookies"
kill "$!"
# The reference: next-auth 4.24.15 on Node (the compat tests' install),
# reading the same users' cookies (same token format and secret).
if command -v node >/dev/null && [ -d internal/compat/node/node_modules/next-auth ]; then
  node internal/compat/node/server.mjs '{"secret":"library-load-secret-library-load-secret"}' >"$work/nextauth.out" 2>"$work/nextauth.log" &
  nextauth_pid=$!
  for _ in $(seq 300); do grep -q listening "$work/nextauth.out" 2>/dev/null && break; sleep 0.1; done
  nextauth_url="$(awk '/listening/ {print $2}' "$work/nextauth.out")"
  [ -n "$nextauth_url" ] || { echo "next-auth did not start: $(cat "$work/nextauth.log")" >&2; exit 1; }
  measure "next-auth 4.24.15 (Node $(node --version))" "$nextauth_pid" "$nextauth_url/api/auth/session" "$work/3921.cookies"
  kill "$nextauth_pid"
fi
run_library "library, JWT, revocable (SQLite store)" 3924 "sqlite:$work/revocable.db" -jwt
run_library "library, database, SQLite" 3922 "sqlite:$work/library.db"
if [ -n "${LATCH_TEST_POSTGRES_DSN:-}" ] && command -v psql >/dev/null; then
  schema="latch_libload_$$"
  psql -q "$LATCH_TEST_POSTGRES_DSN" -c "CREATE SCHEMA $schema" >/dev/null
  sep='?'; case "$LATCH_TEST_POSTGRES_DSN" in *\?*) sep='&' ;; esac
  run_library "library, database, PostgreSQL" 3923 "${LATCH_TEST_POSTGRES_DSN}${sep}search_path=$schema"
fi
# bare once more: how much the machine drifted while the rows above ran
# (its ratio is to the first bare row).
measure "bare, again at the end" "$bare_pid" http://127.0.0.1:3919/api/auth/session "$work/3921.cookies"

#!/usr/bin/env bash
# How long a session signed out on one instance is still answered by
# another that serves it from memory, with the other under load: two
# instances of the library on one SQLite file and, when
# LATCH_TEST_POSTGRES_DSN is set, on one PostgreSQL schema (bench/revoke).
# Prints a Markdown table.
#
#   bench/revoke.sh [USERS] [SIGNOUTS] [LOAD_GOROUTINES]
set -euo pipefail
cd "$(dirname "$0")/.."
users="${1:-1000}"
signouts="${2:-200}"
load="${3:-32}"
work=$(mktemp -d)
schema=""
cleanup() {
  [ -n "$schema" ] && psql -q "$LATCH_TEST_POSTGRES_DSN" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/revoke" ./bench/revoke
"$work/revoke" -store "sqlite:$work/revoke.db" -users "$users" -signouts "$signouts" -load "$load"
if [ -n "${LATCH_TEST_POSTGRES_DSN:-}" ] && command -v psql >/dev/null; then
  schema="latch_revoke_$$"
  psql -q "$LATCH_TEST_POSTGRES_DSN" -c "CREATE SCHEMA $schema" >/dev/null
  sep='?'; case "$LATCH_TEST_POSTGRES_DSN" in *\?*) sep='&' ;; esac
  "$work/revoke" -store "${LATCH_TEST_POSTGRES_DSN}${sep}search_path=$schema" -users "$users" -signouts "$signouts" -load "$load" | tail -1
fi

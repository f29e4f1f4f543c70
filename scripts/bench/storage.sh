#!/usr/bin/env bash
# The storage benchmark: Repository::ApplyDecision vs. the same SQL through SOCI, at 1, 4 and 16
# writers, on a throwaway MariaDB (started here, stopped by PID on exit) and on SQLite.
# Run through scripts/bench.sh storage, which configures CLAIMS_BENCH_BUILD_DIR (Release).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${CLAIMS_BENCH_BUILD_DIR:?run through scripts/bench.sh storage}
cmake --build "$build" --target storage_bench -j 2 >/dev/null

db_dir="$build/bench-mariadb.$$"
cleanup() {
  tests/testing/mariadb.sh stop "$db_dir" >/dev/null 2>&1 || true
  rm -rf "$db_dir"
}
trap cleanup EXIT
tests/testing/mariadb.sh start "$db_dir" >&2

CLAIMS_BENCH_MYSQL_URL=$(cat "$db_dir/url") CLAIMS_BENCH_DIR="$db_dir" \
  "$build/tests/bench/storage_bench" "$@"

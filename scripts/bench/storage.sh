#!/usr/bin/env bash
# The storage benchmark: Repository::ApplyDecision vs. the limit (the same decision-shaped SQL
# through SOCI, no shared row) at 1, 4, 16 and 64 writers, on a throwaway MariaDB configured as
# production ones are (CLAIMS_MARIADB_DURABLE=1: redo and binary log synced at every commit), on
# a second, fsync-light one (innodb_flush_log_at_trx_commit=2, no binary log) for comparison,
# and on SQLite, then SQLite's tail at one writer. Both servers are started here and stopped by
# PID on exit. Run through scripts/bench.sh storage, which configures CLAIMS_BENCH_BUILD_DIR
# (Release). Prints a table, then one line of JSON.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${CLAIMS_BENCH_BUILD_DIR:?run through scripts/bench.sh storage}
cmake --build "$build" --target storage_bench -j 2 >/dev/null

durable_dir="$build/bench-mariadb-durable.$$"
light_dir="$build/bench-mariadb-light.$$"
cleanup() {
  for dir in "$durable_dir" "$light_dir"; do
    tests/testing/mariadb.sh stop "$dir" >/dev/null 2>&1 || true
    rm -rf "$dir"
  done
}
trap cleanup EXIT
CLAIMS_MARIADB_DURABLE=1 tests/testing/mariadb.sh start "$durable_dir" >&2
CLAIMS_MARIADB_DURABLE=0 tests/testing/mariadb.sh start "$light_dir" >&2

CLAIMS_BENCH_MYSQL_URLS="mariadb_durable=$(cat "$durable_dir/url") mariadb_light=$(cat "$light_dir/url")" \
  CLAIMS_BENCH_DIR="$durable_dir" "$build/tests/bench/storage_bench" "$@"

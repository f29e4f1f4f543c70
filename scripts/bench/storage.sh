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
source scripts/lib/bench_mariadb.sh
start_bench_mariadb "$durable_dir" CLAIMS_MARIADB_DURABLE=1
start_bench_mariadb "$light_dir" CLAIMS_MARIADB_DURABLE=0

CLAIMS_BENCH_MYSQL_URLS="mariadb_durable=$(cat "$durable_dir/url") mariadb_light=$(cat "$light_dir/url")" \
  CLAIMS_BENCH_DIR="$durable_dir" "$build/tests/bench/storage_bench" "$@"

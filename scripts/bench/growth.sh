#!/usr/bin/env bash
# The growth benchmark: how each read's cost grows from 100k to 1M to 10M claims
# (CLAIMS_GROWTH_LEVELS to change the levels), on a throwaway MariaDB started here and stopped
# by PID on exit. The server is fsync-light (innodb_flush_log_at_trx_commit=2, no binary log)
# with a 6 GiB buffer pool: what is timed only reads, and the fill (about 10 million claims with
# their histories, timers and events) would otherwise spend most of its time waiting on fsync.
# The 10M level needs about 25 GB of disk in the build directory and 20 to 40 minutes on two
# cores. Run through scripts/bench.sh growth, which configures CLAIMS_BENCH_BUILD_DIR (Release).
# Prints a table and the plans, then one line of JSON: {"bench":"growth",...,"all_flat":...}.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${CLAIMS_BENCH_BUILD_DIR:?run through scripts/bench.sh growth}
cmake --build "$build" --target growth_bench -j 2 >&2

db_dir="$build/bench-mariadb-growth.$$"
source scripts/lib/bench_mariadb.sh
start_bench_mariadb "$db_dir" CLAIMS_MARIADB_DURABLE=0 \
  CLAIMS_MARIADB_BUFFER_POOL="${CLAIMS_MARIADB_BUFFER_POOL:-6G}"

CLAIMS_BENCH_MYSQL_URL=$(cat "$db_dir/url") CLAIMS_SOURCE_DIR=$PWD \
  "$build/tests/bench/growth_bench" "$@"

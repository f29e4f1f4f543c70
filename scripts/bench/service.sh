#!/usr/bin/env bash
# The service benchmark: PerformAction through gRPC against claimsd (its own process) on 127.0.0.1 vs.
# the same repository calls made directly, at 1, 4, 16 and 64 clients, on a throwaway MariaDB
# configured as production ones are (CLAIMS_MARIADB_DURABLE=1; started here, stopped by PID on
# exit) and on SQLite; then whole claim lifecycles, and two replicas against one. Arguments pick
# modes (perform, lifecycle, replicas; default all). Run through scripts/bench.sh service,
# which configures CLAIMS_BENCH_BUILD_DIR (Release). Prints a table, then one line of JSON:
# {"bench":"service",...,"mariadb_durable_16_ratio":...,"sqlite_1_ratio":...}.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${CLAIMS_BENCH_BUILD_DIR:?run through scripts/bench.sh service}
cmake --build "$build" --target service_bench -j 2 >&2

db_dir="$build/bench-mariadb.$$"
source scripts/lib/bench_mariadb.sh
start_bench_mariadb "$db_dir" CLAIMS_MARIADB_DURABLE=1

CLAIMS_BENCH_MYSQL_URL=$(cat "$db_dir/url") CLAIMS_BENCH_DB_PID=$(cat "$db_dir/pid") \
  CLAIMS_BENCH_DIR="$db_dir" CLAIMS_SOURCE_DIR=$PWD \
  "$build/tests/bench/service_bench" "$@"

# Sourced by the benchmark scripts under scripts/bench/: `start_bench_mariadb DIR [VAR=VALUE...]`
# starts a throwaway MariaDB in DIR through tests/testing/mariadb.sh with the settings given
# (CLAIMS_MARIADB_DURABLE, CLAIMS_MARIADB_BUFFER_POOL) and has it stopped by PID and its files
# removed when the script exits, however it exits.
bench_mariadb_dirs=()
stop_bench_mariadbs() {
  local dir
  for dir in ${bench_mariadb_dirs[@]+"${bench_mariadb_dirs[@]}"}; do
    tests/testing/mariadb.sh stop "$dir" >/dev/null 2>&1 || true
    rm -rf "$dir"
  done
}
trap stop_bench_mariadbs EXIT
start_bench_mariadb() {
  local dir=$1
  shift
  bench_mariadb_dirs+=("$dir")
  env "$@" tests/testing/mariadb.sh start "$dir" >&2
}

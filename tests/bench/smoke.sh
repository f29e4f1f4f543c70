#!/usr/bin/env bash
# Runs one benchmark program for a moment against the tests' throwaway MariaDB (and SQLite), as
# a test: a program that no longer runs fails here rather than in the next measurement, as the
# storage benchmark's claim UPDATE did when the statement gained a column it binds by position.
# Passes when the program ends with its JSON object and exits 0. The figures of so short a run
# mean nothing and are not checked.
# Usage: smoke.sh NAME PROGRAM MARIADB_URL_FILE SOURCE_DIR
set -euo pipefail
name=$1 program=$2 url_file=$3 source_dir=$4
url=$(cat "$url_file")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CLAIMS_BENCH_SECONDS=0.05 CLAIMS_BENCH_DIR=$work CLAIMS_SOURCE_DIR=$source_dir
case $name in
  storage) export CLAIMS_BENCH_MYSQL_URLS="mariadb=$url" CLAIMS_BENCH_TAIL_CALLS=200 ;;
  service) export CLAIMS_BENCH_MYSQL_URL=$url ;;
  growth) export CLAIMS_BENCH_MYSQL_URL=$url CLAIMS_GROWTH_LEVELS=2000,4000 ;;
  *) echo "smoke.sh: no smoke run for $name" >&2; exit 2 ;;
esac
status=0
"$program" >"$work/out" || status=$?
cat "$work/out"
last=$(tail -n 1 "$work/out")
case $last in
  "{\"bench\":\"$name\","*"}") ;;
  *) echo "smoke.sh: $name did not end with its JSON line (exit status $status)" >&2; exit 1 ;;
esac
# The growth benchmark's exit status is its verdict (every read flat and indexed), which means
# nothing at a few thousand claims; a failure before the JSON line is caught above.
if [ "$status" -ne 0 ] && ! { [ "$name" = growth ] && [ "$status" -eq 1 ]; }; then
  echo "smoke.sh: $name exited with status $status" >&2
  exit 1
fi

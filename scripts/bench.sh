#!/usr/bin/env bash
# Runs one benchmark program: scripts/bench.sh NAME (engine, storage, ...). Each prints a table
# and ends with one line holding a JSON object of its figures.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:-}
if [ -z "$name" ] || [ ! -f "scripts/bench/$name.sh" ]; then
  echo "usage: scripts/bench.sh NAME, with NAME one of: $(ls scripts/bench | sed 's/\.sh$//' | tr '\n' ' ')" >&2
  exit 2
fi
shift
scripts/install-deps.sh --tests
build=${CLAIMS_BENCH_BUILD_DIR:-build-bench}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCLAIMS_BUILD_TESTS=ON >/dev/null
export CLAIMS_BENCH_BUILD_DIR=$build
exec bash "scripts/bench/$name.sh" "$@"

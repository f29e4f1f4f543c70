#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test: unit, storage on SQLite and on a
# throwaway MariaDB (started and stopped by the tests themselves), end to end, fuzz, lint and
# the chart. Extra arguments go to ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests
build=${CLAIMS_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLAIMS_BUILD_TESTS=ON \
  ${CLAIMS_CMAKE_ARGS:-}
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" --timeout 600 "$@"

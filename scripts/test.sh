#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test: unit, storage on SQLite and on a
# throwaway MariaDB (started and stopped by the tests themselves), end to end, fuzz and lint.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${CLAIMS_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${CLAIMS_CMAKE_ARGS:-}
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" --timeout 600 "$@"

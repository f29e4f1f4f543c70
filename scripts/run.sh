#!/usr/bin/env bash
# Installs what is needed, builds, and runs claimsd on the embedded default: SQLite in
# ./claims.db, the shipped CPOR workflow, loopback only. Extra arguments go to claimsd.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${CLAIMS_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${CLAIMS_CMAKE_ARGS:-}
cmake --build "$build" -j "$(nproc)" --target claimsd claimsctl
exec "$build/server/claimsd" --config config/claimsd.yaml "$@"

#!/usr/bin/env bash
# Installs what is needed, builds, and runs claimsd on the embedded default: SQLite in
# config/claims.db, the shipped CPOR workflow, loopback only. Extra arguments go to claimsd.
# Only the build and runtime packages are installed and no test is configured, so this needs
# neither npm nor node nor a network beyond Debian's archive.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${CLAIMS_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLAIMS_BUILD_TESTS=OFF \
  ${CLAIMS_CMAKE_ARGS:-}
cmake --build "$build" -j "$(nproc)" --target claimsd claimsctl
exec "$build/server/claimsd" --config config/claimsd.yaml "$@"

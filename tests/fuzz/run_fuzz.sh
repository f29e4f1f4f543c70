#!/bin/sh
# Builds the loader fuzzer with clang in its own tree and runs it for a bounded time, seeded
# with the shipped workflows and calendars and the bad-workflow fixtures. Crashes are kept in
# BUILD/artifacts/ and fail the run.
# Usage: run_fuzz.sh SOURCE_DIR BUILD_DIR CLANGXX [SECONDS]
set -eu
src=$1
build=$2
cxx=$3
seconds=${4:-30}

generator=
if command -v ninja > /dev/null 2>&1; then generator="-G Ninja"; fi
# shellcheck disable=SC2086
cmake -S "$src" -B "$build" $generator -DCMAKE_CXX_COMPILER="$cxx" -DCLAIMS_FUZZ_ONLY=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$build.configure.log" 2>&1 || {
  cat "$build.configure.log"
  exit 1
}
cmake --build "$build" --target loader_fuzzer -j 2

corpus="$build/corpus"
artifacts="$build/artifacts"
mkdir -p "$corpus" "$artifacts"
cp "$src"/config/workflows/*.yaml "$src"/config/calendars/*.yaml \
  "$src"/tests/workflow/testdata/bad/*.yaml "$corpus"/

"$build/tests/fuzz/loader_fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
  -max_len=65536 -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus"

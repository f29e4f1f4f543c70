#!/usr/bin/env bash
# Every C++ file follows .clang-format.
set -euo pipefail
cd "${1:?source dir}"
files=$(git ls-files '*.h' '*.cc' 2>/dev/null || find . -name '*.h' -o -name '*.cc')
[ -n "$files" ] || exit 0
clang-format --dry-run --Werror $files

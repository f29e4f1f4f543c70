#!/bin/sh
# Each bad workflow fixture must make `claimsctl validate` exit 1 and print exactly the
# problems its trailing "# expect: line:col: message" comments list, in that order.
# Usage: check_bad_fixtures.sh CLAIMSCTL FIXTURE_DIR
set -u
claimsctl=$1
dir=$2
failures=0
count=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for fixture in "$dir"/*.yaml; do
  count=$((count + 1))
  sed -n "s|^# expect: |$fixture:|p" "$fixture" > "$tmp/expected"
  if [ ! -s "$tmp/expected" ]; then
    echo "FAIL $fixture: no '# expect:' lines"
    failures=$((failures + 1))
    continue
  fi
  "$claimsctl" validate "$fixture" > "$tmp/stdout" 2> "$tmp/actual"
  status=$?
  if [ "$status" -ne 1 ]; then
    echo "FAIL $fixture: exit status $status, expected 1"
    failures=$((failures + 1))
  elif ! diff -u "$tmp/expected" "$tmp/actual"; then
    echo "FAIL $fixture: problems differ (above: - expected, + printed)"
    failures=$((failures + 1))
  fi
done
if [ "$count" -eq 0 ]; then
  echo "FAIL: no fixtures in $dir"
  exit 1
fi
echo "$count fixtures, $failures failures"
[ "$failures" -eq 0 ]

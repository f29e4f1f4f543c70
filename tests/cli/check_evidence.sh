#!/usr/bin/env bash
# claimsctl claims evidence upload|get against a real claimsd on loopback: a 5 MiB document up
# and back byte for byte, the one-message form `evidence CLAIM FILE`, another partner's
# NOT_FOUND, a PDF declared as PNG refused, and no file left behind by a failed download.
set -euo pipefail
claimsd=${1:?claimsd} claimsctl=${2:?claimsctl} config_dir=${3:?config dir}
. "$(dirname "$0")/claimsd_harness.sh"
write_config
start_claimsd

export CLAIMS_SERVER=127.0.0.1:$port CLAIMS_ACTOR=pat CLAIMS_ROLES=billing_admin CLAIMS_PARTNER=contoso
failures=0
check() {  # check DESCRIPTION COMMAND...: the command must succeed
  if "${@:2}" >/dev/null 2>&1; then echo "ok: $1"; else echo "FAIL: $1"; failures=$((failures + 1)); fi
}
field() { /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

claim=$("$claimsctl" claims create partners/contoso --mpn 1234567 \
  --customer-tenant-id 6f1c2a9e-0000-4000-8000-000000000001 --customer-name Fabrikam \
  --product dynamics_365_sales --activity revenue_association)
name=$(echo "$claim" | field '["name"]')

{ printf '%%PDF-1.7\n'; head -c $((5 * 1024 * 1024)) /dev/urandom; } >"$work/poe.pdf"
uploaded=$("$claimsctl" claims evidence upload "$name" "$work/poe.pdf" 2>&1 || true)
evidence=$(echo "$uploaded" | field '["name"]' 2>/dev/null || true)
check "a 5 MiB PDF uploads by streaming and answers the evidence" grep -q "^$name/evidence/" <<<"$evidence"
check "with its size" test "$(echo "$uploaded" | field '["size_bytes"]')" = $((5 * 1024 * 1024 + 9))
check "the owner downloads it" "$claimsctl" claims evidence get "$evidence" -o "$work/back.pdf"
check "byte for byte" cmp "$work/poe.pdf" "$work/back.pdf"
check "a reviewer downloads it" env CLAIMS_ACTOR=rita CLAIMS_ROLES=reviewer CLAIMS_PARTNER= \
  "$claimsctl" claims evidence get "$evidence" -o "$work/reviewer.pdf"
check "the reviewer's copy is the same" cmp "$work/poe.pdf" "$work/reviewer.pdf"

other=$(CLAIMS_PARTNER=northwind "$claimsctl" claims evidence get "$evidence" -o "$work/other.pdf" 2>&1 || true)
check "another partner gets NOT_FOUND" grep -q '^error: NOT_FOUND' <<<"$other"
check "and no file" test ! -e "$work/other.pdf"

disguised=$("$claimsctl" claims evidence upload "$name" "$work/poe.pdf" --type image/png 2>&1 || true)
check "a PDF declared as PNG is refused" grep -q 'reason: CONTENT_TYPE_MISMATCH' <<<"$disguised"

printf '%%PDF-1.4 small\n' >"$work/small.pdf"
check "the one-message form still uploads" "$claimsctl" claims evidence "$name" "$work/small.pdf"
history=$("$claimsctl" claims history "$name")
check "the claim holds exactly the two documents" test "$(echo "$history" | field '["evidence"].__len__()')" = 2

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  cat "$work/log"
  exit 1
fi

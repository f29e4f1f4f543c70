#!/usr/bin/env bash
# claimsctl's client commands against a real claimsd on loopback: a claim through create,
# evidence, a refused and an accepted submit, a reviewer's start_review, list and history.
set -euo pipefail
claimsd=${1:?claimsd} claimsctl=${2:?claimsctl} config_dir=${3:?config dir}
work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cp -r "$config_dir/workflows" "$config_dir/calendars" "$work/"
sed -e 's|^  url: sqlite:.*|  url: sqlite:claims.db|' \
    -e 's|^listen: .*|listen: 127.0.0.1:0|' \
    -e 's|^  listen: .*|  listen: ""|' \
    "$config_dir/claimsd.yaml" >"$work/claimsd.yaml"
"$claimsd" --config "$work/claimsd.yaml" >"$work/log" 2>&1 &
pid=$!
port=
for _ in $(seq 1 100); do
  port=$(grep -o 'port [0-9]*' "$work/log" | head -n 1 | cut -d' ' -f2 || true)
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/log"; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "claimsd did not start"; cat "$work/log"; exit 1; }

export CLAIMS_SERVER=127.0.0.1:$port CLAIMS_ACTOR=pat CLAIMS_ROLES=billing_admin CLAIMS_PARTNER=contoso
failures=0
check() {  # check DESCRIPTION COMMAND...: the command must succeed
  if "${@:2}" >/dev/null 2>&1; then echo "ok: $1"; else echo "FAIL: $1"; failures=$((failures + 1)); fi
}
field() { /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

claim=$("$claimsctl" claims create partners/contoso --mpn 1234567 \
  --customer-tenant-id 6f1c2a9e-0000-4000-8000-000000000001 --customer-name Fabrikam \
  --product dynamics_365_sales --activity revenue_association --request-id c-1)
name=$(echo "$claim" | field '["name"]')
check "create answers a claim in editing" test "$(echo "$claim" | field '["state"]')" = editing

refused=$("$claimsctl" claims act "$name" submit 2>&1 || true)
check "submit without PoE is refused with the guard" grep -q 'FAILED_PRECONDITION.*reason: GUARD_FAILED' <<<"$(echo $refused)"
check "the refusal lists the available actions" grep -q 'available_actions: withdraw' <<<"$refused"

echo '%PDF-1.7' >"$work/poe.pdf"
check "evidence uploads" "$claimsctl" claims evidence "$name" "$work/poe.pdf"
submitted=$("$claimsctl" claims act "$name" submit)
check "submit moves the claim to submitted" test "$(echo "$submitted" | field '["state"]')" = submitted
reviewed=$(CLAIMS_ACTOR=rita CLAIMS_ROLES=reviewer "$claimsctl" claims act \
  "partners/-/claims/${name##*/}" start_review)
check "a reviewer starts the review" test "$(echo "$reviewed" | field '["state"]')" = under_review
listed=$(CLAIMS_ACTOR=rita CLAIMS_ROLES=reviewer "$claimsctl" claims list partners/- --state under_review)
check "list filters by state" test "$(echo "$listed" | field '["claims"][0]["name"]')" = "$name"
history=$("$claimsctl" claims history "$name")
check "history has every step" test "$(echo "$history" | field '["entries"].__len__()')" -ge 4
other=$(CLAIMS_PARTNER=northwind "$claimsctl" claims get "$name" 2>&1 || true)
check "another partner gets NOT_FOUND" grep -q '^error: NOT_FOUND' <<<"$other"

echo "$((9 - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]

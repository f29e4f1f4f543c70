#!/usr/bin/env bash
# claimsctl's client commands against a real claimsd on loopback: a claim through create,
# evidence, a refused and an accepted submit, a reviewer's start_review, list and history;
# then against a claimsd that takes bearer tokens only (auth.mode jwt).
set -euo pipefail
claimsd=${1:?claimsd} claimsctl=${2:?claimsctl} config_dir=${3:?config dir}
. "$(dirname "$0")/claimsd_harness.sh"
write_config
start_claimsd "$work/log"

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

# auth.mode jwt with an HS256 key: a token minted here as an identity provider would, with
# nothing but the standard library.
export CLAIMS_TEST_JWT_SECRET=0123456789abcdef0123456789abcdef-cli
sed -e 's|^  url: sqlite:.*|  url: sqlite:claims-jwt.db|' "$work/claimsd.yaml" >"$work/claimsd-jwt.yaml"
cat >>"$work/claimsd-jwt.yaml" <<'YAML'
auth:
  mode: jwt
  issuer: https://login.example.test/
  audience: claims
  keys:
    - {algorithm: HS256, secret_env: CLAIMS_TEST_JWT_SECRET}
YAML
start_claimsd "$work/log-jwt" "$work/claimsd-jwt.yaml"
token=$(/usr/bin/python3 - <<'PY'
import base64, hashlib, hmac, json, os, time
def part(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
signed = part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + part(json.dumps({
    "iss": "https://login.example.test/", "aud": "claims", "sub": "pat@contoso",
    "exp": int(time.time()) + 300, "roles": ["billing_admin"], "partner_id": "contoso"}).encode())
secret = os.environ["CLAIMS_TEST_JWT_SECRET"].encode()
print(signed + "." + part(hmac.new(secret, signed.encode(), hashlib.sha256).digest()))
PY
)
export CLAIMS_SERVER=127.0.0.1:$port
create_args=(claims create partners/contoso --mpn 1234567 --customer-name Fabrikam
  --customer-tenant-id 6f1c2a9e-0000-4000-8000-000000000001 --product power_bi
  --activity pre_sales)
created=$(CLAIMS_TOKEN=$token "$claimsctl" "${create_args[@]}")
check "a bearer token creates the claim as its subject" \
  test "$(echo "$created" | field '["creator"]')" = pat@contoso
headers_only=$("$claimsctl" "${create_args[@]}" 2>&1 || true)
check "identity headers alone are UNAUTHENTICATED" grep -q '^error: UNAUTHENTICATED' <<<"$headers_only"

echo "$((11 - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]

#!/usr/bin/env bash
# claimsctl against a claimsd that takes mutual TLS only: with --tls-ca/--tls-cert/--tls-key and
# with the CLAIMS_TLS_* variables a claim is created; without a client certificate, in plaintext
# or trusting another CA the call fails. Certificates are made here (make_test_certs.sh).
set -euo pipefail
claimsd=${1:?claimsd} claimsctl=${2:?claimsctl} config_dir=${3:?config dir} certs_script=${4:?}
. "$(dirname "$0")/claimsd_harness.sh"
"$certs_script" "$work/certs"
write_config
cat >>"$work/claimsd.yaml" <<'YAML'
tls:
  cert_file: certs/server.crt
  key_file: certs/server.key
  client_ca_file: certs/ca.crt
YAML
start_claimsd

export CLAIMS_SERVER=localhost:$port CLAIMS_ACTOR=pat CLAIMS_ROLES=billing_admin \
  CLAIMS_PARTNER=contoso
failures=0 checks=0
check() {  # check DESCRIPTION COMMAND...: the command must succeed
  checks=$((checks + 1))
  if "${@:2}" >/dev/null 2>&1; then echo "ok: $1"; else echo "FAIL: $1"; failures=$((failures + 1)); fi
}
field() { /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
create=(claims create partners/contoso --mpn 1234567 --customer-name Fabrikam
  --customer-tenant-id 6f1c2a9e-0000-4000-8000-000000000001 --product power_bi
  --activity pre_sales)
c=$work/certs

created=$("$claimsctl" "${create[@]}" --tls-ca "$c/ca.crt" \
  --tls-cert "$c/client.crt" --tls-key "$c/client.key" 2>&1 || true)
check "mutual TLS with flags creates the claim" test "$(echo "$created" | field '["state"]')" = editing
created=$(CLAIMS_TLS_CA=$c/ca.crt CLAIMS_TLS_CERT=$c/client.crt CLAIMS_TLS_KEY=$c/client.key \
  "$claimsctl" "${create[@]}" 2>&1 || true)
check "mutual TLS from CLAIMS_TLS_* creates the claim" \
  test "$(echo "$created" | field '["state"]')" = editing
by_address=$(CLAIMS_SERVER=127.0.0.1:$port "$claimsctl" "${create[@]}" --tls-ca "$c/ca.crt" \
  --tls-cert "$c/client.crt" --tls-key "$c/client.key" --tls-server-name localhost 2>&1 || true)
check "an address with --tls-server-name verifies the certificate's name" \
  test "$(echo "$by_address" | field '["state"]')" = editing

no_cert=$("$claimsctl" "${create[@]}" --tls-ca "$c/ca.crt" 2>&1 || true)
check "without a client certificate the call fails" grep -q '^error: UNAVAILABLE' <<<"$no_cert"
stranger=$("$claimsctl" "${create[@]}" --tls-ca "$c/ca.crt" --tls-cert "$c/other-client.crt" \
  --tls-key "$c/other-client.key" 2>&1 || true)
check "a certificate another CA signed fails" grep -q '^error: UNAVAILABLE' <<<"$stranger"
plaintext=$("$claimsctl" "${create[@]}" 2>&1 || true)
check "plaintext fails" grep -q '^error: UNAVAILABLE' <<<"$plaintext"
wrong_ca=$("$claimsctl" "${create[@]}" --tls-ca "$c/other-ca.crt" --tls-cert "$c/client.crt" \
  --tls-key "$c/client.key" 2>&1 || true)
check "a server certificate the given CA did not sign fails" grep -q '^error: UNAVAILABLE' <<<"$wrong_ca"
half=$("$claimsctl" "${create[@]}" --tls-cert "$c/client.crt" 2>&1 || true)
check "a certificate without its key is a usage error" grep -q 'go together' <<<"$half"

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]

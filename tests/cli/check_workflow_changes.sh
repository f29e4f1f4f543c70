#!/usr/bin/env bash
# claimsctl workflows diff, migrate and recompute-deadlines against a real claimsd on loopback
# (manual clock on Monday 4 March 2030, 09:00 in Los Angeles): the diff of two files as text and
# JSON, the diff against the running claims, publishing a version that migrates them (SIGHUP),
# a dry run then the migration page by page, a refused migration's exit code and reason, and a
# holiday added to the calendar moving the running deadlines on recompute-deadlines.
set -euo pipefail
claimsd=${1:?claimsd} claimsctl=${2:?claimsctl} config_dir=${3:?config dir}
. "$(dirname "$0")/claimsd_harness.sh"
write_config 0 -e 's|^clock: .*|clock: manual|' -e 's|^  watch_seconds: .*|  watch_seconds: 0|' \
  -e 's|^shutdown_grace_seconds: .*|shutdown_grace_seconds: 1|'
start_claimsd "$work/log"

export CLAIMS_SERVER=127.0.0.1:$port CLAIMS_ACTOR=pat CLAIMS_ROLES=billing_admin CLAIMS_PARTNER=contoso
reviewer=(env CLAIMS_ACTOR=rita CLAIMS_ROLES=reviewer CLAIMS_PARTNER=)
failures=0 passed=0
pass() { echo "ok: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }
has() {  # has DESCRIPTION FILE REGEX: a line of FILE matches REGEX
  if grep -Eq -- "$3" "$2"; then pass "$1"; else fail "$1"; echo "--- $2:"; cat "$2"; fi
}
exits() {  # exits DESCRIPTION CODE COMMAND...: the command must exit with CODE (output in $work/out)
  local code=0
  "${@:3}" >"$work/out" 2>&1 || code=$?
  if [ "$code" -eq "$2" ]; then pass "$1 (exit $2)"; else fail "$1: exit $code, expected $2"; cat "$work/out"; fi
}
field() { /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

"$claimsctl" clock set 2030-03-04T17:00:00Z --output json >/dev/null
echo '%PDF-1.7' >"$work/poe.pdf"
submitted_claim() {
  local name
  name=$("$claimsctl" claims create partners/contoso --mpn 1234567 --product dynamics_365_sales \
    --customer-tenant-id 6f1c2a9e-0000-4000-8000-000000000001 --customer-name Fabrikam \
    --activity revenue_association --output json | field '["name"]')
  "$claimsctl" claims evidence "$name" "$work/poe.pdf" --output json >/dev/null
  "$claimsctl" claims act "$name" submit --output json >/dev/null
  "${reviewer[@]}" "$claimsctl" claims act "$name" start_review --output json >/dev/null
  echo "$name"
}
first=$(submitted_claim)
second=$(submitted_claim)
waiting=$(submitted_claim)
"${reviewer[@]}" "$claimsctl" claims act "$waiting" request_info --reason missing_all_poe \
  --comment "Please upload the signed SOW." --output json >/dev/null

# Version 2, drafted beside the workflows directory (its include resolves the same way): the
# partner's state renamed, a day more for the review decision, and the claims of version 1
# taken over with the renamed state mapped.
mkdir -p "$work/drafts"
sed -e 's/^version: 1$/version: 2/' -e 's/partner_action_required/awaiting_partner/g' \
  -e 's/Review decision within 5 business days/Review decision within 6 business days/' \
  -e '/id: review_decision/,/start_on/ s/duration: {business_days: 5}/duration: {business_days: 6}/' \
  "$work/workflows/cpor-association.yaml" >"$work/drafts/v2.yaml"
cat >>"$work/drafts/v2.yaml" <<'YAML'

migrate_from:
  version: 1
  states:
    partner_action_required: awaiting_partner
YAML

# The diff of two files, as any caller may ask.
"$claimsctl" workflows diff "$work/workflows/cpor-association.yaml" "$work/drafts/v2.yaml" \
  --output text >"$work/diff.txt"
has "diff names the workflow and both versions" "$work/diff.txt" '^workflows/cpor-association: version 1 -> 2$'
has "diff lists the removed state" "$work/diff.txt" '^  - partner_action_required$'
has "diff lists the added state" "$work/diff.txt" '^  \+ awaiting_partner$'
has "diff lists the changed timer" "$work/diff.txt" '^  ~ review_decision$'
has "diff has a section per kind" "$work/diff.txt" '^calendars:$'
has "diff lists actions per state and role" "$work/diff.txt" '^actions per state and role:$'
has "diff says the migration places every state" "$work/diff.txt" '^migration: declared; it places every state of version 1$'
"$claimsctl" workflows diff "$work/workflows/cpor-association.yaml" "$work/drafts/v2.yaml" \
  --output json >"$work/diff.json"
if /usr/bin/python3 - "$work/diff.json" <<'PY'
import json, sys
diff = json.load(open(sys.argv[1]))
states = {c["id"]: c["kind"] for c in diff["diff"]["states"]}
assert diff["diff"]["workflow_id"] == "cpor-association", diff
assert diff["diff"]["before_version"] == "1" and diff["diff"]["after_version"] == "2", diff
assert states == {"partner_action_required": "CHANGE_KIND_REMOVED",
                  "awaiting_partner": "CHANGE_KIND_ADDED"}, states
assert diff["migration_declared"] is True and "live" not in diff, diff
PY
then pass "diff --output json is the response as protobuf JSON"; else fail "diff JSON"; cat "$work/diff.json"; fi

# Against the running claims: reviewers only, every page.
exits "a partner may not diff against the running claims" 6 \
  "$claimsctl" workflows diff cpor-association@1 "$work/drafts/v2.yaml" --against-live
if grep -q "${first##*/}" "$work/out"; then fail "the refusal names a claim"; else pass "the refusal names no claim"; fi
"${reviewer[@]}" "$claimsctl" workflows diff cpor-association@1 "$work/drafts/v2.yaml" \
  --against-live --page-size 1 --output text >"$work/live.txt"
has "the first claim under review gets a business day more" "$work/live.txt" \
  "^  claims/${first##*/}  contoso  under_review -> under_review$"
has "each moved deadline reads in business days" "$work/live.txt" \
  '^      review_decision: due 2030-03-12T07:00:00Z -> 2030-03-13T07:00:00Z \(\+1 business day\)$'
has "the waiting claim takes the renamed state" "$work/live.txt" \
  "^  claims/${waiting##*/}  contoso  partner_action_required -> awaiting_partner$"
has "the summary counts every page" "$work/live.txt" '^3 claims examined, 0 stranded, 2 with moved deadlines$'
"${reviewer[@]}" "$claimsctl" workflows diff cpor-association@1 "$work/drafts/v2.yaml" \
  --against-live --page-size 1 --output json >"$work/live.json"
if /usr/bin/python3 - "$work/live.json" <<'PY'
import json, sys
live = json.load(open(sys.argv[1]))["live"]
assert live["claims_examined"] == "3" and live["claims_with_moved_deadlines"] == "2", live
assert len(live["claims"]) == 3 and "next_page_token" not in live, live
PY
then pass "diff --against-live --output json aggregates every page"; else fail "live JSON"; cat "$work/live.json"; fi

# Published: the migration checks first, then moves every claim, page by page.
cp "$work/drafts/v2.yaml" "$work/workflows/cpor-association-v2.yaml"
kill -HUP "$pid"
for _ in $(seq 1 50); do
  "$claimsctl" workflows get cpor-association --version 2 --output json >/dev/null 2>&1 && break
  sleep 0.1
done
exits "a partner may not migrate" 6 "$claimsctl" workflows migrate cpor-association --to-version 2
exits "migrate --dry-run" 0 "${reviewer[@]}" "$claimsctl" workflows migrate cpor-association \
  --to-version 2 --dry-run --output text
has "the dry run says what would move" "$work/out" \
  '^dry run: 3 running claims of version 1 would move to version 2; the first 3:$'
has "the dry run lists the moves" "$work/out" '^      review_decision: due .* \(\+1 business day\)$'
check_version() {  # check_version DESCRIPTION CLAIM VERSION
  local got
  got=$("$claimsctl" claims get "$2" --output json | field '["workflow_version"]')
  if [ "$got" = "$3" ]; then pass "$1"; else fail "$1: version $got"; fi
}
check_version "the dry run migrated nothing" "$first" 1
exits "migrate" 0 "${reviewer[@]}" "$claimsctl" workflows migrate cpor-association --to-version 2 \
  --page-size 2 --output text
has "migrate reports each call" "$work/out" '^call 1: migrated 2, skipped 0, 1 remaining$'
has "migrate calls until none remain" "$work/out" '^call 2: migrated 1, skipped 0, 0 remaining$'
has "migrate sums up" "$work/out" '^migrated 3 claims from version 1 to version 2 in 2 calls'
check_version "the claims are on version 2" "$waiting" 2
state=$("$claimsctl" claims get "$waiting" --output json | field '["state"]')
if [ "$state" = awaiting_partner ]; then pass "the waiting claim is in the renamed state"; else fail "state $state"; fi
exits "a version without migrate_from is refused" 5 "${reviewer[@]}" "$claimsctl" workflows migrate \
  cpor-association --to-version 1
has "the refusal gives its reason" "$work/out" '^  reason: MIGRATION_NOT_DECLARED$'

# Wednesday 6 March becomes a holiday: recompute-deadlines moves the running deadlines.
sed -i 's|^holidays:$|holidays:\n  - {date: 2030-03-06, name: Company holiday}|' "$work/calendars/us.yaml"
kill -HUP "$pid"
for _ in $(seq 1 50); do
  grep -q "calendars changed" "$work/log" && break
  sleep 0.1
done
exits "recompute-deadlines --dry-run" 0 "${reviewer[@]}" "$claimsctl" workflows recompute-deadlines \
  cpor-association --version 2 --dry-run --page-size 2 --output text
has "the dry run prints each moved deadline" "$work/out" \
  '^      review_decision: due 2030-03-13T07:00:00Z -> 2030-03-14T07:00:00Z \(\+1 business day\)$'
has "the waiting claim's deadline moves too" "$work/out" \
  '^      partner_response: due 2030-03-12T07:00:00Z -> 2030-03-13T07:00:00Z \(\+1 business day\)$'
has "the dry run sums up" "$work/out" '^dry run: 3 claims examined, 3 would change, 0 skipped'
due=$("$claimsctl" claims get "$first" --output json |
  /usr/bin/python3 -c "import json,sys; print([t['due_time'] for t in json.load(sys.stdin)['timers'] if t['name'] == 'review_decision'][0])")
if [ "$due" = 2030-03-13T07:00:00Z ]; then pass "the dry run moved nothing"; else fail "due $due"; fi
exits "recompute-deadlines" 0 "${reviewer[@]}" "$claimsctl" workflows recompute-deadlines \
  cpor-association --version 2 --output text
has "recompute-deadlines sums up" "$work/out" '^3 claims examined, 3 changed, 0 skipped'
due=$("$claimsctl" claims get "$first" --output json |
  /usr/bin/python3 -c "import json,sys; print([t['due_time'] for t in json.load(sys.stdin)['timers'] if t['name'] == 'review_decision'][0])")
if [ "$due" = 2030-03-14T07:00:00Z ]; then pass "the deadline moved"; else fail "due $due"; fi

# Completion knows the new commands.
"$claimsctl" completion bash >"$work/completion.bash"
completed=$(bash -c "source '$work/completion.bash'; COMP_WORDS=(claimsctl workflows re); COMP_CWORD=2; _claimsctl; echo \"\${COMPREPLY[*]}\"")
if [ "$completed" = recompute-deadlines ]; then pass "completion offers recompute-deadlines"; else fail "completion: $completed"; fi
completed=$(bash -c "source '$work/completion.bash'; COMP_WORDS=(claimsctl workflows diff --against); COMP_CWORD=3; _claimsctl; echo \"\${COMPREPLY[*]}\"")
if [ "$completed" = --against-live ]; then pass "completion offers --against-live"; else fail "completion: $completed"; fi

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]

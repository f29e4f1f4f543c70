#!/usr/bin/env bash
# claimsctl for people and scripts, against a real claimsd on loopback (manual clock): exit
# codes per kind of failure, text tables and readable deadlines, JSON, the Workflows and
# TestClock commands, `claims watch` following live and resuming after a restart of claimsd
# with no gap and no repeat, --version, and the bash completion script.
set -euo pipefail
claimsd=${1:?claimsd} claimsctl=${2:?claimsctl} config_dir=${3:?config dir}
. "$(dirname "$0")/claimsd_harness.sh"
start_claimsd_on() {  # start_claimsd_on PORT LOG: a manual clock, a short shutdown grace
  write_config "$1" -e 's|^clock: .*|clock: manual|' \
    -e 's|^shutdown_grace_seconds: .*|shutdown_grace_seconds: 1|'
  start_claimsd "$2"
}
start_claimsd_on 0 "$work/log1"

export CLAIMS_SERVER=127.0.0.1:$port CLAIMS_ACTOR=pat CLAIMS_ROLES=billing_admin CLAIMS_PARTNER=contoso
reviewer=(env CLAIMS_ACTOR=rita CLAIMS_ROLES=reviewer CLAIMS_PARTNER=)
failures=0 passed=0
pass() { echo "ok: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }
check() {  # check DESCRIPTION COMMAND...: the command must succeed
  if "${@:2}" >/dev/null 2>&1; then pass "$1"; else fail "$1"; fi
}
exits() {  # exits DESCRIPTION CODE COMMAND...: the command must exit with CODE
  local code=0
  "${@:3}" >"$work/out" 2>&1 || code=$?
  if [ "$code" -eq "$2" ]; then pass "$1 (exit $2)"; else fail "$1: exit $code, expected $2"; cat "$work/out"; fi
}
field() { /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
create() {
  "$claimsctl" claims create partners/contoso --mpn 1234567 --product dynamics_365_sales \
    --customer-tenant-id 6f1c2a9e-0000-4000-8000-000000000001 --customer-name "${1:-Fabrikam}" \
    --activity revenue_association --output json | field '["name"]'
}

# Exit codes.
name=$(create)
exits "an unknown claim is NOT_FOUND" 3 "$claimsctl" claims get partners/contoso/claims/01ARZ3NDEKTSV4RRFFQ69G5FAV
exits "a field over its limit is INVALID_ARGUMENT" 4 "$claimsctl" claims update "$name" --mpn "$(printf 'x%.0s' $(seq 1 200))"
exits "submit without PoE is FAILED_PRECONDITION" 5 "$claimsctl" claims act "$name" submit
exits "a reviewer may not create claims: PERMISSION_DENIED" 6 "${reviewer[@]}" "$claimsctl" claims create partners/contoso \
  --mpn 1 --customer-tenant-id 6f1c2a9e-0000-4000-8000-000000000001 --product power_bi --activity pre_sales
exits "no server is UNAVAILABLE" 7 "$claimsctl" claims get "$name" --server 127.0.0.1:1 --timeout 2
exits "an unknown option is a usage error" 2 "$claimsctl" claims get "$name" --no-such-option
exits "a malformed duration is a usage error" 2 "$claimsctl" clock advance 5x

# Text for people: tables and deadlines as the server words them.
echo '%PDF-1.7' >"$work/poe.pdf"
"$claimsctl" claims evidence "$name" "$work/poe.pdf" --output json >/dev/null
"$claimsctl" claims act "$name" submit --output json >/dev/null
"${reviewer[@]}" "$claimsctl" claims act "partners/-/claims/${name##*/}" start_review --output json >/dev/null
"${reviewer[@]}" "$claimsctl" claims list partners/- --output text >"$work/list"
if head -n 1 "$work/list" | grep -Eq '^NAME +STATE +SLA +NEXT DEADLINE +CUSTOMER +UPDATED$' &&
   grep -Eq "^$name +under_review +on track +end of [A-Z][a-z]{2} [0-9]+ [A-Z][a-z]{2} [0-9]{4}, " "$work/list"; then
  pass "claims list prints a table with the readable deadline"
else fail "claims list table"; cat "$work/list"; fi
"$claimsctl" claims get "$name" --output text >"$work/get"
if grep -Eq '^next deadline: end of .*\([0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z\)$' "$work/get" &&
   grep -Eq '^review_decision +armed +end of ' "$work/get"; then
  pass "claims get shows the deadline in words next to the instant, and its timers"
else fail "claims get text"; cat "$work/get"; fi
"$claimsctl" claims history "$name" --output text >"$work/history"
if grep -Eq '^SEQ +TIME +KIND +WHAT +ACTOR +STATE +REASONS +COMMENT$' "$work/history" &&
   grep -Eq 'action +start_review +rita \(reviewer\) +submitted -> under_review' "$work/history"; then
  pass "claims history prints a table of every step"
else fail "claims history table"; cat "$work/history"; fi
"${reviewer[@]}" "$claimsctl" claims get "partners/-/claims/${name##*/}" --output text >"$work/get-reviewer"
if grep -Eq '^  reject \(Reject\) -> rejected$' "$work/get-reviewer" &&
   grep -Eq '^        insufficient_poe ' "$work/get-reviewer"; then
  pass "claims get lists what each available action needs"
else fail "claims get actions"; cat "$work/get-reviewer"; fi
check "JSON is the default when piped" field '["state"]' <<<"$("$claimsctl" claims get "$name")"

# Workflows over the API.
"$claimsctl" workflows list --output text >"$work/workflow-list"
if grep -Eq '^workflows/cpor-association +yes +1 ' "$work/workflow-list"; then pass "workflows list table"
else fail "workflows list table"; cat "$work/workflow-list"; fi
check "workflows get shows the rejection catalog" grep -q '^catalog rejection_reasons' \
  <("$claimsctl" workflows get cpor-association --output text)
check "workflows get --source prints the YAML" grep -q '^roles:' <("$claimsctl" workflows get cpor-association --source --output text)
check "workflows graph draws dot" grep -q '^digraph' <("$claimsctl" workflows graph cpor-association --output text)
valid=$("$claimsctl" workflows validate "$work/workflows/cpor-association.yaml" --output json)
check "workflows validate --output json says valid" test "$(field '[0]["valid"]' <<<"$valid")" = True
printf 'name: broken\nstates: [\n' >"$work/broken.yaml"
exits "workflows validate of a broken file" 1 "$claimsctl" workflows validate "$work/broken.yaml" --output text
check "the server's diagnostics name the file, line and column" grep -Eq "^$work/broken.yaml:[0-9]+:[0-9]+: " "$work/out"
local_json=$("$claimsctl" validate --output json "$work/broken.yaml" || true)
check "local validate --output json lists the diagnostics" test \
  "$(field '[0]["diagnostics"][0]["line"] > 0' <<<"$local_json")" = True

# The test clock.
before=$("$claimsctl" clock get --output json | field '["time"]')
after=$("$claimsctl" clock advance 5d --output json | field '["time"]')
check "clock advance 5d moves the server's time five days" /usr/bin/python3 -c "
from datetime import datetime as d
f=lambda s: d.fromisoformat(s.replace('Z','+00:00'))
assert (f('$after') - f('$before')).total_seconds() == 5*86400"
exits "clock set before now is INVALID_ARGUMENT" 4 "$claimsctl" clock set 2000-01-01T00:00:00Z

# claims watch: live, across a restart, resumable from a printed cursor.
"${reviewer[@]}" "$claimsctl" claims watch --output text --reconnect-for 60 >"$work/watch" 2>"$work/watch.err" &
watcher=$!
pids+=("$watcher")
for i in 1 2; do "$claimsctl" claims act "$(create "Before $i")" withdraw --output json >/dev/null; done
stop_claimsd
start_claimsd_on "$port" "$work/log2"
for i in 1 2; do "$claimsctl" claims act "$(create "After $i")" withdraw --output json >/dev/null; done
"${reviewer[@]}" "$claimsctl" claims watch --output text --limit 1000 --reconnect-for 0 >"$work/all" 2>/dev/null &
reader=$!
pids+=("$reader")
sleep 2
kill "$reader" 2>/dev/null || true
expected=$(wc -l <"$work/all")
for _ in $(seq 1 100); do
  [ "$(wc -l <"$work/watch")" -ge "$expected" ] && break
  sleep 0.1
done
kill "$watcher" 2>/dev/null || true
if [ "$expected" -ge 8 ] && diff <(cut -d' ' -f1 "$work/all") <(cut -d' ' -f1 "$work/watch"); then
  pass "watch followed across the restart: $expected events, none missed or repeated"
else fail "watch across a restart ($expected expected)"; cat "$work/watch.err"; fi
check "watch said it reconnected" grep -q reconnecting "$work/watch.err"
third=$(sed -n 3p "$work/all")
cursor=$(sed -n 2p "$work/all" | sed 's/.* cursor=//')
resumed=$("${reviewer[@]}" "$claimsctl" claims watch --after-cursor "$cursor" --limit 1 --output text)
check "watch --after-cursor resumes right after that event" test "$resumed" = "$third"
sequence=$(sed -n 2p "$work/all" | cut -d' ' -f1)
resumed=$("${reviewer[@]}" "$claimsctl" claims watch --after-sequence "$sequence" --limit 1 --output text)
check "watch --after-sequence resumes right after that event" test "$resumed" = "$third"
typed=$("${reviewer[@]}" "$claimsctl" claims watch --type rejection_notice --limit 1 --output json)
check "watch --type filters" test "$(field '["type"]' <<<"$typed")" = rejection_notice

# --version and completion.
check "--version names the version and commit" grep -Eq '^claimsctl [0-9]+\.[0-9]+\.[0-9]+ \(commit ' <("$claimsctl" --version)
"$claimsctl" completion bash >"$work/completion.bash"
check "the bash completion script parses" bash -n "$work/completion.bash"
check "it registers a completion for claimsctl" bash -c "source '$work/completion.bash' && complete -p claimsctl | grep -q _claimsctl"
completed=$(bash -c "source '$work/completion.bash'; COMP_WORDS=(claimsctl claims wa); COMP_CWORD=2; _claimsctl; echo \"\${COMPREPLY[*]}\"")
check "it completes sub-commands" test "$completed" = watch
completed=$(bash -c "source '$work/completion.bash'; COMP_WORDS=(claimsctl claims watch --after-c); COMP_CWORD=3; _claimsctl; echo \"\${COMPREPLY[*]}\"")
check "it completes a command's options" test "$completed" = --after-cursor
"$claimsctl" completion zsh >"$work/_claimsctl"
check "the zsh completion script parses" zsh -n "$work/_claimsctl"
completed=$(zsh -c "autoload -U compinit && compinit -u -d '$work/zcompdump' && source '$work/_claimsctl' &&
  print -- \${_comps[claimsctl]} \${_claimsctl_words[claimsctl clock]}")
check "it loads in zsh and registers _claimsctl with the clock's commands" \
  grep -Eq '^_claimsctl get set advance ' <<<"$completed"

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]

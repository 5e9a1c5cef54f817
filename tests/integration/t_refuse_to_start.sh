#!/usr/bin/env bash
# t_refuse_to_start.sh - fail closed before touching the medium: no signatures, a broken
# policy, an unwritable audit log.  Exit 2, a clear message, nothing published; and
# `kiosk policy check` names each error with its line.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/src" "$T/empty-db"
make_csv "$T/src/list.csv"

# 1. no signatures
out=$("$KIOSK" scan --policy "$POLICY" --staging "$STAGING" --work-dir "$WORKDIR" --signing-key "$SIGNKEY" --signatures "$T/empty-db" \
      --audit-log "$AUDIT" --run-dir "$RUNDIR" "$T/src" 2>&1) && fail "scan ran without signatures"
rc=$?; [ $rc = 2 ] || fail "no signatures: exit $rc, expected 2"
grep -q "no signatures" <<<"$out" || fail "no signatures: message missing: $out"
expect_nothing_published

# 2. a policy with two mistakes: each reported with its line, nothing scanned
cp "$POLICY" "$T/bad.conf"
sed -i 's/^\[limits\]$/[limits]\nmax-file-sise = 10M/' "$T/bad.conf"
sed -i 's/^version *=.*/version = one/' "$T/bad.conf"
vline=$(grep -n '^version' "$T/bad.conf" | cut -d: -f1)
kline=$(grep -n '^max-file-sise' "$T/bad.conf" | cut -d: -f1)
set +e
"$KIOSK" policy check "$T/bad.conf" > "$T/check.out" 2>&1; rc=$?
set -e
[ $rc = 1 ] || fail "policy check exit $rc, expected 1"
grep -q "bad.conf:$vline:" "$T/check.out" || fail "policy check did not name line $vline: $(cat "$T/check.out")"
grep -q "bad.conf:$kline:" "$T/check.out" || fail "policy check did not name line $kline: $(cat "$T/check.out")"
set +e
"$KIOSK" scan --policy "$T/bad.conf" --staging "$STAGING" --work-dir "$WORKDIR" --signing-key "$SIGNKEY" --signatures "$SIGS" \
    --audit-log "$AUDIT" --run-dir "$RUNDIR" "$T/src" > "$T/scan.out" 2>&1; rc=$?
set -e
[ $rc = 2 ] || fail "scan with a broken policy: exit $rc, expected 2"
grep -q "not valid" "$T/scan.out" || fail "scan with a broken policy: no message"
expect_nothing_published

# 2b. a block rule whose reason is in one language only: valid (exit 0), with a warning
# naming the rule and its line; the shipped policy gives both languages, no warning
"$KIOSK" policy check "$POLICY" > "$T/ok.out" 2> "$T/ok.err" || fail "the shipped policy: $(cat "$T/ok.err")"
[ ! -s "$T/ok.err" ] || fail "warnings about the shipped policy: $(cat "$T/ok.err")"
sed '/^reason\[ja\]=スクリプト/d' "$POLICY" > "$T/half.conf"
sline=$(grep -n '^\[type:scripts\]' "$T/half.conf" | cut -d: -f1)
"$KIOSK" policy check "$T/half.conf" > "$T/half.out" 2> "$T/half.err" || fail "one language only made the policy invalid: $(cat "$T/half.err")"
[ "$(cat "$T/half.err")" = "warning: $T/half.conf:$sline: [type:scripts] gives reason= but no reason[ja]=: Japanese screens show the English text" ] ||
    fail "policy check warning: $(cat "$T/half.err")"

# 3. the audit log cannot be written: no session (invariant 6)
mkdir -p "$T/audit-is-a-dir"
SCAN_POLICY=$POLICY
run_scan "$T/src" 2>/dev/null || true
AUDIT_SAVED=$AUDIT
AUDIT="$T/audit-is-a-dir"
run_scan "$T/src"
expect_rc 2
expect_json '"audit" in j["error"]'
AUDIT=$AUDIT_SAVED
pass

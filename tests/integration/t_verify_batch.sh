#!/usr/bin/env bash
# t_verify_batch.sh - signed deliveries: minisign accepts the kiosk's signature, kiosk
# verify-batch passes on a fresh delivery and names each kind of tampering; the kiosk
# reads minisign's own signatures; a configured but unusable key fails the session closed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report-lib.sh"

signed_session
PUB=$KEYDIR/signing.pub
verify() {  # verify DIR [PUB] -> VRC, output in $T/verify.out
    set +e; "$KIOSK" verify-batch "$1" --pubkey "${2:-$PUB}" > "$T/verify.out" 2>&1; VRC=$?; set -e
}
expect_problem() {  # expect_problem TEXT: exit 1 and TEXT in the output
    [ "$VRC" = 1 ] || { cat "$T/verify.out"; fail "verify-batch exit $VRC, expected 1 ($1)"; }
    grep -qF -- "$1" "$T/verify.out" || { cat "$T/verify.out"; fail "verify-batch does not name: $1"; }
}

# Fresh delivery: kiosk and minisign agree.
verify "$DELIVERY"
[ "$VRC" = 0 ] || { cat "$T/verify.out"; fail "verify-batch rejects a fresh delivery"; }
grep -q '^OK:' "$T/verify.out" || fail "no OK line"
minisign -Vm "$DELIVERY/MANIFEST.json" -x "$DELIVERY/MANIFEST.json.sig" -p "$PUB" > "$T/minisign.out" ||
    fail "minisign rejects the kiosk's signature"

# The kiosk verifies a signature minisign made (prehashed, with its own key).
minisign -G -W -p "$T/mini.pub" -s "$T/mini.key" < /dev/null > /dev/null
cp -a "$DELIVERY" "$T/by-minisign"
minisign -S -s "$T/mini.key" -m "$T/by-minisign/MANIFEST.json" -x "$T/by-minisign/MANIFEST.json.sig" \
    -t "signed by minisign" < /dev/null > /dev/null
verify "$T/by-minisign" "$T/mini.pub"
[ "$VRC" = 0 ] || { cat "$T/verify.out"; fail "verify-batch rejects minisign's signature"; }

fresh() { rm -rf "$T/copy"; cp -a "$DELIVERY" "$T/copy"; }

# A changed byte in a delivered file.
fresh; printf 'X' | dd of="$T/copy/list.csv" bs=1 seek=3 conv=notrunc status=none
verify "$T/copy"; expect_problem "content changed: list.csv"

# A missing file.
fresh; rm "$T/copy/plans/baplie.edi"
verify "$T/copy"; expect_problem "missing: plans/baplie.edi"

# An extra file (and an extra folder).
fresh; echo evil > "$T/copy/plans/dropped.txt"; mkdir "$T/copy/extra"
verify "$T/copy"; expect_problem "unlisted file: plans/dropped.txt"; expect_problem "unlisted folder: extra"

# The blocked file put back by hand.
fresh; cp "$T/src/tool.exe" "$T/copy/tool.exe"
verify "$T/copy"; expect_problem "unlisted file: tool.exe"

# An edited manifest (a blocked file "made clean").
fresh; sed -i 's/"blocked"/"clean"/' "$T/copy/MANIFEST.json"
verify "$T/copy"; expect_problem "signature: "; expect_problem "does not match"

# A signature from another key.
fresh; "$KIOSK" keygen --out-dir "$T/other" > /dev/null
minisign -S -s "$T/other/signing.key" -m "$T/copy/MANIFEST.json" -x "$T/copy/MANIFEST.json.sig" < /dev/null > /dev/null ||
    fail "minisign cannot sign with a kiosk key"
verify "$T/copy"; expect_problem "made by another key"

# No signature at all.
fresh; rm "$T/copy/MANIFEST.json.sig"
verify "$T/copy"; expect_problem "not signed"

# Fail closed: a configured key that cannot be used publishes nothing.
chmod 0644 "$KEYDIR/signing.key"
rm -rf "$STAGING"; mkdir -p "$STAGING"
set +e
"$KIOSK" scan --config "$CONF" --policy "$POLICY" --staging "$STAGING" --signatures "$SIGS" \
    --audit-log "$AUDIT" --run-dir "$RUNDIR" --json "$T/src" > "$SCAN_JSON" 2> "$SCAN_ERR"
SCAN_RC=$?
set -e
expect_rc 2
expect_nothing_published
grep -q "could not be signed" "$SCAN_JSON" || fail "the failure does not say the delivery could not be signed"
expect_audit_ok
pass

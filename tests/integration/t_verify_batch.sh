#!/usr/bin/env bash
# t_verify_batch.sh - signed deliveries: minisign accepts the kiosk's signature, kiosk
# verify-batch passes on a fresh delivery and names each kind of tampering; a forged
# folder (paths leaving it, links, a FIFO for a manifest, NUL and control characters,
# absurd nesting, wrong types) is refused without reading outside it, hanging or crashing;
# the kiosk reads minisign's own signatures; a configured but unusable key fails the
# session closed.
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
for f in MANIFEST.json SHA256SUMS; do
    minisign -S -s "$T/mini.key" -m "$T/by-minisign/$f" -x "$T/by-minisign/$f.sig" \
        -t "signed by minisign" < /dev/null > /dev/null
done
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

# A forged folder.  The manifests are re-signed with the kiosk's own key, so the paths
# alone must be refused (a stolen key or a kiosk bug must not let a path leave the folder).
forge() {  # forge PYTHON: a fresh copy whose manifest (m) PYTHON edits, signed again
    fresh
    python3 - "$T/copy/MANIFEST.json" "$1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
delivered = [f for f in m["files"] if f.get("staged_path")]
first = delivered[0]
exec(sys.argv[2])
open(sys.argv[1], "w").write(m if isinstance(m, str) else json.dumps(m, indent=2))
PY
    minisign -S -s "$KEYDIR/signing.key" -m "$T/copy/MANIFEST.json" -x "$T/copy/MANIFEST.json.sig" \
        < /dev/null > /dev/null || fail "minisign cannot sign the forged manifest"
}
echo outside > "$T/escape.txt"
for bad in '../escape.txt' '/etc/hostname' 'plans/../../escape.txt' './list.csv' 'plans//baplie.edi' \
        '..\\escape.txt' 'C:escape.txt' 'list.csv.' 'manifest.json'; do
    forge "first['staged_path'] = '$bad'"
    verify "$T/copy"; expect_problem "has an unsafe staged_path"
    grep -q "^OK" "$T/verify.out" && fail "verify-batch accepts staged_path $bad"
done
# Control characters are refused and never reach the terminal raw.
forge "first['staged_path'] = 'list\x1b]0;owned\x07.csv'"
verify "$T/copy"; expect_problem 'unsafe staged_path '"'"'list\x1B]0;owned\x07.csv'"'"
! grep -q $'\x1b' "$T/verify.out" || fail "verify-batch printed an escape character"
# "\u0000" would cut a name short in json-glib: the whole manifest is refused.
forge "first['staged_path'] = first['staged_path'] + '\0/../../escape.txt'"
grep -q 'u0000' "$T/copy/MANIFEST.json" || fail "the forged manifest has no \\u0000"
verify "$T/copy"; expect_problem "MANIFEST.json is not valid JSON: NUL character (\\u0000) in a string"
# Wrong types (a crash before: NULL strings); a sha256 that is not a hash.
forge "m['session'] = 5; m['status'] = ['delivered']; first['sha256'] = 0; first['size'] = '68'"
verify "$T/copy"; expect_problem "status is '?', not a delivery"
expect_problem "has no valid sha256"; expect_problem "has no valid size"
# Two names that are one for the Windows readers of the share.
forge "m['files'].append(dict(first, staged_path=first['staged_path'].upper()))"
verify "$T/copy"; expect_problem "which clashes with"
# Absurd nesting (json-glib recurses once per level: a stack overflow) and lax JSON.
forge "m = '[' * 200000 + ']' * 200000"
verify "$T/copy"; expect_problem "MANIFEST.json is not valid JSON: nested too deep"
forge "m = json.dumps(m).replace('\"status\"', \"'status'\", 1)"
verify "$T/copy"; expect_problem "MANIFEST.json is not valid JSON: a name in quotes expected"
# A folder on the way replaced by a link: nothing is read through it.
fresh; mv "$T/copy/plans" "$T/elsewhere"; ln -s "$T/elsewhere" "$T/copy/plans"
verify "$T/copy"; expect_problem "not reachable without following a link: plans/baplie.edi"
rm -rf "$T/elsewhere"
# A manifest that is a FIFO or a link: refused at once, never opened.
fresh; rm "$T/copy/MANIFEST.json"; mkfifo "$T/copy/MANIFEST.json"
set +e; timeout 20 "$KIOSK" verify-batch "$T/copy" --pubkey "$PUB" > "$T/verify.out" 2>&1; VRC=$?; set -e
[ "$VRC" != 124 ] || fail "verify-batch hangs on a FIFO named MANIFEST.json"
expect_problem "not a regular file: MANIFEST.json"
fresh; mv "$T/copy/MANIFEST.json" "$T/real-manifest.json"; ln -s "$T/real-manifest.json" "$T/copy/MANIFEST.json"
verify "$T/copy"; expect_problem "not a regular file: MANIFEST.json"

# Fail closed: a configured key that cannot be used publishes nothing.
chmod 0644 "$KEYDIR/signing.key"
rm -rf "$STAGING"; mkdir -p "$STAGING"
set +e
"$KIOSK" scan --config "$CONF" --policy "$POLICY" --staging "$STAGING" --work-dir "$WORKDIR" \
    --signatures "$SIGS" --audit-log "$AUDIT" --run-dir "$RUNDIR" --json "$T/src" > "$SCAN_JSON" 2> "$SCAN_ERR"
SCAN_RC=$?
set -e
expect_rc 2
expect_nothing_published
cat "$SCAN_JSON" "$SCAN_ERR" | grep -q "could not be signed" || fail "the failure does not say the delivery could not be signed"
expect_audit_ok
pass

#!/usr/bin/env bash
# t_verify_batch.sh - signed deliveries: minisign accepts the kiosk's signature, kiosk
# verify-batch passes on a fresh delivery and names each kind of tampering; a forged
# folder (paths leaving it, links, a FIFO for a manifest, NUL and control characters,
# absurd nesting, wrong types) is refused without reading outside it, hanging or crashing;
# the kiosk reads minisign's own signatures; a delivery is bound to its folder name and the
# signature's trusted comment to its session and time; a configured but unusable key fails
# the session closed.
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

# Copies keep the session's folder name (a delivery is bound to it).
COPY=$T/copies/$SESSION
fresh() { rm -rf "$T/copies"; mkdir -p "$T/copies"; cp -a "$DELIVERY" "$COPY"; }
FINISHED=$(python3 -c 'import json,sys,datetime; print(int(datetime.datetime.fromisoformat(json.load(open(sys.argv[1]))["finished"].replace("Z","+00:00")).timestamp()))' "$DELIVERY/MANIFEST.json")
resign() {  # resign TRUSTED-COMMENT: the copy's manifest signed again with the kiosk's key
    minisign -S -s "$KEYDIR/signing.key" -m "$COPY/MANIFEST.json" -x "$COPY/MANIFEST.json.sig" \
        -t "$1" < /dev/null > /dev/null || fail "minisign -S -t"
}

# Fresh delivery: kiosk and minisign agree.
verify "$DELIVERY"
[ "$VRC" = 0 ] || { cat "$T/verify.out"; fail "verify-batch rejects a fresh delivery"; }
grep -q '^OK:' "$T/verify.out" || fail "no OK line"
grep -qF "session $SESSION" "$T/verify.out" || { cat "$T/verify.out"; fail "the OK line does not name the session"; }
minisign -Vm "$DELIVERY/MANIFEST.json" -x "$DELIVERY/MANIFEST.json.sig" -p "$PUB" > "$T/minisign.out" ||
    fail "minisign rejects the kiosk's signature"

# The kiosk verifies a signature minisign made (prehashed, with its own key).
minisign -G -W -p "$T/mini.pub" -s "$T/mini.key" < /dev/null > /dev/null
mkdir -p "$T/by-minisign"; cp -a "$DELIVERY" "$T/by-minisign/$SESSION"
for f in MANIFEST.json SHA256SUMS; do
    minisign -S -s "$T/mini.key" -m "$T/by-minisign/$SESSION/$f" -x "$T/by-minisign/$SESSION/$f.sig" \
        -t "$(printf 'timestamp:%s\tfile:%s\tsession:%s\thashed' "$FINISHED" "$f" "$SESSION")" < /dev/null > /dev/null
done
verify "$T/by-minisign/$SESSION" "$T/mini.pub"
[ "$VRC" = 0 ] || { cat "$T/verify.out"; fail "verify-batch rejects minisign's signature"; }


# A changed byte in a delivered file.
fresh; printf 'X' | dd of="$COPY/list.csv" bs=1 seek=3 conv=notrunc status=none
verify "$COPY"; expect_problem "content changed: list.csv"

# A missing file.
fresh; rm "$COPY/plans/baplie.edi"
verify "$COPY"; expect_problem "missing: plans/baplie.edi"

# An extra file (and an extra folder).
fresh; echo evil > "$COPY/plans/dropped.txt"; mkdir "$COPY/extra"
verify "$COPY"; expect_problem "unlisted file: plans/dropped.txt"; expect_problem "unlisted folder: extra"

# The blocked file put back by hand.
fresh; cp "$T/src/tool.exe" "$COPY/tool.exe"
verify "$COPY"; expect_problem "unlisted file: tool.exe"

# An edited manifest (a blocked file "made clean").
fresh; sed -i 's/"blocked"/"clean"/' "$COPY/MANIFEST.json"
verify "$COPY"; expect_problem "signature: "; expect_problem "does not match"

# A signature from another key.
fresh; "$KIOSK" keygen --out-dir "$T/other" > /dev/null
minisign -S -s "$T/other/signing.key" -m "$COPY/MANIFEST.json" -x "$COPY/MANIFEST.json.sig" < /dev/null > /dev/null ||
    fail "minisign cannot sign with a kiosk key"
verify "$COPY"; expect_problem "made by another key"

# No signature at all.
fresh; rm "$COPY/MANIFEST.json.sig"
verify "$COPY"; expect_problem "not signed"

# The binding of a signed delivery to its place: a copy under another folder name, or a
# signature whose trusted comment names another session, no session, or another time.
rm -rf "$T/renamed"; mkdir -p "$T/renamed"; cp -a "$DELIVERY" "$T/renamed/20990101-000000-deadbeef"
verify "$T/renamed/20990101-000000-deadbeef"; expect_problem "the folder is named 20990101-000000-deadbeef, the manifest says session $SESSION"
fresh; resign "$(printf 'timestamp:%s\tfile:MANIFEST.json\tsession:20990101-000000-deadbeef\thashed' "$FINISHED")"
verify "$COPY"; expect_problem "the signature was made for session 20990101-000000-deadbeef"
fresh; resign "$(printf 'timestamp:%s\tfile:MANIFEST.json\thashed' "$FINISHED")"
verify "$COPY"; expect_problem "the signature does not name the session"
fresh; resign "$(printf 'timestamp:%s\tfile:MANIFEST.json\tsession:%s\thashed' $((FINISHED - 86400)) "$SESSION")"
verify "$COPY"; expect_problem "the signature's time"
fresh; resign "$(printf 'timestamp:%s\tfile:MANIFEST.json\tsession:%s\thashed' "$FINISHED" "$SESSION")"
verify "$COPY"; [ "$VRC" = 0 ] || { cat "$T/verify.out"; fail "a re-signed copy with the right comment is refused"; }

# SHA256SUMS (for sha256sum -c on the TOS side) must say what the manifest says, and be
# signed for this session.
fresh; sed -i '1s/^./0/' "$COPY/SHA256SUMS"
verify "$COPY"; expect_problem "SHA256SUMS"
fresh; rm "$COPY/SHA256SUMS.sig"
verify "$COPY"; expect_problem "missing: SHA256SUMS.sig"

# A forged folder.  The manifests are re-signed with the kiosk's own key, so the paths
# alone must be refused (a stolen key or a kiosk bug must not let a path leave the folder).
forge() {  # forge PYTHON: a fresh copy whose manifest (m) PYTHON edits, signed again
    fresh
    python3 - "$COPY/MANIFEST.json" "$1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
delivered = [f for f in m["files"] if f.get("staged_path")]
first = delivered[0]
exec(sys.argv[2])
open(sys.argv[1], "w").write(m if isinstance(m, str) else json.dumps(m, indent=2))
PY
    minisign -S -s "$KEYDIR/signing.key" -m "$COPY/MANIFEST.json" -x "$COPY/MANIFEST.json.sig" \
        < /dev/null > /dev/null || fail "minisign cannot sign the forged manifest"
}
echo outside > "$T/escape.txt"
for bad in '../escape.txt' '/etc/hostname' 'plans/../../escape.txt' './list.csv' 'plans//baplie.edi' \
        '..\\escape.txt' 'C:escape.txt' 'list.csv.' 'manifest.json'; do
    forge "first['staged_path'] = '$bad'"
    verify "$COPY"; expect_problem "has an unsafe staged_path"
    grep -q "^OK" "$T/verify.out" && fail "verify-batch accepts staged_path $bad"
done
# Control characters are refused and never reach the terminal raw.
forge "first['staged_path'] = 'list\x1b]0;owned\x07.csv'"
verify "$COPY"; expect_problem 'unsafe staged_path '"'"'list\x1B]0;owned\x07.csv'"'"
! grep -q $'\x1b' "$T/verify.out" || fail "verify-batch printed an escape character"
# "\u0000" would cut a name short in json-glib: the whole manifest is refused.
forge "first['staged_path'] = first['staged_path'] + '\0/../../escape.txt'"
grep -q 'u0000' "$COPY/MANIFEST.json" || fail "the forged manifest has no \\u0000"
verify "$COPY"; expect_problem "MANIFEST.json is not valid JSON: NUL character (\\u0000) in a string"
# Wrong types (a crash before: NULL strings); a sha256 that is not a hash.
forge "m['session'] = 5; m['status'] = ['delivered']; first['sha256'] = 0; first['size'] = '68'"
verify "$COPY"; expect_problem "status is '?', not a delivery"
expect_problem "has no valid sha256"; expect_problem "has no valid size"
# Two names that are one for the Windows readers of the share.
forge "m['files'].append(dict(first, staged_path=first['staged_path'].upper()))"
verify "$COPY"; expect_problem "which clashes with"
# Absurd nesting (json-glib recurses once per level: a stack overflow) and lax JSON.
forge "m = '[' * 200000 + ']' * 200000"
verify "$COPY"; expect_problem "MANIFEST.json is not valid JSON: nested too deep"
forge "m = json.dumps(m).replace('\"status\"', \"'status'\", 1)"
verify "$COPY"; expect_problem "MANIFEST.json is not valid JSON: a name in quotes expected"
# A folder on the way replaced by a link: nothing is read through it.
fresh; mv "$COPY/plans" "$T/elsewhere"; ln -s "$T/elsewhere" "$COPY/plans"
verify "$COPY"; expect_problem "not reachable without following a link: plans/baplie.edi"
rm -rf "$T/elsewhere"
# A manifest that is a FIFO or a link: refused at once, never opened.
fresh; rm "$COPY/MANIFEST.json"; mkfifo "$COPY/MANIFEST.json"
set +e; timeout 20 "$KIOSK" verify-batch "$COPY" --pubkey "$PUB" > "$T/verify.out" 2>&1; VRC=$?; set -e
[ "$VRC" != 124 ] || fail "verify-batch hangs on a FIFO named MANIFEST.json"
expect_problem "not a regular file: MANIFEST.json"
fresh; mv "$COPY/MANIFEST.json" "$T/real-manifest.json"; ln -s "$T/real-manifest.json" "$COPY/MANIFEST.json"
verify "$COPY"; expect_problem "not a regular file: MANIFEST.json"

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

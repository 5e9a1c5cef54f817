#!/usr/bin/env bash
# t_handoff_smb.sh - a stick pushed to a real SMB share (smbd started here, private port):
# <session>/ holds every clean file, MANIFEST.json, SHA256SUMS and their signatures and
# nothing else; the TOS side fetches it with smbclient and checks it with stock tools
# (sha256sum -c, minisign -V) and with kiosk-verify; the malware stays in the kiosk.
# `kiosk staging check` reaches the share and prints the systemd drop-in; a credentials
# file others may read is refused; a second publication of the same entry is "already
# there", not a duplicate.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/smb-lib.sh"

start_smbd
printf '[staging]\ncredentials=%s\n' "$SMB_CREDS" > "$T/kiosk.conf"

src=$T/src; mkdir -p "$src/lists" "$src/積付計画"
make_edi "$src/lists/baplie.edi"
make_csv "$src/積付計画/積付計画.csv"
make_pdf "$src/Stowage plan 123W.pdf"
make_file_mb "$src/big.txt" 3
make_eicar "$src/eicar.com"

# (a folder as the medium: this test is about the hand-off, names stay exactly as written)
run_scan "$src" --config "$T/kiosk.conf" --target "$SMB_TARGET"
expect_rc 1
expect_verdict eicar.com infected
expect_json 'j["publication"]["state"] == "published" and j["publication"]["error"] is None'
expect_json 'j["delivery"] == "'"$SMB_TARGET"'/" + j["session"]'
expect_json 'j["signing_key_id"] is not None'
expect_audit_ok
SESSION=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["session"])' "$SCAN_JSON")

# The share, as smbd wrote it: the session folder only (and the empty .incoming).
[ -d "$SMB_SHARE/kiosk1/$SESSION" ] || fail "no $SESSION/ on the share"
[ -z "$(ls -A "$SMB_SHARE/kiosk1/.incoming")" ] || fail ".incoming not empty: $(ls -A "$SMB_SHARE/kiosk1/.incoming")"
[ "$(ls -A "$SMB_SHARE/kiosk1" | sort | tr '\n' ' ')" = ".incoming $SESSION " ] ||
    fail "the share holds $(ls -A "$SMB_SHARE/kiosk1")"

# The TOS side: fetch with smbclient, check with stock tools and with kiosk-verify.
smb_fetch "$SESSION" "$T/tos"
d=$T/tos/$SESSION
(cd "$d" && sha256sum -c --strict SHA256SUMS) > "$T/sums.out" || { cat "$T/sums.out"; fail "sha256sum -c fails on the fetched delivery"; }
grep -qF '積付計画/積付計画.csv: OK' "$T/sums.out" || fail "the Japanese name did not arrive as written"
grep -qF 'Stowage plan 123W.pdf: OK' "$T/sums.out" || fail "a name with spaces did not arrive as written"
grep -qF 'MANIFEST.json: OK' "$T/sums.out" || fail "SHA256SUMS does not cover MANIFEST.json"
minisign -Vm "$d/SHA256SUMS" -x "$d/SHA256SUMS.sig" -p "$T/keys/signing.pub" > /dev/null ||
    fail "minisign rejects SHA256SUMS.sig"
minisign -Vm "$d/MANIFEST.json" -x "$d/MANIFEST.json.sig" -p "$T/keys/signing.pub" > /dev/null ||
    fail "minisign rejects MANIFEST.json.sig"
"$KIOSK_BUILD/kiosk-verify" "$d" --pubkey "$T/keys/signing.pub" > "$T/verify.out" ||
    { cat "$T/verify.out"; fail "kiosk-verify rejects the fetched delivery"; }
ldd "$KIOSK_BUILD/kiosk-verify" | grep -Eq 'libclamav|libcups|libgtk|libsmbclient' &&
    fail "kiosk-verify links more than glib, json-glib and libsodium: $(ldd "$KIOSK_BUILD/kiosk-verify")"
[ ! -e "$d/eicar.com" ] || fail "EICAR was published"
[ "$(sha256sum < "$d/big.txt")" = "$(sha256sum < "$src/big.txt")" ] || fail "big.txt differs after the round trip"

# Publishing the same entry again (an attempt cut short after its rename) is not a
# duplicate: the folder with the same manifest counts as done.
python3 - "$WORKDIR/outbox/$SESSION.json" <<'EOF'
import json, sys
p = sys.argv[1]; e = json.load(open(p)); e["state"] = "queued"; json.dump(e, open(p, "w"))
EOF
"$KIOSK" staging retry --config "$T/kiosk.conf" --target "$SMB_TARGET" --work-dir "$WORKDIR" --signing-key "$SIGNKEY" \
    --audit-log "$AUDIT" --socket "$T/no.sock" > "$T/retry.out" 2>&1 || { cat "$T/retry.out"; fail "retry of a published entry failed"; }
grep -q '"already_there":true' "$AUDIT" || fail "the second publication was not recognised as already there"
[ "$(ls -A "$SMB_SHARE/kiosk1" | wc -l)" = 2 ] || fail "a duplicate appeared: $(ls -A "$SMB_SHARE/kiosk1")"

# kiosk staging check: the probe, and the drop-in for the service's network.
"$KIOSK" staging check --config "$T/kiosk.conf" --target "$SMB_TARGET" --work-dir "$WORKDIR" \
    --signing-key "$SIGNKEY" > "$T/check.out" 2>&1 || { cat "$T/check.out"; fail "staging check failed"; }
grep -q 'probe .*OK' "$T/check.out" || fail "staging check did not probe"
grep -q '^IPAddressAllow=127.0.0.1$' "$T/check.out" || { cat "$T/check.out"; fail "no IPAddressAllow line for the server"; }
[ -z "$(ls -A "$SMB_SHARE/kiosk1/.incoming")" ] || fail "the probe was left on the share"

# Credentials others may read: refused, nothing published.
chmod 644 "$SMB_CREDS"
"$KIOSK" staging check --config "$T/kiosk.conf" --target "$SMB_TARGET" --work-dir "$WORKDIR" \
    --signing-key "$SIGNKEY" > "$T/check2.out" 2>&1 && fail "a world-readable credentials file was accepted"
grep -q 'readable by its owner only' "$T/check2.out" || { cat "$T/check2.out"; fail "no clear message for the credentials file's mode"; }
chmod 600 "$SMB_CREDS"

# A password never reaches a log, the audit log or the outbox.
! grep -rqF -- "$SMB_PASS" "$AUDIT" "$WORKDIR" "$SCAN_ERR" "$T/check.out" || fail "the SMB password leaked"
echo "PASS: $TEST_NAME"

#!/usr/bin/env bash
# t_handoff_local.sh - a local staging folder that others can write is never followed
# and never trusted, and what the kiosk publishes there is readable by the staging group
# whatever the umask:
#   - the staging folder, or a folder on its path, being a symbolic link: refused with a
#     clear message (and an audit record), nothing scanned, the link's target untouched;
#   - .incoming planted as a link: the publication fails, the delivery waits in the
#     outbox, nothing is written through the link;
#   - a link planted where the session folder goes, while the publisher is held at a
#     known point: the rename refuses it, nothing is written through it; without it, the
#     retry publishes;
#   - under umask 077: folders 0750, files 0640, group kiosk-tos; a member of the group
#     reads every file and the manifest, a non-member cannot.
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src/lists"
make_edi "$src/lists/baplie.edi"; make_csv "$src/list.csv"; make_pdf "$src/doc.pdf"
mkdir -p "$T/elsewhere"; echo "not the kiosk's" > "$T/elsewhere/keep.txt"
elsewhere_untouched() {
    [ "$(ls -A "$T/elsewhere")" = keep.txt ] || fail "something was written through the link: $(ls -A "$T/elsewhere")"
}

# 1. The staging folder is a link (and a folder on its path is one).
refused_scan() {  # refused_scan TARGET: exit 2 before anything is scanned
    set +e
    "$KIOSK" scan --policy "$POLICY" --signatures "$SIGS" --target "$1" --work-dir "$WORKDIR" \
        --signing-key "$SIGNKEY" --audit-log "$AUDIT" --run-dir "$RUNDIR" "$src" > "$T/out" 2> "$SCAN_ERR"
    SCAN_RC=$?
    set -e
    expect_rc 2
}
ln -s "$T/elsewhere" "$T/staging-link"
refused_scan "dir:$T/staging-link"
grep -q "is a symbolic link; the kiosk does not follow links" "$SCAN_ERR" || { cat "$SCAN_ERR"; fail "no clear message for a linked staging folder"; }
grep -q '"type":"staging-refused"' "$AUDIT" || fail "the refusal is not in the audit log"
mkdir -p "$T/real/staging"; ln -s "$T/real" "$T/via"
refused_scan "dir:$T/via/staging"
grep -q "is a symbolic link" "$SCAN_ERR" || { cat "$SCAN_ERR"; fail "a link on the path was followed"; }
elsewhere_untouched
[ -z "$(ls -A "$T/real/staging")" ] || fail "something was written through a link on the path"

# 2. .incoming planted as a link.
mkdir -p "$STAGING"; ln -s "$T/elsewhere" "$STAGING/.incoming"
run_scan "$src"
expect_rc 3
expect_json 'j["publication"]["state"] == "failed" and "link" in j["publication"]["error"]'
elsewhere_untouched
S2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["session"])' "$SCAN_JSON")
[ -d "$WORKDIR/outbox/$S2" ] || fail "the delivery is not waiting in the outbox"
rm "$STAGING/.incoming"

# 3. A link planted where the session folder goes, during the publication.  The hold is
#    the testing-mode hook (the publisher, user kiosk-publish, must reach the FIFO).
chmod 0711 "$T"
mkfifo -m 0666 "$T/hold.fifo"
printf '[kiosk]\naccept-loop-devices=true\n' > "$T/testing.conf"
KIOSK_TEST_PUBLISH_HOLD=$T/hold.fifo "$KIOSK" staging retry --config "$T/testing.conf" \
    --staging "$STAGING" --work-dir "$WORKDIR" --signing-key "$SIGNKEY" --audit-log "$AUDIT" \
    --socket "$T/no.sock" > "$T/retry.out" 2>&1 &
RETRY_PID=$!
held=$(timeout 120 bash -c 'read -r l < "$1"; echo "$l"' _ "$T/hold.fifo") || fail "the publisher never reached the hold"
[ "$held" = "held $S2" ] || fail "held: '$held'"
ln -s "$T/elsewhere" "$STAGING/$S2"
timeout 60 bash -c 'echo go > "$1"' _ "$T/hold.fifo"
wait "$RETRY_PID" && fail "the publication went on over a planted link"
grep -q "cannot rename .incoming/$S2 to $S2" "$T/retry.out" || { cat "$T/retry.out"; fail "no clear message for the planted link"; }
elsewhere_untouched
[ -L "$STAGING/$S2" ] || fail "the planted link was replaced"
rm "$STAGING/$S2"
"$KIOSK" staging retry --staging "$STAGING" --work-dir "$WORKDIR" --signing-key "$SIGNKEY" \
    --audit-log "$AUDIT" --socket "$T/no.sock" > "$T/retry2.out" 2>&1 || { cat "$T/retry2.out"; fail "the retry failed"; }
[ -f "$STAGING/$S2/MANIFEST.json" ] || fail "$S2 was not published after the link was gone"
[ -z "$(ls -A "$STAGING/.incoming")" ] || fail ".incoming not empty after the retry"

# 4. umask 077: the staging group reads, nobody else does.
chmod 0755 "$T"
rm -rf "$STAGING"
old_umask=$(umask); umask 077
run_scan "$src"
umask "$old_umask"
expect_rc 0
expect_staging_exact
S4=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["session"])' "$SCAN_JSON")
tos_gid=$(getent group kiosk-tos | cut -d: -f3)
[ -n "$tos_gid" ] || fail "no group kiosk-tos (make deps creates it)"
bad=$(find "$STAGING/$S4" \( -type d ! -perm 0750 \) -o \( -type f ! -perm 0640 \) -o ! -group kiosk-tos)
[ -z "$bad" ] || fail "wrong mode or group: $(ls -ld $bad)"
stat -c '%a %G' "$STAGING" | grep -Eq '^2?750 kiosk-tos$' || fail "the staging folder is $(stat -c '%a %U:%G' "$STAGING")"
while IFS= read -r -d '' f; do
    setpriv --reuid=54321 --regid=54321 --groups="$tos_gid" cat "$f" > /dev/null ||
        fail "a member of kiosk-tos cannot read ${f#$STAGING/}"
    if setpriv --reuid=54321 --regid=54321 --clear-groups cat "$f" > /dev/null 2>&1; then
        fail "someone outside kiosk-tos can read ${f#$STAGING/}"
    fi
done < <(find "$STAGING/$S4" -type f -print0)
setpriv --reuid=54321 --regid=54321 --groups="$tos_gid" \
    "$KIOSK_BUILD/kiosk-verify" "$STAGING/$S4" --pubkey "$T/keys/signing.pub" > "$T/verify.out" ||
    { cat "$T/verify.out"; fail "a member of kiosk-tos cannot verify the delivery"; }
expect_audit_ok
echo "PASS: $TEST_NAME"

#!/usr/bin/env bash
# t_admin_stick.sh - the administrator's USB stick through the running service:
#  - `admin-media` needs a login; arming it makes the next medium the administrator's
#    stick (no visitor session, no state event), `cancel` gives the next one to visitors;
#  - update bundles made with `sha256sum` + `minisign -S` at test time: a changed file, a
#    missing bundle signature, a bundle signed by an unknown key and a stick without a
#    bundle are each refused with their reason and nothing is installed; a good bundle
#    installs a new policy and a new signature file (a stick pulled out while its bundle
#    is read stops the update at once, nothing installed), the service reloads, and the next
#    visitor's file matching the new signature is held back as infected;
#  - export: an armed service accepts a writable loop device (testing mode), names it and
#    waits for the administrator's "erase" (a "cancel" leaves it byte for byte), erases it,
#    writes the audit log, reports and status into a new FAT filesystem (whatever
#    filesystem it had, here minix, which visitors may not bring), and what is on the
#    stick matches its SHA256SUMS and verifies; a writable loop device is ignored
#    when no export waits;
#  - out of service with old signatures, a stick with fresh ones brings the kiosk back
#    (idle, not "remove media" for the administrator's stick);
#  - every step is in the audit log, which verifies.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
. "$(dirname "$0")/admin-lib.sh"

write_admin_config
make_admin_keys
LIVE=$T/policy.conf
cp "$POLICY" "$LIVE"; SCAN_POLICY=$LIVE
OURSIGS=$T/sigs; mkdir -p "$OURSIGS"; cp "$SIGS"/kiosk-test.* "$OURSIGS/"; SIGS=$OURSIGS
MARK=KIOSK-ADMIN-STICK-MARKER
MARKHEX=$(printf '%s' "$MARK" | od -An -tx1 | tr -d ' \n')

# make_bundle DIR KEY: the signed bundle an administrator prepares on the workstation.
make_bundle() {
    local b=$1/kiosk-update
    mkdir -p "$b"
    sed 's/^version=.*/version=2/' "$POLICY" > "$b/policy.conf"
    minisign -S -s "$T/ws/admin.key" -m "$b/policy.conf" >/dev/null || fail "minisign policy"
    printf 'Kiosk.Test.StickMarker:0:*:%s\n' "$MARKHEX" > "$b/site-extra.ndb"
    sign_bundle "$b" "$2" policy.conf policy.conf.minisig site-extra.ndb
}
stick() { build_fat "$IMGDIR/$1.img" 20 16 "$2" ADMIN >/dev/null || fail "build $1"; }
make_bundle "$T/good" admin; stick good "$T/good"
make_bundle "$T/changed" admin; echo '# added after signing' >> "$T/changed/kiosk-update/site-extra.ndb"; stick changed "$T/changed"
make_bundle "$T/unsigned" admin; rm "$T/unsigned/kiosk-update/SHA256SUMS.minisig"; stick unsigned "$T/unsigned"
make_bundle "$T/stranger" stranger; stick stranger "$T/stranger"
mkdir -p "$T/plain"; make_csv "$T/plain/list.csv"; stick plain "$T/plain"
mkdir -p "$T/visitor"; { make_csv /dev/stdout; echo "$MARK"; } > "$T/visitor/bay.csv"; stick visitor "$T/visitor"
small_image "$IMGDIR/after-cancel.img"

# The reader gate (used once, below): inactive until its FIFOs exist.
GATE=$T/gate; mkdir -p "$GATE"; export KIOSK_READER_TEST_GATE=$GATE
start_udevd
start_daemon --config "$T/kiosk.conf"
start_watch
printf '%s\n%s\n' 'Harbour#Crane-2024' 'Harbour#Crane-2024' |
    "$KIOSK" admin set-password --stdin --config "$T/kiosk.conf" --audit-log "$AUDIT" >/dev/null || fail "set-password"
LOGIN='{"cmd":"admin-login","password":"Harbour#Crane-2024"}'

r=$(sock_cmd '{"cmd":"admin-media","action":"update"}')
echo "$r" | grep -q 'administrator login required' || fail "admin-media without a login: $r"
r=$(sock_cmd "$LOGIN" '{"cmd":"admin-media","action":"format-c"}' | tail -1)
echo "$r" | grep -q '"ok": *false' || fail "unknown action accepted: $r"

# rw_attach IMAGE: a writable loop device (the kiosk leaves no BLKROSET on the loop
# devices it checked, so a reused one is writable).
rw_attach() {
    LOOP=$(losetup -f --show "$1") || dfail "losetup $1"; _DLOOPS+=("$LOOP")
    [ "$(cat /sys/block/${LOOP#/dev/}/ro)" = 0 ] || dfail "$LOOP is read-only after an earlier check"
}
# admin_stick ACTION IMAGE N: arm, insert, wait for the Nth finished admin-media event.
finished=0 confirms=0
# wait_admin_end WHAT: until the next admin-media "done" or "failed" (in $LAST).  The
# bound (240 s) only turns a service that never answers into a failure with its log; on a
# loaded machine the first update takes well over a minute.
wait_admin_end() {
    finished=$((finished + 1))
    for _ in $(seq 2400); do
        [ "$(grep -c '"type":"admin-media".*"phase":"\(done\|failed\)"' "$EVENTS")" -ge "$finished" ] && break
        kill -0 "$DAEMON_PID" 2>/dev/null || dfail "kiosk daemon died (waiting for the end of $1)"
        sleep 0.1
    done
    LAST=$(grep '"type":"admin-media".*"phase":"\(done\|failed\)"' "$EVENTS" | sed -n "${finished}p" || true)
    [ -n "$LAST" ] || dfail "no end of $1 within 240 s"
}
admin_stick() {
    r=$(sock_cmd "$LOGIN" "{\"cmd\":\"admin-media\",\"action\":\"$1\"}" | tail -1)
    echo "$r" | grep -q '"ok": *true' || dfail "arming $1: $r"
    if [ "$1" = export ]; then
        rw_attach "$IMGDIR/$2.img"
        # Nothing is erased before the administrator saw which stick it is and said so.
        confirms=$((confirms + 1))
        for _ in $(seq 2400); do
            [ "$(grep -c '"type":"admin-media".*"phase":"confirm"' "$EVENTS")" -ge "$confirms" ] && break
            kill -0 "$DAEMON_PID" 2>/dev/null || dfail "kiosk daemon died (waiting for the confirmation)"
            sleep 0.1
        done
        { grep '"type":"admin-media".*"phase":"confirm"' "$EVENTS" || true; } | sed -n "${confirms}p" |
            grep -q "\"model\":\"$2.img\"" || dfail "no confirmation naming $2.img within 240 s"
        cmp -s "$IMGDIR/$2.img" "$T/$2.before" || dfail "the stick changed before the erase was confirmed"
        r=$(sock_cmd "$LOGIN" "{\"cmd\":\"admin-media\",\"action\":\"${ANSWER:-erase}\"}" | tail -1)
        echo "$r" | grep -q '"ok": *true' || dfail "${ANSWER:-erase}: $r"
    else
        attach "$IMGDIR/$2.img"
    fi
    wait_admin_end "the $1 with $2"
    detach "$LOOP"
}
expect_refused() { # IMAGE TEXT CODE
    admin_stick update "$1"
    echo "$LAST" | grep -q '"phase":"failed"' || dfail "$1: not refused: $LAST"
    echo "$LAST" | grep -qi -- "$2" || dfail "$1: reason lacks '$2': $LAST"
    echo "$LAST" | grep -q "\"reason_code\":\"$3\"" || dfail "$1: reason code is not $3: $LAST"
    cmp -s "$LIVE" "$POLICY" || fail "$1: the policy changed"
    [ ! -e "$SIGS/site-extra.ndb" ] || fail "$1: a database was installed"
    log "refused $1: $(echo "$LAST" | python3 -c 'import json,sys; print(json.load(sys.stdin)["reason"])')"
}
expect_refused changed "differs from the signed list" admin.file-changed
expect_refused unsigned "not signed" admin.not-signed
expect_refused stranger "not a trusted administrator key" admin.untrusted-key
expect_refused plain "no update bundle" admin.no-bundle

# Pulled out while its bundle is read, with the medium reader hung (SIGSTOP) so that the
# kiosk's read blocks: the update stops within seconds (the reader is killed) and nothing
# is installed, not even the small database listed after the big file.  The evidence
# waits for the test: with the gate's FIFOs in place (KIOSK_READER_TEST_GATE, testing mode)
# the service stops once the stick's reader has started, before its first read, and
# names the reader; the test stops that reader, then lets the service go on into it.
mkdir -p "$T/big/kiosk-update"; head -c 8M /dev/zero > "$T/big/kiosk-update/huge.bin"
printf 'Kiosk.Test.Late:0:*:%s\n' "$MARKHEX" > "$T/big/kiosk-update/late.ndb"
sign_bundle "$T/big/kiosk-update" admin huge.bin late.ndb
rm -f "$IMGDIR/big.img"; truncate -s 64M "$IMGDIR/big.img"; mkfs.vfat -F 32 "$IMGDIR/big.img" >/dev/null
mcopy -s -i "$IMGDIR/big.img" "$T/big/kiosk-update" ::/ || fail "mcopy big"
rm -rf "$T/big"
r=$(sock_cmd "$LOGIN" '{"cmd":"admin-media","action":"update"}' | tail -1)
echo "$r" | grep -q '"ok": *true' || dfail "arming: $r"
mkfifo "$GATE/ready" "$GATE/go"
attach "$IMGDIR/big.img"
drv=$(timeout 240 cat "$GATE/ready") || dfail "the service did not stop at the reader gate"
rm -f "$GATE/ready"          # later media pass the gate without stopping
[ -n "$drv" ] && kill -0 "$drv" || dfail "the gate named no live reader: '$drv'"
kill -STOP "$drv"
timeout 30 sh -c 'echo go > "$1"' _ "$GATE/go" || dfail "the service did not wait at the gate"
rm -f "$GATE/go"
# (a busy loop device is only detached when its last user lets go: the pull is udev's
# "remove", as t_daemon_removal does it)
pulled=$(date +%s%N); udevadm trigger --action=remove "$LOOP"
wait_admin_end "the pulled stick's update"
kill -CONT "$drv" 2>/dev/null || true
detach "$LOOP"
echo "$LAST" | grep -q '"phase":"failed"' && echo "$LAST" | grep -q 'removed before' || dfail "pulled stick: $LAST"
echo "$LAST" | grep -q '"reason_code":"admin.removed","reason_params":{}' || dfail "pulled stick: reason code: $LAST"
ms=$(( ($(date +%s%N) - pulled) / 1000000 ))
log "pulled stick with a hung reader: failed after ${ms} ms"
[ "$ms" -lt 15000 ] || dfail "the update took ${ms} ms to stop after the stick was pulled"
[ ! -e "$SIGS/late.ndb" ] || fail "a pulled stick's database was installed"
[ -z "$(ls "$T/state" | grep bundle-)" ] || fail "private copies left: $(ls "$T/state")"
rm -f "$IMGDIR/big.img"
expect_no_leftovers

admin_stick update good
echo "$LAST" | grep -q '"phase":"done"' || dfail "good bundle: $LAST"
python3 - "$LAST" <<'PY' || dfail "good bundle result"
import json, sys
e = json.loads(sys.argv[1])
assert e["installed"] == 2 and e["bundle"]["signature_ok"], e
assert all(i["ok"] for i in e["items"]), e["items"]
assert e["session"] is None
PY
cmp -s "$LIVE" "$T/good/kiosk-update/policy.conf" || fail "installed policy bytes differ"
cmp -s "$SIGS/site-extra.ndb" "$T/good/kiosk-update/site-extra.ndb" || fail "installed database differs"
for _ in $(seq 150); do grep -q '"type":"reload".*"policy_version":2' "$AUDIT" && break; sleep 0.1; done
grep -q '"type":"reload".*"policy_version":2' "$AUDIT" || dfail "the service did not reload"
[ "$(count_events detected)" = 0 ] || dfail "an administrator's stick started a visitor session"
grep -q '"type":"remove-media"' "$EVENTS" && dfail "a remove-media state for the administrator's stick"

# The new signature is in use: the visitor's file with the marker is held back.
attach "$IMGDIR/visitor.img"; wait_event done 1 60; detach "$LOOP"
grep '^{"type":"done"' "$EVENTS" | tail -1 | grep -q '"infected":1' || dfail "the new signature did not detect: $(grep '^{"type":"done"' "$EVENTS" | tail -1)"

# Cancel: the next medium is a visitor's again.
r=$(sock_cmd "$LOGIN" '{"cmd":"admin-media","action":"update"}' '{"cmd":"admin-media","action":"cancel"}' | tail -1)
echo "$r" | grep -q '"ok": *true' || dfail "cancel: $r"
grep -q '"type":"admin-media".*"phase":"cancelled"' "$EVENTS" || dfail "no cancelled event"
attach "$IMGDIR/after-cancel.img"; wait_event done 2 60; detach "$LOOP"

# Export: a writable loop device is ignored unless an export waits for it.
truncate -s 64M "$IMGDIR/export.img"
rw_attach "$IMGDIR/export.img"; udevadm trigger --action=change "$LOOP"
sleep 2
[ "$(count_events detected)" = 2 ] || dfail "a writable loop device was checked"
detach "$LOOP"
mkfs.minix "$IMGDIR/export.img" >/dev/null   # not a filesystem visitors may bring: no matter
cp "$IMGDIR/export.img" "$T/export.before"
# Cancelled at the confirmation: the stick is left exactly as it was.
ANSWER=cancel admin_stick export export
echo "$LAST" | grep -q '"phase":"failed"' && echo "$LAST" | grep -q 'Not erased' || dfail "cancelled export: $LAST"
cmp -s "$IMGDIR/export.img" "$T/export.before" || dfail "a cancelled export changed the stick"
admin_stick export export
echo "$LAST" | grep -q '"phase":"done"' || dfail "export: $LAST"
echo "$LAST" | grep -q '"verified":true' || dfail "export not verified: $LAST"
folder=$(echo "$LAST" | python3 -c 'import json,sys; print(json.load(sys.stdin)["folder"])')
mkdir "$T/out"
mcopy -s -i "$IMGDIR/export.img" "::/$folder" "$T/out/" || fail "mcopy from the export"
(cd "$T/out/$folder" && sha256sum -c --quiet SHA256SUMS) || fail "export SHA256SUMS"
"$KIOSK" audit verify "$T/out/$folder/audit.jsonl" >/dev/null || fail "exported audit log does not verify"
grep -q '"type":"admin-update"' "$T/out/$folder/audit.jsonl" || fail "export lacks the update records"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out/$folder/status.json" || fail "status.json"

stop_watch
stop_daemon

# Out of service (signatures too old): a stick with fresh signatures brings it back.
OLDSIGS=$T/oldsigs; mkdir -p "$OLDSIGS"
cp "$OURSIGS/kiosk-test.hdb" "$OLDSIGS/site.hdb"; touch -d '30 days ago' "$OLDSIGS/site.hdb"
SIGS=$OLDSIGS
mkdir -p "$T/fresh/kiosk-update"
printf 'Kiosk.Test.Fresh:0:*:%s\n' "$MARKHEX" > "$T/fresh/kiosk-update/fresh.ndb"
# A fresh copy of the old database itself: a new file beside an old one does not make
# the old one fresh (the oldest plain signature file decides, docs/admin.md).
cp "$OURSIGS/kiosk-test.hdb" "$T/fresh/kiosk-update/site.hdb"
sign_bundle "$T/fresh/kiosk-update" admin fresh.ndb site.hdb
stick fresh "$T/fresh"
: > "$EVENTS"; finished=0
start_daemon --config "$T/kiosk.conf"
start_watch
grep -q '"code":"signatures-old"' "$EVENTS" || dfail "not out of service with old signatures"
admin_stick update fresh
echo "$LAST" | grep -q '"phase":"done"' || dfail "fresh signatures: $LAST"
wait_event idle 1 30
grep -q '"type":"back-in-service"' "$AUDIT" || dfail "no back-in-service"
grep -q '"type":"remove-media"' "$EVENTS" && dfail "remove-media for the administrator's stick"
stop_watch
stop_daemon
expect_audit_ok
expect_no_leftovers
python3 - "$AUDIT" <<'PY' || fail "audit trail"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
upd = [r["result"] for r in recs if r["type"] == "admin-update"]
assert upd == ["refused"] * 5 + ["installed"] * 2, upd
assert [r["action"] for r in recs if r["type"] == "admin-media"] == ["update"] * 6 + ["export"] * 2 + ["update"]
assert [r["result"] for r in recs if r["type"] == "admin-export"] == ["not-erased", "exported"]
assert any(r["type"] == "policy-install" and r["new_version"] == 2 for r in recs)
PY
pass

#!/usr/bin/env bash
# t_daemon_removal.sh - a udev "remove" of the medium during the scan of a large image
# aborts the session: nothing published, no mount or kiosk loop device left, the audit
# log says "media removed" and verifies; the next image is then processed normally.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"

src=$T/big; mkdir -p "$src"
for i in 1 2 3 4 5 6; do make_file_mb "$src/yard$i.csv" 40; done
build_fat "$IMGDIR/big.img" 300 32 "$src" BIG
rm -rf "$src"
small_image "$IMGDIR/next.img"

start_udevd
start_daemon
start_watch

attach "$IMGDIR/big.img"; loop=$LOOP
wait_event scanning 1 60
sid=$(event_session detected 1)
log "removing $loop during the scan of $sid"
udevadm trigger --action=remove "$loop"
wait_event failed 1 60
wait_event idle 1 30
types=$(session_types "$sid")
log "events of $sid: $types"
case $types in
    "detected checking scanning failed") ;;
    *) dfail "unexpected events for the removed session: $types" ;;
esac
grep '^{"type":"failed"' "$EVENTS" | grep -q '"code":"media-removed"' || dfail "failed event does not say media removed"
grep -q '^{"type":"done"' "$EVENTS" && dfail "a done event for a removed medium"
# Nothing published; nothing left in .incoming; no mount, no loop of the kiosk.
[ -z "$(find "$STAGING" -mindepth 1 -maxdepth 1 ! -name .incoming)" ] || dfail "published: $(ls "$STAGING")"
[ -z "$(ls -A "$STAGING/.incoming" 2>/dev/null)" ] || dfail ".incoming not empty: $(ls -A "$STAGING/.incoming")"
[ -z "$(ls -A "$WORKDIR/sessions" 2>/dev/null)" ] || dfail "work area not empty: $(ls -A "$WORKDIR/sessions")"
[ -z "$(ls -A "$WORKDIR/outbox" 2>/dev/null | grep -v '^\.lock$')" ] || dfail "a removed stick's session is in the outbox"
expect_no_leftovers
python3 - "$AUDIT" "$sid" <<'EOF' || dfail "audit records of the removal"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
mine = [r for r in recs if r.get("session") == sys.argv[2]]
types = [r["type"] for r in mine]
assert "media-removed" in types, types
end = [r for r in mine if r["type"] == "session-end"][0]
assert end["status"] == "failed" and end["delivered"] == 0, end
assert all(r.get("testing_mode") for r in mine), "testing mode missing"
EOF
detach "$loop"

# The next medium is checked normally.
attach "$IMGDIR/next.img"; loop2=$LOOP
wait_event done 1 60
sid2=$(event_session detected 2)
[ "$(session_types "$sid2")" = "detected checking scanning delivering done remove-media" ] || dfail "next session: $(session_types "$sid2")"
grep '^{"type":"done"' "$EVENTS" | grep -q '"status":"delivered"' || dfail "next session not delivered"
wait_published "$sid2" 120
[ -f "$STAGING/$sid2/MANIFEST.json" ] || dfail "next session not published"
detach "$loop2"
wait_event idle 2 20
expect_no_leftovers
stop_watch
stop_daemon
expect_audit_ok
pass

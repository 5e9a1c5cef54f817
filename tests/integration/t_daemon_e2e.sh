#!/usr/bin/env bash
# t_daemon_e2e.sh - the service with the real systemd-udevd, in testing mode: a read-only
# loop device appears -> one session -> delivery, audit and the events in order; a client
# that connects mid-way gets the state first; commands over the socket; a second image
# attached while the first waits for removal is checked after it; removal -> idle.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"

start_udevd
start_daemon
start_watch
wait_event status 1 5
grep -q '"state":"idle"' "$EVENTS" || dfail "first status is not idle"
grep -q '"testing_mode":true' "$EVENTS" || dfail "events do not say testing mode"

# Commands: details (valid and invalid), unknown, a line of garbage.
out=$("$KIOSK" watch --socket "$SOCK" --json --until reply \
      --send '{"cmd":"details","vessel":"MSC AURORA","imo":"IMO 9321483","voyage":"123W"}')
echo "$out" | grep -q '"type":"reply","session":null,.*"cmd":"details","ok":true' || dfail "details not accepted: $out"
out=$("$KIOSK" watch --socket "$SOCK" --json --until reply --send '{"cmd":"details","imo":"9321484"}')
echo "$out" | grep -q '"ok":false' || dfail "bad IMO check digit accepted: $out"
out=$("$KIOSK" watch --socket "$SOCK" --json --until reply --send 'not json')
echo "$out" | grep -q '"ok":false' || dfail "garbage accepted: $out"
out=$("$KIOSK" watch --socket "$SOCK" --json --until reply --send '{"cmd":"cancel"}')
echo "$out" | grep -q '"ok":false' || dfail "cancel with no session said ok: $out"

# Insert a stick: clean files and EICAR.
src=$T/src1; mkdir -p "$src/docs"
make_csv "$src/list.csv"; make_edi "$src/docs/bay.edi"; make_pdf "$src/docs/plan.pdf"; make_eicar "$src/eicar.com"
build_fat "$IMGDIR/stick1.img" 16 16 "$src" STICK1
before=$(sha256sum < "$IMGDIR/stick1.img")
attach "$IMGDIR/stick1.img"; loop1=$LOOP
log "attached $loop1"
wait_event remove-media 1 60
sid=$(event_session detected 1)
[ -n "$sid" ] || dfail "no session id on detected"
types=$(session_types "$sid")
log "events of $sid: $types"
[ "$types" = "detected checking scanning delivering done remove-media" ] || dfail "event order: $types"
python3 - "$EVENTS" "$sid" <<'EOF' || dfail "done event content"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
done = [e for e in ev if e["type"] == "done" and e["session"] == sys.argv[2]][0]
assert done["status"] == "partial", done
c = done["counts"]
assert (c["files"], c["delivered"], c["infected"]) == (4, 3, 1), c
assert [h["verdict"] for h in done["held_back"]] == ["infected"], done["held_back"]
assert done["test_signatures"] is True and done["testing_mode"] is True
assert len(done["manifest_sha256"]) == 64 and done["delivery"]
det = [e for e in ev if e["type"] == "detected"][0]
assert det["device"]["devnode"].startswith("/dev/loop") and det["device"]["size"] == 16 * 1024 * 1024, det
for e in ev:
    assert set(("type", "session", "time", "testing_mode")) <= set(e), e
    assert e["time"].endswith("Z")
EOF
# The delivery is there, with the operator's details in its manifest.
wait_published "$sid" 120
[ -f "$STAGING/$sid/MANIFEST.json" ] || dfail "no published session folder $STAGING/$sid"
python3 - "$STAGING/$sid/MANIFEST.json" <<'EOF' || dfail "manifest lacks details/testing mode"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["details"]["imo"] == "9321483" and m["details"]["vessel"] == "MSC AURORA", m.get("details")
assert m.get("testing_mode") is True
EOF
[ ! -e "$STAGING/$sid/eicar.com" ] && ! ls "$STAGING/$sid" | grep -qi eicar || dfail "EICAR delivered"
grep -q "\"type\":\"session-end\",\"session\":\"$sid\"" "$AUDIT" || dfail "no session-end in the audit log"
[ "$before" = "$(sha256sum < "$IMGDIR/stick1.img")" ] || dfail "the medium was modified"

# A client connecting now learns the state first.
out=$("$KIOSK" watch --socket "$SOCK" --json --until status)
echo "$out" | sed -n 2p | grep -q '"type":"status".*"state":"remove-media"' || dfail "late client status: $out"

# A second stick while the first is still in: it waits, then runs after the removal.
small_image "$IMGDIR/stick2.img"
attach "$IMGDIR/stick2.img"; loop2=$LOOP
wait_event waiting 1 20
[ "$(count_events detected)" = 1 ] || dfail "second stick started while the first was in"
detach "$loop1"
wait_event idle 1 20
wait_event remove-media 2 60
sid2=$(event_session detected 2)
[ "$(session_types "$sid2")" = "detected checking scanning delivering done remove-media" ] || dfail "second session: $(session_types "$sid2")"
detach "$loop2"
wait_event idle 2 20
grep -q '"type":"media-removed"' "$AUDIT" || dfail "no media-removed record"
expect_no_leftovers

# human-readable watch prints one line per event
"$KIOSK" watch --socket "$SOCK" --until status > "$T/human.txt" || dfail "watch failed"
grep -q "status: idle" "$T/human.txt" || dfail "human watch output: $(cat "$T/human.txt")"
stop_watch
stop_daemon
grep -q '"type":"service-stop"' "$AUDIT" || dfail "no service-stop record"
expect_audit_ok
pass

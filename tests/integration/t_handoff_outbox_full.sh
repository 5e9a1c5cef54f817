#!/usr/bin/env bash
# t_handoff_outbox_full.sh - the terminal's share is unreachable and the outbox holds more
# than [staging] outbox-max-bytes: the kiosk goes out of service ("outbox-full") and checks
# no further stick, and nothing is dropped; when the share is back and takes the waiting
# delivery, the kiosk comes back by itself and checks the stick that waited.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
. "$(dirname "$0")/smb-lib.sh"

smb_setup   # credentials, shares; smbd itself is not started yet
printf '[staging]\ncredentials=%s\noutbox-max-bytes=1K\n' "$SMB_CREDS" > "$T/kiosk.conf"
start_udevd
start_daemon --config "$T/kiosk.conf" --target "$SMB_TARGET"
start_watch
small_image "$IMGDIR/a.img"; small_image "$IMGDIR/b.img"

attach "$IMGDIR/a.img"; LA=$LOOP
wait_event done 1 120
SA=$(event_session done 1)
wait_event out-of-service 1 60
grep '^{"type":"out-of-service"' "$EVENTS" | grep -q '"code":"outbox-full"' || dfail "out of service, but not for the outbox"
grep '^{"type":"out-of-service"' "$EVENTS" | grep -q "waiting for the terminal's share" || dfail "the reason does not say what waits"
detach "$LA"

# Another stick is not checked while the outbox is full.
attach "$IMGDIR/b.img"; LB=$LOOP
for _ in $(seq 1200); do grep -q "out of service: medium $LB not checked" "$DLOG" && break; sleep 0.1; done
grep -q "out of service: medium $LB not checked" "$DLOG" || dfail "the second stick was not turned away"
[ "$(count_events detected)" = 1 ] || dfail "a stick was checked while out of service"
"$KIOSK" staging list --json --work-dir "$WORKDIR" > "$T/list.json"
python3 -c 'import json,sys; l=json.load(open(sys.argv[1])); assert len(l)==1 and l[0]["session"]==sys.argv[2] and l[0]["state"] in ("queued","publishing","failed") and l[0]["bytes"]>1024, l' \
    "$T/list.json" "$SA" || dfail "the waiting delivery is not in the outbox as it should be"

# The share is back: the delivery goes out, the kiosk comes back and checks stick B.
start_smbd
"$KIOSK" staging retry --socket "$SOCK" > "$T/retry.out" 2>&1 || { cat "$T/retry.out"; dfail "staging retry"; }
wait_event idle 1 120
wait_event done 2 120
SB=$(event_session done 2)
for s in "$SA" "$SB"; do
    for _ in $(seq 600); do [ -f "$SMB_SHARE/kiosk1/$s/MANIFEST.json" ] && break; sleep 0.1; done
    [ -f "$SMB_SHARE/kiosk1/$s/MANIFEST.json" ] || dfail "$s did not reach the share"
    (cd "$SMB_SHARE/kiosk1/$s" && sha256sum -c --quiet SHA256SUMS) || dfail "$s does not check out"
done
grep -q '"type":"back-in-service"' "$AUDIT" || dfail "back-in-service not audited"
grep '"type":"out-of-service"' "$AUDIT" | grep -q '"code":"outbox-full"' || dfail "outbox-full not audited"
detach "$LB"
expect_audit_ok
echo "PASS: $TEST_NAME"

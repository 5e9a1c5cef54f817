#!/usr/bin/env bash
# t_daemon_interrupted.sh - what the service says after an interruption is what happened
# (security review, item 11).  The session is held at a known point by the testing-mode
# hook (after its delivery reached the outbox, before its end is recorded):
#  1. the service is SIGKILLed there: at the next start the outbox entry is taken back,
#     nothing is published, and the session-interrupted record says exactly that;
#  2. the stick is pulled there: the check was complete, so the screen gets "done" (not
#     "media removed, nothing delivered"), the files are published, and the audit log
#     says the medium went after the check.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"

chmod 0711 "$T"
HOLD=$T/hold.fifo
mkfifo -m 0600 "$HOLD"
held() {
    timeout 180 bash -c 'read -r l < "$1"; echo "$l"' _ "$HOLD" > "$T/held.out" || dfail "the session never reached the hold"
}
release() { timeout 60 bash -c 'echo go > "$1"' _ "$HOLD" || dfail "cannot release the session"; }
start_udevd
small_image "$IMGDIR/a.img"

# 1. Killed between the outbox and the session's end.
export KIOSK_TEST_SESSION_HOLD=$HOLD
start_daemon
start_watch
attach "$IMGDIR/a.img"; L1=$LOOP
held
S1=$(cut -d' ' -f2 "$T/held.out")
[ -d "$WORKDIR/outbox/$S1" ] || dfail "the delivery is not in the outbox at the hold"
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=
stop_watch
detach "$L1"
unset KIOSK_TEST_SESSION_HOLD
start_daemon
start_watch
python3 - "$AUDIT" "$S1" <<'EOF' || dfail "the interruption is not recorded as it happened"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
intr = [r for r in recs if r["type"] == "session-interrupted" and r["session"] == sys.argv[2]]
assert len(intr) == 1, intr
assert intr[0]["published"] is False and "taken back" in intr[0]["reason"], intr[0]
rec = [r for r in recs if r["type"] == "recovery"]
assert any("removed the outbox entry of the unfinished session " + sys.argv[2] in c
           for r in rec for c in r["cleaned"]), rec
assert not any(r["type"] == "session-end" and r.get("session") == sys.argv[2] for r in recs)
assert not any(r["type"] == "publication" and r.get("session") == sys.argv[2] for r in recs)
EOF
[ ! -e "$WORKDIR/outbox/$S1" ] || dfail "the unfinished session is still in the outbox"
[ ! -e "$STAGING/$S1" ] || dfail "the unfinished session was published"

# 2. The stick pulled after the check was complete.
stop_watch; stop_daemon
export KIOSK_TEST_SESSION_HOLD=$HOLD
start_daemon
start_watch
attach "$IMGDIR/a.img"; L2=$LOOP
held
S2=$(cut -d' ' -f2 "$T/held.out")
detach "$L2"
for _ in $(seq 100); do grep -q "session $S2: the medium .* was removed" "$DLOG" && break; sleep 0.1; done
grep -q "session $S2: the medium .* was removed" "$DLOG" || dfail "the service did not see the removal"
release
wait_event done 1 60
[ "$(event_session done 1)" = "$S2" ] || dfail "done is not for $S2"
grep '^{"type":"failed"' "$EVENTS" | grep -q "$S2" && dfail "a complete check was reported as failed"
for _ in $(seq 300); do [ -f "$STAGING/$S2/MANIFEST.json" ] && break; sleep 0.1; done
[ -f "$STAGING/$S2/MANIFEST.json" ] || dfail "the complete check was not published"
python3 - "$AUDIT" "$S2" <<'EOF' || dfail "the audit log does not say the medium went after the check"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if sys.argv[2] in l]
end = [r for r in recs if r["type"] == "session-end"]
gone = [r for r in recs if r["type"] == "media-removed"]
assert end and end[0]["status"] in ("delivered", "partial"), end
assert gone and gone[0]["aborted"] is False, gone
EOF
unset KIOSK_TEST_SESSION_HOLD
expect_audit_ok
echo "PASS: $TEST_NAME"

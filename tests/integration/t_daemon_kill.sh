#!/usr/bin/env bash
# t_daemon_kill.sh - SIGKILL the service in the middle of a delivery, restart it: no
# partial session folder in staging, stale mounts cleaned, the audit log records the
# interruption and still verifies; the medium still attached is checked after restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"

# Many small files make the delivery (rename, fsync, audit record per file) last.
src=$T/many; mkdir -p "$src"
make_many_files "$src" 3000
build_fat "$IMGDIR/many.img" 64 16 "$src" MANY
rm -rf "$src"

start_udevd
start_daemon
start_watch
attach "$IMGDIR/many.img"; loop=$LOOP
# Kill as soon as the delivery starts.
for ((i = 0; i < 2400; i++)); do
    [ "$(count_events delivering)" -ge 1 ] && break
    sleep 0.025
done
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
log "killed the service $(count_events delivering) delivering / $(count_events done) done events in"
[ "$(count_events delivering)" -ge 1 ] || dfail "the delivery never started"
[ "$(count_events done)" = 0 ] || dfail "the session finished before the kill (test too fast; raise the file count)"
sid=$(event_session detected 1)
stop_watch
grep -q "\"type\":\"session-end\",\"session\":\"$sid\"" "$AUDIT" && dfail "session-end recorded although killed"

# Restart: recovery, the interruption recorded, then the medium still in is checked.
start_daemon
start_watch
wait_event done 1 120
[ -z "$(find "$STAGING" -mindepth 1 -maxdepth 1 -name "$sid*")" ] || dfail "partial session $sid in staging: $(ls -A "$STAGING")"
[ ! -e "$WORKDIR/sessions/$sid" ] || dfail "leftovers of $sid in the work area: $(ls -A "$WORKDIR/sessions")"
[ ! -e "$WORKDIR/outbox/$sid" ] || dfail "the interrupted session $sid is in the outbox"
python3 - "$AUDIT" "$sid" <<'EOF' || dfail "audit records after the restart"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
types = [r["type"] for r in recs]
intr = [r for r in recs if r["type"] == "session-interrupted"]
assert [r["session"] for r in intr] == [sys.argv[2]], intr
assert "recovery" in types, types
# start, interrupted, service start, then the new session
assert types.index("session-interrupted") < len(types) - 1
EOF
sid2=$(event_session done 1)
wait_published "$sid2" 120
[ "$sid2" != "$sid" ] && [ -f "$STAGING/$sid2/MANIFEST.json" ] || dfail "the medium was not checked after the restart"
grep '^{"type":"done"' "$EVENTS" | grep -q '"delivered":3000' || dfail "second session did not deliver 3000 files"
detach "$loop"
wait_event idle 1 20
expect_no_leftovers
stop_watch
stop_daemon
expect_audit_ok
# A second restart records nothing new as interrupted.
n=$(grep -c '"type":"session-interrupted"' "$AUDIT")
start_daemon; sleep 1; stop_daemon
[ "$(grep -c '"type":"session-interrupted"' "$AUDIT")" = "$n" ] || dfail "interruption recorded twice"
expect_audit_ok
pass

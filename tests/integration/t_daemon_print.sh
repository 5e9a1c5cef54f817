#!/usr/bin/env bash
# t_daemon_print.sh - printing from the service: hello says the screen may print, the
# receipt prints by itself after a session ([report] auto-print), the screen's print
# button ({"cmd":"print","session":"last"}) reprints; a printer that cannot be reached
# gives a "print" event with the reason, the report is still saved, the audit log says so.
# (Printing to a real cupsd queue is t_print_cups.sh.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"

cat > "$T/kiosk.conf" <<EOC
[report]
printer=kiosk-test-no-such-queue
auto-print=true
print-format=receipt
EOC
small_image "$IMGDIR/stick.img"
start_udevd
# No cupsd for this client: CUPS_SERVER points at a socket nobody listens on.
export CUPS_SERVER=$T/no-cups.sock
start_daemon --config "$T/kiosk.conf"
start_watch
python3 - "$EVENTS" <<'PY' || dfail "hello does not offer printing"
import json, sys
hello = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"type":"hello"')][0]
assert hello.get("can_print") is True, hello
PY
attach "$IMGDIR/stick.img"
wait_event done 1 60
wait_event print 1 60
python3 - "$EVENTS" <<'PY' || dfail "auto-print event"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"type":"print"')][0]
done = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"type":"done"')][0]
assert ev["session"] == done["session"], (ev, done)
assert ev["status"] == "failed" and ev["reason"], ev
assert ev.get("saved") and ev["saved"].endswith(".pdf"), ev
PY
saved=$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if l.startswith("{\"type\":\"print\"")][0]["saved"])' "$EVENTS")
[ -s "$saved" ] || dfail "the receipt was not saved: $saved"
grep -q '"type":"print-failed"' "$AUDIT" || dfail "no print-failed audit record"
# the screen's button: reprint the last session
python3 - "$SOCK" <<'PY' || dfail "print command refused"
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
f.write(json.dumps({"cmd": "print", "session": "last"}) + "\n"); f.flush()
for line in f:
    m = json.loads(line)
    if m.get("type") == "reply":
        assert m["ok"] and m.get("printing"), m
        break
f.write(json.dumps({"cmd": "print", "session": "../../etc"}) + "\n"); f.flush()
for line in f:
    m = json.loads(line)
    if m.get("type") == "reply":
        assert not m["ok"], m
        break
PY
wait_event print 2 60
detach "$LOOP"
"$KIOSK" audit verify "$AUDIT" >/dev/null || dfail "audit log does not verify"
pass

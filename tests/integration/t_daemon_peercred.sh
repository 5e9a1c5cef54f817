#!/usr/bin/env bash
# t_daemon_peercred.sh - who may send what on the event socket (SO_PEERCRED):
#  - with [access] screen-users = daemon, a client running as `nobody` (in the socket's
#    group) gets the events and the status, but its details, cancel, print, admin login
#    and reload are refused with the reason;
#  - the screen's user (`daemon`) may send details and try the admin login, not reload;
#  - root may do everything, including reload;
#  - an unknown user name in screen-users stops the service at start (fail closed).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"

cat > "$T/kiosk.conf" <<EOC
[paths]
socket-group=nogroup
[access]
screen-users=daemon
EOC
chmod 0755 "$T" "$T/run"

# as USER LINE...: send each line as USER (group nogroup), print the replies.
as() {
    local user=$1; shift
    setpriv --reuid="$user" --regid=nogroup --clear-groups /usr/bin/python3 - "$SOCK" "$@" <<'PYEOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(30)
s.connect(sys.argv[1])
f = s.makefile("rw")
json.loads(f.readline()); json.loads(f.readline())  # hello, status: sent on connect
for line in sys.argv[2:]:
    cmd = json.loads(line)["cmd"]
    f.write(line + "\n"); f.flush()
    want = "status" if cmd == "status" else "reply"
    while True:
        o = json.loads(f.readline())
        if o["type"] == want:
            break
    print(json.dumps({"cmd": cmd, "type": o["type"], "ok": o.get("ok", True), "error": o.get("error")}))
    sys.stdout.flush()
PYEOF
}

start_udevd
start_daemon --config "$T/kiosk.conf"
[ "$(stat -c %G "$SOCK")" = nogroup ] || fail "socket group: $(stat -c %G "$SOCK")"

as nobody '{"cmd":"status"}' '{"cmd":"details","vessel":"MV TEST"}' '{"cmd":"cancel"}' \
    '{"cmd":"print"}' '{"cmd":"admin-login","password":"x"}' '{"cmd":"reload"}' > "$T/nobody" ||
    fail "nobody could not talk to the service: $(cat "$T/nobody")"
python3 - "$T/nobody" <<'PY' || { cat "$T/nobody"; fail "observer rules"; }
import json, sys
r = {o["cmd"]: o for o in map(json.loads, open(sys.argv[1]))}
assert r["status"]["type"] == "status", r["status"]
for c in ("details", "cancel", "print", "admin-login"):
    assert not r[c]["ok"] and "screen-users" in r[c]["error"], r[c]
assert not r["reload"]["ok"] and "only root" in r["reload"]["error"], r["reload"]
PY

as daemon '{"cmd":"details","vessel":"MV TEST"}' '{"cmd":"admin-login","password":"x"}' \
    '{"cmd":"reload"}' > "$T/screen" || fail "the screen user could not talk to the service"
python3 - "$T/screen" <<'PY' || { cat "$T/screen"; fail "screen rules"; }
import json, sys
r = {o["cmd"]: o for o in map(json.loads, open(sys.argv[1]))}
assert r["details"]["ok"], r["details"]
# the login is tried (no password is set here), not refused for the user
assert "screen-users" not in (r["admin-login"]["error"] or ""), r["admin-login"]
assert not r["reload"]["ok"] and "only root" in r["reload"]["error"], r["reload"]
PY

"$KIOSK" watch --socket "$SOCK" --json --send '{"cmd":"reload"}' --until reply > "$T/root.json" 2>&1 || true
grep '"type":"reply"' "$T/root.json" | grep -q '"ok":true' || fail "root may reload: $(cat "$T/root.json")"
stop_daemon

# An unknown screen user: the service does not start.
sed -i 's/^screen-users=.*/screen-users=no-such-user-here/' "$T/kiosk.conf"
rm -f "$SOCK"
"$KIOSK" daemon --policy "$POLICY" --signatures "$SIGS" --staging "$STAGING" --work-dir "$WORKDIR" --signing-key "$SIGNKEY" --audit-log "$AUDIT" \
    --run-dir "$RUNDIR" --socket "$SOCK" --accept-loop-devices --loop-backing-dir "$IMGDIR" \
    --config "$T/kiosk.conf" > "$T/bad.log" 2>&1 &
bad=$!
for _ in $(seq 100); do kill -0 $bad 2>/dev/null || break; sleep 0.1; done
if kill -0 $bad 2>/dev/null; then kill $bad; fail "the service started with an unknown screen user"; fi
grep -q "no user named 'no-such-user-here'" "$T/bad.log" || fail "reason: $(cat "$T/bad.log")"
expect_audit_ok
pass

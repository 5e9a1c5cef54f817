#!/usr/bin/env bash
# t_daemon_peercred.sh - who may send what on the event socket (SO_PEERCRED):
#  - with [access] screen-users = daemon, a client running as `nobody` (in the socket's
#    group) gets the events and the status, but its details, cancel, print, admin login
#    and reload are refused with the reason;
#  - the screen's user (`daemon`) may send details and try the admin login, not reload;
#  - root may do everything, including reload;
#  - admin-logout ends only its own connection's login: another connection's logout
#    leaves the administrator's waiting stick armed;
#  - with screen-users empty (the default) only root operates: `nobody` may watch;
#  - an unknown user name in screen-users stops the service at start (fail closed).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"

cat > "$T/kiosk.conf" <<EOC
[paths]
socket-group=nogroup
admin-state=$T/state/admin.state
admin-keys=$T/admin-keys
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

# admin-logout ends only its own connection's login.  Connection A logs in and waits for
# the administrator's stick; connection B (operating, never logged in) logs out: A's wait
# goes on (no "cancelled"), A is still logged in.  Then A logs out: cancelled.
printf '%s\n%s\n' 'Harbour#Crane-2024' 'Harbour#Crane-2024' |
    "$KIOSK" admin set-password --stdin --config "$T/kiosk.conf" --audit-log "$AUDIT" > /dev/null ||
    fail "set-password"
start_daemon --config "$T/kiosk.conf"
python3 - "$SOCK" > "$T/two.out" <<'PYEOF' || { cat "$T/two.out"; fail "admin-logout of another connection"; }
import json, socket, sys
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(30); s.connect(sys.argv[1])
    f = s.makefile("rw"); json.loads(f.readline()); json.loads(f.readline()); return f
def cmd(f, line, seen):
    f.write(json.dumps(line) + "\n"); f.flush()
    want = "status" if line["cmd"] == "status" else "reply"
    while True:
        o = json.loads(f.readline())
        if o["type"] == want:
            return o
        seen.append(o)
a, b = conn(), conn()
ea, eb = [], []
assert cmd(a, {"cmd": "admin-login", "password": "Harbour#Crane-2024"}, ea)["ok"]
assert cmd(a, {"cmd": "admin-media", "action": "update"}, ea)["ok"]
r = cmd(b, {"cmd": "admin-logout"}, eb)
assert r["ok"], r
cmd(a, {"cmd": "status"}, ea)
phases = [e.get("phase") for e in ea if e["type"] == "admin-media"]
assert phases == ["waiting"], ("B's logout touched A's wait", phases)
r = cmd(a, {"cmd": "admin-status"}, ea)
assert r["ok"], ("A is no longer logged in", r)
assert cmd(a, {"cmd": "admin-logout"}, ea)["ok"]
cmd(a, {"cmd": "status"}, ea)
phases = [e.get("phase") for e in ea if e["type"] == "admin-media"]
assert phases == ["waiting", "cancelled"], phases
print("ok")
PYEOF
stop_daemon

# The default: screen-users empty, only root operates; anyone else in the group watches.
sed -i 's/^screen-users=.*/screen-users=/' "$T/kiosk.conf"
start_daemon --config "$T/kiosk.conf"
as nobody '{"cmd":"status"}' '{"cmd":"details","vessel":"MV TEST"}' '{"cmd":"cancel"}' \
    '{"cmd":"admin-login","password":"x"}' > "$T/nobody2" || fail "nobody could not talk to the service"
python3 - "$T/nobody2" <<'PY' || { cat "$T/nobody2"; fail "default roles: nobody may operate"; }
import json, sys
r = {o["cmd"]: o for o in map(json.loads, open(sys.argv[1]))}
assert r["status"]["type"] == "status", r["status"]
for c in ("details", "cancel", "admin-login"):
    assert not r[c]["ok"] and "screen-users" in r[c]["error"], r[c]
PY
"$KIOSK" watch --socket "$SOCK" --json --send '{"cmd":"details","vessel":"MV ROOT"}' --until reply > "$T/root2.json" 2>&1 || true
grep '"type":"reply"' "$T/root2.json" | grep -q '"ok":true' || fail "root may operate: $(cat "$T/root2.json")"
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

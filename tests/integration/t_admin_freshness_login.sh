#!/usr/bin/env bash
# t_admin_freshness_login.sh - the freshness gate and the administrator login:
#  - a database older than [scan] max-signature-age-days puts the service out of service
#    ("signatures-old", "N days old; call the administrator"), even beside a fresh
#    allow-list (.ign2): a medium is not checked;
#    a fresh database brings it back and the medium is checked;
#  - `kiosk admin set-password` refuses a weak password; over the socket, admin-status
#    needs a login; five wrong passwords lock the login (even the right one is refused),
#    the lockout expires; admin-status then gives the status fields; every failure is in
#    the audit log, which verifies.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
. "$(dirname "$0")/admin-lib.sh"

LOCKOUT=3 MAX_AGE=7 write_admin_config
# A non-test copy of the test database (the gate exempts the repository's test database).
OURSIGS=$T/sigs; mkdir -p "$OURSIGS"
cp "$SIGS/kiosk-test.hdb" "$OURSIGS/site.hdb"; cp "$SIGS/kiosk-test.ndb" "$OURSIGS/site.ndb"
touch -d '30 days ago' "$OURSIGS"/*
# A fresh allow-list beside them hides nothing: the age is the signatures'.
printf 'Kiosk.Test.Nothing\n' > "$OURSIGS/site.ign2"
SIGS=$OURSIGS
small_image "$IMGDIR/s1.img"

start_udevd
start_daemon --config "$T/kiosk.conf"
start_watch
grep -q '"state":"out-of-service".*"code":"signatures-old"' "$EVENTS" || dfail "not out of service with old signatures"
grep -q 'signatures are 30 days old (at most 7 allowed); call the administrator' "$EVENTS" || dfail "message: $(grep out-of-service "$EVENTS")"
attach "$IMGDIR/s1.img"; s1=$LOOP
sleep 2
[ "$(count_events detected)" = 0 ] || dfail "a medium was checked while out of service"
# A fresh database (here: the same files, rebuilt today) brings the service back.
touch "$SIGS"/*
wait_event idle 1 30
grep -q '"type":"back-in-service"' "$AUDIT" || dfail "no back-in-service record"
wait_event done 1 60   # the medium inserted while out of service is checked now
detach "$s1"

# Password: rules on the console, then the login over the socket.
admin_set() { printf '%s\n%s\n' "$1" "$1" | "$KIOSK" admin set-password --stdin --config "$T/kiosk.conf" --audit-log "$AUDIT" >"$T/out" 2>"$T/err"; }
admin_set 'short1!A' && fail "a weak password was accepted"
grep -q 'at least 12 characters' "$T/err" || fail "weak password reason: $(cat "$T/err")"
admin_set 'harbour-crane-2024' && fail "a password without upper case was accepted"
admin_set 'Harbour#Crane-2024' || fail "a good password was refused: $(cat "$T/err")"
[ "$(stat -c %a "$T/state/admin.state")" = 600 ] || fail "state file mode"

r=$(sock_cmd '{"cmd":"admin-status"}')
echo "$r" | grep -q 'administrator login required' || fail "admin-status without login: $r"
login=()
for i in 1 2 3 4 5; do login+=('{"cmd":"admin-login","password":"Wrong#Password-'$i'"}'); done
login+=('{"cmd":"admin-login","password":"Harbour#Crane-2024"}' '{"cmd":"admin-status"}')
sock_cmd "${login[@]}" > "$T/replies" || fail "socket"
python3 - "$T/replies" <<'PY' || { cat "$T/replies"; fail "lockout replies"; }
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert [x["ok"] for x in r[:5]] == [False] * 5
assert r[0]["remaining"] == 4 and not r[0]["locked"], r[0]
assert r[4]["locked"] and 0 < r[4]["retry_after"] <= 3, r[4]
assert not r[5]["ok"] and r[5]["locked"], r[5]          # right password, but locked
assert not r[6]["ok"] and "login required" in r[6]["error"], r[6]
PY
sleep 3.5
sock_cmd '{"cmd":"admin-login","password":"Harbour#Crane-2024"}' '{"cmd":"admin-status"}' '{"cmd":"admin-logout"}' '{"cmd":"admin-status"}' > "$T/replies2"
python3 - "$T/replies2" <<'PY' || { cat "$T/replies2"; fail "login after the lockout"; }
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert r[0]["ok"], r[0]
st = r[1]["status"]
assert r[1]["ok"] and st["service"]["state"] == "idle", st["service"]
assert st["service"]["db_version"] and st["service"]["db_age_days"] == 0
assert st["policy"]["version"] >= 1 and st["signatures"]["too_old"] is False
assert "free_bytes" in st["staging"] and st["last_sessions"], st
assert r[2]["ok"] and not r[3]["ok"], r[2:]
PY
stop_watch
stop_daemon
expect_audit_ok
python3 - "$AUDIT" <<'PY' || fail "audit trail of the logins"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
failed = [r for r in recs if r["type"] == "admin-login-failed"]
assert [r["result"] for r in failed] == ["failed"] * 4 + ["failed-locked", "locked"], failed
assert len([r for r in recs if r["type"] == "admin-login"]) == 1
assert [r for r in recs if r["type"] == "out-of-service" and r["code"] == "signatures-old"]
assert not any("Harbour#Crane" in json.dumps(r) for r in recs)
PY
pass

#!/usr/bin/env bash
# t_syslog_forward.sh - what a SIEM receives: the kiosk's records through a real rsyslogd
# running data/rsyslog-kiosk.conf (the file docs/logging.md ships), over TLS with
# certificates on both sides, RFC 5424 with octet-counted framing, to a second rsyslogd
# (the "SIEM") on a private port.  Both run with private configs, sockets and files and
# are stopped by PID.  The kiosk's /dev/log is the first one's socket (a private mount
# namespace).  Asserted: every audit record arrives exactly once; each with facility
# daemon, APP-NAME "kiosk" (testing mode is not in it) and the severity of its event:
# clean file info, malware warning, device refused warning, failed admin login warning,
# out of service err, ...
if [ -z "${KIOSK_SYSLOG_NS:-}" ]; then
    # A private mount namespace, for the /dev/log bind below.
    exec unshare -m --propagation private env KIOSK_SYSLOG_NS=1 bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"

for t in rsyslogd openssl; do command -v $t >/dev/null || fail "$t is missing (make deps)"; done
[ -e /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so ] || ls /usr/lib/*/rsyslog/lmnsd_gtls.so >/dev/null 2>&1 ||
    fail "rsyslog-gnutls is missing (make deps)"

SIEM_PID= FWD_PID= DEVLOG_MADE=
_syslog_cleanup() {
    [ -n "$FWD_PID" ] && kill "$FWD_PID" 2>/dev/null || true
    [ -n "$SIEM_PID" ] && kill "$SIEM_PID" 2>/dev/null || true
    umount /dev/log 2>/dev/null || true
    [ -n "$DEVLOG_MADE" ] && rm -f /dev/log
    return 0
}
trap '_drc=$?; _syslog_cleanup; _daemon_cleanup; (exit $_drc); _cleanup' EXIT

# ---- certificates: a CA, the SIEM (siem.test), the kiosk (kiosk.test) -----------------
C=$T/certs; mkdir -p "$C"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=kiosk-test-ca \
    -keyout "$C/ca-key.pem" -out "$C/ca.pem" 2>/dev/null || fail "CA"
for n in siem kiosk; do
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$n.test" -keyout "$C/$n-key.pem" \
        -out "$C/$n.csr" 2>/dev/null || fail "$n key"
    printf 'subjectAltName=DNS:%s.test\n' "$n" > "$C/$n.ext"
    openssl x509 -req -in "$C/$n.csr" -CA "$C/ca.pem" -CAkey "$C/ca-key.pem" -CAcreateserial \
        -days 2 -extfile "$C/$n.ext" -out "$C/$n-cert.pem" 2>/dev/null || fail "$n cert"
done
chmod 0600 "$C"/*-key.pem

# ---- the SIEM: TLS listener on a port of its own choosing; every message's raw bytes --
mkdir -p "$T/siem-work" "$T/fwd-work"
cat > "$T/siem.conf" <<EOF
global(workDirectory="$T/siem-work" maxMessageSize="64k")
module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1"
       StreamDriver.AuthMode="x509/name" PermittedPeer=["kiosk.test"])
input(type="imtcp" port="0" listenPortFileName="$T/siem.port"
      streamDriver.CAFile="$C/ca.pem" streamDriver.CertFile="$C/siem-cert.pem"
      streamDriver.KeyFile="$C/siem-key.pem")
template(name="raw" type="string" string="%rawmsg%\n")
action(type="omfile" file="$T/siem.log" template="raw")
EOF
rsyslogd -n -f "$T/siem.conf" -i "$T/siem.pid" > "$T/siem.out" 2>&1 &
SIEM_PID=$!
for _ in $(seq 200); do [ -s "$T/siem.port" ] && break; kill -0 $SIEM_PID 2>/dev/null || break; sleep 0.05; done
[ -s "$T/siem.port" ] || { cat "$T/siem.out"; fail "the SIEM rsyslogd did not start"; }
PORT=$(cat "$T/siem.port")
log "SIEM rsyslogd (pid $SIEM_PID) on port $PORT"

# ---- the kiosk's rsyslogd: a private socket, then the shipped forwarding file ---------
{
    echo "global(workDirectory=\"$T/fwd-work\" maxMessageSize=\"64k\")"
    echo 'module(load="imuxsock" SysSock.Use="off")'
    echo "input(type=\"imuxsock\" Socket=\"$T/dev-log\" RateLimit.Interval=\"0\")"
    sed -e 's/target="siem.example.net"/target="127.0.0.1"/' -e 's/siem\.example\.net/siem.test/g' \
        -e "s/port=\"6514\"/port=\"$PORT\"/" -e "s|/etc/kiosk/siem/|$C/|g" "$ROOT/data/rsyslog-kiosk.conf"
} > "$T/fwd.conf"
grep -q "$C/kiosk-key.pem" "$T/fwd.conf" || fail "data/rsyslog-kiosk.conf does not name the key file as expected"
rsyslogd -n -f "$T/fwd.conf" -i "$T/fwd.pid" > "$T/fwd.out" 2>&1 &
FWD_PID=$!
for _ in $(seq 200); do [ -S "$T/dev-log" ] && break; kill -0 $FWD_PID 2>/dev/null || break; sleep 0.05; done
[ -S "$T/dev-log" ] || { cat "$T/fwd.out"; fail "the forwarding rsyslogd did not start"; }

# The kiosk's syslog(3) writes to /dev/log: here, the forwarder's socket.  (Without a
# system logger /dev/log does not exist: an empty file is made as the mount point, in
# the shared /dev, and removed at the end.)
if [ ! -e /dev/log ]; then touch /dev/log && DEVLOG_MADE=1; fi
mount --bind "$T/dev-log" /dev/log || fail "cannot bind $T/dev-log on /dev/log"
[ -e /run/systemd/journal/socket ] && log "note: journald runs here; the kiosk logs to it natively (this test reads syslog)"

# ---- the kiosk's events -------------------------------------------------------------
# 1. a device refused: an ext4 stick where the policy accepts FAT only
sed 's/^filesystems=.*/filesystems=vfat/' "$POLICY" > "$T/policy.conf"
mkdir -p "$T/src-ext"; make_csv "$T/src-ext/list.csv"
build_ext4 "$IMGDIR/ext.img" 8 "$T/src-ext"
# 2. a session: clean files and EICAR
mkdir -p "$T/src"; make_csv "$T/src/list.csv"; make_pdf "$T/src/plan.pdf"; make_eicar "$T/src/eicar.com"
build_fat "$IMGDIR/stick.img" 16 16 "$T/src" STICK
start_udevd
SCAN_POLICY=$T/policy.conf start_daemon --work-dir "$T/work" --signing-key "$T/signing.key"
start_watch
attach "$IMGDIR/ext.img"; wait_event refused 1 30; detach "$LOOP"
attach "$IMGDIR/stick.img"; wait_event remove-media 1 60; detach "$LOOP"
wait_event idle 2 30
stop_watch; stop_daemon
# 3. an administrator login that fails
mkdir -p "$T/state"
printf '[paths]\nadmin-state=%s/state/admin.state\n' "$T" > "$T/kiosk.conf"
printf '%s\n%s\n' 'Kiosk-Admin-2024!' 'Kiosk-Admin-2024!' |
    "$KIOSK" admin set-password --stdin --config "$T/kiosk.conf" --audit-log "$AUDIT" >/dev/null || fail "set-password"
printf 'wrong-password\n' | "$KIOSK" admin login-test --stdin --config "$T/kiosk.conf" --audit-log "$AUDIT" \
    >/dev/null 2>&1 && fail "a wrong password logged in"
# 4. out of service: no signatures
mkdir -p "$T/nosigs"
SIGS=$T/nosigs start_daemon --work-dir "$T/work" --signing-key "$T/signing.key"
stop_daemon

# ---- what the SIEM got --------------------------------------------------------------
"$KIOSK" audit verify "$AUDIT" >/dev/null || fail "audit log"
n=$(wc -l < "$AUDIT")
for _ in $(seq 600); do
    [ "$(grep -c '"seq":' "$T/siem.log" 2>/dev/null || true)" -ge "$n" ] && break
    sleep 0.05
done
python3 - "$AUDIT" "$T/siem.log" <<'EOF' || { echo "--- forwarder:"; tail -5 "$T/fwd.out"; fail "the SIEM's records"; }
import json, re, sys
audit = [json.loads(l) for l in open(sys.argv[1])]
rx = re.compile(r'^<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[.*?\]) (.*)$')
got, lines = {}, 0
for raw in open(sys.argv[2], encoding="utf-8"):
    raw = raw.rstrip("\n")
    m = rx.match(raw)
    if not m:
        sys.exit("not RFC 5424: %r" % raw[:200])
    pri, app, msgid, sd = int(m.group(1)), m.group(4), m.group(6), m.group(7)
    if pri // 8 != 3:
        sys.exit("facility %d, not daemon: %r" % (pri // 8, raw[:200]))
    if app != "kiosk":
        sys.exit("APP-NAME %r, not kiosk" % app)
    lines += 1
    msg = m.group(8)
    if not msg.startswith('{"seq":'):
        continue  # a diagnostic line of the service
    rec = json.loads(msg)
    if msgid != rec["type"]:
        sys.exit("MSGID %r, not the record's type %r" % (msgid, rec["type"]))
    want_sd = '[kiosk@32473 session="%s"]' % rec["session"] if rec.get("session") else "-"
    if sd != want_sd:
        sys.exit("STRUCTURED-DATA %r, expected %r" % (sd, want_sd))
    if rec["seq"] in got:
        sys.exit("record %d arrived twice" % rec["seq"])
    got[rec["seq"]] = (pri % 8, rec)
# The severity a SIEM must see, by event (written here, not taken from the code).
def expected(r):
    t = r["type"]
    if t == "file":
        return {"clean": 6, "skipped": 6, "blocked": 5, "error": 5, "infected": 4}[r["verdict"]]
    if t == "session-end":
        return 4 if r["infected"] else 6 if r["status"] == "delivered" else 5
    if t == "publication":
        return 4 if r["state"] == "failed" else 6
    return {"session-start": 6, "media": 6, "device-refused": 4, "out-of-service": 3,
            "admin-login-failed": 4, "admin-password-set": 5, "service-start": 5,
            "service-stop": 5, "media-removed": 6, "signing-key-created": 5, "checkpoint": 6}[t]
seen = set()
for r in audit:
    if r["seq"] not in got:
        sys.exit("record %d (%s) did not arrive" % (r["seq"], r["type"]))
    sev, fwd = got[r["seq"]]
    if fwd != r:
        sys.exit("record %d arrived changed" % r["seq"])
    if sev != expected(r):
        sys.exit("%s %s: severity %d, expected %d" % (r["type"], r.get("verdict", ""), sev, expected(r)))
    seen.add(r["type"] + ("/" + r["verdict"] if r["type"] == "file" else ""))
need = {"device-refused", "session-start", "file/clean", "file/infected", "session-end",
        "admin-login-failed", "out-of-service", "service-start"}
if need - seen:
    sys.exit("no record of %s" % sorted(need - seen))
if not any(r.get("testing_mode") for r in audit):
    sys.exit("the service's records do not say testing mode")
print("%d records, %d lines in all, severities as expected: %s" % (len(audit), lines, sorted(seen)))
EOF
pass

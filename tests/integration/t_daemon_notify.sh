#!/usr/bin/env bash
# t_daemon_notify.sh - the service speaks systemd's notify protocol (kiosk.service is
# Type=notify with WatchdogSec=): a private datagram socket stands in for systemd
# (NOTIFY_SOCKET, WATCHDOG_USEC) and records every message.  READY=1 with STATUS= once
# the engine is loaded, WATCHDOG=1 pings, SIGHUP (systemctl reload) reloads a changed
# policy with RELOADING=1 then READY=1 and a "reload" audit record, STOPPING=1 on
# SIGTERM; a kiosk out of service is still READY=1 and says why in STATUS=.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"

NSOCK=$T/notify.sock NLOG=$T/notify.log NPID=
python3 - "$NSOCK" "$NLOG" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as out:
    while True:
        msg = s.recv(65536).decode()
        # one message per line: "READY=1|STATUS=..."
        out.write("|".join(msg.split("\n")) + "\n")
        out.flush()
EOF
NPID=$!
trap '_drc=$?; [ -n "$NPID" ] && kill "$NPID" 2>/dev/null; _daemon_cleanup; (exit $_drc); _cleanup' EXIT
for _ in $(seq 100); do [ -S "$NSOCK" ] && break; sleep 0.05; done
[ -S "$NSOCK" ] || fail "the stand-in for systemd did not start"

# wait_notify REGEX N SECONDS: until N messages match (evidence the service left).
wait_notify() {
    local i
    for ((i = 0; i < $3 * 20; i++)); do
        [ "$(grep -cE -- "$1" "$NLOG" 2>/dev/null || true)" -ge "$2" ] && return 0
        sleep 0.05
    done
    echo "--- notify messages:"; cat "$NLOG" 2>/dev/null || true
    dfail "no $2 notify message(s) matching '$1' within $3 s"
}

start_udevd
cp "$POLICY" "$T/policy.conf"
SCAN_POLICY=$T/policy.conf NOTIFY_SOCKET=$NSOCK WATCHDOG_USEC=1000000 start_daemon \
    --work-dir "$T/work" --signing-key "$T/signing.key"
wait_notify '(^|\|)READY=1(\||$)' 1 30
grep -E '(^|\|)READY=1(\||$)' "$NLOG" | head -1 | grep -q 'STATUS=idle: waiting for USB media' ||
    dfail "READY=1 without the idle status: $(cat "$NLOG")"
# The audit log has service-start before READY: the engine was loaded.
grep -q '"type":"service-start"' "$AUDIT" || dfail "READY=1 before the service-start record"
# Watchdog: pings from the main loop, at half of WATCHDOG_USEC.
wait_notify '^WATCHDOG=1$' 2 10
grep -q 'systemd watchdog: a ping every 500 ms' "$DLOG" || dfail "watchdog interval not logged"

# systemctl reload = SIGHUP: a changed policy is built beside the engine in use.
sed -i 's/^version *= *\([0-9]*\)/version = 9\1/' "$T/policy.conf"
grep -q '^version = 9' "$T/policy.conf" || fail "could not change the policy version"
nready=$(grep -cE '(^|\|)READY=1(\||$)' "$NLOG")
kill -HUP "$DAEMON_PID"
wait_notify '(^|\|)RELOADING=1(\||$)' 1 30
wait_notify '(^|\|)READY=1(\||$)' $((nready + 1)) 60
grep -q 'SIGHUP: reloading' "$DLOG" || dfail "SIGHUP not logged"
grep -q '"type":"reload"' "$AUDIT" || dfail "no reload audit record after SIGHUP"
kill -0 "$DAEMON_PID" || dfail "the service died on SIGHUP"

kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=
grep -qE '(^|\|)STOPPING=1(\||$)' "$NLOG" || dfail "no STOPPING=1"

# Out of service (no signatures): the service runs, is READY=1 and says why.
: > "$NLOG"
mkdir -p "$T/nosigs"
SIGS=$T/nosigs NOTIFY_SOCKET=$NSOCK start_daemon --work-dir "$T/work" --signing-key "$T/signing.key"
wait_notify '(^|\|)READY=1(\||$)' 1 30
grep -E '(^|\|)READY=1(\||$)' "$NLOG" | grep -q 'STATUS=out-of-service: The virus signatures cannot be loaded' ||
    dfail "out of service not in STATUS=: $(cat "$NLOG")"
stop_daemon
pass

# daemon-lib.sh - helpers for the service tests (t_daemon_*.sh), on top of lib.sh:
#
#     . "$(dirname "$0")/lib.sh"; . "$(dirname "$0")/daemon-lib.sh"
#
# Starts systemd-udevd only when none runs (and stops it, by PID, at the end), runs
# `kiosk daemon` in testing mode with private paths under $T and a private socket,
# accepting only read-only loop devices backed by images below $IMGDIR (so loop devices
# other work attaches on this machine are never touched), and records every event with
# `kiosk watch --json` in $EVENTS.  Everything started here is stopped by PID on exit.

IMGDIR=$T/img
SOCK=$T/run/kiosk.sock
EVENTS=$T/events.jsonl
DLOG=$T/daemon.log
DAEMON_PID= WATCH_PID= UDEVD_PID=
_DLOOPS=()
mkdir -p "$IMGDIR" "$RUNDIR" "$STAGING"

_daemon_cleanup() {
    local l
    [ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null || true
    if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill "$DAEMON_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$DAEMON_PID" 2>/dev/null || true
    fi
    for l in "${_DLOOPS[@]:-}"; do [ -n "$l" ] && { losetup -d "$l" 2>/dev/null || true; }; done
    if [ -n "$UDEVD_PID" ]; then
        # (udevd waits for its workers on SIGTERM; one stuck on a gone loop device must not
        # keep it, and the next test would find it answering pings but deaf to new events)
        kill "$UDEVD_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$UDEVD_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$UDEVD_PID" 2>/dev/null || true
    fi
    if [ "${KIOSK_KEEP:-0}" = 1 ] && [ -f "$DLOG" ]; then echo "daemon log: $DLOG" >&2; fi
    return 0
}
trap '_drc=$?; _daemon_cleanup; (exit $_drc); _cleanup' EXIT

dfail() {
    echo "--- daemon log (last 40 lines):"; tail -n 40 "$DLOG" 2>/dev/null || true
    echo "--- events (last 15):"; { tail -n 15 "$EVENTS" 2>/dev/null || true; } | cut -c1-400
    fail "$@"
}

# systemd-udevd: the real one, started only when none runs.
start_udevd() {
    # (pgrep is not enough: a stopped udevd can linger as a zombie under this init)
    if udevadm control --ping -t 2 2>/dev/null; then return 0; fi
    local before; before=$(pgrep -x systemd-udevd | sort || true)
    /lib/systemd/systemd-udevd --daemon 2>/dev/null || dfail "cannot start systemd-udevd"
    for _ in $(seq 50); do
        UDEVD_PID=$(comm -13 <(echo "$before") <(pgrep -x systemd-udevd | sort) | head -1)
        [ -n "$UDEVD_PID" ] && udevadm control --ping -t 1 2>/dev/null && break
        sleep 0.1
    done
    [ -n "$UDEVD_PID" ] || dfail "systemd-udevd did not start"
    log "started systemd-udevd (pid $UDEVD_PID)"
}

# start_daemon [extra args]: the service in testing mode; waits for its socket.
start_daemon() {
    "$KIOSK" daemon --policy "${SCAN_POLICY:-$POLICY}" --signatures "$SIGS" --staging "$STAGING" \
        --work-dir "$WORKDIR" --signing-key "$SIGNKEY" \
        --audit-log "$AUDIT" --run-dir "$RUNDIR" --socket "$SOCK" --accept-loop-devices \
        --loop-backing-dir "$IMGDIR" "$@" >> "$DLOG" 2>&1 &
    DAEMON_PID=$!
    for _ in $(seq 100); do
        # (a socket file left by a killed service does not count: a client must get in)
        [ -S "$SOCK" ] && timeout 2 "$KIOSK" watch --socket "$SOCK" --until status >/dev/null 2>&1 && return 0
        kill -0 "$DAEMON_PID" 2>/dev/null || dfail "kiosk daemon exited at start"
        sleep 0.1
    done
    dfail "kiosk daemon did not create its socket"
}
stop_daemon() {
    kill "$DAEMON_PID" 2>/dev/null || true; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=
}

# start_watch: record the events (appends to $EVENTS); returns once this watch is
# connected (its own "hello", not one of an earlier watch in the same file).
start_watch() {
    local n; n=$(count_events hello)
    "$KIOSK" watch --socket "$SOCK" --json >> "$EVENTS" 2>>"$T/watch.err" &
    WATCH_PID=$!
    wait_event hello $((n + 1)) 10
}
stop_watch() { kill "$WATCH_PID" 2>/dev/null || true; wait "$WATCH_PID" 2>/dev/null || true; WATCH_PID=; }

# wait_published SESSION SECONDS: until the service says SESSION is published ("done"
# comes first: publication is the outbox's next step, docs/handoff.md).
wait_published() {
    local i
    for ((i = 0; i < $2 * 20; i++)); do
        grep "^{\"type\":\"publication\",\"session\":\"$1\"" "$EVENTS" 2>/dev/null |
            grep -q '"state":"published"' && return 0
        kill -0 "$DAEMON_PID" 2>/dev/null || dfail "kiosk daemon died (waiting for the publication of $1)"
        sleep 0.05
    done
    dfail "$1 was not published within $2 s"
}
# count_events TYPE: how many events of TYPE were seen.
count_events() { local n; n=$(grep -c "^{\"type\":\"$1\"" "$EVENTS" 2>/dev/null); echo "${n:-0}"; }
# wait_event TYPE N SECONDS: until at least N events of TYPE were seen.
# SECONDS is what the step takes on a quiet machine; the wait gives at least 120 s, so a
# loaded one (CI beside other jobs) is not a failure: the bound only turns a service that
# never sends the event into a failure with its log.
wait_event() {
    local type=$1 n=$2 secs=$3 i
    ((secs >= 120)) || secs=120
    for ((i = 0; i < secs * 20; i++)); do
        [ "$(count_events "$type")" -ge "$n" ] && return 0
        kill -0 "$DAEMON_PID" 2>/dev/null || dfail "kiosk daemon died (waiting for $type #$n)"
        sleep 0.05
    done
    dfail "no event $type #$n within ${secs}s"
}

# attach IMAGE: read-only loop device, as a person would insert a stick; sets $LOOP.
# (Not in a $(...) subshell: the cleanup must know every loop device attached.)
attach() {
    LOOP=$(losetup -f --show -r "$1") || dfail "losetup $1"
    _DLOOPS+=("$LOOP")
}
detach() {
    losetup -d "$1" 2>/dev/null || true
    local l keep=()
    for l in "${_DLOOPS[@]:-}"; do [ -n "$l" ] && [ "$l" != "$1" ] && keep+=("$l"); done
    _DLOOPS=("${keep[@]:-}")
}

# Types of the events of one session, in order, as "a b c".
session_types() {
    python3 - "$EVENTS" "$1" <<'EOF'
import json, sys
out = []
for line in open(sys.argv[1]):
    e = json.loads(line)
    # (publication events follow the delivery to the share, at their own pace)
    if e.get("session") == sys.argv[2] and e["type"] not in ("status", "hello", "reply", "publication"):
        if not out or out[-1] != e["type"]:
            out.append(e["type"])
print(" ".join(out))
EOF
}
# The session id of the Nth event of TYPE.
event_session() { grep "^{\"type\":\"$1\"" "$EVENTS" | sed -n "${2}p" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["session"] or "")'; }

# Nothing of ours left mounted or attached (besides the loops the test holds itself).
expect_no_leftovers() {
    [ -z "$(_mounts_under "$T")" ] || dfail "mounts left: $(_mounts_under "$T" | tr '\n' ' ')"
    local extra
    extra=$(losetup -l -n -O NAME,BACK-FILE,AUTOCLEAR | awk -v t="$T" 'index($2, t) == 1 && $3 == 1')
    [ -z "$extra" ] || dfail "kiosk loop devices left: $extra"
}
# A small FAT image with two clean files at $1.
small_image() {
    local d; d=$(mktemp -d "$T/src.XXXXXX")
    make_csv "$d/list.csv"; make_edi "$d/bay.edi"
    build_fat "$1" "${2:-20}" 16 "$d" KIOSKT >/dev/null || dfail "cannot build $1"; rm -rf "$d"
}
fd_count() { ls "/proc/$DAEMON_PID/fd" | wc -l; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$DAEMON_PID/status"; }

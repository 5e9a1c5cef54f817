# ui-lib.sh - the screen (kiosk-ui) against the real service, for t_ui_daemon.sh and
# t_ui_admin_stick.sh; on top of lib.sh and daemon-lib.sh:
#
#     OUT=$BUILD/ui-screenshots/NAME; . "$(dirname "$0")/ui-lib.sh"
#     start_ui en [--test-control FIFO ...]     Xvfb at 1024x600 + kiosk-ui on $SOCK
#     expect_screen SECONDS 'PYTHON-EXPR'        until the UI's state file satisfies it
#                                                (s = the state JSON, labels = visible texts)
#     stop_ui                                    both stopped, by process id
# Screenshots and the state file go to $OUT.
[ -x "$BUILD/kiosk-ui" ] || fail "$BUILD/kiosk-ui not built"
rm -rf "$OUT"; mkdir -p "$OUT"
STATE=$OUT/state.json
XVFB_PID= UI_PID=
_ui_cleanup() {
    if [ -n "$UI_PID" ]; then kill "$UI_PID" 2>/dev/null; wait "$UI_PID" 2>/dev/null || true; fi
    if [ -n "$XVFB_PID" ]; then kill "$XVFB_PID" 2>/dev/null; wait "$XVFB_PID" 2>/dev/null || true; fi
    UI_PID= XVFB_PID=
    return 0
}
trap '_drc=$?; _ui_cleanup; _daemon_cleanup || true; (exit $_drc); _cleanup' EXIT

expect_screen() {
    local secs=$1 expr=$2
    python3 - "$STATE" "$secs" "$expr" <<'PY' || dfail "screen: $expr (now: $(cat "$STATE" 2>/dev/null | tr -d '\n' | cut -c1-900))"
import json, sys, time
path, secs, expr = sys.argv[1], float(sys.argv[2]), sys.argv[3]
end = time.time() + secs
while time.time() < end:
    try:
        s = json.load(open(path))
        labels = " | ".join(s["labels"])
        if eval(expr):
            sys.exit(0)
    except (OSError, ValueError, KeyError):
        pass
    time.sleep(0.1)
sys.exit(1)
PY
    log "screen ok: $expr"
}

# start_ui LANG [kiosk-ui options]: a private X server and the screen, in LANG.
start_ui() {
    local lang=$1 disp; shift
    # Xvfb picks a free display itself and names it once it listens (-displayfd): two
    # tests (or a fresh root sharing the abstract socket namespace) never pick the same.
    rm -f "$T/xvfb.fifo"; mkfifo "$T/xvfb.fifo"
    Xvfb -displayfd 3 -screen 0 1024x600x24 -nolisten tcp 3> "$T/xvfb.fifo" > "$T/xvfb.log" 2>&1 &
    XVFB_PID=$!
    disp=$(timeout 60 head -1 "$T/xvfb.fifo") && [ -n "$disp" ] ||
        dfail "Xvfb did not start: $(cat "$T/xvfb.log")"
    # --test-control (simulated touches) is only in the tests' build of the screen.
    local ui=$BUILD/kiosk-ui
    [[ " $* " == *" --test-control "* ]] && ui=$BUILD/kiosk-ui-test
    [ -x "$ui" ] || dfail "$ui not built"
    env -i PATH="$PATH" HOME="$T" DISPLAY=":$disp" GDK_BACKEND=x11 GSK_RENDERER=cairo NO_AT_BRIDGE=1 \
        LANG=C.UTF-8 XDG_RUNTIME_DIR="$T" "$ui" --socket "$SOCK" --config /dev/null \
        --language "$lang" --state-file "$STATE" --screenshot-dir "$OUT" "$@" \
        > "$OUT/kiosk-ui-$lang.log" 2>&1 &
    UI_PID=$!
}
stop_ui() { _ui_cleanup; }

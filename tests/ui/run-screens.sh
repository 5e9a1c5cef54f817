#!/usr/bin/env bash
# run-screens.sh - show kiosk-ui under a private Xvfb, driven by the fake service and a
# script, saving a PNG + JSON description of every screen it shows.
#
#     tests/ui/run-screens.sh BUILD OUTDIR WxH LANG [SCRIPT]
#
# LANG is what the (fake) service announces in "hello" (the UI's default language).
# Xvfb, the fake service and the UI are started here and stopped by PID.  Exit status:
# the fake service's (0 = every "expect" step of SCRIPT matched what the window showed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$1 out=$2 size=$3 lang=$4 script=${5:-$here/all-screens.json}
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d /tmp/kiosk-ui.XXXXXX)
pids=()
cleanup() {
    local p
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

# Xvfb picks a free display itself and names it once it listens (-displayfd): screens
# rendered at the same time (or in a fresh root sharing the abstract socket namespace)
# never pick the same display.
mkfifo "$tmp/xvfb.fifo"
Xvfb -displayfd 3 -screen 0 "${size}x24" -nolisten tcp -noreset 3> "$tmp/xvfb.fifo" > "$out/xvfb.log" 2>&1 &
pids+=($!)
disp=$(timeout 60 head -1 "$tmp/xvfb.fifo") && [ -n "$disp" ] ||
    { echo "Xvfb did not start" >&2; cat "$out/xvfb.log" >&2; exit 1; }

sock=$tmp/kiosk.sock
# Simulated touches (the fake service's "ui" steps) reach the UI through this FIFO.
control=$tmp/control
mkfifo "$control"
python3 "$here/fake-service.py" --socket "$sock" --script "$script" --language "$lang" \
    --control "$control" \
    --state-file "$out/state.json" > "$out/fake-service.log" 2>&1 &
fake=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done

env -i PATH="$PATH" HOME="$tmp" DISPLAY=":$disp" GDK_BACKEND=x11 GSK_RENDERER=cairo \
    NO_AT_BRIDGE=1 LANG=C.UTF-8 XDG_RUNTIME_DIR="$tmp" \
    "$build/kiosk-ui-test" --socket "$sock" --config /dev/null --state-file "$out/state.json" \
    --screenshot-dir "$out" --test-control "$control" --admin-timeout 6 \
    > "$out/kiosk-ui.log" 2>&1 &
pids+=($!)

rc=0
wait "$fake" || rc=$?
# The whole X screen as a visitor sees it (proves full screen, no decorations).
if command -v import > /dev/null; then
    DISPLAY=":$disp" import -window root "$out/$lang-x11-root.png" 2>/dev/null || true
fi
cat "$out/fake-service.log"
exit $rc

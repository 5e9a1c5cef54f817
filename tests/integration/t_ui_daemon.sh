#!/usr/bin/env bash
# t_ui_daemon.sh - the kiosk screen against the real `kiosk daemon` in testing mode
# (read-only loop devices count as USB media), under Xvfb with GSK_RENDERER=cairo:
# waiting -> a stick with clean files and EICAR -> "remove USB media" over the result
# (some files held back, eicar.com: malware detected) -> idle; the service killed -> "service not running"; restarted -> waiting.
# Screenshots: BUILD/ui-screenshots/daemon/.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"

OUT=$BUILD/ui-screenshots/daemon
. "$(dirname "$0")/ui-lib.sh"

start_udevd
start_daemon

start_ui en

expect_screen 20 's["screen"] == "waiting" and s["connected"] and "TESTING MODE" in labels'

src=$T/src1; mkdir -p "$src/docs"
make_csv "$src/list.csv"; make_edi "$src/docs/bay.edi"; make_eicar "$src/eicar.com"
build_fat "$IMGDIR/stick1.img" 16 16 "$src" STICK1
attach "$IMGDIR/stick1.img"; loop1=$LOOP
log "attached $loop1"
expect_screen 90 's["screen"] == "remove-media" and s["verdict"] == "some-held-back" and "Some files held back" in labels and "Remove USB media" in labels and "eicar.com" in labels.lower() and "Malware detected" in labels and "All files delivered" not in labels'
if [ -f "$OUT/en-result-some-held-back.json" ]; then
    python3 - "$OUT/en-result-some-held-back.json" <<'PY' || dfail "result screen content"
import json, sys
s = json.load(open(sys.argv[1]))
labels = " | ".join(s["labels"])
assert "eicar.com" in labels.lower() and "Malware detected" in labels, labels
assert "All files delivered" not in labels, labels
assert "TEST SIGNATURES" in labels, labels
PY
    log "result screen listed eicar.com as malware"
fi
# (the screenshot log is written after the state file: give it a moment)
for _ in $(seq 50); do grep -q 'remove-media' "$OUT/screens.log" 2>/dev/null && break; sleep 0.1; done
grep -q 'remove-media' "$OUT/screens.log" || dfail "no remove-media screen painted"
detach "$loop1"
expect_screen 30 's["screen"] == "waiting" and s["verdict"] == "none"'

# The service goes away: the screen says so; it comes back: the screen follows.
kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=
expect_screen 10 's["screen"] == "out-of-service" and s["oos_code"] == "service-down" and not s["connected"]'
start_daemon
expect_screen 20 's["screen"] == "waiting" and s["connected"]'
python3 "$ROOT/tests/ui/check-screens.py" "$OUT" 1024x600 en > "$T/check.txt" 2>&1 || true
if grep -E 'FAIL: en-[a-z-]+: (a touch|window|decorated|ellipsized|outside)' "$T/check.txt"; then
    dfail "layout problems on the daemon's screens"
fi
cat "$OUT/screens.log"
pass

#!/usr/bin/env bash
# t_ui_reason_shots.sh - the four refusals a port officer meets most, on the screen in
# Japanese and English at 1024x600 and 1920x1080 (Xvfb, GSK_RENDERER=cairo, Noto Sans
# CJK): a USB stick that is also a keyboard (refused), a program blocked by the policy's
# own rule (its reason[ja] in Japanese), a password-protected zip, a malware file.  Each
# screen shows the reason in its language and not in the other (from reason_code +
# reason_params), nothing is cut off or outside the window (the UI's own "problems"), and
# the picture is kept: BUILD/ui-screenshots/reason-shots/CASE-LANG-SIZE.png (and in
# $KIOSK_SHOTS_DIR when set) for a person to look at.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${KIOSK_BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
fail() { echo "FAIL: t_ui_reason_shots: $*"; exit 1; }
for b in kiosk-ui-test reason-samples; do
    [ -x "$BUILD/$b" ] || fail "$BUILD/$b not built (run make check)"
done
command -v Xvfb > /dev/null || fail "Xvfb missing (make deps)"
fc-list : family | grep "Noto Sans CJK JP" > /dev/null || fail "fonts-noto-cjk missing (make deps)"
T=$(mktemp -d /tmp/kiosk-shots.XXXXXX)
trap 'rm -rf "$T"' EXIT
"$BUILD/reason-samples" > "$T/samples.json" || fail "reason-samples: no Japanese catalogue"

shots=$BUILD/ui-screenshots/reason-shots
rm -rf "$shots"; mkdir -p "$shots"
for size in 1024x600 1920x1080; do
    for lang in ja en; do
        for case in keyboard program encrypted malware; do
            out=$T/$size-$lang-$case
            python3 "$ROOT/tests/ui/reasons.py" shot-script "$T/samples.json" "$lang" "$case" \
                > "$T/script.json"
            "$ROOT/tests/ui/run-screens.sh" "$BUILD" "$out" "$size" "$lang" "$T/script.json" \
                > "$T/run.log" 2>&1 || { tail -n 5 "$T/run.log"; fail "$case $lang $size: see above"; }
            # The last refused or result picture (the fake service's exit shows "service
            # not running" afterwards).
            name=$(grep -E " $lang-(refused|result-)" "$out/screens.log" | tail -n 1 | cut -d' ' -f2)
            [ -n "$name" ] || fail "$case $lang $size: no refused or result screen taken"
            python3 - "$out/$name.json" "$size" <<'PY' || fail "$case $lang $size: see above"
import json, sys
st = json.load(open(sys.argv[1]))
w, h = (int(x) for x in sys.argv[2].split("x"))
bad = list(st["problems"])
if (st["width"], st["height"]) != (w, h):
    bad.append("window %dx%d" % (st["width"], st["height"]))
if st["min_touch_target"] < 48:
    bad.append("a touch target is %d px" % st["min_touch_target"])
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
PY
            cp "$out/$name.png" "$shots/$case-$lang-$size.png"
            echo "ok: $case $lang $size ($name)"
        done
    done
done
if [ -n "${KIOSK_SHOTS_DIR:-}" ]; then
    mkdir -p "$KIOSK_SHOTS_DIR" && cp "$shots"/*.png "$KIOSK_SHOTS_DIR"/
fi
echo "screenshots in $shots"
echo "PASS: t_ui_reason_shots"

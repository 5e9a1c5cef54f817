#!/usr/bin/env bash
# t_ui_screens.sh - the kiosk screen under Xvfb (GSK_RENDERER=cairo), driven by the fake
# service (tests/ui/fake-service.py) through every screen, in English and Japanese, at
# 1024x600 and 1920x1080.  Screenshots + JSON descriptions: BUILD/ui-screenshots/SIZE/.
# Asserts what a visitor would check: the right screen and texts in the right language,
# the verdict colour, full screen without decorations, touch targets >= 48 px, nothing
# cut off; stale events never replace a result; reconnect after a service restart; the
# administrator pages (login, wrong password, lockout, status, reprint, logout on Back, on a
# stick and after the idle time), driven by simulated touches through --test-control.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${KIOSK_BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
fail() { echo "FAIL: t_ui_screens: $*"; exit 1; }

[ -x "$BUILD/kiosk-ui-test" ] || fail "$BUILD/kiosk-ui-test not built (run make check)"
[ -f "$BUILD/locale/ja/LC_MESSAGES/kiosk.mo" ] || fail "Japanese catalogue not built"
command -v Xvfb > /dev/null || fail "Xvfb missing (make deps)"
fc-list : family | grep "Noto Sans CJK JP" > /dev/null || fail "fonts-noto-cjk missing (make deps)"

# The Japanese catalogue is complete: no untranslated or fuzzy message.
stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$ROOT/po/ja.po" 2>&1)
echo "ja.po: $stats"
case $stats in *untranslated*|*fuzzy*) fail "ja.po incomplete: $stats" ;; esac

for size in 1024x600 1920x1080; do
    out=$BUILD/ui-screenshots/$size
    rm -rf "$out"
    for lang in en ja; do
        echo "# $size $lang"
        "$ROOT/tests/ui/run-screens.sh" "$BUILD" "$out" "$size" "$lang" ||
            { tail -n 20 "$out/kiosk-ui.log"; fail "$size $lang: the screen did not follow the session"; }
        pixels=; [ "$size" = 1024x600 ] && pixels=--pixels
        python3 "$ROOT/tests/ui/check-screens.py" "$out" "$size" "$lang" $pixels ||
            fail "$size $lang: see above"
        # The X server's own picture: the window covers the whole screen (top-left pixel
        # is the top bar's colour, not the empty X background).
        root_png=$out/$lang-x11-root.png
        [ -s "$root_png" ] || fail "$size $lang: no X11 root screenshot"
        geo=$(identify -format '%wx%h' "$root_png")
        [ "$geo" = "$size" ] || fail "$size $lang: X11 screenshot is $geo"
        px=$(convert "$root_png" -format '%[hex:p{2,2}]' info:)
        case $px in 0A2540*) ;; *) fail "$size $lang: top-left pixel $px is not the kiosk's top bar" ;; esac
    done
done
echo "screenshots in $BUILD/ui-screenshots/"
echo "PASS: t_ui_screens"

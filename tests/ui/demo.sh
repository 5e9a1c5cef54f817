#!/usr/bin/env bash
# demo.sh - `make demo-ui`: show the kiosk screen under Xvfb driven by a scripted session
# (every screen, English then Japanese) and save the screenshots.
#
#     tests/ui/demo.sh BUILD [WxH]
#
# On a real display instead:   build/kiosk-ui --socket /run/kiosk/kiosk.sock
# (or against the fake service: tests/ui/fake-service.py --socket /tmp/k.sock
#  --script tests/ui/all-screens.json & build/kiosk-ui --socket /tmp/k.sock --windowed 1024x600)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build} size=${2:-1024x600}
out=$build/ui-screenshots/demo-$size
rm -rf "$out"
for lang in en ja; do
    echo "== $lang, $size"
    "$here/run-screens.sh" "$build" "$out" "$size" "$lang"
done
echo
echo "screens shown, in order:"; cat "$out/screens.log"
echo "screenshots: $out/*.png (one per screen and language; *.json = what was visible)"

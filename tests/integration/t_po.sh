#!/usr/bin/env bash
# t_po.sh - the message catalogue (po/) is complete: po/kiosk.pot matches the sources'
# msgids, every msgid is in po/ja.po, and msgfmt --statistics reports 0 untranslated and
# 0 fuzzy messages (tools/po-check.sh); the built catalogue is where the programs look.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${KIOSK_BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
fail() { echo "FAIL: t_po: $*"; exit 1; }
"$ROOT/tools/po-check.sh" || fail "catalogue incomplete (see above)"
[ -f "$BUILD/locale/ja/LC_MESSAGES/kiosk.mo" ] || fail "$BUILD/locale/ja/LC_MESSAGES/kiosk.mo not built"
cmp -s <(msgfmt -o - "$ROOT/po/ja.po") "$BUILD/locale/ja/LC_MESSAGES/kiosk.mo" ||
    fail "the built catalogue is older than po/ja.po (make)"
echo "PASS: t_po"

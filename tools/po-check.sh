#!/usr/bin/env bash
# po-check.sh - the message catalogue is complete (make po-check, t_po):
#   - po/kiosk.pot has exactly the msgids xgettext finds in the sources now (a string
#     added or changed without `make po` fails);
#   - every msgid of the sources is in every po/LL.po (msgcmp);
#   - every LL.po is fully translated: msgfmt --statistics says 0 fuzzy, 0 untranslated.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
flags=$(make -s --no-print-directory po-flags)
# shellcheck disable=SC2086
xgettext $flags -D . -f po/POTFILES -o "$tmp/now.pot"
ids() { msgcat --no-location --no-wrap --sort-output "$1" | grep -v '^"POT-Creation-Date:'; }
if ! diff <(ids po/kiosk.pot) <(ids "$tmp/now.pot") > "$tmp/diff"; then
    echo "po/kiosk.pot is out of date with the sources (run make po):"; head -n 40 "$tmp/diff"
    exit 1
fi
rc=0
for l in $(sed -e 's/#.*//' po/LINGUAS); do
    if ! msgcmp --use-untranslated "po/$l.po" "$tmp/now.pot" 2> "$tmp/cmp"; then
        echo "po/$l.po lacks msgids of the sources (run make po, then translate):"
        head -n 40 "$tmp/cmp"; rc=1
    fi
    stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "po/$l.po" 2>&1)
    echo "po/$l.po: $stats"
    case $stats in *untranslated*|*fuzzy*) echo "po/$l.po is not fully translated"; rc=1 ;; esac
done
exit $rc

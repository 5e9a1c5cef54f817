#!/usr/bin/env bash
# t_report_many.sh - a session of 500+ files: the A4 report paginates with a header and
# "Page n of N" on every page, and lists every file exactly once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report-lib.sh"

signed_session 500
"$KIOSK" report "$SESSION" --config "$CONF" --work-dir "$WORKDIR" --lang both -o "$T/a4.pdf" > /dev/null ||
    fail "kiosk report"
pages=$(pdfinfo "$T/a4.pdf" | awk '/^Pages:/ {print $2}')
[ "$pages" -ge 5 ] || fail "500 files on $pages pages: no pagination?"
for ((p = 1; p <= pages; p++)); do
    pdftotext -f $p -l $p -enc UTF-8 "$T/a4.pdf" "$T/p$p.txt"
    grep -qF "Page $p of $pages" "$T/p$p.txt" || fail "page $p has no 'Page $p of $pages'"
    grep -qF "USB media scan report" "$T/p$p.txt" || fail "page $p has no header"
    grep -qF "$SESSION" "$T/p$p.txt" || fail "page $p does not name the session"
    [ $p = 1 ] || grep -qF "ファイル" "$T/p$p.txt" || fail "page $p does not repeat the table header"
done
pdftotext -enc UTF-8 "$T/a4.pdf" "$T/all.txt"
python3 - "$SCAN_JSON" "$T/all.txt" <<'PY' || fail "file listing"
import json, re, sys
j = json.load(open(sys.argv[1])); text = open(sys.argv[2], encoding="utf-8").read()
names = [f["path"] for f in j["files"]]
assert len(names) >= 504, len(names)
bad = [(n, text.count(n)) for n in names if "/row" in n and text.count(n) != 1]
if bad:
    sys.exit("listed not exactly once: %r" % bad[:5])
rows = re.findall(r"many/batch\d\d/row\d{5}\.csv", text)
if len(rows) != 500 or len(set(rows)) != 500:
    sys.exit("expected 500 distinct rows, found %d (%d distinct)" % (len(rows), len(set(rows))))
PY
pass

#!/usr/bin/env bash
# t_ui_reasons.sh - every reason code (common/reason.c) in both languages, on the screen
# and in the A4 report (issue 16):
#   - the screen (kiosk-ui-test under Xvfb, GSK_RENDERER=cairo, driven by the fake service)
#     gets each code the way the service sends it (reason_code + reason_params beside the
#     English "reason"): in Japanese its state file's visible texts contain the Japanese
#     sentence and not the English one; in English the other way round;
#   - the A4 report of a session whose files carry every code: the reason column
#     (pdftotext of that column) holds every Japanese sentence and no English one when the
#     session was in Japanese (no --lang: the report follows the session's "language"),
#     and the English ones only with --lang en.
# The sentences come from build/reason-samples (reason_format over the built catalogue).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${KIOSK_BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
fail() { echo "FAIL: t_ui_reasons: $*"; exit 1; }
for b in kiosk kiosk-ui-test reason-samples; do
    [ -x "$BUILD/$b" ] || fail "$BUILD/$b not built (run make check)"
done
command -v Xvfb > /dev/null || fail "Xvfb missing (make deps)"
command -v pdftotext > /dev/null || fail "pdftotext missing (make deps)"
T=$(mktemp -d /tmp/kiosk-reasons.XXXXXX)
trap 'rm -rf "$T"' EXIT
export TZ=Asia/Tokyo

"$BUILD/reason-samples" > "$T/samples.json" || fail "reason-samples: no Japanese catalogue"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/samples.json")
[ "$n" -gt 50 ] || fail "only $n reason codes"
echo "$n reason codes"

# ---- the screen ---------------------------------------------------------------------
out=$BUILD/ui-screenshots/reasons
rm -rf "$out"
for lang in ja en; do
    python3 "$ROOT/tests/ui/reasons.py" screen-script "$T/samples.json" "$lang" > "$T/script-$lang.json"
    "$ROOT/tests/ui/run-screens.sh" "$BUILD" "$out/$lang" 1024x600 "$lang" "$T/script-$lang.json" \
        > "$T/screen-$lang.log" 2>&1 ||
        { grep -v '^ok:' "$T/screen-$lang.log" | tail -n 20; fail "screen, $lang: see above"; }
    ok=$(grep -c '^ok: ' "$T/screen-$lang.log" || true)
    [ "$ok" -gt "$n" ] || fail "screen, $lang: only $ok steps passed"
    echo "screen $lang: $n reason codes shown in $lang only"
done

# ---- the A4 report ------------------------------------------------------------------
sess=2026-11-22_0215_reasons
mkdir -p "$T/work/outbox/$sess"
touch "$T/kiosk.conf"
report() {  # report LANG_OF_SESSION OUT.pdf [kiosk report options]
    local slang=$1 pdf=$2; shift 2
    python3 "$ROOT/tests/ui/reasons.py" manifest "$T/samples.json" "$sess" "$slang" \
        > "$T/work/outbox/$sess/MANIFEST.json"
    "$BUILD/kiosk" report "$sess" --config "$T/kiosk.conf" --work-dir "$T/work" \
        --audit-log "$T/audit.jsonl" --format a4 -o "$pdf" "$@" > /dev/null ||
        fail "kiosk report $* failed"
    # The reason column only (x from 435 pt on an A4 page: report/report-a4.c a4_columns).
    pdftotext -enc UTF-8 -x 434 -y 0 -W 162 -H 842 "$pdf" "$pdf.reasons.txt"
}
check_pdf() {  # check_pdf PDF LANG WHAT
    python3 "$ROOT/tests/ui/reasons.py" pdf-check "$T/samples.json" "$1.reasons.txt" "$2" \
        > "$T/check.out" || { head -n 20 "$T/check.out"; fail "$3: see above"; }
    echo "A4 report: $3: $n reasons in $2 only"
}
report ja "$T/a4-ja.pdf"
check_pdf "$T/a4-ja.pdf" ja "session in Japanese, no --lang"
report ja "$T/a4-ja-en.pdf" --lang en
check_pdf "$T/a4-ja-en.pdf" en "session in Japanese, --lang en"
report en "$T/a4-en.pdf"
check_pdf "$T/a4-en.pdf" en "session in English, no --lang"
report en "$T/a4-en-ja.pdf" --lang ja
check_pdf "$T/a4-en-ja.pdf" ja "session in English, --lang ja"
# The page's own words follow too: the title, and the local time with its offset.
pdftotext -enc UTF-8 "$T/a4-ja.pdf" "$T/a4-ja.txt"
grep -qF "USBメモリ検査報告書" "$T/a4-ja.txt" || fail "the Japanese report has no Japanese title"
grep -qF "2026-11-22 11:15:00 (UTC+09:00)" "$T/a4-ja.txt" || fail "no local start time with offset"
if grep -qF "USB media scan report" "$T/a4-ja.txt"; then fail "the Japanese report has the English title"; fi
echo "PASS: t_ui_reasons"

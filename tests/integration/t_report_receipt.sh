#!/usr/bin/env bash
# t_report_receipt.sh - the receipt and the A4 report of a signed session: the QR code
# decodes to exactly "KIOSK1 <session> <manifest SHA-256>"; the text shows the session,
# the vessel and the blocked file's reason in Japanese and English; both show the audit
# log's record that closed the session (its signed checkpoint) with its SHA-256, the
# anchor `kiosk audit verify --head` checks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report-lib.sh"

signed_session
ASEQ=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["audit"]["seq"])' "$SCAN_JSON")
AHASH=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["audit"]["hash"])' "$SCAN_JSON")
for lang in both ja en; do
    "$KIOSK" report "$SESSION" --config "$CONF" --work-dir "$WORKDIR" --audit-log "$AUDIT" --format receipt --lang "$lang" \
        -o "$T/receipt-$lang.pdf" > /dev/null || fail "kiosk report --format receipt --lang $lang"
    pdftoppm -png -r 200 "$T/receipt-$lang.pdf" "$T/receipt-$lang"
    qr=$(zbarimg -q --raw "$T/receipt-$lang"-1.png) || fail "no QR code found on the $lang receipt"
    [ "$qr" = "KIOSK1 $SESSION $MANIFEST_SHA" ] || fail "QR code says '$qr', expected 'KIOSK1 $SESSION $MANIFEST_SHA'"
    "$KIOSK" report "$SESSION" --config "$CONF" --work-dir "$WORKDIR" --audit-log "$AUDIT" --format a4 --lang "$lang" \
        -o "$T/a4-$lang.pdf" > /dev/null || fail "kiosk report --format a4 --lang $lang"
done
expect_pdf_text "$T/receipt-both.pdf" "$SESSION" "$VESSEL" "$BLOCKED_REASON" "検査結果の控え" "Scan receipt" \
    "ポリシーによりブロック" "Blocked by policy" "本船名" "Vessel name"
expect_pdf_text "$T/receipt-ja.pdf" "$SESSION" "$VESSEL" "ポリシーによりブロック" "一部のファイルを保留しました" \
    "許可されていない種類のファイルです"
expect_pdf_text "$T/receipt-en.pdf" "$SESSION" "$VESSEL" "Blocked by policy" "Some files held back"
grep -q "Scan receipt" "$T/receipt-ja.pdf.txt" && fail "the Japanese receipt has English headings"
grep -qF "$BLOCKED_REASON" "$T/receipt-ja.pdf.txt" && fail "the Japanese receipt has the English reason"
expect_pdf_text "$T/a4-both.pdf" "$SESSION" "$VESSEL" "9321483" "123W" "$BLOCKED_REASON" "USBメモリ検査報告書" \
    "USB media scan report" "$MANIFEST_SHA" "Page 1 of" "tool.exe" "plans/baplie.edi"
# The audit log's anchor: the record that closed the session and its SHA-256.
expect_pdf_text "$T/receipt-en.pdf" "Audit log: record $ASEQ" "SHA-256 ${AHASH:0:32}" "${AHASH:32}"
expect_pdf_text "$T/receipt-ja.pdf" "監査ログ: 記録番号 $ASEQ" "${AHASH:32}"
expect_pdf_text "$T/a4-en.pdf" "record $ASEQ" "$AHASH"
"$KIOSK" audit verify "$AUDIT" --head "$ASEQ:$AHASH" --pubkey "$KEYDIR/signing.pub" > /dev/null ||
    fail "the receipt's audit anchor does not verify"
# The A4 report's first page carries the same QR code.
pdftoppm -png -r 150 -f 1 -l 1 "$T/a4-en.pdf" "$T/a4-en"
[ "$(zbarimg -q --raw "$T/a4-en"-1.png)" = "KIOSK1 $SESSION $MANIFEST_SHA" ] || fail "A4 QR code"
# 'last' finds the newest session; an unknown session is a clear error.
"$KIOSK" report last --work-dir "$WORKDIR" -o "$T/last.pdf" > /dev/null || fail "report last"
expect_pdf_text "$T/last.pdf" "$SESSION"
set +e; "$KIOSK" report 20000101-000000-deadbeef --work-dir "$WORKDIR" -o "$T/x.pdf" 2> "$T/err"; rc=$?; set -e
[ "$rc" = 1 ] && grep -q "no session 20000101-000000-deadbeef" "$T/err" || fail "unknown session: exit $rc, $(cat "$T/err")"
set +e; "$KIOSK" report ../etc --work-dir "$WORKDIR" -o "$T/x.pdf" 2> "$T/err"; rc=$?; set -e
[ "$rc" = 1 ] && grep -q "not a session id" "$T/err" || fail "a path as session id was not refused"
pass

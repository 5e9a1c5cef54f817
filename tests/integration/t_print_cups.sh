#!/usr/bin/env bash
# t_print_cups.sh - kiosk print through a real cupsd (private config, socket and spool,
# started here, stopped by PID) with a cups-pdf queue writing into a private folder.
# Checks the printed PDFs (pages, QR code), the text of the saved copy in Japanese and
# English, and the audit records; then a
# missing printer, a stopped printer and a stopped print service: clear error, exit 1,
# report saved, "print-failed" in the audit log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report-lib.sh"

for t in cupsd lpadmin cupsdisable pdftotext pdftoppm zbarimg; do
    command -v $t >/dev/null || [ -x /usr/sbin/$t ] || fail "$t is not installed (make deps)"
done
[ -x /usr/lib/cups/backend/cups-pdf ] || fail "printer-driver-cups-pdf is not installed (make deps)"

C=$T/cups Q=kpdf$$ PDFOUT=$T/pdfout CUPSD_PID=
CPDF_CONF=/etc/cups/cups-pdf-$Q.conf   # cups-pdf reads its per-queue config only from /etc/cups
stop_cups() {
    [ -n "$CUPSD_PID" ] && kill "$CUPSD_PID" 2>/dev/null && wait "$CUPSD_PID" 2>/dev/null
    rm -f "$CPDF_CONF"
}
trap 'rc=$?; stop_cups; (exit $rc); _cleanup' EXIT

chmod 0711 "$T"   # filters run as lp and must reach the spool below $T
mkdir -p "$C/etc" "$C/spool" "$C/cache" "$C/state" "$C/log" "$PDFOUT"
install -d -m 1777 "$C/tmp"
cat > "$C/etc/cupsd.conf" <<EOC
LogLevel debug
Listen $C/cups.sock
Browsing No
WebInterface No
DefaultAuthType None
<Location />
  Order allow,deny
  Allow all
</Location>
<Location /admin>
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
EOC
cat > "$C/etc/cups-files.conf" <<EOC
ServerRoot $C/etc
RequestRoot $C/spool
CacheDir $C/cache
StateDir $C/state
TempDir $C/tmp
ErrorLog $C/log/error_log
AccessLog $C/log/access_log
PageLog $C/log/page_log
ServerBin /usr/lib/cups
DataDir /usr/share/cups
User lp
Group lp
SystemGroup root
LogFileGroup root
FileDevice Yes
EOC
printf 'Out %s\nAnonDirName %s\nLabel 0\nLog %s\n' "$PDFOUT" "$PDFOUT" "$C/log" > "$CPDF_CONF"
/usr/sbin/cupsd -f -c "$C/etc/cupsd.conf" -s "$C/etc/cups-files.conf" &
CUPSD_PID=$!
export CUPS_SERVER=$C/cups.sock
for ((i = 0; i < 100; i++)); do [ -S "$CUPS_SERVER" ] && lpstat -r >/dev/null 2>&1 && break; sleep 0.1; done
lpstat -r >/dev/null 2>&1 || { tail -20 "$C/log/error_log"; fail "cupsd did not start"; }
lpadmin -p "$Q" -E -v "cups-pdf:/$Q" -P /usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd 2>/dev/null ||
    fail "lpadmin: cannot create the cups-pdf queue"

signed_session
REPORTS=$STAGING/.reports
kprint() {  # kprint ARGS... -> PRC, stdout+stderr in $T/print.out
    set +e; "$KIOSK" print "$SESSION" --config "$CONF" --staging "$STAGING" --audit-log "$AUDIT" \
        --timeout 60 "$@" > "$T/print.out" 2>&1; PRC=$?; set -e
}
audit_has() {  # audit_has TYPE TEXT: a record of TYPE for the session containing TEXT
    python3 - "$AUDIT" "$SESSION" "$1" "$2" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
ok = [r for r in recs if r.get("type") == sys.argv[3] and r.get("session") == sys.argv[2]
      and sys.argv[4] in json.dumps(r, ensure_ascii=False)]
sys.exit(0 if ok else 1)
PY
}

# 1. Receipt through cups-pdf: the printed PDF's QR code names the session and manifest.
kprint --printer "$Q" --format receipt --lang both
[ "$PRC" = 0 ] || { cat "$T/print.out"; tail -30 "$C/log/error_log"; fail "kiosk print (cups-pdf) exit $PRC"; }
out=$(ls "$PDFOUT"/*.pdf 2>/dev/null | head -1)
[ -n "$out" ] || { tail -30 "$C/log/error_log"; fail "cups-pdf wrote no PDF"; }
pdftoppm -png -r 200 "$out" "$T/printed-receipt"
[ "$(zbarimg -q --raw "$T/printed-receipt"-1.png)" = "KIOSK1 $SESSION $MANIFEST_SHA" ] ||
    fail "the printed receipt's QR code does not decode to the session and manifest SHA-256"
[ -f "$REPORTS/$SESSION-receipt-both.pdf" ] || fail "the printed receipt was not saved"
audit_has print "$Q" || fail "no 'print' audit record"

# 2. A4 report through cups-pdf: same pages as the saved report.
rm -f "$PDFOUT"/*.pdf
kprint --printer "$Q" --format a4 --lang both
[ "$PRC" = 0 ] || { cat "$T/print.out"; fail "kiosk print --format a4 exit $PRC"; }
out=$(ls "$PDFOUT"/*.pdf | head -1)
saved=$REPORTS/$SESSION-a4-both.pdf
[ "$(pdfinfo "$out" | awk '/^Pages:/{print $2}')" = "$(pdfinfo "$saved" | awk '/^Pages:/{print $2}')" ] ||
    fail "the printed report and the saved report have different page counts"
# cups-pdf goes PDF -> PostScript -> Ghostscript, which drops the text layer of CJK
# fonts (and the PPD's margins scale the page a little): the printed first page must
# still carry the QR code of this session and manifest.
pdftoppm -png -r 200 -f 1 -l 1 "$out" "$T/printed-a4"
[ "$(zbarimg -q --raw "$T/printed-a4"-1.png)" = "KIOSK1 $SESSION $MANIFEST_SHA" ] ||
    fail "the printed A4 report's QR code does not decode to the session and manifest SHA-256"

# 3. The text of what was sent (the saved copy): session, vessel, a blocked file's
#    reason, in Japanese and English.
expect_pdf_text "$saved" "$SESSION" "$VESSEL" "$BLOCKED_REASON" "USBメモリ検査報告書" "USB media scan report" \
    "ポリシーによりブロック" "Blocked by policy" "本船名" "Vessel name"

# 4. A missing printer: clear message, exit 1, report saved, audit record.
rm -rf "$REPORTS"
kprint --printer no-such-printer --format receipt --lang en
[ "$PRC" = 1 ] || { cat "$T/print.out"; fail "missing printer: exit $PRC, expected 1"; }
grep -q "no printer named 'no-such-printer'" "$T/print.out" || { cat "$T/print.out"; fail "missing printer: unclear message"; }
grep -q "saved as $REPORTS/$SESSION-receipt-en.pdf" "$T/print.out" || fail "missing printer: the message does not say where the report is"
[ -s "$REPORTS/$SESSION-receipt-en.pdf" ] || fail "missing printer: the report was not saved"
audit_has print-failed "no printer named" || fail "missing printer: no 'print-failed' audit record"

# 5. A stopped printer refuses the job.
cupsdisable "$Q"
kprint --printer "$Q" --format receipt
[ "$PRC" = 1 ] && grep -q "not accepting jobs" "$T/print.out" || { cat "$T/print.out"; fail "stopped printer not reported"; }
audit_has print-failed "not accepting jobs" || fail "stopped printer: no 'print-failed' audit record"

# 6. No print service at all.
stop_cups; CUPSD_PID=
kprint --printer "$Q" --format receipt
[ "$PRC" = 1 ] && grep -q "print service (CUPS) is not reachable" "$T/print.out" || { cat "$T/print.out"; fail "stopped cupsd not reported"; }
audit_has print-failed "not reachable" || fail "cupsd down: no 'print-failed' audit record"
expect_audit_ok
pass

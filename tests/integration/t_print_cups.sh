#!/usr/bin/env bash
# t_print_cups.sh - kiosk print through a real cupsd (private config, socket and spool,
# started here, stopped by PID) with a cups-pdf queue writing into a private folder.
# Checks the printed PDFs (pages, QR code), the text of the saved copy in Japanese and
# English, and the audit records; then a
# missing printer, a stopped printer and a stopped print service: clear error, exit 1,
# report saved, "print-failed" in the audit log.  `kiosk status` names the printer's
# state in each case (idle, stopped, no such printer, no print service, a print service
# that does not answer) and never waits more than a few seconds for CUPS.
# serial
# (it bounds how long `kiosk status` takes: alone on the machine, tests/run.sh)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report-lib.sh"

for t in cupsd lpadmin cupsdisable pdftotext pdftoppm zbarimg; do
    command -v $t >/dev/null || [ -x /usr/sbin/$t ] || fail "$t is not installed (make deps)"
done
[ -x /usr/lib/cups/backend/cups-pdf ] || fail "printer-driver-cups-pdf is not installed (make deps)"

C=$T/cups Q=kpdf$$ PDFOUT=$T/pdfout CUPSD_PID= SILENT_PID=
CPDF_CONF=/etc/cups/cups-pdf-$Q.conf   # cups-pdf reads its per-queue config only from /etc/cups
stop_cups() {
    [ -n "$CUPSD_PID" ] && kill "$CUPSD_PID" 2>/dev/null && wait "$CUPSD_PID" 2>/dev/null
    [ -z "$SILENT_PID" ] || { kill "$SILENT_PID"; wait "$SILENT_PID"; } 2>/dev/null || true
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
REPORTS=$WORKDIR/reports
kprint() {  # kprint ARGS... -> PRC, stdout+stderr in $T/print.out
    set +e; "$KIOSK" print "$SESSION" --config "$CONF" --work-dir "$WORKDIR" --audit-log "$AUDIT" \
        --timeout 60 "$@" > "$T/print.out" 2>&1; PRC=$?; set -e
}
# kstatus QUEUE: `kiosk status` (--json, then text) with [report] printer=QUEUE ("" = the
# CUPS default) and no service; each run must end within 5 s.  -> $T/status.json, .txt
kstatus() {
    local fmt t0 ms
    printf '[report]\nprinter=%s\n' "$1" > "$T/status.conf"
    for fmt in json txt; do
        t0=$(date +%s%N)
        timeout 30 env -u LPDEST -u PRINTER "$KIOSK" status --config "$T/status.conf" --signatures "$SIGS" \
            --work-dir "$WORKDIR" --audit-log "$AUDIT" --policy "$POLICY" --socket "$T/no-service.sock" \
            $([ $fmt = json ] && echo --json) > "$T/status.$fmt" 2>&1 && srs=0 || srs=$?
        # exit 2: the service is not reachable (there is none here)
        [ "$srs" = 2 ] || { cat "$T/status.$fmt"; fail "kiosk status ($fmt, printer '$1'): exit $srs, not 2"; }
        ms=$(( ($(date +%s%N) - t0) / 1000000 ))
        log "kiosk status ($fmt, printer '$1'): $ms ms"
        [ "$ms" -lt 5000 ] || fail "kiosk status took $ms ms (printer '$1', CUPS_SERVER=$CUPS_SERVER)"
    done
    log "$(grep '^printer' "$T/status.txt")"
}
# expect_printer OK STATE QUEUE TEXT LINE: the "printer" object of $T/status.json (STATE
# and QUEUE "null" for null; TEXT a part of "text") and LINE a part of the text output.
expect_printer() {
    python3 - "$T/status.json" "$@" <<'PY' || { cat "$T/status.json"; fail "kiosk status --json: printer is not as expected ($*)"; }
import json, sys
p = json.load(open(sys.argv[1]))["printer"]
ok, state, queue, text = sys.argv[2:6]
want = {"ok": ok == "true", "state": None if state == "null" else state,
        "queue": None if queue == "null" else queue}
bad = [k for k in want if p.get(k, "missing") != want[k] or k not in p]
if text not in p.get("text", "") or "accepting" not in p or bad:
    sys.exit("printer %r: wrong %s" % (p, bad or "text"))
PY
    grep -qF -- "printer      $5" "$T/status.txt" || { cat "$T/status.txt"; fail "kiosk status: no line 'printer      $5'"; }
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

# 4b. kiosk status: the queue ready; a wrong name; no name and no CUPS default.
kstatus "$Q"
expect_printer true idle "$Q" idle "$Q (idle)"
kstatus no-such-printer
expect_printer false null no-such-printer "there is no printer named 'no-such-printer'" \
    "no-such-printer NOT READY: there is no printer named 'no-such-printer'"
kstatus ""
expect_printer false null null "no default printer is set up" "NOT READY: no default printer is set up"
lpadmin -d "$Q"
kstatus ""
expect_printer true idle "$Q" idle "$Q (idle)"

# 5. A stopped printer refuses the job.
cupsdisable "$Q"
kprint --printer "$Q" --format receipt
[ "$PRC" = 1 ] && grep -q "not accepting jobs" "$T/print.out" || { cat "$T/print.out"; fail "stopped printer not reported"; }
audit_has print-failed "not accepting jobs" || fail "stopped printer: no 'print-failed' audit record"
kstatus "$Q"
expect_printer false stopped "$Q" stopped "$Q NOT READY: stopped"

# 6. No print service at all.
stop_cups; CUPSD_PID=
kprint --printer "$Q" --format receipt
[ "$PRC" = 1 ] && grep -q "print service (CUPS) is not reachable" "$T/print.out" || { cat "$T/print.out"; fail "stopped cupsd not reported"; }
audit_has print-failed "not reachable" || fail "cupsd down: no 'print-failed' audit record"
kstatus "$Q"
expect_printer false null "$Q" "the print service (CUPS) is not reachable at $CUPS_SERVER" \
    "$Q NOT READY: the print service (CUPS) is not reachable at $CUPS_SERVER"

# 7. A print service that accepts the connection and never answers: status gives up soon.
python3 - "$T/silent.sock" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
PY
SILENT_PID=$!
for ((i = 0; i < 50; i++)); do [ -S "$T/silent.sock" ] && break; sleep 0.1; done
CUPS_SERVER=$T/silent.sock kstatus "$Q"
kill "$SILENT_PID"; wait "$SILENT_PID" 2>/dev/null || true; SILENT_PID=
expect_printer false null "$Q" "the print service (CUPS) is not reachable at $T/silent.sock" \
    "$Q NOT READY: the print service (CUPS) is not reachable"
expect_audit_ok
pass

# report-lib.sh - helpers for the report, print and verify-batch tests (source after lib.sh).
#
# signed_session [N_EXTRA_FILES]: a signing key ($KEYDIR), a kiosk.conf using it ($CONF),
# a folder source with clean files, one blocked .exe and (optionally) N more text files,
# scanned with operator details.  Sets SESSION, DELIVERY, MANIFEST_SHA.
KEYDIR=$T/keys
CONF=$T/kiosk.conf
VESSEL="MSC AURORA"
BLOCKED_REASON="type not allowed"

signed_session() {
    local extra=${1:-0}
    "$KIOSK" keygen --out-dir "$KEYDIR" > "$T/keygen.out" || fail "kiosk keygen failed"
    [ "$(stat -c %a "$KEYDIR/signing.key")" = 600 ] || fail "signing.key is not mode 0600"
    printf '[paths]\nsigning-key=%s\n[kiosk]\nname=Kiosk Q3\nsite=Tobishima terminal\n' \
        "$KEYDIR/signing.key" > "$CONF"
    local src=$T/src; mkdir -p "$src/plans"
    make_edi "$src/plans/baplie.edi"; make_csv "$src/list.csv"; make_pdf "$src/doc.pdf"
    printf 'MZ\x90\x00\x03\x00\x00\x00not really a program' > "$src/tool.exe"
    [ "$extra" -gt 0 ] && make_many_files "$src/many" "$extra"
    run_scan "$src" --config "$CONF" \
        --details-json '{"vessel":"'"$VESSEL"'","imo":"9321483","voyage":"123W","company":"Mediterranean Shipping Co.","person":"Tanaka Taro"}'
    expect_rc 1
    expect_verdict tool.exe blocked "$BLOCKED_REASON"
    SESSION=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["session"])' "$SCAN_JSON")
    DELIVERY=$STAGING/$SESSION
    [ -f "$DELIVERY/MANIFEST.json.sig" ] || fail "no MANIFEST.json.sig in the delivery"
    MANIFEST_SHA=$(sha256sum < "$DELIVERY/MANIFEST.json" | cut -d' ' -f1)
}

# expect_pdf_text PDF STRING...: pdftotext of PDF contains every STRING.
expect_pdf_text() {
    local pdf=$1 s; shift
    pdftotext -enc UTF-8 "$pdf" "$pdf.txt" 2>/dev/null || fail "pdftotext cannot read $pdf"
    for s in "$@"; do grep -qF -- "$s" "$pdf.txt" || fail "$pdf does not show '$s'"; done
}

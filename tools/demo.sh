#!/usr/bin/env bash
# demo.sh - build a sample USB stick image and put it through the kiosk.
#
#     tools/demo.sh BUILD_DIR          (make demo)
#
# Builds BUILD_DIR/demo/stick.img: a FAT32 "superfloppy" labelled KIOSK-DEMO holding what
# a ship's officer might bring - a BAPLIE bay plan, a COPRAR loading list, a CSV, a PDF -
# plus the EICAR test virus and a zip holding it (generated here, never stored in the
# repo).  Then runs `kiosk scan` on it with the repo's TEST signatures and the default
# policy, and shows where the delivery, its MANIFEST.json and the audit log are.
# Re-runnable: the previous demo output is removed first.
# Exit 0 when the kiosk behaved as expected (exit 1: the clean files delivered, the two
# infected ones held back).
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
kiosk=$build/kiosk
demo=$build/demo
[ -x "$kiosk" ] || { echo "demo: $kiosk is missing - run make first" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "demo: needs root (the medium reader runs as its own user in its own namespaces)" >&2; exit 2; }
for tool in mkfs.vfat mcopy zip python3; do
    command -v "$tool" >/dev/null || { echo "demo: $tool is missing - run make deps" >&2; exit 2; }
done

# Clean the previous run (unmount first, should anything have been left under run/).
if [ -d "$demo" ]; then
    awk -v t="$demo/" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r |
        while read -r m; do umount -l "$m" || true; done
    rm -rf "$demo"
fi
mkdir -p "$demo/stick/VOY 123W/bayplan" "$demo/stick/VOY 123W/lists" "$demo/stick/misc" "$demo/staging" "$demo/run"
s=$demo/stick

# ---- sample files -------------------------------------------------------------------
cat > "$s/VOY 123W/bayplan/BAPLIE_MSCAURORA_123W.edi" <<'EOF'
UNB+UNOA:2+MSCU:ZZZ+JPNGOTOS:ZZZ+240611:0930+B240611093001'
UNH+1+BAPLIE:D:95B:UN:SMDG22'
BGM++VOY123W-NGO+9'
DTM+137:202406110930:203'
TDT+20+123W+++MSCU:172:20+++9321483:146:11:MSC AURORA'
LOC+5+JPNGO:139:6'
LOC+61+SGSIN:139:6'
DTM+178:202406120600:203'
DTM+133:202406131800:203'
LOC+147+0100282::5'
FTX+AAA+++FREIGHT OF ALL KINDS'
MEA+WT++KGM:24300'
LOC+9+JPNGO:139:6'
LOC+11+SGSIN:139:6'
RFF+BM:1'
EQD+CN+MSCU1234565+22G1+++5'
NAD+CA+MSC:172:20'
LOC+147+0100484::5'
FTX+AAA+++MACHINERY PARTS'
MEA+WT++KGM:28150'
LOC+9+JPNGO:139:6'
LOC+11+SGSIN:139:6'
RFF+BM:1'
EQD+CN+TGHU7654321+45G1+++5'
NAD+CA+MSC:172:20'
LOC+147+0200082::5'
FTX+AAA+++EMPTY'
MEA+WT++KGM:3900'
LOC+9+JPNGO:139:6'
LOC+11+CNSHA:139:6'
RFF+BM:1'
EQD+CN+MEDU9876543+45R1+++4'
NAD+CA+MSC:172:20'
TMP+2+-18.0:CEL'
RNG+5+CEL:-20.0:-16.0'
LOC+147+0300186::5'
FTX+AAA+++ACETONE'
MEA+WT++KGM:19800'
DGS+IMD+3+1090'
LOC+9+JPNGO:139:6'
LOC+11+SGSIN:139:6'
RFF+BM:1'
EQD+CN+MSDU5551234+22G1+++5'
NAD+CA+MSC:172:20'
UNT+44+1'
UNZ+1+B240611093001'
EOF

cat > "$s/VOY 123W/lists/COPRAR_LOAD_123W.edi" <<'EOF'
UNB+UNOA:2+MSCU:ZZZ+JPNGOTOS:ZZZ+240610:1415+C240610141501'
UNH+1+COPRAR:D:00B:UN:SMDG21'
BGM+45+LL123W+9'
TDT+20+123W+1++MSCU:172:20+++9321483:146:11:MSC AURORA'
RFF+VON:123W'
LOC+9+JPNGO:139:6'
LOC+11+SGSIN:139:6'
NAD+CF+MSC:160:20'
EQD+CN+MSCU1234565+22G1:102:5+2+2+5'
LOC+11+SGSIN:139:6'
MEA+AAE+VGM+KGM:24300'
TDT+1++3'
NAD+CF+MSC:160:20'
EQD+CN+TGHU7654321+45G1:102:5+2+2+5'
LOC+11+SGSIN:139:6'
MEA+AAE+VGM+KGM:28150'
TDT+1++3'
NAD+CF+MSC:160:20'
CNT+16:2'
UNT+19+1'
UNZ+1+C240610141501'
EOF

printf '%s\r\n' \
    'container,iso_type,status,pol,pod,vgm_kg,bay_row_tier,imo_class,un_number' \
    'MSCU1234565,22G1,F,JPNGO,SGSIN,24300,010282,,' \
    'TGHU7654321,45G1,F,JPNGO,SGSIN,28150,010484,,' \
    'MEDU9876543,45R1,E,JPNGO,CNSHA,3900,020082,,' \
    'MSDU5551234,22G1,F,JPNGO,SGSIN,19800,030186,3,1090' > "$s/VOY 123W/lists/loading_list_123W.csv"

python3 - "$s/VOY 123W/stowage_report_123W.pdf" <<'EOF'
import sys
lines = ["MSC AURORA - Voyage 123W - Nagoya to Singapore",
         "Stowage report: 4 containers loaded, 1 reefer, 1 dangerous goods (IMO 3, UN1090)",
         "Prepared for the terminal planning office."]
text = " ".join("(%s) Tj 0 -24 Td" % l.replace("(", "\\(").replace(")", "\\)") for l in lines)
stream = ("BT /F1 12 Tf 72 720 Td %s ET" % text).encode()
objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"); offs = []
for i, o in enumerate(objs, 1):
    offs.append(len(out)); out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
xref = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for o in offs: out += b"%010d 00000 n \n" % o
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
open(sys.argv[1], "wb").write(out)
EOF

printf 'Crew change on arrival Singapore. Bunkers ordered: 850 t VLSFO.\r\n' > "$s/misc/notes.txt"

# EICAR, generated here: the repo holds only this reversed base64 text.
eicar_r='=oCSrgEJhUETJZULUNVRU1yUVJVSWlEVOFULEJVQE5UQUNVLSF0QJVEJ9dTKDN0Np4FUoQTNYpFUcRzWQFEQlAVIPVDW'
printf '%s' "$eicar_r" | rev | base64 -d > "$s/misc/eicar.txt"
(cd "$s/misc" && cp eicar.txt invoice.com && zip -q -X "../VOY 123W/attachments.zip" invoice.com && rm invoice.com)

# ---- the stick image (no mount needed: mtools) ----------------------------------------
img=$demo/stick.img
truncate -s 48M "$img"
mkfs.vfat -F 32 -s 1 -n KIOSK-DEMO "$img" >/dev/null
export MTOOLS_SKIP_CHECK=1
for e in "$s"/*; do mcopy -s -Q -i "$img" "$e" ::/; done
echo "Sample stick image: $img (FAT32, label KIOSK-DEMO)"
(cd "$s" && find . -type f | sed 's|^\./|    |' | sort)
echo

# ---- scan -----------------------------------------------------------------------------
set +e
# The demo's own work area and signing key (a real kiosk uses /var/lib/kiosk/work and
# /etc/kiosk/signing.key, made at the first start).
"$kiosk" scan --policy "$root/data/policy.conf" --signatures "$root/tests/data/signatures" \
    --staging "$demo/staging" --work-dir "$demo/work" --signing-key "$demo/keys/signing.key" \
    --audit-log "$demo/audit.jsonl" --run-dir "$demo/run" "$img"
rc=$?
set -e
echo
echo "kiosk scan exit code: $rc (0 all delivered, 1 some held back, 2 error, 3 not published yet)"

delivery=$(find "$demo/staging" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | head -n 1)
echo "Delivery folder: ${delivery:-none}"
[ -n "$delivery" ] && echo "Manifest:        $delivery/MANIFEST.json (+ SHA256SUMS, both signed)"
echo "Audit log:       $demo/audit.jsonl"
echo
ok=1
"$kiosk" audit verify "$demo/audit.jsonl" || { echo "demo: the audit log does not verify" >&2; ok=0; }
# The TOS side's check, as on a TOS machine: stock tools and kiosk-verify.
if [ -n "$delivery" ]; then
    echo "The TOS side checks it:"
    (cd "$delivery" && sha256sum -c --quiet SHA256SUMS) && echo "  sha256sum -c SHA256SUMS: OK" ||
        { echo "demo: sha256sum -c fails" >&2; ok=0; }
    minisign -Vm "$delivery/SHA256SUMS" -x "$delivery/SHA256SUMS.sig" -p "$demo/keys/signing.pub" -q &&
        echo "  minisign -V SHA256SUMS.sig: OK" || { echo "demo: minisign rejects the signature" >&2; ok=0; }
    "$(dirname "$kiosk")/kiosk-verify" "$delivery" --pubkey "$demo/keys/signing.pub" | sed 's/^/  /' ||
        { echo "demo: kiosk-verify rejects the delivery" >&2; ok=0; }
fi

# Expected: exit 1, the 5 clean files delivered, no EICAR anywhere in the delivery.
[ "$rc" = 1 ] || { echo "demo: expected exit code 1 (infected files held back), got $rc" >&2; ok=0; }
if [ -n "$delivery" ]; then
    n=$(find "$delivery" -type f ! -name MANIFEST.json ! -name SHA256SUMS ! -name '*.sig' | wc -l)
    [ "$n" = 5 ] || { echo "demo: expected 5 delivered files, found $n" >&2; ok=0; }
    e=$(sha256sum < "$s/misc/eicar.txt" | cut -d' ' -f1)
    if find "$delivery" -type f -exec sha256sum {} + | grep -q "^$e"; then echo "demo: EICAR was delivered!" >&2; ok=0; fi
else
    ok=0
fi
if awk -v t="$demo/" 'index($5, t) == 1' /proc/self/mountinfo | grep -q . || losetup -j "$img" | grep -q .; then
    echo "demo: a mount or loop device was left behind" >&2; ok=0
fi
[ "$ok" = 1 ] && echo "Demo finished as expected." || { echo "Demo: unexpected result (see above)." >&2; exit 1; }

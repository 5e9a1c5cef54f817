#!/usr/bin/env bash
# t_exe_as_pdf.sh - executables are blocked by policy, also when renamed to an allowed extension (.pdf, .csv).
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src"
python3 - "$src" <<'PY'
import struct, sys, os
b = bytearray(1024); b[0:2] = b"MZ"; struct.pack_into("<HH", b, 2, 0x90, 3); struct.pack_into("<I", b, 0x3c, 0x80)
b[0x80:0x84] = b"PE\0\0"; struct.pack_into("<HH", b, 0x84, 0x14c, 1)
struct.pack_into("<HHH", b, 0x94, 0xe0, 0x102, 0x10b)
for n in ("invoice.pdf", "tool.exe", "bayplan.edi"):
    open(os.path.join(sys.argv[1], n), "wb").write(b)
PY
printf 'not a PDF at all\n' > "$src/notes.pdf"
cp /bin/true "$src/manifest.pdf"
cp /bin/true "$src/loadlist.csv"
make_pdf "$src/real.pdf"
build_fat "$T/stick.img" 40 32 "$src"

run_scan "$T/stick.img"
expect_no_label_file "KIOSKTEST"
expect_rc 1
for p in invoice.pdf tool.exe bayplan.edi manifest.pdf loadlist.csv notes.pdf; do expect_verdict "$p" blocked; done
expect_verdict real.pdf clean
expect_json 'j["counts"]["delivered"] == 1 and j["counts"]["blocked"] == 6'
# The reasons as codes with their parameters (docs/protocol.md), the rule's own text in
# both languages (data/policy.conf), in the JSON and in MANIFEST.json.
prog_en='programs and installers are not accepted'
prog_ja='プログラムやインストーラーは持ち込めません'
expect_reason tool.exe policy.rule-block \
    '{"rule": "programs", "text": "'"$prog_en"'", "text_ja": "'"$prog_ja"'", "type": "application/vnd.microsoft.portable-executable"}'
expect_verdict tool.exe blocked "$prog_en"
expect_reason invoice.pdf policy.name-mismatch-rule \
    '{"ext": "pdf", "type": "application/vnd.microsoft.portable-executable", "text": "'"$prog_en"'", "text_ja": "'"$prog_ja"'"}'
expect_reason notes.pdf policy.name-mismatch '{"ext": "pdf", "type": "text/plain"}'
expect_verdict notes.pdf blocked "name does not match content: named .pdf but is text/plain"
expect_common
pass

#!/usr/bin/env bash
# t_cdr_office.sh - content disarm of Office files (policy macros=sanitize, the default):
# an .xlsm, a .docm and a .pptm built here come out as .xlsx/.docx/.pptx copies without
# their VBA project, ActiveX controls, ribbon callbacks and self-updating links, with the
# same cell values and text; the copies are in SHA256SUMS and pass kiosk verify-batch;
# MANIFEST.json, --json and the audit log carry both hashes; the copies keep the originals'
# modification times.  EICAR in vbaProject.bin is
# malware (not sanitized); a zip bomb named .xlsx, a truncated .docx and an encrypted
# .xlsx are held back with a reason, and the workers keep going.  Then macros=block.
. "$(dirname "$0")/lib.sh"

src=$T/src
make_eicar "$T/eicar.bin"
python3 "$ROOT/tests/integration/cdr-samples.py" "$src" "$T/eicar.bin"
rm -f "$src"/*.pdf            # t_cdr_pdf.sh
# written last: the workers must still be up after the hostile files
printf 'MSKU1234565;010482;24150\n' > "$src/zz-after.csv"

run_scan "$src"
expect_rc 1
expect_verdict stowage.xlsm sanitized "delivered as stowage.xlsx"
expect_verdict stowage.xlsm sanitized "VBA macros, ActiveX controls, ribbon callbacks to macros, links updated"
expect_verdict letter.docm sanitized "delivered as letter.docx"
expect_verdict slides.pptm sanitized "delivered as slides.pptx"
expect_verdict plain.xlsx clean
expect_verdict eicar-macro.xlsm infected Kiosk.Test.EICAR
expect_verdict truncated.docx blocked "could not be sanitized: damaged"
expect_verdict encrypted.xlsx blocked
expect_verdict zz-after.csv clean
$CHECK expr "$SCAN_JSON" '[f["verdict"] for f in j["files"] if f["path"] == "bomb.xlsx"] in (["error"], ["blocked"])' ||
    fail "the zip bomb was not held back"
expect_json 'j["counts"]["sanitized"] == 3 and j["counts"]["delivered"] == 5'
expect_common

# What the copies hold: no macro parts, macro-free types, the same values and text.
delivery=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["delivery"])' "$SCAN_JSON")
python3 - "$src" "$delivery" "$SCAN_JSON" "$AUDIT" <<'EOF' || fail "the sanitized copies are not right"
import hashlib, json, os, re, sys, zipfile
src, delivery, scan, audit = sys.argv[1:5]
j = json.load(open(scan))
MACRO_FREE = {
    "stowage.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "letter.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "slides.pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
ORIG = {"stowage.xlsx": "stowage.xlsm", "letter.docx": "letter.docm", "slides.pptx": "slides.pptm"}
BAD_PARTS = re.compile(r"(vbaproject|vbadata|activex|customui)", re.I)
BAD_RELS = ("vbaProject", "wordVbaData", "/control", "activeXControlBinary", "ui/extensibility",
            "attachedTemplate")

def cells(z):
    """{sheet part: {cell ref: value}} of a workbook."""
    out = {}
    for n in z.namelist():
        if n.startswith("xl/worksheets/sheet") and n.endswith(".xml"):
            xml = z.read(n).decode()
            out[n] = dict(re.findall(r'<c r="([A-Z]+[0-9]+)"[^>]*>(?:<v>([^<]*)</v>|<is><t>([^<]*)</t></is>)', xml) and
                          [(m[0], m[1] or m[2]) for m in re.findall(r'<c r="([A-Z]+[0-9]+)"[^>]*>(?:<v>([^<]*)</v>|<is><t>([^<]*)</t></is>)', xml)])
    return out

def texts(z, prefix, tag):
    return [t for n in sorted(z.namelist()) if n.startswith(prefix) and n.endswith(".xml")
            for t in re.findall(r"<%s>([^<]*)</%s>" % (tag, tag), z.read(n).decode())]

for name, ct in MACRO_FREE.items():
    copy = zipfile.ZipFile("%s/%s" % (delivery, name))
    orig = zipfile.ZipFile("%s/%s" % (src, ORIG[name]))
    assert copy.testzip() is None, name
    names = copy.namelist()
    assert names[0] == "[Content_Types].xml", (name, names[0])
    bad = [n for n in names if BAD_PARTS.search(n)]
    assert not bad, (name, bad)
    types = copy.read("[Content_Types].xml").decode()
    assert ct in types and "macroEnabled" not in types and "vbaProject" not in types, (name, types)
    for n in names:
        if n.endswith(".rels"):
            r = copy.read(n).decode()
            assert not any(b in r for b in BAD_RELS), (name, n, r)
    if name.endswith(".xlsx"):
        a, b = cells(orig), cells(copy)
        assert a == b and a["xl/worksheets/sheet1.xml"]["A2"] == "MSKU1234565", (a, b)
        assert a["xl/worksheets/sheet1.xml"]["C3"] == "18730.5"
        sheet = copy.read("xl/worksheets/sheet1.xml").decode()
        assert "<control" not in sheet and "<controls" not in sheet, sheet
        assert 'updateLinks="never"' in copy.read("xl/workbook.xml").decode()
    elif name.endswith(".docx"):
        assert texts(orig, "word/document", "w:t") == texts(copy, "word/document", "w:t") != []
        doc = copy.read("word/document.xml").decode()
        assert "w:control" not in doc, doc
        assert "> DDE</w:instrText>" in orig.read("word/document.xml").decode()  # split: DDE + AUTO
        assert "DDE" not in doc and "instrText" not in doc and "Draft 0600" in doc, doc
        settings = copy.read("word/settings.xml").decode()
        assert "updateFields" not in settings and "attachedTemplate" not in settings, settings
    else:
        assert texts(orig, "ppt/slides/", "a:t") == texts(copy, "ppt/slides/", "a:t") != []
        assert "p:control" not in copy.read("ppt/slides/slide1.xml").decode()

# The manifest and the audit log: the copy's hash and size, and the original's.
entries = {f["path"]: f for f in j["files"]}
records = [json.loads(l) for l in open(audit)]
for name, orig in ORIG.items():
    f = entries[orig]
    data = open("%s/%s" % (delivery, name), "rb").read()
    o = open("%s/%s" % (src, orig), "rb").read()
    assert f["staged_path"] == name and f["sha256"] == hashlib.sha256(data).hexdigest(), f
    assert f["size"] == len(data)
    # the copy keeps the original's modification time, as every delivered file does
    assert os.stat("%s/%s" % (delivery, name)).st_mtime_ns == os.stat("%s/%s" % (src, orig)).st_mtime_ns, name
    assert f["sanitized"]["original"]["sha256"] == hashlib.sha256(o).hexdigest(), f
    assert f["sanitized"]["original"]["size"] == len(o)
    assert "vba-macros" in f["sanitized"]["removed"] and "activex-controls" in f["sanitized"]["removed"]
    rec = [r for r in records if r.get("type") == "file" and r.get("path") == orig]
    assert len(rec) == 1, rec
    assert rec[0]["sha256"] == f["sha256"] and rec[0]["sanitized"]["original"]["sha256"] == hashlib.sha256(o).hexdigest(), rec
m = json.load(open("%s/MANIFEST.json" % delivery))
assert m["counts"]["sanitized"] == 3
end = [r for r in records if r.get("type") == "session-end"]
assert end and end[-1]["sanitized"] == 3, end
EOF

# The TOS side's check accepts the delivery (the copies are what SHA256SUMS lists).
"$KIOSK" verify-batch "$delivery" --pubkey "${SIGNKEY%.key}.pub" > "$T/verify.out" 2>&1 ||
    { cat "$T/verify.out"; fail "verify-batch refuses a delivery with sanitized copies"; }
grep -q "sanitized" "$T/verify.out" || { cat "$T/verify.out"; fail "verify-batch does not say how many copies are sanitized"; }
# The workers survived the hostile files: nothing crashed or timed out.
! grep -E "worker [0-9]+ (crashed|timed out|answered nonsense)" "$SCAN_ERR" ||
    fail "a scanner worker failed on the hostile files"

# macros=block: the same documents are held back, saying what they hold.
STAGING=$T/staging-block WORKDIR=$T/work-block
policy_with macros block
run_scan "$src"
expect_rc 1
expect_verdict stowage.xlsm blocked "VBA macros"
expect_verdict letter.docm blocked "macros"
expect_verdict plain.xlsx clean
expect_json 'j["counts"]["sanitized"] == 0'
expect_common
pass

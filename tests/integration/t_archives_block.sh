#!/usr/bin/env bash
# t_archives_block.sh - [scan] archives=block refuses archive *types* by the policy
# decision only; it never turns off libclamav's archive parsing.  An Office document is a
# zip: a .docx carrying EICAR in one of its parts (an embedded object) must be held back
# as malware under archives=block exactly as under archives=scan, while a plain .zip is
# refused by policy and the clean .docx beside them is delivered.
. "$(dirname "$0")/lib.sh"

# make_docx OUT [PAYLOAD-FILE]: a minimal WordprocessingML package (what libmagic types as
# a .docx), with PAYLOAD-FILE (deflated) as word/embeddings/oleObject1.bin.
make_docx() { python3 - "$@" <<'PY'
import sys, zipfile
out = sys.argv[1]
payload = open(sys.argv[2], "rb").read() if len(sys.argv) > 2 else None
ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      '<Default Extension="xml" ContentType="application/xml"/>'
      '<Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.oleObject"/>'
      '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
      '</Types>')
rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
        '</Relationships>')
doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
       '<w:body><w:p><w:r><w:t>Stowage instructions VOY123W</w:t></w:r></w:p></w:body></w:document>')
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", ct)
    z.writestr("_rels/.rels", rels)
    z.writestr("word/document.xml", doc)
    if payload is not None:
        z.writestr("word/embeddings/oleObject1.bin", payload)
PY
}

src=$T/src; mkdir -p "$src"
make_eicar "$T/eicar.bin"
make_docx "$src/stowage.docx" "$T/eicar.bin"
make_docx "$src/clean.docx"
make_eicar_zip "$src/plain.zip"
make_csv "$src/list.csv"
(cd "$src" && zip -q -X clean.zip list.csv)
mime=$(file --mime-type -b "$src/stowage.docx")
[ "$mime" = application/vnd.openxmlformats-officedocument.wordprocessingml.document ] ||
    fail "the sample is not typed as a .docx by libmagic ($mime)"

policy_with archives block
run_scan "$src"
expect_rc 1
expect_verdict stowage.docx infected Kiosk.Test.EICAR
expect_verdict clean.docx clean
expect_verdict list.csv clean
# Zips are an archive type: refused by the policy; one holding malware is still looked
# into, and named as malware (what the person and the administrator must hear first).
expect_verdict clean.zip blocked "archives are not allowed by policy"
expect_verdict plain.zip infected Kiosk.Test.EICAR
expect_common
pass

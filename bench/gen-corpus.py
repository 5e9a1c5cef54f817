#!/usr/bin/env python3
"""gen-corpus.py - seeded corpus that looks like a handover USB stick, for the benchmark.

    bench/gen-corpus.py OUTDIR [--size-mb N] [--seed N] [--testfiles DIR]

Files (share of the bytes; sizes log-uniform within each kind, so there are many small
files and a few large ones):
  edi/      EDIFACT BAPLIE/COPRAR/MOVINS text               22 %   1 KiB .. 3 MiB
  csv/      spreadsheet exports                              16 %   1 KiB .. 4 MiB
  archives/ zip archives of EDI/CSV text (deflated)          14 %   8 KiB .. 6 MiB
  docs/     PDFs with deflated text pages and image streams  16 %  16 KiB .. 8 MiB
  office/   OOXML .docx/.xlsx (zip with content types)       12 %  12 KiB .. 4 MiB
            (one in four .docm/.xlsm with a VBA project; one PDF in four has a JavaScript
            open action and an embedded file: work for the kiosk's content disarm)
  bin/      ELF- and PE-like binaries (valid headers)        12 %  16 KiB .. 6 MiB
  plus   clamav-testfiles/ : every file of /usr/share/clamav-testfiles (all detected by
         the repo's test signatures) when that folder exists (--max-testfiles N: the
         first N by name).
  notes/    small EDIFACT notes (.txt, 200 B .. 16 KiB), ~45 % of the files, ~1 % of bytes.

Deterministic (seed), Python standard library only.  STAMP holds the generator's hash and
parameters; a rerun with the same stamp does nothing.  Prints a one-line JSON summary
(files, bytes) and writes it to OUTDIR/../corpus-summary.json.
"""
import argparse
import fcntl
import hashlib
import io
import json
import os
import random
import shutil
import struct
import sys
import zipfile
import zlib

KINDS = [("edi", 0.22, 1 << 10, 3 << 20), ("csv", 0.16, 1 << 10, 4 << 20),
         ("archives", 0.14, 8 << 10, 6 << 20), ("docs", 0.16, 16 << 10, 8 << 20),
         ("office", 0.12, 12 << 10, 4 << 20), ("bin", 0.12, 16 << 10, 6 << 20)]
ZIP_DATE = (2024, 6, 11, 9, 30, 0)

PORTS = ["JPNGO", "SGSIN", "NLRTM", "DEHAM", "CNSHA", "USLAX", "BEANR", "KRPUS", "AEJEA",
         "GBFXT", "ESALG", "MYPKG", "LKCMB", "EGPSD", "BRSSZ", "ZADUR"]
CARRIERS = ["MSCU", "MAEU", "CMAU", "HLXU", "ONEU", "EGLV", "COSU", "TGHU", "TCLU", "SEGU"]
ISO = ["22G1", "45G1", "42G1", "22R1", "45R1", "22T6", "42P1", "L5G1"]
GOODS = ["MACHINERY PARTS", "FROZEN FISH", "TEXTILES", "FURNITURE", "AUTO PARTS", "RICE",
         "PLASTIC RESIN", "CHEMICALS NOS", "ELECTRONICS", "PAPER ROLLS", "STEEL COILS"]


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        r = self.rng
        # Pools of lines sampled with choices(): fast, and still varied text.
        self.edi_lines = [self.edi_segment() for _ in range(40000)]
        self.csv_rows = [self.csv_row() for _ in range(40000)]
        # 4 MiB of code-like bytes; binaries are built from random slices of it.
        w = [1.0] * 256
        w[0] = 40; w[0xFF] = 10
        for b, x in ((0x8B, 8), (0x89, 6), (0x48, 8), (0xE8, 5), (0x83, 5), (0x0F, 5),
                     (0x45, 4), (0x24, 4), (0xC3, 3), (0x74, 3), (0x75, 3), (0x85, 3)):
            w[b] = x
        self.code = bytes(r.choices(range(256), w, k=4 << 20))

    def cont(self):
        r = self.rng
        return "%s%07d" % (r.choice(CARRIERS), r.randrange(10 ** 7))

    def edi_segment(self):
        r = self.rng
        k = r.randrange(9)
        if k == 0:
            return "LOC+147+%07d::5'" % r.randrange(10 ** 7)
        if k == 1:
            return "MEA+WT++KGM:%d'" % r.randrange(1500, 32000)
        if k == 2:
            return "LOC+9+%s'" % r.choice(PORTS)
        if k == 3:
            return "LOC+11+%s'" % r.choice(PORTS)
        if k == 4:
            return "RFF+BM:%d'" % r.randrange(1, 99999)
        if k == 5:
            return "EQD+CN+%s+%s+++%d'" % (self.cont(), r.choice(ISO), r.choice((4, 5)))
        if k == 6:
            return "NAD+CA+%s:172:20'" % r.choice(CARRIERS)[:3]
        if k == 7:
            return "FTX+AAA+++%s'" % r.choice(GOODS)
        return "DTM+137:%02d%02d%02d%02d%02d:301'" % (r.randrange(20, 25), r.randrange(1, 13),
                                                     r.randrange(1, 29), r.randrange(24),
                                                     r.randrange(60))

    def csv_row(self):
        r = self.rng
        return "%s,%s,%s,%s,%s,%d,%s,%d.%02d\r\n" % (
            self.cont(), r.choice(ISO), r.choice("FE"), r.choice(PORTS), r.choice(PORTS),
            r.randrange(1500, 32000), r.choice(GOODS), r.randrange(1000), r.randrange(100))

    def size(self, lo, hi):
        return int(2 ** self.rng.uniform(lo.bit_length() - 1, hi.bit_length() - 1))

    def edi(self, n):
        r = self.rng
        msg = r.choice(("BAPLIE:D:95B:UN:SMDG22", "COPRAR:D:00B:UN:SMDG21", "MOVINS:D:95B:UN"))
        head = ("UNB+UNOA:2+%s:ZZZ+%sTS:ZZZ+240611:0930+%06d'\nUNH+1+%s'\nBGM++VOY%dW+9'\n" %
                (r.choice(CARRIERS), r.choice(PORTS), r.randrange(10 ** 6), msg, r.randrange(999)))
        out = [head]
        total = len(head)
        while total < n:
            seg = r.choices(self.edi_lines, k=256)
            s = "\n".join(seg) + "\n"
            out.append(s); total += len(s)
        out.append("UNT+%d+1'\nUNZ+1+000123'\n" % (total // 30))
        return "".join(out).encode()[:max(n, 64)]

    def csv(self, n):
        out = ["container,iso,status,pol,pod,weight_kg,goods,charge\r\n"]
        total = len(out[0])
        while total < n:
            s = "".join(self.rng.choices(self.csv_rows, k=256))
            out.append(s); total += len(s)
        return "".join(out).encode()[:n]

    def text_member(self, n):
        return self.edi(n) if self.rng.random() < 0.5 else self.csv(n)

    def zip_archive(self, n):
        r = self.rng
        bio = io.BytesIO()
        with zipfile.ZipFile(bio, "w", zipfile.ZIP_DEFLATED) as z:
            i = 0
            # Text deflates ~6:1; add members until the archive is about n bytes.
            while bio.tell() < n and i < 400:
                m = min(self.size(2 << 10, 2 << 20), max(4096, (n - bio.tell()) * 6))
                name = "VOY%03dW/%s_%04d.%s" % (r.randrange(999), r.choice(("baplie", "coprar", "list")),
                                              i, r.choice(("edi", "csv", "txt")))
                zi = zipfile.ZipInfo(name, ZIP_DATE); zi.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(zi, self.text_member(m))
                i += 1
        return bio.getvalue()

    def code_bytes(self, n):
        r = self.rng
        parts, total = [], 0
        while total < n:
            o = r.randrange(len(self.code) - 8192)
            ln = r.randrange(1024, 8192)
            parts.append(self.code[o:o + ln]); total += ln
        return b"".join(parts)[:n]

    def elf(self, n):
        body = self.code_bytes(max(n - 64, 256))
        # ELF64 header, x86-64, executable, no program/section headers (like a stripped
        # or damaged binary: libclamav's ELF parser still looks at it).
        hdr = (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 +
               struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, 0x401000, 0, 0, 0, 64, 0, 0, 0, 0, 0))
        return hdr + body

    def pe(self, n):
        # Minimal valid PE32 with one .text section holding code-like bytes.
        n = max(n, 4096)
        raw = (n - 1024) & ~511
        dos = bytearray(b"MZ" + b"\x00" * 62)
        struct.pack_into("<I", dos, 0x3C, 0x80)
        dos += b"\x00" * (0x80 - len(dos))
        coff = struct.pack("<HHIIIHH", 0x14C, 1, 0x66666666, 0, 0, 224, 0x0102)
        opt = struct.pack("<HBBIIIIIIIIIHHHHHHIIIIHHIIIIII", 0x10B, 14, 0, raw, 0, 0, 0x1000,
                          0x1000, 0x1000 + raw, 0x400000, 0x1000, 0x200, 6, 0, 0, 0, 6, 0, 0,
                          0x1000 + ((raw + 0xFFF) & ~0xFFF), 0x400, 0, 3, 0x8140, 0x100000,
                          0x1000, 0x100000, 0x1000, 0, 16)
        opt += b"\x00" * (224 - len(opt))
        sec = struct.pack("<8sIIIIIIHHI", b".text", raw, 0x1000, raw, 0x400, 0, 0, 0, 0,
                          0x60000020)
        head = bytes(dos) + b"PE\x00\x00" + coff + opt + sec
        head += b"\x00" * (0x400 - len(head))
        return head + self.code_bytes(raw)

    def pdf(self, n):
        r = self.rng
        objs, kids = [], []
        # objects: 1 catalog, 2 pages, 3 font, then per page: page, content, image
        body_target = n
        pages = []
        total = 0
        while total < body_target and len(pages) < 500:
            text = self.edi(r.randrange(2000, 20000)).decode()
            lines = text.split("\n")[:60]
            content = "BT /F1 9 Tf 40 800 Td 11 TL\n" + "".join(
                "(%s) '\n" % ln.replace("\\", "").replace("(", "").replace(")", "") for ln in lines) + "ET\n"
            cz = zlib.compress(content.encode(), 6)
            img = r.randbytes(r.randrange(8 << 10, 256 << 10)) if r.random() < 0.6 else None
            pages.append((cz, img))
            total += len(cz) + (len(img) if img else 0) + 300
        # One PDF in four has active content for the kiosk's content disarm: a JavaScript
        # open action and an embedded file (its number is filled in below).
        active = r.random() < 0.25
        objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
        objs.append(None)  # pages, filled below
        objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
        for cz, img in pages:
            pno = len(objs) + 1
            cno = pno + 1
            ino = pno + 2 if img else None
            res = b"/Font << /F1 3 0 R >>" + (b" /XObject << /Im1 %d 0 R >>" % ino if img else b"")
            objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                        b"/Resources << %s >> >>" % (cno, res))
            objs.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(cz) + cz +
                        b"\nendstream")
            if img:
                objs.append(b"<< /Type /XObject /Subtype /Image /Width 256 /Height %d "
                            b"/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode "
                            b"/Length %d >>\nstream\n" % (max(1, len(img) // 768), len(img)) +
                            img + b"\nendstream")
            kids.append(pno)
        objs[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
            b" ".join(b"%d 0 R" % k for k in kids), len(kids))
        if active:
            attached = self.edi(r.randrange(2000, 8000))
            objs.append(b"<< /Type /EmbeddedFile /Length %d >>\nstream\n" % len(attached) +
                        attached + b"\nendstream")
            objs[0] = (b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript "
                       b"/JS (app.alert\\('stowage'\\);) >> /Names << /EmbeddedFiles << /Names "
                       b"[(bayplan.edi) << /Type /Filespec /F (bayplan.edi) /EF << /F %d 0 R >> >>] "
                       b">> >> >>" % len(objs))
        out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
        offs = []
        for i, o in enumerate(objs, 1):
            offs.append(len(out)); out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
        for o in offs:
            out += b"%010d 00000 n \n" % o
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
        return bytes(out)

    def office(self, n):
        r = self.rng
        xlsx = r.random() < 0.5
        # One in four is macro-enabled (.xlsm/.docm with a VBA project) for the kiosk's
        # content disarm.  The project's bytes are not OLE2: no scanner calls it macros.
        macro = r.random() < 0.25
        bio = io.BytesIO()
        main = "xl/workbook.xml" if xlsx else "word/document.xml"
        if macro:
            ctype = ("application/vnd.ms-excel.sheet.macroEnabled.main+xml" if xlsx else
                     "application/vnd.ms-word.document.macroEnabled.main+xml")
        else:
            ctype = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
                     if xlsx else
                     "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")
        ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
              '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
              '<Default Extension="xml" ContentType="application/xml"/>'
              '<Default Extension="png" ContentType="image/png"/>%s'
              '<Override PartName="/%s" ContentType="%s"/></Types>' % (
                  '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                  if macro else "", main, ctype))
        rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="%s"/>'
                '</Relationships>' % main)

        def put(z, name, data):
            zi = zipfile.ZipInfo(name, ZIP_DATE); zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)

        with zipfile.ZipFile(bio, "w", zipfile.ZIP_DEFLATED) as z:
            # [Content_Types].xml first: that is what file(1) looks for.
            put(z, "[Content_Types].xml", ct)
            put(z, "_rels/.rels", rels)
            if macro:
                d = "xl" if xlsx else "word"
                put(z, "%s/_rels/%s.rels" % (d, main.split("/")[1]),
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                    '<Relationship Id="rId9" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/>'
                    '</Relationships>')
                put(z, "%s/vbaProject.bin" % d, b"VBA\x00" + r.randbytes(r.randrange(16 << 10, 64 << 10)))
            text = self.csv(max(2048, n)).decode().split("\r\n")
            if xlsx:
                put(z, main, '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="Load" sheetId="1"/></sheets></workbook>')
                rows = "".join('<row r="%d">%s</row>' % (i + 1, "".join(
                    '<c t="inlineStr"><is><t>%s</t></is></c>' % c for c in ln.split(",")))
                    for i, ln in enumerate(text[:20000]))
                put(z, "xl/worksheets/sheet1.xml", '<worksheet><sheetData>%s</sheetData></worksheet>' % rows)
            else:
                paras = "".join("<w:p><w:r><w:t>%s</w:t></w:r></w:p>" % ln for ln in text[:20000])
                put(z, main, '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>%s</w:body></w:document>' % paras)
            i = 0
            while bio.tell() < n and i < 40:
                # embedded pictures (incompressible, like real PNG/JPEG payloads)
                zi = zipfile.ZipInfo("%s/media/image%d.png" % ("xl" if xlsx else "word", i + 1), ZIP_DATE)
                zi.compress_type = zipfile.ZIP_STORED
                z.writestr(zi, b"\x89PNG\r\n\x1a\n" + r.randbytes(min(n - bio.tell() + 64, 1 << 20)))
                i += 1
        return bio.getvalue(), ("xls" if xlsx else "doc") + ("m" if macro else "x")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--size-mb", type=float, default=400)
    ap.add_argument("--seed", type=int, default=1105)
    ap.add_argument("--testfiles", default="/usr/share/clamav-testfiles")
    ap.add_argument("--max-testfiles", type=int, default=-1,
                    help="copy at most N of the test files (default: all)")
    a = ap.parse_args()

    with open(os.path.abspath(__file__), "rb") as f:
        me = hashlib.sha256(f.read()).hexdigest()
    tf = sorted(x for x in os.listdir(a.testfiles)
                if os.path.isfile(os.path.join(a.testfiles, x))) if os.path.isdir(a.testfiles) else []
    if a.max_testfiles >= 0:
        tf = tf[::max(1, len(tf) // max(1, a.max_testfiles))][:a.max_testfiles]
    stamp = "gen-corpus %s seed=%d size_mb=%g testfiles=%d\n" % (me, a.seed, a.size_mb, len(tf))
    stamp_path = os.path.join(a.outdir, ".." , os.path.basename(a.outdir) + ".STAMP")
    summary_path = os.path.join(os.path.dirname(os.path.abspath(a.outdir)),
                                os.path.basename(a.outdir) + "-summary.json")
    os.makedirs(os.path.dirname(os.path.abspath(a.outdir)), exist_ok=True)
    lock = open(os.path.abspath(a.outdir) + ".lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent runs take turns
    if (os.path.exists(stamp_path) and open(stamp_path).read() == stamp and
            os.path.exists(summary_path)):
        print(open(summary_path).read().strip())
        return 0

    if os.path.isdir(a.outdir):
        shutil.rmtree(a.outdir)
    for p in (stamp_path, summary_path):
        if os.path.exists(p):
            os.unlink(p)
    g = Gen(a.seed)
    r = g.rng
    target = int(a.size_mb * 1024 * 1024)
    files = 0
    total = 0
    kinds_count = {}

    def write(rel, data):
        nonlocal files, total
        p = os.path.join(a.outdir, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        files += 1
        total += len(data)
        k = rel.split("/")[0]
        kinds_count[k] = kinds_count.get(k, 0) + 1

    # Generate kind by kind, in a fixed order, each up to its share of the bytes.
    for kind, share, lo, hi in KINDS:
        budget = int(target * share)
        used = 0
        i = 0
        while used < budget:
            n = min(g.size(lo, min(hi, max(lo * 2, budget))), max(lo, budget - used))
            sub = "VOY%03dW" % (i // 40)
            if kind == "edi":
                ext = r.choice(("edi", "edi", "baplie", "coprar", "txt"))
                data = g.edi(n)
                rel = "edi/%s/%s_%05d.%s" % (sub, ext.upper() if ext != "txt" else "notes", i, ext)
            elif kind == "csv":
                data = g.csv(n); rel = "csv/%s/list_%05d.csv" % (sub, i)
            elif kind == "archives":
                data = g.zip_archive(n); rel = "archives/%s/batch_%05d.zip" % (sub, i)
            elif kind == "docs":
                data = g.pdf(n); rel = "docs/%s/report_%05d.pdf" % (sub, i)
            elif kind == "office":
                data, ext = g.office(n); rel = "office/%s/sheet_%05d.%s" % (sub, i, ext)
            else:
                if r.random() < 0.5:
                    data = g.elf(n); rel = "bin/%s/tool_%05d" % (sub, i)
                else:
                    data = g.pe(n); rel = "bin/%s/setup_%05d.exe" % (sub, i)
            write(rel, data)
            used += len(data)
            i += 1
            # small notes and lists between the big files (a third of the files or so)
            if r.random() < 0.9:
                j = files
                write("notes/%s/note_%05d.txt" % ("N%02d" % (j // 200), j),
                      g.edi(g.size(200, 16 << 10)))
    for name in tf:
        src = os.path.join(a.testfiles, name)
        if os.path.isfile(src) and not os.path.islink(src):
            with open(src, "rb") as f:
                write("clamav-testfiles/" + name, f.read())

    summary = {"files": files, "bytes": total, "seed": a.seed, "size_mb": a.size_mb,
               "testfiles": kinds_count.get("clamav-testfiles", 0), "by_kind": kinds_count}
    with open(summary_path, "w") as f:
        json.dump(summary, f, sort_keys=True)
        f.write("\n")
    with open(stamp_path, "w") as f:
        f.write(stamp)
    print(json.dumps(summary, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

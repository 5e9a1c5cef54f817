#!/usr/bin/env python3
"""make-samples.py - write the EDIFACT test messages of tests/data/edifact/.

The messages are written for the kiosk's tests (fictional ships, voyages and containers;
structure after the SMDG message implementation guides), not copied from anywhere.
Run it from this folder after a change; the outputs are committed (they are also the fuzz
seed corpus, tests/fuzz/corpus/edifact/).  tests/unit/test_edifact.c checks the summary
of each one field by field.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
LETTERS = {c: v for c, v in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                [10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24, 25, 26,
                                 27, 28, 29, 30, 31, 32, 34, 35, 36, 37, 38])}


def container(owner, serial):
    """An ISO 6346 container number with its check digit: MSCU1234565."""
    code = owner + "U" + "%06d" % serial
    total = sum((LETTERS[c] if c.isalpha() else int(c)) * (2 ** i) for i, c in enumerate(code))
    return code + str(total % 11 % 10)


def interchange(segments, una=None, terminator="'", newline="\n"):
    """Segments (without terminator) -> bytes; UNT's count is filled in (%COUNT%)."""
    out, in_msg = [], 0
    for s in segments:
        if s.startswith("UNH"):
            in_msg = 0
        in_msg += 1
        out.append(s.replace("%COUNT%", str(in_msg)))
    text = (una + newline if una else "") + newline.join(x + terminator for x in out) + newline
    return text


def write(name, text, encoding="ascii"):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(text.encode(encoding))


def baplie_95b():
    """BAPLIE D.95B SMDG22 with UNA, 36 containers; the vessel by call sign (103)."""
    segs = ["UNB+UNOA:2+MSCU:ZZZ+JPNGOTOS:ZZZ+240611:0930+BAP0611093001",
            "UNH+1+BAPLIE:D:95B:UN:SMDG22",
            "BGM++123W-NGO-01+9",
            "DTM+137:202406110930:203",
            "TDT+20+123W+++MSCU:172:20+++3FZA9:103::MSC AURORA",
            "LOC+5+CNSHA:139:6",
            "LOC+61+JPNGO:139:6",
            "DTM+178:202406120600:203",
            "DTM+133:202406131800:203",
            "DTM+136:202406100200:203"]
    pods = ["JPNGO", "JPNGO", "JPTYO", "USLAX"]
    goods = ["GENERAL CARGO", "MACHINERY PARTS", "FURNITURE", "EMPTY"]
    for i in range(36):
        bay, row, tier = 2 + 4 * (i // 12), (i % 12) // 2 * 2, 82 + (i % 2) * 2
        pol = "CNSHA" if i % 3 else "KRPUS"
        pod = pods[i % 4]
        iso = "45G1" if i % 5 else "22G1"
        full = 5 if goods[i % 4] != "EMPTY" else 4
        weight = 3900 if full == 4 else 18000 + 250 * i
        segs += ["LOC+147+%03d%02d%02d::5" % (bay, row, tier),
                 "FTX+AAA+++%s" % goods[i % 4],
                 "MEA+WT++KGM:%d" % weight,
                 "LOC+9+%s" % pol,
                 "LOC+11+%s" % pod,
                 "RFF+BM:1",
                 "EQD+CN+%s+%s+++%d" % (container("MSC", 100200 + 7 * i), iso, full),
                 "NAD+CA+MSC:172:20"]
    segs += ["UNT+%COUNT%+1", "UNZ+1+BAP0611093001"]
    return interchange(segs, una="UNA:+.? '")


def baplie_13b():
    """BAPLIE D.13B SMDG31 without UNA, UNOC, 42 containers; IMO number; a vessel name
    that needs release characters (' + :)."""
    segs = ["UNB+UNOC:3+ONEY:ZZZ+JPNGOTOS:ZZZ+240612:1415+B3000042",
            "UNH+B3-1+BAPLIE:D:13B:UN:SMDG31",
            "BGM+659+BP0042E+9",
            "DTM+137:202406121415:203",
            "NAD+CA+ONE:LINES:306",
            "TDT+20+0042E+++ONE:LINES:306+++9876543:IMO:ZZZ:O?'HARA?+SONS?: GLORY",
            "RFF+VON:0042E",
            "LOC+5+SGSIN:139:6",
            "LOC+61+JPNGO:139:6",
            "DTM+178:202406141200:203",
            "DTM+132:202406141000:203",
            "DTM+136:202406110300:203"]
    for i in range(42):
        bay, row, tier = 10 + 4 * (i // 14), (i % 14) // 2 * 2 + 1, 2 + (i % 2) * 2
        pod = "JPNGO" if i % 6 else "CNNGB"
        segs += ["LOC+147+%03d%02d%02d::5" % (bay, row, tier),
                 "EQD+CN+%s:6346:5+45G1:6346:5+++5" % container("ONE", 330000 + 13 * i),
                 "NAD+CF+ONE:LINES:306",
                 "MEA+AAE+VGM+KGM:%d" % (21000 + 175 * i),
                 "LOC+9+SGSIN:139:6",
                 "LOC+11+%s:139:6" % pod,
                 "RFF+BM:1"]
    segs += ["UNT+%COUNT%+B3-1", "UNZ+1+B3000042"]
    return interchange(segs)


def movins():
    """MOVINS D.95B SMDG20 with UNA and CR LF between segments, 8 containers."""
    segs = ["UNB+UNOA:2+JPNGOTOS:ZZZ+MSCU:ZZZ+240611:1000+MOV0611100001",
            "UNH+M1+MOVINS:D:95B:UN:SMDG20",
            "BGM++MOVINS-123W+9",
            "DTM+137:202406111000:203",
            "TDT+20+123W+++MSCU:172:20+++3FZA9:103::MSC AURORA",
            "LOC+5+JPNGO:139:6",
            "LOC+61+KRPUS:139:6",
            "DTM+133:202406131800:203",
            "HAN+LOA"]
    for i in range(8):
        segs += ["LOC+147+%03d%02d82::5" % (14 + 2 * (i // 4), (i % 4) * 2),
                 "RFF+BM:1",
                 "EQD+CN+%s+22G1" % container("TGH", 765400 + 11 * i),
                 "LOC+9+JPNGO",
                 "LOC+11+KRPUS"]
    segs += ["UNT+%COUNT%+M1", "UNZ+1+MOV0611100001"]
    return interchange(segs, una="UNA:+.? '", newline="\r\n")


def coprar(vessel="MSC AURORA", syntax="UNOA"):
    """COPRAR D.00B SMDG21 without UNA and without line breaks, 12 containers."""
    segs = ["UNB+%s:2+MSCU:ZZZ+JPNGOTOS:ZZZ+240610:1415+C240610141501" % syntax,
            "UNH+1+COPRAR:D:00B:UN:SMDG21",
            "BGM+45+LL123W+9",
            "DTM+137:20240610:102",
            "TDT+20+123W+1++MSCU:172:20+++3FZA9:103::%s" % vessel,
            "RFF+VON:123W",
            "LOC+9+JPNGO:139:6",
            "NAD+CF+MSC:160:20"]
    for i in range(12):
        segs += ["EQD+CN+%s+22G1:102:5+2+2+5" % container("MSD", 555100 + 3 * i),
                 "LOC+11+%s:139:6" % ("SGSIN" if i % 4 else "MYPKG"),
                 "MEA+AAE+VGM+KGM:%d" % (19000 + 500 * i),
                 "TDT+1++3",
                 "NAD+CF+MSC:160:20"]
    segs += ["CNT+16:12", "UNT+%COUNT%+1", "UNZ+1+C240610141501"]
    return interchange(segs, newline="")


def vermas():
    """VERMAS D.16A in a functional group (UNG/UNE), UNOY (UTF-8), and a UNA with other
    separators: component ^, element |, release #, terminator ~."""
    segs = ["UNB|UNOY^3|SHIPPERX^ZZZ|JPNGOTOS^ZZZ|240609^0800|V0609-1",
            "UNG|VERMAS|SHIPPERX|JPNGOTOS|240609^0800|G1|UN|D^16A",
            "UNH|1|VERMAS^D^16A^UN^SMDG10",
            "BGM|XXX|VGM0001|9",
            "DTM|137^202406090800^203",
            "TDT|20|7E|||KSL^172^20|||9000003^146^11^SAKURA MARU 桜丸"]
    for i in range(3):
        segs += ["EQD|CN|%s|22G1" % container("KSL", 100 + i),
                 "MEA|AAE|VGM|KGM^%d" % (12000 + 1000 * i),
                 "DTM|798^20240609^102"]
    segs += ["UNT|%COUNT%|1", "UNE|1|G1", "UNZ|1|V0609-1"]
    return interchange(segs, una="UNA^|.# ~", terminator="~")


def main():
    good = {"baplie-d95b-smdg22.edi": baplie_95b(),
            "baplie-d13b-smdg31.edi": baplie_13b(),
            "movins-d95b.edi": movins(),
            "coprar-d00b.edi": coprar(),
            "vermas-group-unoy.edi": vermas()}
    for name, text in good.items():
        write(name, text, "utf-8" if "UNOY" in text else "latin-1" if "UNOC" in text else "ascii")
    b = baplie_95b()
    # Broken: UNT's count one too many; UNZ says two messages; cut in a segment;
    # lowercase letters in UNOA.
    write("broken-unt-count.edi", b.replace("UNT+298+1'", "UNT+299+1'"))
    write("broken-unz-count.edi", b.replace("UNZ+1+BAP0611093001'", "UNZ+2+BAP0611093001'"))
    cut = b.index("EQD+CN+", len(b) * 6 // 10) + 12
    write("broken-cut.edi", b[:cut])
    write("broken-unoa-lowercase.edi", coprar(vessel="Msc Aurora"))


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# t_hostile_names.sh - names Windows cannot hold or that deceive people (RTL override, reserved names, forbidden characters, trailing dots/spaces, invalid UTF-8, case collisions, over-long) are delivered under safe, unique names; originals kept in the manifest.
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src/CON" "$src/dir."
python3 - "$src" <<'PY'
import os, sys
root = os.fsencode(sys.argv[1])
names = [
    "invoice\u202etxt.csv".encode(),          # RTL override: shows as invoicevsc.txt
    b"CON.txt", b"nul.csv", b"Com1.txt", b"LPT9.csv", b"aux",
    b"a:b?.txt", b'q"<>|*.csv', b"back\\slash.txt",
    b"trailing.txt.", b"trailing space.txt ", b" lead.txt",
    b"ctl\x01\x1fchar.txt", b"bad\xff\xfeutf8.txt",
    b"Case.txt", b"case.txt", b"CASE.TXT",
    b"a_b_.txt",
    b"L" * 240 + b".txt",
    b"CON/inner.txt", b"dir./x.csv",
]
for n in names:
    with open(os.path.join(root, n), "wb") as f:
        f.write(b"id,value\r\n1,hostile name test\r\n")
print(len(names))
PY
n_files=21
build_ext4 "$T/stick.img" 16 "$src"

run_scan "$T/stick.img"
[ "$SCAN_RC" != 2 ] || fail "exit 2 on hostile names"
expect_json 'len([f for f in files if f["verdict"] != "skipped"]) == '$n_files
expect_json 'not any(f["verdict"] in ("error", "infected") for f in files)'
# names with a proper extension must get through
for p in CON.txt nul.csv Com1.txt LPT9.csv a:b?.txt 'q"<>|*.csv' 'back\slash.txt' Case.txt case.txt CASE.TXT a_b_.txt CON/inner.txt "dir./x.csv" "invoice"$'\xe2\x80\xae'"txt.csv"; do
    expect_verdict "$p" clean
done
expect_json 'any("utf8.txt" in f["path"] and f["verdict"] == "clean" for f in files)'
expect_common
# every delivered name is safe for a Windows/SMB consumer and unique case-insensitively
python3 - "$SCAN_JSON" <<'PY' || fail "unsafe or colliding staged names"
import json, re, sys
j = json.load(open(sys.argv[1]))
reserved = {"CON", "PRN", "AUX", "NUL"} | {"COM%d" % i for i in range(1, 10)} | {"LPT%d" % i for i in range(1, 10)}
bad = []
seen = {}
for f in j["files"]:
    sp = f["staged_path"]
    if not sp:
        continue
    for comp in sp.split("/"):
        why = None
        if re.search(r'[<>:"\\|?*\x00-\x1f\x7f]', comp): why = "forbidden character"
        elif re.search("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", comp): why = "bidi control"
        elif comp.endswith((".", " ")): why = "trailing dot/space"
        elif comp.split(".")[0].strip().upper() in reserved: why = "reserved name"
        elif len(comp.encode("utf-8")) > 255: why = "too long"
        elif comp in ("", ".", ".."): why = "empty/dot component"
        if why: bad.append((sp, comp, why))
    k = sp.lower()
    if k in seen: bad.append((sp, seen[k], "case-insensitive collision"))
    seen[k] = sp
for b in bad: print("unsafe staged name:", b)
sys.exit(1 if bad else 0)
PY
pass

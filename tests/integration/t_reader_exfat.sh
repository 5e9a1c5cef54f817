#!/usr/bin/env bash
# t_reader_exfat.sh - exFAT read by the medium reader: every file under its exact name
# (long, mixed case, Japanese), with its size, SHA-256 and modification time; exFAT keeps
# each time's offset from UTC, so an image written in Asia/Tokyo and scanned in New York
# still gives the UTC times that were written.  The filesystem's own entries (allocation
# bitmap, up-case table, volume label) are not files.  A name holding an unpaired UTF-16
# surrogate (Windows allows it; it is not Unicode) keeps its exact bytes in path_hex and
# is delivered under a safe name.
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src/Bay Plans/積付" "$src/lists"
make_edi "$src/Bay Plans/積付/BAPLIE voyage 123W.edi"
make_csv "$src/積付計画.csv"
make_csv "$src/lists/loadlist.csv"
printf 'mixed\r\n' > "$src/MixedCase.Txt"
make_pdf "$src/A rather long name for a PDF document, as people write them.pdf"
make_file_mb "$src/lists/yard.csv" 3
i=0
while IFS= read -r -d '' f; do
    i=$((i + 1))
    touch -d "@$((1688474096 + i * 86400 * 41 + 2 * i))" "$f"   # exfat-fuse keeps 2 s steps
done < <(find "$src" -type f -print0 | sort -z)

TZ=Asia/Tokyo build_exfat "$T/exfat.img" 32 "$src"
TZ=America/New_York run_scan "$T/exfat.img"
expect_rc 0
expect_json 'j["source"]["volumes"][0]["filesystem"] == "exfat" and j["source"]["volumes"][0]["label"] == "KIOSKEXF"'
expect_tree "$src" created delivered
expect_json 'len(files) == 6'
expect_json 'not any(f["path"].startswith("$") or "Volume Label" in f["path"] for f in files)'
expect_common

# A name with an unpaired high surrogate where the 'X' was: the name entry is changed in
# place and the entry set's checksum and name hash are computed again, as Windows would
# have written them.
odd=$T/odd; mkdir -p "$odd"
make_csv "$odd/surrogateXname.csv"
build_exfat "$T/odd.img" 16 "$odd"
python3 - "$T/odd.img" <<'PY'
import struct, sys
path = sys.argv[1]
img = bytearray(open(path, "rb").read())
needle = "surrogateXname.csv".encode("utf-16-le")
# the name entries (0xC1) hold 15 units each: find the first one's start
first = "surrogateXname."[:15].encode("utf-16-le")
at = img.find(first)
assert at > 0, "name not found"
c1 = at - 2
assert img[c1] == 0xC1 and img[c1 - 32] == 0xC0 and img[c1 - 64] == 0x85, "not a dentry set"
x = at + 2 * "surrogate".__len__()
assert img[x:x + 2] == b"X\x00"
img[x:x + 2] = b"\x00\xd8"           # U+D800, unpaired
set_at = c1 - 64
count = img[set_at + 1] + 1
def rot(h, b): return (((h << 15) | (h >> 1)) & 0xFFFF) + b & 0xFFFF
# name hash over the up-cased name (the surrogate maps to itself)
name_len = img[set_at + 32 + 3]
units = []
for i in range(name_len):
    e = set_at + 64 + 32 * (i // 15) + 2 + 2 * (i % 15)
    units.append(struct.unpack_from("<H", img, e)[0])
h = 0
for u in units:
    u = ord(chr(u).upper()) if u < 0xD800 or u > 0xDFFF else u
    h = rot(h, u & 0xFF); h = rot(h, u >> 8)
struct.pack_into("<H", img, set_at + 32 + 4, h)
cs = 0
for i in range(count * 32):
    if i in (2, 3): continue
    cs = rot(cs, img[set_at + i])
struct.pack_into("<H", img, set_at + 2, cs)
open(path, "wb").write(img)
PY
rm -rf "$STAGING"
run_scan "$T/odd.img"
expect_rc 0
want=$(printf 'surrogate\xed\xa0\x80name.csv' | od -An -tx1 | tr -d ' \n')
expect_json 'len(files) == 1 and files[0].get("path_hex") == "'"$want"'" and files[0]["verdict"] == "clean"'
expect_json 'files[0]["staged_path"] == "surrogate___name.csv"'
expect_common
pass

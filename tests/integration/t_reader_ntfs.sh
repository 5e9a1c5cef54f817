#!/usr/bin/env bash
# t_reader_ntfs.sh - NTFS read by the medium reader, unprivileged (ntfs-3g is no longer
# run as root): every file under its exact name (long, Japanese, names that differ only in
# case in one folder), with its size, SHA-256 and modification and creation times; none
# of NTFS's own files ($MFT, $Bitmap, $Extend/..., $OrphanFiles) is listed; an alternate
# data stream holding EICAR is reported ("hidden data stream") and never delivered, and
# the file it hangs on is delivered without it; a second hard link of a file is read once;
# a name holding an unpaired UTF-16 surrogate keeps its exact bytes (path_hex).
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src/Bay Plans/積付" "$src/case"
make_edi "$src/Bay Plans/積付/BAPLIE voyage 123W.edi"
make_csv "$src/積付計画.csv"
printf 'one\r\n' > "$src/case/Manifest.csv"
printf 'two\r\n' > "$src/case/MANIFEST.csv"          # NTFS (POSIX names) keeps both
make_pdf "$src/A rather long name for a PDF document, as people write them.pdf"
make_file_mb "$src/yard.csv" 2
printf 'carrier\r\n' > "$src/report.txt"
i=0
while IFS= read -r -d '' f; do
    i=$((i + 1))
    touch -d "@$((1688474096 + i * 86400 * 29 + i * 7)).$((i * 1234567))" "$f"
done < <(find "$src" -type f -print0 | sort -z)

build_ntfs "$T/ntfs.img" 32 "$src"
run_scan "$T/ntfs.img"
expect_rc 0
expect_json 'j["source"]["volumes"][0]["filesystem"] == "ntfs"'
expect_tree "$src" created delivered
expect_json 'len(files) == 7'
expect_json 'not any(f["path"].startswith("$") or "Orphan" in f["path"] for f in files)'
expect_common

# A stream with EICAR on report.txt, and a second name of yard.csv (ntfs-3g writes both
# through its mount, as Windows would).
loop=$(losetup -f --show "$T/ntfs.img"); _LOOPS+=("$loop"); blockdev --setrw "$loop"
mnt=$T/ntfs.mnt; mkdir -p "$mnt"; ntfs-3g "$loop" "$mnt"; _MNTS+=("$mnt")
make_eicar "$T/eicar.bin"
python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.hidden", open(sys.argv[2], "rb").read())' \
    "$mnt/report.txt" "$T/eicar.bin"
ln "$mnt/yard.csv" "$mnt/yard copy.csv"
umount "$mnt"; losetup -d "$loop"; _MNTS=(); _LOOPS=()
wait_fuse_written "$T/ntfs.img"
fls -r "$T/ntfs.img" | grep -q 'report.txt:hidden' || fail "the test's stream was not written"
rm -rf "$STAGING"
run_scan "$T/ntfs.img"
expect_rc 0
expect_verdict report.txt clean
expect_verdict "report.txt:hidden" skipped "hidden data stream"
expect_json 'not any(f["verdict"] == "infected" for f in files)'
expect_json 'sum(1 for f in files if f["path"] in ("yard.csv", "yard copy.csv") and f["verdict"] == "clean") == 1'
expect_json 'any(f["path"] in ("yard.csv", "yard copy.csv") and f["verdict"] == "skipped" and "hard link" in f["reason"] for f in files)'
expect_tree "$src" created
expect_common
eicar_sha=$(sha256sum < "$T/eicar.bin" | cut -d' ' -f1)
! grep -rqF "$(cat "$T/eicar.bin")" "$STAGING" || fail "the stream's bytes reached staging"
expect_json 'not any(f["sha256"] == "'"$eicar_sha"'" for f in files)'

# An unpaired surrogate where the 'X' was, in the name's every copy ($FILE_NAME in the MFT
# record and the folder's index entry).
odd=$T/odd; mkdir -p "$odd"; make_csv "$odd/surrogateXname.csv"
build_ntfs "$T/odd.img" 16 "$odd"
python3 - "$T/odd.img" <<'PY'
import sys
path = sys.argv[1]
img = bytearray(open(path, "rb").read())
old, new = "surrogateXname".encode("utf-16-le"), "surrogate".encode("utf-16-le") + b"\x00\xd8" + "name".encode("utf-16-le")
n = 0
at = img.find(old)
while at >= 0:
    img[at:at + len(old)] = new; n += 1
    at = img.find(old, at + 1)
assert n >= 2, n
open(path, "wb").write(img)
PY
rm -rf "$STAGING"
run_scan "$T/odd.img"
expect_rc 0
want=$(printf 'surrogate\xed\xa0\x80name.csv' | od -An -tx1 | tr -d ' \n')
expect_json 'len(files) == 1 and files[0].get("path_hex") == "'"$want"'" and files[0]["verdict"] == "clean"'
expect_common
pass

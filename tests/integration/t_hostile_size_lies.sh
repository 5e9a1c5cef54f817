#!/usr/bin/env bash
# t_hostile_size_lies.sh - filesystems whose size fields lie: a FAT16 whose BPB claims 4x the sectors the image has, an ext4 cut to a quarter of its block count, an MBR whose second partition runs past the end of the image: each run ends quickly with exit 0/1/2, nothing mounted or attached is left, every delivered file is byte-for-byte one of the originals, the audit log verifies.
. "$(dirname "$0")/lib.sh"
# Each image is checked in a subshell: a failure is reported (FAIL: line with the reason)
# and the other images still run; the test fails at the end.
bugs=()
bug() { printf 'FAIL (kiosk bug): %s\n' "$1"; bugs+=("$1"); }

src=$T/src; mkdir -p "$src/sub"
make_csv "$src/list.csv"
make_edi "$src/sub/plan.edi"
make_file_mb "$src/big.csv" 6          # spans much of the volume: part of it past the cut
python3 - "$src" > "$T/orig.sha" <<'PY'
import hashlib, os, sys
for dp, dn, fn in os.walk(sys.argv[1]):
    for n in fn: print(hashlib.sha256(open(os.path.join(dp, n), "rb").read()).hexdigest())
PY

scan_lying() {  # scan_lying IMAGE WHAT
    rm -rf "$STAGING"
    local start took; start=$(date +%s)
    run_scan "$1"
    took=$(( $(date +%s) - start ))
    log "$2: exit $SCAN_RC in $took s; $($CHECK expr "$SCAN_JSON" 'print(sorted(set((f["verdict"], f["reason"]) for f in files)), j.get("error")) or True' 2>&1)"
    [ "$took" -lt 60 ] || fail "$2: the scan took $took s (hang on a lying size field?)"
    expect_common
    $CHECK expr "$SCAN_JSON" 'all(f["sha256"] in set(open("'"$T/orig.sha"'").read().split()) for f in files if f["verdict"] == "clean")' ||
        fail "$2: a delivered file is not byte-for-byte an original file (garbage from past the end delivered as clean)"
}

# 1. FAT16 (32 MiB) whose BPB total-sector count says 128 MiB.
build_fat "$T/fat.img" 32 16 "$src"
python3 - "$T/fat.img" <<'PY'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    bpb = bytearray(f.read(512))
    ts16, ts32 = struct.unpack_from("<H", bpb, 0x13)[0], struct.unpack_from("<I", bpb, 0x20)[0]
    total = ts16 or ts32
    struct.pack_into("<H", bpb, 0x13, 0); struct.pack_into("<I", bpb, 0x20, total * 4)
    f.seek(0); f.write(bpb)
PY
( scan_lying "$T/fat.img" "FAT total sectors x4" ) || bug "FAT total sectors x4: see the FAIL line above"

# 2. FAT16 cut to half: the BPB claims 32 MiB, the image has 16 MiB.
build_fat "$T/fatcut.img" 32 16 "$src"
truncate -s 16M "$T/fatcut.img"
( scan_lying "$T/fatcut.img" "FAT image cut in half" ) || bug "FAT image cut in half: see the FAIL line above"

# 3. ext4 of 32 MiB cut to 8 MiB (block count 4x the image).
build_ext4 "$T/ext4.img" 32 "$src"
truncate -s 8M "$T/ext4.img"
( scan_lying "$T/ext4.img" "ext4 cut to a quarter" ) || bug "ext4 cut to a quarter: see the FAIL line above"

# 4. MBR: partition 2 (ext4) claims to run 40 MiB past the end of the image.
build_parted "$T/mbr.img" dos 64 24
fat_at "$T/mbr.img" "$P1_OFF" "$P1_SIZE" 16 "$src"
ext4_at "$T/mbr.img" "$P2_OFF" "$P2_SIZE" "$src"
truncate -s $(( P2_OFF + 8 * 1024 * 1024 )) "$T/mbr.img"
( scan_lying "$T/mbr.img" "MBR partition past the end"
  expect_json 'any(v["partition"] == 2 and "outside" in (v["problem"] or "") for v in j["source"]["volumes"])'
  expect_json 'not any(str(f["partition"]) == "2" and f["verdict"] == "clean" for f in files)'
) || bug "MBR partition past the end: see the FAIL line above"
[ ${#bugs[@]} = 0 ] || fail "${#bugs[@]} image(s) failed: $(printf '%s | ' "${bugs[@]}")"
pass

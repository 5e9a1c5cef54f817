#!/usr/bin/env bash
# t_reader_hfsplus.sh - HFS+ (a Mac-formatted stick: a GPT partition of type Apple HFS)
# read by the medium reader.  HFS+ stores names decomposed (NFD: ガ as カ + ゙); they are
# listed and delivered composed (NFC), as macOS and Windows show them.  Sizes, SHA-256
# and modification times as written; the HFS+ special files ($ExtentsFile, $CatalogFile,
# ...) are not listed.  The volume is made by xorriso (Debian 12 has no mkfs.hfsplus),
# without mounting anything.
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src/Bay Plans/積付" "$src/lists"
make_edi "$src/Bay Plans/積付/BAPLIE voyage 123W.edi"
make_csv "$src/積付計画.csv"
make_csv "$src/lists/ガントリー予定.csv"          # decomposes under NFD
make_csv "$src/lists/Café crème.csv"
make_pdf "$src/lists/report.pdf"
make_file_mb "$src/yard.csv" 2
i=0
while IFS= read -r -d '' f; do
    i=$((i + 1))
    touch -d "@$((1688474096 + i * 86400 * 23 + i * 9))" "$f"
done < <(find "$src" -type f -print0 | sort -z)

build_hfsplus "$T/hfs.vol" "$src"
# In a GPT partition, as macOS formats a stick.
size=$(stat -c %s "$T/hfs.vol")
truncate -s $(( 1024 * 1024 + size + 2 * 1024 * 1024 )) "$T/mac.img"
printf 'label: gpt\nstart=2048, size=%d, type=48465300-0000-11AA-AA11-00306543ECAC\n' \
    $(( (size + 1024 * 1024) / 512 )) | sfdisk -q "$T/mac.img" >/dev/null
dd if="$T/hfs.vol" of="$T/mac.img" bs=512 seek=2048 conv=notrunc status=none

run_scan "$T/mac.img"
expect_rc 0
expect_json 'j["source"]["partition_table"] == "gpt" and j["source"]["volumes"][0]["filesystem"] == "hfsplus"'
expect_tree "$src" delivered
expect_json 'len(files) == 6'
expect_json '"lists/ガントリー予定.csv" in [f["path"] for f in files]'
expect_json 'not any(f["path"].startswith("$") for f in files)'
expect_common
pass

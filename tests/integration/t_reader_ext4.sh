#!/usr/bin/env bash
# t_reader_ext4.sh - ext2, ext3 and ext4 read by the medium reader: names are bytes, so
# Case.csv, case.csv and CASE.CSV in one folder are three files, each listed under its
# own name and delivered under a distinct one (the staging share's readers are Windows
# machines); sizes, SHA-256 and modification times (to the second) as written; the
# delivered copies keep their times.
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src/Bay Plans/積付" "$src/lists"
make_edi "$src/Bay Plans/積付/BAPLIE voyage 123W.edi"
make_csv "$src/積付計画.csv"
printf 'one\n' > "$src/lists/Case.csv"
printf 'two\n' > "$src/lists/case.csv"
printf 'three\n' > "$src/lists/CASE.CSV"
make_pdf "$src/lists/report.pdf"
make_file_mb "$src/yard.csv" 2
i=0
while IFS= read -r -d '' f; do
    i=$((i + 1))
    touch -d "@$((1688474096 + i * 86400 * 31 + i * 3)).$((i * 7654321))" "$f"
done < <(find "$src" -type f -print0 | sort -z)

for fs in ext2 ext3 ext4; do
    rm -rf "$STAGING" "$T/$fs.img"
    mkfs."$fs" -q -F -L "KIOSK-$fs" -d "$src" "$T/$fs.img" 32M
    run_scan "$T/$fs.img"
    expect_rc 0
    expect_json 'j["source"]["volumes"][0]["filesystem"] == "'"$fs"'"'
    expect_tree "$src" delivered
    expect_json 'len(files) == 7'
    expect_json 'len(set(f["staged_path"].lower() for f in files)) == 7'
    expect_common
    log "$fs: 7 files as written"
done
pass

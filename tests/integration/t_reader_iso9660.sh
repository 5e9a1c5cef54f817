#!/usr/bin/env bash
# t_reader_iso9660.sh - ISO 9660 with Joliet and Rock Ridge (xorriso), read by the medium
# reader: the names as Windows shows them (Joliet: long, mixed case, Japanese), sizes,
# SHA-256 and modification times as written; EICAR held back.  The policy's
# [media] filesystems decides whether such a medium is read at all.
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src/Bay Plans/積付" "$src/lists"
make_edi "$src/Bay Plans/積付/BAPLIE voyage 123W.edi"
make_csv "$src/積付計画.csv"
printf 'mixed\r\n' > "$src/lists/MixedCase.Txt"
make_pdf "$src/lists/report.pdf"
make_file_mb "$src/yard.csv" 2
i=0
while IFS= read -r -d '' f; do
    i=$((i + 1))
    touch -d "@$((1688474096 + i * 86400 * 17 + i * 5))" "$f"
done < <(find "$src" -type f -print0 | sort -z)

build_iso "$T/cd.iso" "$src" KIOSK-ISO
run_scan "$T/cd.iso"
expect_rc 0
expect_json 'j["source"]["volumes"][0]["filesystem"] == "iso9660"'
expect_tree "$src" delivered
expect_json 'len(files) == 5'
expect_common

make_eicar "$src/lists/eicar.txt"
build_iso "$T/eicar.iso" "$src"
rm -rf "$STAGING"
run_scan "$T/eicar.iso"
expect_rc 1
expect_verdict lists/eicar.txt infected Kiosk.Test.EICAR
expect_common

# Not in the policy's filesystems: refused, nothing read.
rm -rf "$STAGING"
policy_with filesystems "vfat;exfat;ntfs"
run_scan "$T/cd.iso"
expect_rc 2
expect_json '"iso9660" in j["error"] and "not allowed by policy" in j["error"]'
expect_nothing_published
pass

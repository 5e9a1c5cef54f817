#!/usr/bin/env bash
# t_fat32.sh - FAT32 superfloppy: clean EDI/CSV/PDF and a nested file delivered; EICAR and EICAR-in-zip held back.
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src/docs/2024/june"
make_edi "$src/BAPLIE_VOY123W.edi"
make_csv "$src/loadlist.csv"
make_pdf "$src/report.pdf" "Stowage report VOY123W"
make_eicar "$src/eicar.txt"
make_eicar_zip "$src/docs/archive.zip"
make_csv "$src/docs/2024/june/discharge.csv"
build_fat "$T/stick.img" 48 32 "$src" KIOSK-FAT32

run_scan "$T/stick.img"
expect_no_label_file "KIOSK-FAT32"
expect_rc 1
expect_verdict BAPLIE_VOY123W.edi clean
expect_verdict loadlist.csv clean
expect_verdict report.pdf clean
expect_verdict docs/2024/june/discharge.csv clean
expect_verdict eicar.txt infected Kiosk.Test.EICAR
expect_verdict docs/archive.zip infected Kiosk.Test.EICAR
expect_json 'j["counts"]["delivered"] == 4 and j["counts"]["infected"] == 2'
expect_json 'all(str(f["partition"]) == "1" for f in files)'
expect_json 'j["status"] == "partial" and j["delivery"] is not None'
expect_common
pass

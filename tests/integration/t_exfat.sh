#!/usr/bin/env bash
# t_exfat.sh - exfat superfloppy (populated through a temporary FUSE mount): clean files delivered, EICAR held back.
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src/Vessel Docs/VOY 123W"
make_edi "$src/Vessel Docs/VOY 123W/BAPLIE.edi"
make_csv "$src/loading list.csv"
make_pdf "$src/manual.pdf"
make_eicar "$src/eicar.txt"
build_exfat "$T/stick.img" 40 "$src"

run_scan "$T/stick.img"
expect_rc 1
expect_verdict "Vessel Docs/VOY 123W/BAPLIE.edi" clean
expect_verdict "loading list.csv" clean
expect_verdict manual.pdf clean
expect_verdict eicar.txt infected Kiosk.Test.EICAR
expect_json 'j["counts"]["delivered"] == 3 and j["counts"]["infected"] == 1'
expect_common
pass

#!/usr/bin/env bash
# t_folder.sh - a folder as SOURCE: same pipeline; symlinks skipped; the folder is left unchanged.
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src/plans/VOY123W"
make_edi "$src/plans/VOY123W/baplie.edi"; make_csv "$src/list.csv"; make_pdf "$src/doc.pdf"
make_eicar "$src/plans/eicar.txt"
ln -s /etc/shadow "$src/shadow"
mkfifo "$src/fifo"

run_scan "$src"
expect_rc 1
expect_verdict plans/VOY123W/baplie.edi clean
expect_verdict list.csv clean
expect_verdict doc.pdf clean
expect_verdict plans/eicar.txt infected Kiosk.Test.EICAR
expect_verdict shadow skipped
expect_verdict fifo skipped
expect_common
pass

#!/usr/bin/env bash
# t_mbr.sh - MBR with two partitions (FAT32 + ext4): both scanned, partition index recorded.
. "$(dirname "$0")/lib.sh"

p1=$T/p1; p2=$T/p2; mkdir -p "$p1/plans" "$p2/lists"
make_edi "$p1/plans/baplie.edi"; make_csv "$p1/readme.csv"
make_csv "$p2/lists/coprar.csv"; make_eicar "$p2/lists/eicar.txt"; make_pdf "$p2/readme.csv.pdf"
build_parted "$T/disk.img" dos 80 40
fat_at "$T/disk.img" "$P1_OFF" "$P1_SIZE" 32 "$p1" KIOSK-P1
ext4_at "$T/disk.img" "$P2_OFF" "$P2_SIZE" "$p2"

run_scan "$T/disk.img"
expect_no_label_file "KIOSK-P1"
expect_rc 1
PARTITION=1 expect_verdict plans/baplie.edi clean
PARTITION=1 expect_verdict readme.csv clean
PARTITION=2 expect_verdict lists/coprar.csv clean
PARTITION=2 expect_verdict lists/eicar.txt infected Kiosk.Test.EICAR
PARTITION=2 expect_verdict readme.csv.pdf clean
expect_json 'set(str(f["partition"]) for f in files if f["verdict"] != "skipped") == {"1", "2"}'
expect_common
pass

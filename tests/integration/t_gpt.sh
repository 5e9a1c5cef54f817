#!/usr/bin/env bash
# t_gpt.sh - GPT with two partitions (FAT32 + ext4), the same file name in both: both delivered, no collision.
. "$(dirname "$0")/lib.sh"

p1=$T/p1; p2=$T/p2; mkdir -p "$p1" "$p2/deep/er"
printf 'partition one\n' > "$p1/readme.txt"; make_csv "$p1/a.csv"
printf 'partition two\n' > "$p2/readme.txt"; make_edi "$p2/deep/er/movins.edi"
build_parted "$T/disk.img" gpt 80 40
fat_at "$T/disk.img" "$P1_OFF" "$P1_SIZE" 32 "$p1" KIOSK-GPT1
ext4_at "$T/disk.img" "$P2_OFF" "$P2_SIZE" "$p2"

run_scan "$T/disk.img"
expect_no_label_file "KIOSK-GPT1"
expect_rc 0
PARTITION=1 expect_verdict readme.txt clean
PARTITION=2 expect_verdict readme.txt clean
PARTITION=1 expect_verdict a.csv clean
PARTITION=2 expect_verdict deep/er/movins.edi clean
expect_json 'len(set(f["staged_path"] for f in files if f["verdict"] == "clean")) == 4'
expect_common
pass

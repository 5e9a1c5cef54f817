#!/usr/bin/env bash
# t_oversize.sh - a file larger than the policy's max-file-size is blocked (not copied); smaller ones delivered.
. "$(dirname "$0")/lib.sh"

policy_with max-file-size 1M
src=$T/src; mkdir -p "$src"
make_file_mb "$src/huge.csv" 3
make_csv "$src/small.csv"
build_ext4 "$T/stick.img" 16 "$src"

run_scan "$T/stick.img"
expect_rc 1
expect_verdict huge.csv blocked
expect_verdict small.csv clean
expect_json '[f["size"] for f in files if f["path"].endswith("huge.csv")] == [3 * 1024 * 1024]'
expect_common
pass

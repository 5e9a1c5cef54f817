#!/usr/bin/env bash
# t_many_files.sh - 3000 small files on a FAT32 stick: all delivered, exit 0, in reasonable time.
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src"
make_many_files "$src" 3000
build_fat "$T/stick.img" 64 32 "$src"
start=$(date +%s)
run_scan "$T/stick.img"
expect_no_label_file "KIOSKTEST"
log "scan of 3000 files took $(( $(date +%s) - start )) s"
expect_rc 0
expect_json 'j["counts"]["delivered"] == 3000 and len(files) == 3000'
expect_verdict batch05/row02999.csv clean
expect_common
pass

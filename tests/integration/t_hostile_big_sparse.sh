#!/usr/bin/env bash
# t_hostile_big_sparse.sh - a sparse file of 3 GiB (and one of exactly 2 GiB + 1 byte) on a 32 MiB ext4 stick: blocked "too large" from its size alone, without reading it (the run stays far below the time 3 GiB would take); the clean file beside it is delivered; exit 1.
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src/deep"
make_csv "$src/list.csv"
truncate -s 3G "$src/huge.csv"
printf 'tail\n' | dd of="$src/huge.csv" bs=1 seek=$((3 * 1024 * 1024 * 1024 - 5)) conv=notrunc status=none
truncate -s $((2 * 1024 * 1024 * 1024 + 1)) "$src/deep/over2g.txt"
start=$(date +%s)
build_ext4 "$T/stick.img" 32 "$src"
log "mkfs.ext4 -d took $(( $(date +%s) - start )) s; image $(du -k "$T/stick.img" | cut -f1) KiB on disk"
rm -rf "$src"

start=$(date +%s)
run_scan "$T/stick.img"
took=$(( $(date +%s) - start ))
log "scan took $took s"
[ "$took" -lt 60 ] || fail "the scan took $took s: the kiosk read the sparse file instead of refusing it by size"
expect_rc 1
expect_verdict list.csv clean
expect_verdict huge.csv blocked "too large"
expect_verdict deep/over2g.txt blocked "too large"
expect_json 'any(norm(f["path"]) == "huge.csv" and f["size"] == 3 * 1024**3 for f in files)'
expect_json 'j["counts"]["delivered"] == 1'
expect_common
pass

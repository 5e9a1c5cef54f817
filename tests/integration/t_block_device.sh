#!/usr/bin/env bash
# t_block_device.sh - SOURCE is a block device (a loop device attached read-write, as a USB
# stick's /dev/sdX would be): the kiosk sets it read-only (BLKROSET) before reading, reaches
# its filesystem through a read-only loop of its own, and leaves the medium unchanged.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/src/plans"
make_edi "$T/src/plans/BAPLIE.edi"
make_csv "$T/src/list.csv"
make_eicar "$T/src/eicar.txt"
build_fat "$T/stick.img" 40 32 "$T/src"
dev=$(losetup -f --show "$T/stick.img") || fail "losetup"
trap 'losetup -d "$dev" 2>/dev/null; _cleanup' EXIT
[ "$(blockdev --getro "$dev")" = 0 ] || fail "$dev is read-only before the scan"
run_scan "$dev"
expect_rc 1
expect_verdict plans/BAPLIE.edi clean
expect_verdict list.csv clean
expect_verdict eicar.txt infected
expect_json 'j["source"]["kind"] == "block-device"'
[ "$(blockdev --getro "$dev")" = 1 ] || fail "the kiosk did not set $dev read-only"
expect_common
pass

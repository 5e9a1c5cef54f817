#!/usr/bin/env bash
# t_ambiguous.sh - a medium that reads as two filesystems (a FAT boot sector over an ext4
# image) is refused: a driver could show one view to the scan and another to Windows.
. "$(dirname "$0")/lib.sh"

truncate -s 32M "$T/amb.img"
mkfs.ext4 -q -F "$T/amb.img"
truncate -s 32M "$T/fat.img"
mkfs.vfat "$T/fat.img" >/dev/null
dd if="$T/fat.img" of="$T/amb.img" bs=512 count=1 conv=notrunc 2>/dev/null
run_scan "$T/amb.img"
expect_rc 2
expect_json 'j["status"] == "failed" and "two ways" in j["error"]'
expect_nothing_published
expect_audit_ok
pass

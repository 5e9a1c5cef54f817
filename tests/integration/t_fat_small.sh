#!/usr/bin/env bash
# t_fat_small.sh - FAT16 and FAT12 superfloppies (small sticks, floppies): all clean, exit 0.
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src/sub"
make_edi "$src/coprar.edi"; make_csv "$src/sub/list.csv"
for bits in 16 12; do
    [ "$bits" = 16 ] && mb=20 || mb=2
    build_fat "$T/fat$bits.img" "$mb" "$bits" "$src" "KIOSK-F$bits"
    rm -rf "$STAGING"
    run_scan "$T/fat$bits.img"
    expect_no_label_file "KIOSK-F$bits"
    expect_rc 0
    expect_verdict coprar.edi clean
    expect_verdict sub/list.csv clean
    expect_json 'j["status"] == "delivered" and j["counts"]["delivered"] == 2'
    expect_common
done
pass

#!/usr/bin/env bash
# t_reader_fat.sh - FAT12, FAT16 and FAT32 read by the medium reader: every file arrives
# under the name Windows shows (lowercase 8.3 names stored the way Windows stores them,
# as a short entry with case flags: notes.txt, not NOTES.TXT; long names; Japanese names;
# names compared case-sensitively), with its size, SHA-256 and modification time, and the
# delivered copy keeps that time.  FAT stores local time: the images are written and
# scanned in Asia/Tokyo (UTC+9), so a kiosk that took the stored time for UTC would be
# nine hours off.  The volume label is not a file; EICAR is held back.
. "$(dirname "$0")/lib.sh"
export TZ=Asia/Tokyo

src=$T/src; mkdir -p "$src/lists" "$src/Bay Plans/2024/june" "$src/deep/er/path"
printf 'a note\r\n' > "$src/notes.txt"                  # 8.3, lowercase: case flags
make_edi "$src/lists/baplie.edi"                         # lowercase folder and file
printf 'mixed\r\n' > "$src/MixedCase.Txt"                # mixed case: a long name
make_csv "$src/積付計画.csv"                              # Japanese
make_csv "$src/A long file name with spaces.csv"
make_csv "$src/LOADLIST.CSV"                          # upper-case 8.3: stays so
printf 'upper\r\n' > "$src/UPPER.TXT"
make_edi "$src/Bay Plans/2024/june/COPRAR voyage 123W.edi"
make_pdf "$src/deep/er/path/stowage.pdf"
# Times FAT can hold exactly (even seconds), all different, some in other seasons.
i=0
while IFS= read -r -d '' f; do
    i=$((i + 1))
    touch -d "@$((1688474096 + i * 86400 * 37 + i * 2))" "$f"
done < <(find "$src" -type f -print0 | sort -z)

for bits in 12 16 32; do
    case $bits in 12) mb=4 ;; 16) mb=24 ;; 32) mb=48 ;; esac
    rm -rf "$STAGING"
    build_fat "$T/fat$bits.img" "$mb" "$bits" "$src" "KIOSK-FAT$bits"
    run_scan "$T/fat$bits.img"
    expect_rc 0
    expect_no_label_file "KIOSK-FAT$bits"
    expect_json 'j["source"]["volumes"][0]["filesystem"] == "vfat" and j["source"]["volumes"][0]["label"] == "KIOSK-FAT'"$bits"'"'
    expect_tree "$src" created delivered
    expect_json 'len(files) == 9 and j["counts"]["delivered"] == 9'
    # what a person sees: the exact names, nothing upper-cased
    expect_json '{"notes.txt", "lists/baplie.edi", "LOADLIST.CSV", "UPPER.TXT"} <= set(f["path"] for f in files)'
    expect_json 'not any(f["path"] in ("NOTES.TXT", "LISTS/BAPLIE.EDI") for f in files)'
    expect_common
    log "FAT$bits: 9 files, names, sizes, hashes and times as written"
done

# The malware still stops there, and a folder's name and times come through as well.
make_eicar "$src/lists/eicar.txt"
rm -rf "$STAGING"
build_fat "$T/eicar.img" 16 16 "$src"
run_scan "$T/eicar.img"
expect_rc 1
expect_verdict lists/eicar.txt infected Kiosk.Test.EICAR
expect_verdict lists/baplie.edi clean
expect_common
pass

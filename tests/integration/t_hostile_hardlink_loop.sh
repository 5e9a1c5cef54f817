#!/usr/bin/env bash
# t_hostile_hardlink_loop.sh - ext4 with directory hard links made by debugfs (b/loop -> a, a/inner/up -> the root; e2fsck is never run): the walk records the loops as skipped and ends; and 300 hard links of one 20 MiB file (6 GiB if counted each time, over max-session-bytes 4G): copied and delivered once, the other names skipped as hard links; no crash, quick.
. "$(dirname "$0")/lib.sh"
# Kiosk bugs this test finds are collected (each with its own message) and reported at the
# end, so that every part runs.
bugs=()
bug() { printf 'FAIL (kiosk bug): %s\n' "$1"; bugs+=("$1"); }

src=$T/src; mkdir -p "$src/a/inner" "$src/b" "$src/links"
make_csv "$src/a/inner/x.csv"
make_csv "$src/top.csv"
make_file_mb "$src/links/cargo000.csv" 20
for ((i = 1; i < 300; i++)); do ln "$src/links/cargo000.csv" "$src/links/$(printf 'cargo%03d.csv' "$i")"; done
build_ext4 "$T/stick.img" 64 "$src"
rm -rf "$src"
[ "$(debugfs -R 'stat /links/cargo299.csv' "$T/stick.img" 2>/dev/null | grep -o 'Links: [0-9]*')" = "Links: 300" ] ||
    fail "mkfs.ext4 -d did not keep the hard links"
# Directory hard links: e2fsprogs' debugfs writes the entries as asked (no checks).
debugfs -w -R "link /a /b/loop" "$T/stick.img" >/dev/null 2>&1
debugfs -w -R "link / /a/inner/up" "$T/stick.img" >/dev/null 2>&1
debugfs -R "ls -l /a/inner" "$T/stick.img" 2>/dev/null | grep -qw up || fail "debugfs could not make the directory link"

start=$(date +%s)
run_scan "$T/stick.img"
took=$(( $(date +%s) - start ))
log "scan took $took s"
[ "$took" -lt 60 ] || fail "the scan took $took s"
[ "$SCAN_RC" = 1 ] || [ "$SCAN_RC" = 0 ] || fail "exit $SCAN_RC on a directory loop (expected 0 or 1: the medium can be read)"
expect_verdict top.csv clean
expect_verdict a/inner/x.csv clean
# the loops are recorded and not followed: no path passes through a loop twice
expect_json 'any("loop" in (f["reason"] or "") and f["verdict"] in ("skipped", "blocked") for f in files)'
log "loop entries: $($CHECK expr "$SCAN_JSON" 'print([(f["path"], f["verdict"], f["reason"]) for f in files if "loop" in (f["reason"] or "") or "deep" in (f["reason"] or "")]) or True' 2>&1)"
expect_json 'not any("/up/" in f["path"] for f in files)'
expect_json 'len(files) < 400'
# hard links: one copy checked and delivered, the others skipped as another name
expect_json 'len([f for f in files if norm(f["path"]).startswith("links/")]) == 300'
$CHECK expr "$SCAN_JSON" 'len([f for f in files if norm(f["path"]).startswith("links/") and f["verdict"] == "clean"]) == 1' ||
    fail "hard links of one file were delivered more than once (amplification): $($CHECK expr "$SCAN_JSON" 'print(sorted(set((f["verdict"], f["reason"]) for f in files if f["path"].startswith("links/")))) or True' 2>&1)"
expect_verdict links/cargo000.csv clean
expect_verdict links/cargo299.csv skipped "hard link"
expect_json 'not any(f["verdict"] in ("error", "infected") for f in files)'
expect_common
# b/loop is a second name of folder a (not an ancestor of b): its contents are the same
# inodes; they must not be checked and delivered a second time.
$CHECK expr "$SCAN_JSON" 'not any(f["verdict"] == "clean" and norm(f["path"]).startswith("b/loop/") for f in files)' ||
    bug "AMPLIFICATION: folder a, reached a second time as b/loop (directory hard link), was walked and delivered twice (media/walk.c walk_dir only knows the ancestor folders)"

# Directory hard links as a DAG: x/ and y/ at each of 20 levels name the same next folder
# (2^20 paths on a 16 MiB stick).  a) a file at the bottom: reached by 2^20 names, it
# must be delivered once, not until max-files; b) no file at all: the walk must visit each
# folder once (the 20 second names skipped as folders seen before), not run into the session
# time limit (default 30 minutes; 120 s here).  The evidence is what the walk reports, not
# how long it took (a loaded machine is slow, and speed is make bench's business).
dag_image() {  # dag_image IMAGE WITH_LEAF
    local d=$T/dag p i; rm -rf "$d"; mkdir -p "$d"; p=$d
    for ((i = 1; i <= 20; i++)); do p=$p/x; mkdir "$p"; done
    [ "$2" = 1 ] && make_csv "$p/leaf.csv"
    build_ext4 "$1" 16 "$d"; rm -rf "$d"
    p=""; : > "$T/dag.cmds"
    for ((i = 1; i <= 20; i++)); do echo "link $p/x $p/y" >> "$T/dag.cmds"; p=$p/x; done
    debugfs -w -f "$T/dag.cmds" "$1" >/dev/null 2>&1
    debugfs -R "ls /x/x/x" "$1" 2>/dev/null | grep -qw y || fail "debugfs could not link the DAG"
}
rm -rf "$STAGING"
policy_with max-session-time 120
dag_image "$T/dag-leaf.img" 1
start=$(date +%s)
run_scan "$T/dag-leaf.img"
log "DAG with a leaf: exit $SCAN_RC in $(( $(date +%s) - start )) s; $($CHECK expr "$SCAN_JSON" 'print(j["counts"]) or True' 2>&1)"
expect_common
$CHECK expr "$SCAN_JSON" 'j["counts"]["skipped"] == 20' ||
    bug "the walk of the DAG with a leaf did not skip exactly the 20 folders reached again: $($CHECK expr "$SCAN_JSON" 'print(j["counts"]) or True' 2>&1)"
$CHECK expr "$SCAN_JSON" 'len([f for f in files if f["verdict"] == "clean"]) == 1' ||
    bug "AMPLIFICATION: one 115-byte file reached through 2^20 directory-hard-link paths was delivered $($CHECK expr "$SCAN_JSON" 'print(j["counts"]["delivered"]) or True' 2>&1) times (media/walk.c walk_dir walks a folder once per name)"

rm -rf "$STAGING"
dag_image "$T/dag.img" 0
start=$(date +%s)
# In a subshell: run_scan's own contract checks may fail here too (they are reported, the
# time check below still runs).
( run_scan "$T/dag.img"; expect_common ) ||
    bug "the run on the file-less DAG broke the JSON/staging contract (see the check: line above; a walk-stop error entry is counted in no counts.files)"
took=$(( $(date +%s) - start ))
log "DAG without files: $took s; $($CHECK expr "$SCAN_JSON" 'print(j["counts"]) or True' 2>&1)"
$CHECK expr "$SCAN_JSON" 'not any("time limit" in (f["reason"] or "") for f in files) and j["counts"]["skipped"] == 20 and j["counts"]["files"] == 0' ||
    bug "HANG: 20 folders linked twice each (2^20 paths, no files) kept the walk busy until the session time limit ($took s; default limit 30 minutes): media/walk.c walk_dir walks a folder once per name and counts no folders against any limit"
[ ${#bugs[@]} = 0 ] || fail "${#bugs[@]} kiosk bug(s): $(printf '%s | ' "${bugs[@]}")"
pass

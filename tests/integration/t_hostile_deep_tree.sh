#!/usr/bin/env bash
# t_hostile_deep_tree.sh - a 500-level deep tree (a file at every level) on ext4: with the default max-depth (32) and with the highest allowed (256) the part beyond the limit is recorded blocked "folder too deep" and not delivered, the rest is delivered, no crash; and a tree whose paths are longer than PATH_MAX (30 levels of 200-byte names): no crash, nothing half-published.
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src"
make_deep_tree "$src" 500
make_csv "$src/top.csv"
build_ext4 "$T/stick.img" 32 "$src"
rm -rf "$src"

deep_check() {  # deep_check MAX_DEPTH
    local max=$1 p="" i
    run_scan "$T/stick.img"
    expect_rc 1
    expect_verdict top.csv clean
    # within the limit: delivered (level i lives at depth i)
    expect_json 'all(any(norm(f["path"]) == "/".join("d%d" % k for k in range(1, i + 1)) + "/level%d.txt" % i and f["verdict"] == "clean" for f in files) for i in range(1, '"$max"'))'
    # beyond it: not delivered, not even listed as clean
    expect_json 'not any(f["verdict"] == "clean" and norm(f["path"]).count("/") > '"$max"' for f in files)'
    expect_json 'not any(norm(f["staged_path"] or "").count("/") > '"$max"' for f in files)'
    # the cut is recorded: exactly one folder blocked as too deep, at depth max+1
    expect_json 'len([f for f in files if f["verdict"] == "blocked" and "too deep" in f["reason"]]) == 1'
    expect_json 'any(f["verdict"] == "blocked" and "too deep" in f["reason"] and norm(f["path"]) == "/".join("d%d" % k for k in range(1, '"$max"' + 2)) for f in files)'
    expect_json 'not any(f["verdict"] in ("error", "infected") for f in files)'
    expect_common
}
deep_check 32
rm -rf "$STAGING"
policy_with max-depth 256
deep_check 256

# Paths longer than PATH_MAX (4096): 30 levels of 200-byte folder names.
rm -rf "$STAGING"; SCAN_POLICY=
src=$T/long; mkdir -p "$src"
python3 - "$src" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
for i in range(1, 31):
    name = ("L%02d" % i) + "x" * 197
    os.mkdir(name, dir_fd=fd)
    nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd); os.close(fd); fd = nfd
    f = os.open("level%d.txt" % i, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(f, b"level %d\n" % i); os.close(f)
PY
build_ext4 "$T/long.img" 16 "$src"
rm -rf "$src"
run_scan "$T/long.img"
[ "$SCAN_RC" != 2 ] || fail "exit 2 on long paths"
expect_json 'len([f for f in files if "level" in f["path"]]) == 30'
expect_json 'all(f["verdict"] in ("clean", "error", "blocked") for f in files)'
expect_json 'any(f["verdict"] == "clean" and norm(f["path"]).endswith("/level1.txt") for f in files)'
log "long paths: $($CHECK expr "$SCAN_JSON" 'print(sorted(set((f["verdict"], f["reason"]) for f in files))) or True' 2>&1)"
expect_common
pass

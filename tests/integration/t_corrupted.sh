#!/usr/bin/env bash
# t_corrupted.sh - corrupted filesystems: exit 2 or per-file errors; nothing unsafe or invented is published.
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src/sub"
make_eicar "$src/eicar.txt"
for i in 1 2 3 4 5 6; do make_file_mb "$src/sub/list$i.csv" 1; done
make_edi "$src/baplie.edi"
eicar_sha=$(make_eicar "$T/e" && sha256sum < "$T/e" | cut -d' ' -f1)
declare -A orig
while IFS= read -r -d '' f; do orig[${f#$src/}]=$(sha256sum < "$f" | cut -d' ' -f1); done < <(find "$src" -type f -print0)

check_safe() {
    # staging consistent; no EICAR; every delivered file is byte-identical to the original
    [ "$SCAN_RC" = 2 ] && { expect_nothing_published; return; }
    expect_staging_exact
    python3 - "$SCAN_JSON" "$eicar_sha" "$(for k in "${!orig[@]}"; do printf '%s=%s\n' "$k" "${orig[$k]}"; done)" <<'PY' || fail "unsafe delivery from a corrupted filesystem"
import json, sys
j = json.load(open(sys.argv[1])); eicar = sys.argv[2]
orig = dict(l.split("=", 1) for l in sys.argv[3].splitlines() if l)
rc = 0
for f in j["files"]:
    if f["verdict"] != "clean": continue
    if f["sha256"] == eicar: print("EICAR delivered:", f["path"]); rc = 1
    p = f["path"].lstrip("/")
    if p in orig and orig[p] != f["sha256"]: print("delivered content differs from original:", p); rc = 1
sys.exit(rc)
PY
}

# 1. ext4 cut in half (a stick pulled out while copying, a bad dump)
build_ext4 "$T/full.img" 16 "$src"
head -c 8M "$T/full.img" > "$T/half.img"
run_scan "$T/half.img"
log "truncated ext4: exit $SCAN_RC"
check_safe

# 2. ext4 with garbage over its inode tables and group descriptors
cp "$T/full.img" "$T/garbage.img"
python3 - "$T/garbage.img" <<'PY'
import os, random, sys
random.seed(7)
with open(sys.argv[1], "r+b") as f:
    for off in (2048, 4096, 8192) + tuple(range(64 * 1024, 2 * 1024 * 1024, 16 * 1024)):
        f.seek(off); f.write(random.randbytes(2048))
PY
rm -rf "$STAGING"
run_scan "$T/garbage.img"
log "garbage ext4: exit $SCAN_RC"
check_safe

# 3. FAT32 with both FATs overwritten by random bytes (cluster chains point anywhere)
rm -rf "$src/sub"; make_csv "$src/clean.csv"
build_fat "$T/fat.img" 40 32 "$src"
python3 - "$T/fat.img" <<'PY'
import random, struct, sys
random.seed(11)
with open(sys.argv[1], "r+b") as f:
    bs = f.read(512)
    bps, = struct.unpack_from("<H", bs, 11); rsv, = struct.unpack_from("<H", bs, 14)
    nfats = bs[16]; fatsz, = struct.unpack_from("<I", bs, 36)
    f.seek(rsv * bps + 8)            # keep the two reserved entries
    f.write(random.randbytes(nfats * fatsz * bps - 8))
PY
rm -rf "$STAGING"
run_scan "$T/fat.img"
log "FAT with garbage FATs: exit $SCAN_RC"
check_safe
[ ! -f "$AUDIT" ] || expect_audit_ok
pass

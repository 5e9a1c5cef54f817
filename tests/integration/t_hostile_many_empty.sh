#!/usr/bin/env bash
# t_hostile_many_empty.sh - 100 000 empty files on an ext4 stick with the default policy (max-files 10000): the session file limit stops the walk; the first 10000 (in walk order) are delivered, the next one is recorded blocked "more than 10000 files", the rest is not listed; exit 1.
. "$(dirname "$0")/lib.sh"

N=100000
src=$T/src; mkdir -p "$src"
start=$(date +%s)
python3 - "$src" "$N" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "d%03d" % (i // 1000))
    if i % 1000 == 0: os.mkdir(d)
    open(os.path.join(d, "e%06d.txt" % i), "wb").close()
PY
mkfs.ext4 -q -F -L KIOSKTEST -N $((N + 2000)) -d "$src" "$T/stick.img" 128M
rm -rf "$src"
log "100 000 files + mkfs.ext4 -d took $(( $(date +%s) - start )) s"

start=$(date +%s)
run_scan "$T/stick.img"
took=$(( $(date +%s) - start ))
log "scan took $took s"
# (How fast is make bench's business: a wall-clock bound here fails on a loaded machine.)
expect_rc 1
limit=$(sed -n 's/^[[:space:]]*max-files[[:space:]]*=[[:space:]]*//p' "$POLICY")
[ "$limit" = 10000 ] || fail "data/policy.conf max-files is $limit, this test expects 10000"
expect_json 'j["counts"]["delivered"] == 10000'
expect_json 'len([f for f in files if f["verdict"] == "blocked" and "more than 10000 files" in f["reason"]]) == 1'
expect_json 'len(files) <= 10001 + 200'   # the rest of the medium is not listed one by one
expect_json 'not any(f["verdict"] in ("infected", "error") for f in files)'
expect_verdict d000/e000000.txt clean
expect_verdict d009/e009999.txt clean
expect_verdict d010/e010000.txt blocked "more than 10000 files"
expect_common
pass

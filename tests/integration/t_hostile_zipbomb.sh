#!/usr/bin/env bash
# t_hostile_zipbomb.sh - a zip bomb (1 GiB of zeros, ~1 MiB on disk), a zip with many large members, and zips nested past scan-max-recursion: none is delivered (limits reached = "could not be scanned completely" or blocked, never clean); the clean file beside them is delivered; exit 1; quick.
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src"
make_csv "$src/list.csv"
python3 - "$src" <<'PY'
import io, os, sys, zipfile
root = sys.argv[1]
# 1. one member of 1 GiB of zeros (zip64), deflated
zero = bytes(1 << 20)
with zipfile.ZipFile(os.path.join(root, "bomb.zip"), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    with z.open("zeros.csv", "w", force_zip64=True) as m:
        for _ in range(1024):
            m.write(zero)
# 2. a wide bomb: 16 members of 64 MiB each (1 GiB in total, each below scan-max-filesize)
with zipfile.ZipFile(os.path.join(root, "wide.zip"), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for i in range(16):
        with z.open("part%02d.csv" % i, "w") as m:
            for _ in range(64):
                m.write(zero)
# 3. a clean CSV nested 24 levels deep (scan-max-recursion is 17)
data = b"container,status\r\nMSCU1234565,F\r\n"
name = "inner.csv"
for level in range(24):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    data, name = buf.getvalue(), "level%02d.zip" % level
open(os.path.join(root, "nested.zip"), "wb").write(data)
PY
ls -l "$src" >&2
build_ext4 "$T/stick.img" 16 "$src"

start=$(date +%s)
run_scan "$T/stick.img"
took=$(( $(date +%s) - start ))
log "scan took $took s"
[ "$took" -lt 90 ] || fail "the scan took $took s: the bombs were not cut short by the limits"
expect_rc 1
expect_verdict list.csv clean
held() { $CHECK expr "$SCAN_JSON" 'any(norm(f["path"]) == "'"$1"'" and f["verdict"] in ("blocked", "error", "infected") and f["reason"] and f["staged_path"] is None for f in files)'; }
held wide.zip || fail "wide.zip (16 x 64 MiB of zeros) was not held back"
held nested.zip || fail "nested.zip (24 levels, scan-max-recursion 17) was not held back"
# Known bug (see the hostile-suite report): libclamav's unzip trims a member larger than
# CL_ENGINE_MAX_FILESIZE to that size and scans only the start, WITHOUT raising
# Heuristics.Limits.Exceeded even with CL_SCAN_HEURISTIC_EXCEEDS_MAX; cl_scandesc says
# CL_CLEAN and the kiosk delivers an archive it did not scan completely (invariant 1).
held bomb.zip || fail "INVARIANT 1: bomb.zip (one 1 GiB member, scan-max-filesize 100M) was DELIVERED: libclamav trimmed the member to scan-max-filesize without an exceeds-max alert, and scanner/scanner.c takes that CL_CLEAN as clean"
expect_json 'j["counts"]["delivered"] == 1'
expect_common
pass

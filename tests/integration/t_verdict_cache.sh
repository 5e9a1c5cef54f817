#!/usr/bin/env bash
# timeout: 900
# t_verdict_cache.sh - identical bytes are scanned once (issue 20):
#   - 20 copies of one file in a folder: one engine scan (the workers' scans, --json
#     "scans.engine"), 20 files with the same verdict; the policy still decides per name;
#   - a second run of the same folder: every verdict from the verdict cache, no engine scan;
#   - a new signature database, then a changed scan limit in the policy: everything is
#     scanned again (a cache entry never serves another database or policy);
#   - EICAR (and its copies) is never served from the cache;
#   - a cache file with a flipped byte is discarded with a log line, and everything is
#     scanned again;
#   - copies whose scan is an ERROR: the next copy scans again, a second ERROR is shared;
#   - [scan] cache=off: nothing is kept or served; copies in a session still scan once.
. "$(dirname "$0")/lib.sh"

src=$T/src; mkdir -p "$src/copies" "$src/other"
make_file_mb "$src/copies/manual-01.txt" 1
for i in $(seq -w 2 20); do cp "$src/copies/manual-01.txt" "$src/copies/manual-$i.txt"; done
make_csv "$src/other/list.csv"
cp "$src/other/list.csv" "$src/other/list.exe"   # same bytes, a name the policy refuses
make_pdf "$src/other/doc.pdf"
make_eicar "$src/other/eicar.txt"
make_eicar "$src/other/eicar-copy.txt"
# Distinct contents: manual, list.csv (= list.exe), doc.pdf, eicar (= its copy).
DISTINCT=4

# Each run publishes into a staging folder of its own (expect_staging_exact wants one session).
run=0
scan_again() { run=$((run + 1)); STAGING=$T/staging-$run; run_scan "$@"; }
scans() { python3 -c "import json,sys; s=json.load(open('$SCAN_JSON'))['scans']; print(s['engine'], s['cache_hits'], s['duplicates'])"; }
expect_scans() {  # expect_scans ENGINE CACHE_HITS DUPLICATES
    local got; got=$(scans)
    [ "$got" = "$*" ] || fail "scans (engine cache_hits duplicates) = $got, expected $*"
}
expect_all_verdicts() {
    for i in $(seq -w 1 20); do expect_verdict "copies/manual-$i.txt" clean; done
    expect_verdict other/list.csv clean
    expect_verdict other/list.exe blocked
    expect_verdict other/doc.pdf clean
    expect_verdict other/eicar.txt infected Kiosk.Test.EICAR
    expect_verdict other/eicar-copy.txt infected Kiosk.Test.EICAR
}

log "first run: one engine scan per distinct content"
scan_again "$src"
expect_rc 1
expect_all_verdicts
expect_scans "$DISTINCT" 0 $((19 + 1 + 1))
expect_json 'j["scans"]["cache"] is True'
expect_json 'len([f for f in files if f["verdict_from"] == "scan"]) == 4'
expect_json 'len([f for f in files if f["verdict_from"] == "duplicate" and f["path"].startswith("copies/")]) == 19'
expect_json 'len(set(f["sha256"] for f in files if f["path"].startswith("copies/"))) == 1'
expect_json 'all(f["verdict_database"] == j["scanner"]["database"] for f in files)'
expect_common
[ -f "$WORKDIR/verdict-cache" ] || fail "no verdict cache file in the work dir"
[ "$(stat -c %a "$WORKDIR/verdict-cache")" = 600 ] || fail "the verdict cache is not mode 0600"
grep -q '"engine_scans":4' "$AUDIT" || fail "the session-end audit record does not count the engine scans"

log "second run: clean contents come from the cache; EICAR is scanned again"
scan_again "$src"
expect_rc 1
expect_all_verdicts
# EICAR and its copy: one engine scan; manual x20, list x2, doc: cache.
expect_scans 1 3 $((19 + 1 + 1))
expect_json 'all(f["verdict_from"] == "cache" for f in files if f["verdict"] in ("clean", "blocked"))'
expect_json 'all(f["verdict_from"] in ("scan", "duplicate") for f in files if f["verdict"] == "infected")'
expect_json 'all(f["type"] for f in files)'   # the type is still detected
expect_common
grep -q '"verdict_from":"cache"' "$AUDIT" || fail "the audit log does not say which verdicts came from the cache"
outbox_manifest=$(python3 -c "import json; print(json.load(open('$SCAN_JSON'))['manifest'])")
grep -q '"verdict_from"' "$outbox_manifest" || fail "MANIFEST.json does not say where verdicts came from"

log "third run: a new signature database: everything is scanned again"
mkdir -p "$T/sigs2"; cp "$SIGS"/* "$T/sigs2/"
printf 'Kiosk.Test.Unused:0:*:6b696f736b2d6e657665722d6d617463686573\n' > "$T/sigs2/kiosk-extra.ndb"
SCAN_SIGS=$T/sigs2 scan_again "$src"
expect_rc 1
expect_all_verdicts
expect_scans "$DISTINCT" 0 $((19 + 1 + 1))
log "fourth run, the same new database: from the cache again"
SCAN_SIGS=$T/sigs2 scan_again "$src"
expect_scans 1 3 $((19 + 1 + 1))

log "fifth run: a changed scan limit in the policy: everything is scanned again"
policy_with scan-max-recursion 16
SCAN_SIGS=$T/sigs2 scan_again "$src"
expect_rc 1
expect_all_verdicts
expect_scans "$DISTINCT" 0 $((19 + 1 + 1))

log "a flipped byte in the cache file: discarded with a log line, everything scanned"
SCAN_SIGS=$T/sigs2 scan_again "$src"
expect_scans 1 3 $((19 + 1 + 1))
python3 - "$WORKDIR/verdict-cache" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x04
open(p, "wb").write(b)
EOF
SCAN_SIGS=$T/sigs2 scan_again "$src"
expect_rc 1
expect_all_verdicts
expect_scans "$DISTINCT" 0 $((19 + 1 + 1))
grep -q "verdict cache .*verdict-cache discarded: checksum mismatch" "$SCAN_ERR" ||
    fail "no log line says the damaged cache was discarded"

log "copies that cannot be scanned completely: the error is retried once, then shared"
mkdir -p "$T/src-err"
python3 - "$T/src-err/a.zip" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for i in range(6):
        z.writestr("list-%d.txt" % i, "container list %d\n" % i)
EOF
cp "$T/src-err/a.zip" "$T/src-err/b.zip"; cp "$T/src-err/a.zip" "$T/src-err/c.zip"
policy_with scan-max-files 2
SCAN_SIGS=$T/sigs2 scan_again "$T/src-err"
expect_rc 1
for z in a b c; do expect_verdict "$z.zip" error "could not be scanned completely"; done
expect_scans 2 0 1

log "[scan] cache=off: nothing kept or served; copies still scanned once"
policy_with scan-max-files 10000
cat > "$T/kiosk.conf" <<EOF
[scan]
cache=off
EOF
SCAN_SIGS=$T/sigs2 scan_again "$src" --config "$T/kiosk.conf"
expect_rc 1
expect_all_verdicts
expect_scans "$DISTINCT" 0 $((19 + 1 + 1))
expect_json 'j["scans"]["cache"] is False'
expect_audit_ok
pass

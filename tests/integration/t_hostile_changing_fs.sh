#!/usr/bin/env bash
# t_hostile_changing_fs.sh - a medium whose files answer differently on every open (a small FUSE filesystem, tests/fuse/changing-fs.c, as a folder SOURCE): the kiosk opens each file exactly once, and the delivered bytes are the bytes hashed and scanned (the first-open content); the EICAR a second open would have served never gets through.
. "$(dirname "$0")/lib.sh"

CFS=$BUILD/tests/changing-fs
[ -x "$CFS" ] || fail "$CFS not built (make $CFS, or make check)"

# FIRST: clean CSV padded to EICAR's length (the size never changes); LATER: EICAR.
make_eicar "$T/later.bin"
len=$(stat -c %s "$T/later.bin")
python3 - "$T/first.csv" "$len" <<'PY'
import sys
n = int(sys.argv[2]); head = b"container,status\r\nMSCU1234565,F\r\n"
body = head + b"X" * (n - len(head) - 2) + b"\r\n"
assert len(body) == n
open(sys.argv[1], "wb").write(body)
PY
first_sha=$(sha256sum < "$T/first.csv" | cut -d' ' -f1)
later_sha=$(sha256sum < "$T/later.bin" | cut -d' ' -f1)

mnt=$T/medium; opens=$T/opens.log; mkdir -p "$mnt"; : > "$opens"
"$CFS" "$mnt" "$opens" "$T/first.csv" "$T/later.bin" "$KIOSK" 2>"$T/cfs.err" &
cfs_pid=$!
stop_cfs() {
    [ -n "${cfs_pid:-}" ] || return 0
    kill -TERM "$cfs_pid" 2>/dev/null || true
    local i; for ((i = 0; i < 50; i++)); do kill -0 "$cfs_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$cfs_pid" 2>/dev/null || true
    umount -l "$mnt" 2>/dev/null || true
    cfs_pid=
}
trap '_rc=$?; stop_cfs; (exit $_rc); _cleanup' EXIT
for ((i = 0; i < 50; i++)); do grep -qs " $mnt fuse" /proc/self/mounts && break; sleep 0.1; done
grep -qs " $mnt fuse" /proc/self/mounts || { cat "$T/cfs.err"; fail "changing-fs did not mount"; }

# Readers other than the kiosk always get FIRST, uncounted (the control scan below shows
# that the kiosk's later opens do get EICAR).
[ "$(sha256sum < "$mnt/a.csv" | cut -d' ' -f1)" = "$first_sha" ] || fail "changing-fs serves wrong bytes to other readers"

# run_scan's checks, except two that do not fit a medium that changes by design: the
# source digest (its own reads would count as opens) and "no mount under $T" (the test's
# own FUSE mount is there; any other mount still fails).
run_scan_fuse() {
    mkdir -p "$STAGING" "$RUNDIR"
    set +e
    timeout 120 "$KIOSK" scan --policy "$POLICY" --staging "$STAGING" --work-dir "$WORKDIR" --signing-key "$SIGNKEY" --signatures "$SIGS" \
        --audit-log "$AUDIT" --run-dir "$RUNDIR" --json "$mnt" > "$SCAN_JSON" 2> "$SCAN_ERR"
    SCAN_RC=$?
    set -e
    log "kiosk scan $mnt -> exit $SCAN_RC"
    [ "$SCAN_RC" -le 2 ] || fail "kiosk scan crashed or timed out (exit $SCAN_RC)"
    # nothing but the test's own FUSE mount under $T
    local left; left=$(_mounts_under "$T" | grep -vx "$mnt" || true)
    [ -z "$left" ] || fail "mounts left under the test dir: $left"
    $CHECK json "$SCAN_JSON" || fail "stdout is not exactly one valid JSON object of the contract"
}
run_scan_fuse
log "opens: $(tr '\n' ';' < "$opens")"

# 1. each file opened exactly once by the kiosk
for f in a.csv b.csv sub/c.csv; do
    n=$(grep -c "^open $f count=[0-9]* target=1 " "$opens" || true)
    [ "$n" = 1 ] || fail "INVARIANT 2: $f was opened $n times by the kiosk on the medium (expected exactly 1); log: $(grep "^open $f " "$opens" | tr '\n' ';')"
done
grep -q "target=1" "$opens" || fail "no open by the kiosk was seen at all (target matching broken?)"

# 2. all three delivered; the manifest hash and the staged bytes are the first-open bytes
expect_rc 0
for f in a.csv b.csv sub/c.csv; do expect_verdict "$f" clean; done
expect_json 'all(f["sha256"] == "'"$first_sha"'" for f in files)'
expect_json 'not any(f["sha256"] == "'"$later_sha"'" for f in files)'
expect_json 'not any(f["verdict"] == "infected" for f in files)'
expect_common
# every staged file's bytes are exactly FIRST and nothing in staging is EICAR
n=0
while IFS= read -r -d '' sf; do
    n=$((n + 1))
    [ "$(sha256sum < "$sf" | cut -d' ' -f1)" = "$first_sha" ] || fail "staged $sf differs from the scanned (first-open) bytes"
done < <(find "$STAGING" -type f ! -name MANIFEST.json ! -name SHA256SUMS ! -name '*.minisig' ! -name '*.sig' -print0)
[ "$n" = 3 ] || fail "expected 3 delivered files in staging, found $n: $(find "$STAGING" -type f)"
if grep -rlF -f <(head -c 40 "$T/later.bin") "$STAGING" >/dev/null 2>&1; then fail "EICAR bytes found in staging"; fi
# the manifest describes the same hashes
python3 - "$STAGING" "$first_sha" <<'PY' || fail "MANIFEST.json hashes are not the first-open bytes"
import glob, json, sys
ms = glob.glob(sys.argv[1] + "/*/MANIFEST.json")
assert len(ms) == 1, ms
m = json.load(open(ms[0]))
hashes = []
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "sha256" and isinstance(v, str) and len(v) == 64: hashes.append(v)
            else: walk(v)
    elif isinstance(o, list):
        for v in o: walk(v)
walk(m.get("files", m))
print("manifest file hashes:", len(hashes))
assert len(hashes) >= 3 and all(h == sys.argv[2] for h in hashes), hashes
PY
expect_audit_ok

# 3. control: a second scan (new opens by the kiosk) now meets EICAR, and blocks it.
# This proves the filesystem does change, so the first result is not luck.
rm -rf "$STAGING"; mkdir -p "$STAGING"
run_scan_fuse
expect_rc 1
for f in a.csv b.csv sub/c.csv; do expect_verdict "$f" infected; done
expect_json 'j["counts"]["delivered"] == 0'
expect_common
expect_audit_ok
stop_cfs
pass

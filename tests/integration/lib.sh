# lib.sh - helpers for the kiosk integration tests.  Source it from a t_*.sh script:
#
#     . "$(dirname "$0")/lib.sh"
#
# Each test gets a private temp dir $T (under /tmp, removed on exit), builds its disk
# images there WITHOUT mounting them when the tools allow it (mtools, mkfs.ext4 -d,
# sfdisk), runs the real build/kiosk with a private staging folder, run dir, audit log,
# the repo's TEST signature database and data/policy.conf, and asserts what an operator
# would check: verdicts, the staging folder's exact contents and hashes, the source's
# SHA-256, leftover loop devices and mounts, the audit chain, the exit code.
#
# Environment: KIOSK_BUILD (build folder, default ROOT/build), KIOSK (the binary),
# KIOSK_KEEP=1 keeps $T for a post-mortem.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${KIOSK_BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
KIOSK=${KIOSK:-$BUILD/kiosk}
SIGS=$ROOT/tests/data/signatures
POLICY=$ROOT/data/policy.conf
CHECK="python3 $ROOT/tests/integration/check.py"
TEST_NAME=$(basename "$0" .sh)
TESTFILES=/usr/share/clamav-testfiles
export MTOOLS_SKIP_CHECK=1 LC_ALL=C.UTF-8

T=$(mktemp -d /tmp/kiosk-it.XXXXXX)
STAGING=$T/staging
WORKDIR=$T/work
SIGNKEY=$T/keys/signing.key   # made by the kiosk at its first run (signed by default)
RUNDIR=$T/run
AUDIT=$T/audit.jsonl
SCAN_JSON=$T/scan.json
SCAN_ERR=$T/scan.err
SCAN_RC=
_LOOPS=()   # loop devices this test attached itself (image building)
_MNTS=()    # mounts this test made itself (image building)

_cleanup() {
    local rc=$? m l
    for m in "${_MNTS[@]:-}"; do [ -n "$m" ] && umount "$m" 2>/dev/null || true; done
    for l in "${_LOOPS[@]:-}"; do [ -n "$l" ] && losetup -d "$l" 2>/dev/null || true; done
    # Anything the kiosk left mounted under our run dir (a failure already reported):
    # unmount it so the temp dir can go.
    if [ -d "$T" ]; then
        awk -v t="$T" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r |
            while read -r m; do umount -l "$m" 2>/dev/null || true; done
        if [ "${KIOSK_KEEP:-0}" = 1 ]; then
            echo "kept $T" >&2
        else
            rm -rf "$T"
        fi
    fi
    exit $rc
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

# ---- reporting -----------------------------------------------------------------------
log() { printf '# %s\n' "$*" >&2; }
fail() {
    printf 'FAIL: %s: %s\n' "$TEST_NAME" "$*"
    if [ -s "$SCAN_ERR" ]; then echo "--- kiosk stderr (last 30 lines):"; tail -n 30 "$SCAN_ERR"; fi
    if [ -s "$SCAN_JSON" ]; then echo "--- kiosk json (first 4000 bytes):"; head -c 4000 "$SCAN_JSON"; echo; fi
    exit 1
}
pass() { printf 'PASS: %s\n' "$TEST_NAME"; exit 0; }

require_root() { [ "$(id -u)" = 0 ] || fail "integration tests need root (loop devices, FUSE mounts)"; }
require_kiosk() { [ -x "$KIOSK" ] || fail "$KIOSK not built (run make)"; }
require_root
require_kiosk

# ---- sample files --------------------------------------------------------------------
# The EICAR test string is never stored in the repo: base64 of it, reversed.
_EICAR_R='=oCSrgEJhUETJZULUNVRU1yUVJVSWlEVOFULEJVQE5UQUNVLSF0QJVEJ9dTKDN0Np4FUoQTNYpFUcRzWQFEQlAVIPVDW'
make_eicar() { printf '%s' "$_EICAR_R" | rev | base64 -d > "$1"; }
# A zip holding EICAR (as eicar.com) at $1.
make_eicar_zip() {
    local d; d=$(mktemp -d "$T/ez.XXXXXX")
    make_eicar "$d/eicar.com"
    (cd "$d" && zip -q -X inner.zip eicar.com) && mv "$d/inner.zip" "$1"; rm -rf "$d"
}
# A password-protected zip of a harmless text at $1.
make_encrypted_zip() {
    local d; d=$(mktemp -d "$T/zz.XXXXXX")
    printf 'secret loading list\n' > "$d/list.txt"
    (cd "$d" && zip -q -X -P kiosk-test-password inner.zip list.txt) && mv "$d/inner.zip" "$1"; rm -rf "$d"
}
# FILE of N MiB of pseudo-random-but-reproducible text-free bytes (allowed? no: use text).
make_file_mb() { python3 - "$1" "$2" <<'EOF'
import sys
line = b"CONTAINER;MSCU1234565;22G1;LOADED;POL=JPNGO;POD=SGSIN;WEIGHT=24000\r\n"
n = int(sys.argv[2]) * 1024 * 1024
with open(sys.argv[1], "wb") as f:
    while n > 0:
        f.write(line[:n]); n -= len(line)
EOF
}
# Realistic clean samples: EDI (BAPLIE), CSV, a minimal valid PDF.
make_edi() { cat > "$1" <<'EOF'
UNB+UNOA:2+MSCU:ZZZ+JPNGOTS:ZZZ+240611:0930+000123'
UNH+1+BAPLIE:D:95B:UN:SMDG22'
BGM++VOY123W+9'
DTM+137:2406110930:301'
TDT+20+123W+++MSCU:172:20+++9321483:146:11:MSC AURORA'
LOC+5+JPNGO:139:6'
LOC+61+SGSIN:139:6'
LOC+147+0020182::5'
MEA+WT++KGM:24000'
LOC+9+JPNGO'
LOC+11+SGSIN'
RFF+BM:1'
EQD+CN+MSCU1234565+22G1+++5'
NAD+CA+MSC:172:20'
UNT+14+1'
UNZ+1+000123'
EOF
}
make_csv() { printf 'container,iso,status,pol,pod,weight_kg\r\nMSCU1234565,22G1,F,JPNGO,SGSIN,24000\r\nTGHU7654321,45G1,E,JPNGO,SGSIN,3900\r\n' > "$1"; }
make_pdf() { python3 - "$1" "${2:-Kiosk test document}" <<'EOF'
import sys
text = sys.argv[2].replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
offs = []
for i, o in enumerate(objs, 1):
    offs.append(len(out)); out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
xref = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for o in offs: out += b"%010d 00000 n \n" % o
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
open(sys.argv[1], "wb").write(out)
EOF
}
# N small text files spread over folders of 500 under DIR.
make_many_files() { python3 - "$1" "$2" <<'EOF'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "batch%02d" % (i // 500)); os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "row%05d.csv" % i), "w") as f: f.write("id,value\r\n%d,%d\r\n" % (i, i * 7))
EOF
}
# A chain of DEPTH nested folders d1/d2/... under DIR, a text file at every level.
make_deep_tree() { local dir=$1 depth=$2 i p=$1
    for ((i = 1; i <= depth; i++)); do p=$p/d$i; mkdir -p "$p"; printf 'level %d\n' "$i" > "$p/level$i.txt"; done; }

# ---- images (no mounting) ------------------------------------------------------------
# Copy the contents of SRC (a folder) into the FAT filesystem IMAGE[@@OFFSET] with mtools,
# keeping each file's modification time (-m; FAT stores it as local time: the TZ of the
# environment) and writing lowercase 8.3 names as Windows does (a short entry with case
# flags, no long name).
_mtools_fill() {
    local spec=$1 src=$2 e
    shopt -s dotglob nullglob
    for e in "$src"/*; do mcopy -s -m -Q -i "$spec" "$e" ::/ || { shopt -u dotglob nullglob; return 1; }; done
    shopt -u dotglob nullglob
}
# build_fat IMAGE SIZE_MB FATBITS(12|16|32) SRC [LABEL]: FAT superfloppy.
build_fat() {
    local img=$1 mb=$2 bits=$3 src=$4 label=${5:-KIOSKTEST} extra=()
    [ "$bits" = 32 ] && extra=(-s 1)
    rm -f "$img"; truncate -s "${mb}M" "$img"
    mkfs.vfat -F "$bits" "${extra[@]}" -n "$label" "$img" >/dev/null
    _mtools_fill "$img" "$src"
}
# build_ext4 IMAGE SIZE_MB SRC: ext4 superfloppy populated by mkfs.ext4 -d (copies
# symlinks, FIFOs, device nodes and any name bytes as they are).
build_ext4() { rm -f "$1"; mkfs.ext4 -q -F -L KIOSKTEST -d "$3" "$1" "${2}M"; }
# build_parted IMAGE LABEL(dos|gpt) SIZE_MB P1_MB: partition table with two partitions,
# P1 (FAT32, 1 MiB aligned) of P1_MB and P2 (Linux) filling the rest.  Sets P1_OFF,
# P1_SIZE, P2_OFF, P2_SIZE (bytes).
build_parted() {
    local img=$1 label=$2 mb=$3 p1=$4 t1 t2
    if [ "$label" = gpt ]; then t1=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7; t2=0FC63DAF-8483-4773-A4E4-3D69C47D8477
    else t1=c; t2=83; fi
    rm -f "$img"; truncate -s "${mb}M" "$img"
    printf 'label: %s\nstart=2048, size=%sM, type=%s\ntype=%s\n' "$label" "$p1" "$t1" "$t2" | sfdisk -q "$img" >/dev/null
    eval "$(sfdisk -J "$img" | python3 -c '
import json, sys
ps = json.load(sys.stdin)["partitiontable"]["partitions"]
for i, p in enumerate(ps, 1):
    print("P%d_OFF=%d P%d_SIZE=%d" % (i, p["start"] * 512, i, p["size"] * 512))')"
}
# fat_at IMAGE OFF SIZE FATBITS SRC [LABEL]: FAT filesystem inside a partition.
fat_at() {
    local img=$1 off=$2 size=$3 bits=$4 src=$5 label=${6:-KIOSKP1} extra=()
    [ "$bits" = 32 ] && extra=(-s 1)
    mkfs.vfat -F "$bits" "${extra[@]}" -n "$label" --offset=$((off / 512)) "$img" $((size / 1024)) >/dev/null 2>&1
    _mtools_fill "$img@@$off" "$src"
}
# ext4_at IMAGE OFF SIZE SRC: ext4 inside a partition.
ext4_at() { mkfs.ext4 -q -F -L KIOSKP2 -E offset="$2" -d "$4" "$1" $(($3 / 1024))k; }

# Populate through a temporary read-write FUSE mount of a loop device (exFAT, NTFS have
# no populate-without-mount tool).  Detached again before returning.
_fuse_fill() {
    local img=$1 src=$2 kind=$3 loop mnt=$T/fill.mnt
    mkdir -p "$mnt"
    loop=$(losetup -f --show "$img"); _LOOPS+=("$loop")
    # A free loop device may still carry the read-only flag (BLKROSET) of its last user.
    blockdev --setrw "$loop"
    if [ "$kind" = exfat ]; then mount.exfat-fuse "$loop" "$mnt" >/dev/null 2>&1
    else ntfs-3g "$loop" "$mnt"; fi
    _MNTS+=("$mnt")
    cp -r --preserve=timestamps "$src"/. "$mnt"/
    sync
    umount "$mnt"; losetup -d "$loop"
    _MNTS=("${_MNTS[@]/$mnt}"); _LOOPS=("${_LOOPS[@]/$loop}")
    wait_fuse_written "$img"
}
# wait_fuse_written IMAGE: after umount and losetup -d of a FUSE (exfat-fuse, ntfs-3g)
# mount of IMAGE.  Their umount returns before the daemon has written and closed the
# device; the detached loop goes away only when it has, so that is the evidence waited
# for (bounded generously, for a loaded machine, so a hung daemon fails with a message).
wait_fuse_written() {
    local i
    for ((i = 0; i < 1200; i++)); do losetup -j "$1" | grep -q . || return 0; sleep 0.1; done
    fail "loop device for $1 still attached 120 s after its FUSE mount was unmounted"
}
# build_iso IMAGE SRC [LABEL]: ISO 9660 with Joliet and Rock Ridge names (xorriso).
build_iso() {
    rm -f "$1"
    xorriso -report_about SORRY -outdev "$1" -volid "${3:-KIOSKISO}" -joliet on -rockridge on \
        -map "$2" / -commit >/dev/null 2>&1 || fail "xorriso could not build $1"
}
# build_hfsplus IMAGE SRC: a bare HFS+ volume of SRC, made without mkfs.hfsplus (Debian 12
# has none) or a mount: xorriso writes an ISO 9660 image with an HFS+ tree beside it in an
# Apple partition; that partition is the volume.
build_hfsplus() {
    local iso=$T/hfs-src.iso start
    rm -f "$1" "$iso"
    xorriso -report_about SORRY -outdev "$iso" -volid KIOSKHFS -hfsplus on -map "$2" / -commit \
        >/dev/null 2>&1 || fail "xorriso could not build the HFS+ tree"
    start=$(partx -g -o START,NAME "$iso" | awk '$2 == "HFSPLUS_Hybrid" {print $1}')
    [ -n "$start" ] || fail "no HFS+ partition in the xorriso image"
    dd if="$iso" of="$1" bs=512 skip="$start" status=none
    rm -f "$iso"
}
build_exfat() { rm -f "$1"; truncate -s "${2}M" "$1"; mkfs.exfat -L KIOSKEXF "$1" >/dev/null; _fuse_fill "$1" "$3" exfat; }
build_ntfs() { rm -f "$1"; truncate -s "${2}M" "$1"; mkntfs -q -F -f -L KIOSKNTFS "$1" >/dev/null 2>&1; _fuse_fill "$1" "$3" ntfs; }

# ---- running the kiosk ---------------------------------------------------------------
_src_digest() {  # SHA-256 of an image, or of a folder's names+contents+modes
    if [ -d "$1" ]; then (cd "$1" && find . -printf '%p %y %m %s\n' | sort && find . -type f -print0 | sort -z | xargs -0r sha256sum) | sha256sum
    else sha256sum < "$1"; fi
}
_mounts_under() { awk -v t="$1" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo; }

# run_scan SOURCE [extra kiosk args...]: runs kiosk scan --json with the private dirs.
# Sets SCAN_RC; JSON in $SCAN_JSON, stderr in $SCAN_ERR.  Checks afterwards (failing the
# test): the source is unchanged, no loop device on the source or mount under $T is
# left, stdout is exactly one JSON object.  Extra args may repeat --policy (a later one
# overrides; use SCAN_POLICY=FILE instead to be safe).
run_scan() {
    local src=$1; shift
    local before after loops_before
    mkdir -p "$STAGING" "$RUNDIR"
    before=$(_src_digest "$src")
    loops_before=$(losetup -a | sort)
    local mounts_before; mounts_before=$(sort /proc/self/mountinfo | awk '{print $5}')
    set +e
    timeout 240 "$KIOSK" scan --policy "${SCAN_POLICY:-$POLICY}" --staging "$STAGING" \
        --work-dir "$WORKDIR" --signing-key "$SIGNKEY" \
        --signatures "${SCAN_SIGS:-$SIGS}" --audit-log "$AUDIT" --run-dir "$RUNDIR" --json \
        "$@" "$src" > "$SCAN_JSON" 2> "$SCAN_ERR"
    SCAN_RC=$?
    set -e
    log "kiosk scan $src -> exit $SCAN_RC"
    # 3: checked, committed to the outbox, not published (a test of the hand-off says so)
    [ "$SCAN_RC" -le 3 ] || fail "kiosk scan crashed or timed out (exit $SCAN_RC)"
    after=$(_src_digest "$src")
    [ "$before" = "$after" ] || fail "the source $src was MODIFIED by the scan (SHA-256 changed)"
    if [ -f "$src" ] && losetup -j "$src" | grep -q .; then fail "loop device left attached on the source: $(losetup -j "$src")"; fi
    [ -z "$(_mounts_under "$T")" ] || fail "mounts left under the test dir: $(_mounts_under "$T" | tr '\n' ' ')"
    # Whole-system diff: only informative, other work may run on this machine.
    after=$(losetup -a | sort)
    [ "$loops_before" = "$after" ] || log "note: losetup -a changed during the scan (other users?)"
    $CHECK json "$SCAN_JSON" || fail "stdout is not exactly one valid JSON object of the contract"
}
# The exit code must be $1.
expect_rc() { [ "$SCAN_RC" = "$1" ] || fail "exit code $SCAN_RC, expected $1"; }

# ---- assertions ----------------------------------------------------------------------
# expect_verdict PATH VERDICT [REASON-SUBSTRING]: the file at PATH (relative to the
# filesystem root; PARTITION=n selects a partition) has VERDICT.
expect_verdict() { $CHECK verdict "$SCAN_JSON" "$1" "$2" "${3:-}" "${PARTITION:-}" || fail "verdict of $1"; }
# expect_reason PATH CODE PARAMS-JSON: the file's reason_code and reason_params (exactly),
# in the JSON and in its MANIFEST.json (docs/protocol.md "Reason codes").
expect_reason() { $CHECK reason "$SCAN_JSON" "$1" "$2" "$3" || fail "reason code of $1"; }
# expect_json PYTHON-EXPR: a Python expression over j (the parsed JSON) is true.
expect_json() { $CHECK expr "$SCAN_JSON" "$1" || fail "JSON check failed: $1"; }
# expect_staging_exact: the staging folder holds exactly the delivered files (hashes as
# in the JSON and MANIFEST.json), the manifest, SHA256SUMS and their signatures, nothing
# else; .incoming empty; SHA256SUMS checks out with sha256sum -c.
expect_staging_exact() { $CHECK staging "$SCAN_JSON" "$STAGING" "$SCAN_RC" || fail "staging contents"; }
# expect_nothing_published: no session folder, no file anywhere in staging.
expect_nothing_published() { $CHECK nothing "$STAGING" || fail "something was published"; }
# expect_tree SRC [partition=N] [created] [delivered]: every regular file the test wrote
# below SRC is in the JSON under its exact name, with its size, SHA-256 and mtime, and its
# delivered copy has the same bytes and mtime (check.py tree).
expect_tree() { $CHECK tree "$SCAN_JSON" "$@" || fail "files as written below $1"; }
expect_audit_ok() { "$KIOSK" audit verify "$AUDIT" >"$T/audit-verify.out" 2>&1 || { cat "$T/audit-verify.out"; fail "audit log does not verify"; }; }
# FAT volume labels are directory entries; a driver may list them as files.  The label
# LABEL must not appear as a file.
expect_no_label_file() {
    $CHECK expr "$SCAN_JSON" 'not any(norm(f["path"]).replace(".", "").upper() == "'"$1"'".replace(".", "").upper() for f in files)' ||
        fail "the volume label $1 is listed as a file (FAT label entry read as a file?)"
}
# Standard checks after a scan that published something.
expect_common() { expect_staging_exact; expect_audit_ok; }
# A policy copy with KEY set to VALUE (in whatever group holds KEY) at $T/policy.conf.
policy_with() {
    local key=$1 val=$2 p=${SCAN_POLICY:-$T/policy.conf}
    [ -f "$p" ] || cp "$POLICY" "$p"
    grep -Eq "^[[:space:]]*$key[[:space:]]*=" "$p" || fail "policy has no key $key"
    sed -i -E "s|^([[:space:]]*$key[[:space:]]*=).*|\\1$val|" "$p"
    SCAN_POLICY=$p
}

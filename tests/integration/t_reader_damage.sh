#!/usr/bin/env bash
# t_reader_damage.sh - damaged filesystems cost bounded work and only what is damaged:
#  - FAT32 with a file whose cluster chain loops back on itself: that file is an error
#    (libtsk would hand out zeros for it), the others are delivered byte for byte;
#  - two files cross-linked (sharing their clusters): the second is another name of the
#    first (read once);
#  - a folder whose cluster is its parent's (a directory cycle) and one whose cluster is
#    the root's: "folder loop (not followed)", nothing listed twice, the rest delivered;
#  - ext4 with a file whose extent points past the end of the volume and one whose extent
#    tree header is garbage: those two are errors, the others delivered;
#  - the reader itself failing (test hooks, kiosk scan --testing): crashing on a file,
#    hanging on it (a short timeout), sending a name with '/' in a listing, trying a
#    forbidden system call, trying to open a file: what it was doing is an error or the
#    medium could not be read (exit 2), never clean; after a crash or a hang a fresh
#    reader reads the rest.
. "$(dirname "$0")/lib.sh"

orig_sums() { (cd "$1" && find . -type f -exec sha256sum {} + | sed 's| \./| |'); }
# expect_exact SRC PATH...: each PATH (relative to SRC) delivered with its written bytes.
expect_exact() {
    local src=$1 p; shift
    for p in "$@"; do
        expect_verdict "$p" clean
        expect_json 'any(f["path"] == "'"$p"'" and f["sha256"] == "'"$(sha256sum < "$src/$p" | cut -d' ' -f1)"'" for f in files)'
    done
}
timed_scan() {  # timed_scan IMAGE [args]: run_scan, and it must end well within a minute
    local start took; start=$(date +%s)
    rm -rf "$STAGING"
    run_scan "$@"
    took=$(( $(date +%s) - start ))
    [ "$took" -lt 60 ] || fail "the scan of $1 took ${took}s"
}

# ---- FAT32: a looping chain, cross-linked files, directory cycles --------------------
src=$T/fat; mkdir -p "$src/dir1/dir2" "$src/dir3"
make_csv "$src/ok1.csv"; make_edi "$src/ok2.edi"
python3 -c 'import sys; open(sys.argv[1], "w").write("".join("row %05d,loop\r\n" % i for i in range(2000)))' "$src/loop.csv"
python3 -c 'import sys; open(sys.argv[1], "w").write("".join("a %05d\r\n" % i for i in range(600)))' "$src/crossa.csv"
python3 -c 'import sys; open(sys.argv[1], "w").write("".join("b %05d\r\n" % i for i in range(600)))' "$src/crossb.csv"
make_csv "$src/dir1/inner.csv"; make_csv "$src/dir1/dir2/deep.csv"; make_csv "$src/dir3/three.csv"
build_fat "$T/fat.img" 48 32 "$src" DAMAGED
python3 - "$T/fat.img" <<'PY'
import struct, sys
path = sys.argv[1]
img = bytearray(open(path, "rb").read())
bps, spc = struct.unpack_from("<H", img, 11)[0], img[13]
rsv, nfat = struct.unpack_from("<H", img, 14)[0], img[16]
fatsz, root = struct.unpack_from("<I", img, 36)[0], struct.unpack_from("<I", img, 44)[0]
fat0 = rsv * bps
data = (rsv + nfat * fatsz) * bps
csize = spc * bps
def get(c): return struct.unpack_from("<I", img, fat0 + 4 * c)[0] & 0x0FFFFFFF
def put(c, v):
    for k in range(nfat):
        struct.pack_into("<I", img, fat0 + k * fatsz * bps + 4 * c, v)
def chain(c):
    out = []
    while 2 <= c < 0x0FFFFFF8 and len(out) < 100000:
        out.append(c); c = get(c)
    return out
def entries(c):   # (offset of the 32-byte entry, 11-byte short name) in folder cluster chain c
    for cl in chain(c):
        base = data + (cl - 2) * csize
        for o in range(base, base + csize, 32):
            if img[o] == 0: return
            if img[o] != 0xE5 and img[o + 11] != 0x0F:
                yield o, bytes(img[o:o + 11])
def find(c, name):
    for o, n in entries(c):
        if n == name: return o
    raise SystemExit("no %r" % name)
def first(o): return (struct.unpack_from("<H", img, o + 20)[0] << 16) | struct.unpack_from("<H", img, o + 26)[0]
def setfirst(o, c):
    struct.pack_into("<H", img, o + 20, c >> 16); struct.pack_into("<H", img, o + 26, c & 0xFFFF)
# loop.csv: its third cluster points back to its first
lc = chain(first(find(root, b"LOOP    CSV")))
assert len(lc) > 4, lc
put(lc[2], lc[0])
# crossb.csv starts in crossa.csv's clusters (the same length)
setfirst(find(root, b"CROSSB  CSV"), first(find(root, b"CROSSA  CSV")))
# dir1/dir2 has dir1's cluster; dir3 has the root's
d1 = first(find(root, b"DIR1       "))
setfirst(find(d1, b"DIR2       "), d1)
setfirst(find(root, b"DIR3       "), root)
open(path, "wb").write(img)
PY
timed_scan "$T/fat.img"
log "FAT: $($CHECK expr "$SCAN_JSON" 'print(sorted((f["path"], f["verdict"], f["reason"]) for f in files)) or True' 2>&1 | cut -c1-1500)"
expect_rc 1
expect_exact "$src" ok1.csv ok2.edi crossa.csv dir1/inner.csv
expect_verdict loop.csv error "broken or looping cluster chain"
expect_verdict crossb.csv skipped "another name"    # it starts at crossa.csv's cluster
expect_verdict dir1/dir2 skipped "folder loop"              # its cluster is dir1's
expect_verdict dir3 skipped "folder loop"
expect_json 'not any(f["path"].count("dir1/") > 1 for f in files)'
expect_common

# ---- ext4: an extent past the end of the volume, a garbage extent header -------------
src=$T/ext; mkdir -p "$src/sub"
make_csv "$src/ok.csv"; make_edi "$src/sub/ok.edi"
make_file_mb "$src/far.csv" 1; make_file_mb "$src/garbage.csv" 1
mkfs.ext4 -q -F -L DAMAGED -d "$src" "$T/ext4.img" 16M
python3 - "$T/ext4.img" <<'PY'
import re, struct, subprocess, sys
path = sys.argv[1]
img = bytearray(open(path, "rb").read())
bs = 1024 << struct.unpack_from("<I", img, 1024 + 24)[0]
def ioff(name):
    out = subprocess.run(["debugfs", "-R", "imap /" + name, path], capture_output=True, text=True).stdout
    m = re.search(r"located at block (\d+), offset (0x[0-9a-f]+)", out)
    return int(m.group(1)) * bs + int(m.group(2), 16)
far, garbage = ioff("far.csv"), ioff("garbage.csv")
assert struct.unpack_from("<H", img, far + 40)[0] == 0xF30A, "no extent header"
# the first extent's start block: far past the volume's end
struct.pack_into("<H", img, far + 40 + 12 + 6, 0x7fff)
struct.pack_into("<I", img, far + 40 + 12 + 8, 0x7fffffff)
# garbage.csv: the extent header's magic and depth are garbage
struct.pack_into("<HHHH", img, garbage + 40, 0x1234, 0xffff, 0xffff, 0x7fff)
open(path, "wb").write(img)
PY
timed_scan "$T/ext4.img"
log "ext4: $($CHECK expr "$SCAN_JSON" 'print(sorted((f["path"], f["verdict"], f["reason"]) for f in files)) or True' 2>&1 | cut -c1-800)"
expect_rc 1
expect_exact "$src" ok.csv sub/ok.edi
expect_verdict far.csv error
expect_verdict garbage.csv error
expect_common

# ---- the reader failing ----------------------------------------------------------------
src=$T/ok; mkdir -p "$src/sub"
make_csv "$src/a.csv"; make_edi "$src/b.edi"; make_csv "$src/sub/c.csv"
build_fat "$T/ok.img" 16 16 "$src"
KIOSK_READER_TEST_HOOK=crash timed_scan "$T/ok.img" --testing
expect_rc 1
expect_json 'j.get("testing_mode") is True'
expect_json 'len([f for f in files if f["verdict"] == "error" and "crashed (killed by SIGSEGV)" in f["reason"]]) == 1'
expect_json 'len([f for f in files if f["verdict"] == "clean"]) == 2'
expect_common

KIOSK_READER_TEST_HOOK=hang KIOSK_READER_TIMEOUT_MS=1500 timed_scan "$T/ok.img" --testing
expect_rc 1
expect_json 'len([f for f in files if f["verdict"] == "error" and "hung" in f["reason"]]) == 1'
expect_json 'len([f for f in files if f["verdict"] == "clean"]) == 2'
expect_common

KIOSK_READER_TEST_HOOK=nonsense timed_scan "$T/ok.img" --testing
expect_json 'not any(f["verdict"] == "clean" and "/" in f["path"] and f["path"].startswith("a/") for f in files)'
expect_json 'any(f["verdict"] == "error" and "nonsense" in f["reason"] for f in files)'
[ "$SCAN_RC" = 1 ] || [ "$SCAN_RC" = 2 ] || fail "exit $SCAN_RC"
[ "$SCAN_RC" = 1 ] && expect_common

KIOSK_READER_TEST_HOOK=oversize timed_scan "$T/ok.img" --testing
expect_json 'any(f["verdict"] == "error" and "nonsense" in f["reason"] for f in files)'
expect_json 'all(f["verdict"] != "clean" or f["sha256"] == {"a.csv": "'"$(sha256sum < "$src/a.csv" | cut -d' ' -f1)"'", "b.edi": "'"$(sha256sum < "$src/b.edi" | cut -d' ' -f1)"'", "sub/c.csv": "'"$(sha256sum < "$src/sub/c.csv" | cut -d' ' -f1)"'"}[f["path"]] for f in files)'
expect_common

KIOSK_READER_TEST_HOOK=socket timed_scan "$T/ok.img" --testing
expect_rc 2
expect_json '"SIGSYS" in j["error"]'
expect_nothing_published

KIOSK_READER_TEST_HOOK=open timed_scan "$T/ok.img" --testing
expect_rc 2
expect_json '"open /etc/passwd: Permission denied" in j["error"]'
expect_nothing_published

# Without --testing the hooks do nothing.
KIOSK_READER_TEST_HOOK=crash timed_scan "$T/ok.img"
expect_rc 0
expect_common
pass

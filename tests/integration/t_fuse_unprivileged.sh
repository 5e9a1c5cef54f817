#!/usr/bin/env bash
# t_fuse_unprivileged.sh - the filesystem drivers that can (fusefat, exfat-fuse, fuse2fs)
# parse the medium as the unprivileged user kiosk-fuse (docs/privsep.md, "Filesystem
# drivers"): while a scan runs, /proc shows each one with kiosk-fuse's uids and gids, no
# groups, no capabilities, no_new_privs, mount and network namespaces of its own and a
# private root holding only its device node (read-only loop, mode 0400), /usr, the library
# links, /etc with the loader cache and its own user, and /bin/fusermount; the scan still
# delivers the right files and leaves no mount, loop or driver behind.  ntfs-3g is the
# documented exception (root).  [media] driver-user=root brings root drivers back; a
# driver-user that does not exist refuses to mount and says to run make deps; a driver
# killed in the middle of a scan makes the unread files errors, at once, not a hang.
. "$(dirname "$0")/lib.sh"
umask 077   # as data/kiosk.service runs the service (UMask=0077)
id kiosk-fuse >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin kiosk-fuse
fuid=$(id -u kiosk-fuse) fgid=$(id -g kiosk-fuse)
my_mnt_ns=$(readlink /proc/self/ns/mnt) my_net_ns=$(readlink /proc/self/ns/net)
DRIVERS='^(fusefat|mount\.exfat-fuse|fuse2fs|ntfs-3g) '

# ---- watching the drivers of this test's scans ---------------------------------------
# Record a driver process: /proc status, namespaces, what its root holds, its device
# node, its mounts, its command line.  Only drivers whose parent is a kiosk of this test
# (its command line names $T): other work may run on this machine.
snap_driver() {
    local pid=$1 d=$T/drv-$1 ppid
    [ -e "$d.status" ] && return 0
    ppid=$(awk '$1 == "PPid:" {print $2}' "/proc/$pid/status" 2>/dev/null) || return 0
    [ -n "$ppid" ] && tr '\0' ' ' < "/proc/$ppid/cmdline" 2>/dev/null | grep -qF "$T" || return 0
    tr '\0' ' ' < "/proc/$pid/cmdline" > "$d.cmdline" 2>/dev/null || return 0
    readlink "/proc/$pid/ns/mnt" "/proc/$pid/ns/net" > "$d.ns" 2>/dev/null || return 0
    ls -A "/proc/$pid/root/" > "$d.root" 2>/dev/null || return 0
    stat -Lc '%F %a %u' "/proc/$pid/root/dev/medium" > "$d.dev" 2>/dev/null || echo none > "$d.dev"
    cat "/proc/$pid/mountinfo" > "$d.mountinfo" 2>/dev/null || return 0
    grep -E '^(PPid|Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapAmb|NoNewPrivs):' \
        "/proc/$pid/status" > "$d.tmp" 2>/dev/null || return 0
    mv "$d.tmp" "$d.status"
    echo "$pid" >> "$T/driver-pids"
}
# watch_drivers [kill]: until $T/scan-done exists, record our drivers; with "kill",
# SIGKILL the first one once the kiosk has started spooling files (reading has begun).
watch_drivers() {
    local mode=${1:-} pid killed=0
    for _ in $(seq 1 6000); do
        for pid in $(pgrep -f "$DRIVERS"); do
            snap_driver "$pid"
            if [ "$mode" = kill ] && [ "$killed" = 0 ] && [ -e "$T/drv-$pid.status" ] &&
                compgen -G "$STAGING/.incoming/*.spool/*" >/dev/null; then
                kill -KILL "$pid" 2>/dev/null && { killed=1; echo "$pid" > "$T/killed"; }
            fi
        done
        [ -f "$T/scan-done" ] && break
        sleep 0.01
    done
}
# scan_watched SOURCE [kill] [kiosk args...]: run_scan with the watcher around it.
scan_watched() {
    local src=$1 mode=${2:-}; shift; [ $# -gt 0 ] && shift
    rm -f "$T"/drv-* "$T/driver-pids" "$T/killed" "$T/scan-done"
    rm -rf "$STAGING"; mkdir -p "$STAGING"
    watch_drivers "$mode" & local watcher=$!
    run_scan "$src" "$@"
    touch "$T/scan-done"; wait "$watcher" || true
    # No driver of this scan outlives it (PR_SET_PDEATHSIG, and the service reaps them).
    local pid
    for pid in $(cat "$T/driver-pids" 2>/dev/null); do
        ! kill -0 "$pid" 2>/dev/null || fail "driver $pid ($(cat "$T/drv-$pid.cmdline")) still runs after the scan"
    done
}
# expect_confined NAME: a driver NAME of the last scan was seen, and every one was confined.
expect_confined() {
    local n=0 c d extra
    for c in "$T"/drv-*.cmdline; do
        [ -e "$c" ] && grep -q "^$1 " "$c" || continue
        d=${c%.cmdline}; n=$((n + 1))
        local what="$1 ($(cat "$c"))"
        [ -e "$d.status" ] || fail "$what: no /proc status recorded"
        grep -qx "Uid:	$fuid	$fuid	$fuid	$fuid" "$d.status" || fail "$what does not run as kiosk-fuse: $(cat "$d.status")"
        grep -qx "Gid:	$fgid	$fgid	$fgid	$fgid" "$d.status" || fail "$what does not run with kiosk-fuse's group: $(cat "$d.status")"
        grep -qxE 'Groups:[[:space:]]*' "$d.status" || fail "$what keeps supplementary groups: $(cat "$d.status")"
        for cap in CapInh CapPrm CapEff CapAmb; do
            grep -qx "$cap:	0000000000000000" "$d.status" || fail "$what has capabilities: $(cat "$d.status")"
        done
        grep -qx "NoNewPrivs:	1" "$d.status" || fail "$what without no_new_privs: $(cat "$d.status")"
        [ "$(sed -n 1p "$d.ns")" != "$my_mnt_ns" ] || fail "$what shares the service's mount namespace"
        [ "$(sed -n 2p "$d.ns")" != "$my_net_ns" ] || fail "$what shares the service's network namespace"
        extra=$(grep -vxE 'bin|dev|etc|lib|lib32|lib64|libx32|mnt|sbin|usr' "$d.root" | tr '\n' ' ' || true)
        [ -z "$extra" ] || fail "$what sees more than its private root: $extra"
        [ "$(cat "$d.dev")" = "block special file 400 $fuid" ] || fail "$what: its device node is $(cat "$d.dev")"
        ! grep -qF "$T" "$d.mountinfo" || fail "$what sees the test's folders: $(grep -F "$T" "$d.mountinfo")"
        awk '$5 == "/bin/fusermount" && $4 ~ /\/kiosk-fusermount$/ {ok = 1} END {exit !ok}' "$d.mountinfo" ||
            fail "$what: kiosk-fusermount is not its /bin/fusermount: $(cat "$d.mountinfo")"
    done
    [ "$n" -ge 1 ] || fail "no $1 process of this test's scan was seen"
    log "$1: $n driver process(es) seen, all as kiosk-fuse, confined"
}
# expect_root_driver NAME: a driver NAME of the last scan was seen, running as root.
expect_root_driver() {
    local n=0 c
    for c in "$T"/drv-*.cmdline; do
        [ -e "$c" ] && grep -q "^$1 " "$c" || continue
        n=$((n + 1))
        grep -qx "Uid:	0	0	0	0" "${c%.cmdline}.status" || fail "$1 expected as root: $(cat "${c%.cmdline}.status")"
    done
    [ "$n" -ge 1 ] || fail "no $1 process of this test's scan was seen"
}

src=$T/src; mkdir -p "$src/Bay Plans"
make_edi "$src/Bay Plans/BAPLIE.edi"
make_csv "$src/loading list.csv"
make_pdf "$src/manual.pdf"
make_eicar "$src/eicar.txt"
for i in 1 2 3; do make_file_mb "$src/yard$i.csv" 16; done   # a scan long enough to watch
expect_scan() {  # the files of $src, right
    expect_rc 1
    expect_verdict "Bay Plans/BAPLIE.edi" clean
    expect_verdict "loading list.csv" clean
    expect_verdict manual.pdf clean
    expect_verdict eicar.txt infected Kiosk.Test.EICAR
    expect_json 'j["counts"]["delivered"] == 6 and j["counts"]["infected"] == 1'
    expect_common
}

# ---- 1. FAT32, exFAT, ext4: the driver is kiosk-fuse -----------------------------------
build_fat "$T/fat.img" 96 32 "$src"
scan_watched "$T/fat.img"
expect_scan
expect_confined fusefat

build_exfat "$T/exfat.img" 96 "$src"
scan_watched "$T/exfat.img"
expect_scan
expect_confined mount.exfat-fuse

build_ext4 "$T/ext4.img" 96 "$src"
scan_watched "$T/ext4.img"
expect_rc 1
expect_verdict "Bay Plans/BAPLIE.edi" clean
expect_verdict eicar.txt infected Kiosk.Test.EICAR
expect_json 'j["counts"]["delivered"] == 6'
expect_common
expect_confined fuse2fs

# ---- 2. NTFS: ntfs-3g stays root (its built-in FUSE mounts by itself) -------------------
small=$T/small; mkdir -p "$small"; make_csv "$small/list.csv"; make_pdf "$small/manual.pdf"
build_ntfs "$T/ntfs.img" 16 "$small"
scan_watched "$T/ntfs.img"
expect_rc 0
expect_verdict list.csv clean
expect_common
expect_root_driver ntfs-3g
grep -q "ntfs-3g runs as root" "$SCAN_ERR" || fail "the log does not say that ntfs-3g runs as root"

# ---- 3. [media] driver-user=root: drivers as root, as before ---------------------------
build_fat "$T/fat-small.img" 16 16 "$small"
printf '[media]\ndriver-user=root\n' > "$T/root.conf"
scan_watched "$T/fat-small.img" "" --config "$T/root.conf"
expect_rc 0
expect_verdict list.csv clean
expect_common
expect_root_driver fusefat

# ---- 4. A driver user that does not exist: nothing is mounted, the message says why ----
printf '[media]\ndriver-user=kiosk-no-such-user\n' > "$T/nouser.conf"
scan_watched "$T/fat-small.img" "" --config "$T/nouser.conf"
expect_rc 2
expect_nothing_published
expect_json '"kiosk-no-such-user" in j["error"] and "make deps" in j["error"]'
[ ! -e "$T/driver-pids" ] || fail "a driver ran although its user does not exist: $(cat "$T/driver-pids")"
printf '[media]\ndriver-user=bad name\n' > "$T/badname.conf"
"$KIOSK" scan --config "$T/badname.conf" --json "$T/fat-small.img" > /dev/null 2> "$T/badname.err" && fail "a bad driver-user was accepted"
grep -q "driver-user must be a user name" "$T/badname.err" || fail "no clear message for a bad driver-user: $(cat "$T/badname.err")"

# ---- 5. The driver killed in the middle of the scan: errors at once, no hang -----------
attempt=0
while :; do
    attempt=$((attempt + 1))
    start=$(date +%s)
    scan_watched "$T/fat.img" kill
    took=$(( $(date +%s) - start ))
    [ "$took" -lt 60 ] || fail "the scan took ${took}s after its driver was killed (hang?)"
    [ -f "$T/killed" ] && grep -q '"verdict": *"error"' "$SCAN_JSON" && break
    [ "$attempt" -lt 4 ] || fail "never killed a driver while files were still unread in $attempt scans"
    log "attempt $attempt: the driver was not killed before the last file was read; again"
done
log "killed driver $(cat "$T/killed"); the scan ended in ${took}s with exit $SCAN_RC"
[ "$SCAN_RC" = 1 ] || [ "$SCAN_RC" = 2 ] || fail "exit $SCAN_RC after the driver was killed, expected 1 or 2"
expect_json 'any(f["verdict"] == "error" and "not connected" in (f.get("reason") or "") for f in files)'
if [ "$SCAN_RC" = 1 ]; then expect_common; else expect_nothing_published; fi
pass

#!/usr/bin/env bash
# check-fresh.sh - the README's two commands on a fresh Debian 12 machine, every time
# (make check-fresh; CI runs it).  A machine that already has everything hides a missing
# package: this does not.
#
#     tools/check-fresh.sh BUILD_DIR
#
# 1. A minimal Debian 12 root (mmdebstrap --variant=apt, plus git and make: a clone needs
#    them) from this machine's own apt sources and apt settings.  The committed HEAD of
#    this checkout is cloned into /root/kiosk there, and, as root in that root, with
#    /proc, /sys, /dev and /run bound and the root a mount point of its own:
#        make demo        then        make check
#    exactly as README.md says.  Their output: BUILD_DIR/fresh/readme.log.
# 2. The .debs of make deb (BUILD_DIR/deb/; made first when missing) installed with apt in
#    a second fresh root (plus man-db, so the unit's man: links can be checked): the files,
#    the users and groups, the folders with their modes, the signing key, and
#    `systemd-analyze verify` of the installed unit.  Log: BUILD_DIR/fresh/package.log.
# Everything mounted is unmounted and both roots removed afterwards, also on failure or
# Ctrl-C.  The time of each step is printed.
#
# When mmdebstrap cannot reach the apt source (no network to the mirror), step 1 cannot
# run: instead every pkg-config module, header and program the build and the tests use
# must belong to a package of tools/packages-*.txt or to what those depend on
# (tools/check-owned.py, with dpkg -S).  That is said loudly: it is a weaker check.
# CHECK_FRESH_ONLY=readme or =package runs one of the two steps (to look into a failure).
# CHECK_FRESH_CHECK=TARGET runs `make TARGET` instead of `make check` after `make demo` in
# the fresh root (e.g. check-unit, to look into the build alone; CI runs the whole
# `make check` there, as README.md says).
# Exit status: 0 passed, 1 failed.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$(mkdir -p "$1" && cd "$1" && pwd)
work=$build/fresh
suite=bookworm
[ "$(id -u)" = 0 ] || { echo "check-fresh: needs root (chroot, mounts)" >&2; exit 1; }
command -v mmdebstrap >/dev/null || { echo "check-fresh: mmdebstrap is missing (make deps)" >&2; exit 1; }

ROOTS=()
# clear_root ROOT: unmount everything at or below ROOT, deepest first (also what a run
# that was killed left: its trap never ran), detach loop devices whose image lies below
# it (a test's), then remove it, never crossing into another filesystem: with /dev,
# /run or /sys still bound inside, a plain rm -rf would empty the machine's own.
# Returns 1, leaving ROOT in place, when something stays mounted.
clear_root() {
    local r=$1 m l pass
    [ -e "$r" ] || return 0
    for pass in 1 2 3; do
        for l in $(losetup -n -O NAME,BACK-FILE 2>/dev/null | awk -v r="$r" 'index($2, r "/") == 1 {print $1}'); do
            losetup -d "$l" 2>/dev/null || true
        done
        for m in $(awk -v r="$r" '$5 == r || index($5, r "/") == 1 {print $5}' /proc/self/mountinfo | sort -r); do
            umount "$m" 2>/dev/null || true
        done
        awk -v r="$r" '$5 == r || index($5, r "/") == 1' /proc/self/mountinfo | grep -q . || break
        [ "$pass" = 3 ] || sleep 1
    done
    if awk -v r="$r" '$5 == r || index($5, r "/") == 1' /proc/self/mountinfo | grep -q .; then
        echo "check-fresh: something is still mounted below $r; left in place" >&2
        return 1
    fi
    rm -rf --one-file-system "$r"
}
cleanup() {
    local r
    for r in "${ROOTS[@]:-}"; do
        [ -n "$r" ] || continue
        clear_root "$r" || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s; }
step() { printf '== %s\n' "$*"; }
took() { printf '   %s: %d s\n' "$1" $(( $(now) - $2 )); }

# This machine's enabled apt sources and settings (no hook scripts: they would run
# programs the new root does not have).
apt_sources=()
[ -f /etc/apt/sources.list ] && grep -qE '^[[:space:]]*deb ' /etc/apt/sources.list && apt_sources+=(/etc/apt/sources.list)
for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && apt_sources+=("$f")
done
[ ${#apt_sources[@]} -gt 0 ] || { echo "check-fresh: no apt sources on this machine" >&2; exit 1; }
apt_opts=()
for f in /etc/apt/apt.conf /etc/apt/apt.conf.d/*; do
    [ -f "$f" ] && ! grep -q 'Invoke' "$f" && apt_opts+=(--aptopt="$f")
done

# new_root DIR PACKAGES LOG: a minimal Debian 12 root; 0, 1 failed, 3 the apt source is
# not reachable.
new_root() {
    local dir=$1 include=$2 log=$3
    if mmdebstrap --variant=apt --include="$include" "${apt_opts[@]}" "$suite" "$dir" \
        "${apt_sources[@]}" > "$log" 2>&1; then
        return 0
    fi
    if grep -qE 'Failed to fetch|Could not resolve|Temporary failure resolving|Unable to connect|Connection (failed|refused|timed out)|Network is unreachable' "$log"; then
        return 3
    fi
    tail -20 "$log" >&2
    return 1
}

# enter ROOT: make ROOT a mount point and bind /proc, /sys, /dev, /run into it (as a
# machine of its own would have them; nothing mounted inside propagates back).
enter() {
    local r=$1 d
    mount --bind "$r" "$r"
    mount --make-private "$r"
    for d in proc sys dev run; do
        mkdir -p "$r/$d"
        mount --rbind "/$d" "$r/$d"
        mount --make-rslave "$r/$d"
    done
}
in_root() {  # in_root ROOT COMMAND: a login-like clean environment, as root
    local r=$1; shift
    chroot "$r" /usr/bin/env -i HOME=/root USER=root LOGNAME=root TERM=dumb LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /bin/bash -c "$*"
}

fallback() {
    cat <<'EOF'

##############################################################################
##  check-fresh: THE APT SOURCE IS NOT REACHABLE FROM HERE.                  ##
##  The README's commands were NOT run on a fresh Debian 12 root.           ##
##  Falling back to a weaker check: every pkg-config module, header and     ##
##  program of the build and the tests belongs to a listed package (dpkg -S).##
##############################################################################

EOF
    python3 "$repo/tools/check-owned.py" "$repo" "$build"
}

mkdir -p "$work"
t_all=$(now)
head=$(git -C "$repo" rev-parse HEAD)
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
    echo "check-fresh: note: uncommitted changes are not in the check (it clones HEAD $head)"
fi

only=${CHECK_FRESH_ONLY:-}
# ---- 1. the README's two commands -------------------------------------------------
if [ "$only" != package ]; then
r1=$work/root-readme; clear_root "$r1" || exit 1; ROOTS+=("$r1")
step "1. a fresh Debian 12 root (mmdebstrap, this machine's apt sources)"
t=$(now)
rc=0; new_root "$r1" git,make "$work/mmdebstrap-readme.log" || rc=$?
took "mmdebstrap" "$t"
if [ "$rc" = 3 ]; then
    fallback
    exit $?
fi
[ "$rc" = 0 ] || { echo "check-fresh: mmdebstrap failed (log: $work/mmdebstrap-readme.log)"; exit 1; }
git clone -q --no-local "$repo" "$r1/root/kiosk"
git -C "$r1/root/kiosk" checkout -q --detach "$head"
enter "$r1"
fresh_check=${CHECK_FRESH_CHECK:-check}
step "   in it, as README.md says: make demo, then make $fresh_check (HEAD $head)"
log=$work/readme.log; : > "$log"
t=$(now)
rc=0; in_root "$r1" 'cd /root/kiosk && make demo' >> "$log" 2>&1 || rc=$?
took "make demo" "$t"
if [ "$rc" != 0 ]; then tail -30 "$log"; echo "check-fresh: make demo FAILED on a fresh machine (log: $log)"; exit 1; fi
t=$(now)
rc=0; in_root "$r1" "cd /root/kiosk && make $fresh_check" >> "$log" 2>&1 || rc=$?
took "make $fresh_check" "$t"
grep -E '^(FAIL|[0-9]+ passed)' "$log" | sed 's/^/   /' || true
# Keep the failed tests' logs for a post-mortem.
if [ -d "$r1/root/kiosk/build/test-logs" ]; then
    rm -rf "$work/test-logs"; cp -r "$r1/root/kiosk/build/test-logs" "$work/test-logs"
fi
if [ "$rc" != 0 ]; then echo "check-fresh: make $fresh_check FAILED on a fresh machine (log: $log, $work/test-logs)"; exit 1; fi
cleanup; ROOTS=()
fi
[ "$only" = readme ] && { took "check-fresh (make demo, make check only)" "$t_all"; echo "check-fresh: PASSED (the README's commands only)"; exit 0; }

# ---- 2. the package --------------------------------------------------------------
debs=("$build"/deb/kiosk_*.deb "$build"/deb/kiosk-ui_*.deb "$build"/deb/kiosk-verify_*.deb)
if ! [ -f "${debs[0]}" ]; then
    step "2. make deb (no .debs in $build/deb yet)"
    make -C "$repo" BUILD="$build" deb > "$work/deb.log" 2>&1 || { tail -20 "$work/deb.log"; exit 1; }
    debs=("$build"/deb/kiosk_*.deb "$build"/deb/kiosk-ui_*.deb "$build"/deb/kiosk-verify_*.deb)
fi
r2=$work/root-package; clear_root "$r2" || exit 1; ROOTS+=("$r2")
step "2. the .debs installed in another fresh Debian 12 root"
t=$(now)
rc=0; new_root "$r2" man-db "$work/mmdebstrap-package.log" || rc=$?
took "mmdebstrap" "$t"
[ "$rc" = 0 ] || { echo "check-fresh: mmdebstrap failed for the package check (log: $work/mmdebstrap-package.log)"; exit 1; }
mkdir -p "$r2/tmp/debs"; cp "${debs[@]}" "$r2/tmp/debs/"
mount --bind /proc "$r2/proc"   # systemd-sysusers and -tmpfiles want /proc
log=$work/package.log; : > "$log"
t=$(now)
rc=0; in_root "$r2" 'export DEBIAN_FRONTEND=noninteractive; apt-get update -q && apt-get install -y -q --no-install-recommends /tmp/debs/*.deb' >> "$log" 2>&1 || rc=$?
took "apt-get install ./kiosk*.deb" "$t"
[ "$rc" = 0 ] || { tail -30 "$log"; echo "check-fresh: the package did not install (log: $log)"; exit 1; }
cp "$repo/tools/check-installed.sh" "$r2/tmp/"
rc=0; in_root "$r2" 'bash /tmp/check-installed.sh' >> "$log" 2>&1 || rc=$?
sed -n '/^check-installed:/p' "$log" | sed 's/^/   /'
[ "$rc" = 0 ] || { echo "check-fresh: the installed package is not as it should be (log: $log)"; exit 1; }

took "check-fresh in all" "$t_all"
if [ "$only" = package ]; then
    echo "check-fresh: PASSED (the package only: it installs on a fresh Debian 12 root)"
else
    echo "check-fresh: PASSED (README's make demo and make check on a fresh Debian 12 root; the package installs)"
fi

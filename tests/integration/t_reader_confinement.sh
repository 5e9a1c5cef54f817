#!/usr/bin/env bash
# t_reader_confinement.sh - invariant 7 for what parses the medium: while the service
# checks a stick (FAT, then NTFS, whose FUSE driver used to run as root), every process
# under it that has the medium open, other than the service itself, is unprivileged:
# uid != 0 (kiosk-reader), CapEff 0, NoNewPrivs 1, Seccomp 2 (filter), its own mount and
# network namespaces, an empty root.  The evidence waits for the test: in testing mode
# the service stops at a gate (KIOSK_READER_TEST_GATE) once the reader has confined
# itself and before it asks for the first byte, writes the reader's pid into the FIFO
# "ready" and goes on when the test writes into the FIFO "go" (no polling for a
# short-lived process).  Then the session ends normally: the right files, EICAR held.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
umask 077   # as data/kiosk.service runs the service (UMask=0077)
id kiosk-reader >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin kiosk-reader
ruid=$(id -u kiosk-reader)
gate=$T/gate; mkdir -p "$gate"; mkfifo "$gate/ready" "$gate/go"
export KIOSK_READER_TEST_GATE=$gate

src=$T/src; mkdir -p "$src/Bay Plans"
make_edi "$src/Bay Plans/BAPLIE.edi"
make_csv "$src/loading list.csv"
make_eicar "$src/eicar.txt"
build_fat "$IMGDIR/fat.img" 32 16 "$src" KIOSK-FAT
build_ntfs "$IMGDIR/ntfs.img" 16 "$src"

start_udevd
start_daemon
start_watch
my_mnt=$(readlink /proc/self/ns/mnt) my_net=$(readlink /proc/self/ns/net)

# Every process below the service with DEVICE open: "pid uid CapEff NoNewPrivs Seccomp
# mnt-ns net-ns root-entries".
holders() {
    python3 - "$DAEMON_PID" "$1" <<'PY'
import os, sys
root, dev = int(sys.argv[1]), os.path.realpath(sys.argv[2])
kids = {}
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            st = open(f"/proc/{p}/stat").read()
            kids.setdefault(int(st[st.rindex(")") + 2:].split()[1]), []).append(int(p))
        except OSError:
            pass
below, todo = [], [root]
while todo:
    for k in kids.get(todo.pop(), []):
        below.append(k); todo.append(k)
for p in below:
    try:
        fds = [os.readlink(f"/proc/{p}/fd/{f}") for f in os.listdir(f"/proc/{p}/fd")]
    except OSError:
        continue
    if dev not in fds:
        continue
    f = dict(l.split(":", 1) for l in open(f"/proc/{p}/status") if ":" in l)
    ents = ",".join(sorted(os.listdir(f"/proc/{p}/root"))) or "-"
    print(p, f["Uid"].split()[1], f["CapEff"].strip(), f["NoNewPrivs"].strip(),
          f["Seccomp"].strip(), os.readlink(f"/proc/{p}/ns/mnt"), os.readlink(f"/proc/{p}/ns/net"), ents)
PY
}

check_one() {  # check_one IMAGE N: the Nth session, on IMAGE
    local img=$1 n=$2 pid rows
    attach "$img"
    # The service writes the confined reader's pid and waits: nothing is racing here.
    # (Bounded, so that a session that never reaches the gate fails with its log.)
    pid=$(timeout 120 bash -c 'read -r p < "$1" && echo "$p"' _ "$gate/ready") ||
        dfail "the service did not reach the reader gate"
    rows=$(holders "$LOOP")
    log "$(basename "$img"): holders of $LOOP: pid uid CapEff NoNewPrivs Seccomp mnt net root"
    while read -r l; do log "  $l"; done <<< "$rows"
    echo "$rows" | grep -q "^$pid " || dfail "the reader $pid does not hold $LOOP: $rows"
    while read -r p uid cap nnp sec mnt net ents; do
        [ -n "$p" ] || continue
        [ "$uid" != 0 ] && [ "$uid" = "$ruid" ] || dfail "$p holds the medium as uid $uid"
        [ $((16#$cap)) = 0 ] || dfail "$p holds the medium with capabilities $cap"
        [ "$nnp" = 1 ] || dfail "$p holds the medium without no_new_privs"
        [ "$sec" = 2 ] || dfail "$p holds the medium without a seccomp filter (Seccomp: $sec)"
        [ "$mnt" != "$my_mnt" ] && [ "$net" != "$my_net" ] || dfail "$p shares the service's namespaces"
        [ "$ents" = - ] || dfail "$p sees files in its root: $ents"
    done <<< "$rows"
    # The service itself holds it too (it opened it); nothing else of the kiosk's does.
    [ "$(echo "$rows" | wc -l)" = 1 ] || dfail "more than the reader holds the medium: $rows"
    timeout 60 bash -c 'echo go > "$1"' _ "$gate/go" || dfail "the service did not wait at the gate"
    wait_event done "$n" 120
    detach "$LOOP"
}
check_one "$IMGDIR/fat.img" 1
check_one "$IMGDIR/ntfs.img" 2
# Both sessions delivered the two clean files and held EICAR back.
python3 - "$EVENTS" <<'PY' || dfail "session results"
import json, sys
done = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"type":"done"')]
assert len(done) == 2, done
for d in done:
    c = d["counts"]
    assert c["delivered"] == 2 and c["infected"] == 1, d
PY
stop_watch
stop_daemon
expect_no_leftovers
pass

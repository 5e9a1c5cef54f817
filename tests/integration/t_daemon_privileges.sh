#!/usr/bin/env bash
# t_daemon_privileges.sh - invariant 7 in the running service: while `kiosk daemon` checks
# a FAT stick, every process under it is listed with its user, capabilities, no_new_privs
# and seccomp mode, and
#  - what parses the stick's partition table and filesystem (the medium reader, `kiosk
#    reader`) runs as kiosk-reader: no capabilities, no_new_privs, seccomp filter mode 2;
#  - what parses the stick's files (the scanner workers) runs as kiosk-scan: no
#    capabilities, no_new_privs, seccomp filter mode 2;
#  - the only root processes are the service itself, the scanner's spawner (a fresh exec
#    of the kiosk that only forks zygotes) and the scanner's zygote (it has read nothing
#    but the signature database; docs/privsep.md).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"

src=$T/src; mkdir -p "$src"
make_csv "$src/list.csv"
for i in 1 2 3; do make_file_mb "$src/big$i.csv" 40; done   # a scan long enough to look
build_fat "$IMGDIR/stick.img" 200 32 "$src" STICK >/dev/null || fail "build"

start_udevd
start_daemon
start_watch
attach "$IMGDIR/stick.img"
wait_event scanning 1 60

# Every descendant of the service, once the reader and two workers are seen.
descendants() {
    python3 - "$DAEMON_PID" <<'PY'
import os, sys
root = int(sys.argv[1]); kids = {}
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            st = open(f"/proc/{p}/stat").read()
            ppid = int(st[st.rindex(")") + 2:].split()[1])
            kids.setdefault(ppid, []).append(int(p))
        except OSError:
            pass
out, todo = [], [root]
while todo:
    for k in kids.get(todo.pop(), []):
        out.append(k); todo.append(k)
for p in out:
    try:
        f = dict(l.split(":", 1) for l in open(f"/proc/{p}/status") if ":" in l)
        cmd = open(f"/proc/{p}/cmdline", "rb").read().split(b"\0")
        name = "reader" if cmd[:2] == [b"kiosk", b"reader"] else f["Name"].strip()
        print(p, name, f["Uid"].split()[1], f["CapEff"].strip(),
              f["NoNewPrivs"].strip(), f["Seccomp"].strip())
    except (OSError, KeyError):
        pass
PY
}
for _ in $(seq 200); do
    descendants > "$T/procs"
    grep -q ' reader ' "$T/procs" && [ "$(awk -v u="$(id -u kiosk-scan)" '$3 == u' "$T/procs" | wc -l)" -ge 2 ] && break
    sleep 0.05
done
log "pid name uid CapEff NoNewPrivs Seccomp"
while read -r l; do log "$l"; done < "$T/procs"
python3 - "$T/procs" "$(id -u kiosk-scan)" "$(id -u kiosk-reader)" <<'PY' || dfail "privileges under the service"
import sys
scan, reader = sys.argv[2], sys.argv[3]
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
readers = [r for r in rows if r[1] == "reader"]
workers = [r for r in rows if r[2] == scan]
assert readers, "no medium reader seen"
for r in readers:
    assert r[2] == reader and int(r[3], 16) == 0 and r[4] == "1" and r[5] == "2", ("reader", r)
assert len(workers) >= 2, ("scanner workers", rows)
for r in workers:
    assert int(r[3], 16) == 0 and r[4] == "1" and r[5] == "2", ("worker", r)
root = [r for r in rows if r[2] == "0"]
names = sorted(r[1] for r in root)
assert names in (["kiosk-scanner", "kiosk-spawner"], ["kiosk-scanner"]), \
    ("root processes besides the service, the spawner and the zygote", root)
PY
wait_event done 1 120
detach "$LOOP"
stop_watch
stop_daemon
expect_no_leftovers
pass

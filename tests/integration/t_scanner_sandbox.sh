#!/usr/bin/env bash
# t_scanner_sandbox.sh - `kiosk scan` runs libclamav in sandboxed workers (docs/privsep.md):
# while a session runs, every scanner process is the user kiosk-scan under seccomp with
# no_new_privs and no capabilities; SIGKILL of a worker in the middle of a file makes that
# file "error" (never delivered), the session completes, the other files keep their
# verdicts; afterwards no worker process and no scanner temp folder is left.
. "$(dirname "$0")/lib.sh"
require_root
require_kiosk
id kiosk-scan >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin kiosk-scan

export KIOSK_IT_TAG=$T   # marks this test's kiosk and the scanner processes it starts
# Other tests (another checkout's too) may run kiosk-scan processes at the same time: look
# only at the scanner processes of this test (they inherit KIOSK_IT_TAG), never touch another's.
our_scanners() {
    local pid
    for pid in $(pgrep -u kiosk-scan); do
        tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qxF "KIOSK_IT_TAG=$T" && echo "$pid"
    done
    return 0
}

src=$T/src; mkdir -p "$src"
make_eicar "$src/eicar.txt"
make_csv "$src/list.csv"
for i in 1 2 3 4; do make_file_mb "$src/big$i.csv" 40; done   # long scans: a window to kill in

# Watcher: a worker seen holding a file of this test (an fd besides 0-3: it is mid-scan, so
# long past confining itself): record its /proc status; SIGKILL the first one and note the file.
watch_workers() {
    local killed=0 pid fd target st
    for _ in $(seq 1 1200); do
        for pid in $(our_scanners); do
            for fd in /proc/"$pid"/fd/*; do
                case ${fd##*/} in 0|1|2|3|'*') continue ;; esac
                target=$(readlink "$fd" 2>/dev/null) || continue
                # Only this test's workers: they hold a spooled copy in this test's work
                # area (another test or agent may run kiosk-scan workers at the same time).
                case $target in "$T"/*) ;; *) continue ;; esac
                st=$(grep -E '^(Uid|Gid|Seccomp|NoNewPrivs|CapEff):' "/proc/$pid/status" 2>/dev/null) || break
                printf '%s\n' "$st" > "$T/worker-$pid.status"
                if [ "$killed" = 0 ]; then
                    kill -KILL "$pid" 2>/dev/null && { killed=1; echo "$pid $target" > "$T/killed"; }
                fi
                break
            done
        done
        [ -f "$T/scan-done" ] && break
        sleep 0.02
    done
}

attempt=0
while :; do
    attempt=$((attempt + 1))
    rm -f "$T"/worker-*.status "$T/killed" "$T/scan-done"
    rm -rf "$STAGING"; mkdir -p "$STAGING"
    watch_workers & watcher=$!
    run_scan "$src" --workers 2
    touch "$T/scan-done"; wait "$watcher" || true
    # The kill may land just after the worker answered (then the file is simply retried
    # on a fresh worker): try again, a few times.
    if [ -f "$T/killed" ] && grep -q 'scanner worker crashed' "$SCAN_JSON"; then break; fi
    [ "$attempt" -lt 4 ] || fail "never caught a worker mid-scan in $attempt sessions"
    log "attempt $attempt: no worker killed mid-scan; again"
done

# Confinement, as /proc showed it during the session.
ls "$T"/worker-*.status >/dev/null 2>&1 || fail "no kiosk-scan process seen scanning a file"
uid=$(id -u kiosk-scan)
for s in "$T"/worker-*.status; do
    grep -qx "Seccomp:	2" "$s" || fail "worker without seccomp filter: $(cat "$s")"
    grep -qx "NoNewPrivs:	1" "$s" || fail "worker without no_new_privs: $(cat "$s")"
    grep -qx "CapEff:	0000000000000000" "$s" || fail "worker with capabilities: $(cat "$s")"
    grep -qx "Uid:	$uid	$uid	$uid	$uid" "$s" || fail "worker not running as kiosk-scan: $(cat "$s")"
done

# The killed file is an error, not delivered; the session went on and completed.
expect_rc 1
expect_verdict eicar.txt infected Kiosk.Test.EICAR
expect_verdict list.csv clean
expect_json 'sum(1 for f in files if f["verdict"] == "error" and "scanner worker crashed (killed by SIGKILL)" in (f.get("reason") or "")) == 1'
expect_json 'sum(1 for f in files if f["verdict"] == "clean") == 4'
expect_common

# Nothing left behind: no scanner process of this test (they inherit KIOSK_IT_TAG; other
# tests or agents may run theirs now), no temp folder.
sleep 0.5
left=$(our_scanners)
[ -z "$left" ] || fail "scanner processes left: $(ps -o pid=,args= -p "$(echo $left | tr ' ' ,)")"
! ls -d "$RUNDIR"/kiosk-scan.* >/dev/null 2>&1 || fail "scanner temp folder left in $RUNDIR"
pass

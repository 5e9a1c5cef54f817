#!/usr/bin/env bash
# t_scanner_sandbox.sh - `kiosk scan` runs libclamav in sandboxed workers (docs/privsep.md):
# while a session runs, every scanner process is the user kiosk-scan under seccomp with
# no_new_privs and no capabilities; SIGKILL of a worker in the middle of a file makes that
# file "error" (never delivered), the session completes, the other files keep their
# verdicts; afterwards no worker process and no scanner temp folder is left.  The worker
# to kill holds its file until the test kills it (testing mode's scanner hook), so the
# kill never depends on catching a short scan.
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
        { tr '\0' '\n' < "/proc/$pid/environ"; } 2>/dev/null | grep -qxF "KIOSK_IT_TAG=$T" && echo "$pid"
    done
    return 0
}

src=$T/src; mkdir -p "$src"
make_eicar "$src/eicar.txt"
make_csv "$src/list.csv"
for i in 1 2 3 4; do { make_csv /dev/stdout; echo "row $i,$T"; } > "$src/big$i.csv"; done  # distinct: each one scanned

# The evidence waits for the test: in testing mode the worker given big2.csv to scan holds
# it and never answers (the scanner's "hang" hook, for that one file only), so the kill
# below always lands in the middle of that file.  Any worker of this test seen holding a
# file has its /proc status recorded; the held one is killed once it is seen.
export KIOSK_SCANNER_TEST_FORBIDDEN=hang KIOSK_SCANNER_TEST_FILE=big2.csv
watch_workers() {
    local pid fd target st
    for _ in $(seq 1 3000); do
        for pid in $(our_scanners); do
            for fd in /proc/"$pid"/fd/*; do
                case ${fd##*/} in 0|1|2|3|'*') continue ;; esac
                target=$(readlink "$fd" 2>/dev/null) || continue
                # Only this test's workers: they hold a spooled copy in this test's work
                # area (another test or agent may run kiosk-scan workers at the same time).
                case $target in "$T"/*) ;; *) continue ;; esac
                st=$(grep -E '^(Uid|Gid|Seccomp|NoNewPrivs|CapEff):' "/proc/$pid/status" 2>/dev/null) || break
                printf '%s\n' "$st" > "$T/worker-$pid.status"
                # The held one: its file has big2.csv's bytes (spooled copies are numbered).
                if cmp -s "$fd" "$src/big2.csv"; then
                    kill -KILL "$pid" && echo "$pid $target" > "$T/killed" && return 0
                fi
                break
            done
        done
        [ -f "$T/scan-done" ] && return 1
        sleep 0.02
    done
    return 1
}
watch_workers & watcher=$!
run_scan "$src" --workers 2 --testing
touch "$T/scan-done"
wait "$watcher" || fail "no worker of this test was seen holding big2.csv"
[ -f "$T/killed" ] || fail "the held worker was not killed"
unset KIOSK_SCANNER_TEST_FORBIDDEN KIOSK_SCANNER_TEST_FILE

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
expect_json 'next(f for f in files if f["path"] == "big2.csv")["verdict"] == "error"'
expect_json 'sum(1 for f in files if f["verdict"] == "clean") == 4'
expect_common

# Nothing left behind: no scanner process of this test (they inherit KIOSK_IT_TAG; other
# tests or agents may run theirs now), no temp folder.
sleep 0.5
left=$(our_scanners)
[ -z "$left" ] || fail "scanner processes left: $(ps -o pid=,args= -p "$(echo $left | tr ' ' ,)")"
! ls -d "$RUNDIR"/kiosk-scan.* >/dev/null 2>&1 || fail "scanner temp folder left in $RUNDIR"
pass

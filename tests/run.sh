#!/usr/bin/env bash
# run.sh - run the kiosk's tests: every unit test binary BUILD_DIR/tests/test_* (cmocka),
# then every integration test tests/integration/t_*.sh (unless --unit-only).
#
#     tests/run.sh BUILD_DIR [--unit-only]        (the options may come first)
#     TESTS='t_fat32 t_gpt' tests/run.sh build    run only these integration tests
#     SKIP='t_ui_screens' tests/run.sh build      leave these out
#     UNIT_WRAPPER='valgrind ...' tests/run.sh build --unit-only   unit tests under a wrapper
#     TEST_JOBS=1 tests/run.sh build             integration tests one at a time (default 2)
#
# One log per test in BUILD_DIR/test-logs/NAME.log; one line per test on stdout
# (PASS/FAIL, name, seconds); the last line is exactly "N passed, N failed".
# Exit 1 when any test failed.  Integration tests need root (loop devices, FUSE mounts):
# without it they FAIL, they are never silently skipped.
set -uo pipefail

usage() { echo "usage: $0 BUILD_DIR [--unit-only]" >&2; exit 2; }
build= unit_only=0
for a in "$@"; do
    case $a in
        --unit-only) unit_only=1 ;;
        -h|--help) usage ;;
        -*) echo "unknown option $a" >&2; usage ;;
        *) [ -z "$build" ] || usage; build=$a ;;
    esac
done
[ -n "$build" ] || usage
root=$(cd "$(dirname "$0")/.." && pwd)
[ -d "$build" ] || { echo "no build folder $build (run make)" >&2; exit 2; }
build=$(cd "$build" && pwd)
logs=$build/test-logs
mkdir -p "$logs"

passed=0 failed=0 failed_names=()
record() {  # record NAME RC SECONDS
    if [ "$2" = 0 ]; then
        passed=$((passed + 1)); printf 'PASS %-28s %4ss\n' "$1" "$3"
    else
        failed=$((failed + 1)); failed_names+=("$1")
        printf 'FAIL %-28s %4ss  (exit %s, log: %s)\n' "$1" "$3" "$2" "$logs/$1.log"
    fi
}
run_one() {  # run_one NAME TIMEOUT COMMAND...
    local name=$1 limit=$2 start rc; shift 2
    start=$(date +%s)
    timeout --kill-after=10 "$limit" "$@" > "$logs/$name.log" 2>&1 < /dev/null
    rc=$?
    [ "$rc" = 124 ] && echo "TIMEOUT after ${limit}s" >> "$logs/$name.log"
    record "$name" "$rc" $(( $(date +%s) - start ))
}

# ---- unit tests ----------------------------------------------------------------------
shopt -s nullglob
units=("$build"/tests/test_*)
shopt -u nullglob
if [ ${#units[@]} = 0 ]; then
    echo "note: no unit test binaries in $build/tests (make builds them)" >&2
fi
for t in "${units[@]}"; do
    [ -x "$t" ] && [ -f "$t" ] || continue
    case $t in *.o|*.d|*.log) continue ;; esac
    if [ -n "${UNIT_SKIP:-}" ] && [[ " $UNIT_SKIP " == *" $(basename "$t") "* ]]; then continue; fi
    # UNIT_WRAPPER: e.g. valgrind (make check-valgrind)
    run_one "$(basename "$t")" "${UNIT_TIMEOUT:-120}" env CMOCKA_MESSAGE_OUTPUT=stdout ${UNIT_WRAPPER:-} "$t"
done

# ---- integration tests ---------------------------------------------------------------
# The system-wide folders and files a kiosk uses (a test must never create them).
_system_paths() {
    local p
    for p in /etc/kiosk/signing.key /etc/kiosk/kiosk.conf /var/lib/kiosk/work /var/lib/kiosk/admin.state \
             /srv/kiosk/staging /var/log/kiosk/audit.jsonl; do
        [ -e "$p" ] && echo "$p"
    done
    return 0
}
# Integration tests run TEST_JOBS at a time (default 2): most of their time is spent
# waiting for daemons, udev and loop devices, not computing.  Each one uses private
# paths, ports and displays, and a service in testing mode only takes loop devices backed
# by its own test's images, so they do not see each other.  A test with the line
# "# serial" near its top (it measures a duration) runs alone.  With more than one job,
# run.sh starts the one systemd-udevd all tests share when none runs, and stops it (by
# pid) at the end: a test never stops a udevd it did not start (daemon-lib.sh).
jobs=${TEST_JOBS:-2}
declare -A job_name=() job_start=() job_sys=()
our_udevd=
start_shared_udevd() {
    udevadm control --ping -t 2 >/dev/null 2>&1 && return 0
    local before; before=$(pgrep -x systemd-udevd | sort || true)
    /lib/systemd/systemd-udevd --daemon >/dev/null 2>&1 || return 0  # the tests say why
    for _ in $(seq 50); do
        our_udevd=$(comm -13 <(echo "$before") <(pgrep -x systemd-udevd | sort) | head -1)
        [ -n "$our_udevd" ] && udevadm control --ping -t 1 >/dev/null 2>&1 && break
        sleep 0.1
    done
}
stop_shared_udevd() {
    [ -n "$our_udevd" ] || return 0
    kill "$our_udevd" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$our_udevd" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$our_udevd" 2>/dev/null || true
}
# finish_one PID: record the test that job PID ran (its exit status is in $logs/NAME.rc).
finish_one() {
    local pid=$1 name=${job_name[$1]} rc sys_after
    rc=$(cat "$logs/$name.rc" 2>/dev/null || echo 1); rm -f "$logs/$name.rc"
    [ "$rc" = 124 ] && echo "TIMEOUT after ${job_limit[$pid]}s" >> "$logs/$name.log"
    # Tests use private paths: the kiosk's system folders must not appear because of one.
    sys_after=$(_system_paths)
    if [ "$sys_after" != "${job_sys[$pid]}" ] && [ -n "$(comm -13 <(echo "${job_sys[$pid]}") <(echo "$sys_after"))" ]; then
        echo "FAIL: $name wrote the kiosk's system paths: $(comm -13 <(echo "${job_sys[$pid]}") <(echo "$sys_after") | tr '\n' ' ')" >> "$logs/$name.log"
        [ "$rc" != 0 ] || rc=1
    fi
    record "$name" "$rc" $(( $(date +%s) - ${job_start[$pid]} ))
    unset "job_name[$pid]" "job_start[$pid]" "job_sys[$pid]" "job_limit[$pid]"
}
# wait_jobs N: until fewer than N tests run.
wait_jobs() {
    local pid
    while [ "${#job_name[@]}" -ge "$1" ] && [ "${#job_name[@]}" -gt 0 ]; do
        wait -n "${!job_name[@]}" 2>/dev/null || true
        for pid in "${!job_name[@]}"; do
            kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; finish_one "$pid"; }
        done
    done
}
declare -A job_limit=()
if [ "$unit_only" = 0 ]; then
    want=${TESTS:-}
    [ "$(id -u)" != 0 ] || [ "$jobs" -le 1 ] || start_shared_udevd
    for t in "$root"/tests/integration/t_*.sh; do
        name=$(basename "$t" .sh)
        if [ -n "$want" ] && ! [[ " $want " == *" $name "* ]]; then continue; fi
        # SKIP: integration tests left out (make check-asan: the screen is not built there)
        if [ -n "${SKIP:-}" ] && [[ " $SKIP " == *" $name "* ]]; then continue; fi
        if [ "$(id -u)" != 0 ]; then
            echo "FAIL: $name: integration tests need root (loop devices, FUSE mounts)" > "$logs/$name.log"
            record "$name" 1 0
            continue
        fi
        # A test that moves hundreds of megabytes may say how long it may take:
        # a line "# timeout: SECONDS" near its top (default 300).
        limit=$(sed -n '1,20s/^# timeout: \([0-9][0-9]*\)$/\1/p' "$t" | head -1)
        if sed -n '1,20p' "$t" | grep -qx '# serial'; then wait_jobs 1; else wait_jobs "$jobs"; fi
        sys_before=$(_system_paths)
        (
            timeout --kill-after=10 "${limit:-300}" env KIOSK_BUILD="$build" KIOSK="$build/kiosk" \
                bash "$t" > "$logs/$name.log" 2>&1 < /dev/null
            echo $? > "$logs/$name.rc"
        ) &
        job_name[$!]=$name job_start[$!]=$(date +%s) job_sys[$!]=$sys_before job_limit[$!]=${limit:-300}
        # A serial test has the machine to itself until it ends.
        if sed -n '1,20p' "$t" | grep -qx '# serial'; then wait_jobs 1; fi
    done
    wait_jobs 1
    stop_shared_udevd
fi

if [ "$failed" -gt 0 ]; then
    echo "failed: ${failed_names[*]}" >&2
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

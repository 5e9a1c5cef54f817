#!/usr/bin/env bash
# run.sh - run the kiosk's tests: every unit test binary BUILD_DIR/tests/test_* (cmocka),
# then every integration test tests/integration/t_*.sh (unless --unit-only).
#
#     tests/run.sh BUILD_DIR [--unit-only]        (the options may come first)
#     TESTS='t_fat32 t_gpt' tests/run.sh build    run only these integration tests
#     SKIP='t_ui_screens' tests/run.sh build      leave these out
#     UNIT_WRAPPER='valgrind ...' tests/run.sh build --unit-only   unit tests under a wrapper
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
if [ "$unit_only" = 0 ]; then
    want=${TESTS:-}
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
        # Tests use private paths: the kiosk's system folders must not appear because of one.
        sys_before=$(_system_paths)
        run_one "$name" "${limit:-300}" env KIOSK_BUILD="$build" KIOSK="$build/kiosk" bash "$t"
        sys_after=$(_system_paths)
        if [ "$sys_after" != "$sys_before" ]; then
            echo "FAIL: $name wrote the kiosk's system paths: $(comm -13 <(echo "$sys_before") <(echo "$sys_after") | tr '\n' ' ')" >> "$logs/$name.log"
            [ "${failed_names[${#failed_names[@]}-1]:-}" = "$name" ] || { passed=$((passed - 1)); record "$name" 1 0; }
        fi
    done
fi

if [ "$failed" -gt 0 ]; then
    echo "failed: ${failed_names[*]}" >&2
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

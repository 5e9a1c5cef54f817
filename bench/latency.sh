#!/usr/bin/env bash
# latency.sh - issue 8's latency figure: in the running service, from the udev event of a
# stick with 20 small files to its delivery being published.  The database is loaded
# before the stick arrives (the service loads it once at start), as at the quayside.
#
#   bench/latency.sh [BUILD_DIR] [--db DIR] [--reps N]
# Prints one line per insertion and the median; writes BUILD/bench/latency.json.
# Uses the integration tests' helpers (tests/integration/lib.sh, daemon-lib.sh): a
# private daemon in testing mode on read-only loop devices, the real systemd-udevd.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}; shift || true
db="" reps=5
while [ $# -gt 0 ]; do
    case $1 in
    --db) db=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    *) echo "usage: $0 [BUILD_DIR] [--db DIR] [--reps N]" >&2; exit 2 ;;
    esac
done
export KIOSK_BUILD=$build
. "$here/../tests/integration/lib.sh"
. "$here/../tests/integration/daemon-lib.sh"
[ -z "$db" ] && [ -d "$BUILD/bench/sigs" ] && db=$BUILD/bench/sigs
[ -n "$db" ] && SIGS=$db
log "database: $SIGS"

mkdir -p "$T/src"
for i in $(seq -w 1 20); do
    if [ $((10#$i % 2)) = 0 ]; then make_csv "$T/src/list-$i.csv"; else make_edi "$T/src/bay-$i.edi"; fi
done
build_fat "$IMGDIR/stick.img" 20 16 "$T/src" KIOSKLAT >/dev/null
start_udevd
t0=$(date +%s.%N)
start_daemon
start_watch
wait_event status 1 120
log "service ready in $(python3 -c "print(round($(date +%s.%N) - $t0, 2))") s (engine load included)"

results=()
for r in $(seq 1 "$reps"); do
    n=$(count_events done)
    ts=$(date +%s.%N)
    attach "$IMGDIR/stick.img"
    # The events carry whole seconds; time the "done" line's arrival here instead (5 ms
    # polling).
    while [ "$(count_events done)" -le "$n" ]; do
        kill -0 "$DAEMON_PID" 2>/dev/null || dfail "kiosk daemon died"
        python3 -c "import time; time.sleep(0.005)"
    done
    te=$(date +%s.%N)
    ms=$(python3 -c "print(round(($te - $ts) * 1000))")
    results+=("$ms")
    printf 'insertion %d: %s ms from attach to "done" (delivery published)\n' "$r" "$ms"
    i=$(count_events idle)
    detach "$LOOP"
    wait_event idle $((i + 1)) 30
done
median=$(printf '%s\n' "${results[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "median latency, 20 small files: $median ms (database already loaded; $SIGS)"
mkdir -p "$BUILD/bench"
printf '{"files": 20, "reps": %d, "latency_ms": [%s], "median_ms": %s, "database": "%s"}\n' \
    "$reps" "$(IFS=,; echo "${results[*]}")" "$median" "$SIGS" > "$BUILD/bench/latency.json"
pass

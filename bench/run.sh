#!/usr/bin/env bash
# run.sh - the kiosk's benchmark: kiosk scan against clamscan and clamd on a seeded corpus
# and a seeded ~2M-signature database.  `make bench` runs it; see bench/README.md.
#
#     bench/run.sh [BUILD_DIR] [--tiny] [--size MB] [--reps N] [--warm] [--only ROWS]
#                  [--workers N] [--out DIR]
#
# BUILD_DIR defaults to ./build.  BENCH_SIZE=tiny or BENCH_SIZE=<MB> in the environment
# does the same as --tiny / --size.  Prints the table; the JSON goes to
# BUILD_DIR/bench/results.json.  Inputs are cached under BUILD_DIR/bench/ (or --out DIR).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=
args=()
while [ $# -gt 0 ]; do
    case $1 in
        --tiny|--warm) args+=("$1") ;;
        --size|--reps|--only|--workers|--out) [ $# -ge 2 ] || { echo "run.sh: $1 needs a value" >&2; exit 2; }
            args+=("$1" "$2"); shift ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
        *) [ -z "$build" ] || { echo "run.sh: one BUILD_DIR only" >&2; exit 2; }; build=$1 ;;
    esac
    shift
done
build=${build:-$here/../build}
case ${BENCH_SIZE:-} in
    '') ;;
    tiny) args+=(--tiny) ;;
    *[!0-9.]*) echo "run.sh: BENCH_SIZE must be 'tiny' or a size in MB, not '$BENCH_SIZE'" >&2; exit 2 ;;
    *) args+=(--size "$BENCH_SIZE") ;;
esac
exec python3 "$here/bench.py" --build "$build" "${args[@]}"

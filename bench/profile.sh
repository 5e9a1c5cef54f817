#!/usr/bin/env bash
# profile.sh - where `kiosk scan` spends its CPU: perf (cpu-clock sampling, works without
# hardware counters) over one scan of the bench corpus, one worker, warm cache.
#
#     bench/profile.sh [BUILD_DIR] [CORPUS_DIR] [SIGS_DIR]
#
# Defaults: build, build/bench/corpus-400M, build/bench/sigs (run `make bench` first).
# Writes BUILD_DIR/bench/profile/{perf.data,by-thread.txt,by-dso.txt,by-symbol.txt}.
# Without perf: valgrind --tool=callgrind (much slower: use a small corpus).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
corpus=${2:-$build/bench/corpus-400M}
sigs=${3:-$build/bench/sigs}
out=$build/bench/profile
rm -rf "$out"; mkdir -p "$out/staging" "$out/run"
args=(scan --policy "$here/../data/policy.conf" --staging "$out/staging" --work-dir "$out/work"
      --signing-key "$out/keys/signing.key" --signatures "$sigs"
      --audit-log "$out/audit.jsonl" --run-dir "$out/run" --workers 1 --json "$corpus")
find "$corpus" -type f -print0 | xargs -0 cat > /dev/null   # warm
if perf record -q -e cpu-clock -F 999 -o /dev/null true 2>/dev/null; then
    # cpu-clock: no hardware counters needed (this VM has none).  Self time per library
    # and symbol; the system libraries have no frame pointers, so call graphs are not
    # trustworthy and are not recorded.
    perf record -q -e cpu-clock -F 999 -o "$out/perf.data" "$build/kiosk" "${args[@]}" \
        > "$out/scan.json" 2> "$out/scan.err" || true
    set +o pipefail
    perf report -i "$out/perf.data" --sort comm --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' |
        head -5 > "$out/by-thread.txt"
    perf report -i "$out/perf.data" --sort dso --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' |
        head -15 > "$out/by-dso.txt"
    perf report -i "$out/perf.data" --sort dso,sym --stdio 2>/dev/null | grep -v '^#' |
        grep -v '^$' | head -60 > "$out/by-symbol.txt"
    set -o pipefail
    echo "== by thread (kiosk = main: engine load, walk, delivery; kiosk-scan = workers) =="
    cat "$out/by-thread.txt"
    echo "== by library (self) =="; cat "$out/by-dso.txt"
    echo "== top symbols (self) =="; head -25 "$out/by-symbol.txt"
else
    echo "perf cannot sample here: callgrind (slow)" >&2
    valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" "$build/kiosk" "${args[@]}" \
        > "$out/scan.json" 2> "$out/scan.err" || true
    callgrind_annotate --inclusive=yes "$out/callgrind.out" | head -60 | tee "$out/summary.txt"
fi
grep -h 'engine loaded' "$out/scan.err" || true

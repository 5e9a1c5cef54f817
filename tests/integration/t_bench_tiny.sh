#!/usr/bin/env bash
# t_bench_tiny.sh - the benchmark harness works: bench/run.sh --tiny (4 MB corpus, small
# database, one run, warm cache: a test does not drop the machine's page cache) writes
# results.json with every row, sane numbers and real detections.
# Timings are never checked (benchmarks do not gate tests).
. "$(dirname "$0")/lib.sh"

"$ROOT/bench/run.sh" "$BUILD" --tiny --warm --out "$T/bench" > "$T/bench.out" 2> "$T/bench.err" ||
    { tail -n 40 "$T/bench.err"; fail "bench/run.sh --tiny failed"; }
cat "$T/bench.out" >&2
python3 - "$T/bench/results.json" <<'PY' || fail "results.json incomplete"
import json, sys
r = json.load(open(sys.argv[1]))
rows = {d["row"]: d for d in r["rows"]}
want = ["read", "clamscan", "clamscan-load", "clamd", "kiosk", "kiosk-nocdr", "kiosk-fat", "kiosk-exfat",
        "kiosk-ntfs", "clamd-dup", "kiosk-dup", "clamd-warm", "kiosk-repeat", "kiosk-20copies",
        "kiosk-20different"]
missing = [w for w in want if w not in rows]
assert not missing, "missing rows %s" % missing
for w in want:
    d = rows[w]
    assert d["seconds"] > 0 and d["peak_rss_mb"] and d["cpu_pct"] >= 0, (w, d)
n = r["corpus"]["testfiles"]
assert n > 0, "no clamav-testfiles in the corpus"
# Every tool finds the same test files (the limits and alerts are the same).
for w in ("clamscan", "clamd", "kiosk", "kiosk-nocdr", "kiosk-fat", "kiosk-exfat", "kiosk-ntfs", "clamd-dup",
          "kiosk-dup", "clamd-warm", "kiosk-repeat"):
    assert rows[w]["found"][-1] >= n, (w, rows[w]["found"], n)
assert rows["kiosk"]["counts"]["files"] == r["corpus"]["files"], rows["kiosk"]["counts"]
# Issue 20: identical bytes are scanned once (counted by the kiosk's workers).
assert rows["kiosk-20copies"]["scans"]["engine"] == 1, rows["kiosk-20copies"]["scans"]
assert rows["kiosk-20different"]["scans"]["engine"] == 20, rows["kiosk-20different"]["scans"]
dup = rows["kiosk-dup"]
assert dup["scans"]["duplicates"] > 0 and dup["scans"]["engine"] < dup["counts"]["files"], dup
rp = rows["kiosk-repeat"]["scans"]
assert rp["cache_hits"] > 0 and rp["engine"] <= n, rp   # only detections are scanned again
for k in ("kiosk/clamd", "kiosk/clamscan", "kiosk-dup/clamd-dup", "kiosk-repeat/clamd",
          "kiosk-20copies/kiosk-20different"):
    assert r["ratios"][k], k
print("results.json ok: %d rows" % len(rows))
PY
grep -q '^kiosk  ' "$T/bench.out" || fail "no table printed"
pass

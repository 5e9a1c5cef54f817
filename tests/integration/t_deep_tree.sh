#!/usr/bin/env bash
# t_deep_tree.sh - a tree deeper than the policy's max-depth: the part within the limit delivered, the too-deep part not delivered and recorded.
. "$(dirname "$0")/lib.sh"

policy_with max-depth 5
src=$T/src; mkdir -p "$src"
make_deep_tree "$src" 12
make_csv "$src/top.csv"
build_ext4 "$T/stick.img" 16 "$src"

run_scan "$T/stick.img"
expect_verdict top.csv clean
p=""; for ((i = 1; i <= 12; i++)); do
    p=${p:+$p/}d$i
    if [ "$i" -le 4 ]; then expect_verdict "$p/level$i.txt" clean; fi
    if [ "$i" -ge 7 ]; then
        expect_json '"'"$p/level$i.txt"'" not in [norm(f["staged_path"] or "") for f in files] and not any(norm(f["path"]) == "'"$p/level$i.txt"'" and f["verdict"] == "clean" for f in files)'
    fi
done
# recorded: some entry at or below d1/.../d6 with a verdict other than clean and a reason
expect_json 'any(norm(f["path"]).startswith("d1/d2/d3/d4/d5/d6") and f["verdict"] != "clean" and f["reason"] for f in files)'
[ "$SCAN_RC" != 2 ] || fail "exit 2: the within-limit part should still be delivered"
expect_common
pass

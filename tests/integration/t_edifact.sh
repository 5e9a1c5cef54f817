#!/usr/bin/env bash
# t_edifact.sh - EDIFACT files through `kiosk scan` (docs/edifact.md), read in the real
# sandboxed scanner workers: the test messages of tests/data/edifact/, a file named .edi
# that is not EDIFACT and a 10 MB single segment made here.
#   [edifact] check=warn (the shipped policy): every file delivered; the summary fields
#     exact in --json and MANIFEST.json; each broken file's problem in plain words; the
#     session details that disagree give edifact_mismatch and an audit record; the
#     receipt shows the headline, the warning and the mismatch in both languages.
#   check=block: the broken files are held back with the problem as the reason.
#   check=off: nothing is read as EDIFACT.
# Three sessions, receipts and reports: 70-150 s on the shared 2-core machine.
# timeout: 600
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report-lib.sh"

DATA=$ROOT/tests/data/edifact
WORK=${WORKDIR:-$T/work}   # the kiosk's work area and outbox: reports are made from it
src=$T/src
mkdir -p "$src/plans"
cp "$DATA"/*.edi "$src/plans/"
printf 'meeting notes, not a bay plan\n' > "$src/plans/notes.edi"
python3 - "$src/plans/huge.edi" <<'EOF'
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"UNB+UNOA:2+MSCU:ZZZ+JPNGOTOS:ZZZ+240611:0930+H1'UNH+1+BAPLIE:D:95B:UN:SMDG22'FTX+AAA+++")
    f.write(b"X" * (10 * 1024 * 1024))
    f.write(b"'UNT+3+1'UNZ+1+H1'")
EOF
make_csv "$src/list.csv"

GOOD="baplie-d95b-smdg22 baplie-d13b-smdg31 movins-d95b coprar-d00b vermas-group-unoy"
# path|problem code|the reason people read
BROKEN=(
    "broken-unt-count.edi|segment-count|bay plan says it has 299 segments (UNT) but has 298"
    "broken-unz-count.edi|message-count|the interchange says it holds 2 messages (UNZ) but holds 1"
    "broken-cut.edi|cut-in-segment|bay plan is cut off in the middle of segment 185 (EQD), after 184 complete segments"
    "broken-unoa-lowercase.edi|character-set|loading/discharge order has lowercase letters, which syntax level UNOA does not allow: the first is 's' in segment 5 (TDT)"
    "huge.edi|segment-too-long|segment 3 (FTX) is longer than 16,384 bytes: this is not a usable EDIFACT file"
    "notes.edi|not-interchange|the file is named like an EDIFACT file but is not an EDIFACT interchange (it does not start with UNA or UNB)"
)
# expect_pdf_flat PDF STRING...: the PDF's text, line breaks and runs of spaces as one
# space (a narrow receipt wraps long lines), contains every STRING.
expect_pdf_flat() {
    local pdf=$1 s; shift
    pdftotext -enc UTF-8 "$pdf" - 2>/dev/null | tr '\n' ' ' | tr -s ' ' > "$pdf.flat" ||
        fail "pdftotext cannot read $pdf"
    for s in "$@"; do grep -qF -- "$s" "$pdf.flat" || fail "$pdf does not show '$s'"; done
}
edi() { echo "[f['edifact'] for f in files if norm(f['path']) == 'plans/$1'][0]"; }

# ---- warn -------------------------------------------------------------------------------
run_scan "$src" --work-dir "$WORK" --details-json '{"vessel":"MSC AURORA","imo":"9321483","voyage":"124E"}'
expect_rc 0
for f in $GOOD; do
    expect_verdict "plans/$f.edi" clean
    expect_json "$(edi "$f.edi")['status'] == 'ok' and $(edi "$f.edi")['problem'] is None"
done
for b in "${BROKEN[@]}"; do
    IFS='|' read -r f code text <<< "$b"
    expect_verdict "plans/$f" clean
    expect_json "$(edi "$f")['status'] == 'malformed'"
    expect_json "$(edi "$f")['problem']['code'] == '$code'"
    expect_json "$(edi "$f")['problem']['text'] == \"$text\""
done
expect_json "'edifact' not in [f for f in files if f['path'] == 'list.csv'][0]"
# The summary of the D.95B bay plan, field by field.
e=$(edi baplie-d95b-smdg22.edi)
expect_json "$e['headline'] == 'BAPLIE · MSC AURORA · voyage 123W · 36 containers'"
expect_json "($e['syntax'], $e['syntax_version'], $e['una'], $e['sender'], $e['recipient']) == ('UNOA', 2, True, 'MSCU', 'JPNGOTOS')"
expect_json "($e['control_reference'], $e['date'], $e['segments'], $e['message_count'], $e['containers']) == ('BAP0611093001', '2024-06-11 09:30', 300, 1, 36)"
expect_json "$e['messages'] == [{'type': 'BAPLIE', 'version': 'D:95B', 'agency': 'UN', 'association': 'SMDG22', 'reference': '1', 'vessel': 'MSC AURORA', 'call_sign': '3FZA9', 'imo': None, 'voyage': '123W', 'date': '2024-06-11 09:30', 'departure': 'CNSHA', 'next_port': 'JPNGO', 'ports': ['CNSHA', 'JPNGO', 'KRPUS', 'JPTYO', 'USLAX'], 'containers': 36, 'segments': 298, 'declared_segments': 298, 'complete': True}]"
# The D.13B one: the vessel name with release characters, the IMO number.
e=$(edi baplie-d13b-smdg31.edi)
expect_json "$e['headline'] == \"BAPLIE · O'HARA+SONS: GLORY · voyage 0042E · 42 containers\""
expect_json "($e['messages'][0]['imo'], $e['messages'][0]['association'], $e['syntax']) == ('9876543', 'SMDG31', 'UNOC')"
expect_json "$(edi vermas-group-unoy.edi)['messages'][0]['vessel'] == 'SAKURA MARU 桜丸'"
expect_json "$(edi broken-unt-count.edi)['problem']['text_ja'] == 'ベイプランのセグメント数が合いません：UNTでは299、実際は298'"

# The details disagree with every bay plan and the stowage instruction (not the COPRAR
# or the VERMAS): voyage everywhere, vessel and IMO number with the D.13B bay plan.
expect_json "sorted((m['path'], m['field'], m['in_file'], m['entered']) for m in j['edifact_mismatch']) == sorted([
    ('plans/baplie-d13b-smdg31.edi', 'imo', '9876543', '9321483'),
    ('plans/baplie-d13b-smdg31.edi', 'vessel', \"O'HARA+SONS: GLORY\", 'MSC AURORA'),
    ('plans/baplie-d13b-smdg31.edi', 'voyage', '0042E', '124E'),
    ('plans/baplie-d95b-smdg22.edi', 'voyage', '123W', '124E'),
    ('plans/broken-cut.edi', 'voyage', '123W', '124E'),
    ('plans/broken-unt-count.edi', 'voyage', '123W', '124E'),
    ('plans/broken-unz-count.edi', 'voyage', '123W', '124E'),
    ('plans/movins-d95b.edi', 'voyage', '123W', '124E')])"
expect_json "[m['text'] for m in j['edifact_mismatch'] if m['path'] == 'plans/baplie-d95b-smdg22.edi'] == ['this bay plan is for voyage 123W; you entered 124E']"
expect_common

# MANIFEST.json says the same as --json.
SESSION=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["session"])' "$SCAN_JSON")
python3 - "$SCAN_JSON" "$STAGING/$SESSION/MANIFEST.json" <<'EOF' || fail "MANIFEST.json and --json disagree on EDIFACT"
import json, sys
j, m = (json.load(open(p)) for p in sys.argv[1:3])
ej = {f["path"]: f.get("edifact") for f in j["files"]}
em = {f["path"]: f.get("edifact") for f in m["files"]}
assert ej == em, (ej, em)
assert j["edifact_mismatch"] == m["edifact_mismatch"]
assert sum(1 for v in em.values() if v) == 11
EOF
# The audit log: one edifact-mismatch record with the same list, the summary in the file
# records.
python3 - "$AUDIT" "$SCAN_JSON" <<'EOF' || fail "audit log"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
j = json.load(open(sys.argv[2]))
mm = [r for r in recs if r.get("type") == "edifact-mismatch"]
assert len(mm) == 1 and mm[0]["session"] == j["session"], mm
assert mm[0]["mismatches"] == j["edifact_mismatch"]
files = {r["path"]: r for r in recs if r.get("type") == "file"}
assert files["plans/broken-cut.edi"]["edifact"]["problem"]["code"] == "cut-in-segment"
EOF

# The receipt and the A4 report, both languages.
"$KIOSK" report "$SESSION" --work-dir "$WORK" --format receipt --lang both -o "$T/receipt.pdf" > /dev/null ||
    fail "kiosk report --format receipt"
expect_pdf_flat "$T/receipt.pdf" "船舶メッセージ（EDIFACT）" "Shipping messages (EDIFACT)" \
    "BAPLIE · MSC AURORA · voyage 123W · 36 containers" "BAPLIE · MSC AURORA · 航海番号 123W · コンテナ 36個" \
    "bay plan says it has 299 segments (UNT) but has 298" "ベイプランのセグメント数が合いません" \
    "this bay plan is for voyage 123W; you entered 124E" "申告内容とファイルの内容が一致しません"
"$KIOSK" report "$SESSION" --work-dir "$WORK" --format a4 --lang en -o "$T/a4.pdf" > /dev/null ||
    fail "kiosk report --format a4"
expect_pdf_flat "$T/a4.pdf" "Shipping messages (EDIFACT)" "MOVINS · MSC AURORA · voyage 123W · 8 containers" \
    "Warning: the interchange says it holds 2 messages (UNZ) but holds 1" \
    "this stowage instruction is for voyage 123W; you entered 124E"
grep -q "ベイプラン" "$T/a4.pdf.flat" && fail "the English report has Japanese text"

# ---- block ------------------------------------------------------------------------------
rm -rf "$STAGING" "$RUNDIR"
policy_with check block
run_scan "$src" --work-dir "$WORK"
expect_rc 1
for f in $GOOD; do expect_verdict "plans/$f.edi" clean; done
for b in "${BROKEN[@]}"; do
    IFS='|' read -r f code text <<< "$b"
    expect_verdict "plans/$f" blocked "$text"
done
expect_verdict list.csv clean
expect_json "'edifact_mismatch' not in j"
expect_common

# ---- off --------------------------------------------------------------------------------
rm -rf "$STAGING" "$RUNDIR"
policy_with check off
run_scan "$src" --work-dir "$WORK"
expect_rc 0
expect_json "not any('edifact' in f for f in files)"
expect_common
pass

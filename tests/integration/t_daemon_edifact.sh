#!/usr/bin/env bash
# t_daemon_edifact.sh - the service (real systemd-udevd, testing mode) with a loop-device
# stick holding a bay plan, a stowage instruction, a bay plan cut off in a segment and a
# COPRAR, after the screen sent session details for voyage 124E (docs/edifact.md):
#   - the edifact-mismatch event comes between delivering and done, with each difference
#     in English and Japanese (the COPRAR is not compared);
#   - done lists the EDIFACT files (headline, the cut bay plan's problem) and repeats the
#     mismatches; the cut bay plan is delivered (check=warn);
#   - the audit log has an edifact-mismatch record with the same list, written before the
#     session ended; the published MANIFEST.json carries it too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"

WORK=${WORKDIR:-$T/work}
DATA=$ROOT/tests/data/edifact
start_udevd
start_daemon --work-dir "$WORK"
start_watch
wait_event status 1 5

out=$("$KIOSK" watch --socket "$SOCK" --json --until reply \
      --send '{"cmd":"details","vessel":"MSC AURORA","imo":"9321483","voyage":"124E"}')
echo "$out" | grep -q '"cmd":"details","ok":true' || dfail "details not accepted: $out"

src=$T/src; mkdir -p "$src/voyage-124E"
cp "$DATA/baplie-d95b-smdg22.edi" "$src/voyage-124E/bayplan-aurora.edi"
cp "$DATA/movins-d95b.edi" "$src/voyage-124E/movins-aurora.edi"
cp "$DATA/broken-cut.edi" "$src/voyage-124E/bayplan-partial.edi"
cp "$DATA/coprar-d00b.edi" "$src/voyage-124E/coprar-loading.edi"
build_fat "$IMGDIR/stick.img" 16 16 "$src" VOY124E
attach "$IMGDIR/stick.img"
wait_event remove-media 1 60
sid=$(event_session detected 1)
[ -n "$sid" ] || dfail "no session id"
# (publication events of the hand-off come and go on their own time: not counted here)
session_order() { session_types "$1" | tr ' ' '\n' | grep -vx publication | tr '\n' ' ' | sed 's/ $//'; }
# Published: the delivery folder with its manifest is on the share.
wait_published() {
    for _ in $(seq 600); do
        grep "^{\"type\":\"publication\",\"session\":\"$1\"" "$EVENTS" | grep -q '"state":"published"' && return 0
        sleep 0.1
    done
    dfail "session $1 was not published"
}
types=$(session_order "$sid")
log "events of $sid: $types"
[ "$types" = "detected checking scanning delivering edifact-mismatch done remove-media" ] ||
    dfail "event order: $types"
wait_published "$sid"

python3 - "$EVENTS" "$sid" "$AUDIT" "$STAGING/$sid/MANIFEST.json" <<'EOF' || dfail "EDIFACT events, audit record or manifest"
import json, sys
events, sid, audit, manifest = sys.argv[1:5]
ev = [json.loads(l) for l in open(events)]
mm = [e for e in ev if e["type"] == "edifact-mismatch" and e["session"] == sid]
assert len(mm) == 1, mm
got = sorted((m["path"], m["type"], m["field"], m["in_file"], m["entered"], m["text"])
             for m in mm[0]["mismatches"])
want = sorted([
    ("voyage-124E/bayplan-aurora.edi", "BAPLIE", "voyage", "123W", "124E",
     "this bay plan is for voyage 123W; you entered 124E"),
    ("voyage-124E/bayplan-partial.edi", "BAPLIE", "voyage", "123W", "124E",
     "this bay plan is for voyage 123W; you entered 124E"),
    ("voyage-124E/movins-aurora.edi", "MOVINS", "voyage", "123W", "124E",
     "this stowage instruction is for voyage 123W; you entered 124E")])
assert got == want, got
ja = [m["text_ja"] for m in mm[0]["mismatches"] if m["path"] == "voyage-124E/bayplan-aurora.edi"]
assert ja == ["このベイプランは航海番号「123W」のものです（入力された航海番号：「124E」）"], ja

done = [e for e in ev if e["type"] == "done" and e["session"] == sid][0]
assert done["status"] == "delivered", done["status"]
assert done["edifact_mismatch"] == mm[0]["mismatches"]
edi = {e["path"]: e for e in done["edifact"]}
assert sorted(edi) == ["voyage-124E/bayplan-aurora.edi", "voyage-124E/bayplan-partial.edi",
                       "voyage-124E/coprar-loading.edi", "voyage-124E/movins-aurora.edi"], sorted(edi)
b = edi["voyage-124E/bayplan-aurora.edi"]
assert (b["status"], b["type"], b["vessel"], b["voyage"], b["containers"], b["delivered"]) == \
    ("ok", "BAPLIE", "MSC AURORA", "123W", 36, True), b
assert b["headline"] == "BAPLIE · MSC AURORA · voyage 123W · 36 containers", b
assert "problem" not in b
p = edi["voyage-124E/bayplan-partial.edi"]
assert p["status"] == "malformed" and p["delivered"] is True, p
assert p["problem"] == "bay plan is cut off in the middle of segment 185 (EQD), after 184 complete segments", p
assert p["problem_ja"].startswith("ベイプランが途中で切れています"), p

# The audit record: before the end of the session, the same list.
recs = [json.loads(l) for l in open(audit)]
types = [r["type"] for r in recs if r.get("session") == sid]
assert "edifact-mismatch" in types and types.index("edifact-mismatch") < types.index("session-end"), types
rec = [r for r in recs if r["type"] == "edifact-mismatch" and r["session"] == sid][0]
assert rec["mismatches"] == mm[0]["mismatches"], rec
assert rec.get("testing_mode") is True

m = json.load(open(manifest))
assert m["edifact_mismatch"] == mm[0]["mismatches"]
assert m["details"]["voyage"] == "124E"
EOF
"$KIOSK" audit verify "$AUDIT" > "$T/verify.out" 2>&1 || { cat "$T/verify.out"; dfail "audit log does not verify"; }

# Details are used once: the next stick has none, so nothing is compared.
detach "$LOOP"
wait_event idle 1 20
attach "$IMGDIR/stick.img"
wait_event remove-media 2 60
sid2=$(event_session detected 2)
[ "$(session_order "$sid2")" = "detected checking scanning delivering done remove-media" ] ||
    dfail "second session: $(session_order "$sid2")"
grep -q "\"type\":\"edifact-mismatch\",\"session\":\"$sid2\"" "$AUDIT" && dfail "mismatch without details"
detach "$LOOP"
wait_event idle 2 20
expect_no_leftovers
pass

#!/usr/bin/env bash
# t_journald_fields.sh - on a machine with journald (a kiosk under systemd), the kiosk
# logs natively: a private systemd-journald (volatile storage, its own /run, a private
# mount namespace) receives the records of a `kiosk scan` session and of the service.
# Asserted: each audit record is one journal entry with SYSLOG_IDENTIFIER=kiosk,
# MESSAGE_ID (one per record type), KIOSK_EVENT, SESSION, KIOSK_SEQ and PRIORITY by
# event; testing mode is KIOSK_TESTING_MODE=1, never in the identifier; the service run
# with its stderr connected to the journal (as systemd runs it: JOURNAL_STREAM) writes
# each line once, not once natively and once more through stderr.
if [ -z "${KIOSK_JOURNAL_NS:-}" ]; then
    exec unshare -m --propagation private env KIOSK_JOURNAL_NS=1 bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

JD=/lib/systemd/systemd-journald
[ -x "$JD" ] || fail "systemd-journald is missing (make deps: systemd)"
command -v systemd-cat >/dev/null || fail "systemd-cat is missing"
JPID= DPID=
_journal_cleanup() {
    [ -n "$DPID" ] && kill "$DPID" 2>/dev/null || true
    [ -n "$JPID" ] && kill "$JPID" 2>/dev/null || true
    return 0
}
trap '_jrc=$?; _journal_cleanup; (exit $_jrc); _cleanup' EXIT

# A private /run (journald's sockets and its volatile journal) and journald.conf.
mount -t tmpfs -o mode=0755 tmpfs /run || fail "tmpfs on /run"
mkdir -p /run/systemd/journal "$T/jconf"
printf '[Journal]\nStorage=volatile\nReadKMsg=no\nForwardToSyslog=no\nForwardToWall=no\nRateLimitBurst=0\n' \
    > "$T/jconf/journald.conf"
mount --bind "$T/jconf/journald.conf" /etc/systemd/journald.conf || fail "journald.conf"
"$JD" > "$T/journald.out" 2>&1 &
JPID=$!
for _ in $(seq 100); do [ -S /run/systemd/journal/socket ] && [ -S /run/systemd/journal/stdout ] && break; sleep 0.05; done
[ -S /run/systemd/journal/socket ] || { cat "$T/journald.out"; fail "systemd-journald did not start"; }

# 1. a session: clean files and EICAR
mkdir -p "$T/src"; make_csv "$T/src/list.csv"; make_pdf "$T/src/plan.pdf"; make_eicar "$T/src/eicar.com"
"$KIOSK" scan --policy "$POLICY" --signatures "$SIGS" --staging "$STAGING" --audit-log "$AUDIT" \
    --run-dir "$RUNDIR" --work-dir "$T/work" --signing-key "$T/signing.key" "$T/src" > "$T/scan.out" 2>&1 && rc=0 || rc=$?
[ "$rc" = 1 ] || { cat "$T/scan.out"; fail "kiosk scan: exit $rc, expected 1"; }
# 2. the service in testing mode, out of service (no signatures), its stderr the journal
mkdir -p "$T/nosigs" "$T/img"
systemd-cat -t kiosk-stderr -- sh -c 'JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec "$@"' sh \
    "$KIOSK" daemon --policy "$POLICY" --signatures "$T/nosigs" --staging "$STAGING" \
    --audit-log "$AUDIT" --run-dir "$RUNDIR" --socket "$RUNDIR/kiosk.sock" \
    --work-dir "$T/work" --signing-key "$T/signing.key" \
    --accept-loop-devices --loop-backing-dir "$T/img" &
DPID=$!
for _ in $(seq 200); do grep -q '"type":"out-of-service"' "$AUDIT" 2>/dev/null && break; sleep 0.05; done
grep -q '"type":"out-of-service"' "$AUDIT" || fail "the service did not go out of service"
kill "$DPID"; wait "$DPID" 2>/dev/null || true; DPID=
"$KIOSK" audit verify "$AUDIT" >/dev/null || fail "audit log"

n=$(wc -l < "$AUDIT")
for _ in $(seq 200); do
    [ "$(journalctl -D /run/log/journal -o json --no-pager 2>/dev/null | grep -c '"KIOSK_EVENT"' || true)" -ge "$n" ] && break
    sleep 0.05
done
journalctl -D /run/log/journal -o json --no-pager > "$T/journal.json" 2>/dev/null || fail "journalctl"
python3 - "$AUDIT" "$T/journal.json" <<'EOF' || fail "journal entries"
import hashlib, json, sys
audit = [json.loads(l) for l in open(sys.argv[1])]
entries = [json.loads(l) for l in open(sys.argv[2])]
mine = [e for e in entries if e.get("SYSLOG_IDENTIFIER", "").startswith("kiosk")]
for e in mine:
    if e["SYSLOG_IDENTIFIER"] not in ("kiosk", "kiosk-stderr"):
        sys.exit("identifier %r" % e["SYSLOG_IDENTIFIER"])
    if e.get("SYSLOG_FACILITY") not in (None, "3") and e["SYSLOG_IDENTIFIER"] == "kiosk":
        sys.exit("facility %r" % e.get("SYSLOG_FACILITY"))
records, heads = {}, []
for e in mine:
    if e.get("KIOSK_EVENT") == "audit-head":
        heads.append(e)  # the chain's head at a session end, a line of its own
    elif "KIOSK_EVENT" in e:
        r = json.loads(e["MESSAGE"])
        if r["seq"] in records:
            sys.exit("record %d twice in the journal" % r["seq"])
        records[r["seq"]] = (e, r)
def expected(r):
    t = r["type"]
    if t == "file":
        return {"clean": 6, "infected": 4}[r["verdict"]]
    if t == "session-end":
        return 4 if r["infected"] else 6
    if t == "publication":
        return 4 if r["state"] == "failed" else 6
    return {"session-start": 6, "media": 6, "out-of-service": 3, "service-stop": 5,
            "signing-key-created": 5, "checkpoint": 6, "staging-refused": 3}[t]
for r in audit:
    if r["seq"] not in records:
        sys.exit("record %d (%s) not in the journal" % (r["seq"], r["type"]))
    e, fwd = records[r["seq"]]
    want = {"SYSLOG_IDENTIFIER": "kiosk", "KIOSK_EVENT": r["type"], "KIOSK_SEQ": str(r["seq"]),
            "PRIORITY": str(expected(r)),
            "MESSAGE_ID": hashlib.sha256(("kiosk-audit:" + r["type"]).encode()).hexdigest()[:32]}
    if r.get("session"):
        want["SESSION"] = r["session"]
    if r.get("testing_mode"):
        want["KIOSK_TESTING_MODE"] = "1"
    bad = {k: (e.get(k), v) for k, v in want.items() if e.get(k) != v}
    if bad or fwd != r:
        sys.exit("record %d (%s): %s" % (r["seq"], r["type"], bad or "message differs"))
    if not r.get("session") and "SESSION" in e:
        sys.exit("SESSION on a record without one")
sessions = {r["session"] for r in audit if r["type"] == "session-end"}
if not heads or {e.get("SESSION") for e in heads} != sessions or \
        any(e["PRIORITY"] != "5" or not e["MESSAGE"].startswith("audit head: record ") for e in heads):
    sys.exit("audit head lines: %r" % [(e.get("SESSION"), e["PRIORITY"], e["MESSAGE"]) for e in heads])
# The service's own lines: each once, natively (none through its stderr stream).
lines = [e["MESSAGE"] for e in mine if "KIOSK_EVENT" not in e]
stream = [e for e in mine if e["SYSLOG_IDENTIFIER"] == "kiosk-stderr"]
if stream:
    sys.exit("lines came through stderr too (duplicates): %r" % [e["MESSAGE"] for e in stream][:3])
oos = [l for l in lines if "OUT OF SERVICE" in l]
if len(oos) != 1:
    sys.exit("the OUT OF SERVICE line is in the journal %d times" % len(oos))
tm = [e for e in mine if "KIOSK_EVENT" not in e and e.get("KIOSK_TESTING_MODE") == "1"]
if not tm or any("TESTING" in e["SYSLOG_IDENTIFIER"] for e in mine):
    sys.exit("testing mode is not a field of the service's lines")
print("%d records, %d other lines, fields and priorities as expected" % (len(records), len(lines)))
EOF
pass

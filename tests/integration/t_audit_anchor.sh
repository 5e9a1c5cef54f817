#!/usr/bin/env bash
# t_audit_anchor.sh - the audit log's chain is anchored outside the file, so a cut tail
# is caught; a torn last line is recovered, not fatal; the changed record is blamed:
#  - every session end appends a "checkpoint" signed with the kiosk's key over the head
#    (seq + SHA-256 of the session-end record), sends the head to syslog, saves it in
#    the root-only admin state, and `kiosk scan --json` says "audit": {seq, hash};
#  - `kiosk audit verify` checks the saved head (the configured log), `--head SEQ:HASH`
#    and, with the public key, every checkpoint's signature (an exported copy, offline);
#  - dropping the last records: verify fails against the saved head and --head;
#  - editing record 3 is blamed on line 3;
#  - a torn write at the end: verify notes it, the next writer records a "recovery"
#    naming it, verify then passes and reports it;
#  - `kiosk status` shows the head.
. "$(dirname "$0")/lib.sh"

"$KIOSK" keygen --out-dir "$T/keys" > /dev/null || fail "keygen"
CONF=$T/kiosk.conf
cat > "$CONF" <<EOC
[paths]
signing-key=$T/keys/signing.key
public-key=$T/keys/signing.pub
admin-state=$T/state/admin.state
audit-log=$AUDIT
staging=$STAGING
work-dir=$T/work
socket=$T/no-such.sock
EOC
src=$T/src; mkdir -p "$src/plans"
make_edi "$src/plans/baplie.edi"; make_csv "$src/list.csv"; make_eicar "$src/eicar.com"

# The head goes to syslog: the kiosk runs with /dev/log pointing at our listener (a
# private mount namespace with an overlay on /dev; nothing of the machine's changes).
SYSLOG=$T/syslog.txt
python3 - "$T/syslog.sock" "$SYSLOG" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536).rstrip(b"\n") + b"\n")
PY
LISTENER=$!
trap '_rc=$?; kill $LISTENER 2>/dev/null; (exit $_rc); _cleanup' EXIT
for _ in $(seq 100); do [ -S "$T/syslog.sock" ] && break; sleep 0.1; done
mkdir -p "$T/devup" "$T/devwork"
cat > "$T/kiosk-ns" <<EOS
#!/bin/sh
mount -t overlay overlay -o lowerdir=/dev,upperdir=$T/devup,workdir=$T/devwork /dev || exit 99
rm -f /dev/log; ln -s $T/syslog.sock /dev/log || exit 99
exec "$KIOSK" "\$@"
EOS
chmod +x "$T/kiosk-ns"
scan() {  # one kiosk scan of $src with the config, in the namespace; JSON in $SCAN_JSON
    set +e
    unshare -m --propagation private "$T/kiosk-ns" scan --config "$CONF" --policy "$POLICY" \
        --signatures "$SIGS" --run-dir "$RUNDIR" --json "$src" > "$SCAN_JSON" 2> "$SCAN_ERR"
    SCAN_RC=$?
    set -e
    [ "$SCAN_RC" = 1 ] || fail "kiosk scan exit $SCAN_RC"
}
line_sha() { sed -n "${2}p" "$1" | tr -d '\n' | sha256sum | cut -d' ' -f1; }
verify() {  # verify ARGS...: kiosk audit verify -> VRC, output in $T/v.out
    set +e; "$KIOSK" audit verify "$@" > "$T/v.out" 2>&1; VRC=$?; set -e
}
expect_vrc() { [ "$VRC" = "$1" ] || { cat "$T/v.out"; fail "audit verify exit $VRC, expected $1 ($2)"; }; }
expect_out() { grep -qF -- "$1" "$T/v.out" || { cat "$T/v.out"; fail "audit verify does not say: $1"; }; }

mkdir -p "$STAGING" "$RUNDIR"
scan
scan
SEQ=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["audit"]["seq"])' "$SCAN_JSON")
HASH=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["audit"]["hash"])' "$SCAN_JSON")
SESSION=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["session"])' "$SCAN_JSON")
N=$(wc -l < "$AUDIT")
# Records after it (the publication) may follow: the head is the session's checkpoint.
[ "$HASH" = "$(line_sha "$AUDIT" "$SEQ")" ] || fail "--json audit.hash is not record $SEQ's SHA-256"
python3 - "$AUDIT" "$SESSION" "$SEQ" <<'PY' || fail "checkpoint records"
import json, hashlib, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
recs = [json.loads(l) for l in lines]
assert all(r["seq"] == i + 1 for i, r in enumerate(recs))
cps = [r for r in recs if r["type"] == "checkpoint"]
assert len(cps) == 2, [r["type"] for r in recs]
seq = int(sys.argv[3])
cp, end = recs[seq - 1], recs[seq - 2]
assert cp["type"] == "checkpoint" and cp["session"] == sys.argv[2], cp
assert end["type"] == "session-end" and end["session"] == sys.argv[2], end
assert cp["covers_seq"] == end["seq"], cp
assert cp["covers_sha256"] == hashlib.sha256(lines[seq - 2]).hexdigest() == cp["prev"], cp
assert len(cp["key_id"]) == 16 and len(cp["signature"]) > 80, cp
PY
grep -q "^head-seq=$SEQ\$" "$T/state/admin.state" || fail "admin state: $(cat "$T/state/admin.state")"
grep -q "^head-sha256=$HASH\$" "$T/state/admin.state" || fail "admin state hash"
[ "$(stat -c %a "$T/state/admin.state")" = 600 ] || fail "admin state mode"
grep -q "kiosk.*audit head: record $SEQ sha256 $HASH session $SESSION" "$SYSLOG" ||
    { cat "$SYSLOG"; fail "the head is not in syslog"; }

# The log as it is: intact, the saved head present, the checkpoints verified.
verify "$AUDIT" --config "$CONF"
expect_vrc 0 "intact log"; expect_out "saved head: record $SEQ present and unchanged"
expect_out "2 checkpoints, all signed by key"
verify "$AUDIT" --config "$CONF" --head "$SEQ:$HASH"
expect_vrc 0 "--head of an intact log"; expect_out "record $SEQ present and unchanged"
# An exported copy, checked offline with only the public key.
mkdir -p "$T/export"; cp "$AUDIT" "$T/export/audit.jsonl"
verify "$T/export/audit.jsonl" --pubkey "$T/keys/signing.pub"
expect_vrc 0 "exported copy"; expect_out "2 checkpoints, all signed by key"
expect_out "the last at record $SEQ"

# `kiosk status` shows the head.
"$KIOSK" status --config "$CONF" --json > "$T/status.json" 2>/dev/null || true
python3 - "$T/status.json" "$SEQ" "$HASH" "$N" "$(line_sha "$AUDIT" "$N")" <<'PY' || { cat "$T/status.json"; fail "kiosk status audit head"; }
import json, sys
a = json.load(open(sys.argv[1]))["audit"]
assert a["head_seq"] == int(sys.argv[4]) and a["head_sha256"] == sys.argv[5], a
assert a["saved_seq"] == int(sys.argv[2]) and a["saved_sha256"] == sys.argv[3], a
PY

# A cut tail: everything from the session's checkpoint on gone (a perfect chain still).
cp "$AUDIT" "$T/full.jsonl"
head -n $((SEQ - 1)) "$T/full.jsonl" > "$AUDIT"
verify "$AUDIT" --config "$CONF" --head "$SEQ:$HASH"
expect_vrc 1 "cut tail with --head"; expect_out "before record $SEQ"
verify "$AUDIT" --config "$CONF"
expect_vrc 1 "cut tail against the saved head"; expect_out "saved head"
verify "$T/full.jsonl" --config "$CONF" --head "$SEQ:$(printf '%064d' 0)"
expect_vrc 1 "a --head that is not the record"; expect_out "record $SEQ"
cp "$T/full.jsonl" "$AUDIT"

# Record 3 changed: blamed on line 3, not 4.
cp "$T/full.jsonl" "$T/edited.jsonl"
python3 - "$T/edited.jsonl" <<'PY'
import sys
p = sys.argv[1]; lines = open(p, "rb").read().split(b"\n")
assert b'"size":' in lines[2], lines[2]
lines[2] = lines[2].replace(b'"size":', b'"size":1', 1)
open(p, "wb").write(b"\n".join(lines))
PY
verify "$T/edited.jsonl" --config "$CONF"
expect_vrc 1 "edited record 3"; expect_out "line 3:"

# A checkpoint whose signature was changed: caught with the public key.
cp "$T/full.jsonl" "$T/forged.jsonl"
python3 - "$T/forged.jsonl" "$SEQ" <<'PY'
import json, sys
p = sys.argv[1]; lines = open(p).read().split("\n"); i = int(sys.argv[2]) - 1
r = json.loads(lines[i]); s = r["signature"]
r["signature"] = ("A" if s[0] != "A" else "B") + s[1:]
lines[i] = json.dumps(r, separators=(",", ":"))
open(p, "w").write("\n".join(lines))
PY
verify "$T/forged.jsonl" --pubkey "$T/keys/signing.pub"
expect_vrc 1 "forged checkpoint"; expect_out "line $SEQ: checkpoint signature does not verify"

# A torn write at the end (power cut, full disk): noted, not fatal; the next session
# records a recovery naming it; verify then passes and reports it.
printf '{"seq":%d,"time":"2026-12-05T01:02:03.0' $((N + 1)) >> "$AUDIT"
verify "$AUDIT" --config "$CONF"
expect_vrc 0 "torn last line"; expect_out "incomplete"
TORN_SHA=$(tail -c +"$(( $(wc -c < "$T/full.jsonl") + 1 ))" "$AUDIT" | sha256sum | cut -d' ' -f1)
scan
python3 - "$AUDIT" "$N" "$TORN_SHA" <<'PY' || fail "recovery record"
import json, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
n = int(sys.argv[2])
rec = json.loads(lines[n + 1])
assert rec["type"] == "recovery", rec
assert rec["torn_sha256"] == sys.argv[3] == rec["prev"], rec
assert rec["seq"] == n + 1, rec
PY
verify "$AUDIT" --config "$CONF"
expect_vrc 0 "recovered log"; expect_out "recovered by record $((N + 1))"
pass

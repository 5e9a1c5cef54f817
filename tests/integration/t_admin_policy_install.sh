#!/usr/bin/env bash
# t_admin_policy_install.sh - signed policy updates with keys made by `minisign -G -W` and
# policies signed by `minisign -S` at test time: a good update installs (and the running
# service reloads it); a tampered byte, an unknown key, a rollback, an invalid policy, a
# missing signature and a key folder writable by others are each refused with their
# reason; a policy not above the highest version ever installed is refused even when the
# installed file is broken or gone (rollback floor in the admin state); the audit log has every attempt (old/new version, key id, SHA-256) and verifies.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
. "$(dirname "$0")/admin-lib.sh"

write_admin_config
make_admin_keys
keyid=$(python3 - "$T/admin-keys/admin.pub" <<'PY'
import base64, struct, sys
raw = base64.b64decode(open(sys.argv[1]).read().splitlines()[1])
print("%016X" % struct.unpack("<Q", raw[2:10])[0])
PY
)
LIVE=$T/policy.conf
cp "$POLICY" "$LIVE"; SCAN_POLICY=$LIVE
with_version() { sed "s/^version=.*/version=$2/" "$POLICY" > "$1"; }
sign() { minisign -S -s "$T/ws/${2:-admin}.key" -m "$1" >/dev/null || fail "minisign -S $1"; }
install() {
    "$KIOSK" policy install --config "$T/kiosk.conf" --policy "$LIVE" --audit-log "$AUDIT" \
        --socket "$SOCK" "$@" >"$T/out" 2>"$T/err"
}
expect_refused() { # CODE TEXT FILE SIG
    local code=$1 text=$2; shift 2
    if install "$@"; then cat "$T/out"; fail "installed although $code"; fi
    grep -q "REFUSED ($code)" "$T/err" || { cat "$T/err"; fail "no refusal reason $code"; }
    grep -qi -- "$text" "$T/err" || { cat "$T/err"; fail "refusal text for $code lacks '$text'"; }
    cmp -s "$LIVE" "$prev" || fail "the policy changed although $code"
    log "refused ($code): $(grep REFUSED "$T/err")"
}

start_udevd
start_daemon --config "$T/kiosk.conf"
start_watch

# 1. a good update: installed, and the service reloads it.
with_version "$T/ws/p2.conf" 2; sign "$T/ws/p2.conf"
install "$T/ws/p2.conf" "$T/ws/p2.conf.minisig" || { cat "$T/err"; fail "good policy refused"; }
grep -q "version 2 installed" "$T/out" || fail "install output: $(cat "$T/out")"
cmp -s "$LIVE" "$T/ws/p2.conf" || fail "installed bytes differ"
[ -z "$(ls -A "$T" | grep '^\.policy.conf.install')" ] || fail "temporary file left"
for _ in $(seq 100); do grep -q '"type":"reload".*"policy_version":2' "$AUDIT" && break; sleep 0.1; done
grep -q '"type":"reload".*"policy_version":2' "$AUDIT" || dfail "the service did not reload the policy"
prev=$T/prev.conf; cp "$LIVE" "$prev"

# 2. refusals, each with its reason; the installed policy stays.
with_version "$T/ws/p3.conf" 3; sign "$T/ws/p3.conf"
cp "$T/ws/p3.conf" "$T/ws/t3.conf"; cp "$T/ws/p3.conf.minisig" "$T/ws/t3.conf.minisig"
python3 - "$T/ws/t3.conf" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read())
i = b.index(b"max_file_size") if b"max_file_size" in b else len(b) // 2
b[i] ^= 0x01
open(p, "wb").write(bytes(b))
PY
expect_refused bad-signature "does not match" "$T/ws/t3.conf" "$T/ws/t3.conf.minisig"
cp "$T/ws/p3.conf" "$T/ws/u3.conf"; sign "$T/ws/u3.conf" stranger
expect_refused unknown-key "not a trusted administrator key" "$T/ws/u3.conf" "$T/ws/u3.conf.minisig"
with_version "$T/ws/p1.conf" 1; sign "$T/ws/p1.conf"
expect_refused rollback "not higher than the installed version 2" "$T/ws/p1.conf" "$T/ws/p1.conf.minisig"
with_version "$T/ws/p2b.conf" 2; echo "# same version, other bytes" >> "$T/ws/p2b.conf"; sign "$T/ws/p2b.conf"
expect_refused rollback "rollback" "$T/ws/p2b.conf" "$T/ws/p2b.conf.minisig"
with_version "$T/ws/bad.conf" 4; printf '\n[limits]\nmax_files=lots\n' >> "$T/ws/bad.conf"; sign "$T/ws/bad.conf"
expect_refused invalid-policy "not valid" "$T/ws/bad.conf" "$T/ws/bad.conf.minisig"
grep -q "bad.conf:[0-9]*:" "$T/err" || { cat "$T/err"; fail "invalid policy: no line numbers"; }
expect_refused unsigned "not signed" "$T/ws/p3.conf" "$T/ws/missing.minisig"
chmod g+w "$T/admin-keys"
expect_refused untrusted-keys "writable by nobody else" "$T/ws/p3.conf" "$T/ws/p3.conf.minisig"
chmod g-w "$T/admin-keys"

# 3. the good one after all that.
install "$T/ws/p3.conf" "$T/ws/p3.conf.minisig" || { cat "$T/err"; fail "p3 refused"; }
for _ in $(seq 100); do grep -q '"type":"reload".*"policy_version":3' "$AUDIT" && break; sleep 0.1; done
grep -q '"type":"reload".*"policy_version":3' "$AUDIT" || dfail "the service did not reload version 3"

# 4. the rollback floor: the highest version ever installed is kept in the admin state, so
#    a missing or broken policy (the very case the administrator's stick is for) does not
#    let an older signed policy back in.
with_version "$T/ws/p5.conf" 5; sign "$T/ws/p5.conf"
install "$T/ws/p5.conf" "$T/ws/p5.conf.minisig" || { cat "$T/err"; fail "p5 refused"; }
printf 'this is not a policy\n' > "$LIVE"; prev=$T/prev.conf; cp "$LIVE" "$prev"
with_version "$T/ws/p2c.conf" 2; echo "# signed long ago" >> "$T/ws/p2c.conf"; sign "$T/ws/p2c.conf"
expect_refused rollback "not higher than version 5" "$T/ws/p2c.conf" "$T/ws/p2c.conf.minisig"
rm -f "$LIVE"
if install "$T/ws/p2c.conf" "$T/ws/p2c.conf.minisig"; then fail "v2 installed over a missing policy after v5"; fi
grep -q "REFUSED (rollback)" "$T/err" || { cat "$T/err"; fail "missing policy: no rollback refusal"; }
[ ! -e "$LIVE" ] || fail "a policy appeared although the install was refused"
grep -q '^policy-floor=5$' "$T/state/admin.state" || fail "admin state has no floor 5: $(cat "$T/state/admin.state")"
[ "$(stat -c %a "$T/state/admin.state")" = 600 ] || fail "admin state mode"
with_version "$T/ws/p6.conf" 6; sign "$T/ws/p6.conf"
install "$T/ws/p6.conf" "$T/ws/p6.conf.minisig" || { cat "$T/err"; fail "p6 refused"; }
for _ in $(seq 100); do grep -q '"type":"reload".*"policy_version":6' "$AUDIT" && break; sleep 0.1; done
grep -q '"type":"reload".*"policy_version":6' "$AUDIT" || dfail "the service did not reload version 6"

# the reload command: root only (we are root), answered.
r=$(sock_cmd '{"cmd":"reload"}')
echo "$r" | grep -q '"ok": true' || fail "reload command: $r"

stop_watch
stop_daemon
expect_audit_ok
python3 - "$AUDIT" "$keyid" <<'PY' || fail "audit records of the policy installs"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
inst = [r for r in recs if r["type"] == "policy-install"]
got = [r["result"] for r in inst]
want = ["installed", "bad-signature", "unknown-key", "rollback", "rollback", "invalid-policy",
        "unsigned", "untrusted-keys", "installed", "installed", "rollback", "rollback", "installed"]
assert got == want, got
first = inst[0]
assert first["old_version"] == 1 and first["new_version"] == 2, first
assert first["key_id"] == sys.argv[2], (first["key_id"], sys.argv[2])
assert len(first["sha256"]) == 64
assert all(r.get("sha256") for r in inst)
assert all(r.get("reason") for r in inst if not r["ok"])
assert inst[8]["old_version"] == 2 and inst[8]["new_version"] == 3
assert inst[10]["old_version"] is None and inst[10]["floor"] == 5, inst[10]
assert inst[-1]["new_version"] == 6 and inst[-1]["floor"] == 5
assert "problems" in inst[5]
PY
pass

#!/usr/bin/env bash
# t_handoff_errors.sh - a share that says no: a wrong password, a read-only share and a
# full share each leave the checked delivery queued in the outbox with a clear reason
# (exit 3), nothing half-published is visible, and nothing is lost: once the cause is
# fixed, `kiosk staging retry` publishes each exactly once, in order.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/smb-lib.sh"

start_smbd
GOOD=$T/good.conf BAD=$T/bad.conf
printf '[staging]\ncredentials=%s\n' "$SMB_CREDS" > "$GOOD"
printf 'username = %s\npassword = wrong-password\ndomain = WORKGROUP\n' "$SMB_USER" > "$T/bad.creds"
chmod 600 "$T/bad.creds"
printf '[staging]\ncredentials=%s\n' "$T/bad.creds" > "$BAD"

src=$T/src; mkdir -p "$src/lists"
make_edi "$src/lists/baplie.edi"; make_csv "$src/list.csv"
big=$T/bigsrc; mkdir -p "$big"; make_edi "$big/baplie.edi"; make_file_mb "$big/cargo.txt" 3
session_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["session"])' "$SCAN_JSON"; }
queued_because() {  # queued_because TEXT: exit 3, state failed, error contains TEXT
    expect_rc 3
    expect_json 'j["publication"]["state"] == "failed"'
    $CHECK expr "$SCAN_JSON" 'any(w in j["publication"]["error"] for w in '"$1"')' ||
        fail "the reason does not say $1: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["publication"]["error"])' "$SCAN_JSON")"
}

retry() {  # retry TARGET CONFIG: publish what waits, to TARGET; expect N published
    "$KIOSK" staging retry --config "$2" --target "$1" --work-dir "$WORKDIR" \
        --signing-key "$SIGNKEY" --audit-log "$AUDIT" --socket "$T/no.sock" > "$T/retry.out" 2>&1 ||
        { cat "$T/retry.out"; fail "retry after the fix failed"; }
    grep -q "^$3 published, 0 failed" "$T/retry.out" || { cat "$T/retry.out"; fail "expected $3 published"; }
}
published_once() {  # published_once SESSION: on the share once, complete
    [ -f "$SMB_SHARE/kiosk1/$1/MANIFEST.json" ] || fail "$1 is not on the share"
    (cd "$SMB_SHARE/kiosk1/$1" && sha256sum -c --quiet SHA256SUMS) || fail "$1 does not check out"
    [ "$(ls "$SMB_SHARE/kiosk1" | grep -c "^$1$")" = 1 ] || fail "$1 is there more than once"
}

# 1. A wrong password: queued with the reason; the next check waits behind it (in order)
#    and says so; the right password publishes both, the older first.
run_scan "$src" --config "$BAD" --target "$SMB_TARGET"
queued_because '["user name and password"]'
S1=$(session_of)
run_scan "$src" --config "$BAD" --target "$SMB_TARGET"
expect_rc 3
expect_json 'j["publication"]["state"] in ("queued", "failed")'
S1b=$(session_of)
"$KIOSK" staging list --json --work-dir "$WORKDIR" > "$T/list.json" || fail "staging list"
python3 - "$T/list.json" "$S1" "$S1b" <<'EOF2' || fail "the outbox does not hold both, in order, the first failed"
import json, sys
l = json.load(open(sys.argv[1]))
assert [e["session"] for e in l] == sys.argv[2:], [e["session"] for e in l]
assert l[0]["state"] == "failed" and "user name and password" in l[0]["error"], l[0]
assert l[0]["attempts"] >= 1 and l[0]["next_attempt"], l[0]
assert l[1]["state"] in ("queued", "failed"), l[1]
EOF2
retry "$SMB_TARGET" "$GOOD" 2
published_once "$S1"; published_once "$S1b"

# 2. A read-only share; then the writable one.
run_scan "$src" --config "$GOOD" --target "smb://127.0.0.1:$SMB_PORT/ro/kiosk1"
queued_because '["read-only", "refused"]'
S2=$(session_of)
retry "$SMB_TARGET" "$GOOD" 1
published_once "$S2"

# 3. A full share (2 MiB; the delivery holds 3 MiB): nothing half-done is visible there.
run_scan "$big" --config "$GOOD" --target "smb://127.0.0.1:$SMB_PORT/full/kiosk1"
queued_because '["full"]'
S3=$(session_of)
[ -z "$(find "$SMB_DIR/full" -mindepth 2 -maxdepth 2 -name "$S3")" ] ||
    fail "a partial delivery is visible on the full share: $(find "$SMB_DIR/full")"
retry "$SMB_TARGET" "$GOOD" 1
published_once "$S3"

# The audit log tells the story: each failure, then each publication, in order.
[ "$(grep -c '"type":"publication".*"state":"failed"' "$AUDIT")" -ge 3 ] || fail "failed publications not audited"
python3 - "$AUDIT" "$S1" "$S1b" "$S2" "$S3" <<'EOF2' || fail "publication records out of order"
import json, sys
pubs = [json.loads(l) for l in open(sys.argv[1]) if '"type":"publication"' in l]
done = [p["session"] for p in pubs if p["state"] == "published"]
assert done == sys.argv[2:], done
EOF2
[ "$(ls "$SMB_SHARE/kiosk1" | wc -l)" = 4 ] || fail "the share holds $(ls "$SMB_SHARE/kiosk1")"
expect_audit_ok
echo "PASS: $TEST_NAME"

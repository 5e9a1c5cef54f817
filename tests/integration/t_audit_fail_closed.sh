#!/usr/bin/env bash
# t_audit_fail_closed.sh - invariant 6, fail closed: when the audit log cannot take the
# record of what was inserted ("media"), of the session details that disagree with a bay
# plan ("edifact-mismatch", docs/edifact.md) or of the session's end ("session-end") - its
# disk full at that very moment (a FUSE folder that refuses that write with ENOSPC) -
# nothing is read further or delivered: exit 2, no session folder in the staging share,
# no outbox entry; the log that is there still verifies.
. "$(dirname "$0")/lib.sh"

FFS=$BUILD/tests/failing-fs
[ -x "$FFS" ] || fail "$FFS not built (make check builds it)"
src=$T/src; mkdir -p "$src/lists"
make_edi "$src/lists/baplie.edi"; make_csv "$src/list.csv"
# (the folder with the log is mounted beside $T: run_scan wants no mount under $T)
MNT=$(mktemp -d /tmp/kiosk-auditfs.XXXXXX)
FFS_PID=
_ffs_stop() {
    if [ -n "$FFS_PID" ]; then kill "$FFS_PID" 2>/dev/null || true; wait "$FFS_PID" 2>/dev/null || true; fi
    mountpoint -q "$MNT" && umount -l "$MNT" 2>/dev/null
    FFS_PID=
}
trap '_frc=$?; _ffs_stop; rm -rf "$MNT"; (exit $_frc); _cleanup' EXIT

for rec in media session-end edifact-mismatch; do
    back=$T/back-$rec; mkdir -p "$back"
    "$FFS" "$MNT" "$back" "\"type\":\"$rec\"" > "$T/ffs-$rec.log" 2>&1 &
    FFS_PID=$!
    for _ in $(seq 100); do mountpoint -q "$MNT" && break; sleep 0.05; done
    mountpoint -q "$MNT" || fail "failing-fs did not mount"
    rm -rf "$STAGING" "$WORKDIR"
    AUDIT=$MNT/audit.jsonl
    # (the bay plan of make_edi is for voyage 123W: these details make an edifact-mismatch)
    extra=(); [ "$rec" = edifact-mismatch ] && extra=(--details-json '{"voyage":"124E"}')
    run_scan "$src" "${extra[@]}"
    expect_rc 2
    expect_json 'j["status"] == "failed" and "audit log" in j["error"] and j["delivery"] is None'
    expect_nothing_published
    [ -z "$(find "$WORKDIR/outbox" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)" ] ||
        fail "$rec refused: something is left in the outbox: $(ls -A "$WORKDIR/outbox")"
    _ffs_stop
    AUDIT=$back/audit.jsonl
    grep -q "\"type\":\"$rec\"" "$AUDIT" && fail "the refused $rec record is in the log"
    expect_audit_ok
    log "$rec refused: nothing delivered, the log verifies"
done
pass

#!/usr/bin/env bash
# t_admin_sigdb_reload.sh - the signature database changes under a running service:
#  - `kiosk signatures install` refuses a forged .cvd (cl_cvdverify) and a database that
#    does not load, and replaces nothing;
#  - while a large image is being scanned, a new database (an .hdb with the hash of a file
#    that is clean under the old one) is installed: the service builds a new engine beside
#    the old one and swaps it; the running scan completes on the old engine (the file is
#    delivered); the next scan detects the new signature;
#  - a corrupt database dropped into the folder is refused ("signatures-refused"), the old
#    engine stays and still detects; the audit log verifies.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
. "$(dirname "$0")/admin-lib.sh"

write_admin_config
OURSIGS=$T/sigs; mkdir -p "$OURSIGS"; cp "$SIGS"/*.?db "$OURSIGS/"
SIGS=$OURSIGS
sigs_install() { "$KIOSK" signatures install --config "$T/kiosk.conf" --signatures "$SIGS" \
    --policy "$POLICY" --audit-log "$AUDIT" --socket "$SOCK" "$@" >"$T/out" 2>"$T/err"; }

# The marker: a CSV clean under the test database.
src=$T/big; mkdir -p "$src"
printf 'container,seal\r\nKIOSK0000001,MARKER-%s\r\n' "$$-$RANDOM" > "$T/marker.csv"
cp "$T/marker.csv" "$src/marker.csv"
for i in 1 2 3 4 5 6 7 8; do make_file_mb "$src/yard$i.csv" 50; done
build_fat "$IMGDIR/big.img" 480 32 "$src" BIG; rm -rf "$src"
mk_marker_image() { local d; d=$(mktemp -d "$T/m.XXXXXX"); cp "$T/marker.csv" "$d/"; make_csv "$d/list.csv"
    build_fat "$1" 20 16 "$d" MARK >/dev/null; rm -rf "$d"; }
mk_marker_image "$IMGDIR/m1.img"; mk_marker_image "$IMGDIR/m2.img"
echo "$(md5sum < "$T/marker.csv" | cut -d' ' -f1):$(stat -c %s "$T/marker.csv"):Kiosk.Test.Marker" > "$T/extra.hdb"

start_udevd
start_daemon --config "$T/kiosk.conf"
start_watch

# 1. refused installs replace nothing.
before=$(ls "$SIGS" | sort | tr '\n' ' ')
head -c 4096 /dev/urandom > "$T/daily.cvd"
sigs_install "$T/daily.cvd" && fail "a forged .cvd was installed"
grep -q "ClamAV's signature check failed" "$T/err" || { cat "$T/err"; fail "forged .cvd: reason"; }
printf 'Broken.Sig:0:*:zz-not-hex\n' > "$T/broken.ndb"
sigs_install "$T/broken.ndb" && fail "a database that does not load was installed"
grep -q "do not load" "$T/err" || { cat "$T/err"; fail "broken .ndb: reason"; }
[ "$(ls "$SIGS" | sort | tr '\n' ' ')" = "$before" ] || fail "signature folder changed: $(ls "$SIGS")"

# 2. a new database during a long scan.
attach "$IMGDIR/big.img"; big=$LOOP
wait_event scanning 1 60
sid1=$(event_session detected 1)
sigs_install "$T/extra.hdb" || { cat "$T/err"; fail "extra.hdb refused"; }
log "$(head -2 "$T/out" | tr '\n' ' ')"
[ -f "$SIGS/extra.hdb" ] || fail "extra.hdb not installed"
for _ in $(seq 200); do grep -q '"type":"reload"' "$AUDIT" && break; sleep 0.1; done
grep -q '"type":"reload"' "$AUDIT" || dfail "no reload recorded"
wait_event done 1 120
python3 - "$AUDIT" "$sid1" <<'PY' || dfail "the reload did not happen during the scan"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
seq_reload = [r["seq"] for r in recs if r["type"] == "reload"][0]
end = [r for r in recs if r["type"] == "session-end" and r.get("session") == sys.argv[2]][0]
start = [r for r in recs if r["type"] == "session-start" and r.get("session") == sys.argv[2]][0]
assert start["seq"] < seq_reload < end["seq"], (start["seq"], seq_reload, end["seq"])
assert end["status"] in ("delivered", "partial"), end
# The running scan finished on the old engine: the marker was not judged by the new
# signature.  (A FUSE inode-number change can make files "changed while checked" on a
# long session: a known issue outside this test, so "error" is tolerated, not "infected".)
files = [r for r in recs if r["type"] == "file" and r.get("session") == sys.argv[2]]
marker = [r for r in files if r.get("path", "").lower() == "marker.csv"]
assert all(r.get("verdict") != "infected" for r in files), marker
PY
if [ -z "$(find "$STAGING/$sid1" -iname marker.csv)" ]; then
    log "WARNING: the marker of the long session was not delivered (see the file records)"
fi
idle_next() { local n; n=$(count_events idle); "$@"; wait_event idle $((n + 1)) 30; }
idle_next detach "$big"

attach "$IMGDIR/m1.img"; m1=$LOOP
wait_event done 2 60
sid2=$(event_session detected 2)
grep '^{"type":"done"' "$EVENTS" | tail -1 | grep -q 'Kiosk.Test.Marker' || dfail "the new signature is not used"
[ -z "$(find "$STAGING/$sid2" -iname marker.csv)" ] || dfail "the marker was delivered after the reload"
idle_next detach "$m1"

# 3. a corrupt database dropped in: refused, the old engine stays.
cp "$T/broken.ndb" "$SIGS/zz-broken.ndb"
for _ in $(seq 100); do grep -q '"type":"signatures-refused"' "$AUDIT" && break; sleep 0.1; done
grep -q '"type":"signatures-refused"' "$AUDIT" || dfail "the corrupt database was not reported"
r=$(sock_cmd '{"cmd":"admin-status"}')
echo "$r" | grep -q 'administrator login required' || fail "admin-status without login: $r"
attach "$IMGDIR/m2.img"; m2=$LOOP
wait_event done 3 60
grep '^{"type":"done"' "$EVENTS" | tail -1 | grep -q 'Kiosk.Test.Marker' || dfail "the old engine was not kept"
idle_next detach "$m2"
"$KIOSK" status --config "$T/kiosk.conf" --signatures "$SIGS" --staging "$STAGING" --work-dir "$WORKDIR" \
    --audit-log "$AUDIT" --socket "$SOCK" --policy "$POLICY" > "$T/status.txt" && st=0 || st=$?
# (1 is "degraded": this test runs without a printer or a signing key; 2 would be a
# service that cannot be reached)
[ "$st" = 0 ] || [ "$st" = 1 ] || { cat "$T/status.txt"; fail "kiosk status exited $st"; }
grep -q '^service *idle' "$T/status.txt" || { cat "$T/status.txt"; fail "status: service"; }
grep -q "$sid2" "$T/status.txt" || { cat "$T/status.txt"; fail "status: last sessions"; }
expect_no_leftovers
stop_watch
stop_daemon
expect_audit_ok
python3 - "$AUDIT" <<'PY' || fail "signature install records"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
inst = [r for r in recs if r["type"] == "signatures-install"]
assert [r["ok"] for r in inst] == [False, False, True], inst
assert inst[2]["files"][0]["sha256"] and inst[2]["files"][0]["result"] == "installed"
PY
pass

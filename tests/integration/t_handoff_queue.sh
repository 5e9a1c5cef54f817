#!/usr/bin/env bash
# timeout: 900
# t_handoff_queue.sh - the service's outbox against a real SMB server (smbd, private port):
#  A. smbd down before a stick: the check finishes ("done", publication queued), the
#     publication fails with a reason and waits; smbd up + `kiosk staging retry`:
#     published exactly once; the audit log, the events and `kiosk staging list` tell
#     the sequence.
#  B. the service SIGKILLed in the middle of a 200 MB upload (the publisher held at a
#     known point by the testing-mode hook, not caught by timing): no <session>/ on the
#     share, the publisher dies with the service; after a restart the upload starts over
#     and completes; no duplicate, nothing left in .incoming.
#  C. smbd stopped in the middle of the upload: failed, nothing visible; smbd back and a
#     retry: published once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
. "$(dirname "$0")/smb-lib.sh"

smb_setup
printf '[staging]\ncredentials=%s\n' "$SMB_CREDS" > "$T/kiosk.conf"
# The publisher runs as kiosk-publish: it must reach the FIFO ($T is 0700).
chmod 0711 "$T"
HOLD=$T/hold.fifo
mkfifo -m 0666 "$HOLD"
start_udevd
svc() { start_daemon --config "$T/kiosk.conf" --target "$SMB_TARGET"; }
retry() {
    "$KIOSK" staging retry --socket "$SOCK" > "$T/retry.out" 2>&1 || { cat "$T/retry.out"; dfail "staging retry"; }
}
# held: wait until the publisher stops at the hook (it writes "held SESSION").
held() {
    timeout 180 bash -c 'read -r l < "$1"; echo "$l"' _ "$HOLD" > "$T/held.out" || dfail "the publisher never reached the hold"
    log "publisher: $(cat "$T/held.out")"
}
release() { timeout 60 bash -c 'echo go > "$1"' _ "$HOLD" || dfail "cannot release the publisher"; }
pub_events() {  # pub_events SESSION STATE: how many publication events of SESSION have STATE
    python3 - "$EVENTS" "$1" "$2" <<'EOF'
import json, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["type"] == "publication" and e["session"] == sys.argv[2] and e["state"] == sys.argv[3]:
        n += 1
print(n)
EOF
}
wait_pub() {  # wait_pub SESSION STATE N SECONDS
    local i
    for ((i = 0; i < $4 * 10; i++)); do
        [ "$(pub_events "$1" "$2")" -ge "$3" ] && return 0
        kill -0 "$DAEMON_PID" 2>/dev/null || dfail "the service died (waiting for publication $2 of $1)"
        sleep 0.1
    done
    dfail "no publication event '$2' #$3 for $1 within $4 s"
}
on_share_once() {  # on_share_once SESSION: complete, once, nothing of it in .incoming
    [ -f "$SMB_SHARE/kiosk1/$1/MANIFEST.json" ] || dfail "$1 is not on the share"
    (cd "$SMB_SHARE/kiosk1/$1" && sha256sum -c --quiet SHA256SUMS) || dfail "$1 does not check out on the share"
    [ "$(ls "$SMB_SHARE/kiosk1" | grep -c "^$1")" = 1 ] || dfail "$1 is on the share more than once: $(ls "$SMB_SHARE/kiosk1")"
    [ ! -e "$SMB_SHARE/kiosk1/.incoming/$1" ] || dfail "a partial upload of $1 is left in .incoming"
    # signed by the service's key, complete, nothing unlisted
    "$KIOSK_BUILD/kiosk-verify" "$SMB_SHARE/kiosk1/$1" --pubkey "$T/keys/signing.pub" > "$T/verify.out" ||
        { cat "$T/verify.out"; dfail "$1 does not verify"; }
}

# ---- A. the share is down before the stick comes ----------------------------------------
small_image "$IMGDIR/small.img"
svc
start_watch
attach "$IMGDIR/small.img"; L1=$LOOP
wait_event done 1 120
S1=$(event_session done 1)
grep '^{"type":"done"' "$EVENTS" | grep -q '"publication":{"state":"queued"' || dfail "done does not say the delivery is queued"
wait_pub "$S1" failed 1 60
grep '"type":"publication"' "$EVENTS" | grep "$S1" | grep '"state":"failed"' | grep -q 'cannot reach the share' ||
    dfail "the failed publication does not say the share cannot be reached"
"$KIOSK" staging list --json --work-dir "$WORKDIR" > "$T/list.json"
python3 -c 'import json,sys; l=json.load(open(sys.argv[1])); assert l[0]["state"]=="failed" and "cannot reach" in l[0]["error"], l' "$T/list.json" ||
    dfail "staging list does not show the failed entry"
detach "$L1"
start_smbd
retry
wait_pub "$S1" published 1 60
on_share_once "$S1"
python3 - "$AUDIT" "$S1" <<'EOF' || dfail "the audit log does not tell the sequence"
import json, sys
seq = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("session") != sys.argv[2]:
        continue
    if r["type"] == "session-end":
        seq.append("end:" + r.get("publication", "-"))
    elif r["type"] == "publication":
        seq.append(r["state"])
assert seq[:3] == ["end:queued", "publishing", "failed"], seq
assert seq[-2:] == ["publishing", "published"], seq
EOF

# ---- B. the service killed in the middle of a 200 MB upload ---------------------------
big=$T/big; mkdir -p "$big/lists"
# 2 x 99 MB (the default policy takes files up to 100 MB) and two small ones: the hold
# comes after the first file, half-way through the upload.
# (names that sort first, whatever case the medium reader gives them)
make_file_mb "$big/0-cargo-1.txt" 99; make_file_mb "$big/0-cargo-2.txt" 99
make_edi "$big/lists/baplie.edi"; make_csv "$big/list.csv"
build_fat "$IMGDIR/big.img" 260 32 "$big" >/dev/null 2>&1 || dfail "cannot build the 200 MB stick"
rm -rf "$big"
stop_watch; stop_daemon
export KIOSK_TEST_PUBLISH_HOLD=$HOLD
svc
start_watch
attach "$IMGDIR/big.img"; L2=$LOOP
wait_event done 2 300
S2=$(event_session done 2)
held   # the first 99 MB are on the share (in .incoming), the second are not
[ -f "$SMB_SHARE/kiosk1/.incoming/$S2/0-CARGO-1.TXT" ] || [ -f "$SMB_SHARE/kiosk1/.incoming/$S2/0-cargo-1.txt" ] ||
    dfail "the upload is not under way: $(ls -R "$SMB_SHARE/kiosk1/.incoming")"
[ ! -e "$SMB_SHARE/kiosk1/$S2" ] || dfail "$S2/ is visible before the upload is complete"
WPID=$(pgrep -P "$DAEMON_PID" -x kiosk-publish | head -1)
[ -n "$WPID" ] || dfail "no publisher process under the service"
# Confined while it works: its own user, no capabilities, no_new_privs, seccomp.
pub_uid=$(id -u kiosk-publish)
awk -v u="$pub_uid" '/^Uid:/ {ok = ($2 == u && $3 == u && $4 == u)} END {exit !ok}' "/proc/$WPID/status" ||
    dfail "the publisher does not run as kiosk-publish: $(grep ^Uid "/proc/$WPID/status")"
grep -q '^CapEff:[[:space:]]*0000000000000000$' "/proc/$WPID/status" || dfail "the publisher has capabilities"
grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$WPID/status" || dfail "the publisher lacks no_new_privs"
grep -q '^Seccomp:[[:space:]]*2$' "/proc/$WPID/status" || dfail "the publisher has no seccomp filter"
# Its private folder (libsmbclient's state) is in the work area, not in /tmp: its TMPDIR
# is its fd 5.
tr '\0' '\n' < "/proc/$WPID/environ" | grep -qx 'TMPDIR=/proc/self/fd/5' || dfail "the publisher's TMPDIR is not its fd 5"
pubtmp=$(readlink "/proc/$WPID/fd/5")
[ "$(dirname "$pubtmp")" = "$WORKDIR/publish-tmp" ] || dfail "the publisher's folder is $pubtmp"
[ "$(stat -c %U "$pubtmp")" = kiosk-publish ] || dfail "the publisher's folder is not its own"
[ -n "$(ls -A "$pubtmp")" ] || dfail "libsmbclient keeps nothing in the publisher's folder"
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=
for _ in $(seq 100); do kill -0 "$WPID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$WPID" 2>/dev/null && dfail "the publisher outlived the killed service"
[ ! -e "$SMB_SHARE/kiosk1/$S2" ] || dfail "$S2/ appeared although the upload was cut off"
stop_watch
detach "$L2"   # (not checked again after the restart)
unset KIOSK_TEST_PUBLISH_HOLD
svc
start_watch
wait_pub "$S2" published 1 180
on_share_once "$S2"
grep '"type":"recovery"' "$AUDIT" | grep -q "queued session $S2 for publication again" ||
    dfail "the recovery does not say the cut-off publication was queued again"
# The killed publisher's folder went at the restart, and every later one when its
# publisher ended.
[ ! -e "$pubtmp" ] || dfail "the killed publisher's folder $pubtmp is still there"
grep '"type":"recovery"' "$AUDIT" | grep -q "removed 1 private folder of publishers" ||
    dfail "the recovery does not say it removed the killed publisher's folder"
[ -z "$(ls -A "$WORKDIR/publish-tmp" 2>/dev/null)" ] || dfail "publishers' folders left: $(ls "$WORKDIR/publish-tmp")"

# ---- C. smbd stopped in the middle of the upload --------------------------------------
stop_watch; stop_daemon
export KIOSK_TEST_PUBLISH_HOLD=$HOLD
svc
start_watch
attach "$IMGDIR/big.img"; L3=$LOOP
wait_event done 3 300
S3=$(event_session done 3)
held
stop_smbd
release
wait_pub "$S3" failed 1 120
[ ! -e "$SMB_SHARE/kiosk1/$S3" ] || dfail "$S3/ is visible although smbd went away mid-upload"
start_smbd
retry
held; release   # the retry's publisher passes the hook too
wait_pub "$S3" published 1 180
on_share_once "$S3"
detach "$L3"
unset KIOSK_TEST_PUBLISH_HOLD

[ "$(ls "$SMB_SHARE/kiosk1" | wc -l)" = 3 ] || dfail "the share holds $(ls "$SMB_SHARE/kiosk1")"
expect_audit_ok
echo "PASS: $TEST_NAME"

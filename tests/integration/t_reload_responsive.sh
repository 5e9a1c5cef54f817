#!/usr/bin/env bash
# t_reload_responsive.sh - a signature reload never stops the service from answering:
# while the new database is loading (held at a known point: the database folder is a
# FUSE view, tests/fuse/hold-fs.c, whose file zz-hold.hdb is not opened until the test
# says so), the service answers `status`, and a stick pulled out is handled (idle, a
# media-removed record) before the reload is let go.  Then the reload completes and the
# next stick is checked with the new signatures.  Every open of the database is held
# once in turn, so this holds wherever the loading happens.  (Before: the zygote of the
# new pool was forked from the service's main thread, which then waited for it to load:
# held there, the service answered nothing.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"
. "$(dirname "$0")/admin-lib.sh"

HFS=$BUILD/tests/hold-fs
[ -x "$HFS" ] || fail "$HFS not built (make $HFS)"
BACK=$T/sigs-backing MNT=$T/sigs CTL=$T/hold
mkdir -p "$BACK" "$MNT" "$CTL"
cp "$SIGS"/kiosk-test.* "$BACK/"
printf '%s:4:Kiosk.Test.Hold\n' "$(printf hold | md5sum | cut -d' ' -f1)" > "$BACK/zz-hold.hdb"
"$HFS" "$MNT" "$BACK" zz-hold.hdb "$CTL" 2> "$T/hfs.err" &
HFS_PID=$!
trap '_rc=$?; touch "$CTL"/release.{1..20} 2>/dev/null; _daemon_cleanup; kill $HFS_PID 2>/dev/null; (exit $_rc); _cleanup' EXIT
for _ in $(seq 100); do grep -qs " $MNT fuse" /proc/self/mounts && break; sleep 0.1; done
grep -qs " $MNT fuse" /proc/self/mounts || { cat "$T/hfs.err"; fail "hold-fs did not mount"; }
SIGS=$MNT

small_image "$IMGDIR/s1.img"
start_udevd
start_daemon
start_watch
attach "$IMGDIR/s1.img"; s1=$LOOP
wait_event done 1 60
wait_event remove-media 1 10

# A new database file, the hold armed, a reload asked for.
MARK=KIOSK-RELOAD-MARKER
printf 'Kiosk.Test.Reloaded:0:*:%s\n' "$(printf '%s' "$MARK" | od -An -tx1 | tr -d ' \n')" > "$BACK/extra.ndb"
touch "$CTL/armed"
r=$(timeout 10 python3 -c 'import sys' && sock_cmd '{"cmd":"reload"}') || dfail "the reload command got no answer"
echo "$r" | grep -q '"ok": true' || dfail "reload: $r"

removed=0 n=0
while :; do
    n=$((n + 1))
    for _ in $(seq 1200); do
        [ -e "$CTL/held.$n" ] && break
        grep -q '"type":"reload"' "$AUDIT" && break
        kill -0 "$DAEMON_PID" 2>/dev/null || dfail "kiosk daemon died during the reload"
        sleep 0.05
    done
    [ -e "$CTL/held.$n" ] || break   # no more loading: the reload is done
    log "the database is being loaded by pid $(cat "$CTL/held.$n") (held #$n)"
    # Held: the service answers.
    timeout 10 "$KIOSK" watch --socket "$SOCK" --until status > /dev/null 2>&1 ||
        dfail "the service did not answer while a reload was loading the database (held #$n)"
    # Held: a stick pulled out is handled now, not after the reload.
    if [ "$removed" = 0 ]; then
        idle0=$(count_events idle)
        t0=$(date +%s%N)
        detach "$s1"
        for _ in $(seq 200); do [ "$(count_events idle)" -gt "$idle0" ] && break; sleep 0.05; done
        [ "$(count_events idle)" -gt "$idle0" ] ||
            dfail "the removal was not handled while a reload was loading the database (held #$n)"
        log "removal handled in $(( ($(date +%s%N) - t0) / 1000000 )) ms while the reload was held"
        grep -q '"type":"media-removed"' "$AUDIT" || dfail "no media-removed record"
        removed=1
    fi
    [ ! -e "$CTL/release.$n" ] || dfail "released too early"
    touch "$CTL/release.$n"
done
[ "$removed" = 1 ] || dfail "the reload never opened the database"
for _ in $(seq 600); do grep -q '"type":"reload"' "$AUDIT" && break; sleep 0.1; done
grep '"type":"reload"' "$AUDIT" | grep -q '"signatures":8' ||
    dfail "the reload did not swap in the new database: $(grep '"type":"reload"\|signatures-refused' "$AUDIT")"

# The next stick is checked with the new signatures.
d=$T/s2; mkdir -p "$d"; make_csv "$d/list.csv"; printf 'line\n%s\n' "$MARK" > "$d/marked.txt"
build_fat "$IMGDIR/s2.img" 20 16 "$d" KIOSKT > /dev/null
rm -f "$CTL/armed"
attach "$IMGDIR/s2.img"; s2=$LOOP
wait_event done 2 60
grep '"type":"done"' "$EVENTS" | tail -1 | grep -q 'Kiosk.Test.Reloaded' ||
    dfail "the new signature was not used: $(grep '"type":"done"' "$EVENTS" | tail -1)"
detach "$s2"
stop_watch
stop_daemon
expect_audit_ok
pass

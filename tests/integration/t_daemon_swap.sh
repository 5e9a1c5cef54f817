#!/usr/bin/env bash
# t_daemon_swap.sh - one stick out and the next in, in the same slot, faster than udev
# reports it (a card swapped in a reader; two loop images on the same /dev/loopN).  udev
# runs its rules and the service reads the device's attributes when it handles an event,
# not when the kernel sent it: the late "change" of the first stick's removal then already
# shows the second stick.  The kernel's disk sequence number (DISKSEQ) says which medium an
# event is about; the service must check the second stick, exactly once, and deliver its
# files.  The lateness is made, not hoped for: udevd's queue is stopped while the test
# detaches and attaches, and started again after.
# Then the medium changes under a running check (a card swapped while it is read; for a
# loop device LOOP_CHANGE_FD, which gives the device another image and a new DISKSEQ
# while the reader holds it open): that check stops as "removed", nothing of it is
# published, and the new medium is checked after it.  The reader's test gate holds the
# first check until the service has queued the new medium (evidence, not a race).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"

a=$T/a b=$T/b; mkdir -p "$a" "$b"
make_csv "$a/first stick.csv"
make_edi "$b/Bay Plan.edi"; printf 'second stick\r\n' > "$b/notes.txt"
build_fat "$IMGDIR/a.img" 20 16 "$a" FIRST
build_fat "$IMGDIR/b.img" 20 16 "$b" SECOND
c=$T/c d=$T/d; mkdir -p "$c" "$d"
make_csv "$c/third.csv"; printf 'fourth card\r\n' > "$d/Fourth Card.txt"
build_fat "$IMGDIR/c.img" 20 16 "$c" THIRD
build_fat "$IMGDIR/d.img" 20 16 "$d" FOURTH   # (the same size: LOOP_CHANGE_FD wants it)

start_udevd
start_daemon
start_watch

attach "$IMGDIR/a.img"; first=$LOOP
wait_event done 1 120
sid1=$(event_session detected 1)

# The swap, with udevd holding its events until both changes happened.  (The queue is
# started again whatever happens: another test may share this udevd.)
_swap_cleanup() { udevadm control --start-exec-queue 2>/dev/null || true; }
trap '_drc=$?; _swap_cleanup; _daemon_cleanup; (exit $_drc); _cleanup' EXIT
udevadm control --stop-exec-queue || dfail "cannot stop udevd's queue"
detach "$first"
attach "$IMGDIR/b.img"; second=$LOOP
log "swapped a.img ($first) for b.img ($second) with udevd's queue stopped"
udevadm control --start-exec-queue || dfail "cannot start udevd's queue"

wait_event done 2 120
sid2=$(event_session detected 2)
[ -n "$sid2" ] && [ "$sid2" != "$sid1" ] || dfail "no second session"
[ "$(session_types "$sid2")" = "detected checking scanning delivering done remove-media" ] ||
    dfail "second session: $(session_types "$sid2")"
wait_published "$sid2" 120
# The second stick's files, byte for byte, and nothing of the first.
for f in "Bay Plan.edi" notes.txt; do
    [ "$(sha256sum < "$STAGING/$sid2/$f" | cut -d' ' -f1)" = "$(sha256sum < "$b/$f" | cut -d' ' -f1)" ] ||
        dfail "delivered $f differs from the second stick's"
done
# (besides the delivery's own MANIFEST.json, SHA256SUMS and their signatures)
[ "$(cd "$STAGING/$sid2" && ls | grep -Ev '^(MANIFEST\.json|SHA256SUMS)(\.sig)?$' | sort | tr '\n' '|')" = \
    "Bay Plan.edi|notes.txt|" ] || dfail "delivered: $(ls "$STAGING/$sid2" | tr '\n' ' ')"
# Exactly two sessions: the late events of the first stick started nothing, and no
# session was stopped as "removed".
[ "$(count_events detected)" = 2 ] || dfail "$(count_events detected) sessions, not 2"
[ "$(count_events failed)" = 0 ] || dfail "a session failed"

detach "$second"
wait_event idle 2 120
stop_watch
stop_daemon

# ---- the medium changes while it is being checked ---------------------------------------
gate=$T/gate; mkdir -p "$gate"; mkfifo "$gate/ready" "$gate/go"
export KIOSK_READER_TEST_GATE=$gate
gate_reached() {
    timeout 120 bash -c 'read -r p < "$1"' _ "$gate/ready" || dfail "the service did not reach the reader gate"
}
gate_open() { timeout 60 bash -c 'echo go > "$1"' _ "$gate/go" || dfail "the service did not wait at the gate"; }
start_daemon
start_watch
attach "$IMGDIR/c.img"; third=$LOOP
gate_reached
log "giving $third the image d.img while its reader waits at the gate"
python3 - "$third" "$IMGDIR/d.img" <<'PY' || dfail "LOOP_CHANGE_FD failed"
import fcntl, os, sys
LOOP_CHANGE_FD = 0x4C06
dev = os.open(sys.argv[1], os.O_RDONLY)
fcntl.ioctl(dev, LOOP_CHANGE_FD, os.open(sys.argv[2], os.O_RDONLY))
PY
wait_event waiting 1 120   # the new medium is queued: the running check was told to stop
gate_open
gate_reached               # the new medium's check
gate_open
wait_event done 3 120
sid3=$(event_session detected 3) sid4=$(event_session detected 4)
log "events of $sid3: $(session_types "$sid3")"
[ "$(session_types "$sid3" | awk '{print $NF}')" = failed ] || dfail "the changed medium's check: $(session_types "$sid3")"
grep "^{\"type\":\"failed\",\"session\":\"$sid3\"" "$EVENTS" | grep -q '"code":"media-removed"' ||
    dfail "the changed medium's check does not say the medium was removed"
[ ! -e "$STAGING/$sid3" ] || dfail "the changed medium's check was published"
[ "$(session_types "$sid4")" = "detected checking scanning delivering done remove-media" ] ||
    dfail "the new medium's check: $(session_types "$sid4")"
wait_published "$sid4" 120
[ "$(sha256sum < "$STAGING/$sid4/Fourth Card.txt" | cut -d' ' -f1)" = "$(sha256sum < "$d/Fourth Card.txt" | cut -d' ' -f1)" ] ||
    dfail "the new medium's file differs"
[ "$(count_events detected)" = 4 ] || dfail "$(count_events detected) sessions, not 4"
detach "$third"
wait_event idle 3 120
stop_watch
stop_daemon
expect_no_leftovers
pass

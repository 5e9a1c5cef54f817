#!/usr/bin/env bash
# t_daemon_cycles.sh - fifty insert/remove cycles in a row: every one is a complete
# session, and the service's open file descriptors and memory do not grow; no mount or
# loop device is left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon-lib.sh"

CYCLES=${CYCLES:-50}
small_image "$IMGDIR/stick.img"
start_udevd
start_daemon
start_watch
fd0= rss0=
for ((i = 1; i <= CYCLES; i++)); do
    attach "$IMGDIR/stick.img"; loop=$LOOP
    wait_event remove-media "$i" 60
    detach "$loop"
    wait_event idle "$i" 30
    if [ "$i" = 5 ]; then
        # (measured with nothing in flight: publication follows "done" in the background,
        # and a running publisher holds a few of the service's descriptors)
        wait_published "$(event_session done "$i")" 60
        fd0=$(fd_count); rss0=$(rss_kb); log "after 5 cycles: $fd0 fds, RSS $rss0 kB"
    fi
done
wait_published "$(event_session done "$CYCLES")" 60
fd1=$(fd_count); rss1=$(rss_kb)
log "after $CYCLES cycles: $fd1 fds, RSS $rss1 kB"
[ "$(count_events done)" = "$CYCLES" ] || dfail "$(count_events done) sessions done, expected $CYCLES"
[ "$(grep '^{"type":"done"' "$EVENTS" | grep -c '"status":"delivered"')" = "$CYCLES" ] || dfail "not every session delivered"
[ "$(count_events failed)" = 0 ] || dfail "failed sessions"
[ "$fd1" -le "$((fd0 + 2))" ] || dfail "file descriptors grew: $fd0 -> $fd1"
[ "$rss1" -le "$((rss0 + 4096))" ] || dfail "memory grew: RSS $rss0 kB -> $rss1 kB"
[ "$(find "$STAGING" -mindepth 1 -maxdepth 1 ! -name .incoming | wc -l)" = "$CYCLES" ] || dfail "published folders != $CYCLES"
expect_no_leftovers
stop_watch
stop_daemon
expect_audit_ok
pass

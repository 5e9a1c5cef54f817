/* daemon.h - the kiosk service: udev media -> one session at a time -> events.
 *
 * The main loop (GMainLoop) owns all state: the udev monitor (udev.h), the event socket
 * (events.h), the queue of media waiting for their turn.  Each session runs
 * session_run() (the same pipeline as `kiosk scan`) in a worker thread with the scan
 * engine loaded once at start-up; progress comes back to the main loop through a queue.
 *
 *   idle -> detected -> checking -> scanning -> delivering -> done | failed
 *        -> remove-media -> (udev remove) -> idle
 *
 * A udev remove of the medium (disk, partition or, in testing mode, the loop device)
 * while its session runs sets the session's cancel flag: the session stops reading,
 * aborts the FUSE connections after a grace period, publishes nothing; the audit log
 * gets a "media-removed" record.
 *
 * Start-up: stale mounts and .incoming leftovers are cleaned ("recovery" record), sessions
 * started but never ended in the audit log get a "session-interrupted" record, then the
 * media already present are handled.  Anything that keeps the kiosk from checking media
 * safely (policy, signatures missing or old, staging or audit log not writable) puts it
 * out of service: it keeps running so the screen can say so, and checks nothing. */
#ifndef KIOSK_DAEMON_H
#define KIOSK_DAEMON_H

#include "kiosk/config.h"

/* Run the service until SIGTERM/SIGINT.  Returns the process exit status. */
int daemon_run(const struct kiosk_config *cfg);

#endif

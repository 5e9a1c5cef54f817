/* notify.h - the service's conversation with systemd (kiosk.service, Type=notify),
 * through sd_notify(3); without systemd (NOTIFY_SOCKET unset) every call does nothing:
 *
 *   READY=1      once the engine is loaded and the udev monitor runs (or the service
 *                decided it is out of service: it runs and says so)
 *   STATUS=...   the state, as `systemctl status kiosk` shows it ("idle: waiting for USB
 *                media", "out-of-service: ...")
 *   WATCHDOG=1   from the main loop, at half of WatchdogSec=: a main loop that stops
 *                turning gets the service killed and restarted by systemd
 *   RELOADING=1  a reload (SIGHUP, systemctl reload, new files) builds a new engine;
 *                READY=1 again when it is in use or refused
 *   STOPPING=1   on SIGTERM */
#ifndef KIOSK_NOTIFY_H
#define KIOSK_NOTIFY_H

#include <stdbool.h>

/* STATUS NULL: the last status again (after a reload). */
void notify_ready(const char *status);
void notify_status(const char *status);
void notify_reloading(const char *status);
void notify_stopping(void);

/* Start the watchdog pings from the GLib main loop when systemd asked for them
 * (WATCHDOG_USEC for this process).  Returns whether it did. */
bool notify_watchdog_start(void);
void notify_watchdog_stop(void);
/* One ping now (rate-limited), for a main loop busy in a long bounded wait (an engine
 * loading: scanner_pool_set_keepalive); before READY=1 also EXTEND_TIMEOUT_USEC= (one
 * more minute of start time). */
void notify_keepalive(void);

#endif

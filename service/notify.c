/* notify.c - sd_notify for the service (notify.h). */
#include "service/notify.h"
#include "common/log.h"

#include <glib.h>
#include <systemd/sd-daemon.h>

static guint notify_watchdog_id;
static guint64 notify_watchdog_usec;
static gint64 notify_last_ping;
static char *notify_last_status;
static bool notify_is_ready;
static gint64 notify_last_extend;

/* PREFIX ("READY=1\n" ...) then STATUS= with STATUS (one line: a newline would start a new
 * assignment). */
static void notify_send(const char *prefix, const char *status)
{
    char *s = g_strdup(status ? status : "");
    g_strdelimit(s, "\r\n", ' ');
    int r = sd_notifyf(0, "%sSTATUS=%s", prefix, s);
    if (r < 0)
        log_warn("sd_notify: %s", g_strerror(-r));
    g_free(s);
}

void notify_ready(const char *status)
{
    if (status) {
        g_free(notify_last_status);
        notify_last_status = g_strdup(status);
    }
    notify_is_ready = true;
    notify_send("READY=1\n", notify_last_status);
}

void notify_status(const char *status)
{
    if (!g_strcmp0(status, notify_last_status))
        return;
    g_free(notify_last_status);
    notify_last_status = g_strdup(status);
    notify_send("", status);
}

/* The state before the reload comes back with READY=1 (notify_ready(NULL)). */
void notify_reloading(const char *status)
{
    notify_send("RELOADING=1\n", status);
}

void notify_stopping(void)
{
    notify_send("STOPPING=1\n", "stopping");
}

static void notify_ping(void)
{
    notify_last_ping = g_get_monotonic_time();
    sd_notify(0, "WATCHDOG=1");
}

static gboolean notify_watchdog_tick(gpointer data)
{
    (void)data;
    notify_ping();
    return G_SOURCE_CONTINUE;
}

bool notify_watchdog_start(void)
{
    uint64_t usec = 0;
    if (notify_watchdog_id || sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return false;
    notify_watchdog_usec = usec;
    /* Half the interval, as sd_watchdog_enabled(3) advises. */
    guint ms = (guint)MAX(usec / 2000, 1);
    notify_watchdog_id = g_timeout_add(ms, notify_watchdog_tick, NULL);
    notify_ping();
    log_info("systemd watchdog: a ping every %u ms (WatchdogSec=%.1f s)", ms, (double)usec / 1e6);
    return true;
}

void notify_watchdog_stop(void)
{
    g_clear_handle_id(&notify_watchdog_id, g_source_remove);
    g_clear_pointer(&notify_last_status, g_free);
}

void notify_keepalive(void)
{
    gint64 now = g_get_monotonic_time();
    /* Before READY=1: the engine of the first start is loading; ask systemd for another
     * minute of start time (TimeoutStartSec= is short, so that anything else that hangs
     * at start fails fast). */
    if (!notify_is_ready && now - notify_last_extend >= 10 * G_USEC_PER_SEC) {
        notify_last_extend = now;
        sd_notify(0, "EXTEND_TIMEOUT_USEC=60000000");
    }
    if (!notify_watchdog_usec) {
        uint64_t usec = 0;
        if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
            return;
        notify_watchdog_usec = usec;
    }
    if (now - notify_last_ping >= (gint64)notify_watchdog_usec / 4)
        notify_ping();
}

/* daemon-publish.c - the service's publication (handoff.h, publish.h, docs/handoff.md).
 * A checked session is committed to the outbox before the screen says "done"; from there
 * one publisher at a time takes the oldest unpublished entry to the staging share.  A
 * failure is retried with backoff (outbox_backoff_us), in order, for ever: nothing is
 * dropped.  Each state change is saved, audited and sent as a "publication" event.  Too
 * many bytes waiting ([staging] outbox-max-bytes) put the kiosk out of service until the
 * share takes them.  [staging] keep-days prunes what was published long ago. */
#include "service/daemon-private.h"
#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "handoff/handoff.h"

#include <unistd.h>

static void daemon_publish_event(struct daemon *d, const struct outbox_entry *e)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "state", outbox_state_str(e->state));
    json_set_string_or_null(o, "target", e->target);
    json_set_string_or_null(o, "location", e->location);
    json_object_set_int_member(o, "attempt", e->attempts);
    json_set_string_or_null(o, "error", e->error);
    char *t = e->state == OUTBOX_FAILED ? util_time_rfc3339(e->next_attempt_us, false) : NULL;
    json_set_string_or_null(o, "next_attempt", t);
    g_free(t);
    events_emit(d->events, "publication", e->session, o);
}

static gboolean daemon_publish_timer(gpointer data)
{
    struct daemon *d = data;
    d->pub_timer = 0;
    daemon_publish_kick(d);
    return G_SOURCE_REMOVE;
}

void daemon_publish_later(struct daemon *d, gint64 wait_us)
{
    if (d->pub_timer)
        g_source_remove(d->pub_timer);
    gint64 ms = wait_us / 1000 + 50;
    d->pub_timer = g_timeout_add((guint)MIN(ms, (gint64)G_MAXINT), daemon_publish_timer, d);
}

static void daemon_publish_done(struct publish_result *res, void *data)
{
    struct daemon *d = data;
    struct outbox_entry *e = g_steal_pointer(&d->pub_entry);
    char *why = NULL;
    d->pub_run = NULL;
    if (handoff_end(d->handoff, d->audit, e, res, &why) != 0) {
        log_error("publication: %s", why);
        g_free(why);
    }
    close(d->pub_lock);
    d->pub_lock = -1;
    daemon_publish_event(d, e);
    outbox_entry_free(e);
    if (!d->stopping) {
        daemon_publish_check_outbox(d);
        daemon_publish_later(d, 0); /* the next one, from the main loop */
    }
}

void daemon_publish_kick(struct daemon *d)
{
    if (!d->handoff || d->pub_entry || d->stopping)
        return;
    if (d->pub_timer) {
        g_source_remove(d->pub_timer);
        d->pub_timer = 0;
    }
    gint64 wait = -1;
    char *why = NULL;
    struct outbox_entry *e = handoff_next(d->handoff, &wait, &why);
    if (!e) {
        if (why) {
            log_warn("publication: %s", why);
            g_free(why);
            wait = 30 * G_USEC_PER_SEC;
        }
        if (wait >= 0)
            daemon_publish_later(d, wait);
        return;
    }
    d->pub_lock = outbox_lock(d->cfg->work_dir, false);
    if (d->pub_lock < 0) {
        /* Someone publishes from the console (kiosk staging retry): after them. */
        outbox_entry_free(e);
        daemon_publish_later(d, 5 * G_USEC_PER_SEC);
        return;
    }
    if (handoff_begin(d->handoff, d->audit, e, &why) != 0) {
        log_error("publication: %s", why);
        g_free(why);
        outbox_entry_free(e);
        close(d->pub_lock);
        d->pub_lock = -1;
        daemon_publish_later(d, 30 * G_USEC_PER_SEC);
        return;
    }
    daemon_publish_event(d, e);
    struct publish_job job;
    handoff_job(d->handoff, e->session, &job);
    d->pub_entry = e;
    /* NULL when it failed to start (daemon_publish_done has run already). */
    d->pub_run = publish_start(&job, daemon_publish_done, d);
}

/* An operator asked (`kiosk staging retry`): failed entries are tried now. */
void daemon_publish_retry_now(struct daemon *d)
{
    GPtrArray *all = NULL;
    char *why = NULL;
    if (outbox_list(d->cfg->work_dir, &all, &why) == 0) {
        for (guint i = 0; i < all->len; i++) {
            struct outbox_entry *e = g_ptr_array_index(all, i);
            if (e->state != OUTBOX_FAILED || e->next_attempt_us <= g_get_real_time())
                continue;
            e->next_attempt_us = g_get_real_time();
            if (outbox_save(d->cfg->work_dir, e, &why) != 0) {
                log_warn("publication: %s", why);
                g_clear_pointer(&why, g_free);
            }
        }
        g_ptr_array_free(all, TRUE);
    }
    g_free(why);
    daemon_publish_kick(d);
}

/* [staging] keep-days, once an hour (and at start).  Never while publishing. */
void daemon_publish_prune(struct daemon *d)
{
    gint64 now = g_get_monotonic_time();
    if (!d->handoff || d->pub_entry || d->stopping || d->cfg->keep_days <= 0 ||
        (d->pruned_us && now - d->pruned_us < (gint64)3600 * G_USEC_PER_SEC))
        return;
    d->pruned_us = now;
    GPtrArray *pruned = g_ptr_array_new_with_free_func(g_free);
    char *why = NULL;
    int lock = outbox_lock(d->cfg->work_dir, false);
    if (lock >= 0 && handoff_prune(d->handoff, d->audit, false, pruned, &why) != 0)
        log_warn("prune: %s", why);
    if (pruned->len)
        log_info("pruned %u published sessions older than %d days", pruned->len, d->cfg->keep_days);
    if (lock >= 0)
        close(lock);
    g_ptr_array_free(pruned, TRUE);
    g_free(why);
}

/* Out of service while too much waits for the share; back when it has taken enough. */
void daemon_publish_check_outbox(struct daemon *d)
{
    GPtrArray *all = NULL;
    char *why = NULL;
    if (!d->handoff || !d->cfg->outbox_max_bytes || d->stopping ||
        outbox_list(d->cfg->work_dir, &all, &why) != 0) {
        g_free(why);
        return;
    }
    uint64_t pending = outbox_pending_bytes(all);
    g_ptr_array_free(all, TRUE);
    bool full = pending >= d->cfg->outbox_max_bytes;
    if (full && !d->oos && !d->current) {
        char *a = util_format_bytes(pending), *b = util_format_bytes(d->cfg->outbox_max_bytes);
        struct reason_data cause;
        const char *v[] = {a, b};
        reason_data_set(&cause, "service.outbox-full", v, 2);
        daemon_out_of_service(d, "outbox-full", &cause);
        g_free(a);
        g_free(b);
    } else if (!full && d->oos && !g_strcmp0(d->oos_code, "outbox-full")) {
        log_info("back in service: the share took the waiting deliveries");
        JsonObject *o = json_object_new();
        json_object_set_int_member(o, "pending_bytes", (gint64)pending);
        daemon_resume(d, o);
    }
}

/* daemon-admin-media.c - the administrator's stick in the service (bundle.h,
 * docs/admin.md).  After a login, the screen arms the service for an update or an
 * export; the next medium inserted (within DAEMON_ADMIN_ARM_S) is then the
 * administrator's stick instead of a visitor's, and bundle_apply or bundle_export_device
 * works on it in a thread.  No state event is sent for it (the screen stays on the
 * administrator's page): "admin-media" events tell the phases, and the stick is held,
 * silently, until it is removed. */
#include "service/daemon-private.h"
#include "admin/bundle.h"
#include "common/json.h"
#include "common/kerr.h"
#include "common/log.h"
#include "kiosk/audit.h"

#include <malloc.h>
#include <string.h>

#define DAEMON_ADMIN_ARM_S 120

static const char *daemon_admin_media_action(enum daemon_job_kind k)
{
    return k == JOB_ADMIN_EXPORT ? "export" : "update";
}

void daemon_admin_media_event(struct daemon *d, enum daemon_job_kind kind, const char *phase,
                              JsonObject *o)
{
    if (!o)
        o = json_object_new();
    json_object_set_string_member(o, "action", daemon_admin_media_action(kind));
    json_object_set_string_member(o, "phase", phase);
    events_emit(d->events, "admin-media", NULL, o);
}

/* No stick is awaited any more; PHASE (may be NULL) is told to the screen. */
void daemon_admin_media_disarm(struct daemon *d, const char *phase)
{
    enum daemon_job_kind k = d->admin_arm;
    if (k == JOB_SESSION)
        return;
    d->admin_arm = JOB_SESSION;
    /* The stick being written stays accepted: a "change" from the writes is no removal. */
    d->filter.accept_rw_loop = d->filter.any_filesystem = d->admin_export_in;
    g_clear_handle_id(&d->admin_arm_timer, g_source_remove);
    if (phase)
        daemon_admin_media_event(d, k, phase, NULL);
}

static gboolean daemon_admin_media_arm_expired(gpointer data)
{
    struct daemon *d = data;
    d->admin_arm_timer = 0;
    log_info("administrator's stick: none inserted within %d s", DAEMON_ADMIN_ARM_S);
    daemon_admin_media_disarm(d, "expired");
    return G_SOURCE_REMOVE;
}

/* Nothing is erased before the administrator has seen which stick it is and said so
 * ({"action":"erase"}): a visitor's stick inserted while an export waited stays intact. */
#define DAEMON_ERASE_CONFIRM_US ((gint64)60 * G_USEC_PER_SEC)

static int daemon_admin_media_confirm_erase(struct daemon_job *j)
{
    struct daemon_msg *m = g_new0(struct daemon_msg, 1);
    m->job = j;
    m->confirm = true;
    daemon_post(j->d, m);
    gint64 end = g_get_monotonic_time() + DAEMON_ERASE_CONFIRM_US;
    while (!g_atomic_int_get(&j->erase_ok)) {
        if (g_atomic_int_get(&j->cancel)) {
            j->admin_why = g_strdup("Not erased: the export was cancelled.");
            return KERR_CANCELLED;
        }
        if (g_get_monotonic_time() > end) {
            j->admin_why = g_strdup("Not erased: the erase was not confirmed within 60 seconds.");
            return KERR_TIMEOUT;
        }
        g_usleep(50000);
    }
    return 0;
}

static gpointer daemon_admin_media_main(gpointer data)
{
    struct daemon_job *j = data;
    struct daemon *d = j->d;
    struct audit *a = NULL;
    if (audit_open(d->cfg->audit_log, &a) != 0) {
        j->rc = KERR_AUDIT;
        j->admin_why = g_strdup("the audit log cannot be written");
    } else if (j->kind == JOB_ADMIN_UPDATE) {
        j->rc = bundle_apply(j->dev->devnode, d->cfg, j->params.policy, a, &j->cancel,
                             &j->admin_result, &j->admin_why);
    } else if ((j->rc = daemon_admin_media_confirm_erase(j)) == 0) {
        j->rc = bundle_export_device(d->cfg, j->dev->devnode, a, &j->admin_result, &j->admin_why);
    }
    audit_close(a);
    struct daemon_msg *m = g_new0(struct daemon_msg, 1);
    m->job = j;
    m->finished = true;
    daemon_post(d, m);
    return NULL;
}

static void daemon_admin_media_start(struct daemon *d, struct daemon_job *j)
{
    d->current = j;
    j->id = session_new_id();
    j->params.policy = d->policy; /* kept (d->retired) if a reload swaps it meanwhile */
    log_info("administrator's stick (%s): %s (%s %s)", daemon_admin_media_action(j->kind),
             j->dev->devnode, j->dev->vendor ? j->dev->vendor : "?",
             j->dev->model ? j->dev->model : "?");
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "action", daemon_admin_media_action(j->kind));
    json_object_set_string_member(o, "id", j->id);
    daemon_audit(d, "admin-media", daemon_with_device(o, j->dev));
    daemon_admin_media_event(d, j->kind, "working", daemon_with_device(NULL, j->dev));
    j->thread = g_thread_new("kiosk-admin-stick", daemon_admin_media_main, j);
}

bool daemon_admin_media_take(struct daemon *d, const struct kudev_device *dev)
{
    if (d->admin_arm == JOB_SESSION || d->current || d->remove)
        return false;
    struct daemon_job *j = g_new0(struct daemon_job, 1);
    j->d = d;
    j->dev = kudev_device_copy(dev);
    j->kind = d->admin_arm;
    j->admin_conn = d->admin_conn;
    d->admin_export_in = j->kind == JOB_ADMIN_EXPORT;
    daemon_admin_media_disarm(d, NULL);
    daemon_admin_media_start(d, j);
    return true;
}

void daemon_admin_media_finished(struct daemon *d, struct daemon_job *j)
{
    JsonObject *o = j->admin_result ? json_object_ref(j->admin_result) : json_object_new();
    /* What was done is done: an update installed from the verified copies, or an export
     * read back, stays so when the stick is pulled out afterwards. */
    bool ok = j->rc == 0;
    if (!ok && j->removed) {
        json_object_set_string_member(o, "reason",
                                      "The stick was removed before the work was "
                                      "finished.");
        json_object_remove_member(o, "reason_code"); /* the work's own: made again below */
        json_object_remove_member(o, "reason_params");
    } else if (!ok && !json_object_has_member(o, "reason"))
        json_object_set_string_member(o, "reason", j->admin_why ? j->admin_why : "failed");
    if (!ok && !json_object_has_member(o, "reason_code")) { /* the same as a code */
        struct reason_data why;
        bundle_reason(json_object_get_string_member(o, "reason"), &why);
        daemon_json_reason_data(o, &why);
    }
    /* An export that never wrote (cancelled, not confirmed, pulled) is on record too. */
    if (j->kind == JOB_ADMIN_EXPORT && !j->admin_result) {
        JsonObject *a = json_object_new();
        json_object_set_string_member(a, "result", "not-erased");
        json_object_set_string_member(a, "reason", json_object_get_string_member(o, "reason"));
        if (json_object_has_member(o, "reason_code")) {
            json_object_set_string_member(a, "reason_code",
                                          json_object_get_string_member(o, "reason_code"));
            json_object_set_member(a, "reason_params",
                                   json_node_copy(json_object_get_member(o, "reason_params")));
        }
        daemon_audit(d, "admin-export", daemon_with_device(a, j->dev));
    }
    log_info("administrator's stick (%s): %s%s%s", daemon_admin_media_action(j->kind),
             ok ? "done" : "failed", ok ? "" : ": ",
             ok ? "" : json_object_get_string_member(o, "reason"));
    daemon_admin_media_event(d, j->kind, ok ? "done" : "failed", o);
    if (j->kind == JOB_ADMIN_UPDATE && json_object_has_member(o, "installed") &&
        json_object_get_int_member(o, "installed") > 0)
        daemon_admin_reload(d, "update from the administrator's stick");
    if (j->removed || d->stopping) {
        daemon_job_free(j);
        d->admin_export_in = d->filter.accept_rw_loop = d->filter.any_filesystem = false;
        if (!d->oos)
            daemon_idle(d);
        daemon_next(d);
        return;
    }
    /* Held until it is removed; the screen stays where it is. */
    d->remove = j->dev;
    d->remove_is_admin = true;
    j->dev = NULL;
    d->remove_session = g_strdup(j->id);
    daemon_job_free(j);
    /* Back in service while the stick was worked on (a reload during the job): say so. */
    JsonObject *st = events_status(d->events);
    if (!d->oos &&
        !g_strcmp0(json_object_get_string_member_with_default(st, "state", ""), "out-of-service"))
        daemon_idle(d);
    json_object_unref(st);
    malloc_trim(0);
}

/* {"cmd":"admin-media","action":"update"|"export"|"cancel"}, after a login. */
void daemon_admin_media_command(struct daemon *d, const struct events_peer *peer, JsonObject *msg,
                                JsonObject *reply, char **error)
{
    const char *action = json_member_string(msg, "action", "");
    struct daemon_job *cur = d->current;
    bool export_pending = cur && cur->kind == JOB_ADMIN_EXPORT;
    if (!strcmp(action, "erase")) {
        if (!export_pending)
            *error = g_strdup("no export stick is waiting to be erased");
        else
            g_atomic_int_set(&cur->erase_ok, 1);
        return;
    }
    if (!strcmp(action, "cancel")) {
        if (export_pending && !g_atomic_int_get(&cur->erase_ok)) {
            cur->cancelled = true;
            g_atomic_int_set(&cur->cancel, 1);
        }
        daemon_admin_media_disarm(d, "cancelled");
        return;
    }
    enum daemon_job_kind k = !strcmp(action, "update")   ? JOB_ADMIN_UPDATE
                             : !strcmp(action, "export") ? JOB_ADMIN_EXPORT
                                                         : JOB_SESSION;
    if (k == JOB_SESSION) {
        *error = g_strdup("\"action\" must be \"update\", \"export\", \"erase\" or "
                          "\"cancel\"");
        return;
    }
    if (d->current || d->remove || d->waiting.length) {
        *error = g_strdup("a medium is being checked or is still inserted; remove it first");
        return;
    }
    daemon_admin_media_disarm(d, NULL);
    d->admin_arm = k;
    d->admin_conn = peer->conn;
    /* In testing mode the export's loop device must be writable (losetup without -r). */
    d->filter.accept_rw_loop = k == JOB_ADMIN_EXPORT;
    /* Its old filesystem does not matter: it is erased, never read. */
    d->filter.any_filesystem = k == JOB_ADMIN_EXPORT;
    d->admin_arm_timer =
        g_timeout_add_seconds(DAEMON_ADMIN_ARM_S, daemon_admin_media_arm_expired, d);
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "expires_in", DAEMON_ADMIN_ARM_S);
    daemon_admin_media_event(d, k, "waiting", o);
    json_object_set_int_member(reply, "expires_in", DAEMON_ADMIN_ARM_S);
    log_info("administrator's stick: waiting for it (%s)", daemon_admin_media_action(k));
}

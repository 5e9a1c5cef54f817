/* daemon.c - the kiosk service main loop (see daemon.h). */
#include "kiosk/daemon.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"
#include "kiosk/audit.h"
#include "kiosk/events.h"
#include "kiosk/media.h"
#include "kiosk/session.h"
#include "kiosk/staging.h"
#include "kiosk/udev.h"
#include "policy/policy.h"
#include "scanner/scanner.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* At most this many held-back files in a "done" event (the manifest has them all). */
#define DAEMON_MAX_HELD_BACK 200

/* One medium: waiting for its turn, or being checked. */
struct daemon_job {
    struct daemon *d;
    struct kudev_device *dev;
    char *id;                /* session id, once started */
    volatile gint cancel;    /* read by session_run */
    bool removed;            /* udev said the medium went away */
    bool cancelled;          /* the operator asked */
    JsonObject *details;
    struct session_params params;
    struct session_result *result;
    int rc;
    GThread *thread;
};

/* Progress and completion, from the session thread to the main loop. */
struct daemon_msg {
    struct daemon_job *job;
    bool finished;
    struct session_progress p;
    char *current;
};

struct daemon {
    const struct kiosk_config *cfg;
    struct policy *policy;
    struct scanner_engine *engine;
    struct audit *audit;
    struct events *events;
    struct kudev *udev;
    struct kudev_filter filter;
    GMainLoop *loop;
    GAsyncQueue *msgs;
    GQueue waiting;              /* struct daemon_job *, not started */
    struct daemon_job *current;  /* the session running */
    struct kudev_device *remove; /* checked medium still in: "remove-media" until it goes */
    char *remove_session;
    GHashTable *refused;         /* keys of refused media still plugged in */
    JsonObject *details;         /* for the next session */
    bool oos;                    /* out of service */
    bool stopping;
};

static void daemon_next(struct daemon *d);

/* ---- audit ------------------------------------------------------------------------- */

static void daemon_audit(struct daemon *d, const char *type, JsonObject *o)
{
    if (!o)
        o = json_object_new();
    if (d->cfg->accept_loop)
        json_object_set_boolean_member(o, "testing_mode", TRUE);
    if (!d->audit || audit_append(d->audit, type, o) != 0 || audit_sync(d->audit) != 0)
        log_error("audit: cannot record \"%s\" in %s", type, d->cfg->audit_log);
    json_object_unref(o);
}

static void daemon_json_opt(JsonObject *o, const char *key, const char *v)
{
    if (v)
        json_object_set_string_member(o, key, v);
    else
        json_object_set_null_member(o, key);
}

/* {"vendor","model","serial","size","devnode"} */
static JsonObject *daemon_device_json(const struct kudev_device *dev)
{
    JsonObject *o = json_object_new();
    daemon_json_opt(o, "vendor", dev->vendor);
    daemon_json_opt(o, "model", dev->model);
    daemon_json_opt(o, "serial", dev->serial);
    json_object_set_int_member(o, "size", (gint64)dev->size);
    daemon_json_opt(o, "devnode", dev->devnode);
    if (dev->vid && dev->pid) {
        char *id = g_strdup_printf("%s:%s", dev->vid, dev->pid);
        json_object_set_string_member(o, "usb_id", id);
        g_free(id);
    }
    if (dev->backing_file)
        json_object_set_string_member(o, "image", dev->backing_file);
    return o;
}

static JsonObject *daemon_with_device(JsonObject *o, const struct kudev_device *dev)
{
    if (!o)
        o = json_object_new();
    json_object_set_object_member(o, "device", daemon_device_json(dev));
    return o;
}

/* ---- states -------------------------------------------------------------------------- */

static void daemon_out_of_service(struct daemon *d, const char *code, const char *reason)
{
    d->oos = true;
    log_error("OUT OF SERVICE (%s): %s", code, reason);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "code", code);
    json_object_set_string_member(o, "reason", reason);
    daemon_audit(d, "out-of-service", json_object_ref(o));
    events_emit(d->events, "out-of-service", NULL, o);
}

static void daemon_idle(struct daemon *d)
{
    events_set_queue(d->events, (int)d->waiting.length);
    events_emit(d->events, "idle", NULL, NULL);
}

static void daemon_job_free(struct daemon_job *j)
{
    if (!j)
        return;
    kudev_device_free(j->dev);
    g_free(j->id);
    if (j->details)
        json_object_unref(j->details);
    session_result_free(j->result);
    g_free(j);
}

/* ---- the session thread ---------------------------------------------------------------- */

static gboolean daemon_drain(gpointer data);

static void daemon_post(struct daemon *d, struct daemon_msg *m)
{
    g_async_queue_push(d->msgs, m);
    g_idle_add(daemon_drain, d);
}

static void daemon_on_progress(const struct session_progress *p, void *data)
{
    struct daemon_job *j = data;
    if (p->phase == SESSION_DONE)
        return;
    struct daemon_msg *m = g_new0(struct daemon_msg, 1);
    m->job = j;
    m->p = *p;
    m->current = g_strdup(p->current);
    m->p.current = NULL;
    daemon_post(j->d, m);
}

static gpointer daemon_session_main(gpointer data)
{
    struct daemon_job *j = data;
    j->rc = session_run(&j->params, &j->result);
    struct daemon_msg *m = g_new0(struct daemon_msg, 1);
    m->job = j;
    m->finished = true;
    daemon_post(j->d, m);
    return NULL;
}

static void daemon_start(struct daemon *d, struct daemon_job *j)
{
    d->current = j;
    j->id = session_new_id();
    j->details = d->details; /* the details given for the next session are this one's */
    d->details = NULL;
    j->params = (struct session_params){
        .source = j->dev->devnode,
        .policy = d->policy,
        .engine = d->engine,
        .staging = d->cfg->staging,
        .audit_log = d->cfg->audit_log,
        .run_dir = d->cfg->run_dir,
        .workers = d->cfg->workers,
        .details = j->details,
        .progress = daemon_on_progress,
        .progress_data = j,
        .cancel = &j->cancel,
        .session_id = j->id,
        .vendor = j->dev->vendor,
        .model = j->dev->model,
        .serial = j->dev->serial,
        .accept_loop = d->cfg->accept_loop,
    };
    log_info("session %s: %s (%s %s, %" G_GUINT64_FORMAT " bytes)%s", j->id, j->dev->devnode,
             j->dev->vendor ? j->dev->vendor : "?", j->dev->model ? j->dev->model : "?",
             j->dev->size, d->cfg->accept_loop ? " [TESTING MODE]" : "");
    events_set_queue(d->events, (int)d->waiting.length);
    events_emit(d->events, "detected", j->id, daemon_with_device(NULL, j->dev));
    j->thread = g_thread_new("kiosk-session", daemon_session_main, j);
}

static JsonObject *daemon_done_json(const struct session_result *r)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "status", r->status);
    JsonObject *c = json_object_new();
    json_object_set_int_member(c, "files", (gint64)r->counts.files);
    json_object_set_int_member(c, "delivered", (gint64)r->counts.delivered);
    json_object_set_int_member(c, "infected", (gint64)r->counts.infected);
    json_object_set_int_member(c, "blocked", (gint64)r->counts.blocked);
    json_object_set_int_member(c, "error", (gint64)r->counts.error);
    json_object_set_int_member(c, "skipped", (gint64)r->counts.skipped);
    json_object_set_object_member(o, "counts", c);
    daemon_json_opt(o, "delivery", r->delivery);
    daemon_json_opt(o, "manifest_sha256", r->manifest_sha256[0] ? r->manifest_sha256 : NULL);
    JsonArray *held = json_array_new();
    guint n = 0, more = 0;
    for (guint i = 0; i < r->files->len; i++) {
        const struct session_file *f = g_ptr_array_index(r->files, i);
        if (f->verdict.kind == VERDICT_CLEAN || f->verdict.kind == VERDICT_SKIPPED)
            continue;
        if (n++ >= DAEMON_MAX_HELD_BACK) {
            more++;
            continue;
        }
        JsonObject *h = json_object_new();
        json_object_set_string_member(h, "path", f->display);
        json_object_set_string_member(h, "verdict", verdict_kind_str(f->verdict.kind));
        json_object_set_string_member(h, "reason", f->verdict.reason);
        json_array_add_object_element(held, h);
    }
    json_object_set_array_member(o, "held_back", held);
    if (more)
        json_object_set_int_member(o, "held_back_more", more);
    json_object_set_boolean_member(o, "test_signatures", r->scanner.test_signatures);
    return o;
}

static void daemon_finished(struct daemon *d, struct daemon_job *j)
{
    g_thread_join(j->thread);
    j->thread = NULL;
    d->current = NULL;
    const struct session_result *r = j->result;
    log_info("session %s: %s%s", j->id, r->status, j->removed ? " (media removed)" : "");
    if (j->removed) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "session", j->id);
        json_object_set_boolean_member(o, "aborted", TRUE);
        daemon_audit(d, "media-removed", daemon_with_device(o, j->dev));
        o = json_object_new();
        json_object_set_string_member(o, "reason", "The USB media was removed before the check "
                                                   "finished. Nothing was delivered.");
        json_object_set_string_member(o, "code", "media-removed");
        events_emit(d->events, "failed", j->id, o);
        daemon_job_free(j);
        daemon_idle(d);
        daemon_next(d);
        return;
    }
    if (r->exit_code == 2) {
        JsonObject *o = json_object_new();
        const char *why = r->error ? r->error : "the check could not be completed";
        if (j->cancelled)
            why = "The check was cancelled. Nothing was delivered.";
        json_object_set_string_member(o, "reason", why);
        if (j->cancelled)
            json_object_set_string_member(o, "code", "cancelled");
        events_emit(d->events, "failed", j->id, o);
    } else {
        events_emit(d->events, "done", j->id, daemon_done_json(r));
    }
    /* The service cannot go on safely when its own storage fails. */
    if (j->rc == KERR_AUDIT)
        daemon_out_of_service(d, "audit", "The audit log cannot be written.");
    else if (j->rc == KERR_STAGING)
        daemon_out_of_service(d, "staging", "The staging share cannot be written.");
    d->remove = j->dev;
    j->dev = NULL; /* transferred */
    d->remove_session = g_strdup(j->id);
    if (!d->oos)
        events_emit(d->events, "remove-media", d->remove_session,
                    daemon_with_device(NULL, d->remove));
    daemon_job_free(j);
}

static gboolean daemon_drain(gpointer data)
{
    struct daemon *d = data;
    struct daemon_msg *m;
    while ((m = g_async_queue_try_pop(d->msgs)) != NULL) {
        struct daemon_job *j = m->job;
        if (m->finished) {
            daemon_finished(d, j);
        } else if (j == d->current && !j->removed) {
            JsonObject *o = NULL;
            const char *type = NULL;
            switch (m->p.phase) {
            case SESSION_CHECKING:
                type = "checking";
                o = daemon_with_device(NULL, j->dev);
                break;
            case SESSION_SCANNING:
                type = "scanning";
                o = json_object_new();
                json_object_set_int_member(o, "files_done", (gint64)m->p.files_done);
                json_object_set_int_member(o, "files_total", (gint64)m->p.files_total);
                json_object_set_int_member(o, "bytes_done", (gint64)m->p.bytes_done);
                json_object_set_int_member(o, "bytes_total", (gint64)m->p.bytes_total);
                daemon_json_opt(o, "current", m->current);
                if (m->p.eta_seconds >= 0)
                    json_object_set_int_member(o, "eta_seconds", m->p.eta_seconds);
                else
                    json_object_set_null_member(o, "eta_seconds");
                break;
            case SESSION_DELIVERING: type = "delivering"; break;
            case SESSION_DONE: break;
            }
            if (type)
                events_emit(d->events, type, j->id, o);
        }
        g_free(m->current);
        g_free(m);
    }
    return G_SOURCE_REMOVE;
}

/* Start the next waiting medium, if the kiosk is free. */
static void daemon_next(struct daemon *d)
{
    if (d->current || d->remove || d->oos || d->stopping)
        return;
    struct daemon_job *j = g_queue_pop_head(&d->waiting);
    if (j)
        daemon_start(d, j);
}

/* ---- udev ------------------------------------------------------------------------------- */

static bool daemon_known(struct daemon *d, const char *key)
{
    if (d->current && !strcmp(d->current->dev->key, key))
        return true;
    if (d->remove && !strcmp(d->remove->key, key))
        return true;
    for (GList *l = d->waiting.head; l; l = l->next)
        if (!strcmp(((struct daemon_job *)l->data)->dev->key, key))
            return true;
    return g_hash_table_contains(d->refused, key);
}

static void daemon_on_udev(enum kudev_event ev, const struct kudev_device *dev, const char *why,
                           void *data)
{
    struct daemon *d = data;
    if (d->stopping)
        return;
    if (ev == KUDEV_REMOVED) {
        if (d->current && !strcmp(d->current->dev->key, dev->key)) {
            if (!d->current->removed) {
                log_warn("session %s: the medium %s was removed (%s); stopping", d->current->id,
                         dev->devnode ? dev->devnode : dev->key, why ? why : "removed");
                d->current->removed = true;
                g_atomic_int_set(&d->current->cancel, 1);
            }
            return;
        }
        for (GList *l = d->waiting.head; l; l = l->next) {
            struct daemon_job *j = l->data;
            if (!strcmp(j->dev->key, dev->key)) {
                g_queue_delete_link(&d->waiting, l);
                daemon_job_free(j);
                events_set_queue(d->events, (int)d->waiting.length);
                return;
            }
        }
        if (d->remove && !strcmp(d->remove->key, dev->key)) {
            JsonObject *o = json_object_new();
            json_object_set_string_member(o, "session", d->remove_session);
            json_object_set_boolean_member(o, "aborted", FALSE);
            daemon_audit(d, "media-removed", daemon_with_device(o, d->remove));
            g_clear_pointer(&d->remove, kudev_device_free);
            g_clear_pointer(&d->remove_session, g_free);
            if (!d->oos) {
                daemon_idle(d);
                daemon_next(d);
            }
            return;
        }
        if (g_hash_table_remove(d->refused, dev->key) && !d->oos && !d->current && !d->remove) {
            daemon_idle(d);
            daemon_next(d);
        }
        return;
    }
    if (daemon_known(d, dev->key))
        return; /* the same medium again (udev sends several change events) */
    if (ev == KUDEV_REFUSED) {
        g_hash_table_add(d->refused, g_strdup(dev->key));
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "reason", why);
        daemon_audit(d, "device-refused", daemon_with_device(json_object_ref(o), dev));
        /* The screen shows it unless another medium is being checked. */
        if (!d->current && !d->oos)
            events_emit(d->events, "refused", NULL, daemon_with_device(o, dev));
        else
            json_object_unref(o);
        return;
    }
    if (d->oos) {
        log_warn("out of service: medium %s not checked", dev->devnode);
        return;
    }
    struct daemon_job *j = g_new0(struct daemon_job, 1);
    j->d = d;
    j->dev = kudev_device_copy(dev);
    if (!d->current && !d->remove && d->waiting.length == 0) {
        daemon_start(d, j);
        return;
    }
    g_queue_push_tail(&d->waiting, j);
    events_set_queue(d->events, (int)d->waiting.length);
    JsonObject *o = daemon_with_device(NULL, dev);
    json_object_set_int_member(o, "position", (gint64)d->waiting.length);
    /* Not a state: the screen keeps showing the running session and notes the queue. */
    events_emit(d->events, "waiting", d->current ? d->current->id : NULL, o);
}

/* ---- commands from the screen ------------------------------------------------------------ */

static char *daemon_on_details(JsonObject *details, void *data)
{
    struct daemon *d = data;
    if (d->details)
        json_object_unref(d->details);
    d->details = json_object_get_size(details) ? json_object_ref(details) : NULL;
    log_info("operator details %s for the next session", d->details ? "stored" : "cleared");
    return NULL;
}

static char *daemon_on_cancel(void *data)
{
    struct daemon *d = data;
    if (!d->current)
        return g_strdup("no check is running");
    log_warn("session %s: cancelled by the operator", d->current->id);
    d->current->cancelled = true;
    g_atomic_int_set(&d->current->cancel, 1);
    return NULL;
}

/* ---- start-up ----------------------------------------------------------------------------- */

/* Sessions with a "session-start" but no "session-end" in the audit log: the service
 * died under them.  A session whose staging lock is held is running elsewhere. */
static void daemon_record_interrupted(struct daemon *d)
{
    char *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(d->cfg->audit_log, &data, &len, NULL))
        return;
    GHashTable *started = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GPtrArray *order = g_ptr_array_new_with_free_func(g_free);
    JsonParser *p = json_parser_new();
    char *line = data;
    while (line && line < data + len) {
        char *nl = memchr(line, '\n', (size_t)(data + len - line));
        size_t n = nl ? (size_t)(nl - line) : (size_t)(data + len - line);
        /* Only session records matter: skip the others without parsing them. */
        if (n > 0 && g_strstr_len(line, (gssize)n, "\"type\":\"session-") &&
            json_parser_load_from_data(p, line, (gssize)n, NULL)) {
            JsonNode *root = json_parser_get_root(p);
            JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
            const char *type = o ? json_object_get_string_member_with_default(o, "type", "") : "";
            const char *sid = o ? json_object_get_string_member_with_default(o, "session", NULL)
                                : NULL;
            if (sid && !strcmp(type, "session-start")) {
                g_hash_table_replace(started, g_strdup(sid),
                                     g_strdup(json_object_get_string_member_with_default(
                                         o, "source", "")));
                g_ptr_array_add(order, g_strdup(sid));
            } else if (sid && (!strcmp(type, "session-end") ||
                               !strcmp(type, "session-interrupted"))) {
                g_hash_table_remove(started, sid);
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    g_object_unref(p);
    for (guint i = 0; i < order->len; i++) {
        const char *sid = g_ptr_array_index(order, i);
        const char *src = g_hash_table_lookup(started, sid);
        if (!src)
            continue;
        char *lock = g_strdup_printf("%s/.incoming/%s.lock", d->cfg->staging, sid);
        int fd = open(lock, O_RDONLY | O_CLOEXEC);
        bool running = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0;
        if (fd >= 0)
            close(fd);
        g_free(lock);
        if (running)
            continue;
        log_warn("session %s (%s) was interrupted: it never ended; nothing of it was published",
                 sid, src);
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "session", sid);
        json_object_set_string_member(o, "source", src);
        json_object_set_string_member(o, "reason", "the service stopped during the session "
                                                   "(crash, power loss or kill); nothing of it "
                                                   "was published");
        daemon_audit(d, "session-interrupted", o);
        g_hash_table_remove(started, sid);
    }
    g_ptr_array_free(order, TRUE);
    g_hash_table_destroy(started);
    g_free(data);
}

static void daemon_recover(struct daemon *d)
{
    GPtrArray *cleaned = g_ptr_array_new_with_free_func(g_free);
    if (media_recover(d->cfg->run_dir, cleaned) != 0)
        log_warn("recovery: some stale mounts under %s/mnt could not be removed",
                 d->cfg->run_dir);
    if (staging_recover(d->cfg->staging, cleaned) != 0)
        log_warn("recovery: some leftovers in %s/.incoming could not be removed",
                 d->cfg->staging);
    if (cleaned->len) {
        JsonArray *a = json_array_new();
        for (guint i = 0; i < cleaned->len; i++) {
            log_warn("recovery: %s", (const char *)g_ptr_array_index(cleaned, i));
            json_array_add_string_element(a, g_ptr_array_index(cleaned, i));
        }
        JsonObject *o = json_object_new();
        json_object_set_array_member(o, "cleaned", a);
        daemon_audit(d, "recovery", o);
    }
    g_ptr_array_free(cleaned, TRUE);
    daemon_record_interrupted(d);
}

/* Load what a session needs once; on failure the kiosk is out of service. */
static void daemon_load(struct daemon *d)
{
    const struct kiosk_config *cfg = d->cfg;
    GPtrArray *perrs = g_ptr_array_new_with_free_func(policy_error_free);
    char *why = NULL;
    if (policy_load(cfg->policy, &d->policy, perrs) != 0) {
        for (guint i = 0; i < perrs->len; i++) {
            const struct policy_error *e = g_ptr_array_index(perrs, i);
            log_error("policy %s:%d: %s", cfg->policy, e->line, e->message);
        }
        g_ptr_array_free(perrs, TRUE);
        daemon_out_of_service(d, "policy", "The file policy is not valid; the administrator "
                                           "must correct it.");
        return;
    }
    g_ptr_array_free(perrs, TRUE);
    d->filter.policy = d->policy;
    if (util_mkdir_p(cfg->staging, 0755) != 0 || access(cfg->staging, W_OK | X_OK) != 0) {
        log_error("staging %s: %s", cfg->staging, g_strerror(errno));
        daemon_out_of_service(d, "staging", "The staging share cannot be written.");
        return;
    }
    gint64 t0 = g_get_monotonic_time();
    if (session_engine_load(d->policy, cfg->signatures, NULL, &d->engine, &why) != 0) {
        log_error("scanner: %s", why);
        g_free(why);
        daemon_out_of_service(d, "no-signatures", "The virus signatures cannot be loaded.");
        return;
    }
    const struct scanner_info *si = scanner_engine_info(d->engine);
    log_info("engine loaded once in %.2f s: ClamAV %s, %u signatures, database %s%s",
             (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC, si->engine_version,
             si->signatures, si->db_version, "");
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "engine", si->engine_version);
    json_object_set_string_member(o, "db_version", si->db_version);
    json_object_set_int_member(o, "signatures", si->signatures);
    json_object_set_boolean_member(o, "test_signatures", si->test_signatures);
    json_object_set_string_member(o, "policy", d->policy->name);
    json_object_set_int_member(o, "policy_version", (gint64)d->policy->version);
    json_object_set_string_member(o, "policy_sha256", d->policy->sha256);
    daemon_audit(d, "service-start", o);
    gint64 age_days = si->db_time > 0 ? (g_get_real_time() / G_USEC_PER_SEC - si->db_time) / 86400
                                      : -1;
    if (cfg->max_signature_age_days > 0 && !si->test_signatures &&
        (age_days < 0 || age_days > cfg->max_signature_age_days)) {
        char *r = g_strdup_printf("The virus signatures are %s old; they must be updated "
                                  "(at most %d days).",
                                  age_days < 0 ? "of unknown age, maybe too" : "too",
                                  cfg->max_signature_age_days);
        daemon_out_of_service(d, "signatures-old", r);
        g_free(r);
    }
}

static gboolean daemon_on_signal(gpointer data)
{
    struct daemon *d = data;
    log_info("stopping");
    d->stopping = true;
    if (d->current) {
        g_atomic_int_set(&d->current->cancel, 1);
        /* session_run stops soon (it aborts the medium after a grace period). */
        while (d->current) {
            g_usleep(20000);
            daemon_drain(d);
        }
    }
    g_main_loop_quit(d->loop);
    return G_SOURCE_REMOVE;
}

int daemon_run(const struct kiosk_config *cfg)
{
    struct daemon dd = {.cfg = cfg}, *d = &dd;
    char *why = NULL;
    int rc = 1;

    signal(SIGPIPE, SIG_IGN);
    g_queue_init(&d->waiting);
    d->refused = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    d->msgs = g_async_queue_new();
    d->loop = g_main_loop_new(NULL, FALSE);
    d->filter = (struct kudev_filter){
        .accept_loop = cfg->accept_loop,
        .loop_backing_dir = cfg->loop_backing_dir,
        .allow = cfg->device_allow,
        .deny = cfg->device_deny,
        .max_size = cfg->device_max_size,
    };
    if (cfg->accept_loop)
        log_warn("TESTING MODE: loop devices count as removable media%s%s",
                 cfg->loop_backing_dir ? " (backed by files below " : "",
                 cfg->loop_backing_dir ? cfg->loop_backing_dir : "");
    if (util_mkdir_p(cfg->run_dir, 0755) != 0) {
        log_error("cannot create %s: %s", cfg->run_dir, g_strerror(errno));
        goto out;
    }
    struct events_info info = {
        .kiosk_name = cfg->kiosk_name,
        .site = cfg->site,
        .language = cfg->language,
        .testing_mode = cfg->accept_loop,
    };
    struct events_handlers h = {.details = daemon_on_details, .cancel = daemon_on_cancel, .data = d};
    d->events = events_new(cfg->socket, cfg->socket_group, &info, &h, &why);
    if (!d->events) {
        log_error("%s", why);
        goto out;
    }
    log_info("listening on %s", cfg->socket);

    if (audit_open(cfg->audit_log, &d->audit) != 0) {
        log_error("audit log %s: %s", cfg->audit_log, g_strerror(errno));
        daemon_out_of_service(d, "audit", "The audit log cannot be written.");
    } else {
        daemon_recover(d);
        daemon_load(d);
    }
    d->udev = kudev_new(&d->filter, daemon_on_udev, d, &why);
    if (!d->udev) {
        log_error("%s", why);
        goto out;
    }
    if (!d->oos) {
        daemon_idle(d);
        kudev_enumerate(d->udev); /* media already plugged in */
    }
    g_unix_signal_add(SIGTERM, daemon_on_signal, d);
    g_unix_signal_add(SIGINT, daemon_on_signal, d);
    g_main_loop_run(d->loop);
    daemon_audit(d, "service-stop", NULL);
    rc = 0;
out:
    kudev_free(d->udev);
    events_free(d->events);
    struct daemon_job *j;
    while ((j = g_queue_pop_head(&d->waiting)) != NULL)
        daemon_job_free(j);
    kudev_device_free(d->remove);
    g_free(d->remove_session);
    if (d->details)
        json_object_unref(d->details);
    g_hash_table_destroy(d->refused);
    struct daemon_msg *m;
    while ((m = g_async_queue_try_pop(d->msgs)) != NULL) {
        g_free(m->current);
        g_free(m);
    }
    g_async_queue_unref(d->msgs);
    g_main_loop_unref(d->loop);
    scanner_engine_unref(d->engine);
    policy_free(d->policy);
    audit_close(d->audit);
    g_free(why);
    return rc;
}

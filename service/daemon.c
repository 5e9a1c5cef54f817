/* daemon.c - the kiosk service main loop (see daemon.h). */
#include "service/daemon.h"
#include "kiosk/disarm.h"
#include "common/json.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"
#include "common/version.h"
#include "admin/admin.h"
#include "kiosk/audit.h"
#include "admin/bundle.h"
#include "kiosk/edifact-json.h"
#include "service/events.h"
#include "handoff/handoff.h"
#include "media/media.h"
#include "service/notify.h"
#include "kiosk/session.h"
#include "report/report.h"
#include "scanner/pool.h"
#include "scanner/verdict-cache.h"
#include "admin/sigdb.h"
#include "handoff/workarea.h"
#include "service/udev.h"
#include "policy/policy.h"
#include "scanner/scanner.h"

#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* At most this many held-back files in a "done" event (the manifest has them all). */
#define DAEMON_MAX_HELD_BACK 200

/* What a medium is for: a visitor's check, or the administrator's stick (bundle.h). */
enum daemon_job_kind { JOB_SESSION = 0, JOB_ADMIN_UPDATE, JOB_ADMIN_EXPORT };

/* One medium: waiting for its turn, or being checked. */
struct daemon_job {
    struct daemon *d;
    enum daemon_job_kind kind;
    JsonObject *admin_result; /* JOB_ADMIN_*: what bundle_apply / bundle_export_device said */
    char *admin_why;
    gint erase_ok;            /* JOB_ADMIN_EXPORT: the administrator confirmed the erase */
    uint64_t admin_conn;      /* JOB_ADMIN_*: the connection whose login asked for it */
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
    bool confirm; /* an export stick is in: ask the administrator before erasing it */
    struct session_progress p;
    char *current;
};

struct daemon {
    const struct kiosk_config *cfg;
    struct policy *policy;
    /* The scanner: sandboxed worker processes sharing one engine (scanner/pool.h,
     * docs/privsep.md).  A reload builds a new pool beside this one; a session keeps the
     * pool it started with (daemon_job.params.pool) and the last one to let go frees it. */
    struct scanner_pool *pool;
    struct verdict_cache *vcache; /* [scan] cache (scanner/verdict-cache.h), or NULL */
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
    volatile gint language_ja;   /* the screen's language now (1 = ja): sessions record it */
    bool oos;                    /* out of service */
    bool stopping;
    /* administration (the "administration" section below; docs/admin.md) */
    char *oos_code;              /* why out of service */
    GFileMonitor *sig_mon, *pol_mon;
    guint reload_timer, tick_timer;
    bool reloading, reload_again;
    struct policy *reload_policy; /* the policy the engine being built uses */
    char *reload_fp;             /* signature folder fingerprint of that build */
    char *sig_fp;                /* ... of the engine in use */
    char *failed_fp;             /* ... of a database that did not load */
    char *failed_policy;         /* SHA-256 of a policy file that did not validate */
    char *db_problem;            /* for admin-status: the last reload problem */
    GPtrArray *retired;          /* policies a running session may still use */
    /* the hand-off (the "publication" section below; docs/handoff.md) */
    struct handoff *handoff;     /* NULL: the kiosk cannot deliver (out of service) */
    struct publish_run *pub_run; /* the publisher running now */
    struct outbox_entry *pub_entry; /* ... and the entry it publishes */
    int pub_lock;                /* the outbox lock while it runs */
    guint pub_timer;             /* the next retry */
    gint64 pruned_us;            /* the last [staging] keep-days pruning (monotonic) */
    enum daemon_job_kind admin_arm; /* the next medium is the administrator's stick */
    uint64_t admin_conn;         /* the connection whose login armed it (events_peer.conn) */
    bool admin_export_in;        /* an export stick is being written or still in */
    bool remove_is_admin;        /* d->remove is the administrator's stick (no screen) */
    guint admin_arm_timer;
};

static void daemon_next(struct daemon *d);
static void daemon_admin_session_ended(struct daemon *d);
static void daemon_admin_start(struct daemon *d);
static void daemon_admin_stop(struct daemon *d);
static void daemon_admin_check_fresh(struct daemon *d);
static void daemon_publish_kick(struct daemon *d);
static void daemon_publish_later(struct daemon *d, gint64 wait_us);
static void daemon_check_outbox(struct daemon *d);

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

/* O.reason = the English sentence of reason code CODE with at most one parameter P1 (or
 * NULL), and O.reason_code, O.reason_params beside it (docs/protocol.md). */
static void daemon_json_reason(JsonObject *o, const char *code, const char *p1)
{
    struct reason_data why;
    const char *v[] = {p1};
    reason_data_set(&why, code, v, p1 ? 1 : 0);
    char *text = reason_data_format(&why, NULL, NULL, NULL);
    json_object_set_string_member(o, "reason", text);
    reason_json_add(o, &why);
    g_free(text);
}

/* The same for a reason already made. */
static void daemon_json_reason_data(JsonObject *o, const struct reason_data *why)
{
    char *text = reason_data_format(why, NULL, NULL, NULL);
    json_object_set_string_member(o, "reason", text);
    reason_json_add(o, why);
    g_free(text);
}

/* CODE: the short cause ("audit" ...); WHY: the same for people as a reason code
 * (service.*, common/reason.h), its English sentence is the event's "reason". */
static void daemon_out_of_service(struct daemon *d, const char *code, const struct reason_data *why)
{
    d->oos = true;
    g_free(d->oos_code);
    d->oos_code = g_strdup(code);
    char *reason = reason_data_format(why, NULL, NULL, NULL);
    log_error("OUT OF SERVICE (%s): %s", code, reason);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "code", code);
    json_object_set_string_member(o, "reason", reason);
    reason_json_add(o, why);
    g_free(reason);
    daemon_audit(d, "out-of-service", json_object_ref(o));
    events_emit(d->events, "out-of-service", NULL, o);
}

/* The same for a cause without parameters. */
static void daemon_out_of_service0(struct daemon *d, const char *code, const char *rcode)
{
    struct reason_data why;
    reason_data_set(&why, rcode, NULL, 0);
    daemon_out_of_service(d, code, &why);
}

static void daemon_idle(struct daemon *d);

/* Back in service (O: the fields of the "back-in-service" record, consumed). */
static void daemon_resume(struct daemon *d, JsonObject *o)
{
    d->oos = false;
    g_clear_pointer(&d->oos_code, g_free);
    daemon_audit(d, "back-in-service", o);
    if (d->remove && !d->remove_is_admin) {
        events_emit(d->events, "remove-media", d->remove_session,
                    daemon_with_device(NULL, d->remove));
    } else if (!d->current) {
        daemon_idle(d);
        kudev_enumerate(d->udev); /* media inserted while out of service */
    }
}

static int daemon_scan_workers(const struct daemon *d)
{
    int n = d->cfg->workers > 0 ? d->cfg->workers : (int)g_get_num_processors();
    return MIN(n, SCANNER_POOL_MAX_WORKERS);
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
    if (j->admin_result)
        json_object_unref(j->admin_result);
    g_free(j->admin_why);
    if (j->details)
        json_object_unref(j->details);
    session_result_free(j->result);
    /* A pool a reload replaced while this session ran: nobody else uses it now. */
    if (j->params.pool && j->params.pool != j->d->pool)
        scanner_pool_free(j->params.pool);
    g_free(j);
}

/* ---- the session thread ---------------------------------------------------------------- */

static gboolean daemon_drain(gpointer data);
static void daemon_admin_media_event(struct daemon *d, enum daemon_job_kind kind,
                                     const char *phase, JsonObject *o);

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
    /* Fresh workers for every stick: one a previous medium may have subverted never
     * judges the next person's files. */
    scanner_pool_recycle(d->pool);
    j->details = d->details; /* the details given for the next session are this one's */
    d->details = NULL;
    j->params = (struct session_params){
        .source = j->dev->devnode,
        .policy = d->policy,
        .pool = d->pool,    /* a reload may replace d->pool; the session keeps this one */
        .cache = d->vcache, /* keyed by the pool's own database and options */
        .work_dir = d->cfg->work_dir,
        .target = d->cfg->target,
        .outbox_group = d->handoff->outbox_group,
        .audit_log = d->cfg->audit_log,
        .run_dir = d->cfg->run_dir,
        .reader_user = d->cfg->media_reader_user,
        /* The tests' hooks into the medium reader (media.h) work in testing mode only. */
        .reader_test_hooks = d->cfg->accept_loop,
        .workers = daemon_scan_workers(d), /* one scanner thread per pool worker */
        .details = j->details,
        .language_ja = &d->language_ja,
        .progress = daemon_on_progress,
        .progress_data = j,
        .cancel = &j->cancel,
        .session_id = j->id,
        .vendor = j->dev->vendor,
        .model = j->dev->model,
        .serial = j->dev->serial,
        .accept_loop = d->cfg->accept_loop,
        .signing_key = d->cfg->signing_key,
        .test_hold_fifo = d->cfg->accept_loop ? g_getenv("KIOSK_TEST_SESSION_HOLD") : NULL,
        /* The saved audit head: only for the kiosk's own log. */
        .admin_state = d->cfg->audit_log_given ? NULL : d->cfg->admin_state,
    };
    log_info("session %s: %s (%s %s, %" G_GUINT64_FORMAT " bytes)%s", j->id, j->dev->devnode,
             j->dev->vendor ? j->dev->vendor : "?", j->dev->model ? j->dev->model : "?",
             j->dev->size, d->cfg->accept_loop ? " [TESTING MODE]" : "");
    events_set_queue(d->events, (int)d->waiting.length);
    events_emit(d->events, "detected", j->id, daemon_with_device(NULL, j->dev));
    j->thread = g_thread_new("kiosk-session", daemon_session_main, j);
}

/* The files delivered as sanitized copies (at most DAEMON_MAX_HELD_BACK; the manifest
 * lists all): {path, delivered_as, removed, reason}. */
static JsonArray *daemon_sanitized_json(const struct session_result *r)
{
    JsonArray *a = json_array_new();
    guint n = 0;
    for (guint i = 0; i < r->files->len && n < DAEMON_MAX_HELD_BACK; i++) {
        const struct session_file *f = g_ptr_array_index(r->files, i);
        if (f->verdict.kind != VERDICT_SANITIZED || !f->disarm)
            continue;
        JsonObject *h = json_object_new();
        json_object_set_string_member(h, "path", f->display);
        daemon_json_opt(h, "delivered_as", f->staged_path);
        json_object_set_array_member(h, "removed", disarm_removed_json(f->disarm->removed));
        json_object_set_string_member(h, "reason", f->verdict.reason);
        reason_json_add(h, &f->verdict.why);
        json_array_add_object_element(a, h);
        n++;
    }
    return a;
}

static JsonObject *daemon_done_json(const struct session_result *r)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "status", r->status);
    json_object_set_object_member(o, "counts", session_counts_to_json(&r->counts));
    daemon_json_opt(o, "delivery", r->delivery);
    daemon_json_opt(o, "manifest_sha256", r->manifest_sha256[0] ? r->manifest_sha256 : NULL);
    JsonArray *held = json_array_new();
    guint n = 0, more = 0;
    json_object_set_array_member(o, "sanitized", daemon_sanitized_json(r));
    for (guint i = 0; i < r->files->len; i++) {
        const struct session_file *f = g_ptr_array_index(r->files, i);
        if (verdict_deliverable(&f->verdict) || f->verdict.kind == VERDICT_SKIPPED)
            continue;
        if (n++ >= DAEMON_MAX_HELD_BACK) {
            more++;
            continue;
        }
        JsonObject *h = json_object_new();
        json_object_set_string_member(h, "path", f->display);
        json_object_set_string_member(h, "verdict", verdict_kind_str(f->verdict.kind));
        json_object_set_string_member(h, "reason", f->verdict.reason);
        reason_json_add(h, &f->verdict.why);
        json_array_add_object_element(held, h);
    }
    json_object_set_array_member(o, "held_back", held);
    if (more)
        json_object_set_int_member(o, "held_back_more", more);
    json_object_set_boolean_member(o, "test_signatures", r->scanner.test_signatures);
    /* What the EDIFACT files are, and details that disagree with them (docs/edifact.md). */
    guint emore = 0;
    json_object_set_array_member(o, "edifact", edifact_json_done(r, DAEMON_MAX_HELD_BACK, &emore));
    if (emore)
        json_object_set_int_member(o, "edifact_more", emore);
    if (r->edifact_mismatch)
        json_object_set_array_member(o, "edifact_mismatch", json_array_ref(r->edifact_mismatch));
    if (r->outbox) {
        /* Checked and committed; "publication" events say when it reaches the share. */
        JsonObject *po = json_object_new();
        json_object_set_string_member(po, "state", "queued");
        json_object_set_string_member(po, "target", r->target);
        json_object_set_string_member(po, "location", r->delivery);
        json_object_set_object_member(o, "publication", po);
    }
    return o;
}

/* ---- printing (docs/reports.md) ------------------------------------------------------ */

struct daemon_print {
    struct daemon *d;
    char *session;
    int rc;
    char *saved, *why;
};

static void daemon_print_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancel)
{
    struct daemon_print *pr = data;
    const struct kiosk_config *cfg = pr->d->cfg;
    struct report_options o = {.kiosk_name = cfg->kiosk_name, .site = cfg->site};
    (void)src;
    (void)cancel;
    if (!report_parse_format(cfg->report_format, &o.format))
        o.format = REPORT_RECEIPT;
    if (!report_parse_lang(cfg->report_language, &o.lang))
        o.lang = REPORT_LANG_BOTH;
    o.follow_session = true; /* the visitor's language, when the session recorded it */
    /* Prints, saves a copy and records "print" or "print-failed" in the audit log. */
    pr->rc = report_print_session(cfg, pr->session, &o, NULL, 30, &pr->saved, &pr->why);
    g_task_return_boolean(task, TRUE);
}

static void daemon_print_done(GObject *src, GAsyncResult *res, gpointer data)
{
    struct daemon_print *pr = g_task_get_task_data(G_TASK(res));
    (void)src;
    (void)data;
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "status", pr->rc == 0 ? "printed" : "failed");
    if (pr->rc != 0)
        json_object_set_string_member(o, "reason", pr->why ? pr->why : "printing failed");
    if (pr->saved)
        json_object_set_string_member(o, "saved", pr->saved);
    if (!pr->d->stopping)
        events_emit(pr->d->events, "print", pr->session, o);
    else
        json_object_unref(o);
}

static void daemon_print_free(gpointer data)
{
    struct daemon_print *pr = data;
    g_free(pr->session);
    g_free(pr->saved);
    g_free(pr->why);
    g_free(pr);
}

/* Print SESSION's report ("last": the newest) in a thread; the result is a "print"
 * event.  The person waits at most the job's follow-up time, the kiosk not at all. */
static void daemon_print(struct daemon *d, const char *session)
{
    struct daemon_print *pr = g_new0(struct daemon_print, 1);
    pr->d = d;
    pr->session = g_strdup(session);
    GTask *t = g_task_new(NULL, NULL, daemon_print_done, NULL);
    g_task_set_task_data(t, pr, daemon_print_free);
    g_task_run_in_thread(t, daemon_print_thread);
    g_object_unref(t);
}

static void daemon_admin_media_finished(struct daemon *d, struct daemon_job *j);

static void daemon_finished(struct daemon *d, struct daemon_job *j)
{
    g_thread_join(j->thread);
    j->thread = NULL;
    d->current = NULL;
    daemon_admin_session_ended(d);
    if (j->kind != JOB_SESSION) {
        daemon_admin_media_finished(d, j);
        return;
    }
    const struct session_result *r = j->result;
    log_info("session %s: %s%s", j->id, r->status, j->removed ? " (media removed)" : "");
    if (r->outbox)
        daemon_publish_later(d, 0); /* committed: on its way to the share (after "done") */
    if (j->removed && r->exit_code == 2) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "session", j->id);
        json_object_set_boolean_member(o, "aborted", TRUE);
        daemon_audit(d, "media-removed", daemon_with_device(o, j->dev));
        o = json_object_new();
        daemon_json_reason(o, "session.media-removed", NULL);
        json_object_set_string_member(o, "code", "media-removed");
        events_emit(d->events, "failed", j->id, o);
        daemon_job_free(j);
        malloc_trim(0);
        daemon_idle(d);
        daemon_next(d);
        return;
    }
    if (r->exit_code == 2) {
        JsonObject *o = json_object_new();
        if (j->cancelled)
            daemon_json_reason(o, "session.cancelled", NULL);
        else if (r->error_why.code[0])
            daemon_json_reason_data(o, &r->error_why);
        else
            daemon_json_reason(o, "session.failed", NULL);
        if (j->cancelled)
            json_object_set_string_member(o, "code", "cancelled");
        events_emit(d->events, "failed", j->id, o);
    } else {
        if (r->edifact_mismatch) { /* before "done": the screen shows it before the receipt */
            JsonObject *mo = json_object_new();
            json_object_set_array_member(mo, "mismatches", json_array_ref(r->edifact_mismatch));
            events_emit(d->events, "edifact-mismatch", j->id, mo);
        }
        events_emit(d->events, "done", j->id, daemon_done_json(r));
        if (d->cfg->auto_print)
            daemon_print(d, j->id); /* the receipt, as the config asks */
        if (j->removed) {
            /* Pulled out after the check was complete: it is delivered all the same. */
            JsonObject *o = json_object_new();
            json_object_set_string_member(o, "session", j->id);
            json_object_set_boolean_member(o, "aborted", FALSE);
            daemon_audit(d, "media-removed", daemon_with_device(o, j->dev));
            daemon_job_free(j);
            malloc_trim(0);
            daemon_check_outbox(d);
            if (!d->oos) {
                daemon_idle(d);
                daemon_next(d);
            }
            return;
        }
    }
    /* The service cannot go on safely when its own storage fails. */
    if (j->rc == KERR_AUDIT)
        daemon_out_of_service0(d, "audit", "service.audit");
    else if (j->rc == KERR_STAGING)
        daemon_out_of_service0(d, "staging", "service.work-area");
    daemon_check_outbox(d);
    d->remove = j->dev;
    j->dev = NULL; /* transferred */
    d->remove_session = g_strdup(j->id);
    if (!d->oos)
        events_emit(d->events, "remove-media", d->remove_session,
                    daemon_with_device(NULL, d->remove));
    daemon_job_free(j);
    /* Give what the session's threads freed back to the system: the service runs for
     * months, one stick after another. */
    malloc_trim(0);
}

static gboolean daemon_drain(gpointer data)
{
    struct daemon *d = data;
    struct daemon_msg *m;
    while ((m = g_async_queue_try_pop(d->msgs)) != NULL) {
        struct daemon_job *j = m->job;
        if (m->confirm) {
            if (j == d->current && !j->removed)
                daemon_admin_media_event(d, j->kind, "confirm",
                                         daemon_with_device(NULL, j->dev));
        } else if (m->finished) {
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

static void daemon_admin_disarm(struct daemon *d, const char *phase);
static void daemon_admin_media_start(struct daemon *d, struct daemon_job *j);

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
            d->admin_export_in = d->filter.accept_rw_loop = d->filter.any_filesystem = false;
            d->remove_is_admin = false;
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
        reason_json_add(o, &dev->refusal);
        daemon_audit(d, "device-refused", daemon_with_device(json_object_ref(o), dev));
        /* The screen shows it unless another medium is being checked. */
        if (!d->current && !d->oos)
            events_emit(d->events, "refused", NULL, daemon_with_device(o, dev));
        else
            json_object_unref(o);
        return;
    }
    /* The administrator asked for their stick: this medium is it (even out of service:
     * an update is how the kiosk gets back into service). */
    if (d->admin_arm != JOB_SESSION && !d->current && !d->remove) {
        struct daemon_job *j = g_new0(struct daemon_job, 1);
        j->d = d;
        j->dev = kudev_device_copy(dev);
        j->kind = d->admin_arm;
        j->admin_conn = d->admin_conn;
        d->admin_export_in = j->kind == JOB_ADMIN_EXPORT;
        daemon_admin_disarm(d, NULL);
        daemon_admin_media_start(d, j);
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

static char *daemon_on_language(const char *lang, void *data)
{
    struct daemon *d = data;
    g_atomic_int_set(&d->language_ja, strcmp(lang, "ja") == 0);
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

/* ---- publication (handoff.h, publish.h, docs/handoff.md) ------------------------------- *
 * A checked session is committed to the outbox before the screen says "done"; from there
 * one publisher at a time takes the oldest unpublished entry to the staging share.  A
 * failure is retried with backoff (outbox_backoff_us), in order, for ever: nothing is
 * dropped.  Each state change is saved, audited and sent as a "publication" event.  Too
 * many bytes waiting ([staging] outbox-max-bytes) put the kiosk out of service until the
 * share takes them. */

static void daemon_publication_event(struct daemon *d, const struct outbox_entry *e)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "state", outbox_state_str(e->state));
    daemon_json_opt(o, "target", e->target);
    daemon_json_opt(o, "location", e->location);
    json_object_set_int_member(o, "attempt", e->attempts);
    daemon_json_opt(o, "error", e->error);
    char *t = e->state == OUTBOX_FAILED ? util_time_rfc3339(e->next_attempt_us, false) : NULL;
    daemon_json_opt(o, "next_attempt", t);
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

static void daemon_publish_later(struct daemon *d, gint64 wait_us)
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
    daemon_publication_event(d, e);
    outbox_entry_free(e);
    if (!d->stopping) {
        daemon_check_outbox(d);
        daemon_publish_later(d, 0); /* the next one, from the main loop */
    }
}

static void daemon_publish_kick(struct daemon *d)
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
    daemon_publication_event(d, e);
    struct publish_job job;
    handoff_job(d->handoff, e->session, &job);
    d->pub_entry = e;
    /* NULL when it failed to start (daemon_publish_done has run already). */
    d->pub_run = publish_start(&job, daemon_publish_done, d);
}

/* An operator asked (`kiosk staging retry`): failed entries are tried now. */
static void daemon_publish_retry_now(struct daemon *d)
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
static void daemon_prune(struct daemon *d)
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
        log_info("pruned %u published sessions older than %d days", pruned->len,
                 d->cfg->keep_days);
    if (lock >= 0)
        close(lock);
    g_ptr_array_free(pruned, TRUE);
    g_free(why);
}

/* Out of service while too much waits for the share; back when it has taken enough. */
static void daemon_check_outbox(struct daemon *d)
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

/* ---- administration: reloads, freshness gate, admin commands (docs/admin.md) ------------ *
 * The signature folder and the policy file are watched (GFileMonitor, and a poll of their
 * fingerprints every DAEMON_TICK_S).  A change builds a new engine with the policy file as
 * it is now, in a thread beside the engine in use; it is swapped in only when it compiled.
 * A running session keeps its own engine reference and its policy (kept in d->retired
 * until it ends).  A database that does not load, or a policy that does not validate,
 * keeps what is in use and is recorded.  The freshness gate puts the kiosk out of service
 * ("signatures-old") when the database in use is older than [scan]
 * max-signature-age-days, and back when a fresh one is loaded. */

#define DAEMON_RELOAD_DELAY_MS 1500 /* let a copy of several files finish */
#define DAEMON_TICK_S 60

static void daemon_reload(struct daemon *d, const char *why);

static void daemon_admin_session_ended(struct daemon *d)
{
    if (d->retired)
        g_ptr_array_set_size(d->retired, 0); /* no session uses them any more */
}

static void daemon_admin_check_fresh(struct daemon *d)
{
    if (!d->pool || d->stopping)
        return;
    /* Out of service for a reason a reload cannot fix (audit log, staging): stay. */
    if (d->oos && g_strcmp0(d->oos_code, "signatures-old") && g_strcmp0(d->oos_code, "no-signatures") &&
        g_strcmp0(d->oos_code, "policy"))
        return;
    const struct scanner_info *si = scanner_pool_info(d->pool);
    int64_t days = -1;
    bool old = sigdb_too_old(si, d->cfg->max_signature_age_days,
                             g_get_real_time() / G_USEC_PER_SEC, &days);
    if (old && !d->oos) {
        if (d->current)
            return; /* the session finishes first; the next tick stops the kiosk */
        struct reason_data why;
        sigdb_old_reason(days, d->cfg->max_signature_age_days, &why);
        daemon_out_of_service(d, "signatures-old", &why);
    } else if (!old && d->oos && d->policy) {
        if (!d->handoff)
            return;
        log_info("back in service: signatures %s, policy \"%s\" version %" G_GUINT64_FORMAT,
                 si->db_version, d->policy->name, d->policy->version);
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "db_version", si->db_version);
        json_object_set_int_member(o, "age_days", days);
        json_object_set_int_member(o, "policy_version", (gint64)d->policy->version);
        daemon_resume(d, o);
    }
}

static void daemon_reload_done(GObject *src, GAsyncResult *res, gpointer data)
{
    struct daemon *d = data;
    struct scanner_pool *np = NULL;
    char *why = NULL;
    (void)src;
    /* The new pool was built in a thread (its zygote forked by the spawner): the main loop
     * kept serving removals, cancel and the screen meanwhile.  Its engine compiled, or it
     * would not be here. */
    int rc = sigdb_pool_build_finish(res, &np, &why);
    struct policy *pol = g_steal_pointer(&d->reload_policy);
    char *fp = g_steal_pointer(&d->reload_fp);
    d->reloading = false;
    notify_ready(NULL); /* the reload ended (swapped in or refused: the audit log says) */
    if (d->stopping) {
        scanner_pool_free(np);
        if (pol != d->policy)
            policy_free(pol);
        g_free(fp);
        g_free(why);
        return;
    }
    if (rc != 0) {
        log_error("reload: the signature database in %s does not load (%s); the previous "
                  "engine stays in use",
                  d->cfg->signatures, why);
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "signatures", d->cfg->signatures);
        json_object_set_string_member(o, "reason", why);
        if (d->pool)
            json_object_set_string_member(o, "kept_db_version",
                                          scanner_pool_info(d->pool)->db_version);
        daemon_audit(d, "signatures-refused", o);
        g_free(d->db_problem);
        d->db_problem = g_strdup_printf("The signature database in %s does not load (%s); %s",
                                        d->cfg->signatures, why,
                                        d->pool ? "the previous one is still used."
                                                  : "nothing can be checked.");
        g_free(d->failed_fp);
        d->failed_fp = fp;
        if (pol != d->policy)
            policy_free(pol);
    } else {
        const struct scanner_info *si = scanner_pool_info(np);
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "db_version", si->db_version);
        json_object_set_int_member(o, "signatures", si->signatures);
        json_object_set_boolean_member(o, "test_signatures", si->test_signatures);
        if (d->pool)
            json_object_set_string_member(o, "previous_db_version",
                                          scanner_pool_info(d->pool)->db_version);
        json_object_set_string_member(o, "policy", pol->name);
        json_object_set_int_member(o, "policy_version", (gint64)pol->version);
        json_object_set_string_member(o, "policy_sha256", pol->sha256);
        if (d->policy)
            json_object_set_int_member(o, "previous_policy_version", (gint64)d->policy->version);
        log_info("reload: engine swapped in: %u signatures, database %s; policy \"%s\" version "
                 "%" G_GUINT64_FORMAT "%s",
                 si->signatures, si->db_version, pol->name, pol->version,
                 d->current ? " (the running session finishes on the previous ones)" : "");
        daemon_audit(d, "reload", o);
        bool swapped_policy = d->policy != pol;
        if (d->policy && swapped_policy) {
            if (d->current)
                g_ptr_array_add(d->retired, d->policy);
            else
                policy_free(d->policy);
        }
        /* A running session keeps the old pool; its end frees it (daemon_job_free). */
        if (!(d->current && d->current->params.pool == d->pool))
            scanner_pool_free(d->pool);
        d->policy = pol;
        d->filter.policy = pol;
        d->pool = np;
        g_free(d->sig_fp);
        d->sig_fp = fp;
        g_clear_pointer(&d->failed_fp, g_free);
        if (swapped_policy) {
            g_clear_pointer(&d->failed_policy, g_free);
            g_clear_pointer(&d->db_problem, g_free);
        } else if (!d->failed_policy) {
            g_clear_pointer(&d->db_problem, g_free);
        }
    }
    g_free(why);
    daemon_admin_check_fresh(d);
    if (d->reload_again) {
        d->reload_again = false;
        daemon_reload(d, "changed during the reload");
    }
}

/* Build a new engine with the policy file as it is now, unless nothing changed. */
static void daemon_reload(struct daemon *d, const char *why)
{
    const struct kiosk_config *cfg = d->cfg;
    if (d->stopping)
        return;
    if (d->reloading) {
        d->reload_again = true;
        return;
    }
    char sha[65] = "";
    util_sha256_file(cfg->policy, sha);
    char *fp = sigdb_fingerprint(cfg->signatures);
    bool new_policy = (!d->policy || strcmp(sha, d->policy->sha256) != 0) &&
                      g_strcmp0(sha, d->failed_policy) != 0;
    bool new_sigs = g_strcmp0(fp, d->failed_fp) != 0 &&
                    (!d->pool || g_strcmp0(fp, d->sig_fp) != 0);
    if (!new_policy && !new_sigs) {
        g_free(fp);
        return; /* nothing new (or the same broken files again) */
    }
    struct policy *pol = NULL;
    if (new_policy) {
        GPtrArray *perrs = g_ptr_array_new_with_free_func(policy_error_free);
        if (policy_load(cfg->policy, &pol, perrs) != 0) {
            JsonObject *o = json_object_new();
            JsonArray *arr = json_array_new();
            for (guint i = 0; i < perrs->len; i++) {
                const struct policy_error *e = g_ptr_array_index(perrs, i);
                char *t = g_strdup_printf("%d: %s", e->line, e->message);
                log_error("policy %s:%s", cfg->policy, t);
                json_array_add_string_element(arr, t);
                g_free(t);
            }
            log_error("reload: the policy %s is not valid; %s", cfg->policy,
                      d->policy ? "the previous policy stays in use" : "still out of service");
            json_object_set_string_member(o, "policy", cfg->policy);
            json_object_set_string_member(o, "sha256", sha);
            json_object_set_array_member(o, "problems", arr);
            daemon_audit(d, "policy-refused", o);
            g_free(d->failed_policy);
            d->failed_policy = g_strdup(sha);
            g_free(d->db_problem);
            d->db_problem = g_strdup_printf("The policy file %s is not valid; %s", cfg->policy,
                                            d->policy ? "the previous policy is still used."
                                                      : "nothing can be checked.");
            pol = NULL;
        }
        g_ptr_array_free(perrs, TRUE);
    }
    if (!pol && !(new_sigs && d->policy)) {
        g_free(fp);
        return;
    }
    log_info("reload (%s): building a new engine beside the one in use", why);
    d->reloading = true;
    notify_reloading("reloading: building a new engine beside the one in use");
    /* Without a new policy the engine is built with the one in use (it stays valid: only
     * daemon_reload_done replaces it). */
    d->reload_policy = pol ? pol : d->policy;
    d->reload_fp = fp;
    sigdb_pool_build_async(d->reload_policy, cfg->signatures, daemon_scan_workers(d),
                           SCANNER_POOL_USER, cfg->run_dir, daemon_reload_done, d);
}

static gboolean daemon_reload_timer(gpointer data)
{
    struct daemon *d = data;
    d->reload_timer = 0;
    daemon_reload(d, "files changed");
    return G_SOURCE_REMOVE;
}

static void daemon_on_file_change(GFileMonitor *m, GFile *f, GFile *other, GFileMonitorEvent ev,
                                  gpointer data)
{
    struct daemon *d = data;
    (void)m;
    (void)f;
    (void)other;
    if (ev == G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED && m == d->pol_mon)
        return;
    /* Several events per copy: act once things settled. */
    if (d->reload_timer)
        g_source_remove(d->reload_timer);
    d->reload_timer = g_timeout_add(DAEMON_RELOAD_DELAY_MS, daemon_reload_timer, d);
}

static gboolean daemon_admin_tick(gpointer data)
{
    struct daemon *d = data;
    daemon_reload(d, "periodic check"); /* in case a change was not seen */
    if (!d->current)
        daemon_admin_session_ended(d);
    daemon_admin_check_fresh(d);
    daemon_check_outbox(d);
    daemon_publish_kick(d);
    daemon_prune(d);
    return G_SOURCE_CONTINUE;
}

static GFileMonitor *daemon_monitor(struct daemon *d, const char *path, bool dir)
{
    GFile *f = g_file_new_for_path(path);
    GError *err = NULL;
    GFileMonitor *m = dir ? g_file_monitor_directory(f, G_FILE_MONITOR_WATCH_MOVES, NULL, &err)
                          : g_file_monitor_file(f, G_FILE_MONITOR_WATCH_MOVES, NULL, &err);
    g_object_unref(f);
    if (!m) {
        log_warn("cannot watch %s (%s); checking it every %d s", path, err->message,
                 DAEMON_TICK_S);
        g_error_free(err);
        return NULL;
    }
    g_signal_connect(m, "changed", G_CALLBACK(daemon_on_file_change), d);
    return m;
}

static void daemon_admin_start(struct daemon *d)
{
    d->retired = g_ptr_array_new_with_free_func((GDestroyNotify)policy_free);
    d->sig_fp = d->pool ? sigdb_fingerprint(d->cfg->signatures) : NULL;
    d->sig_mon = daemon_monitor(d, d->cfg->signatures, true);
    d->pol_mon = daemon_monitor(d, d->cfg->policy, false);
    d->tick_timer = g_timeout_add_seconds(DAEMON_TICK_S, daemon_admin_tick, d);
}

static void daemon_admin_stop(struct daemon *d)
{
    daemon_admin_disarm(d, NULL);
    if (d->reload_timer)
        g_source_remove(d->reload_timer);
    if (d->tick_timer)
        g_source_remove(d->tick_timer);
    d->reload_timer = d->tick_timer = 0;
    /* An engine still being built: wait for it (its thread uses d->reload_policy). */
    while (d->reloading)
        g_main_context_iteration(NULL, TRUE);
    g_clear_object(&d->sig_mon);
    g_clear_object(&d->pol_mon);
    if (d->retired)
        g_ptr_array_free(d->retired, TRUE);
    d->retired = NULL;
    g_free(d->oos_code);
    g_free(d->sig_fp);
    g_free(d->failed_fp);
    g_free(d->failed_policy);
    g_free(d->db_problem);
}

/* What the service itself uses right now (admin-status). */
static JsonObject *daemon_admin_service_json(struct daemon *d)
{
    JsonObject *o = events_status(d->events);
    json_object_remove_member(o, "type");
    if (d->oos_code && d->oos)
        json_object_set_string_member(o, "out_of_service", d->oos_code);
    if (d->pool) {
        const struct scanner_info *si = scanner_pool_info(d->pool);
        int64_t days = sigdb_age_days(si, g_get_real_time() / G_USEC_PER_SEC);
        json_object_set_string_member(o, "db_version", si->db_version);
        char *t = si->db_time > 0 ? util_time_rfc3339(si->db_time * G_USEC_PER_SEC, false) : NULL;
        daemon_json_opt(o, "db_build_time", t);
        g_free(t);
        if (days >= 0)
            json_object_set_int_member(o, "db_age_days", days);
        else
            json_object_set_null_member(o, "db_age_days");
        json_object_set_int_member(o, "signature_count", si->signatures);
        json_object_set_boolean_member(o, "test_signatures", si->test_signatures);
    }
    if (d->policy) {
        json_object_set_string_member(o, "policy", d->policy->name);
        json_object_set_int_member(o, "policy_version", (gint64)d->policy->version);
    }
    json_object_set_boolean_member(o, "reloading", d->reloading);
    daemon_json_opt(o, "problem", d->db_problem);
    if (d->handoff)
        json_object_set_object_member(o, "publication", handoff_status_json(d->handoff));
    return o;
}

/* ---- the administrator's stick (bundle.h, docs/admin.md) ------------------------------ *
 * After a login, the screen arms the service for an update or an export; the next medium
 * inserted (within DAEMON_ADMIN_ARM_S) is then the administrator's stick instead of a
 * visitor's.  No state event is sent for it (the screen stays on the administrator's
 * page): "admin-media" events tell the phases, and the stick is held, silently, until it
 * is removed. */
#define DAEMON_ADMIN_ARM_S 120

static const char *daemon_job_action(enum daemon_job_kind k)
{
    return k == JOB_ADMIN_EXPORT ? "export" : "update";
}

static void daemon_admin_media_event(struct daemon *d, enum daemon_job_kind kind,
                                     const char *phase, JsonObject *o)
{
    if (!o)
        o = json_object_new();
    json_object_set_string_member(o, "action", daemon_job_action(kind));
    json_object_set_string_member(o, "phase", phase);
    events_emit(d->events, "admin-media", NULL, o);
}

/* No stick is awaited any more; PHASE (may be NULL) is told to the screen. */
static void daemon_admin_disarm(struct daemon *d, const char *phase)
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

static gboolean daemon_admin_arm_expired(gpointer data)
{
    struct daemon *d = data;
    d->admin_arm_timer = 0;
    log_info("administrator's stick: none inserted within %d s", DAEMON_ADMIN_ARM_S);
    daemon_admin_disarm(d, "expired");
    return G_SOURCE_REMOVE;
}

/* Nothing is erased before the administrator has seen which stick it is and said so
 * ({"action":"erase"}): a visitor's stick inserted while an export waited stays intact. */
#define DAEMON_ERASE_CONFIRM_US ((gint64)60 * G_USEC_PER_SEC)

static int daemon_admin_confirm_erase(struct daemon_job *j)
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
    } else if ((j->rc = daemon_admin_confirm_erase(j)) == 0) {
        j->rc = bundle_export_device(d->cfg, j->dev->devnode, a, &j->admin_result,
                                     &j->admin_why);
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
    log_info("administrator's stick (%s): %s (%s %s)", daemon_job_action(j->kind),
             j->dev->devnode, j->dev->vendor ? j->dev->vendor : "?",
             j->dev->model ? j->dev->model : "?");
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "action", daemon_job_action(j->kind));
    json_object_set_string_member(o, "id", j->id);
    daemon_audit(d, "admin-media", daemon_with_device(o, j->dev));
    daemon_admin_media_event(d, j->kind, "working", daemon_with_device(NULL, j->dev));
    j->thread = g_thread_new("kiosk-admin-stick", daemon_admin_media_main, j);
}

static void daemon_admin_media_finished(struct daemon *d, struct daemon_job *j)
{
    JsonObject *o = j->admin_result ? json_object_ref(j->admin_result) : json_object_new();
    /* What was done is done: an update installed from the verified copies, or an export
     * read back, stays so when the stick is pulled out afterwards. */
    bool ok = j->rc == 0;
    if (!ok && j->removed) {
        json_object_set_string_member(o, "reason", "The stick was removed before the work was "
                                                   "finished.");
        json_object_remove_member(o, "reason_code"); /* the work's own: made again below */
        json_object_remove_member(o, "reason_params");
    }
    else if (!ok && !json_object_has_member(o, "reason"))
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
    log_info("administrator's stick (%s): %s%s%s", daemon_job_action(j->kind),
             ok ? "done" : "failed", ok ? "" : ": ", ok ? "" : json_object_get_string_member(o, "reason"));
    daemon_admin_media_event(d, j->kind, ok ? "done" : "failed", o);
    if (j->kind == JOB_ADMIN_UPDATE && json_object_has_member(o, "installed") &&
        json_object_get_int_member(o, "installed") > 0)
        daemon_reload(d, "update from the administrator's stick");
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
    if (!d->oos && !g_strcmp0(json_object_get_string_member_with_default(st, "state", ""),
                              "out-of-service"))
        daemon_idle(d);
    json_object_unref(st);
    malloc_trim(0);
}

/* {"cmd":"admin-media","action":"update"|"export"|"cancel"}, after a login. */
static void daemon_admin_media_command(struct daemon *d, const struct events_peer *peer,
                                       JsonObject *msg, JsonObject *reply, char **error)
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
        daemon_admin_disarm(d, "cancelled");
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
    daemon_admin_disarm(d, NULL);
    d->admin_arm = k;
    d->admin_conn = peer->conn;
    /* In testing mode the export's loop device must be writable (losetup without -r). */
    d->filter.accept_rw_loop = k == JOB_ADMIN_EXPORT;
    /* Its old filesystem does not matter: it is erased, never read. */
    d->filter.any_filesystem = k == JOB_ADMIN_EXPORT;
    d->admin_arm_timer = g_timeout_add_seconds(DAEMON_ADMIN_ARM_S, daemon_admin_arm_expired, d);
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "expires_in", DAEMON_ADMIN_ARM_S);
    daemon_admin_media_event(d, k, "waiting", o);
    json_object_set_int_member(reply, "expires_in", DAEMON_ADMIN_ARM_S);
    log_info("administrator's stick: waiting for it (%s)", daemon_job_action(k));
}

/* ---- socket commands (events.c's table says who may send each; events.h) ------------ */

/* {"cmd":"reload"}: root only (the console, `kiosk policy install`). */
static char *daemon_cmd_reload(JsonObject *msg, struct events_peer *peer, JsonObject *reply,
                               void *data)
{
    struct daemon *d = data;
    (void)msg;
    (void)peer;
    daemon_reload(d, "requested on the socket");
    json_object_set_boolean_member(reply, "reloading", d->reloading);
    return NULL;
}

/* {"cmd":"staging-status"} and, retrying first, "staging-retry": root only (the console,
 * `kiosk staging retry|list`). */
static char *daemon_cmd_staging(struct daemon *d, bool retry, JsonObject *reply)
{
    if (!d->handoff)
        return g_strdup("the kiosk cannot deliver now (out of service)");
    if (retry)
        daemon_publish_retry_now(d);
    json_object_set_object_member(reply, "publication", handoff_status_json(d->handoff));
    json_object_set_boolean_member(reply, "publishing", d->pub_run != NULL);
    return NULL;
}

static char *daemon_cmd_staging_retry(JsonObject *msg, struct events_peer *peer, JsonObject *reply,
                                      void *data)
{
    (void)msg;
    (void)peer;
    return daemon_cmd_staging(data, true, reply);
}

static char *daemon_cmd_staging_status(JsonObject *msg, struct events_peer *peer, JsonObject *reply,
                                       void *data)
{
    (void)msg;
    (void)peer;
    return daemon_cmd_staging(data, false, reply);
}

/* {"cmd":"admin-login","password":...}: this connection is logged in, or why not. */
static char *daemon_cmd_admin_login(JsonObject *msg, struct events_peer *peer, JsonObject *reply,
                                    void *data)
{
    struct daemon *d = data;
    const char *pw = json_member_string(msg, "password", NULL);
    struct admin_login_result res;
    char *error = NULL, *why = NULL, *where = g_strdup_printf("screen (uid %d)", peer->uid);
    if (!pw) {
        error = g_strdup("missing \"password\"");
    } else if (admin_login(d->cfg->admin_state, d->cfg->admin_lockout_seconds, pw, d->audit, where,
                           &res, &why) != 0) {
        log_error("admin login: %s", why);
        error = g_strdup("Administrator login is not possible: the password store is "
                         "damaged. Use the console.");
    } else {
        char *msg_text = admin_login_message(&res);
        if (res.ok) {
            peer->admin = true;
            peer->admin_until = g_get_monotonic_time() + EVENTS_ADMIN_LOGIN_US;
        } else {
            error = g_strdup(msg_text);
        }
        json_object_set_string_member(reply, "message", msg_text);
        json_object_set_boolean_member(reply, "locked", res.locked);
        json_object_set_int_member(reply, "retry_after", res.retry_after);
        json_object_set_int_member(reply, "remaining", res.remaining);
        g_free(msg_text);
    }
    g_free(why);
    g_free(where);
    return error;
}

/* {"cmd":"print","session":ID|"last"}: the screen's print button (and reprint). */
static char *daemon_cmd_print(JsonObject *msg, struct events_peer *peer, JsonObject *reply,
                              void *data)
{
    (void)peer;
    const char *session = json_member_string(msg, "session", "last");
    if (strlen(session) > 64 ||
        strspn(session, "0123456789abcdefghijklmnopqrstuvwxyz-") != strlen(session))
        return g_strdup("\"session\" must be a session id or \"last\"");
    daemon_print(data, session);
    json_object_set_boolean_member(reply, "printing", TRUE);
    return NULL;
}

/* {"cmd":"admin-status"}, after a login. */
static char *daemon_cmd_admin_status(JsonObject *msg, struct events_peer *peer, JsonObject *reply,
                                     void *data)
{
    struct daemon *d = data;
    (void)msg;
    (void)peer;
    JsonObject *st = admin_status_json(d->cfg, 10);
    json_object_set_object_member(st, "service", daemon_admin_service_json(d));
    json_object_set_object_member(reply, "status", st);
    return NULL;
}

/* {"cmd":"admin-media",...}, after a login. */
static char *daemon_cmd_admin_media(JsonObject *msg, struct events_peer *peer, JsonObject *reply,
                                    void *data)
{
    char *error = NULL;
    daemon_admin_media_command(data, peer, msg, reply, &error);
    return error;
}

/* {"cmd":"admin-logout"}: ends this connection's login only: what another connection's
 * login asked for (a stick awaited, an erase to confirm) is not this one's to cancel. */
static char *daemon_cmd_admin_logout(JsonObject *msg, struct events_peer *peer, JsonObject *reply,
                                     void *data)
{
    struct daemon *d = data;
    (void)msg;
    (void)reply;
    if (d->admin_arm != JOB_SESSION && d->admin_conn == peer->conn)
        daemon_admin_disarm(d, "cancelled");
    /* An erase nobody can confirm any more: the stick stays as it is. */
    if (d->current && d->current->kind == JOB_ADMIN_EXPORT &&
        d->current->admin_conn == peer->conn && !g_atomic_int_get(&d->current->erase_ok)) {
        d->current->cancelled = true;
        g_atomic_int_set(&d->current->cancel, 1);
    }
    if (peer->admin) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "where", "screen");
        daemon_audit(d, "admin-logout", o);
    }
    peer->admin = false;
    return NULL;
}

/* ---- start-up ----------------------------------------------------------------------------- */

/* Sessions with a "session-start" but no "session-end" in the audit log: the service
 * died under them (a session running now, whose lock is held, is not one of them).
 * Session id -> its source, for the session-interrupted records. */
static GHashTable *daemon_unended_sessions(struct daemon *d, GPtrArray *order)
{
    char *data = NULL;
    gsize len = 0;
    GHashTable *started = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    if (!g_file_get_contents(d->cfg->audit_log, &data, &len, NULL))
        return started;
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
    g_free(data);
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, started);
    while (g_hash_table_iter_next(&it, &key, NULL))
        if (workarea_session_running(d->cfg->work_dir, key))
            g_hash_table_iter_remove(&it);
    return started;
}

/* Record each interrupted session, saying what became of it. */
static void daemon_record_interrupted(struct daemon *d, GHashTable *unended, GPtrArray *order,
                                      GPtrArray *taken_back)
{
    for (guint i = 0; i < order->len; i++) {
        const char *sid = g_ptr_array_index(order, i);
        const char *src = g_hash_table_lookup(unended, sid);
        if (!src)
            continue;
        bool committed = false;
        for (guint k = 0; k < taken_back->len; k++)
            committed |= !strcmp(g_ptr_array_index(taken_back, k), sid);
        /* A session reaches the outbox only after its end is on record, and the share only
         * from the outbox: an unended session never delivered anything. */
        const char *what = committed ? "its checked files had reached the outbox but its end was "
                                       "not recorded, so they were taken back; nothing of it "
                                       "was published"
                                     : "it had not finished; nothing of it was published";
        log_warn("session %s (%s) was interrupted: %s", sid, src, what);
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "session", sid);
        json_object_set_string_member(o, "source", src);
        char *reason = g_strdup_printf("the service stopped during the session (crash, power "
                                       "loss or kill); %s",
                                       what);
        json_object_set_string_member(o, "reason", reason);
        json_object_set_boolean_member(o, "published", FALSE);
        g_free(reason);
        daemon_audit(d, "session-interrupted", o);
        g_hash_table_remove(unended, sid);
    }
}

static void daemon_recover(struct daemon *d)
{
    GPtrArray *cleaned = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *order = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *taken_back = g_ptr_array_new_with_free_func(g_free);
    if (media_recover(d->cfg->run_dir, cleaned) != 0)
        log_warn("recovery: some stale mounts under %s/mnt could not be removed",
                 d->cfg->run_dir);
    /* Only the private work area is touched; never the share. */
    if (workarea_recover(d->cfg->work_dir, cleaned) != 0)
        log_warn("recovery: some leftovers in %s could not be removed", d->cfg->work_dir);
    GHashTable *unended = daemon_unended_sessions(d, order);
    if (d->handoff && handoff_recover(d->handoff, unended, taken_back, cleaned) != 0)
        log_warn("recovery: the outbox in %s could not be put in order completely",
                 d->cfg->work_dir);
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
    daemon_record_interrupted(d, unended, order, taken_back);
    g_hash_table_destroy(unended);
    g_ptr_array_free(order, TRUE);
    g_ptr_array_free(taken_back, TRUE);
    g_ptr_array_free(cleaned, TRUE);
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
        daemon_out_of_service0(d, "policy", "service.policy");
        return;
    }
    g_ptr_array_free(perrs, TRUE);
    d->filter.policy = d->policy;
    if (!d->handoff)
        return; /* out of service already: the kiosk cannot deliver */
    if (cfg->cache && !d->vcache) {
        char *cpath = config_cache_path(cfg);
        if (verdict_cache_open(cpath, (size_t)cfg->cache_max_entries, &d->vcache, &why) != 0) {
            log_warn("%s; every file is scanned", why);
            g_clear_pointer(&why, g_free);
        }
        g_free(cpath);
    }
    gint64 t0 = g_get_monotonic_time();
    /* The engine is loaded once, in the pool's zygote; sandboxed workers share it. */
    if (sigdb_pool_new(d->policy, cfg->signatures, daemon_scan_workers(d), SCANNER_POOL_USER,
                       cfg->run_dir, &d->pool, &why) != 0) {
        log_error("scanner: %s", why);
        g_free(why);
        daemon_out_of_service0(d, "no-signatures", "service.no-signatures");
        return;
    }
    const struct scanner_info *si = scanner_pool_info(d->pool);
    log_info("engine loaded once in %.2f s: ClamAV %s, %u signatures, database %s%s",
             (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC, si->engine_version,
             si->signatures, si->db_version, "");
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "version", version_string());
    json_object_set_string_member(o, "engine", si->engine_version);
    json_object_set_string_member(o, "db_version", si->db_version);
    json_object_set_int_member(o, "signatures", si->signatures);
    json_object_set_boolean_member(o, "test_signatures", si->test_signatures);
    json_object_set_string_member(o, "policy", d->policy->name);
    json_object_set_int_member(o, "policy_version", (gint64)d->policy->version);
    json_object_set_string_member(o, "policy_sha256", d->policy->sha256);
    json_object_set_string_member(o, "target", d->handoff->target->spec);
    daemon_json_opt(o, "signing_key_id", d->handoff->key_id[0] ? d->handoff->key_id : NULL);
    daemon_audit(d, "service-start", o);
    daemon_admin_check_fresh(d);
}

static gboolean daemon_on_signal(gpointer data)
{
    struct daemon *d = data;
    log_info("stopping");
    notify_stopping();
    d->stopping = true;
    if (d->pub_run) {
        /* A cut-off publication is retried at the next start (exactly once: publish.h). */
        publish_stop(d->pub_run);
        for (int i = 0; d->pub_entry && i < 500; i++)
            if (!g_main_context_iteration(NULL, FALSE))
                g_usleep(10000);
    }
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

/* systemd's STATUS= follows the state the screen sees (service/notify.h). */
static void daemon_on_state(const char *state, JsonObject *event, void *data)
{
    (void)data;
    const char *reason = json_object_get_string_member_with_default(event, "reason", NULL);
    const char *session = json_object_get_string_member_with_default(event, "session", NULL);
    char *text = !strcmp(state, "idle") ? g_strdup("idle: waiting for USB media")
                 : reason              ? g_strdup_printf("%s: %s", state, reason)
                 : session             ? g_strdup_printf("%s (session %s)", state, session)
                                       : g_strdup(state);
    notify_status(text);
    g_free(text);
}

/* SIGHUP (systemctl reload kiosk): the same as a root "reload" on the socket. */
static gboolean daemon_on_sighup(gpointer data)
{
    struct daemon *d = data;
    log_info("SIGHUP: reloading the policy and the signatures if they changed");
    daemon_reload(d, "SIGHUP");
    return G_SOURCE_CONTINUE;
}

/* [access] screen-users: user names or ids, separated by commas or spaces.  An unknown
 * name stops the service (fail closed: nobody would be refused otherwise). */
static GArray *daemon_screen_uids(const char *list, char **why)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(int));
    char **names = g_strsplit_set(list, ", ;", -1);
    for (int i = 0; names[i]; i++) {
        if (!*names[i])
            continue;
        struct passwd *pw = getpwnam(names[i]);
        char *end = NULL;
        long uid = pw ? (long)pw->pw_uid : strtol(names[i], &end, 10);
        if (!pw && (!end || *end || uid < 0 || uid > INT_MAX)) {
            *why = g_strdup_printf("[access] screen-users: no user named '%s'", names[i]);
            g_array_free(a, TRUE);
            a = NULL;
            break;
        }
        int u = (int)uid;
        g_array_append_val(a, u);
    }
    g_strfreev(names);
    return a;
}

int daemon_run(const struct kiosk_config *cfg)
{
    struct daemon dd = {.cfg = cfg}, *d = &dd;
    char *why = NULL;
    int rc = 1;

    signal(SIGPIPE, SIG_IGN);
    /* Loading an engine blocks the main loop for minutes: the watchdog is fed meanwhile. */
    scanner_pool_set_keepalive(notify_keepalive);
    d->pub_lock = -1;
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
    if (cfg->accept_loop) {
        log_warn("loop devices count as removable media%s%s%s",
                 cfg->loop_backing_dir ? " (backed by files below " : "",
                 cfg->loop_backing_dir ? cfg->loop_backing_dir : "",
                 cfg->loop_backing_dir ? ")" : "");
    }
    if (util_mkdir_p(cfg->run_dir, 0755) != 0) {
        log_error("cannot create %s: %s", cfg->run_dir, g_strerror(errno));
        goto out;
    }
    GArray *screen_uids = NULL;
    if (cfg->screen_users && *cfg->screen_users &&
        !(screen_uids = daemon_screen_uids(cfg->screen_users, &why))) {
        log_error("%s", why);
        goto out;
    }
    d->language_ja = g_strcmp0(cfg->language, "ja") == 0;
    struct events_info info = {
        .screen_uids = screen_uids ? (const int *)(void *)screen_uids->data : NULL,
        .n_screen_uids = screen_uids ? (int)screen_uids->len : 0,
        .kiosk_name = cfg->kiosk_name,
        .site = cfg->site,
        .language = cfg->language,
        .testing_mode = cfg->accept_loop,
        /* A printer is configured ([report] printer), or the receipt prints by itself. */
        .can_print = (cfg->printer && *cfg->printer) || cfg->auto_print,
    };
    struct events_handlers h = {.details = daemon_on_details,
                                .cancel = daemon_on_cancel,
                                .language = daemon_on_language,
                                .service = {[EVENTS_SVC_RELOAD] = daemon_cmd_reload,
                                            [EVENTS_SVC_STAGING_RETRY] = daemon_cmd_staging_retry,
                                            [EVENTS_SVC_STAGING_STATUS] = daemon_cmd_staging_status,
                                            [EVENTS_SVC_PRINT] = daemon_cmd_print,
                                            [EVENTS_SVC_ADMIN_LOGIN] = daemon_cmd_admin_login,
                                            [EVENTS_SVC_ADMIN_STATUS] = daemon_cmd_admin_status,
                                            [EVENTS_SVC_ADMIN_MEDIA] = daemon_cmd_admin_media,
                                            [EVENTS_SVC_ADMIN_LOGOUT] = daemon_cmd_admin_logout},
                                .state = daemon_on_state,
                                .data = d};
    d->events = events_new(cfg->socket, cfg->socket_group, &info, &h, &why);
    if (screen_uids)
        g_array_free(screen_uids, TRUE);
    if (!d->events) {
        log_error("%s", why);
        goto out;
    }
    log_info("listening on %s", cfg->socket);

    if (audit_open(cfg->audit_log, &d->audit) != 0) {
        log_error("audit log %s: %s", cfg->audit_log, g_strerror(errno));
        daemon_out_of_service0(d, "audit", "service.audit");
    } else {
        if (handoff_open(cfg, &d->handoff, &why) != 0) {
            log_error("hand-off: %s", why);
            JsonObject *o = json_object_new();
            json_object_set_string_member(o, "error", why);
            daemon_audit(d, "staging-refused", o);
            daemon_out_of_service0(d, "staging", "service.staging");
            g_clear_pointer(&why, g_free);
        } else if (d->handoff->key_created) {
            JsonObject *o = json_object_new();
            json_object_set_string_member(o, "key_id", d->handoff->key_id);
            json_object_set_string_member(o, "key", cfg->signing_key);
            daemon_audit(d, "signing-key-created", o);
        }
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
    daemon_check_outbox(d);
    daemon_prune(d);
    daemon_publish_kick(d); /* what waits in the outbox from before */
    if (d->audit)
        daemon_admin_start(d); /* reloads and freshness, also when out of service */
    g_unix_signal_add(SIGTERM, daemon_on_signal, d);
    g_unix_signal_add(SIGINT, daemon_on_signal, d);
    g_unix_signal_add(SIGHUP, daemon_on_sighup, d);
    /* Ready: the engine is loaded (or the kiosk said why it is out of service). */
    notify_ready(NULL);
    notify_watchdog_start();
    g_main_loop_run(d->loop);
    notify_watchdog_stop();
    daemon_audit(d, "service-stop", NULL);
    rc = 0;
out:
    daemon_admin_stop(d);
    if (d->pub_timer)
        g_source_remove(d->pub_timer);
    if (d->pub_lock >= 0)
        close(d->pub_lock);
    outbox_entry_free(d->pub_entry);
    handoff_free(d->handoff);
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
    scanner_pool_free(d->pool);
    verdict_cache_free(d->vcache);
    policy_free(d->policy);
    audit_close(d->audit);
    g_free(why);
    return rc;
}

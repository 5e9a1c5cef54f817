/* daemon-session.c - a visitor's check in the service: a session_run() per medium in
 * its own thread (with fresh scanner workers), its progress as state events
 * (detected, checking, scanning, delivering), and its end: "done" with what was held
 * back and why, or "failed", then "remove-media" until the medium goes (daemon.h draws
 * the states). */
#include "service/daemon-private.h"
#include "common/json.h"
#include "common/kerr.h"
#include "common/log.h"
#include "handoff/handoff.h"
#include "kiosk/disarm.h"
#include "kiosk/edifact-json.h"
#include "scanner/pool.h"

#include <malloc.h>

/* At most this many held-back files in a "done" event (the manifest has them all). */
#define DAEMON_MAX_HELD_BACK 200

static void daemon_session_progress(const struct session_progress *p, void *data)
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

void daemon_session_start(struct daemon *d, struct daemon_job *j)
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
        .progress = daemon_session_progress,
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
static JsonArray *daemon_session_sanitized_json(const struct session_result *r)
{
    JsonArray *a = json_array_new();
    guint n = 0;
    for (guint i = 0; i < r->files->len && n < DAEMON_MAX_HELD_BACK; i++) {
        const struct session_file *f = g_ptr_array_index(r->files, i);
        if (f->verdict.kind != VERDICT_SANITIZED || !f->disarm)
            continue;
        JsonObject *h = json_object_new();
        json_object_set_string_member(h, "path", f->display);
        json_set_string_or_null(h, "delivered_as", f->staged_path);
        json_object_set_array_member(h, "removed", disarm_removed_json(f->disarm->removed));
        json_object_set_string_member(h, "reason", f->verdict.reason);
        reason_json_add(h, &f->verdict.why);
        json_array_add_object_element(a, h);
        n++;
    }
    return a;
}

static JsonObject *daemon_session_done_json(const struct session_result *r)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "status", r->status);
    json_object_set_object_member(o, "counts", session_counts_to_json(&r->counts));
    json_set_string_or_null(o, "delivery", r->delivery);
    json_set_string_or_null(o, "manifest_sha256",
                            r->manifest_sha256[0] ? r->manifest_sha256 : NULL);
    JsonArray *held = json_array_new();
    guint n = 0, more = 0;
    json_object_set_array_member(o, "sanitized", daemon_session_sanitized_json(r));
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

/* Pulled out while it was checked: nothing is delivered; "failed" (media-removed). */
static void daemon_session_aborted(struct daemon *d, struct daemon_job *j)
{
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
}

/* "failed": cancelled by the operator, or why the session could not finish. */
static void daemon_session_failed(struct daemon *d, const struct daemon_job *j)
{
    const struct session_result *r = j->result;
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
}

/* "done" (after "edifact-mismatch", if any), and the receipt when the config asks. */
static void daemon_session_done(struct daemon *d, const struct daemon_job *j)
{
    const struct session_result *r = j->result;
    if (r->edifact_mismatch) { /* before "done": the screen shows it before the receipt */
        JsonObject *mo = json_object_new();
        json_object_set_array_member(mo, "mismatches", json_array_ref(r->edifact_mismatch));
        events_emit(d->events, "edifact-mismatch", j->id, mo);
    }
    events_emit(d->events, "done", j->id, daemon_session_done_json(r));
    if (d->cfg->auto_print)
        daemon_print(d, j->id); /* the receipt, as the config asks */
}

/* Pulled out after the check was complete: it is delivered all the same. */
static void daemon_session_removed_after(struct daemon *d, struct daemon_job *j)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "session", j->id);
    json_object_set_boolean_member(o, "aborted", FALSE);
    daemon_audit(d, "media-removed", daemon_with_device(o, j->dev));
    daemon_job_free(j);
    malloc_trim(0);
    daemon_publish_check_outbox(d);
    if (!d->oos) {
        daemon_idle(d);
        daemon_next(d);
    }
}

void daemon_session_finished(struct daemon *d, struct daemon_job *j)
{
    const struct session_result *r = j->result;
    log_info("session %s: %s%s", j->id, r->status, j->removed ? " (media removed)" : "");
    if (r->outbox)
        daemon_publish_later(d, 0); /* committed: on its way to the share (after "done") */
    if (j->removed && r->exit_code == 2) {
        daemon_session_aborted(d, j);
        return;
    }
    if (r->exit_code == 2) {
        daemon_session_failed(d, j);
    } else {
        daemon_session_done(d, j);
        if (j->removed) {
            daemon_session_removed_after(d, j);
            return;
        }
    }
    /* The service cannot go on safely when its own storage fails. */
    if (j->rc == KERR_AUDIT)
        daemon_out_of_service0(d, "audit", "service.audit");
    else if (j->rc == KERR_STAGING)
        daemon_out_of_service0(d, "staging", "service.work-area");
    daemon_publish_check_outbox(d);
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

/* checking / scanning (with the counts) / delivering. */
void daemon_session_progress_event(struct daemon *d, const struct daemon_msg *m)
{
    const struct daemon_job *j = m->job;
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
        json_set_string_or_null(o, "current", m->current);
        if (m->p.eta_seconds >= 0)
            json_object_set_int_member(o, "eta_seconds", m->p.eta_seconds);
        else
            json_object_set_null_member(o, "eta_seconds");
        break;
    case SESSION_DELIVERING:
        type = "delivering";
        break;
    case SESSION_DONE:
        break;
    }
    if (type)
        events_emit(d->events, type, j->id, o);
}

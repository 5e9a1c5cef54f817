/* session.c - one check, start to end: session_run and its phases (audit start, open
 * media, walk, queue, collect, finish/deliver, audit end), the watchdog that stops a
 * removed or overdue medium, and the result's life.  The per-file work is in
 * session-file.c, the reader and scanner threads in session-scan.c, the delivery in
 * session-deliver.c, the audit records in session-audit.c, the JSON in session-json.c. */
#include "kiosk/session.h"
#include "kiosk/session-private.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"
#include "kiosk/audit.h"
#include "kiosk/edifact-json.h"
#include "media/media.h"
#include "media/names.h"
#include "media/walk.h"
#include "handoff/workarea.h"
#include "scanner/pool.h"
#include "scanner/verdict-cache.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define SESSION_PROGRESS_INTERVAL_US 100000
/* After the session deadline, give reads this long before aborting the medium. */
#define SESSION_ABORT_GRACE_US (5 * G_USEC_PER_SEC)
/* Stop the watchdog, then let go of the medium (reader, mounts). */
static void session_close_media(struct session_ctx *c)
{
    if (c->watchdog) {
        g_atomic_int_set(&c->watchdog_stop, 1);
        g_thread_join(c->watchdog);
        c->watchdog = NULL;
    }
    g_mutex_lock(&c->media_lock);
    struct media *m = c->media;
    c->media = NULL;
    g_mutex_unlock(&c->media_lock);
    media_close(m);
}

static gpointer session_watchdog_main(gpointer data)
{
    struct session_ctx *c = data;
    gint64 stop_us = 0;
    bool aborted_media = false;
    while (!g_atomic_int_get(&c->watchdog_stop)) {
        gint64 now = g_get_monotonic_time();
        bool cancel = c->p->cancel && g_atomic_int_get(c->p->cancel);
        if ((cancel || now > c->deadline_us) && !stop_us) {
            log_warn("session %s: %s; stopping", c->r->id,
                     cancel ? "cancelled (medium removed?)" : "time limit reached");
            g_atomic_int_set(&c->aborted, 1);
            stop_us = now;
        }
        /* A removed medium can leave a read hanging in the reader: end it. */
        if (stop_us && !aborted_media && now > stop_us + SESSION_ABORT_GRACE_US) {
            g_mutex_lock(&c->media_lock);
            if (c->media) {
                log_warn("session %s: stopping the medium reader", c->r->id);
                media_abort(c->media);
                aborted_media = true;
            }
            g_mutex_unlock(&c->media_lock);
        }
        g_usleep(50000);
    }
    return NULL;
}

void session_result_free(struct session_result *r)
{
    if (!r)
        return;
    g_free(r->id);
    g_free(r->host);
    g_free(r->error);
    g_free(r->delivery);
    g_free(r->manifest_path);
    g_free(r->outbox);
    g_free(r->target);
    g_free(r->source);
    g_free(r->source_kind);
    g_free(r->pttype);
    g_free(r->vendor);
    g_free(r->model);
    g_free(r->serial);
    for (size_t i = 0; i < r->n_volumes; i++) {
        struct session_volume *v = &r->volumes[i];
        g_free(v->fstype);
        g_free(v->fsversion);
        g_free(v->label);
        g_free(v->uuid);
        g_free(v->problem);
    }
    g_free(r->volumes);
    g_free(r->policy_name);
    g_free(r->policy_sha256);
    g_free(r->policy_path);
    if (r->details)
        json_object_unref(r->details);
    if (r->files)
        g_ptr_array_free(r->files, TRUE);
    if (r->edifact_mismatch)
        json_array_unref(r->edifact_mismatch);
    g_free(r);
}

static char *session_make_id(gint64 now_us)
{
    GDateTime *dt = g_date_time_new_from_unix_utc(now_us / G_USEC_PER_SEC);
    char *stamp = g_date_time_format(dt, "%Y%m%d-%H%M%S");
    g_date_time_unref(dt);
    guint8 rnd[4];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd)) {
        guint32 x = g_random_int();
        memcpy(rnd, &x, sizeof(rnd));
    }
    if (fd >= 0)
        close(fd);
    char *id = g_strdup_printf("%s-%02x%02x%02x%02x", stamp, rnd[0], rnd[1], rnd[2], rnd[3]);
    g_free(stamp);
    return id;
}

char *session_new_id(void)
{
    return session_make_id(g_get_real_time());
}

/* ---- the session ------------------------------------------------------------------ */

static void session_emit(struct session_ctx *c, enum session_phase phase, uint64_t files_done,
                         uint64_t bytes_done)
{
    if (!c->p->progress)
        return;
    struct session_progress pr = {
        .phase = phase,
        .files_done = files_done,
        .files_total = c->files_total,
        .bytes_done = bytes_done,
        .bytes_total = c->bytes_total,
        .eta_seconds = -1,
    };
    /* Bytes copied by files still in progress count too, so big files move the bar. */
    uint64_t partial = (uint64_t)g_atomic_pointer_get(&c->bytes_in_flight);
    if (phase == SESSION_SCANNING && partial > pr.bytes_done)
        pr.bytes_done = MIN(partial, pr.bytes_total);
    gint64 elapsed = g_get_monotonic_time() - c->scan_start_us;
    if (phase == SESSION_SCANNING && pr.bytes_done > 0 && elapsed > 500000 &&
        pr.bytes_total >= pr.bytes_done)
        pr.eta_seconds =
            (int64_t)((double)elapsed / G_USEC_PER_SEC * (double)(pr.bytes_total - pr.bytes_done) /
                      (double)pr.bytes_done);
    g_mutex_lock(&c->current_lock);
    char *cur = phase == SESSION_SCANNING ? g_strdup(c->current) : NULL;
    g_mutex_unlock(&c->current_lock);
    pr.current = cur;
    c->p->progress(&pr, c->p->progress_data);
    g_free(cur);
}

static void session_copy_media_info(struct session_result *r, const struct media *m)
{
    static const char *kinds[] = {"folder", "image", "block-device"};
    r->source_kind = g_strdup(kinds[m->kind]);
    r->source_size = m->size;
    r->pttype = g_strdup(m->pttype);
    r->vendor = g_strdup(m->vendor);
    r->model = g_strdup(m->model);
    r->serial = g_strdup(m->serial);
    r->n_volumes = m->n_volumes;
    r->volumes = g_new0(struct session_volume, m->n_volumes);
    for (size_t i = 0; i < m->n_volumes; i++) {
        const struct media_volume *mv = &m->volumes[i];
        struct session_volume *v = &r->volumes[i];
        v->index = mv->index;
        v->partno = mv->partno;
        v->offset = mv->offset;
        v->size = mv->size;
        v->fstype = g_strdup(mv->fstype);
        v->fsversion = g_strdup(mv->fsversion);
        v->label = g_strdup(mv->label);
        v->uuid = g_strdup(mv->uuid);
        v->problem = g_strdup(mv->problem);
        v->scanned = mv->readable;
    }
}

void session_count(struct session_result *r)
{
    memset(&r->counts, 0, sizeof(r->counts));
    for (guint i = 0; i < r->files->len; i++) {
        struct session_file *f = g_ptr_array_index(r->files, i);
        /* Regular files, and entries that stopped the check (a folder that could not be
         * read, the walk stopped by a limit): each is something not delivered. */
        if (f->candidate || f->verdict.kind == VERDICT_ERROR)
            r->counts.files++;
        switch (f->verdict.kind) {
        case VERDICT_CLEAN:
            r->counts.delivered++;
            break;
        case VERDICT_INFECTED:
            r->counts.infected++;
            break;
        case VERDICT_BLOCKED:
            r->counts.blocked++;
            break;
        case VERDICT_ERROR:
            r->counts.error++;
            break;
        case VERDICT_SKIPPED:
            r->counts.skipped++;
            break;
        case VERDICT_SANITIZED:
            r->counts.delivered++;
            r->counts.sanitized++;
            break;
        }
    }
}

/* The reason code of a failed session by its error code; its one parameter ("detail") is
 * the service's own text (r->error). */
static const struct {
    int kerr;
    const char *code;
} session_fail_codes[] = {
    {KERR_NO_FS, "medium.no-filesystem"}, {KERR_AMBIGUOUS, "medium.ambiguous"},
    {KERR_ENCRYPTED, "medium.encrypted"}, {KERR_UNSUPPORTED_FS, "medium.unsupported-filesystem"},
    {KERR_MOUNT, "medium.unreadable"},    {KERR_MEDIUM, "medium.unreadable"},
    {KERR_CORRUPT, "medium.unreadable"},  {KERR_TIMEOUT, "session.timeout"},
    {KERR_LIMIT, "session.limit"},        {KERR_CANCELLED, "session.stopped"},
    {KERR_AUDIT, "session.audit"},        {KERR_STAGING, "session.staging"},
};

static void session_fail(struct session_result *r, int code, char *why)
{
    r->status = "failed";
    r->exit_code = 2;
    g_free(r->error);
    r->error = why ? why : g_strdup(kerr_str(code));
    const char *rcode = "session.error";
    for (size_t i = 0; i < G_N_ELEMENTS(session_fail_codes); i++)
        if (session_fail_codes[i].kerr == code)
            rcode = session_fail_codes[i].code;
    const char *detail[] = {r->error};
    reason_data_set(&r->error_why, rcode, detail, 1);
    /* Nothing goes to the TOS side: no file counts as delivered. */
    g_clear_pointer(&r->delivery, g_free);
    g_clear_pointer(&r->manifest_path, g_free);
    g_clear_pointer(&r->outbox, g_free);
    r->manifest_sha256[0] = '\0';
    r->counts.delivered = 0; /* (also when the session's end cannot go on the record) */
    r->counts.sanitized = 0; /* of the delivered files */
    for (guint i = 0; r->files && i < r->files->len; i++) {
        struct session_file *f = g_ptr_array_index(r->files, i);
        g_clear_pointer(&f->staged_path, g_free);
    }
}

/* ---- session_run, phase by phase ---------------------------------------------------
 * session_run calls the phases below in order; each returns 0 or fails through
 * session_failed, which says in the result why and how much still goes on the audit
 * record (c->record).  At session_run's one exit, session_audit_end writes that record
 * and session_ctx_clear lets go of everything, whichever phase the session ended in. */

static void session_ctx_init(struct session_ctx *c, const struct session_params *p)
{
    struct session_result *r = g_new0(struct session_result, 1);
    c->p = p;
    c->r = r;
    g_mutex_init(&c->current_lock);
    g_mutex_init(&c->media_lock);
    g_mutex_init(&c->dup_lock);
    c->dups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, session_scan_dup_free);
    c->use_cache = p->cache && p->pool && scanner_pool_cache_context(p->pool, c->cache_ctx);
    r->scans.cache = c->use_cache;
    r->start_us = g_get_real_time();
    r->id = p->session_id ? g_strdup(p->session_id) : session_make_id(r->start_us);
    r->accept_loop = p->accept_loop;
    r->host = g_strdup(g_get_host_name());
    r->source = g_strdup(p->source);
    r->files = g_ptr_array_new_with_free_func(session_file_free);
    r->policy_name = g_strdup(p->policy->name);
    r->policy_version = p->policy->version;
    r->policy_sha256 = g_strdup(p->policy->sha256);
    r->policy_path = g_strdup(p->policy->path);
    r->scanner = p->pool ? *scanner_pool_info(p->pool) : *scanner_engine_info(p->engine);
    if (p->details)
        r->details = json_object_ref(p->details);
    c->deadline_us =
        g_get_monotonic_time() + (gint64)p->policy->limits.max_session_time * G_USEC_PER_SEC;
}

/* The one way a phase fails: the result says why (WHY, or CODE's text; WHY is taken),
 * RECORD is what still goes on the audit record at the end.  Returns RC, the phase's
 * own error, or CODE when the phase had none. */
static int session_failed(struct session_ctx *c, enum session_record record, int rc, int code,
                          char *why)
{
    session_fail(c->r, code, why);
    c->record = record;
    return rc ? rc : code;
}

/* Cancelled (medium removed, or the service stopping): the person has gone. */
static bool session_cancelled(const struct session_ctx *c)
{
    return c->p->cancel && g_atomic_int_get(c->p->cancel);
}

/* Invariant 6: no audit log, no session. */
static int session_audit_start(struct session_ctx *c)
{
    const struct session_params *p = c->p;
    struct session_result *r = c->r;
    int rc = audit_open(p->audit_log, &c->audit);
    if (rc != 0)
        return session_failed(c, SESSION_RECORD_NOTHING, rc, rc,
                              g_strdup_printf("the audit log %s cannot be written: %s",
                                              p->audit_log, g_strerror(errno)));
    JsonObject *o = session_audit_base(r);
    json_object_set_string_member(o, "source", p->source);
    json_object_set_string_member(o, "policy", r->policy_name);
    json_object_set_int_member(o, "policy_version", (gint64)r->policy_version);
    json_object_set_string_member(o, "policy_sha256", r->policy_sha256);
    json_object_set_string_member(o, "engine", r->scanner.engine_version);
    json_object_set_string_member(o, "db_version", r->scanner.db_version);
    json_object_set_int_member(o, "signatures", r->scanner.signatures);
    if (r->details)
        json_object_set_object_member(o, "details", json_object_ref(r->details));
    rc = audit_append(c->audit, "session-start", o);
    json_object_unref(o);
    if (rc == 0)
        rc = audit_sync(c->audit);
    if (rc != 0)
        return session_failed(c, SESSION_RECORD_NOTHING, rc, rc,
                              g_strdup_printf("the audit log %s cannot be written", p->audit_log));
    return 0;
}

/* The "media" record: what was inserted, its partitions and filesystems. */
static int session_audit_media(struct session_ctx *c)
{
    struct session_result *r = c->r;
    JsonObject *o = session_audit_base(r);
    json_object_set_string_member(o, "kind", r->source_kind);
    json_object_set_int_member(o, "size", (gint64)r->source_size);
    if (r->pttype)
        json_object_set_string_member(o, "pttype", r->pttype);
    JsonArray *va = json_array_new();
    for (size_t i = 0; i < r->n_volumes; i++) {
        JsonObject *vo = json_object_new();
        json_object_set_int_member(vo, "partition", r->volumes[i].partno);
        json_object_set_string_member(vo, "fstype", r->volumes[i].fstype);
        if (r->volumes[i].label)
            json_object_set_string_member(vo, "label", r->volumes[i].label);
        if (r->volumes[i].problem)
            json_object_set_string_member(vo, "problem", r->volumes[i].problem);
        json_array_add_object_element(va, vo);
    }
    json_object_set_array_member(o, "volumes", va);
    int rc = audit_append(c->audit, "media", o);
    json_object_unref(o);
    return rc;
}

/* The session's work area, then the medium (under the watchdog), then its record. */
static int session_open_media(struct session_ctx *c)
{
    const struct session_params *p = c->p;
    struct session_result *r = c->r;
    char *why = NULL;
    int rc = workarea_session_begin(p->work_dir, r->id, &c->work, &why);
    if (rc != 0)
        return session_failed(c, SESSION_RECORD_END, rc, rc, why);
    session_emit(c, SESSION_CHECKING, 0, 0);
    c->watchdog = g_thread_new("kiosk-watchdog", session_watchdog_main, c);
    struct media *opened = NULL;
    struct media_conf mc = {
        .run_dir = p->run_dir, .reader_user = p->reader_user, .test_hooks = p->reader_test_hooks};
    rc = media_open(p->source, p->policy, &mc, r->id, &c->aborted, &opened, &why);
    g_mutex_lock(&c->media_lock);
    c->media = opened;
    g_mutex_unlock(&c->media_lock);
    if (rc != 0)
        return session_failed(c, SESSION_RECORD_END, rc, rc, why);
    session_copy_media_info(r, c->media);
    if (!r->vendor && !r->model && !r->serial) {
        r->vendor = g_strdup(p->vendor);
        r->model = g_strdup(p->model);
        r->serial = g_strdup(p->serial);
    }
    rc = session_audit_media(c);
    if (rc != 0) /* Invariant 6: what was inserted is on record before anything is read. */
        return session_failed(c, SESSION_RECORD_END, rc, KERR_AUDIT,
                              g_strdup("the audit log could not be written; nothing was read "
                                       "or delivered"));
    return 0;
}

/* Walk every usable volume first: totals for progress, limits for the session.  A volume
 * that cannot be listed is logged; its problem is in the listing (walk.h). */
static int session_walk(struct session_ctx *c, GPtrArray *entries)
{
    const struct policy *pol = c->p->policy;
    struct walk_limits lim = {
        .max_files = pol->limits.max_files,
        .max_bytes = pol->limits.max_session_bytes,
        .max_file_size = pol->limits.max_file_size,
        .max_depth = pol->limits.max_depth,
        .deadline_us = c->deadline_us,
        .stop = &c->aborted,
    };
    struct walk_stats stats = {0};
    for (size_t i = 0; i < c->media->n_volumes; i++) {
        struct media_volume *v = &c->media->volumes[i];
        if (!v->readable)
            continue;
        char *wwhy = NULL;
        if (media_walk(c->media, v, pol, &lim, &stats, entries, &wwhy) != 0) {
            log_warn("volume %d: %s", v->index, wwhy ? wwhy : "cannot be listed");
            g_free(wwhy);
        }
    }
    return 0;
}

/* A file of the result for walk entry E (results stay in walk order). */
static struct session_file *session_file_of(const struct walk_entry *e)
{
    struct session_file *f = g_new0(struct session_file, 1);
    f->path = g_strdup(e->path);
    f->display = names_display(e->path);
    f->volume = e->volume;
    f->candidate = e->candidate;
    f->size = e->size;
    f->has_mtime = e->has_mtime;
    f->mtime = e->mtime;
    f->mtime_ns = e->mtime_ns;
    f->has_crtime = e->has_crtime;
    f->crtime = e->crtime;
    f->crtime_ns = e->crtime_ns;
    f->verdict = e->pre;
    return f;
}

/* Every walked entry into the result; each file to read into a task carrying the inode the
 * walk saw, largest first, so no core is left scanning one big file alone at the end.
 * Then the readers and scanners start. */
static int session_queue(struct session_ctx *c, GPtrArray *entries)
{
    GPtrArray *tasks = g_ptr_array_new();
    for (guint i = 0; i < entries->len; i++) {
        struct walk_entry *e = g_ptr_array_index(entries, i);
        struct session_file *f = session_file_of(e);
        g_ptr_array_add(c->r->files, f);
        if (e->candidate && e->pre.kind == VERDICT_CLEAN) {
            struct session_task *t = g_new0(struct session_task, 1);
            t->f = f;
            t->dev = (uint64_t)e->dev;
            t->ino = (uint64_t)e->ino;
            g_ptr_array_add(tasks, t);
            c->queued++;
            c->files_total++;
            c->bytes_total += e->size;
        }
    }
    g_ptr_array_sort(tasks, session_scan_task_cmp);
    c->tasks = g_async_queue_new();
    c->scanq = g_async_queue_new();
    c->done = g_async_queue_new();
    for (guint i = 0; i < tasks->len; i++)
        g_async_queue_push(c->tasks, g_ptr_array_index(tasks, i));
    g_ptr_array_free(tasks, TRUE);
    /* Two readers: the medium is read while the cores scan, and one slow file does not
     * stall the others. */
    c->nreaders = 2;
    c->nscanners = c->p->workers > 0 ? c->p->workers : (int)g_get_num_processors();
    for (int i = 0; i < c->nreaders; i++)
        g_async_queue_push(c->tasks, g_new0(struct session_task, 1)); /* one stop per reader */
    c->readers = g_new0(GThread *, c->nreaders);
    c->scanners = g_new0(GThread *, c->nscanners);
    for (int i = 0; i < c->nreaders; i++)
        c->readers[i] = g_thread_new("kiosk-read", session_scan_reader_main, c);
    for (int i = 0; i < c->nscanners; i++)
        c->scanners[i] = g_thread_new("kiosk-scan", session_scan_scanner_main, c);
    return 0;
}

/* Collect results, report progress, watch the clock; then stop the workers and let go
 * of the medium: everything is read before anything is delivered. */
static int session_collect(struct session_ctx *c)
{
    struct session_result *r = c->r;
    gint64 last_emit = 0;
    c->scan_start_us = g_get_monotonic_time();
    session_emit(c, SESSION_SCANNING, 0, 0);
    while (c->got < c->queued) {
        struct session_file *f = g_async_queue_timeout_pop(c->done, SESSION_PROGRESS_INTERVAL_US);
        gint64 now = g_get_monotonic_time();
        if (f) {
            c->got++;
            c->bytes_done += f->size;
        }
        if (f || now - last_emit > SESSION_PROGRESS_INTERVAL_US) {
            if (now - last_emit >= SESSION_PROGRESS_INTERVAL_US || c->got == c->queued) {
                session_emit(c, SESSION_SCANNING, c->got, c->bytes_done);
                last_emit = now;
            }
        }
    }
    session_scan_join_workers(c);
    r->scans.engine = (uint64_t)g_atomic_int_get(&c->n_engine);
    r->scans.cache_hits = (uint64_t)g_atomic_int_get(&c->n_cache_hits);
    r->scans.duplicates = (uint64_t)g_atomic_int_get(&c->n_duplicates);
    session_close_media(c);
    return 0;
}

/* The visitor's details against the bay plans: recorded before anything is published. */
static int session_audit_edifact(struct session_ctx *c)
{
    struct session_result *r = c->r;
    r->edifact_mismatch = edifact_json_mismatches(r);
    if (!r->edifact_mismatch)
        return 0;
    JsonObject *o = session_audit_base(r);
    json_object_set_array_member(o, "mismatches", json_array_ref(r->edifact_mismatch));
    int rc = audit_append(c->audit, "edifact-mismatch", o);
    json_object_unref(o);
    if (rc != 0)
        return session_failed(c, SESSION_RECORD_FILES, rc, KERR_AUDIT,
                              g_strdup("the audit log could not be written; nothing was "
                                       "delivered"));
    return 0;
}

static int session_failed_cancelled(struct session_ctx *c, enum session_record record)
{
    return session_failed(c, record, 0, KERR_CANCELLED,
                          g_strdup("the check was stopped (medium removed or cancelled); "
                                   "nothing was delivered"));
}

/* Clean files into the delivery under their staged names, sealed by the signed manifest;
 * every verdict on record (invariant 6); then into the outbox (session_deliver_commit). */
static int session_finish(struct session_ctx *c)
{
    struct session_result *r = c->r;
    char *why = NULL;
    int rc = session_audit_edifact(c);
    if (rc != 0)
        return rc;
    session_emit(c, SESSION_DELIVERING, c->got, c->bytes_done);
    if (session_cancelled(c))
        return session_failed_cancelled(c, SESSION_RECORD_FILES);
    rc = session_deliver(c, &why);
    if (rc != 0)
        return session_failed(c, SESSION_RECORD_FILES, rc, rc, why);
    session_count(r);
    r->end_us = g_get_real_time();
    if (c->p->language_ja)
        g_strlcpy(r->language, g_atomic_int_get(c->p->language_ja) ? "ja" : "en",
                  sizeof(r->language));
    bool all = r->counts.delivered == r->counts.files &&
               r->counts.blocked + r->counts.error + r->counts.infected == 0;
    r->status = all ? "delivered" : "partial";
    r->exit_code = all ? 0 : 1;
    rc = session_deliver_seal(c, &why);
    if (rc != 0)
        return session_failed(c, SESSION_RECORD_FILES, rc, rc, why);
    /* Invariant 6: the verdicts are on disk before the delivery goes anywhere. */
    for (guint i = 0; i < r->files->len && rc == 0; i++)
        rc = session_audit_file(c->audit, r, g_ptr_array_index(r->files, i));
    if (rc == 0)
        rc = audit_sync(c->audit);
    if (rc != 0)
        return session_failed(c, SESSION_RECORD_END, rc, KERR_AUDIT,
                              g_strdup("the audit log could not be written; nothing was "
                                       "delivered"));
    if (session_cancelled(c)) /* removed while delivering: deliver nothing */
        return session_failed_cancelled(c, SESSION_RECORD_END);
    rc = session_deliver_commit(c, c->audit, &why);
    if (rc != 0) /* an audit log that failed takes nothing more */
        return session_failed(c, rc == KERR_AUDIT ? SESSION_RECORD_NOTHING : SESSION_RECORD_END, rc,
                              rc, why);
    return 0; /* the session's end is on record (session_deliver_commit) */
}

/* A failed session's end on record, as much as c->record says; returns RC, or KERR_AUDIT
 * when that record failed. */
static int session_audit_end(struct session_ctx *c, int rc)
{
    struct session_result *r = c->r;
    if (c->record == SESSION_RECORD_FILES)
        for (guint i = 0; i < r->files->len; i++)
            session_audit_file(c->audit, r, g_ptr_array_index(r->files, i));
    if (c->record != SESSION_RECORD_NOTHING && session_audit_end_record(c->audit, r) != 0) {
        log_error("session %s: the audit log could not record the end of the session", r->id);
        rc = KERR_AUDIT;
    }
    if (c->audit && rc != KERR_AUDIT)
        session_audit_anchor(c->audit, r, c->p); /* after the session's end is on record */
    return rc;
}

/* Let go of everything the session holds, whichever phase it ended in. */
static void session_ctx_clear(struct session_ctx *c)
{
    session_scan_join_workers(c);
    session_close_media(c);
    workarea_session_end(c->work);
    if (!c->r->status)
        session_fail(c->r, KERR_INVAL, NULL);
    session_emit(c, SESSION_DONE, c->r->counts.files, 0);
    if (c->tasks)
        g_async_queue_unref(c->tasks);
    if (c->done)
        g_async_queue_unref(c->done);
    if (c->scanq)
        g_async_queue_unref(c->scanq);
    g_free(c->current);
    g_mutex_clear(&c->current_lock);
    g_mutex_clear(&c->media_lock);
    g_hash_table_destroy(c->dups);
    g_mutex_clear(&c->dup_lock);
    char *cwhy = NULL;
    if (c->use_cache && verdict_cache_save(c->p->cache, &cwhy) != 0)
        log_warn("%s", cwhy); /* the verdicts stand; the next session scans them again */
    g_free(cwhy);
    audit_close(c->audit);
}

int session_run(const struct session_params *p, struct session_result **out)
{
    struct session_ctx c = {0};
    GPtrArray *entries = g_ptr_array_new_with_free_func(walk_entry_free);
    session_ctx_init(&c, p);
    int rc = session_audit_start(&c);
    if (rc == 0)
        rc = session_open_media(&c);
    if (rc == 0)
        rc = session_walk(&c, entries);
    if (rc == 0)
        rc = session_queue(&c, entries);
    g_ptr_array_free(entries, TRUE);
    if (rc == 0)
        rc = session_collect(&c);
    if (rc == 0)
        rc = session_finish(&c);
    rc = session_audit_end(&c, rc);
    session_ctx_clear(&c);
    *out = c.r;
    return c.r->exit_code == 2 ? (rc ? rc : KERR_INVAL) : 0;
}

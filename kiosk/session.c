#include "kiosk/session.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"
#include "admin/admin.h"
#include "kiosk/audit.h"
#include "kiosk/disarm.h"
#include "kiosk/edifact-json.h"
#include "kiosk/manifest.h"
#include "media/media.h"
#include "media/names.h"
#include "handoff/outbox.h"
#include "kiosk/sign.h"
#include "handoff/target.h"
#include "media/walk.h"
#include "handoff/workarea.h"
#include "scanner/pool.h"
#include "scanner/verdict-cache.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <clamav.h>
#include <magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SESSION_PROGRESS_INTERVAL_US 100000
/* After the session deadline, give reads this long before aborting the medium. */
#define SESSION_ABORT_GRACE_US (5 * G_USEC_PER_SEC)
/* The longest relative path a delivered file may have: PATH_MAX, less room for the share's
 * own path and the session folder in front of it (and what its readers can open). */
#define SESSION_MAX_STAGED_PATH (PATH_MAX - 256)

/* What a failed session still puts on the audit record at its end (session_audit_end). */
enum session_record {
    SESSION_RECORD_NOTHING, /* no log to write to, it failed, or the end is recorded already */
    SESSION_RECORD_END,     /* the session-end record */
    SESSION_RECORD_FILES,   /* each file's verdict, then the session-end record */
};

struct session_ctx {
    const struct session_params *p;
    struct session_result *r;
    struct audit *audit;
    enum session_record record; /* set by session_failed */
    struct media *media;
    struct workarea_session *work;
    GAsyncQueue *tasks;         /* struct session_task * for the readers; f == NULL stops */
    GAsyncQueue *scanq;         /* struct session_file * for the scanners; session_scan_stop stops */
    GAsyncQueue *done;          /* struct session_file * processed */
    gint64 deadline_us;
    gint aborted;               /* cancel or deadline: workers stop taking files */
    guint64 bytes_in_flight;    /* bytes copied by workers (atomic), for progress */
    GMutex current_lock;
    char *current;              /* display name of the newest file started */
    uint64_t files_total, bytes_total;
    GThread **readers, **scanners;
    int nreaders, nscanners;
    uint64_t queued, got, bytes_done; /* files queued for the workers; back from them */
    gint64 scan_start_us;
    /* The watchdog (session_watchdog_main) runs from media_open to the end of reading: a
     * removal or the time limit stops the work, and after a grace period kills the
     * medium reader, so that no listing or read stays hung. */
    GThread *watchdog;
    gint watchdog_stop;
    GMutex media_lock;          /* media may be aborted (watchdog) or closed (session) */
    gint spool_seq;             /* names of spooled copies: 0, 1, 2 ... */
    /* Copies in one session are scanned once (session_dup_*); clean verdicts across
     * sessions come from p->cache under this pool's context (verdict-cache.h). */
    GMutex dup_lock;
    GHashTable *dups;           /* "sha256:size" -> struct session_dup * */
    bool use_cache;
    unsigned char cache_ctx[VERDICT_CACHE_KEY_LEN];
    gint n_engine, n_cache_hits, n_duplicates; /* atomic */
};

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


static void session_file_free(gpointer p)
{
    struct session_file *f = p;
    if (!f)
        return;
    g_free(f->path);
    g_free(f->display);
    g_free(f->type);
    g_free(f->staged_path);
    g_free(f->spool_name);
    disarm_info_free(f->disarm);
    g_free(f->edifact);
    g_free(f);
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

/* ---- audit records ---------------------------------------------------------------- */

static JsonObject *session_audit_base(const struct session_result *r)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "session", r->id);
    if (r->scanner.test_signatures)
        json_object_set_boolean_member(o, "test_signatures", TRUE);
    if (r->accept_loop)
        json_object_set_boolean_member(o, "testing_mode", TRUE);
    return o;
}

static void session_json_set_file_time(JsonObject *o, const char *key, bool has, int64_t t)
{
    /* Years 1..9999 only (what ISO 8601 text and GDateTime hold). */
    if (has && t > -62135596800LL && t < 253402300800LL) {
        char *text = util_time_rfc3339(t * G_USEC_PER_SEC, false);
        json_object_set_string_member(o, key, text);
        g_free(text);
    } else {
        json_object_set_null_member(o, key);
    }
}

static void session_json_set_file(JsonObject *o, const struct session_result *r,
                                  const struct session_file *f)
{
    /* "path" is the name as it is on the medium (JSON carries any valid UTF-8, bidi
     * controls included); names that are not UTF-8 are given escaped, with their exact
     * bytes in "path_hex".  "display" is the escaped form screens and reports show. */
    if (g_utf8_validate(f->path, -1, NULL)) {
        json_object_set_string_member(o, "path", f->path);
    } else {
        json_object_set_string_member(o, "path", f->display);
        GString *hex = g_string_new(NULL);
        for (const unsigned char *c = (const unsigned char *)f->path; *c; c++)
            g_string_append_printf(hex, "%02x", *c);
        json_object_set_string_member(o, "path_hex", hex->str);
        g_string_free(hex, TRUE);
    }
    json_object_set_string_member(o, "display", f->display);
    json_object_set_int_member(o, "partition", f->volume);
    json_object_set_int_member(o, "size", (gint64)f->size);
    /* Times as the medium holds them, in UTC ("created" where the filesystem has it). */
    session_json_set_file_time(o, "mtime", f->has_mtime, f->mtime);
    session_json_set_file_time(o, "created", f->has_crtime, f->crtime);
    if (f->sha256[0])
        json_object_set_string_member(o, "sha256", f->sha256);
    else
        json_object_set_null_member(o, "sha256");
    if (f->type)
        json_object_set_string_member(o, "type", f->type);
    else
        json_object_set_null_member(o, "type");
    json_object_set_string_member(o, "verdict", verdict_kind_str(f->verdict.kind));
    if (f->verdict.reason[0])
        json_object_set_string_member(o, "reason", f->verdict.reason);
    else
        json_object_set_null_member(o, "reason");
    reason_json_add(o, &f->verdict.why); /* reason_code, reason_params (docs/protocol.md) */
    if (f->staged_path)
        json_object_set_string_member(o, "staged_path", f->staged_path);
    else
        json_object_set_null_member(o, "staged_path");
    /* Whether the engine's verdict is this file's own scan, a copy's, or the verdict
     * cache's, and under which database (the cache only serves its own database's). */
    if (f->verdict_from) {
        json_object_set_string_member(o, "verdict_from", f->verdict_from);
        json_object_set_string_member(o, "verdict_database", r->scanner.db_version);
    } else {
        json_object_set_null_member(o, "verdict_from");
        json_object_set_null_member(o, "verdict_database");
    }
    /* A sanitized copy: size, sha256 and type above are the copy's; the original's here. */
    if (f->disarm && f->verdict.kind == VERDICT_SANITIZED)
        json_object_set_object_member(o, "sanitized", disarm_info_json(f->disarm));
    if (f->edifact)
        json_object_set_object_member(o, "edifact", edifact_json_summary(f->edifact));
}

static int session_audit_file(struct audit *a, const struct session_result *r,
                              const struct session_file *f)
{
    JsonObject *o = session_audit_base(r);
    session_json_set_file(o, r, f);
    /* "type" names the record in the audit log; the file's type goes by "mime" there. */
    JsonNode *mime = json_object_dup_member(o, "type");
    json_object_remove_member(o, "type");
    json_object_set_member(o, "mime", mime);
    int rc = audit_append(a, "file", o);
    json_object_unref(o);
    return rc;
}

/* ---- the per-file work ------------------------------------------------------------ */

struct session_task {
    struct session_file *f;
    uint64_t dev, ino;
};

/* Where the bytes of one file go while it is read from the medium: the spool and the
 * SHA-256 (the trusted side hashes what it receives; the medium is read once). */
struct session_sink {
    struct session_ctx *c;
    struct session_file *f;
    int dst;
    void *sum;
    uint64_t total, limit;
    int failed; /* SESSION_SINK_*: why the sink stopped the read */
};

enum { SESSION_SINK_OK, SESSION_SINK_ABORTED, SESSION_SINK_TOO_BIG, SESSION_SINK_WRITE };

static int session_sink(const void *buf, size_t len, void *data)
{
    struct session_sink *k = data;
    if (g_atomic_int_get(&k->c->aborted)) {
        k->failed = SESSION_SINK_ABORTED;
        return KERR_CANCELLED;
    }
    k->total += len;
    if (k->total > k->limit) {
        k->failed = SESSION_SINK_TOO_BIG;
        return KERR_LIMIT;
    }
    cl_update_hash(k->sum, (void *)buf, len);
    if (util_write_all(k->dst, buf, len) != 0) {
        k->failed = SESSION_SINK_WRITE;
        return KERR_STAGING;
    }
    g_atomic_pointer_add(&k->c->bytes_in_flight, len);
    return 0;
}

/* The file's times on the spooled copy: the delivered file keeps the medium's
 * modification time. */
static void session_set_times(int fd, const struct session_file *f)
{
    if (!f->has_mtime)
        return;
    struct timespec ts[2] = {
        {.tv_sec = (time_t)f->mtime, .tv_nsec = f->mtime_ns},
        {.tv_sec = (time_t)f->mtime, .tv_nsec = f->mtime_ns},
    };
    if (futimens(fd, ts) != 0)
        log_warn("cannot set the time of a spooled copy: %s", g_strerror(errno));
}

/* Copy the file from the medium into the spool once, hashing as it goes.  Returns 0, or
 * -1 with f->verdict set. */
static int session_copy(struct session_ctx *c, struct session_file *f, uint64_t dev, uint64_t ino)
{
    struct session_sink k = {.c = c, .f = f, .dst = -1,
                             .limit = c->p->policy->limits.max_file_size};
    struct walk_entry e = {.path = f->path, .volume = f->volume, .size = f->size,
                           .dev = (dev_t)dev, .ino = (ino_t)ino};
    char *why = NULL;

    f->spool_name = g_strdup_printf("%u", (unsigned)g_atomic_int_add(&c->spool_seq, 1));
    k.dst = openat(c->work->spoolfd, f->spool_name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
                   0600);
    if (k.dst < 0) {
        verdict_setr(&f->verdict, VERDICT_ERROR, "scan.error-spool", g_strerror(errno), NULL);
        g_clear_pointer(&f->spool_name, g_free);
        goto fail;
    }
    /* libclamav's hash API is OpenSSL underneath (SHA-NI where the CPU has it): several
     * times GChecksum's speed, and already linked. */
    k.sum = cl_hash_init("sha256");
    if (!k.sum) {
        verdict_setr(&f->verdict, VERDICT_ERROR, "scan.error-hash", NULL);
        goto fail;
    }
    int rc = media_read_file(c->media, &e, session_sink, &k, &why);
    if (rc != 0) {
        switch (k.failed) {
        case SESSION_SINK_ABORTED:
            verdict_setr(&f->verdict, VERDICT_ERROR, "scan.stopped-reading", NULL);
            break;
        case SESSION_SINK_TOO_BIG:
            verdict_setr(&f->verdict, VERDICT_BLOCKED, "policy.file-grew", NULL);
            break;
        case SESSION_SINK_WRITE:
            verdict_setr(&f->verdict, VERDICT_ERROR, "scan.error-disk", g_strerror(errno), NULL);
            break;
        default:
            if (rc == KERR_CANCELLED || g_atomic_int_get(&c->aborted))
                verdict_setr(&f->verdict, VERDICT_ERROR, "scan.stopped-reading", NULL);
            else
                media_read_reason(why, &f->verdict);
        }
        goto fail;
    }
    if (k.total != f->size) {
        char want[24], got[24];
        snprintf(want, sizeof(want), "%ju", (uintmax_t)f->size);
        snprintf(got, sizeof(got), "%ju", (uintmax_t)k.total);
        verdict_setr(&f->verdict, VERDICT_ERROR, "scan.changed-size", want, got, NULL);
        goto fail;
    }
    unsigned char digest[32];
    cl_finish_hash(k.sum, digest); /* frees sum */
    k.sum = NULL;
    for (int i = 0; i < 32; i++)
        snprintf(f->sha256 + 2 * i, 3, "%02x", digest[i]);
    session_set_times(k.dst, f);
    close(k.dst);
    g_free(why);
    return 0;
fail:
    g_free(why);
    if (k.sum)
        cl_hash_destroy(k.sum);
    if (k.dst >= 0)
        close(k.dst);
    if (f->spool_name) {
        unlinkat(c->work->spoolfd, f->spool_name, 0);
        g_clear_pointer(&f->spool_name, g_free);
    }
    return -1;
}

/* Stage 1 (reader threads): copy once into the spool while hashing.  True when the file
 * goes on to a scanner; false when it is already decided (f->verdict says why). */
static bool session_read_file(struct session_ctx *c, struct session_file *f, uint64_t dev,
                              uint64_t ino)
{
    return session_copy(c, f, dev, ino) == 0;
}

/* Keep the EDIFACT summary of F, and apply [edifact] check to a malformed one. */
static void session_edifact(const struct policy *pol, struct session_file *f,
                            const struct edifact_summary *edi)
{
    if (edi->status == EDIFACT_NONE)
        return;
    f->edifact = g_memdup2(edi, sizeof(*edi));
    if (edi->status == EDIFACT_MALFORMED && pol->edifact_check == POLICY_EDIFACT_BLOCK &&
        f->verdict.kind == VERDICT_CLEAN) {
        char text[VERDICT_REASON_MAX], ja[VERDICT_REASON_MAX];
        edifact_problem_text(edi, EDIFACT_EN, text, sizeof(text));
        edifact_problem_text(edi, EDIFACT_JA, ja, sizeof(ja));
        verdict_setr(&f->verdict, VERDICT_BLOCKED, "policy.edifact", text, ja,
                     edifact_problem_name(edi->problem.code), NULL);
    }
}

/* The file's type, by libmagic in this process (the in-process engine: tests and
 * benchmarks); NULL when there is no type detection. */
static char *session_local_type(magic_t magic, int fd)
{
    if (!magic || lseek(fd, 0, SEEK_SET) != 0)
        return NULL;
    const char *mime = magic_descriptor(magic, fd);
    return g_strdup(mime ? mime : "application/octet-stream");
}

/* [edifact] check: the worker also reads the file as EDIFACT (docs/edifact.md); these
 * flags (by name or not) go with the request.  A summary buffer, or NULL when off. */
static unsigned session_edifact_flags(const struct policy *pol, const struct session_file *f)
{
    const char *base = strrchr(f->path, '/');
    return policy_edifact_named(pol, base ? base + 1 : f->path) ? EDIFACT_BY_NAME : 0;
}

static struct edifact_summary *session_edifact_new(const struct policy *pol)
{
    return pol->edifact_check != POLICY_EDIFACT_OFF ? g_new0(struct edifact_summary, 1) : NULL;
}

/* Stage 2 (scanner threads), the bytes: type and scan the spooled copy (in a sandboxed
 * worker, which answers with both, and reads it as EDIFACT into EDI when asked), or, for a
 * verdict-cache hit, only type it (and read it as EDIFACT).  f->verdict is the engine's
 * verdict (the policy comes after). */
static void session_check_bytes(struct session_ctx *c, struct session_file *f, magic_t magic,
                                struct edifact_summary *edi)
{
    const struct policy *pol = c->p->policy;
    unsigned timeout = 2 * pol->limits.scan_max_time + 30000;
    unsigned eflags = session_edifact_flags(pol, f);
    char mime[SCANNER_POOL_MIME_MAX] = "";
    unsigned char key[VERDICT_CACHE_KEY_LEN];

    g_mutex_lock(&c->current_lock);
    g_free(c->current);
    c->current = g_strdup(f->display);
    g_mutex_unlock(&c->current_lock);

    int fd = openat(c->work->spoolfd, f->spool_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        verdict_setr(&f->verdict, VERDICT_ERROR, "scan.error-spool-read", g_strerror(errno), NULL);
    } else if (g_atomic_int_get(&c->aborted)) {
        verdict_setr(&f->verdict, VERDICT_ERROR, "scan.stopped-scanning", NULL);
    } else if (c->p->pool) {
        /* Sandboxed worker processes (docs/privsep.md); a crash or hang is an error.  The
         * worker detects the type too (libmagic never runs in the service), and reads the
         * file as EDIFACT when asked. */
        bool keyed = c->use_cache && verdict_cache_key(c->cache_ctx, f->sha256, f->size, key);
        if (keyed && verdict_cache_lookup(c->p->cache, key)) {
            /* Clean under this very engine before: the type is still detected, the
             * policy still decides. */
            scanner_pool_type(c->p->pool, fd, f->display, timeout, &f->verdict, mime,
                              sizeof(mime), eflags, edi);
            f->verdict_from = "cache";
            g_atomic_int_inc(&c->n_cache_hits);
        } else {
            scanner_pool_scan_edifact(c->p->pool, fd, f->display, timeout, &f->verdict, mime,
                                      sizeof(mime), eflags, edi);
            f->verdict_from = "scan";
            g_atomic_int_inc(&c->n_engine);
            /* Only clean verdicts: a detection is scanned again and reported each time. */
            if (keyed && f->verdict.kind == VERDICT_CLEAN)
                verdict_cache_insert(c->p->cache, key);
        }
        if (mime[0])
            f->type = g_strdup(mime);
    } else {
        f->type = session_local_type(magic, fd);
        scanner_scan_fd(c->p->engine, fd, f->display, &f->verdict);
        f->verdict_from = "scan";
        g_atomic_int_inc(&c->n_engine);
        if (edi)
            edifact_examine_fd(fd, eflags, edi);
    }
    if (fd >= 0)
        close(fd);
}

/* Stage 3 (scanner threads): the policy on the name and the type, and [edifact] check on
 * EDI (may be NULL), for each file (copies share the engine's verdict, never the
 * policy's: it depends on the name). */
static void session_apply_policy(struct session_ctx *c, struct session_file *f,
                                 const struct edifact_summary *edi)
{
    const struct policy *pol = c->p->policy;
    const char *base = strrchr(f->path, '/');
    base = base ? base + 1 : f->path;
    if (!f->type && f->verdict.kind == VERDICT_CLEAN)
        verdict_setr(&f->verdict, VERDICT_ERROR, "scan.no-type-detection", NULL);
    /* Scan even what policy blocks: "malware detected" is what the person and the
     * administrator must hear first. */
    if (f->type && f->verdict.kind != VERDICT_INFECTED && f->verdict.kind != VERDICT_ERROR) {
        const char *rule = NULL;
        struct reason_data why;
        if (!policy_decide(pol, base, f->type, &rule, &why))
            verdict_set_data(&f->verdict, VERDICT_BLOCKED, &why);
    }
    if (edi)
        session_edifact(pol, f, edi);
    /* Content disarm (disarm.h): macros, scripts and embedded files out, or held back.
     * What the policy allowed and libclamav found clean goes on, and Office held back only
     * for its macros; Office 97-2003 files held back for macros are told why no copy is
     * made. */
    if (f->type && f->spool_name &&
        (f->verdict.kind == VERDICT_CLEAN || verdict_is_macros(&f->verdict)) &&
        !g_atomic_int_get(&c->aborted)) {
        struct disarm_ctx d = {.policy = pol, .pool = c->p->pool, .spoolfd = c->work->spoolfd,
                               .timeout_ms = 2 * pol->limits.scan_max_time + 30000};
        disarm_file(&d, f);
    }
    if (!verdict_deliverable(&f->verdict)) {
        unlinkat(c->work->spoolfd, f->spool_name, 0);
        g_clear_pointer(&f->spool_name, g_free);
    }
}

/* ---- one scan per content in a session ----------------------------------------------
 * The first file with a digest scans; copies that come while it scans wait (parked, not
 * blocking a scanner thread) and then share its engine verdict, type and EDIFACT summary
 * (the key holds the EDIFACT flags too: reading by name may differ between two names).
 * An ERROR (a worker crash, a timeout, a stop) is not shared at once: the next copy scans
 * again; a second ERROR is the bytes' own and is shared (sharing an error is never
 * unsafe: an error is not delivered). */
#define SESSION_DUP_TRIES 2

struct session_dup {
    bool done;
    int errors;
    struct verdict v;      /* the engine's verdict, before the policy */
    char *mime;
    const char *from;
    struct edifact_summary *edi; /* or NULL */
    GPtrArray *waiters;    /* struct session_file * */
};

static void session_dup_free(gpointer p)
{
    struct session_dup *d = p;
    g_free(d->mime);
    g_free(d->edi);
    g_ptr_array_free(d->waiters, TRUE);
    g_free(d);
}

static char *session_dup_key(const struct session_ctx *c, const struct session_file *f)
{
    return g_strdup_printf("%s:%" G_GUINT64_FORMAT ":%u", f->sha256, (guint64)f->size,
                           session_edifact_flags(c->p->policy, f));
}

/* What a copy takes from the file that was checked (copied out under the lock). */
struct session_dup_result {
    struct verdict v;
    char *mime;
    const char *from;
    struct edifact_summary *edi;
};

static void session_dup_result_take(struct session_dup_result *x, const struct session_dup *d)
{
    x->v = d->v;
    x->mime = g_strdup(d->mime);
    x->from = d->from;
    x->edi = d->edi ? g_memdup2(d->edi, sizeof(*d->edi)) : NULL;
}

/* A copy takes the engine's verdict, type and EDIFACT summary of the checked file, then
 * the policy decides for it. */
static void session_dup_share(struct session_ctx *c, struct session_file *f,
                              const struct session_dup_result *x)
{
    f->verdict = x->v;
    f->type = g_strdup(x->mime);
    f->verdict_from = g_strcmp0(x->from, "cache") == 0 ? "cache" : "duplicate";
    g_atomic_int_inc(&c->n_duplicates);
    session_apply_policy(c, f, x->edi);
    g_async_queue_push(c->done, f);
}

/* True when F is to be checked by this thread; false when it was parked behind a copy in
 * flight or given a copy's verdict (then it is on the done queue already). */
static bool session_dup_claim(struct session_ctx *c, struct session_file *f)
{
    char *key = session_dup_key(c, f);
    struct session_dup_result x;
    g_mutex_lock(&c->dup_lock);
    struct session_dup *d = g_hash_table_lookup(c->dups, key);
    if (!d) {
        d = g_new0(struct session_dup, 1);
        d->waiters = g_ptr_array_new();
        g_hash_table_insert(c->dups, key, d);
        key = NULL; /* transferred */
        g_mutex_unlock(&c->dup_lock);
        return true;
    }
    g_free(key);
    if (!d->done) {
        g_ptr_array_add(d->waiters, f);
        g_mutex_unlock(&c->dup_lock);
        return false;
    }
    if (d->v.kind == VERDICT_ERROR && d->errors < SESSION_DUP_TRIES) {
        d->done = false; /* this copy tries again */
        g_mutex_unlock(&c->dup_lock);
        return true;
    }
    session_dup_result_take(&x, d);
    g_mutex_unlock(&c->dup_lock);
    session_dup_share(c, f, &x);
    g_free(x.mime);
    g_free(x.edi);
    return false;
}

/* F's engine verdict (and EDI, may be NULL) is in: hand it to the copies that wait (or,
 * after a first ERROR, let one of them scan again). */
static void session_dup_finish(struct session_ctx *c, struct session_file *f,
                               const struct edifact_summary *edi)
{
    char *key = session_dup_key(c, f);
    struct session_dup_result x;
    g_mutex_lock(&c->dup_lock);
    struct session_dup *d = g_hash_table_lookup(c->dups, key);
    g_free(key);
    d->done = true;
    d->v = f->verdict;
    g_free(d->mime);
    d->mime = g_strdup(f->type);
    d->from = f->verdict_from;
    g_free(d->edi);
    d->edi = edi ? g_memdup2(edi, sizeof(*edi)) : NULL;
    if (f->verdict.kind == VERDICT_ERROR && ++d->errors < SESSION_DUP_TRIES &&
        d->waiters->len > 0) {
        /* Back on the scan queue: the first copy to claim this done ERROR scans again
         * (session_dup_claim), the others stay parked until it is done. */
        struct session_file *next = g_ptr_array_steal_index(d->waiters, 0);
        g_mutex_unlock(&c->dup_lock);
        g_async_queue_push(c->scanq, next);
        return;
    }
    GPtrArray *waiters = d->waiters;
    d->waiters = g_ptr_array_new();
    session_dup_result_take(&x, d);
    g_mutex_unlock(&c->dup_lock);
    for (guint i = 0; i < waiters->len; i++)
        session_dup_share(c, g_ptr_array_index(waiters, i), &x);
    g_ptr_array_free(waiters, TRUE);
    g_free(x.mime);
    g_free(x.edi);
}

/* Readers run ahead of the scanners by at most this many files: the spool is on disk, so
 * this bounds how far the medium is read before the verdicts catch up. */
#define SESSION_READ_AHEAD 64

static void session_stop_reason(struct session_ctx *c, struct session_file *f)
{
    if (c->p->cancel && g_atomic_int_get(c->p->cancel))
        verdict_setr(&f->verdict, VERDICT_ERROR, "scan.cancelled", NULL);
    else
        verdict_setr(&f->verdict, VERDICT_ERROR, "scan.session-time", NULL);
}

static gpointer session_reader_main(gpointer data)
{
    struct session_ctx *c = data;
    for (;;) {
        struct session_task *t = g_async_queue_pop(c->tasks);
        if (t->f == NULL) {
            g_free(t);
            break;
        }
        struct session_file *f = t->f;
        bool scan = false;
        while (g_async_queue_length(c->scanq) >= SESSION_READ_AHEAD &&
               !g_atomic_int_get(&c->aborted))
            g_usleep(2000);
        if (g_atomic_int_get(&c->aborted))
            session_stop_reason(c, f);
        else
            scan = session_read_file(c, f, t->dev, t->ino);
        g_free(t);
        if (scan)
            g_async_queue_push(c->scanq, f);
        else
            g_async_queue_push(c->done, f);
    }
    return NULL;
}

/* The scan queue's end marker (a file never has this address). */
static struct session_file session_scan_stop;

static gpointer session_scanner_main(gpointer data)
{
    struct session_ctx *c = data;
    magic_t magic = NULL;
    if (!c->p->pool) {
        /* The in-process engine (tests, benchmarks) types files here; one handle per
         * thread (a magic_t is not thread-safe). */
        magic = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
        if (magic && magic_load(magic, NULL) != 0) {
            log_error("libmagic: %s", magic_error(magic));
            magic_close(magic);
            magic = NULL;
        }
    }
    for (;;) {
        struct session_file *f = g_async_queue_pop(c->scanq);
        if (f == &session_scan_stop)
            break;
        if (!session_dup_claim(c, f))
            continue; /* parked behind a copy, or given its verdict */
        struct edifact_summary *edi = session_edifact_new(c->p->policy);
        session_check_bytes(c, f, magic, edi);
        session_dup_finish(c, f, edi);
        session_apply_policy(c, f, edi);
        g_free(edi);
        g_async_queue_push(c->done, f);
    }
    if (magic)
        magic_close(magic);
    return NULL;
}

/* Every file has come back: stop the readers (their stops are queued), then the scanners. */
static void session_join_workers(struct session_ctx *c)
{
    if (c->readers) {
        for (int i = 0; i < c->nreaders; i++)
            g_thread_join(c->readers[i]);
        g_clear_pointer(&c->readers, g_free);
    }
    if (c->scanners) {
        for (int i = 0; i < c->nscanners; i++)
            g_async_queue_push(c->scanq, &session_scan_stop);
        for (int i = 0; i < c->nscanners; i++)
            g_thread_join(c->scanners[i]);
        g_clear_pointer(&c->scanners, g_free);
    }
}

static int session_task_cmp(gconstpointer a, gconstpointer b)
{
    const struct session_task *x = *(struct session_task *const *)a;
    const struct session_task *y = *(struct session_task *const *)b;
    return x->f->size < y->f->size ? 1 : x->f->size > y->f->size ? -1 : 0;
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
        pr.eta_seconds = (int64_t)((double)elapsed / G_USEC_PER_SEC *
                                   (double)(pr.bytes_total - pr.bytes_done) / (double)pr.bytes_done);
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

static void session_count(struct session_result *r)
{
    memset(&r->counts, 0, sizeof(r->counts));
    for (guint i = 0; i < r->files->len; i++) {
        struct session_file *f = g_ptr_array_index(r->files, i);
        /* Regular files, and entries that stopped the check (a folder that could not be
         * read, the walk stopped by a limit): each is something not delivered. */
        if (f->candidate || f->verdict.kind == VERDICT_ERROR)
            r->counts.files++;
        switch (f->verdict.kind) {
        case VERDICT_CLEAN: r->counts.delivered++; break;
        case VERDICT_INFECTED: r->counts.infected++; break;
        case VERDICT_BLOCKED: r->counts.blocked++; break;
        case VERDICT_ERROR: r->counts.error++; break;
        case VERDICT_SKIPPED: r->counts.skipped++; break;
        case VERDICT_SANITIZED: r->counts.delivered++; r->counts.sanitized++; break;
        }
    }
}

/* Find (or make) the staged name of raw folder path RAW_DIR.  Folder names are claimed
 * in their parent's names_dir, so files and folders never collide. */
static const char *session_staged_dir(GHashTable *dirs, GHashTable *claims, const char *raw_dir)
{
    const char *hit = g_hash_table_lookup(dirs, raw_dir);
    if (hit)
        return hit;
    char *parent_raw = g_path_get_dirname(raw_dir);
    const char *parent = !strcmp(parent_raw, ".") ? "" : session_staged_dir(dirs, claims,
                                                                             parent_raw);
    names_dir *nd = g_hash_table_lookup(claims, parent);
    if (!nd) {
        nd = names_dir_new();
        g_hash_table_insert(claims, g_strdup(parent), nd);
    }
    char *base_raw = g_path_get_basename(raw_dir);
    char *clean = names_sanitize(base_raw);
    char *name = names_dir_claim(nd, clean);
    char *staged = parent[0] ? g_strconcat(parent, "/", name, NULL) : g_strdup(name);
    g_hash_table_insert(dirs, g_strdup(raw_dir), staged);
    g_free(parent_raw);
    g_free(base_raw);
    g_free(clean);
    g_free(name);
    return staged;
}

static int session_deliver(struct session_ctx *c, char **why)
{
    struct session_result *r = c->r;
    int rc = 0;
    /* raw folder path ("v1/dir/sub") -> staged folder path; staged folder -> names_dir */
    GHashTable *dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GHashTable *claims = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify)names_dir_free);
    names_dir *top = names_dir_new();
    /* The manifest's names are the kiosk's; no file from the medium may take them. */
    g_free(names_dir_claim(top, MANIFEST_NAME));
    g_free(names_dir_claim(top, MANIFEST_NAME SIGN_SUFFIX));
    g_free(names_dir_claim(top, MANIFEST_SUMS_NAME));
    g_free(names_dir_claim(top, MANIFEST_SUMS_NAME SIGN_SUFFIX));
    g_hash_table_insert(claims, g_strdup(""), top);
    bool several = r->n_volumes > 1;
    if (several) {
        for (size_t i = 0; i < r->n_volumes; i++) {
            char *raw = g_strdup_printf("\x01v%zu", i + 1);
            char *nice = r->volumes[i].partno
                             ? g_strdup_printf("partition-%d", r->volumes[i].partno)
                             : g_strdup_printf("volume-%d", r->volumes[i].index);
            char *name = names_dir_claim(top, nice);
            g_hash_table_insert(dirs, raw, name);
            g_free(nice);
        }
    }
    for (guint i = 0; i < r->files->len && rc == 0; i++) {
        struct session_file *f = g_ptr_array_index(r->files, i);
        if (!verdict_deliverable(&f->verdict) || !f->candidate || !f->spool_name)
            continue;
        char *raw = several ? g_strdup_printf("\x01v%d/%s", f->volume, f->path)
                            : g_strdup(f->path);
        char *raw_dir = g_path_get_dirname(raw);
        char *raw_base = g_path_get_basename(raw);
        const char *sdir = !strcmp(raw_dir, ".") ? "" : session_staged_dir(dirs, claims, raw_dir);
        names_dir *nd = g_hash_table_lookup(claims, sdir);
        if (!nd) {
            nd = names_dir_new();
            g_hash_table_insert(claims, g_strdup(sdir), nd);
        }
        /* a sanitized copy goes by its own name (.xlsm -> .xlsx) */
        char *clean = names_sanitize(f->disarm ? f->disarm->name : raw_base);
        char *name = names_dir_claim(nd, clean);
        f->staged_path = sdir[0] ? g_strconcat(sdir, "/", name, NULL) : g_strdup(name);
        char *dwhy = NULL;
        size_t plen = strlen(f->staged_path);
        if (plen > SESSION_MAX_STAGED_PATH) {
            /* Too long for the share and its readers (the share's own path and the session
             * folder come in front of it): this file only, not the session. */
            char bytes[24], limit[24];
            snprintf(bytes, sizeof(bytes), "%zu", plen);
            snprintf(limit, sizeof(limit), "%d", SESSION_MAX_STAGED_PATH);
            verdict_setr(&f->verdict, VERDICT_ERROR, "deliver.path-too-long", bytes, limit, NULL);
            unlinkat(c->work->spoolfd, f->spool_name, 0);
            g_clear_pointer(&f->staged_path, g_free);
        } else if (workarea_session_deliver(c->work, f->spool_name, f->staged_path, &dwhy) != 0) {
            *why = dwhy;
            rc = KERR_STAGING;
        }
        g_clear_pointer(&f->spool_name, g_free);
        g_free(raw);
        g_free(raw_dir);
        g_free(raw_base);
        g_free(clean);
        g_free(name);
    }
    g_hash_table_destroy(dirs);
    g_hash_table_destroy(claims);
    return rc;
}

/* Anchor the audit log outside itself at the end of a session (audit.h): a checkpoint
 * signed with the kiosk's key, the head to syslog, saved in the root-only admin state,
 * and in the result (--json, reports). */
static void session_anchor(struct audit *audit, struct session_result *r,
                           const struct session_params *p)
{
    struct audit_head head;
    char *why = NULL;
    JsonObject *base = session_audit_base(r); /* testing mode, test signatures */
    int rc = audit_checkpoint(audit, r->id, p->signing_key, base, &head, &why);
    json_object_unref(base);
    if (rc != 0) {
        log_error("session %s: the audit log's head could not be anchored: %s", r->id,
                  why ? why : "?");
        g_free(why);
        return;
    }
    r->audit_seq = head.seq;
    g_strlcpy(r->audit_hash, head.hash, sizeof(r->audit_hash));
    if (!p->admin_state || !*p->admin_state || geteuid() != 0)
        return;
    if (admin_state_save_audit_head(p->admin_state, head.seq, head.hash, &why) != 0) {
        log_error("session %s: the audit head was not saved in %s: %s", r->id, p->admin_state,
                  why);
        g_free(why);
    }
}

/* The reason code of a failed session by its error code; its one parameter ("detail") is
 * the service's own text (r->error). */
static const struct {
    int kerr;
    const char *code;
} session_fail_codes[] = {
    {KERR_NO_FS, "medium.no-filesystem"},
    {KERR_AMBIGUOUS, "medium.ambiguous"},
    {KERR_ENCRYPTED, "medium.encrypted"},
    {KERR_UNSUPPORTED_FS, "medium.unsupported-filesystem"},
    {KERR_MOUNT, "medium.unreadable"},
    {KERR_MEDIUM, "medium.unreadable"},
    {KERR_CORRUPT, "medium.unreadable"},
    {KERR_TIMEOUT, "session.timeout"},
    {KERR_LIMIT, "session.limit"},
    {KERR_CANCELLED, "session.stopped"},
    {KERR_AUDIT, "session.audit"},
    {KERR_STAGING, "session.staging"},
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

/* The end of the session on the record: status, counts, and where the delivery goes. */
static int session_end_record(struct audit *audit, struct session_result *r)
{
    session_count(r);
    if (r->exit_code == 2) {
        r->counts.delivered = 0;
        r->counts.sanitized = 0; /* of the delivered files */
    }
    if (!r->end_us)
        r->end_us = g_get_real_time();
    if (!audit)
        return KERR_AUDIT;
    JsonObject *o = session_audit_base(r);
    json_object_set_string_member(o, "status", r->status ? r->status : "failed");
    if (r->error)
        json_object_set_string_member(o, "error", r->error);
    reason_json_add(o, &r->error_why); /* the error as a code (docs/protocol.md) */
    if (r->delivery)
        json_object_set_string_member(o, "delivery", r->delivery);
    if (r->manifest_sha256[0])
        json_object_set_string_member(o, "manifest_sha256", r->manifest_sha256);
    if (r->outbox) {
        json_object_set_string_member(o, "publication", "queued");
        json_object_set_string_member(o, "target", r->target);
    }
    if (r->sign_key_id[0])
        json_object_set_string_member(o, "signed_by", r->sign_key_id);
    json_object_set_int_member(o, "files", (gint64)r->counts.files);
    json_object_set_int_member(o, "engine_scans", (gint64)r->scans.engine);
    json_object_set_int_member(o, "cache_hits", (gint64)r->scans.cache_hits);
    json_object_set_int_member(o, "delivered", (gint64)r->counts.delivered);
    json_object_set_int_member(o, "sanitized", (gint64)r->counts.sanitized);
    json_object_set_int_member(o, "infected", (gint64)r->counts.infected);
    json_object_set_int_member(o, "blocked", (gint64)r->counts.blocked);
    json_object_set_int_member(o, "errors", (gint64)r->counts.error);
    json_object_set_int_member(o, "skipped", (gint64)r->counts.skipped);
    int rc = audit_append(audit, "session-end", o);
    if (rc == 0)
        rc = audit_sync(audit);
    json_object_unref(o);
    return rc == 0 ? 0 : KERR_AUDIT;
}

/* Write NAME with DATA into the delivery and, with KEY, NAME.sig beside it. */
static int session_write_signed(struct session_ctx *c, struct sign_seckey *key, const char *name,
                                const char *data, size_t len, char **why)
{
    int rc = workarea_session_write(c->work, name, data, len, why);
    if (rc != 0 || !key)
        return rc;
    char *sig = NULL, *sname = g_strconcat(name, SIGN_SUFFIX, NULL), *swhy = NULL;
    /* The trusted comment binds the signature to this session and this time (kiosk
     * verify-batch checks both against the folder and the manifest). */
    char *tc = sign_delivery_comment(name, c->r->id, g_get_real_time() / G_USEC_PER_SEC);
    rc = sign_data(key, data, len, name, tc, &sig, &swhy);
    g_free(tc);
    if (rc == 0)
        rc = workarea_session_write(c->work, sname, sig, strlen(sig), why);
    else
        *why = g_strdup_printf("the delivery could not be signed (%s); nothing was delivered", swhy);
    g_free(sig);
    g_free(sname);
    g_free(swhy);
    return rc;
}

/* MANIFEST.json and SHA256SUMS into the delivery, each signed when the kiosk has a key.
 * Fail closed: a kiosk configured to sign never delivers anything unsigned. */
static int session_seal(struct session_ctx *c, char **why)
{
    struct session_result *r = c->r;
    const char *keypath = c->p->signing_key;
    struct sign_seckey *key = NULL;
    char *text = NULL, *sums = NULL, *swhy = NULL;
    JsonNode *doc = NULL;
    gsize len = 0;
    int rc = 0;
    if (keypath && *keypath) {
        rc = sign_key_load_secret(keypath, &key, &swhy);
        if (rc != 0) {
            log_error("session %s: cannot sign the delivery: %s", r->id, swhy);
            *why = g_strdup_printf("the delivery could not be signed (%s); nothing was delivered",
                                   swhy);
            goto out;
        }
        struct sign_pubkey pk;
        sign_key_public_of(key, &pk);
        sign_key_id_hex(pk.id, r->sign_key_id);
    }
    doc = session_manifest_json(r);
    text = manifest_text(doc, &len);
    util_sha256_hex(text, len, r->manifest_sha256);
    rc = session_write_signed(c, key, MANIFEST_NAME, text, len, why);
    if (rc == 0) {
        sums = manifest_sums_text(doc, r->manifest_sha256);
        rc = session_write_signed(c, key, MANIFEST_SUMS_NAME, sums, strlen(sums), why);
    }
out:
    sign_key_free(key);
    if (doc)
        json_node_unref(doc);
    g_free(text);
    g_free(sums);
    g_free(swhy);
    return rc;
}

/* The delivery into the outbox, queued for publication, and the session's end on record:
 * from here on it reaches the TOS side whatever happens to the network or the kiosk
 * (outbox.h).  If the end cannot be recorded, the entry is taken back: nothing goes out
 * that the audit log does not show (invariant 6). */
static int session_commit(struct session_ctx *c, struct audit *audit, char **why)
{
    struct session_result *r = c->r;
    const struct session_params *p = c->p;
    struct target *t = NULL;
    uint64_t bytes = 0, files = 0;
    int rc = target_parse(p->target, &t, why);
    if (rc != 0)
        return rc;
    rc = outbox_commit(c->work, p->outbox_group, &bytes, &files, why);
    if (rc != 0) {
        target_free(t);
        return rc;
    }
    r->target = g_strdup(t->spec);
    r->delivery = target_session_location(t, r->id);
    r->outbox = g_build_filename(p->work_dir, WORKAREA_OUTBOX, r->id, NULL);
    r->manifest_path = g_build_filename(r->outbox, MANIFEST_NAME, NULL);
    target_free(t);
    struct outbox_entry *e = outbox_entry_new(r->id);
    e->state = OUTBOX_QUEUED;
    e->target = g_strdup(r->target);
    e->location = g_strdup(r->delivery);
    g_strlcpy(e->manifest_sha256, r->manifest_sha256, sizeof(e->manifest_sha256));
    e->files = r->counts.delivered;
    e->bytes = bytes;
    e->created_us = g_get_real_time();
    rc = outbox_save(p->work_dir, e, why);
    if (rc == 0)
        util_test_hold(p->test_hold_fifo, r->id);
    if (rc == 0 && session_end_record(audit, r) != 0) {
        rc = KERR_AUDIT;
        *why = g_strdup("the audit log could not record the end of the check; nothing was "
                        "delivered");
    }
    if (rc != 0) {
        char *rwhy = NULL;
        if (outbox_remove(p->work_dir, r->id, &rwhy) != 0)
            log_error("session %s: %s", r->id, rwhy);
        g_free(rwhy);
    }
    outbox_entry_free(e);
    return rc;
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
    c->dups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, session_dup_free);
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
    g_ptr_array_sort(tasks, session_task_cmp);
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
        c->readers[i] = g_thread_new("kiosk-read", session_reader_main, c);
    for (int i = 0; i < c->nscanners; i++)
        c->scanners[i] = g_thread_new("kiosk-scan", session_scanner_main, c);
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
    session_join_workers(c);
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
 * every verdict on record (invariant 6); then into the outbox (session_commit). */
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
    rc = session_seal(c, &why);
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
    rc = session_commit(c, c->audit, &why);
    if (rc != 0) /* an audit log that failed takes nothing more */
        return session_failed(c, rc == KERR_AUDIT ? SESSION_RECORD_NOTHING : SESSION_RECORD_END, rc,
                              rc, why);
    return 0; /* the session's end is on record (session_commit) */
}

/* A failed session's end on record, as much as c->record says; returns RC, or KERR_AUDIT
 * when that record failed. */
static int session_audit_end(struct session_ctx *c, int rc)
{
    struct session_result *r = c->r;
    if (c->record == SESSION_RECORD_FILES)
        for (guint i = 0; i < r->files->len; i++)
            session_audit_file(c->audit, r, g_ptr_array_index(r->files, i));
    if (c->record != SESSION_RECORD_NOTHING && session_end_record(c->audit, r) != 0) {
        log_error("session %s: the audit log could not record the end of the session", r->id);
        rc = KERR_AUDIT;
    }
    if (c->audit && rc != KERR_AUDIT)
        session_anchor(c->audit, r, c->p); /* after the session's end is on record */
    return rc;
}

/* Let go of everything the session holds, whichever phase it ended in. */
static void session_ctx_clear(struct session_ctx *c)
{
    session_join_workers(c);
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

/* ---- JSON views of a result ------------------------------------------------------- */

JsonNode *session_files_to_json(const struct session_result *r)
{
    JsonArray *a = json_array_sized_new(r->files->len);
    for (guint i = 0; i < r->files->len; i++) {
        JsonObject *o = json_object_new();
        session_json_set_file(o, r, g_ptr_array_index(r->files, i));
        json_array_add_object_element(a, o);
    }
    JsonNode *n = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(n, a);
    return n;
}

static void session_json_set_opt(JsonObject *o, const char *key, const char *value)
{
    if (value)
        json_object_set_string_member(o, key, value);
    else
        json_object_set_null_member(o, key);
}

static void session_json_set_time(JsonObject *o, const char *key, gint64 us)
{
    char *t = util_time_rfc3339(us, false);
    json_object_set_string_member(o, key, t);
    g_free(t);
}

JsonObject *session_counts_to_json(const struct session_counts *c)
{
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "files", (gint64)c->files);
    json_object_set_int_member(o, "delivered", (gint64)c->delivered);
    json_object_set_int_member(o, "sanitized", (gint64)c->sanitized);
    json_object_set_int_member(o, "infected", (gint64)c->infected);
    json_object_set_int_member(o, "blocked", (gint64)c->blocked);
    json_object_set_int_member(o, "error", (gint64)c->error);
    json_object_set_int_member(o, "skipped", (gint64)c->skipped);
    return o;
}

/* The parts --json and the manifest share. */
JsonObject *session_result_common_json(const struct session_result *r)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "session", r->id);
    json_object_set_string_member(o, "status", r->status);
    session_json_set_time(o, "started", r->start_us);
    session_json_set_time(o, "finished", r->end_us);
    json_object_set_string_member(o, "kiosk_host", r->host);
    json_object_set_boolean_member(o, "test_signatures", r->scanner.test_signatures);
    if (r->language[0]) /* the screen's language: the report's and receipt's (report.c) */
        json_object_set_string_member(o, "language", r->language);
    if (r->scanner.test_signatures)
        json_object_set_string_member(o, "warning", "TEST SIGNATURES: this kiosk scanned with "
                                                    "the test database, not real signatures");
    if (r->accept_loop)
        json_object_set_boolean_member(o, "testing_mode", TRUE);

    JsonObject *src = json_object_new();
    session_json_set_opt(src, "path", r->source);
    session_json_set_opt(src, "kind", r->source_kind);
    json_object_set_int_member(src, "size", (gint64)r->source_size);
    session_json_set_opt(src, "partition_table", r->pttype);
    session_json_set_opt(src, "vendor", r->vendor);
    session_json_set_opt(src, "model", r->model);
    session_json_set_opt(src, "serial", r->serial);
    JsonArray *vols = json_array_new();
    for (size_t i = 0; i < r->n_volumes; i++) {
        const struct session_volume *v = &r->volumes[i];
        JsonObject *vo = json_object_new();
        json_object_set_int_member(vo, "index", v->index);
        json_object_set_int_member(vo, "partition", v->partno);
        json_object_set_int_member(vo, "offset", (gint64)v->offset);
        json_object_set_int_member(vo, "size", (gint64)v->size);
        session_json_set_opt(vo, "filesystem", v->fstype);
        session_json_set_opt(vo, "version", v->fsversion);
        session_json_set_opt(vo, "label", v->label);
        session_json_set_opt(vo, "uuid", v->uuid);
        json_object_set_boolean_member(vo, "scanned", v->scanned);
        session_json_set_opt(vo, "problem", v->problem);
        json_array_add_object_element(vols, vo);
    }
    json_object_set_array_member(src, "volumes", vols);
    json_object_set_object_member(o, "source", src);

    JsonObject *pol = json_object_new();
    session_json_set_opt(pol, "name", r->policy_name);
    json_object_set_int_member(pol, "version", (gint64)r->policy_version);
    session_json_set_opt(pol, "sha256", r->policy_sha256);
    json_object_set_object_member(o, "policy", pol);

    JsonObject *sc = json_object_new();
    json_object_set_string_member(sc, "engine", r->scanner.engine_version);
    json_object_set_string_member(sc, "database", r->scanner.db_version);
    if (r->scanner.db_time > 0)
        session_json_set_time(sc, "database_time", r->scanner.db_time * G_USEC_PER_SEC);
    json_object_set_int_member(sc, "signatures", r->scanner.signatures);
    json_object_set_object_member(o, "scanner", sc);

    if (r->details)
        json_object_set_object_member(o, "details", json_object_ref(r->details));
    if (r->edifact_mismatch)
        json_object_set_array_member(o, "edifact_mismatch", json_array_ref(r->edifact_mismatch));

    json_object_set_object_member(o, "counts", session_counts_to_json(&r->counts));
    return o;
}

JsonNode *session_manifest_json(const struct session_result *r)
{
    return manifest_build(session_result_common_json(r), session_files_to_json(r));
}

JsonNode *session_result_to_json(const struct session_result *r)
{
    JsonObject *o = session_result_common_json(r);
    json_object_set_int_member(o, "exit_code", r->exit_code);
    session_json_set_opt(o, "delivery", r->delivery);
    session_json_set_opt(o, "manifest", r->manifest_path);
    if (r->manifest_sha256[0])
        json_object_set_string_member(o, "manifest_sha256", r->manifest_sha256);
    if (r->error)
        json_object_set_string_member(o, "error", r->error);
    reason_json_add(o, &r->error_why); /* the error as a code (docs/protocol.md) */
    if (r->audit_seq > 0) {
        JsonObject *a = json_object_new();
        json_object_set_int_member(a, "seq", (gint64)r->audit_seq);
        json_object_set_string_member(a, "hash", r->audit_hash);
        json_object_set_object_member(o, "audit", a);
    }
    JsonObject *sc = json_object_new();
    json_object_set_int_member(sc, "engine", (gint64)r->scans.engine);
    json_object_set_int_member(sc, "cache_hits", (gint64)r->scans.cache_hits);
    json_object_set_int_member(sc, "duplicates", (gint64)r->scans.duplicates);
    json_object_set_boolean_member(sc, "cache", r->scans.cache);
    json_object_set_object_member(o, "scans", sc);
    json_object_set_member(o, "files", session_files_to_json(r));
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    return n;
}

/* session-file.c - the per-file work of a session: read a file once from the medium into
 * the private spool while hashing it (session_file_read), type and scan that copy in a
 * sandboxed worker or take a clean verdict from the verdict cache
 * (session_file_check_bytes), then the policy, [edifact] check and content disarm on it
 * (session_file_apply_policy). */
#include "kiosk/session.h"
#include "kiosk/session-private.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"
#include "kiosk/disarm.h"
#include "media/media.h"
#include "handoff/workarea.h"
#include "scanner/pool.h"
#include "scanner/verdict-cache.h"

#include <errno.h>
#include <fcntl.h>
#include <clamav.h>
#include <magic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void session_file_free(gpointer p)
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
    struct session_sink k = {
        .c = c, .f = f, .dst = -1, .limit = c->p->policy->limits.max_file_size};
    struct walk_entry e = {.path = f->path,
                           .volume = f->volume,
                           .size = f->size,
                           .dev = (dev_t)dev,
                           .ino = (ino_t)ino};
    char *why = NULL;

    f->spool_name = g_strdup_printf("%u", (unsigned)g_atomic_int_add(&c->spool_seq, 1));
    k.dst = openat(c->work->spoolfd, f->spool_name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
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
bool session_file_read(struct session_ctx *c, struct session_file *f, uint64_t dev, uint64_t ino)
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
unsigned session_file_edifact_flags(const struct policy *pol, const struct session_file *f)
{
    const char *base = strrchr(f->path, '/');
    return policy_edifact_named(pol, base ? base + 1 : f->path) ? EDIFACT_BY_NAME : 0;
}

struct edifact_summary *session_file_edifact_new(const struct policy *pol)
{
    return pol->edifact_check != POLICY_EDIFACT_OFF ? g_new0(struct edifact_summary, 1) : NULL;
}

/* Stage 2 (scanner threads), the bytes: type and scan the spooled copy (in a sandboxed
 * worker, which answers with both, and reads it as EDIFACT into EDI when asked), or, for a
 * verdict-cache hit, only type it (and read it as EDIFACT).  f->verdict is the engine's
 * verdict (the policy comes after). */
void session_file_check_bytes(struct session_ctx *c, struct session_file *f, magic_t magic,
                              struct edifact_summary *edi)
{
    const struct policy *pol = c->p->policy;
    unsigned timeout = 2 * pol->limits.scan_max_time + 30000;
    unsigned eflags = session_file_edifact_flags(pol, f);
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
            scanner_pool_type(c->p->pool, fd, f->display, timeout, &f->verdict, mime, sizeof(mime),
                              eflags, edi);
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
void session_file_apply_policy(struct session_ctx *c, struct session_file *f,
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
        struct disarm_ctx d = {.policy = pol,
                               .pool = c->p->pool,
                               .spoolfd = c->work->spoolfd,
                               .timeout_ms = 2 * pol->limits.scan_max_time + 30000};
        disarm_file(&d, f);
    }
    if (!verdict_deliverable(&f->verdict)) {
        unlinkat(c->work->spoolfd, f->spool_name, 0);
        g_clear_pointer(&f->spool_name, g_free);
    }
}

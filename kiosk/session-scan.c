/* session-scan.c - the reader and scanner threads of a session, and one scan per content:
 * readers copy files from the medium ahead of the scanners (session_scan_reader_main),
 * scanners check each file (session_scan_scanner_main), and copies of a content already
 * being scanned wait for its verdict instead of scanning again (session_dup_*). */
#include "kiosk/session.h"
#include "kiosk/session-private.h"
#include "common/log.h"

#include <magic.h>

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
    struct verdict v; /* the engine's verdict, before the policy */
    char *mime;
    const char *from;
    struct edifact_summary *edi; /* or NULL */
    GPtrArray *waiters;          /* struct session_file * */
};

void session_scan_dup_free(gpointer p)
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
                           session_file_edifact_flags(c->p->policy, f));
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
    session_file_apply_policy(c, f, x->edi);
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

gpointer session_scan_reader_main(gpointer data)
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
            scan = session_file_read(c, f, t->dev, t->ino);
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

gpointer session_scan_scanner_main(gpointer data)
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
        struct edifact_summary *edi = session_file_edifact_new(c->p->policy);
        session_file_check_bytes(c, f, magic, edi);
        session_dup_finish(c, f, edi);
        session_file_apply_policy(c, f, edi);
        g_free(edi);
        g_async_queue_push(c->done, f);
    }
    if (magic)
        magic_close(magic);
    return NULL;
}

/* Every file has come back: stop the readers (their stops are queued), then the scanners. */
void session_scan_join_workers(struct session_ctx *c)
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

int session_scan_task_cmp(gconstpointer a, gconstpointer b)
{
    const struct session_task *x = *(struct session_task *const *)a;
    const struct session_task *y = *(struct session_task *const *)b;
    return x->f->size < y->f->size ? 1 : x->f->size > y->f->size ? -1 : 0;
}

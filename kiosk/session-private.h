/* session-private.h - what the files of one session share (kiosk/session*.c): the
 * session's context, a reader's task, and the functions one file calls in another.
 * session.c runs the phases; session-file.c reads, scans and decides one file;
 * session-scan.c runs the reader and scanner threads; session-deliver.c builds, seals and
 * commits the delivery; session-audit.c writes the audit records; session-json.c gives the
 * JSON views.  Not a public header: only kiosk/session*.c include it. */
#ifndef KIOSK_SESSION_PRIVATE_H
#define KIOSK_SESSION_PRIVATE_H

#include "scanner/verdict-cache.h"

#include <glib.h>
#include <json-glib/json-glib.h>
#include <magic.h>
#include <stdbool.h>
#include <stdint.h>

/* Declared in kiosk/session.h and the headers it includes, which the .c files include:
 * this header includes none of them, so the session's files depend on it, not the
 * other way round (tools/check-deps.py). */
struct audit;
struct edifact_summary;
struct media;
struct policy;
struct session_file;
struct session_params;
struct session_result;
struct workarea_session;

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
    GAsyncQueue *tasks; /* struct session_task * for the readers; f == NULL stops */
    GAsyncQueue *scanq; /* struct session_file * for the scanners; session_scan_stop stops */
    GAsyncQueue *done;  /* struct session_file * processed */
    gint64 deadline_us;
    gint aborted;            /* cancel or deadline: workers stop taking files */
    guint64 bytes_in_flight; /* bytes copied by workers (atomic), for progress */
    GMutex current_lock;
    char *current; /* display name of the newest file started */
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
    GMutex media_lock; /* media may be aborted (watchdog) or closed (session) */
    gint spool_seq;    /* names of spooled copies: 0, 1, 2 ... */
    /* Copies in one session are scanned once (session_dup_*); clean verdicts across
     * sessions come from p->cache under this pool's context (verdict-cache.h). */
    GMutex dup_lock;
    GHashTable *dups; /* "sha256:size" -> struct session_dup * */
    bool use_cache;
    unsigned char cache_ctx[VERDICT_CACHE_KEY_LEN];
    gint n_engine, n_cache_hits, n_duplicates; /* atomic */
};

struct session_task {
    struct session_file *f;
    uint64_t dev, ino;
};

/* session.c */
void session_count(struct session_result *r);

/* session-file.c: the per-file work (stages 1 and 2 of a file, then its policy) */
void session_file_free(gpointer p);
bool session_file_read(struct session_ctx *c, struct session_file *f, uint64_t dev, uint64_t ino);
unsigned session_file_edifact_flags(const struct policy *pol, const struct session_file *f);
struct edifact_summary *session_file_edifact_new(const struct policy *pol);
void session_file_check_bytes(struct session_ctx *c, struct session_file *f, magic_t magic,
                              struct edifact_summary *edi);
void session_file_apply_policy(struct session_ctx *c, struct session_file *f,
                               const struct edifact_summary *edi);

/* session-scan.c: the reader and scanner threads, one scan per content */
void session_scan_dup_free(gpointer p);
gpointer session_scan_reader_main(gpointer data);
gpointer session_scan_scanner_main(gpointer data);
void session_scan_join_workers(struct session_ctx *c);
int session_scan_task_cmp(gconstpointer a, gconstpointer b);

/* session-deliver.c: the delivery, its manifest and signatures, the outbox */
int session_deliver(struct session_ctx *c, char **why);
int session_deliver_seal(struct session_ctx *c, char **why);
int session_deliver_commit(struct session_ctx *c, struct audit *audit, char **why);

/* session-audit.c: the audit records */
JsonObject *session_audit_base(const struct session_result *r);
int session_audit_file(struct audit *a, const struct session_result *r,
                       const struct session_file *f);
void session_audit_anchor(struct audit *audit, struct session_result *r,
                          const struct session_params *p);
int session_audit_end_record(struct audit *audit, struct session_result *r);

/* session-json.c */
void session_json_set_file(JsonObject *o, const struct session_result *r,
                           const struct session_file *f);

#endif

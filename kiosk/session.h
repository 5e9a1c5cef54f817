/* session.h - one run of the quarantine pipeline on one medium.
 *
 * media_open -> walk -> for each regular file, in parallel: read once into the private
 * spool (workarea.h) while hashing, detect the type and scan the copy (in a sandboxed
 * worker), apply policy -> let go of the medium -> move clean files into the delivery ->
 * MANIFEST.json, SHA256SUMS and their signatures -> audit the verdicts -> commit to the
 * outbox (outbox.h) -> audit the end.  Publication to the staging share is the outbox's
 * next step (publish.h), not the session's: a share that is down never loses or holds
 * up a check.
 * `kiosk scan` and the service both call session_run(). */
#ifndef KIOSK_SESSION_H
#define KIOSK_SESSION_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "kiosk/session-result.h"
#include "policy/policy.h"
#include "scanner/edifact.h"
#include "scanner/scanner.h"
#include "scanner/verdict.h"

enum session_phase {
    SESSION_CHECKING,   /* probing and mounting */
    SESSION_SCANNING,   /* copying, hashing, typing, scanning */
    SESSION_DELIVERING, /* moving clean files, manifest, audit, outbox */
    SESSION_DONE,
};

struct session_progress {
    enum session_phase phase;
    uint64_t files_done, files_total;
    uint64_t bytes_done, bytes_total;
    const char *current;  /* display name of a file being read, or NULL */
    int64_t eta_seconds;  /* -1 when unknown */
};

typedef void (*session_progress_fn)(const struct session_progress *p, void *user_data);

struct scanner_pool;
struct verdict_cache;

struct session_params {
    const char *source;
    const struct policy *policy;
    struct scanner_engine *engine; /* scan in this process (tests, benchmarks) ... */
    struct scanner_pool *pool;     /* ... or, when set, in sandboxed workers (docs/privsep.md) */
    const char *work_dir;          /* the private work area (workarea.h) */
    const char *target;            /* where deliveries go (target.h spec) */
    gid_t outbox_group;            /* group of outbox entries: the publisher's (-1 = leave) */
    const char *audit_log;
    const char *run_dir;
    const char *reader_user;     /* media_conf.reader_user ([media] reader-user) */
    bool reader_test_hooks;      /* media_conf.test_hooks (testing mode) */
    int workers;                 /* 0 = one per core */
    /* Clean verdicts across sessions (scanner/verdict-cache.h; with a pool only), saved at
     * the end of the session; NULL = none.  Copies in one session share one scan always. */
    struct verdict_cache *cache;
    JsonObject *details;         /* may be NULL */
    /* The visitor's language on the screen (1 = Japanese, 0 = English), read when the
     * session ends: the manifest's "language", which its report and receipt follow.
     * NULL = none recorded (kiosk scan). */
    volatile gint *language_ja;
    session_progress_fn progress;
    void *progress_data;
    volatile gint *cancel;       /* set non-zero to abort (media removed), may be NULL */
    /* Set by the service (kiosk daemon); NULL/false for `kiosk scan`. */
    const char *session_id;      /* use this id (from session_new_id) instead of a new one */
    const char *vendor, *model, *serial; /* the medium's identity as udev reported it */
    bool accept_loop;            /* testing mode: recorded in the audit log and manifest */
    /* Secret key (minisign format, sign.h) to sign MANIFEST.json and SHA256SUMS (into
     * *.sig); NULL or "" = unsigned.  A configured key that cannot be used fails the
     * session. */
    const char *signing_key;
    /* The admin state (admin.h) where the audit head is saved at the end (root only);
     * NULL = not saved. */
    const char *admin_state;
    /* Testing mode only (the service with --accept-loop-devices and the environment's
     * KIOSK_TEST_SESSION_HOLD): hold at this FIFO (util_test_hold) after the delivery is in
     * the outbox and before the session's end is recorded, so a test can kill the service
     * or pull the stick at that point. */
    const char *test_hold_fifo;
};

/* A new session id: "YYYYmmdd-HHMMSS-xxxxxxxx" (UTC time, 4 random bytes). */
char *session_new_id(void);

/* Run the pipeline.  Always returns a result (*out) that says what happened; the return
 * value is 0, or a negative KERR_* when the run failed before or while publishing
 * (then nothing was published and result->exit_code is 2). */
int session_run(const struct session_params *p, struct session_result **out);

void session_result_free(struct session_result *r);

/* JSON description of the files (the "files" array of --json and of MANIFEST.json). */
JsonNode *session_files_to_json(const struct session_result *r);

/* {"files", "delivered", "sanitized", "infected", "blocked", "error", "skipped"} (new
 * object; "sanitized" counts the delivered files that are sanitized copies). */
JsonObject *session_counts_to_json(const struct session_counts *c);

/* The session-level fields shared by --json and MANIFEST.json (new object). */
JsonObject *session_result_common_json(const struct session_result *r);

/* The MANIFEST.json document of R (manifest.h). */
JsonNode *session_manifest_json(const struct session_result *r);

/* The whole result as --json prints it. */
JsonNode *session_result_to_json(const struct session_result *r);

#endif

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

struct session_file {
    char *path;          /* raw relative path on its volume */
    char *display;       /* printable form (names_display) */
    int volume;
    bool candidate;      /* a regular file */
    uint64_t size;
    bool has_mtime, has_crtime;
    int64_t mtime, crtime; /* seconds since the epoch, UTC, as the medium holds them */
    uint32_t mtime_ns, crtime_ns;
    char sha256[65];     /* "" when not read */
    char *type;          /* MIME type of the copy, or NULL */
    struct verdict verdict;
    /* Where the engine's verdict came from: "scan" (a scan of this file), "duplicate"
     * (scanned once for a file with the same SHA-256 and size in this session), "cache"
     * (a clean verdict of the verdict cache, scanner/verdict-cache.h: only the type was
     * detected); NULL when the file never reached the scanner. */
    const char *verdict_from;
    char *staged_path;   /* relative to the delivery folder, when delivered */
    char *spool_name;    /* private */
    /* VERDICT_SANITIZED: size, sha256 and type above are the delivered copy's; this holds
     * the original's and what was removed (kiosk/disarm.h) */
    struct disarm_info *disarm;
    struct edifact_summary *edifact; /* when it is EDIFACT (scanner/edifact.h), else NULL */
};

struct disarm_info;

struct session_volume {
    int index, partno;
    uint64_t offset, size;
    char *fstype, *fsversion, *label, *uuid, *problem;
    bool scanned;
};

struct session_counts {
    uint64_t files, delivered, infected, blocked, error, skipped;
    uint64_t sanitized; /* of the delivered: copies without active content */
};

/* What the scanners did (--json "scans"): engine scans of whole files, type-only
 * requests for verdict-cache hits, files that shared another copy's verdict. */
struct session_scans {
    uint64_t engine, cache_hits, duplicates;
    bool cache;           /* the verdict cache was in use */
};

struct session_result {
    char *id;
    char *host;
    gint64 start_us, end_us;
    const char *status;   /* "delivered", "partial", "failed" */
    int exit_code;        /* 0, 1, 2 as `kiosk scan` exits */
    char *error;          /* why it failed, for people */
    struct reason_data error_why; /* the same as a code: error is its detail parameter */
    char *delivery;       /* where the delivery is (or will be) published: a folder or URL */
    char *manifest_path;  /* the kiosk's copy: WORK/outbox/<id>/MANIFEST.json */
    char *outbox;         /* WORK/outbox/<id> (committed) */
    char *target;         /* the target spec it goes to */
    char manifest_sha256[65];
    char sign_key_id[17]; /* the key that signed MANIFEST.json and SHA256SUMS, "" = unsigned */
    /* the medium */
    char *source, *source_kind, *pttype, *vendor, *model, *serial;
    uint64_t source_size;
    struct session_volume *volumes;
    size_t n_volumes;
    /* what decided */
    char *policy_name, *policy_sha256, *policy_path;
    uint64_t policy_version;
    struct scanner_info scanner;
    bool accept_loop;     /* testing mode (service) */
    JsonObject *details;  /* operator details (vessel, IMO, voyage, company, person) or NULL */
    char language[4];     /* the screen's language at the end ("en", "ja"), "" = none */
    GPtrArray *files;     /* struct session_file *, in walk order */
    struct session_counts counts;
    struct session_scans scans;
    JsonArray *edifact_mismatch; /* details that disagree with a bay plan, or NULL */
    /* The audit log's head after the session (its signed checkpoint, or its session-end
     * record): what --json, syslog and the admin state anchor the chain with.  0 = none. */
    uint64_t audit_seq;
    char audit_hash[65];
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

/* Build the scan engine the policy asks for (limits, archive/macro/encryption handling)
 * from the signature folder DBDIR; TMPDIR (may be NULL) for libclamav temporary files. */
int session_engine_load(const struct policy *pol, const char *dbdir, const char *tmpdir,
                        struct scanner_engine **out, char **why);

/* The same, as sandboxed scanner worker processes (scanner/pool.h) running as USER (when
 * root), their temporary folders under RUN_DIR. */
int session_pool_new(const struct policy *pol, const char *dbdir, int nworkers, const char *user,
                     const char *run_dir, struct scanner_pool **out, char **why);

/* JSON description of the files (the "files" array of --json and of MANIFEST.json). */
JsonNode *session_files_to_json(const struct session_result *r);

/* {"files", "delivered", "sanitized", "infected", "blocked", "error", "skipped"} (new
 * object; "sanitized" counts the delivered files that are sanitized copies). */
JsonObject *session_counts_to_json(const struct session_counts *c);

/* The session-level fields shared by --json and MANIFEST.json (new object). */
JsonObject *session_result_common_json(const struct session_result *r);

/* The whole result as --json prints it. */
JsonNode *session_result_to_json(const struct session_result *r);

#endif

/* session-result.h - what one session found and did: its files with their verdicts, the
 * medium's volumes, the counts, where the delivery goes.  session_run (session.h) fills
 * it; the modules that describe or refine a result read it without running a session:
 * disarm.h (sanitized copies), edifact-json.h (bay plans), the --json and manifest views
 * (session.h), report.h.  Types only, so that those modules need not depend on the
 * session that calls them (tools/check-deps.py). */
#ifndef KIOSK_SESSION_RESULT_H
#define KIOSK_SESSION_RESULT_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "scanner/scanner.h"
#include "scanner/verdict.h"

struct disarm_info;
struct edifact_summary;

struct session_file {
    char *path;    /* raw relative path on its volume */
    char *display; /* printable form (names_display) */
    int volume;
    bool candidate; /* a regular file */
    uint64_t size;
    bool has_mtime, has_crtime;
    int64_t mtime, crtime; /* seconds since the epoch, UTC, as the medium holds them */
    uint32_t mtime_ns, crtime_ns;
    char sha256[65]; /* "" when not read */
    char *type;      /* MIME type of the copy, or NULL */
    struct verdict verdict;
    /* Where the engine's verdict came from: "scan" (a scan of this file), "duplicate"
     * (scanned once for a file with the same SHA-256 and size in this session), "cache"
     * (a clean verdict of the verdict cache, scanner/verdict-cache.h: only the type was
     * detected); NULL when the file never reached the scanner. */
    const char *verdict_from;
    char *staged_path; /* relative to the delivery folder, when delivered */
    char *spool_name;  /* private */
    /* VERDICT_SANITIZED: size, sha256 and type above are the delivered copy's; this holds
     * the original's and what was removed (kiosk/disarm.h) */
    struct disarm_info *disarm;
    struct edifact_summary *edifact; /* when it is EDIFACT (scanner/edifact.h), else NULL */
};

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
    bool cache; /* the verdict cache was in use */
};

struct session_result {
    char *id;
    char *host;
    gint64 start_us, end_us;
    const char *status;  /* "delivered", "partial", "failed" */
    int exit_code;       /* 0, 1, 2 as `kiosk scan` exits */
    char *error;         /* why it failed, for people */
    struct reason_data error_why; /* the same as a code: error is its detail parameter */
    char *delivery;      /* where the delivery is (or will be) published: a folder or URL */
    char *manifest_path; /* the kiosk's copy: WORK/outbox/<id>/MANIFEST.json */
    char *outbox;        /* WORK/outbox/<id> (committed) */
    char *target;        /* the target spec it goes to */
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
    bool accept_loop;    /* testing mode (service) */
    JsonObject *details; /* operator details (vessel, IMO, voyage, company, person) or NULL */
    char language[4];    /* the screen's language at the end ("en", "ja"), "" = none */
    GPtrArray *files;    /* struct session_file *, in walk order */
    struct session_counts counts;
    struct session_scans scans;
    JsonArray *edifact_mismatch; /* details that disagree with a bay plan, or NULL */
    /* The audit log's head after the session (its signed checkpoint, or its session-end
     * record): what --json, syslog and the admin state anchor the chain with.  0 = none. */
    uint64_t audit_seq;
    char audit_hash[65];
};

#endif

/* policy.h - the kiosk's file policy: what may pass, limits, scan options.
 *
 * The policy is a GLib key file an administrator edits (reference: docs/policy.md,
 * default: data/policy.conf).  Type rules are read top to bottom, first match wins,
 * default deny.  Loading validates everything and reports each problem with its line
 * number; a policy with any error is never used (fail closed). */
#ifndef KIOSK_POLICY_H
#define KIOSK_POLICY_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/reason.h"

/* Hard ceiling for libclamav limits: ClamAV's internal counters are not safe at or
 * above 1 GiB (and the issue asks for limits below it). */
#define POLICY_CLAMAV_LIMIT_MAX ((uint64_t)1 << 30)

enum policy_action {
    POLICY_ALLOW = 0,
    POLICY_BLOCK = 1,
};

enum policy_driver {
    POLICY_DRIVER_READER = 0, /* the sandboxed medium reader (default; reader/) */
    POLICY_DRIVER_KERNEL = 1, /* kernel filesystem drivers, read-only mounts */
};

/* What happens to active content: macros in Office documents ([scan] macros=), scripts,
 * automatic actions and embedded files in PDFs ([scan] pdf=).  docs/policy.md. */
enum policy_disarm {
    POLICY_DISARM_BLOCK = 0,    /* hold the file back (macros=block, pdf=block-active) */
    POLICY_DISARM_SANITIZE = 1, /* deliver a copy without it (scanned again) */
    POLICY_DISARM_ALLOW = 2,    /* deliver the file as it is */
};

/* [edifact] check: what a malformed EDIFACT interchange does (docs/edifact.md). */
enum policy_edifact_check {
    POLICY_EDIFACT_OFF = 0, /* not read */
    POLICY_EDIFACT_WARN,    /* delivered, with the problem on screen, receipt and manifest */
    POLICY_EDIFACT_BLOCK,   /* held back, the problem as the reason */
};

/* One [type:NAME] group. */
struct policy_type_rule {
    char *name;          /* NAME from the group header */
    char **mime;         /* NULL-terminated fnmatch(3) patterns, e.g. "text/plain", "image/png" */
    char **extensions;   /* NULL-terminated, lower case, without the dot; "" = no extension */
    enum policy_action action;
    bool archive;        /* the type is an archive (subject to [scan] archives=) */
    char *reason;        /* shown for block rules; may be NULL */
    char *reason_ja;     /* reason[ja]=, the same in Japanese; may be NULL */
    int line;            /* line of the group header */
};

struct policy_limits {
    /* per file */
    uint64_t max_file_size;      /* bytes; larger files are blocked before copying */
    /* per session */
    uint64_t max_session_bytes;  /* bytes of regular files in one session */
    uint64_t max_files;          /* regular files in one session */
    uint32_t max_depth;          /* folder depth below the filesystem root */
    uint32_t max_session_time;   /* seconds for the whole session */
    /* passed to libclamav (each below POLICY_CLAMAV_LIMIT_MAX) */
    uint64_t scan_max_filesize;  /* CL_ENGINE_MAX_FILESIZE */
    uint64_t scan_max_scansize;  /* CL_ENGINE_MAX_SCANSIZE */
    uint32_t scan_max_recursion; /* CL_ENGINE_MAX_RECURSION */
    uint32_t scan_max_files;     /* CL_ENGINE_MAX_FILES */
    uint32_t scan_max_time;      /* CL_ENGINE_MAX_SCANTIME, milliseconds */
};

struct policy {
    char *path;            /* file it was loaded from */
    char *name;            /* [policy] name */
    uint64_t version;      /* [policy] version, a positive integer */
    char sha256[65];       /* SHA-256 of the file's bytes, lower-case hex */

    struct policy_type_rule *rules; /* in file order */
    size_t n_rules;

    struct policy_limits limits;

    bool scan_archives;    /* [scan] archives = scan | block */
    bool block_macros;     /* the scanner flags OLE2 macros: macros = block or sanitize */
    enum policy_disarm macros; /* [scan] macros = block | sanitize | allow */
    enum policy_disarm pdf;    /* [scan] pdf = allow | sanitize | block-active */
    bool block_encrypted;  /* [scan] encrypted = block | allow */

    char **skip_names;     /* [walk] skip = names recorded as skipped and not entered */

    enum policy_driver driver;  /* [media] driver = reader | kernel ("fuse", the old name of
                                 * the default, still means reader) */
    char **filesystems;         /* [media] filesystems = allowed blkid types (vfat, exfat, ntfs,
                                 * ext2, ext3, ext4, hfsplus, iso9660, udf) */

    enum policy_edifact_check edifact_check; /* [edifact] check = off | warn | block */
    char **edifact_extensions;  /* [edifact] extensions: names that say EDIFACT (lower case) */
};

struct policy_error {
    int line;   /* 1-based; 0 when the problem is not tied to a line (e.g. missing group) */
    char *message;
};

/* Load and validate PATH.  On success returns 0 and *out.  On failure returns
 * KERR_POLICY (or KERR_SYSTEM when the file cannot be read) and, if errors is not
 * NULL, appends one struct policy_error * per problem (element free function set by
 * the caller: policy_error_free).  Every problem is reported, not only the first. */
int policy_load(const char *path, struct policy **out, GPtrArray *errors);

/* The same from a buffer (used by tests and fuzzing); path is used only for messages. */
int policy_load_data(const char *data, size_t len, const char *path, struct policy **out,
                     GPtrArray *errors);

void policy_free(struct policy *p);

/* Print ERRORS (from policy_load) one per line as "PATH:LINE: message" ("PATH: message"
 * when not tied to a line), each after INDENT. */
void policy_errors_print(FILE *out, const char *indent, const char *path, const GPtrArray *errors);
void policy_error_free(gpointer e);

/* File decision: given the file's name (last component, raw bytes) and its detected
 * MIME type (libmagic, e.g. "application/pdf"), decide.  Returns true when allowed.
 * *rule gets the name of the rule that decided (or "default"), *reason a newly
 * allocated text in plain English for people when blocked, e.g.
 *   "type not allowed: application/x-dosexec"
 *   "name does not match content: named .pdf but is application/x-dosexec"
 *   "archives are not allowed by policy"
 * Matching: rules are tried in order; a rule matches when the MIME matches one of its
 * patterns.  A matching ALLOW rule still blocks when the file's extension is not in its
 * list (mismatch).  A file whose MIME matches no rule is blocked (default deny); when its
 * extension belongs to some allow rule the reason says it is a mismatch. */
bool policy_decide_file(const struct policy *p, const char *name, const char *mime,
                        const char **rule, char **reason);

/* The same decision with the reason as a code and its parameters (common/reason.h) in
 * *WHY when blocked (cleared when allowed):
 *   policy.type-unknown, policy.type-not-allowed {type, ext}, policy.name-mismatch
 *   {ext, type}, policy.name-mismatch-rule {ext, type, text, text_ja}, policy.no-extension
 *   {type}, policy.rule-block {rule, text, text_ja, type} (a block rule with reason=),
 *   policy.archive {type}.
 * policy_decide_file's *reason is reason_data_format() of *WHY. */
bool policy_decide(const struct policy *p, const char *name, const char *mime, const char **rule,
                   struct reason_data *why);

/* Problems that do not make the policy invalid (`kiosk policy check` prints them as
 * warnings): a block rule whose reason is given in one language only (reason= without
 * reason[ja]=, or the other way round).  Appends struct policy_error * to WARNINGS. */
void policy_warnings(const struct policy *p, GPtrArray *warnings);

/* True when a file or folder NAME is one of [walk] skip (case-insensitive). */
bool policy_skip_name(const struct policy *p, const char *name);

/* True when file NAME's extension is one of [edifact] extensions (case-insensitive): the
 * file is read as EDIFACT even when it does not start like an interchange. */
bool policy_edifact_named(const struct policy *p, const char *name);

/* "off", "warn", "block". */
const char *policy_edifact_check_str(enum policy_edifact_check c);

/* True when the blkid filesystem type is allowed by [media] filesystems. */
bool policy_filesystem_allowed(const struct policy *p, const char *fstype);

#endif

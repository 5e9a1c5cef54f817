/* audit.h - the append-only, hash-chained audit log.
 *
 * One JSON object per line (JSON Lines).  Every record carries:
 *   "seq":  1, 2, 3 ... (one more than the previous record)
 *   "time": RFC 3339 UTC time with microseconds, e.g. "2026-11-22T02:15:00.123456Z"
 *   "host": the kiosk's host name
 *   "prev": lower-case hex SHA-256 of the previous line's bytes (without its '\n');
 *           64 zeros for the first record of the file
 *   "type": the event, e.g. "session-start", "file", "session-end"
 * plus the fields of the event.  Records are appended with O_APPEND under an exclusive
 * flock(2), so two processes never interleave; each record is also sent to the system log
 * with a severity by event and journald fields (audit-syslog.h).
 *
 * The head (seq and SHA-256 of the last record's line) is what anchors the chain outside
 * the file: a log whose tail was cut still chains, so the head is also kept elsewhere
 * (docs/admin.md, "The audit log"): in syslog at every session end, in `kiosk scan --json`,
 * on the report and the receipt, in `kiosk status`, and in the admin state (admin.h).
 * At a session end a "checkpoint" record signs the head with the kiosk's key:
 *   {"type":"checkpoint","session":ID,"covers_seq":N,"covers_sha256":H,
 *    "key_id":"16 hex","signature":base64 Ed25519 over audit_checkpoint_message()}
 * where N/H are the record before it (so H equals the checkpoint's "prev"), so a copy
 * exported from the kiosk can be checked offline with its public key.
 *
 * A torn last line (a write cut by a power loss or a full disk: the last line is not a
 * record) is not a broken log.  The next append first writes a "recovery" record:
 *   {"type":"recovery","torn_offset":BYTE,"torn_bytes":LEN,"torn_sha256":H,"reason":...}
 * whose "prev" is H (the torn bytes stay in the chain) and whose seq follows the last
 * good record (the torn line uses none).  Verify accepts a non-record line only when the
 * next line is the recovery naming it, or when it is the file's last line (not yet
 * recovered), and reports both. */
#ifndef KIOSK_AUDIT_H
#define KIOSK_AUDIT_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct audit;
struct sign_pubkey;

/* A record of the chain: its seq and the SHA-256 (lower-case hex) of its line. */
struct audit_head {
    uint64_t seq; /* 0: none (an empty log) */
    char hash[65];
};

/* Open (create with mode 0600, parent folder created 0700 if missing) the log at PATH.
 * Reads the last record to continue the chain; a last line that is not a record (a torn
 * write) gets its "recovery" record with the next append. */
int audit_open(const char *path, struct audit **out);

/* Append one record.  FIELDS (not consumed, may be NULL) holds the event's fields;
 * "seq", "time", "host", "prev" and "type" are set by this function.  The line is
 * written with a single write(2) but not fsync'd: call audit_sync() before telling
 * anyone the event happened. */
int audit_append(struct audit *a, const char *type, JsonObject *fields);

/* fsync the log. */
int audit_sync(struct audit *a);

/* The head of the log as it is now (re-read from the file when another process wrote). */
int audit_head(struct audit *a, struct audit_head *out);

/* The end of a session: with KEY_PATH (the kiosk's secret signing key, sign.h; NULL or ""
 * = none) append a "checkpoint" for SESSION signing the current head; fsync; send the
 * head to syslog ("audit head: record N sha256 H session ID"); *out gets the head after
 * it (the checkpoint itself when one was written).  EXTRA (may be NULL, not consumed):
 * more fields for the record (recorded and chained, not signed; e.g. testing_mode).
 * 0, or a negative KERR_* with *why. */
int audit_checkpoint(struct audit *a, const char *session, const char *key_path, JsonObject *extra,
                     struct audit_head *out, char **why);

/* What a checkpoint's signature covers (newly allocated): the host, the session, the
 * seq and hash of the record before it. */
char *audit_checkpoint_message(const char *host, const char *session, uint64_t seq,
                               const char *hash);

void audit_close(struct audit *a);

/* The head of the log at PATH without opening it for writing (status displays). */
int audit_path_head(const char *path, struct audit_head *out);

/* The record that closes SESSION in the log at PATH: its checkpoint, or its
 * "session-end" when it has none (reports).  KERR_NOT_FOUND when there is neither. */
int audit_find_session_head(const char *path, const char *session, struct audit_head *out);

/* An outside record of the head: the log must hold record SEQ with this hash. */
struct audit_anchor {
    uint64_t seq;
    char hash[65];
    const char *what; /* for messages: "saved head", "--head" */
};

struct audit_verify_opts {
    const struct sign_pubkey *key;      /* check every checkpoint's signature; NULL: not */
    bool key_required;                  /* a checkpoint by another key is an error; else
                                           it is only left unchecked (a default key) */
    const struct audit_anchor *anchors; /* may be NULL */
    size_t n_anchors;
};

struct audit_verify_result {
    uint64_t records;       /* good records (before the bad one, when broken) */
    uint64_t bad_line;      /* 1-based line of the record blamed; 0 when intact */
    char *why;              /* what is wrong, when broken */
    struct audit_head head; /* the last good record */
    uint64_t checkpoints;   /* checkpoint records */
    uint64_t checkpoints_verified;
    uint64_t last_checkpoint; /* seq of the last one, 0 = none */
    char key_id[17];          /* key id of the checkpoints ("" none; "mixed" several) */
    GPtrArray *notes;         /* char *: recoveries, a torn last line, anchors found */
};

/* Check the log at PATH: every record parses, "seq" runs 1, 2, 3 ..., every "prev" equals
 * the SHA-256 of the previous line (torn lines only as described above), every anchor's
 * record is there with its hash, every checkpoint is well formed and (with a key) signed
 * by it.  A record whose bytes changed is blamed itself: when line N+1's "prev" is not the
 * hash of line N but line N+2 (or an anchor) vouches for line N+1, line N is the one that
 * changed.  Returns 0 (intact), KERR_CORRUPT (res->bad_line, res->why) or KERR_SYSTEM
 * (unreadable: errno).  Clear RES with audit_verify_result_clear. */
int audit_verify_log(const char *path, const struct audit_verify_opts *o,
                     struct audit_verify_result *res);
void audit_verify_result_clear(struct audit_verify_result *res);

/* The short form: the chain only.  *records, *bad_line, *why as in the result above. */
int audit_verify(const char *path, uint64_t *records, uint64_t *bad_line, char **why);

#endif

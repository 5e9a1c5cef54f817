/* admin.h - the administrator's password and its lockout.
 *
 * One administrator account.  Its password follows the MLIT guideline: at least
 * ADMIN_PASSWORD_MIN characters mixing upper and lower case letters, digits and symbols.
 * Only a slow hash is stored (libsodium crypto_pwhash_str: Argon2id, 3 passes, 64 MiB).
 *
 * The state file (default /var/lib/kiosk/admin.state, a GLib key file) holds the hash, the
 * count of failed logins in a row and the end of a lockout.  It must be a regular file
 * owned by root (the service's user) that nobody else may read or write; anything else is
 * refused (fail closed: no login).  Every read-modify-write happens under an exclusive
 * flock(2) and ends with write temp + fsync + rename, so the console (`kiosk admin`) and the
 * service never lose a failure between them.
 *
 * The same file keeps two anchors that must survive anything done to the files they
 * protect: [policy] policy-floor, the highest policy version ever installed (the
 * rollback floor of policy-install.h), and [audit] head-seq / head-sha256, the last
 * audit head saved at a session end (audit.h: `kiosk audit verify` checks the log still
 * holds that record).  Both only ever move forward.
 *
 * ADMIN_MAX_FAILURES failed logins in a row lock the account for the configured time; an
 * attempt during a lockout is refused without checking the password and does not extend
 * it.  Each attempt is recorded in the audit log ("admin-login") and so in syslog. */
#ifndef KIOSK_ADMIN_H
#define KIOSK_ADMIN_H

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "kiosk/config.h"

#define ADMIN_PASSWORD_MIN 12
#define ADMIN_PASSWORD_MAX 1024
#define ADMIN_MAX_FAILURES 5

struct audit;

struct admin_login_result {
    bool ok;               /* the password was right */
    bool locked;           /* refused: locked out (now or by this failure) */
    bool no_password;      /* no password has been set */
    int failures;          /* failed logins in a row after this attempt */
    int remaining;         /* attempts left before a lockout */
    int64_t locked_until;  /* unix seconds; 0 = not locked */
    int64_t retry_after;   /* seconds until the lockout ends; 0 = not locked */
};

/* 0 when PASSWORD follows the rules, else KERR_INVAL with *why (newly allocated) naming
 * everything that is missing, e.g. "at least 12 characters; a digit; a symbol". */
int admin_password_check(const char *password, char **why);

/* Check the rules, hash PASSWORD and store it in STATE_PATH (created 0600, its folder
 * 0700), clearing failures and lockout.  Records "admin-password-set" in A (may be NULL). */
int admin_set_password(const char *state_path, const char *password, struct audit *a,
                       const char *where, char **why);

/* One login attempt.  WHERE says from where ("screen", "console"), for the audit record.
 * Returns 0 whatever the verdict (in *res), or a negative KERR_* when the state file
 * cannot be used (*why; the attempt is refused and still recorded). */
int admin_login(const char *state_path, int lockout_seconds, const char *password,
                struct audit *a, const char *where, struct admin_login_result *res, char **why);

/* Failures and lockout without trying a password (for status displays). */
int admin_state_peek(const char *state_path, struct admin_login_result *res, char **why);

/* The rollback floor: the highest policy version ever installed (0 when none; a missing
 * state file is none).  0 or KERR_* with *why (an unusable state file). */
int admin_state_policy_floor(const char *state_path, uint64_t *floor, char **why);
/* Raise the floor to VERSION (never lowers it); creates the file (0600) if needed. */
int admin_state_raise_policy_floor(const char *state_path, uint64_t version, char **why);

/* The saved audit head (seq 0 and "" when none). */
int admin_state_audit_head(const char *state_path, uint64_t *seq, char hash[65], char **why);
/* Save SEQ/HASH (lower-case hex SHA-256 of that record's line) as the audit head when
 * SEQ is after the saved one; otherwise nothing is saved and KERR_CORRUPT says the log
 * went backwards (cut or replaced). */
int admin_state_save_audit_head(const char *state_path, uint64_t seq, const char *hash,
                                char **why);

/* Text for people: "Wrong password. 3 attempts left." / "Locked for 14 more minutes." */
char *admin_login_message(const struct admin_login_result *res);

/* What the administrator checks, from the files (kiosk status, the admin screen):
 * "policy" {file, valid, name, version, sha256}, "signatures" {folder, db_version,
 * build_time, age_days, max_age_days, too_old, test_signatures}, "staging" {folder,
 * free_bytes, total_bytes}, "printer" {queue, ok, state, accepting, text}
 * (printer_status), "admin" {password_set, failures, locked, retry_after}, "last_sessions" [ {session, time, status, files, delivered, ...} ] (the
 * last N "session-end" records of the audit log, newest first), "audit" {log, head_seq,
 * head_sha256, saved_seq, saved_sha256} (the log's head now and as saved at the last
 * session end).  New object. */
JsonObject *admin_status_json(const struct kiosk_config *cfg, int last_sessions);

#endif

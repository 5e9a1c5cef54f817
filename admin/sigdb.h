/* sigdb.h - the ClamAV signature database's lifecycle on an offline kiosk.
 *
 *  - install: `kiosk signatures install FILE...` copies each file once into a private
 *    folder, checks every .cvd/.cld with cl_cvdverify (ClamAV's own digital signature),
 *    refuses a .cvd/.cld older than the one installed (rollback), builds and compiles a
 *    test engine from the new files plus the installed ones, and only then replaces the
 *    files in the signatures folder (write temp + fsync + rename, one file at a time).
 *  - reload: sigdb_pool_build_async() builds a new pool of workers in a thread (the
 *    service swaps it in only when its engine compiled); sigdb_fingerprint() tells when
 *    the folder changed.
 *  - freshness: sigdb_age_days() from the time scanner_db_describe() measures from:
 *    daily's .cvd/.cld build time (else the oldest .cvd/.cld, else the oldest plain
 *    signature file); allow-lists never count, the bundled test database is exempt by
 *    its exact bytes. */
#ifndef KIOSK_SIGDB_H
#define KIOSK_SIGDB_H

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>

#include "policy/policy.h"
#include "scanner/scanner.h"

struct audit;

/* True when NAME has an extension libclamav loads from a database folder. */
bool sigdb_is_db_name(const char *name);

/* Install FILES (N of them) into SIGDIR after the checks above.  POL (may be NULL) sets
 * the test engine's options.  Each attempt is recorded in A (may be NULL) as
 * "signatures-install" with every file's name, SHA-256, version and the result.  Returns
 * 0, or a negative KERR_* with *why for people (nothing was replaced then). */
int sigdb_install(const char *sigdir, const struct policy *pol, char *const *files, int n,
                  struct audit *a, char **why);

/* Whole days since INFO's build time at NOW (unix seconds); -1 when unknown. */
int64_t sigdb_age_days(const struct scanner_info *info, int64_t now);

/* True when the database is older than MAX_DAYS (0 = no limit) or of unknown age;
 * *days gets the age (-1 unknown).  A folder with nothing dated but the bundled test
 * database is not too old (every output says TEST SIGNATURES). */
bool sigdb_too_old(const struct scanner_info *info, int max_days, int64_t now, int64_t *days);

/* "The virus signatures are 12 days old; call the administrator." (newly allocated) */
char *sigdb_old_message(int64_t days, int max_days);

/* The same as a reason code (service.signatures-old, -old-day, -age-unknown). */
struct reason_data;
void sigdb_old_reason(int64_t days, int max_days, struct reason_data *out);

/* Names, sizes and mtimes of the database files in DIR, as one string (newly allocated):
 * equal strings mean nothing changed.  "" when DIR cannot be read. */
char *sigdb_fingerprint(const char *dir);

struct scanner_pool;
struct scanner_engine;

/* Build the scan engine the policy asks for (limits, archive/macro/encryption handling)
 * from the signature folder DBDIR; TMPDIR (may be NULL) for libclamav temporary files. */
int sigdb_engine_load(const struct policy *pol, const char *dbdir, const char *tmpdir,
                      struct scanner_engine **out, char **why);

/* The same, as sandboxed scanner worker processes (scanner/pool.h) running as USER (when
 * root), their temporary folders under RUN_DIR. */
int sigdb_pool_new(const struct policy *pol, const char *dbdir, int nworkers, const char *user,
                   const char *run_dir, struct scanner_pool **out, char **why);

/* Build a new scanner pool (sigdb_pool_new: NWORKERS sandboxed workers as USER, temp
 * folders under RUN_DIR) from DBDIR with POL's options, in a worker thread; CB runs in
 * the caller's main context.  The zygote comes from the spawner, so nothing forks in the
 * caller and its main loop runs on while the database loads.  POL must stay valid until
 * then. */
void sigdb_pool_build_async(const struct policy *pol, const char *dbdir, int nworkers,
                            const char *user, const char *run_dir, GAsyncReadyCallback cb,
                            gpointer data);
/* 0 with *out (the new pool, the caller's), or a negative KERR_* with *why. */
int sigdb_pool_build_finish(GAsyncResult *res, struct scanner_pool **out, char **why);

#endif

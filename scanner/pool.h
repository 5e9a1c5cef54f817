/* pool.h - sandboxed scanner workers, the service side (the "monitor" of OpenSSH's
 * privilege separation).  A drop-in for scanner_engine + scanner_scan_fd():
 *
 *     scanner_engine_load(dbdir, &opts, &engine, &why)
 *  -> scanner_pool_new(dbdir, &opts, nworkers, "kiosk-scan", run_dir, &pool, &why)
 *     scanner_scan_fd(engine, fd, name, &verdict)
 *  -> scanner_pool_scan_fd(pool, fd, name, timeout_ms, &verdict)
 *
 * A zygote, forked by the single-threaded spawner (spawner.h; never by the creating
 * process, which may have threads), loads and compiles the engine ONCE, then forks the
 * workers (initially NWORKERS, later replacements); the engine's pages are shared
 * copy-on-write.  Each worker confines itself (sandbox.h: user, namespaces, tmpfs +
 * chroot, rlimits, no_new_privs, seccomp) before it answers.  The protocol and what is
 * and is not confined: docs/privsep.md. */
#ifndef KIOSK_SCANNER_POOL_H
#define KIOSK_SCANNER_POOL_H

#include <stdbool.h>
#include <sys/types.h>

#include "scanner/sanitize.h"
#include "scanner/scanner.h"
#include "scanner/verdict.h"

#define SCANNER_POOL_MAX_WORKERS 64
/* Room for a MIME type from scanner_pool_scan(). */
#define SCANNER_POOL_MIME_MAX 128
/* The unprivileged user the workers run as when the pool is made by root. */
#define SCANNER_POOL_USER "kiosk-scan"
/* timeout_ms = 0 means this. */
#define SCANNER_POOL_DEFAULT_TIMEOUT_MS (10u * 60u * 1000u)

struct scanner_pool;

/* Start NWORKERS (1..SCANNER_POOL_MAX_WORKERS) workers sharing one engine built from
 * DBDIR with OPTS (opts->tmpdir is ignored: every worker gets a private temp folder
 * under TMP_ROOT, NULL = $TMPDIR or /tmp).  USER: the account the workers run as when
 * the caller is root (it must exist; NULL = stay root, still confined otherwise); ignored
 * when not root.  Waits until the engine compiled and every worker confined itself.
 * Returns 0, or a negative KERR_* with *why (newly allocated) saying why.
 * Nothing is forked in the calling process, so any thread may create a pool (a reload
 * builds one in a thread while the service runs on).  Keep it for the process's life or
 * free it when no scan is running. */
int scanner_pool_new(const char *dbdir, const struct scanner_opts *opts, int nworkers,
                     const char *user, const char *tmp_root, struct scanner_pool **out, char **why);

/* Versions and signature count of the engine the workers use. */
const struct scanner_info *scanner_pool_info(const struct scanner_pool *p);

/* Scan the open file FD (read from its start; the worker gets a read-only reopening of
 * it, or FD itself if that fails).  Thread-safe; waits for an idle worker.  Always fills
 * *OUT and returns 0: a worker that crashes, exceeds TIMEOUT_MS or answers anything
 * malformed gives VERDICT_ERROR, is killed and replaced. */
int scanner_pool_scan_fd(struct scanner_pool *p, int fd, const char *name, unsigned timeout_ms,
                         struct verdict *out);

/* The same, and the file's MIME type as libmagic in the worker saw it into MIME (MIMELEN
 * bytes; "" when the worker has no type detection, or the scan failed).  The text is
 * checked: printable "type/subtype". */
int scanner_pool_scan(struct scanner_pool *p, int fd, const char *name, unsigned timeout_ms,
                      struct verdict *out, char *mime, size_t mimelen);

/* Type detection only, no scan (a verdict-cache hit): MIME and the EDIFACT summary as
 * scanner_pool_scan_edifact() below; *OUT is CLEAN when the worker answered with a type,
 * ERROR (why) otherwise.  Never a verdict on the bytes. */
struct edifact_summary;
int scanner_pool_type(struct scanner_pool *p, int fd, const char *name, unsigned timeout_ms,
                      struct verdict *out, char *mime, size_t mimelen, unsigned edifact_flags,
                      struct edifact_summary *edi);

/* The verdict-cache context of this pool's engine (scanner/verdict-cache.h) into OUT (32
 * bytes): false when the signature folder changed while the engine loaded (or could not
 * be read), so that nothing the pool says may be cached or served from the cache. */
bool scanner_pool_cache_context(const struct scanner_pool *p, unsigned char *out);


/* The same, and when EDI is not NULL the worker also reads the file as EDIFACT
 * (scanner/edifact.h, EDIFACT_FLAGS: enum edifact_flags); *EDI gets the summary,
 * re-checked here (EDIFACT_NONE when the file is not EDIFACT or the scan failed).  A
 * summary that fails the check is the worker answering nonsense: VERDICT_ERROR, and the
 * worker is replaced. */
int scanner_pool_scan_edifact(struct scanner_pool *p, int fd, const char *name, unsigned timeout_ms,
                              struct verdict *out, char *mime, size_t mimelen,
                              unsigned edifact_flags, struct edifact_summary *edi);

/* Content disarm in a worker (worker.h "sanitize", sanitize.h): FD is the spooled
 * original (the worker gets a read-only reopening), COPY an empty file opened for writing
 * (REWRITE mode; -1 for CHECK).  Always fills *OUT and returns 0: a worker that crashes,
 * exceeds TIMEOUT_MS or answers anything malformed (status, bits, family, or a size that
 * is not the copy's) gives REFUSED with why, and is replaced.  For a REWRITTEN copy,
 * *WRITER (may be NULL) gets the pid of the worker that wrote it, to be passed to
 * scanner_pool_scan_copy(); 0 when the pool has one worker, which is then replaced. */
int scanner_pool_sanitize(struct scanner_pool *p, int fd, int copy, const char *name,
                          enum sanitize_format format, enum sanitize_mode mode,
                          const struct sanitize_limits *lim, unsigned timeout_ms,
                          struct sanitize_result *out, pid_t *writer);

/* scanner_pool_scan() of a sanitized copy (no EDIFACT reading: a sanitized Office or PDF
 * file is not EDIFACT) by any worker but WRITER (a pid from
 * scanner_pool_sanitize; 0: any): the worker that wrote a copy never judges it. */
int scanner_pool_scan_copy(struct scanner_pool *p, int fd, const char *name, unsigned timeout_ms,
                           pid_t writer, struct verdict *out, char *mime, size_t mimelen);

/* Replace every worker (idle ones now, busy ones before their next file): no worker that
 * scanned before this call scans after it.
 * Call it at the start of each session, so a worker one medium may have subverted never
 * judges another medium's files.  Cheap: a fork of the zygote per worker. */
void scanner_pool_recycle(struct scanner_pool *p);

/* Pids of the live workers (up to MAX); returns how many. */
int scanner_pool_worker_pids(struct scanner_pool *p, pid_t *pids, int max);

/* Stop the workers and the zygote, remove the temp folder.  No scan may be running.
 * NULL is a no-op. */
void scanner_pool_free(struct scanner_pool *p);

/* FN runs every few seconds on the thread that waits for an engine to load in
 * scanner_pool_new() (minutes for a full database): the service pings its systemd
 * watchdog there (service/notify.h).  NULL: nothing. */
void scanner_pool_set_keepalive(void (*fn)(void));

/* Tests only: pools created after this call let KIOSK_SCANNER_TEST_FORBIDDEN (read at
 * each scan: socket, execve, hang, crash, nonsense, stale, open) make the worker
 * misbehave.  The service never calls it; without it the workers ignore the hook. */
void scanner_pool_enable_test_hooks(void);

#endif

/* verdict-cache.h - "these bytes were clean under this engine": the cross-session cache
 * of clean engine verdicts (issue 20).
 *
 * An entry is one 32-byte key:
 *
 *     key     = SHA-256("kiosk-verdict-cache-key/1" || context || sha256(file) || size)
 *     context = SHA-256("kiosk-verdict-cache-context/1" || database identity ||
 *                       engine version || db versions || signature count ||
 *                       every scan option and limit the engine was built with)
 *
 * so an entry made under another database, another engine or another policy limit is
 * simply never found (it ages out by LRU).  Only CLEAN engine verdicts are stored: a
 * detection is always scanned again and reported with its name.  A hit lets a file skip
 * the libclamav scan only; hashing, type detection (in the sandboxed worker) and the
 * policy run for every file as before.
 *
 * The database identity (verdict_cache_db_identity) is taken by the scanner pool around
 * the zygote's engine load (scanner/pool.c): the content of every plain signature file
 * and the header (version, build time, MD5 of the content) of every .cvd/.cld/.cud, plus
 * names, sizes, mtimes and inodes; when the folder changed while the engine loaded, the
 * pool has no context and the session uses no cache.
 *
 * The file (WORK_DIR/verdict-cache, mode 0600, owned by the service's user) is read once
 * at start and written whole after each session: temp file + fsync + rename + fsync of
 * the folder.  Layout (host byte order: the file never leaves the kiosk):
 *
 *     "KVCACHE1"  u32 format (1)  u32 0  u64 count  u64 hits  u64 lookups
 *     count x 32-byte key, least recently used first
 *     SHA-256 of everything above
 *
 * A file that is not a regular file owned by us, is writable by group or others, has the
 * wrong size, magic or checksum is discarded with a log line and never trusted.  The
 * checksum guards against damage (a torn write, a bad sector), not against root: whoever
 * can write the root-only file can also change the kiosk's binaries and keys.
 *
 * Residual risk, accepted: a worker subverted by one file of a session could call a later
 * file of the same session clean (that is so without the cache too: workers are recycled
 * per session, not per file), and the cache would then keep that verdict for those bytes
 * until the database changes (with daily signature updates, a day) instead of one
 * session.  A session in which a worker crashed, hung or answered nonsense is no
 * different here: such files are errors, never cached.
 *
 * The service and a `kiosk scan` on the same work folder each keep their own copy in
 * memory; the last to save wins (the other's new entries are lost, never mixed or torn).
 *
 * Thread-safe: every function may be called from any scanning thread. */
#ifndef KIOSK_SCANNER_VERDICT_CACHE_H
#define KIOSK_SCANNER_VERDICT_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/scanner.h"

#define VERDICT_CACHE_FILE "verdict-cache"
#define VERDICT_CACHE_DEFAULT_MAX 100000
#define VERDICT_CACHE_MAX_MAX 10000000
#define VERDICT_CACHE_KEY_LEN 32

struct verdict_cache;

struct verdict_cache_stats {
    uint64_t entries, max_entries;
    uint64_t hits, lookups; /* since the file was first made (kept in it) */
    uint64_t file_bytes;    /* size of the file (describe) */
};

/* Load PATH (a missing file = an empty cache; a damaged or untrustworthy one is logged
 * and discarded) keeping at most MAX_ENTRIES (1..VERDICT_CACHE_MAX_MAX).  Returns 0 with
 * *out, or KERR_INVAL with *why for a bad argument.  Never fails for the file's content. */
int verdict_cache_open(const char *path, size_t max_entries, struct verdict_cache **out,
                       char **why);

/* True when KEY is in the cache (it becomes the most recently used); counts a lookup. */
bool verdict_cache_lookup(struct verdict_cache *c, const unsigned char key[VERDICT_CACHE_KEY_LEN]);

/* Remember KEY (a clean engine verdict), evicting the least recently used beyond the cap. */
void verdict_cache_insert(struct verdict_cache *c, const unsigned char key[VERDICT_CACHE_KEY_LEN]);

/* Write the cache to its file atomically.  0, or a negative KERR_* with *why.  Does
 * nothing (0) when nothing changed since the last load or save. */
int verdict_cache_save(struct verdict_cache *c, char **why);

void verdict_cache_get_stats(struct verdict_cache *c, struct verdict_cache_stats *st);

/* NULL is a no-op.  Does not save. */
void verdict_cache_free(struct verdict_cache *c);

/* Read and check the file at PATH without keeping it (kiosk status): 0 with *st, or
 * KERR_NOT_FOUND (no file), KERR_CORRUPT (damaged: *why says how). */
int verdict_cache_describe(const char *path, struct verdict_cache_stats *st, char **why);

/* The key of a file with SHA-256 SHA256_HEX (64 lowercase hex digits) and SIZE under
 * CONTEXT.  False when SHA256_HEX is not a digest. */
bool verdict_cache_key(const unsigned char context[VERDICT_CACHE_KEY_LEN], const char *sha256_hex,
                       uint64_t size, unsigned char out[VERDICT_CACHE_KEY_LEN]);

/* The context of an engine: DBID from verdict_cache_db_identity(), INFO as the engine
 * reported it, OPTS as it was built with (tmpdir is not part of it). */
void verdict_cache_context(const unsigned char dbid[VERDICT_CACHE_KEY_LEN],
                           const struct scanner_info *info, const struct scanner_opts *opts,
                           unsigned char out[VERDICT_CACHE_KEY_LEN]);

/* Identity of the signature folder DBDIR (see above).  With CONTENT false only names,
 * sizes, times and inodes (cheap: to tell whether the folder changed).  0, or -1 with
 * errno when DBDIR or a file in it cannot be read. */
int verdict_cache_db_identity(const char *dbdir, bool content,
                              unsigned char out[VERDICT_CACHE_KEY_LEN]);

#endif

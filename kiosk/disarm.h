/* disarm.h - content disarm, the service's side: which files go to a sanitizer (policy
 * [scan] macros= and pdf=), and the second look at a sanitized copy before it may be
 * delivered in place of the original.
 *
 * The original has been read into the spool, hashed, typed, allowed by policy and scanned
 * (session-file.c).  Then, for an Office (OOXML) document or a PDF whose mode is not "allow":
 *
 *   block     a worker looks (CHECK); active content = BLOCKED, saying what it is
 *   sanitize  a worker writes a copy into a new spool file (REWRITE); the service hashes
 *             the copy, has another worker type (libmagic) and scan it, and asks the
 *             policy about its new name (.xlsm -> .xlsx) and type; only a copy that
 *             passes all of it is delivered: VERDICT_SANITIZED, with the original's
 *             SHA-256, size and type and what was removed kept in f->disarm.  The original
 *             is never delivered then.  A copy that fails any step holds the file back.
 *
 * Whatever the sanitizer cannot rewrite (damaged, encrypted, too big, Excel 4.0 macro
 * sheets ...) is BLOCKED with its reason.  Malware in the original is never sanitized:
 * only CLEAN originals go on (and, for Office, those held back only for OLE2 macros).
 * Office 97-2003 files with macros stay BLOCKED: the reason says why no copy is made. */
#ifndef KIOSK_DISARM_H
#define KIOSK_DISARM_H

#include <stdint.h>

#include "kiosk/session-result.h"
#include "policy/policy.h"
#include "scanner/sanitize.h"

struct scanner_pool;

/* What a sanitized file's entry records besides the copy's own size, SHA-256 and type. */
struct disarm_info {
    char original_sha256[65];
    uint64_t original_size;
    char *original_type;
    uint32_t removed; /* sanitize.h bits */
    char *name;       /* the copy's file name (last component, raw bytes) */
};

struct disarm_ctx {
    const struct policy *policy;
    struct scanner_pool *pool; /* NULL: no sandboxed workers, nothing is sanitized */
    int spoolfd;               /* the session's spool folder */
    unsigned timeout_ms;       /* for each worker request */
};

/* Which sanitizer a MIME type goes to (SANITIZE_NONE: none). */
enum sanitize_format disarm_format(const char *mime);

/* True for the Office 97-2003 types (OLE2 compound documents). */
bool disarm_is_legacy_office(const char *mime);

/* Run content disarm for F (spooled as f->spool_name, verdict as the scan and the policy
 * left it).  Changes f->verdict, and for a delivered copy f->spool_name, f->size,
 * f->sha256, f->type and f->disarm. */
void disarm_file(const struct disarm_ctx *d, struct session_file *f);

/* The copy's name: NAME (last component) with its extension replaced by EXT ("xlsx"),
 * or EXT added when it has none.  Newly allocated. */
char *disarm_copy_name(const char *name, const char *ext);

/* Bits -> JSON array of identifiers ("vba-macros", ...). */
JsonArray *disarm_removed_json(uint32_t removed);

/* The "sanitized" member of a file's JSON: {"removed", "original": {"sha256", "size",
 * "type"}} (new object). */
JsonObject *disarm_info_json(const struct disarm_info *i);

void disarm_info_free(struct disarm_info *i);

#endif

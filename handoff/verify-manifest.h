/* verify-manifest.h - read the MANIFEST.json of a delivery for `kiosk verify-batch`.
 *
 * The folder checked on the TOS side may have been forged, so the manifest is untrusted
 * text even before its signature is known to be good: it must be strict JSON (RFC 8259,
 * nested at most VERIFY_MANIFEST_MAX_DEPTH deep, no "\u0000"), and every field the check
 * relies on is type-checked here.  A staged_path is accepted only as the kiosk writes
 * one: relative, '/'-separated, each part unchanged by names_sanitize() (no "", "." or
 * "..", no control, bidi or Windows-forbidden characters, no trailing dot or space),
 * and not MANIFEST.json or its signature; so no listed path can leave the folder.  A
 * delivered file's verdict is "clean" or "sanitized" (a copy without active content,
 * whose "sanitized" member names what was removed and the original's SHA-256 and size).  Names
 * are compared per folder the way the kiosk's names_dir does (as Windows readers of the
 * share see them): two that differ only in case, or a file and a folder of one name, are
 * a problem.  The work is linear in the size of the manifest. */
#ifndef KIOSK_VERIFY_MANIFEST_H
#define KIOSK_VERIFY_MANIFEST_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#include "media/names.h"

#define VERIFY_MANIFEST_MAX_DEPTH 64 /* JSON nesting */
/* The longest staged_path the kiosk writes: a partition folder, the policy's largest
 * max-depth (256 folder levels) and the file name, each at most NAMES_MAX_COMPONENT. */
#define VERIFY_MANIFEST_MAX_PARTS 258
#define VERIFY_MANIFEST_MAX_PATH (VERIFY_MANIFEST_MAX_PARTS * (NAMES_MAX_COMPONENT + 1))

/* One delivered file the manifest lists. */
struct verify_manifest_file {
    guint index;     /* its position in "files" */
    char *path;      /* staged_path, safe (see above) */
    gint64 size;     /* >= 0 */
    char sha256[65]; /* lower-case hex */
    bool sanitized;  /* verdict "sanitized": a copy without active content (its original's
                      * SHA-256 and size are in "sanitized", checked for form) */
};

struct verify_manifest {
    char *session;       /* "session" when it is a string, else NULL */
    char *status;        /* "status" when it is a string, else NULL */
    gint64 started;      /* "started" / "finished" as unix seconds; -1 when missing or */
    gint64 finished;     /* not an RFC 3339 time */
    GHashTable *listed;  /* staged_path -> struct verify_manifest_file */
    guint sanitized;     /* how many of them are sanitized copies */
    GHashTable *tree;    /* the listed names, folder by folder: verify_manifest_folder() */
    GPtrArray *problems; /* text for people, in the order found; names are escaped
                          * (names_display), so it is safe to print on a terminal */
};

/* Read JSON (LEN bytes, not NUL-terminated).  Always sets *out (free it with
 * verify_manifest_free).  Returns 0 when the text is a JSON object (it may still have
 * problems: a bad status, unsafe or duplicate paths, wrong sizes or hashes), or
 * KERR_CORRUPT when it cannot be read at all (a problem says why; nothing is listed). */
int verify_manifest_parse(const char *json, size_t len, struct verify_manifest **out);

void verify_manifest_free(struct verify_manifest *m);

/* Is P a staged_path the kiosk could have written (see above)? */
bool verify_manifest_path_ok(const char *p);

/* For the walk of the delivery, one level at a time: the id (> 0) of the folder NAME inside
 * the folder FOLDER (0: the delivery itself) when it leads to listed files, else 0. */
guint verify_manifest_folder(const struct verify_manifest *m, guint folder, const char *name);

#endif

/* staging.h - the share the TOS side reads, and the kiosk's private spool inside it.
 *
 * Layout (invariants 2 and 5):
 *   STAGING/<session>/             published sessions: complete, with MANIFEST.json
 *   STAGING/.incoming/             mode 0700, never read by the TOS side
 *   STAGING/.incoming/<session>/   the session folder being built
 *   STAGING/.incoming/<session>.spool/  private spool: one copy per file read from the medium
 *   STAGING/.incoming/<session>.lock    held (flock) while the session runs
 * The spool lives on the same filesystem as the delivery, so the copy that was hashed,
 * typed and scanned is the copy that is renamed into the delivery; publication is one
 * rename(2) of the session folder. */
#ifndef KIOSK_STAGING_H
#define KIOSK_STAGING_H

#include <glib.h>
#include <stdbool.h>

struct staging {
    char *root;        /* STAGING */
    char *incoming;    /* STAGING/.incoming */
    char *session_dir; /* STAGING/.incoming/<session> */
    char *spool_dir;   /* STAGING/.incoming/<session>.spool */
    char *final_dir;   /* STAGING/<session> */
    char *lock_path;
    int lockfd;
    int spoolfd;       /* O_DIRECTORY fd of spool_dir */
    bool published;
};

/* Create the folders for SESSION and take its lock.  *why on error. */
int staging_begin(const char *root, const char *session, struct staging **out, char **why);

/* Move the spooled file SPOOL_NAME to REL_PATH (already sanitized, '/'-separated) inside
 * the session folder, creating folders as needed; the file becomes mode 0644. */
int staging_deliver(struct staging *s, const char *spool_name, const char *rel_path, char **why);

/* Make everything durable (syncfs) and rename the session folder into place; then fsync
 * the folders whose entries changed. */
int staging_publish(struct staging *s, char **why);

/* Remove whatever is left of the session in .incoming (not published work, the spool)
 * and release the lock.  Safe after staging_publish.  NULL is a no-op. */
void staging_end(struct staging *s);

/* Remove leftovers of crashed sessions in STAGING/.incoming (those whose lock is not
 * held by a running session).  Appends one description per removed item to CLEANED. */
int staging_recover(const char *root, GPtrArray *cleaned);

#endif

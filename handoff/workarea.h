/* workarea.h - the kiosk's private work area: where a session's files wait between the
 * medium and the outbox.  Root only, never inside the share the TOS side reads.
 *
 *   WORK/                          0700 ([paths] work-dir, default /var/lib/kiosk/work)
 *   WORK/sessions/<id>/            a session being checked (0700); .lock held (flock)
 *   WORK/sessions/<id>/spool/      one copy per file read from the medium: hashed, typed
 *                                  and scanned there (invariant 2)
 *   WORK/sessions/<id>/delivery/   the delivery being built: clean files moved (renamed,
 *                                  same filesystem) from spool/, then MANIFEST.json,
 *                                  SHA256SUMS and their signatures
 *   WORK/outbox/                   committed deliveries and their state (outbox.h)
 *   WORK/reports/                  saved reports and receipts (report.h)
 *   WORK/publish-tmp/<dir>/        an SMB publisher's private folder (its TMPDIR, where
 *                                  libsmbclient keeps state), owned by kiosk-publish,
 *                                  reached only through its fd 5; removed when the
 *                                  publisher has exited, and all of them at the service's
 *                                  start (publish.h)
 *
 * Every step goes through directory descriptors opened with O_NOFOLLOW: nothing here
 * follows a link, and nothing here is reachable by anyone but root.  Functions return 0
 * or a negative KERR_* with *why (newly allocated). */
#ifndef KIOSK_WORKAREA_H
#define KIOSK_WORKAREA_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#define WORKAREA_SESSIONS "sessions"
#define WORKAREA_OUTBOX "outbox"
#define WORKAREA_REPORTS "reports"
#define WORKAREA_PUBLISH_TMP "publish-tmp"

struct workarea_session {
    char *id;
    char *dir;      /* WORK/sessions/<id>, for messages */
    int workfd;     /* WORK */
    int sessfd;     /* WORK/sessions/<id> */
    int spoolfd;    /* .../spool */
    int deliveryfd; /* .../delivery */
    int lockfd;     /* .../.lock, flock'd while the session runs */
    bool committed; /* the delivery went to the outbox (outbox_commit) */
};

/* Open the work area at PATH (created, with its parents, when missing), refuse a link or
 * a folder owned by someone else, make it 0700 and create sessions/ and outbox/.
 * Returns an O_DIRECTORY descriptor, or -1 with *why. */
int workarea_open(const char *path, char **why);

/* Start session ID: WORK/sessions/<id>/{spool,delivery} and its lock. */
int workarea_session_begin(const char *work_dir, const char *id, struct workarea_session **out,
                           char **why);

/* Move the spooled file SPOOL_NAME to REL_PATH (sanitized, '/'-separated) inside the
 * delivery, creating folders; never replaces anything. */
int workarea_session_deliver(struct workarea_session *ws, const char *spool_name,
                             const char *rel_path, char **why);

/* Write NAME (a top-level file of the delivery: MANIFEST.json, SHA256SUMS ...) with
 * DATA, fsync'd; never replaces anything. */
int workarea_session_write(struct workarea_session *ws, const char *name, const void *data,
                           size_t len, char **why);

/* Remove what is left of the session (spool, an uncommitted delivery) and release the
 * lock.  NULL is a no-op. */
void workarea_session_end(struct workarea_session *ws);

/* Remove leftovers of sessions whose lock nobody holds (a crash, a power cut).  Touches
 * only WORK/sessions.  Appends one description per removed session to CLEANED. */
int workarea_recover(const char *work_dir, GPtrArray *cleaned);

/* True when session ID is being checked now (its lock is held). */
bool workarea_session_running(const char *work_dir, const char *id);

/* Create the folders of REL_PATH below DIRFD (mode MODE) and return an O_DIRECTORY
 * descriptor of the last one; *base gets a pointer to REL_PATH's last component.  -1 with
 * errno on failure; a component that is a link fails with ELOOP. */
int workarea_mkdirs_at(int dirfd, const char *rel_path, mode_t mode, const char **base);

#endif

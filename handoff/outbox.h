/* outbox.h - the persistent queue between a finished check and the staging share.
 *
 *   WORK/outbox/<id>/       a committed delivery, exactly as it will be published: the
 *                           clean files (the bytes scanned), MANIFEST.json, SHA256SUMS
 *                           and their signatures.  Folders 0750, files 0640, owner root,
 *                           group the publisher's: the publisher process reads it through
 *                           a descriptor the service hands it; WORK itself is 0700.
 *   WORK/outbox/<id>.json   its publication state, replaced atomically (write, fsync,
 *                           rename, fsync):
 *                             queued -> publishing -> published
 *                                              \-> failed (retried with backoff)
 *   WORK/outbox/.lock       held (flock) by whoever publishes: one publication at a time
 *
 * A session commits its delivery here (outbox_commit) after its verdicts are in the
 * audit log and before the screen says "checked"; an entry without a state file is one
 * whose session-end was not recorded yet (outbox_recover decides what it was).
 * Publication takes entries oldest first, exactly once each (publish.h).  Published
 * entries stay until [staging] keep-days (handoff_prune); unpublished ones are never
 * removed.  Functions return 0 or a negative KERR_* with *why (newly allocated). */
#ifndef KIOSK_OUTBOX_H
#define KIOSK_OUTBOX_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "handoff/workarea.h"

enum outbox_state {
    OUTBOX_COMMITTING = 0, /* folder there, no state yet (session end not recorded) */
    OUTBOX_QUEUED,
    OUTBOX_PUBLISHING,
    OUTBOX_PUBLISHED,
    OUTBOX_FAILED, /* the last attempt failed; retried at next_attempt */
};

struct outbox_entry {
    char *session;
    enum outbox_state state;
    char *target;       /* the target spec it is for (no secrets) */
    char *location;     /* where it is (or will be) published */
    char manifest_sha256[65];
    uint64_t files;     /* delivered files */
    uint64_t bytes;     /* bytes of the entry (files, manifest, sums) */
    gint64 created_us;  /* committed (wall clock) */
    gint64 updated_us;  /* state last changed */
    gint64 published_us;    /* 0 until published */
    gint64 next_attempt_us; /* failed: not before this (wall clock) */
    unsigned attempts;  /* publication attempts so far */
    char *error;        /* the last failure, for people, or NULL */
};

const char *outbox_state_str(enum outbox_state s);

struct outbox_entry *outbox_entry_new(const char *session);
void outbox_entry_free(struct outbox_entry *e);

/* Make the delivery of WS the outbox entry WORK/outbox/<id>: modes and group GROUP
 * (the publisher's; -1 = leave) set on every folder and file, everything flushed
 * (syncfs), then one rename.  *bytes and *files get the entry's totals.  No state file
 * is written: the caller records the session's end, then outbox_save()s it queued. */
int outbox_commit(struct workarea_session *ws, gid_t group, uint64_t *bytes, uint64_t *files,
                  char **why);

/* Write E's state file atomically (E->updated_us is set to now). */
int outbox_save(const char *work_dir, struct outbox_entry *e, char **why);

/* Read session ID's state.  KERR_NOT_FOUND when there is no such entry; an entry folder
 * without a state file comes back as OUTBOX_COMMITTING. */
int outbox_load(const char *work_dir, const char *id, struct outbox_entry **out, char **why);

/* Every entry, oldest first (struct outbox_entry *, freed by the array). */
int outbox_list(const char *work_dir, GPtrArray **out, char **why);

/* Bytes of the entries not published yet (committing, queued, publishing, failed). */
uint64_t outbox_pending_bytes(GPtrArray *entries);

/* An O_DIRECTORY descriptor of WORK/outbox/<id>, or -1 with *why. */
int outbox_open_entry(const char *work_dir, const char *id, char **why);

/* Remove entry ID (its folder and its state file). */
int outbox_remove(const char *work_dir, const char *id, char **why);

/* The publication lock: an fd holding flock on WORK/outbox/.lock, or -1 (EWOULDBLOCK when
 * WAIT is false and someone else publishes). */
int outbox_lock(const char *work_dir, bool wait);

/* The delay before publication attempt number ATTEMPTS + 1 after a failure: 5 s, 15 s,
 * 30 s, 1 min, 2 min, then every 5 min. */
gint64 outbox_backoff_us(unsigned attempts);

#endif

/* publish.h - publishing one outbox entry to the staging share, in a process of its own.
 *
 * The service side (publish.c) opens what the publisher may touch and starts the
 * publisher: the program kiosk-publish beside the kiosk binary, exec'd afresh (no fork of
 * the threaded service), which confines itself before it reads a byte (publish-worker.c;
 * only it links libsmbclient):
 *
 *   fd 0   the job, one JSON object, then EOF (the SMB password travels here, never on a
 *          command line, in the environment or in a log)
 *   fd 1   answers: JSON lines {"type":"progress","files":N,"bytes":N} while it works,
 *          then one {"type":"result","ok":bool,"already":bool,"location":..,"error":..,
 *          "files":N,"bytes":N}; anything else is a protocol error
 *   fd 2   its log lines
 *   fd 3   the outbox entry (O_DIRECTORY, read only through it: WORK itself is root's)
 *   fd 4   dir: targets only, the staging folder (opened without following links)
 *   fd 5   smb: targets only, an empty folder of its own in WORK/publish-tmp/, its TMPDIR
 *          (/proc/self/fd/5): libsmbclient's state goes there.  The service removes it
 *          when the publisher has exited (killed or not), and every one left by a
 *          service that was itself killed when the service starts (publish_tmp_recover).
 *
 * The publisher runs as its own user (`kiosk-publish`) with the
 * staging group as its only supplementary group, no capabilities, no_new_privs, and a
 * seccomp filter; for a dir: target also without any network.  It is the only part of
 * the kiosk that may talk to the network, and only to the share.
 *
 * What it does, for session ID (docs/handoff.md):
 *   1. ID/ on the share already: done when its MANIFEST.json has the entry's SHA-256
 *      (a publication cut short after its rename), refused otherwise.
 *   2. .incoming/ID/ left by an earlier attempt is removed.
 *   3. Every file of the entry is written into .incoming/ID/ (MANIFEST.json last), the
 *      lot flushed once, then each read back and its SHA-256 compared with the entry's
 *      SHA256SUMS (the scanned bytes).
 *   4. .incoming/ID/ is renamed to ID/ (never over anything).
 * The TOS side reads only ID/ folders: complete, or not there. */
#ifndef KIOSK_PUBLISH_H
#define KIOSK_PUBLISH_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "handoff/target.h"

#define PUBLISH_USER_DEFAULT "kiosk-publish"
/* A publisher silent this long (no progress line) is stuck: it is killed. */
#define PUBLISH_STALL_SECONDS 120

struct publish_job {
    const char *work_dir;
    const char *session;
    const struct target *target;
    const char *credentials; /* [staging] credentials (smb://) */
    const char *group;       /* [staging] group (dir:): owner group of what is published */
    const char *user;        /* the publisher's user (NULL = PUBLISH_USER_DEFAULT) */
    /* Testing mode only: after its first file the publisher announces itself on this FIFO
     * and waits there until the test lets it go on (t_handoff_* tests). */
    const char *test_hold_fifo;
    /* `kiosk staging check`: no entry; write, read back and remove a small probe file in
     * .incoming/ to show that the share is reachable and writable. */
    bool probe;
};

struct publish_result {
    bool ok;
    bool already;     /* it was on the share already (same manifest) */
    char *location;   /* where it is */
    char *error;      /* for people, when !ok */
    uint64_t files, bytes;
};

void publish_result_clear(struct publish_result *r);

struct publish_run;
typedef void (*publish_done_fn)(struct publish_result *res, void *data);

/* Start publishing JOB->session in the thread-default main context; DONE is called there
 * once (with a result that says why when anything failed, including the start).
 * Returns NULL only when DONE was already called. */
struct publish_run *publish_start(const struct publish_job *job, publish_done_fn done, void *data);

/* Kill a running publisher; DONE is still called (not ok: "stopped"). */
void publish_stop(struct publish_run *r);

/* At the service's start (nothing publishes yet): remove WORK_DIR/publish-tmp and the
 * folders publishers of a killed service left in it; a line for people to CLEANED when
 * there were any. */
void publish_tmp_recover(const char *work_dir, GPtrArray *cleaned);

/* Publish and wait (a private main context).  Returns 0 when published. */
int publish_run_sync(const struct publish_job *job, struct publish_result *res);

/* Users and groups the publication needs, looked up once ("kiosk-publish" and the staging
 * group).  0 or KERR_NOT_FOUND with *why telling the administrator what to create. */
int publish_ids(const char *user, const char *group, uid_t *uid, gid_t *pub_gid, gid_t *tos_gid,
                char **why);

#endif

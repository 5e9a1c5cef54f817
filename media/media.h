/* media.h - from a SOURCE (disk image, block device or folder) to volumes whose folders
 * can be listed and whose files can be read, each once.
 *
 * Invariant 3 (the medium is never written): an image file is opened read-only, a block
 * device is set read-only with BLKROSET before anything reads it.  By default nothing is
 * mounted: the medium's descriptor goes to the medium reader (reader/client.h), an
 * unprivileged, seccomp-confined process that identifies the medium (libblkid) and
 * parses its partition table and filesystems (The Sleuth Kit).  Every byte the kiosk
 * gets from a medium comes through it, re-checked.  With the policy's driver=kernel the
 * reader only identifies the volumes; each usable one is then reached through its own
 * read-only loop device at its offset and mounted by the kernel,
 * ro,nosuid,nodev,noexec,nosymfollow (+noload for ext3/4).  A folder is read as it is.
 * media_close() removes every mount and loop device the media made, whatever happened. */
#ifndef KIOSK_MEDIA_H
#define KIOSK_MEDIA_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "media/walk.h"
#include "policy/policy.h"

enum media_kind { MEDIA_FOLDER, MEDIA_IMAGE, MEDIA_BLOCK };

struct media_volume {
    int index;       /* 1-based among the volumes found */
    int partno;      /* partition number, 0 for a whole-disk filesystem */
    uint64_t offset; /* bytes from the start of the medium */
    uint64_t size;   /* bytes */
    char *fstype;    /* blkid TYPE, e.g. "vfat" */
    char *fsversion; /* blkid VERSION, e.g. "FAT32" (may be NULL) */
    char *label;
    char *uuid;
    char *problem;    /* why it is not read (encrypted, unsupported, damaged ...), or NULL */
    bool readable;    /* its files are listed and read (by the reader, or mounted) */
    bool local_times; /* FAT: the times it stores are the kiosk's local time */
    /* private */
    uint64_t root;    /* the reader's inode of the root folder */
    uint64_t root_id; /* and its identity */
    char *loopdev;    /* driver=kernel: "/dev/loopN" */
    char *mountpoint; /* driver=kernel: where it is mounted; a folder: the folder */
    int loopfd;
    int rootfd; /* mounted volume or folder: O_DIRECTORY descriptor */
    bool mounted;
};

struct media {
    enum media_kind kind;
    char *source;                  /* as given */
    uint64_t size;                 /* bytes of the medium */
    char *pttype;                  /* "dos", "gpt" or NULL */
    char *vendor, *model, *serial; /* from udev where known */
    struct media_volume *volumes;
    size_t n_volumes;
    /* private */
    volatile gint *stop; /* media_open's STOP */
    struct reader_client *reader;
    char *mnt_dir; /* RUN_DIR/mnt/SESSION (driver=kernel) */
    int srcfd;
    GTimeZone *tz;   /* the kiosk's time zone, for FAT times */
    bool test_hooks; /* media_conf.test_hooks */
};

/* Where and as whom media are opened (kiosk.conf, testing mode). */
struct media_conf {
    const char *run_dir; /* the reader's root folder; RUN_DIR/mnt for driver=kernel */
    /* The user the medium reader runs as when the kiosk runs as root ([media] reader-user
     * in kiosk.conf).  It must exist and must not be root.  NULL or "" = the default,
     * READER_USER_DEFAULT. */
    const char *reader_user;
    /* Tests only (the service's testing mode): pass the reader test hooks of the
     * environment on (KIOSK_READER_TEST_HOOK, KIOSK_READER_TIMEOUT_MS), and stop at the
     * gate KIOSK_READER_TEST_GATE (a folder: the pid of the confined reader is written to
     * its FIFO "ready", then the medium is probed once a line can be read from its FIFO
     * "go"). */
    bool test_hooks;
};

/* Open SOURCE: read-only, probe, open every usable volume.  Returns 0 with *out when at
 * least one volume can be read.  Otherwise returns KERR_NO_FS, KERR_AMBIGUOUS,
 * KERR_ENCRYPTED, KERR_UNSUPPORTED_FS, KERR_MEDIUM (nothing on it could be read),
 * KERR_MOUNT, KERR_CANCELLED (STOP became non-zero: the medium was removed) or
 * KERR_SYSTEM with *why (newly allocated, in plain words) and nothing left running,
 * attached or mounted. */
int media_open(const char *source, const struct policy *pol, const struct media_conf *conf,
               const char *session, volatile gint *stop, struct media **out, char **why);

/* List volume V (readable) into ENTRIES, deciding with POL and LIM (walk.h). */
int media_walk(struct media *m, struct media_volume *v, const struct policy *pol,
               const struct walk_limits *lim, struct walk_stats *stats, GPtrArray *entries,
               char **why);

/* Called with the bytes of a file in order; 0 to go on, anything else stops the read and
 * is returned. */
typedef int (*media_sink_fn)(const void *buf, size_t len, void *data);

/* Read the file entry E of its volume once, giving its bytes to SINK.  0; the sink's
 * code; KERR_MEDIUM (the medium could not be read, the file is damaged: *why);
 * KERR_CHANGED-like failures as KERR_CORRUPT ("the file changed while the medium was
 * checked"); KERR_SYSTEM (the reader failed: *why); KERR_CANCELLED.  Thread-safe. */
int media_read_file(struct media *m, const struct walk_entry *e, media_sink_fn sink, void *data,
                    char **why);

/* The ERROR verdict for media_read_file's *WHY (NULL: no text), as a reason code
 * (common/reason.h: scan.error-open, scan.file-changed, scan.error-medium-gone,
 * scan.changed-size, scan.error-read, scan.error-medium, scan.error-read-unknown). */
struct verdict;
void media_read_reason(const char *why, struct verdict *v);

/* Convert a FAT local time (seconds, the wall-clock fields counted as if UTC) to UTC
 * seconds with the kiosk's time zone. */
int64_t media_local_to_utc(struct media *m, int64_t naive);

/* Make every read of the medium fail now (a removal, the time limit): the reader is
 * killed.  Safe to call from another thread, not at the same time as media_close(). */
void media_abort(struct media *m);

/* Stop the reader, unmount, detach loop devices, free.  NULL is a no-op. */
void media_close(struct media *m);

/* Remove leftovers of crashed runs: mounts under RUN_DIR/mnt (driver=kernel).  Appends
 * one line per thing cleaned to CLEANED (may be NULL). */
int media_recover(const char *run_dir, GPtrArray *cleaned);

#endif

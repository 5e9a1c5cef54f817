/* media.h - from a SOURCE (disk image, block device or folder) to read-only folders.
 *
 * Invariant 3 (the medium is never written): an image is attached as a read-only loop
 * device, a block device is set read-only with BLKROSET before anything reads it, every
 * partition is reached through its own read-only loop device at its offset (so nothing
 * depends on the kernel parsing partition tables), and every filesystem is mounted
 * ro,nosuid,nodev,noexec,nosymfollow (+noload for ext3/4 with kernel drivers).  FUSE
 * drivers are the default: the filesystem parser then runs outside the kernel, and (as
 * root) as the unprivileged [media] driver-user in a private root of its own, except
 * ntfs-3g (docs/privsep.md, "Filesystem drivers").
 * media_close() removes every mount and loop device the media made, whatever happened. */
#ifndef KIOSK_MEDIA_H
#define KIOSK_MEDIA_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/policy.h"

enum media_kind { MEDIA_FOLDER, MEDIA_IMAGE, MEDIA_BLOCK };

struct media_volume {
    int index;           /* 1-based among the volumes found */
    int partno;          /* partition number, 0 for a whole-disk filesystem */
    uint64_t offset;     /* bytes from the start of the medium */
    uint64_t size;       /* bytes */
    char *fstype;        /* blkid TYPE, e.g. "vfat" */
    char *fsversion;     /* blkid VERSION, e.g. "FAT32" (may be NULL) */
    char *label;
    char *uuid;
    char *loopdev;       /* "/dev/loopN" or NULL */
    char *mountpoint;    /* where it is mounted (or the folder itself) */
    char *problem;       /* why it is not mounted (encrypted, unsupported ...), or NULL */
    /* private */
    int loopfd;
    pid_t driver_pid;
    unsigned fuse_conn;  /* minor device number of a FUSE mount, for aborting */
    bool mounted;
};

struct media {
    enum media_kind kind;
    char *source;        /* as given */
    uint64_t size;       /* bytes of the medium */
    char *pttype;        /* "dos", "gpt" or NULL */
    char *vendor, *model, *serial; /* from udev where known */
    struct media_volume *volumes;
    size_t n_volumes;
    /* private */
    volatile gint *stop; /* media_open's STOP */
    char *mnt_dir;       /* RUN_DIR/mnt/SESSION */
    int srcfd;
    int baseloopfd;
    char *baseloop;
};

/* Open SOURCE: attach, probe, mount every usable filesystem under RUN_DIR/mnt/SESSION.
 * Returns 0 with *out when at least one volume is mounted.  Otherwise returns
 * KERR_NO_FS, KERR_AMBIGUOUS, KERR_ENCRYPTED, KERR_UNSUPPORTED_FS, KERR_MOUNT,
 * KERR_TIMEOUT, KERR_CANCELLED (STOP became non-zero: the medium was removed) or
 * KERR_SYSTEM with *why (newly allocated, in plain words) and nothing
 * left attached or mounted. */
int media_open(const char *source, const struct policy *pol, const char *run_dir,
               const char *session, volatile gint *stop, struct media **out, char **why);

/* Make every read on the media fail now (a stuck FUSE driver, a removal): aborts FUSE
 * connections and kills their drivers.  Safe to call from another thread, not at the
 * same time as media_close(). */
void media_abort(struct media *m);

/* Unmount (lazily if busy), stop FUSE drivers, detach loop devices, free. NULL is a no-op. */
void media_close(struct media *m);

/* The user FUSE drivers run as when the kiosk runs as root ([media] driver-user in
 * kiosk.conf; config_load() sets it).  It must exist (else mounting fails, telling the
 * operator to run `make deps`) and must not be uid/gid 0; "root" runs every driver as
 * root on purpose.  ntfs-3g always runs as root.  NULL or "" = the default. */
#define MEDIA_DRIVER_USER_DEFAULT "kiosk-fuse"
void media_set_driver_user(const char *user);

/* Remove leftovers of crashed runs: mounts under RUN_DIR/mnt and kiosk loop devices.
 * Appends one line per thing cleaned to CLEANED (may be NULL). */
int media_recover(const char *run_dir, GPtrArray *cleaned);

#endif

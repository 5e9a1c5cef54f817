/* walk.h - list what is on a mounted volume without following anything.
 *
 * Invariant 4: the walk uses openat(O_NOFOLLOW|O_DIRECTORY) and fstatat(AT_SYMLINK_NOFOLLOW)
 * only; it never opens a regular file (the copy does that, once).  Symlinks, devices,
 * FIFOs and sockets become SKIPPED entries; folders named in the policy's skip list are
 * recorded and not entered; directory loops and extra hard links of one file are
 * recorded, not followed; depth, file count, bytes and time are capped. */
#ifndef KIOSK_WALK_H
#define KIOSK_WALK_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/policy.h"
#include "scanner/verdict.h"

struct walk_entry {
    char *path;          /* relative to the volume root, raw bytes from the medium */
    int volume;          /* 1-based volume index */
    bool candidate;      /* a regular file to copy and check */
    uint64_t size;       /* st_size at walk time */
    dev_t dev;
    ino_t ino;
    struct verdict pre;  /* for non-candidates (or candidates already decided by a
                            limit): the verdict; kind CLEAN means "not decided yet" */
};

struct walk_limits {
    uint64_t max_files;
    uint64_t max_bytes;
    uint64_t max_file_size;
    uint32_t max_depth;
    gint64 deadline_us;  /* g_get_monotonic_time() deadline, 0 = none */
    volatile gint *stop; /* non-zero: stop now (medium removed, cancelled); may be NULL */
    /* fusefat lists a FAT volume label as an empty file in the root folder: an empty root
     * entry of this name (or its 8.3 form) is left out of the listing.  NULL = none. */
    const char *label_entry;
};

struct walk_stats {
    uint64_t files;      /* candidates */
    uint64_t bytes;      /* their bytes */
};

/* Walk ROOT (a mounted volume) and append struct walk_entry * to ENTRIES (element free
 * function: walk_entry_free).  Counters in STATS accumulate across volumes, so limits
 * apply to the session.  Returns 0, or KERR_SYSTEM when the root itself cannot be
 * opened (*why says so). */
int walk_volume(const char *root, int volume, const struct policy *pol,
                const struct walk_limits *lim, struct walk_stats *stats, GPtrArray *entries,
                char **why);

void walk_entry_free(gpointer e);

#endif

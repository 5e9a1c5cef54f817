/* walk.h - list what is on a volume without following anything, and decide what of it is
 * copied and checked.
 *
 * The listing comes from one of two sources, decided the same way:
 *  - a folder (a folder given to `kiosk scan`, or a volume the kernel mounted with
 *    driver=kernel): openat(O_NOFOLLOW|O_DIRECTORY) and fstatat(AT_SYMLINK_NOFOLLOW) only
 *    (invariant 4); it never opens a regular file (the copy does that, once);
 *  - the medium reader (reader/client.h): one LISTDIR per folder the walk enters.
 * Symlinks, devices, FIFOs, sockets and named data streams become SKIPPED entries;
 * folders named in the policy's skip list are recorded and not entered; directory loops
 * and extra hard links of one file are recorded, not followed; depth, file count, bytes
 * and time are capped. */
#ifndef KIOSK_WALK_H
#define KIOSK_WALK_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/policy.h"
#include "scanner/verdict.h"

/* Longest path (bytes, relative to the volume) the walk lets through: the delivery, below
 * the staging folder, must stay within PATH_MAX. */
#define WALK_PATH_MAX 3072

struct walk_entry {
    char *path;     /* relative to the volume root, raw bytes from the medium */
    int volume;     /* 1-based volume index */
    bool candidate; /* a regular file to copy and check */
    uint64_t size;  /* size at walk time */
    dev_t dev;      /* identity: st_dev (0 from the reader) */
    ino_t ino;      /* identity: st_ino, or the reader's inode (what READ asks for) */
    bool has_mtime, has_crtime;
    int64_t mtime, crtime; /* seconds since the epoch, UTC */
    uint32_t mtime_ns, crtime_ns;
    struct verdict pre; /* for non-candidates (or candidates already decided by a
                           limit): the verdict; kind CLEAN means "not decided yet" */
};

struct walk_limits {
    uint64_t max_files;
    uint64_t max_bytes;
    uint64_t max_file_size;
    uint32_t max_depth;
    gint64 deadline_us;  /* g_get_monotonic_time() deadline, 0 = none */
    volatile gint *stop; /* non-zero: stop now (medium removed, cancelled); may be NULL */
};

struct walk_stats {
    uint64_t files; /* candidates */
    uint64_t bytes; /* their bytes */
};

/* What a listing says of one name in a folder. */
enum walk_type {
    WALK_REG = 1,
    WALK_DIR,
    WALK_LNK,
    WALK_CHR,
    WALK_BLK,
    WALK_FIFO,
    WALK_SOCK,
    WALK_OTHER,
    WALK_STREAM,  /* a named data stream / resource fork of another entry: never copied */
    WALK_DAMAGED, /* a name whose metadata could not be read */
};

struct walk_item {
    char *name; /* raw bytes, no '/' (a stream: "file:stream") */
    enum walk_type type;
    uint64_t size;
    dev_t dev;
    uint64_t ino; /* what the source lists or reads it by */
    uint64_t id;  /* identity: names of one file or folder share it (with dev) */
    uint64_t nlink;
    bool has_mtime, has_crtime;
    int64_t mtime, crtime;
    uint32_t mtime_ns, crtime_ns;
};

void walk_item_free(gpointer p);

/* A source of folder listings other than a mounted folder (the medium reader). */
struct walk_source {
    /* Append struct walk_item * of folder DIR (an item's ino, or the root) to ITEMS, at
     * most MAX of them.  0; KERR_LIMIT when there were more (ITEMS holds the first MAX);
     * or another KERR_* with *why (the folder could not be read; ITEMS may hold what
     * came before the failure). */
    int (*list)(void *data, uint64_t dir, uint64_t max, GPtrArray *items, char **why);
    void *data;
};

/* Walk ROOT (a mounted volume or folder) and append struct walk_entry * to ENTRIES
 * (element free function: walk_entry_free).  Counters in STATS accumulate across volumes,
 * so limits apply to the session.  Returns 0, or KERR_SYSTEM when the root itself cannot
 * be opened (*why says so). */
int walk_volume(const char *root, int volume, const struct policy *pol,
                const struct walk_limits *lim, struct walk_stats *stats, GPtrArray *entries,
                char **why);

/* The same over SRC, from folder ROOT (identity ROOT_ID). */
int walk_source(const struct walk_source *src, uint64_t root, uint64_t root_id, int volume,
                const struct policy *pol, const struct walk_limits *lim, struct walk_stats *stats,
                GPtrArray *entries, char **why);

void walk_entry_free(gpointer e);

#endif

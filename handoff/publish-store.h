/* publish-store.h - where the publisher writes: one table of operations per kind of
 * target (publish-dir.c: a local folder through descriptors; publish-smb.c: an SMB share
 * through libsmbclient).  Paths are relative to the target's folder, '/'-separated,
 * already checked (no "", ".", ".."), e.g. ".incoming/<id>/lists/bay.edi".
 * Every operation returns 0, or -1 with *why (newly allocated, for people). */
#ifndef KIOSK_PUBLISH_STORE_H
#define KIOSK_PUBLISH_STORE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/types.h>

enum store_kind { STORE_NONE = 0, STORE_DIR, STORE_FILE, STORE_OTHER };

/* What a stat that returned R with errno ERR found, into *OUT: STORE_NONE where nothing
 * is (ENOENT), else the kind of ST.  False when the stat failed otherwise (the store says
 * why). */
static inline bool publish_store_kind_of(int r, int err, const struct stat *st,
                                         enum store_kind *out)
{
    if (r != 0 && err != ENOENT)
        return false;
    *out = r != 0                 ? STORE_NONE
           : S_ISDIR(st->st_mode) ? STORE_DIR
           : S_ISREG(st->st_mode) ? STORE_FILE
                                  : STORE_OTHER;
    return true;
}

struct publish_store {
    const struct publish_store_ops *ops;
    void *priv;
    gid_t group; /* dir: group of what is published (-1 = leave) */
};

struct publish_store_ops {
    const char *name;
    /* What is at REL. */
    int (*kind)(struct publish_store *s, const char *rel, enum store_kind *out, char **why);
    /* Create folder REL; PRIVATE: only the publisher may enter it (.incoming). */
    int (*mkdir)(struct publish_store *s, const char *rel, bool private_dir, char **why);
    /* Create file REL (it must not exist) with the rest of SRC_FD; SUM (may be NULL) gets
     * every byte written. */
    int (*put)(struct publish_store *s, const char *rel, int src_fd, GChecksum *sum, char **why);
    /* Everything put so far to stable storage (once, before the read-back). */
    int (*flush)(struct publish_store *s, char **why);
    /* Read REL back as stored (not from this process's cache where that can be avoided):
     * its SHA-256 (hex) and size. */
    int (*hash)(struct publish_store *s, const char *rel, char hex[65], uint64_t *size, char **why);
    /* Remove REL and everything below it. */
    int (*remove_tree)(struct publish_store *s, const char *rel, char **why);
    /* Rename FROM to TO, never over something that exists. */
    int (*rename)(struct publish_store *s, const char *from, const char *to, char **why);
    void (*close)(struct publish_store *s);
};

/* A local folder: BASEFD (O_DIRECTORY, not owned afterwards). */
int publish_dir_open(struct publish_store *s, int basefd, gid_t group, char **why);

/* An SMB share: HOST, PORT (0 = 445), SHARE, folder PATH inside it ("" = its top), with
 * the given credentials; SMB3 only, signing required.  The folder is created if missing. */
int publish_smb_open(struct publish_store *s, const char *host, unsigned port, const char *share,
                     const char *path, const char *user, const char *password, const char *domain,
                     char **why);

#endif

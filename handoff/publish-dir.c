/* publish-dir.c - the publisher's store for a local folder (publish-store.h).
 *
 * Everything goes through the folder's descriptor (handed over by the service, opened
 * without following links) with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): a link or
 * a swapped folder planted in the share by anyone who can write it is never followed.
 * Published folders are 0750 and files 0640 with the staging group, set on the
 * descriptors whatever the umask; .incoming is 0700. */
#include "handoff/publish-store.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PUBLISH_DIR_BUF (256 * 1024)

struct publish_dir {
    int basefd;
};

static int publish_dir_openat2(int dirfd, const char *path, int flags)
{
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* The folder holding REL (a descriptor) and REL's last component. */
static int publish_dir_parent(struct publish_store *s, const char *rel, const char **base,
                              char **why)
{
    struct publish_dir *d = s->priv;
    const char *slash = strrchr(rel, '/');
    *base = slash ? slash + 1 : rel;
    int fd;
    if (!slash) {
        fd = dup(d->basefd);
    } else {
        char *parent = g_strndup(rel, (gsize)(slash - rel));
        fd = publish_dir_openat2(d->basefd, parent, O_RDONLY | O_DIRECTORY);
        g_free(parent);
    }
    if (fd < 0)
        *why = g_strdup_printf("cannot open the folder of %s in the staging folder: %s%s", rel,
                               g_strerror(errno),
                               errno == ELOOP || errno == EXDEV ? " (a link: not followed)" : "");
    return fd;
}

static int publish_dir_kind(struct publish_store *s, const char *rel, enum store_kind *out,
                            char **why)
{
    const char *base;
    struct stat st;
    int pfd = publish_dir_parent(s, rel, &base, why);
    if (pfd < 0) {
        if (errno == ENOENT) {
            g_clear_pointer(why, g_free);
            *out = STORE_NONE;
            return 0;
        }
        return -1;
    }
    int r = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW);
    int e = errno;
    close(pfd);
    if (publish_store_kind_of(r, e, &st, out))
        return 0;
    *why = g_strdup_printf("cannot examine %s: %s", rel, g_strerror(e));
    return -1;
}

static int publish_dir_mkdir(struct publish_store *s, const char *rel, bool private_dir, char **why)
{
    const char *base;
    int pfd = publish_dir_parent(s, rel, &base, why);
    if (pfd < 0)
        return -1;
    int r = -1;
    if (mkdirat(pfd, base, 0700) != 0 && !(private_dir && errno == EEXIST)) {
        *why = g_strdup_printf("cannot create the folder %s: %s", rel, g_strerror(errno));
        goto out;
    }
    int fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        struct stat st;
        bool link = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
        *why = g_strdup_printf("%s is not a folder the kiosk may use: %s", rel,
                               link ? "a symbolic link (not followed)" : g_strerror(e));
        goto out;
    }
    if ((!private_dir && s->group != (gid_t)-1 && fchown(fd, (uid_t)-1, s->group) != 0) ||
        fchmod(fd, private_dir ? 0700 : 0750) != 0) {
        *why =
            g_strdup_printf("cannot set the owner group or mode of %s: %s", rel, g_strerror(errno));
        close(fd);
        goto out;
    }
    close(fd);
    r = 0; /* made durable by the flush before the read-back */
out:
    close(pfd);
    return r;
}

static int publish_dir_put(struct publish_store *s, const char *rel, int src_fd, GChecksum *sum,
                           char **why)
{
    const char *base;
    int pfd = publish_dir_parent(s, rel, &base, why);
    if (pfd < 0)
        return -1;
    int r = -1;
    char *buf = NULL;
    int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        *why = g_strdup_printf("cannot create %s: %s", rel, g_strerror(errno));
        goto out;
    }
    buf = g_malloc(PUBLISH_DIR_BUF);
    bool write_failed;
    if (util_copy_fd(src_fd, fd, buf, PUBLISH_DIR_BUF, sum, &write_failed) != 0) {
        *why = write_failed ? g_strdup_printf("cannot write %s: %s", rel, g_strerror(errno))
                            : g_strdup_printf("cannot read the outbox copy of %s: %s", rel,
                                              g_strerror(errno));
        goto out;
    }
    if ((s->group != (gid_t)-1 && fchown(fd, (uid_t)-1, s->group) != 0) || fchmod(fd, 0640) != 0) {
        *why = g_strdup_printf("cannot finish %s: %s", rel, g_strerror(errno));
        goto out;
    }
    /* The delivered file keeps the medium's modification time (the outbox copy has it). */
    struct stat st;
    if (fstat(src_fd, &st) == 0) {
        struct timespec ts[2] = {st.st_mtim, st.st_mtim};
        (void)futimens(fd, ts);
    }
    r = 0;
out:
    if (fd >= 0)
        close(fd);
    close(pfd);
    g_free(buf);
    return r;
}

/* One syncfs for the whole delivery instead of an fsync per file. */
static int publish_dir_flush(struct publish_store *s, char **why)
{
    struct publish_dir *d = s->priv;
    if (syncfs(d->basefd) != 0) {
        *why = g_strdup_printf("cannot flush the staging folder to disk: %s", g_strerror(errno));
        return -1;
    }
    return 0;
}

static int publish_dir_hash(struct publish_store *s, const char *rel, char hex[65], uint64_t *size,
                            char **why)
{
    struct publish_dir *d = s->priv;
    struct stat st;
    int fd = publish_dir_openat2(d->basefd, rel, O_RDONLY);
    /* Flushed: drop the cached pages, so the read-back sees the disk. */
    if (fd >= 0)
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || util_sha256_fd(fd, hex) != 0) {
        *why = g_strdup_printf("cannot read back %s: %s", rel,
                               fd < 0 ? g_strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *size = (uint64_t)st.st_size;
    close(fd);
    return 0;
}

static int publish_dir_remove_tree(struct publish_store *s, const char *rel, char **why)
{
    const char *base;
    int pfd = publish_dir_parent(s, rel, &base, why);
    if (pfd < 0 && errno == ENOENT) {
        g_clear_pointer(why, g_free); /* nothing there: nothing to remove */
        return 0;
    }
    if (pfd < 0)
        return -1;
    int r = util_rm_rf_at(pfd, base);
    if (r != 0)
        *why = g_strdup_printf("cannot remove %s: %s", rel, g_strerror(errno));
    fsync(pfd);
    close(pfd);
    return r == 0 ? 0 : -1;
}

static int publish_dir_rename(struct publish_store *s, const char *from, const char *to, char **why)
{
    const char *bf, *bt;
    int pf = publish_dir_parent(s, from, &bf, why);
    if (pf < 0)
        return -1;
    int pt = publish_dir_parent(s, to, &bt, why);
    if (pt < 0) {
        close(pf);
        return -1;
    }
    int r = renameat2(pf, bf, pt, bt, RENAME_NOREPLACE);
    if (r != 0)
        *why = g_strdup_printf("cannot rename %s to %s: %s", from, to, g_strerror(errno));
    else {
        (void)fsync(pt); /* renamed: visible; flushing is best effort from here */
        (void)fsync(pf);
    }
    close(pf);
    close(pt);
    return r == 0 ? 0 : -1;
}

static void publish_dir_close(struct publish_store *s)
{
    struct publish_dir *d = s->priv;
    if (d && d->basefd >= 0)
        close(d->basefd);
    g_free(d);
    s->priv = NULL;
}

static const struct publish_store_ops publish_dir_ops = {
    .name = "dir",
    .kind = publish_dir_kind,
    .mkdir = publish_dir_mkdir,
    .put = publish_dir_put,
    .flush = publish_dir_flush,
    .hash = publish_dir_hash,
    .remove_tree = publish_dir_remove_tree,
    .rename = publish_dir_rename,
    .close = publish_dir_close,
};

int publish_dir_open(struct publish_store *s, int basefd, gid_t group, char **why)
{
    struct stat st;
    if (fstat(basefd, &st) != 0 || !S_ISDIR(st.st_mode)) {
        *why = g_strdup("the staging folder handed to the publisher is not a folder");
        return -1;
    }
    struct publish_dir *d = g_new0(struct publish_dir, 1);
    d->basefd = dup(basefd);
    s->ops = &publish_dir_ops;
    s->priv = d;
    s->group = group;
    return 0;
}

/* failing-fs - a FUSE folder whose disk "fills up" at a chosen record, for the tests of
 * the audit log's fail-closed rules (tests/integration/t_audit_fail_closed.sh).
 *
 *     failing-fs MOUNTPOINT BACKING_DIR FAIL_ON
 *
 * A flat pass-through of BACKING_DIR (files only; enough for an audit log), except that
 * a write whose bytes contain the string FAIL_ON fails with ENOSPC ("no space left"),
 * as a full disk would at that moment.  Every other operation goes to BACKING_DIR.
 * Runs single-threaded in the foreground; the test stops it by PID (SIGTERM unmounts).
 * direct_io: every write reaches this program. */
#define FUSE_USE_VERSION 31
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int backing = -1;
static const char *fail_on;

/* "/name" -> "name" (the folder is flat). */
static const char *rel(const char *path)
{
    return path[1] ? path + 1 : ".";
}

static int ffs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    (void)fi;
    return fstatat(backing, rel(path), st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

static int ffs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
                       struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
    (void)off;
    (void)fi;
    (void)flags;
    if (strcmp(path, "/") != 0)
        return -ENOTDIR;
    int fd = openat(backing, ".", O_RDONLY | O_DIRECTORY);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d)
        return -errno;
    struct dirent *e;
    while ((e = readdir(d)))
        fill(buf, e->d_name, NULL, 0, 0);
    closedir(d);
    return 0;
}

static int ffs_open(const char *path, struct fuse_file_info *fi)
{
    int fd = openat(backing, rel(path), fi->flags & ~O_NOFOLLOW);
    if (fd < 0)
        return -errno;
    fi->fh = (uint64_t)fd;
    fi->direct_io = 1;
    return 0;
}

static int ffs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    int fd = openat(backing, rel(path), fi->flags | O_CREAT, mode);
    if (fd < 0)
        return -errno;
    fi->fh = (uint64_t)fd;
    fi->direct_io = 1;
    return 0;
}

static int ffs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
    (void)path;
    ssize_t n = pread((int)fi->fh, buf, size, off);
    return n < 0 ? -errno : (int)n;
}

static int ffs_write(const char *path, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi)
{
    (void)path;
    if (memmem(buf, size, fail_on, strlen(fail_on)))
        return -ENOSPC; /* the disk is full, just now */
    ssize_t n = pwrite((int)fi->fh, buf, size, off);
    return n < 0 ? -errno : (int)n;
}

static int ffs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
    (void)path;
    return (datasync ? fdatasync((int)fi->fh) : fsync((int)fi->fh)) == 0 ? 0 : -errno;
}

static int ffs_release(const char *path, struct fuse_file_info *fi)
{
    (void)path;
    close((int)fi->fh);
    return 0;
}

static int ffs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
    if (fi)
        return ftruncate((int)fi->fh, size) == 0 ? 0 : -errno;
    int fd = openat(backing, rel(path), O_WRONLY);
    if (fd < 0)
        return -errno;
    int r = ftruncate(fd, size) == 0 ? 0 : -errno;
    close(fd);
    return r;
}

static int ffs_unlink(const char *path)
{
    return unlinkat(backing, rel(path), 0) == 0 ? 0 : -errno;
}

static int ffs_rename(const char *from, const char *to, unsigned flags)
{
    return renameat2(backing, rel(from), backing, rel(to), flags) == 0 ? 0 : -errno;
}

static int ffs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    (void)fi;
    return fchmodat(backing, rel(path), mode, 0) == 0 ? 0 : -errno;
}

static const struct fuse_operations ffs_ops = {
    .getattr = ffs_getattr,
    .readdir = ffs_readdir,
    .open = ffs_open,
    .create = ffs_create,
    .read = ffs_read,
    .write = ffs_write,
    .fsync = ffs_fsync,
    .release = ffs_release,
    .truncate = ffs_truncate,
    .unlink = ffs_unlink,
    .rename = ffs_rename,
    .chmod = ffs_chmod,
};

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: failing-fs MOUNTPOINT BACKING_DIR FAIL_ON\n");
        return 2;
    }
    backing = open(argv[2], O_RDONLY | O_DIRECTORY);
    if (backing < 0) {
        perror(argv[2]);
        return 1;
    }
    fail_on = argv[3];
    char *fargv[] = {argv[0], "-f", "-s", "-o", "default_permissions", argv[1], NULL};
    return fuse_main(6, fargv, &ffs_ops, NULL);
}

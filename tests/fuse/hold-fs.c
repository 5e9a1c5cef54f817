/* hold-fs - a read-only FUSE view of a folder whose one file's open can be held, for
 * tests/integration/t_reload_responsive.sh: it stops a signature reload at a known point
 * (whoever loads the database opens that file) for as long as the test wants.
 *
 *     hold-fs MOUNTPOINT BACKING_DIR HOLD_NAME CONTROL_DIR
 *
 * Serves the regular files of BACKING_DIR (no sub-folders), as they are at each call.
 * An open of HOLD_NAME while CONTROL_DIR/armed exists is held: the program creates
 * CONTROL_DIR/held.N (N = 1, 2, ... in order of the held opens) and answers that open
 * only once CONTROL_DIR/release.N exists.  Other opens, reads and listings go on
 * meanwhile (libfuse's multi-threaded loop), so only what loads the database waits.
 * The test stops it by PID (SIGTERM unmounts).  direct_io: every read reaches us.
 */
#define FUSE_USE_VERSION 31
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *backing, *hold_name, *control;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned held;

/* BACKING/NAME for "/NAME" (no sub-folders), or -ENOENT. */
static int hfs_path(const char *path, char out[PATH_MAX])
{
    if (path[0] != '/' || strchr(path + 1, '/') || !path[1])
        return -ENOENT;
    if (snprintf(out, PATH_MAX, "%s%s", backing, path) >= PATH_MAX)
        return -ENAMETOOLONG;
    return 0;
}

static bool hfs_exists(const char *name)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/%s", control, name);
    return access(p, F_OK) == 0;
}

static int hfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    char p[PATH_MAX];
    (void)fi;
    if (!strcmp(path, "/")) {
        memset(st, 0, sizeof(*st));
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
        return 0;
    }
    int r = hfs_path(path, p);
    if (r != 0)
        return r;
    if (lstat(p, st) != 0)
        return -errno;
    if (!S_ISREG(st->st_mode))
        return -ENOENT;
    st->st_mode = S_IFREG | 0444;
    return 0;
}

static int hfs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
                       struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
    (void)off;
    (void)fi;
    (void)flags;
    if (strcmp(path, "/"))
        return -ENOENT;
    DIR *d = opendir(backing);
    if (!d)
        return -errno;
    fill(buf, ".", NULL, 0, 0);
    fill(buf, "..", NULL, 0, 0);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (de->d_type == DT_REG)
            fill(buf, de->d_name, NULL, 0, 0);
    closedir(d);
    return 0;
}

static int hfs_open(const char *path, struct fuse_file_info *fi)
{
    char p[PATH_MAX];
    int r = hfs_path(path, p);
    if (r != 0)
        return r;
    if ((fi->flags & O_ACCMODE) != O_RDONLY)
        return -EROFS;
    if (!strcmp(path + 1, hold_name) && hfs_exists("armed")) {
        pthread_mutex_lock(&lock);
        unsigned n = ++held;
        pthread_mutex_unlock(&lock);
        char mark[PATH_MAX], release[64];
        snprintf(mark, sizeof(mark), "%s/held.%u", control, n);
        snprintf(release, sizeof(release), "release.%u", n);
        FILE *f = fopen(mark, "w");
        if (f) {
            fprintf(f, "%ld\n", (long)fuse_get_context()->pid);
            fclose(f);
        }
        while (!hfs_exists(release)) {
            struct timespec ts = {.tv_nsec = 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -errno;
    fi->fh = (uint64_t)fd;
    fi->direct_io = 1;
    return 0;
}

static int hfs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
    (void)path;
    ssize_t n = pread((int)fi->fh, buf, size, off);
    return n < 0 ? -errno : (int)n;
}

static int hfs_release(const char *path, struct fuse_file_info *fi)
{
    (void)path;
    close((int)fi->fh);
    return 0;
}

static const struct fuse_operations hfs_ops = {
    .getattr = hfs_getattr,
    .readdir = hfs_readdir,
    .open = hfs_open,
    .read = hfs_read,
    .release = hfs_release,
};

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: hold-fs MOUNTPOINT BACKING_DIR HOLD_NAME CONTROL_DIR\n");
        return 2;
    }
    backing = argv[2];
    hold_name = argv[3];
    control = argv[4];
    char *fargv[] = {argv[0], "-f", "-o", "ro,default_permissions,fsname=hold-fs", argv[1], NULL};
    return fuse_main(5, fargv, &hfs_ops, NULL);
}

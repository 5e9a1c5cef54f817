/* changing-fs - a tiny hostile FUSE filesystem for tests/integration/t_hostile_changing_fs.sh.
 *
 *     changing-fs MOUNTPOINT LOGFILE FIRST LATER TARGET_EXE
 *
 * Serves a.csv, b.csv and sub/c.csv, read-only.  Each file's bytes depend on how often the
 * program TARGET_EXE (the kiosk; matched by /proc/PID/exe of the opening thread) has
 * opened it: the first open reads the contents of the file FIRST, every later open reads
 * the contents of LATER (the test passes EICAR there, generated at test time).  Both must
 * have the same length, so the size never betrays the change.  Opens by any other program
 * (the test's own checksums) always read FIRST and are not counted.  Every open is logged
 * to LOGFILE (outside the mount) as
 *
 *     open PATH count=N target=0|1 pid=TID
 *
 * where N is the target's open count of PATH after this open.  Runs single-threaded in
 * the foreground; the test stops it by PID (SIGTERM unmounts).  direct_io keeps the kernel
 * page cache out of the way, so every read reaches this program.
 */
#define FUSE_USE_VERSION 31
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *files[] = {"/a.csv", "/b.csv", "/sub/c.csv"};
#define NFILES (sizeof(files) / sizeof(files[0]))
static unsigned opens[NFILES];
static char *content[2];
static size_t content_len;
static char target_exe[PATH_MAX];
static FILE *logf;

static int file_index(const char *path)
{
    for (size_t i = 0; i < NFILES; i++)
        if (!strcmp(path, files[i]))
            return (int)i;
    return -1;
}

static int cfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    (void)fi;
    memset(st, 0, sizeof(*st));
    st->st_uid = 0;
    st->st_gid = 0;
    if (!strcmp(path, "/") || !strcmp(path, "/sub")) {
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
        return 0;
    }
    if (file_index(path) < 0)
        return -ENOENT;
    st->st_mode = S_IFREG | 0444;
    st->st_nlink = 1;
    st->st_size = (off_t)content_len;
    return 0;
}

static int cfs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
                       struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
    (void)off, (void)fi, (void)flags;
    fill(buf, ".", NULL, 0, 0);
    fill(buf, "..", NULL, 0, 0);
    if (!strcmp(path, "/")) {
        fill(buf, "a.csv", NULL, 0, 0);
        fill(buf, "b.csv", NULL, 0, 0);
        fill(buf, "sub", NULL, 0, 0);
    } else if (!strcmp(path, "/sub")) {
        fill(buf, "c.csv", NULL, 0, 0);
    } else {
        return -ENOENT;
    }
    return 0;
}

static int is_target(pid_t pid)
{
    char link[64], exe[PATH_MAX];
    snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(link, exe, sizeof(exe) - 1);
    if (n < 0)
        return 0;
    exe[n] = '\0';
    return !strcmp(exe, target_exe);
}

static int cfs_open(const char *path, struct fuse_file_info *fi)
{
    int i = file_index(path);
    if (i < 0)
        return -ENOENT;
    if ((fi->flags & O_ACCMODE) != O_RDONLY)
        return -EROFS;
    pid_t pid = fuse_get_context()->pid;
    int target = is_target(pid);
    unsigned n = opens[i];
    if (target)
        n = ++opens[i];
    /* which content this handle reads: FIRST for the target's first open and for others */
    fi->fh = (target && n > 1) ? 1 : 0;
    fi->direct_io = 1;
    fi->keep_cache = 0;
    fprintf(logf, "open %s count=%u target=%d pid=%d\n", path + 1, n, target, (int)pid);
    fflush(logf);
    return 0;
}

static int cfs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
    (void)path;
    if (off < 0 || (size_t)off >= content_len)
        return 0;
    if (size > content_len - (size_t)off)
        size = content_len - (size_t)off;
    memcpy(buf, content[fi->fh ? 1 : 0] + off, size);
    return (int)size;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 16);
    size_t n = buf ? fread(buf, 1, 1 << 16, f) : 0;
    fclose(f);
    *len = n;
    return buf;
}

static const struct fuse_operations ops = {
    .getattr = cfs_getattr,
    .readdir = cfs_readdir,
    .open = cfs_open,
    .read = cfs_read,
};

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s MOUNTPOINT LOGFILE FIRST LATER TARGET_EXE\n", argv[0]);
        return 2;
    }
    size_t l0 = 0, l1 = 0;
    content[0] = slurp(argv[3], &l0);
    content[1] = slurp(argv[4], &l1);
    if (!content[0] || !content[1] || l0 != l1 || l0 == 0) {
        fprintf(stderr, "changing-fs: FIRST and LATER must be readable, non-empty, same size\n");
        return 2;
    }
    content_len = l0;
    if (!realpath(argv[5], target_exe)) {
        perror(argv[5]);
        return 2;
    }
    logf = fopen(argv[2], "a");
    if (!logf) {
        perror(argv[2]);
        return 2;
    }
    char *fargv[] = {argv[0], "-f", "-s", "-o", "ro,allow_other,fsname=changing-fs,subtype=changing",
                     argv[1], NULL};
    return fuse_main(6, fargv, &ops, NULL);
}

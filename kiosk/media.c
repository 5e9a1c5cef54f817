#include "kiosk/media.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"

#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <grp.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <linux/major.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MEDIA_MOUNT_TIMEOUT_MS 20000
#define MEDIA_STOP_TIMEOUT_MS 3000
#define MEDIA_LOOP_TAG "kiosk:"

/* How each filesystem is read.  FUSE drivers run in the foreground so the kiosk owns
 * their process; "%D" is the device, "%M" the mount point.  fuse_subtype non-NULL: the
 * driver uses libfuse 2, which mounts through "fusermount" when it is not root, so it can
 * run as [media] driver-user (docs/privsep.md); the service then mounts "fuse.SUBTYPE".
 * ntfs-3g has its own copy of FUSE (fuse-lite) whose mount code is built in and needs
 * root: it stays root. */
static const struct media_fs {
    const char *type;       /* blkid TYPE */
    const char *const fuse_argv[8];
    const char *fuse_subtype;
    const char *kernel_type;
    const char *kernel_data;
} media_fs_table[] = {
    {"vfat",
     {"fusefat", "-f", "-o", "ro", "%D", "%M", NULL},
     "fusefat",
     "vfat",
     "utf8,shortname=mixed"},
    {"exfat", {"mount.exfat-fuse", "-d", "-o", "ro", "%D", "%M", NULL}, "exfat", "exfat", ""},
    {"ntfs", {"ntfs-3g", "-o", "ro,no_detach", "%D", "%M", NULL}, NULL, "ntfs3", ""},
    {"ext2", {"fuse2fs", "-f", "-o", "ro", "%D", "%M", NULL}, "ext2", "ext2", ""},
    {"ext3", {"fuse2fs", "-f", "-o", "ro", "%D", "%M", NULL}, "ext3", "ext3", "noload"},
    {"ext4", {"fuse2fs", "-f", "-o", "ro", "%D", "%M", NULL}, "ext4", "ext4", "noload"},
};

static const struct media_fs *media_fs_find(const char *type)
{
    for (size_t i = 0; i < G_N_ELEMENTS(media_fs_table); i++)
        if (g_strcmp0(media_fs_table[i].type, type) == 0)
            return &media_fs_table[i];
    return NULL;
}

static gint64 media_now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

/* Attach FD (read-only) to a free loop device as read-only, at OFFSET for SIZE bytes
 * (0 = to the end).  Returns the loop fd (opened O_RDONLY) and its path. */
static int media_loop_attach(int fd, uint64_t offset, uint64_t size, const char *tag,
                             char **path_out)
{
    int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    if (ctl < 0)
        return -1;
    for (int attempt = 0; attempt < 16; attempt++) {
        int n = ioctl(ctl, LOOP_CTL_GET_FREE);
        if (n < 0)
            break;
        char path[32];
        snprintf(path, sizeof(path), "/dev/loop%d", n);
        int lfd = open(path, O_RDONLY | O_CLOEXEC);
        if (lfd < 0) {
            if (errno == ENOENT) { /* udev may not have created the node yet */
                g_usleep(10000);
                continue;
            }
            break;
        }
        struct loop_config cfg;
        memset(&cfg, 0, sizeof(cfg));
        cfg.fd = (unsigned)fd;
        cfg.info.lo_offset = offset;
        cfg.info.lo_sizelimit = size;
        cfg.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
        g_strlcpy((char *)cfg.info.lo_file_name, tag, sizeof(cfg.info.lo_file_name));
        /* LO_FLAGS_READ_ONLY makes the loop's block device read-only for its whole life;
         * BLKROSET on a loop would outlive the detach and surprise its next user. */
        if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0) {
            close(ctl);
            *path_out = g_strdup(path);
            return lfd;
        }
        int saved = errno;
        close(lfd);
        if (saved != EBUSY) {
            errno = saved;
            break;
        }
    }
    int saved = errno;
    close(ctl);
    errno = saved;
    return -1;
}

static void media_loop_detach(int *lfd)
{
    if (*lfd < 0)
        return;
    /* AUTOCLEAR detaches once the last user closes; clear explicitly as well so the
     * device is free as soon as the FUSE driver is gone. */
    (void)ioctl(*lfd, LOOP_CLR_FD, 0);
    close(*lfd);
    *lfd = -1;
}

static char *media_probe_value(blkid_probe pr, const char *name)
{
    const char *v = NULL;
    if (blkid_probe_lookup_value(pr, name, &v, NULL) == 0 && v)
        return g_strdup(v);
    return NULL;
}

/* Probe the superblock on FD.  Returns 0 (TYPE in vol), KERR_NO_FS, KERR_AMBIGUOUS. */
static int media_probe_fs(int fd, struct media_volume *vol)
{
    blkid_probe pr = blkid_new_probe();
    if (!pr)
        return KERR_NOMEM;
    int r = KERR_SYSTEM;
    if (blkid_probe_set_device(pr, fd, 0, 0) != 0)
        goto out;
    blkid_probe_enable_superblocks(pr, 1);
    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL |
                                              BLKID_SUBLKS_UUID | BLKID_SUBLKS_USAGE |
                                              BLKID_SUBLKS_VERSION);
    blkid_probe_enable_partitions(pr, 0);
    int rc = blkid_do_safeprobe(pr);
    if (rc == -2) {
        r = KERR_AMBIGUOUS;
        goto out;
    }
    if (rc == 1) {
        r = KERR_NO_FS;
        goto out;
    }
    if (rc < 0)
        goto out;
    vol->fstype = media_probe_value(pr, "TYPE");
    vol->fsversion = media_probe_value(pr, "VERSION");
    vol->label = media_probe_value(pr, "LABEL");
    vol->uuid = media_probe_value(pr, "UUID");
    r = vol->fstype ? 0 : KERR_NO_FS;
out:
    blkid_free_probe(pr);
    return r;
}

static bool media_is_encrypted(const char *type)
{
    static const char *crypto[] = {"crypto_LUKS", "BitLocker", "VeraCrypt", "TrueCrypt", NULL};
    for (int i = 0; crypto[i]; i++)
        if (g_strcmp0(type, crypto[i]) == 0)
            return true;
    return false;
}

static void media_volume_clear(struct media_volume *v)
{
    g_free(v->fstype);
    g_free(v->fsversion);
    g_free(v->label);
    g_free(v->uuid);
    g_free(v->loopdev);
    g_free(v->mountpoint);
    g_free(v->problem);
}

/* Is PATH a mount point?  Read from /proc/self/mountinfo rather than stat(2): a stat of a
 * FUSE mount whose driver hangs would hang too.  *dev gets the mount's device. */
static bool media_is_mounted(const char *path, dev_t *dev)
{
    char *data = NULL;
    bool found = false;
    if (!g_file_get_contents("/proc/self/mountinfo", &data, NULL, NULL))
        return false;
    char **lines = g_strsplit(data, "\n", -1);
    for (int i = 0; lines[i] && !found; i++) {
        /* id parent major:minor root mountpoint ... (mount points escape spaces as \040) */
        char **f = g_strsplit(lines[i], " ", 6);
        if (g_strv_length(f) >= 5 && strcmp(f[4], path) == 0) {
            unsigned maj = 0, min = 0;
            if (sscanf(f[2], "%u:%u", &maj, &min) == 2 && dev)
                *dev = makedev(maj, min);
            found = true;
        }
        g_strfreev(f);
    }
    g_strfreev(lines);
    g_free(data);
    return found;
}

static char *media_read_tail(const char *path, size_t max)
{
    char *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &data, &len, NULL))
        return NULL;
    char *start = len > max ? data + len - max : data;
    char *r = g_strstrip(g_strdup(start));
    g_free(data);
    for (char *p = r; *p; p++)
        if (*p == '\n')
            *p = ' ';
    return r;
}

/* "X could not read the Y filesystem (last lines of its log)": the driver ended before it
 * mounted anything. */
static char *media_driver_failed(const char *name, const struct media_volume *v,
                                 const char *logpath)
{
    char *tail = media_read_tail(logpath, 300);
    char *why =
        g_strdup_printf("%s could not read the %s filesystem%s%s%s", name, v->fstype,
                        tail && *tail ? " (" : "", tail ? tail : "", tail && *tail ? ")" : "");
    g_free(tail);
    return why;
}

/* Whatever options the driver understood, enforce the invariants on the mount. */
static int media_restrict_mount(const struct media_volume *v, char **why)
{
    struct mount_attr attr = {
        .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
                    MOUNT_ATTR_NOSYMFOLLOW,
    };
    if (mount_setattr(AT_FDCWD, v->mountpoint, 0, &attr, sizeof(attr)) != 0) {
        *why = g_strdup_printf("cannot restrict the mount of %s: %s", v->mountpoint,
                               g_strerror(errno));
        return KERR_MOUNT;
    }
    return 0;
}

/* The driver as the service's own user (root): it mounts by itself. */
static int media_mount_fuse_root(struct media_volume *v, const struct media_fs *fs,
                                 const char *logpath, volatile gint *stop, char **why)
{
    char *argv[8] = {0};
    for (int i = 0; fs->fuse_argv[i]; i++) {
        if (!strcmp(fs->fuse_argv[i], "%D"))
            argv[i] = v->loopdev;
        else if (!strcmp(fs->fuse_argv[i], "%M"))
            argv[i] = v->mountpoint;
        else
            argv[i] = (char *)fs->fuse_argv[i];
    }
    int logfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    pid_t pid = fork();
    if (pid < 0) {
        if (logfd >= 0)
            close(logfd);
        *why = g_strdup_printf("cannot start %s: %s", argv[0], g_strerror(errno));
        return KERR_SYSTEM;
    }
    if (pid == 0) {
        /* The driver dies with us; a crash of the kiosk never leaves a live parser. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        setpgid(0, 0);
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(logfd >= 0 ? logfd : devnull, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    if (logfd >= 0)
        close(logfd);
    v->driver_pid = pid;

    gint64 deadline = media_now_ms() + MEDIA_MOUNT_TIMEOUT_MS;
    dev_t dev;
    for (;;) {
        if (media_is_mounted(v->mountpoint, &dev)) {
            v->mounted = true;
            v->fuse_conn = minor(dev);
            break;
        }
        int status;
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            v->driver_pid = 0;
            *why = media_driver_failed(argv[0], v, logpath);
            return KERR_MOUNT;
        }
        if (media_now_ms() > deadline) {
            *why = g_strdup_printf("%s did not mount the %s filesystem in time", argv[0],
                                   v->fstype);
            return KERR_TIMEOUT;
        }
        if (stop && g_atomic_int_get(stop)) {
            *why = g_strdup("the check was stopped (medium removed or cancelled) while the "
                            "medium was being opened");
            return KERR_CANCELLED;
        }
        g_usleep(10000);
    }
    return media_restrict_mount(v, why);
}

/* ---- FUSE drivers without root (docs/privsep.md, "Filesystem drivers") ------------------
 *
 * The service opens /dev/fuse and forks; the child confines itself (new mount, network and
 * IPC namespaces; a small tmpfs as its whole root holding a node of the read-only loop
 * device, an empty mount point, /dev/fuse, read-only /usr and library links, and
 * kiosk-fusermount as /bin/fusermount), becomes [media] driver-user and execs the driver
 * with that descriptor open.  libfuse 2, not root, runs "fusermount"; the shim says "R"
 * on the sync socket, the service mounts the descriptor on the real mount point
 * (allow_other: the root service reads it) and answers "G", and the shim hands the
 * descriptor to libfuse.  The service keeps no copy of it: when the driver dies the
 * connection dies with it and reads fail instead of hanging. */

#define MEDIA_SHIM_NAME "kiosk-fusermount"
#define MEDIA_JAIL_DEV "/dev/medium"
#define MEDIA_JAIL_MNT "/mnt"
#define MEDIA_JAIL_FUSE_FD 3
#define MEDIA_JAIL_SYNC_FD 4

G_LOCK_DEFINE_STATIC(media_driver_user);
static char *media_driver_user; /* NULL: MEDIA_DRIVER_USER_DEFAULT */

void media_set_driver_user(const char *user)
{
    G_LOCK(media_driver_user);
    g_free(media_driver_user);
    media_driver_user = g_strdup(user && *user ? user : MEDIA_DRIVER_USER_DEFAULT);
    G_UNLOCK(media_driver_user);
}

static char *media_get_driver_user(void)
{
    G_LOCK(media_driver_user);
    char *u = g_strdup(media_driver_user ? media_driver_user : MEDIA_DRIVER_USER_DEFAULT);
    G_UNLOCK(media_driver_user);
    return u;
}

struct media_driver_cred {
    bool as_self; /* run the driver as the service's own user (root: today's way) */
    uid_t uid;
    gid_t gid;
    char name[33];
};

/* Who runs FS's driver.  Fails closed when driver-user does not exist or is root in
 * disguise; "root" is the explicit way back to root drivers. */
static int media_driver_cred(const struct media_fs *fs, struct media_driver_cred *cr, char **why)
{
    cr->as_self = true;
    if (geteuid() != 0)
        return 0; /* not root: the driver runs as the caller, who is unprivileged already */
    char *user = media_get_driver_user();
    int r = 0;
    if (strcmp(user, "root") == 0)
        goto out;
    if (!fs->fuse_subtype) {
        log_info("%s runs as root: its built-in FUSE mounts by itself and needs root "
                 "(docs/privsep.md)",
                 fs->fuse_argv[0]);
        goto out;
    }
    struct passwd pw, *found = NULL;
    char buf[4096];
    int e = getpwnam_r(user, &pw, buf, sizeof(buf), &found);
    if (!found) {
        *why =
            g_strdup_printf("the user %s that filesystem drivers run as does not exist%s%s; "
                            "run 'make deps' (it creates %s), or set [media] driver-user "
                            "in kiosk.conf",
                            user, e ? ": " : "", e ? g_strerror(e) : "", MEDIA_DRIVER_USER_DEFAULT);
        r = KERR_SYSTEM;
        goto out;
    }
    if (pw.pw_uid == 0 || pw.pw_gid == 0) {
        *why = g_strdup_printf("the user %s that filesystem drivers run as has user or group id "
                               "0; set [media] driver-user=root in kiosk.conf to run drivers "
                               "as root on purpose, or use an unprivileged user",
                               user);
        r = KERR_SYSTEM;
        goto out;
    }
    cr->as_self = false;
    cr->uid = pw.pw_uid;
    cr->gid = pw.pw_gid;
    g_strlcpy(cr->name, user, sizeof(cr->name));
out:
    g_free(user);
    return r;
}

/* kiosk-fusermount, next to the running binary (build/ or the install folder). */
static char *media_shim_path(char **why)
{
    char *exe = g_file_read_link("/proc/self/exe", NULL);
    char *dir = exe ? g_path_get_dirname(exe) : g_strdup(".");
    char *path = g_build_filename(dir, MEDIA_SHIM_NAME, NULL);
    struct stat st;
    g_free(exe);
    g_free(dir);
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IXOTH) &&
        !(st.st_mode & (S_IWGRP | S_IWOTH)))
        return path;
    *why = g_strdup_printf("%s is missing or not a plain executable file (mode 0755): it is "
                           "built with the kiosk and installed next to it (docs/privsep.md)",
                           path);
    g_free(path);
    return NULL;
}

/* Top-level entries of / the driver needs besides /usr: each becomes the same symbolic
 * link in its root (merged /usr), or a read-only bind if it is a real folder. */
static const char *const media_jail_mirrors[] = {"/sbin", "/lib", "/lib32", "/lib64", "/libx32"};
#define MEDIA_JAIL_N_MIRRORS G_N_ELEMENTS(media_jail_mirrors)

struct media_jail {
    const char *root;   /* where the child mounts its tmpfs (the volume's mount point) */
    const char *shim;   /* bound to /bin/fusermount */
    const char *driver; /* absolute path, also valid inside the root */
    char **argv, **envp;
    dev_t dev; /* the volume's read-only loop device */
    uid_t uid;
    gid_t gid;
    pid_t parent;
    int fusefd, syncfd, logfd, devnull;
    char link[MEDIA_JAIL_N_MIRRORS][256]; /* symbolic link target, or "" */
    bool dir[MEDIA_JAIL_N_MIRRORS];       /* a real folder: bind it */
    bool ldcache;                         /* /etc/ld.so.cache exists: bind it */
    char passwd[256], group[256];         /* /etc/passwd, /etc/group: the driver user only */
};

/* What the child reports when it cannot confine itself (one SOCK_SEQPACKET record); the
 * shim's "R" is a one-byte record. */
enum media_jail_step {
    JAIL_FDS,
    JAIL_UNSHARE,
    JAIL_PRIVATE,
    JAIL_TMPFS,
    JAIL_DEV,
    JAIL_FUSE,
    JAIL_USR,
    JAIL_SHIM,
    JAIL_PIVOT,
    JAIL_USER,
    JAIL_EXEC,
    JAIL_N_STEPS
};
static const char *const media_jail_step_text[JAIL_N_STEPS] = {
    [JAIL_FDS] = "arranging file descriptors",
    [JAIL_UNSHARE] = "new mount, network and IPC namespaces",
    [JAIL_PRIVATE] = "making mounts private",
    [JAIL_TMPFS] = "mounting its private root (tmpfs)",
    [JAIL_DEV] = "creating its device node (mknod) and mount point",
    [JAIL_FUSE] = "binding /dev/fuse",
    [JAIL_USR] = "binding /usr and the libraries, writing /etc",
    [JAIL_SHIM] = "binding " MEDIA_SHIM_NAME,
    [JAIL_PIVOT] = "pivot_root into its private root",
    [JAIL_USER] = "switching to the driver user",
    [JAIL_EXEC] = "starting the driver",
};
struct media_jail_msg {
    char tag; /* 'E' */
    int step;
    int err;
};

/* The driver's path must exist inside its root: below /usr or a bound folder. */
static bool media_jail_holds(const struct media_jail *j, const char *path)
{
    if (g_str_has_prefix(path, "/usr/"))
        return true;
    for (size_t i = 0; i < MEDIA_JAIL_N_MIRRORS; i++) {
        size_t n = strlen(media_jail_mirrors[i]);
        if (j->dir[i] && strncmp(path, media_jail_mirrors[i], n) == 0 && path[n] == '/')
            return true;
    }
    return false;
}

static int media_jail_plan_mirrors(struct media_jail *j, char **why)
{
    for (size_t i = 0; i < MEDIA_JAIL_N_MIRRORS; i++) {
        struct stat st;
        if (lstat(media_jail_mirrors[i], &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            j->dir[i] = true;
        } else if (S_ISLNK(st.st_mode)) {
            ssize_t n = readlink(media_jail_mirrors[i], j->link[i], sizeof(j->link[i]) - 1);
            if (n <= 0 || (size_t)n >= sizeof(j->link[i]) - 1) {
                *why = g_strdup_printf("cannot read the link %s", media_jail_mirrors[i]);
                return KERR_SYSTEM;
            }
            j->link[i][n] = '\0';
        }
    }
    j->ldcache = access("/etc/ld.so.cache", R_OK) == 0;
    return 0;
}

/* In the child: report STEP with errno to the service and end. */
static G_NORETURN void media_jail_fail(int syncfd, enum media_jail_step step)
{
    struct media_jail_msg m = {.tag = 'E', .step = step, .err = errno};
    (void)!send(syncfd, &m, sizeof(m), MSG_NOSIGNAL);
    _exit(126);
}

/* Create PATH holding TEXT (may be ""). */
static int media_jail_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    ssize_t n = len ? write(fd, text, len) : 0;
    close(fd);
    return n == (ssize_t)len ? 0 : -1;
}

/* Bind SRC on DST (an empty file or folder in the new root), read-only, nosuid, nodev. */
static int media_jail_bind(const char *src, const char *dst, unsigned long rec)
{
    if (mount(src, dst, NULL, MS_BIND | rec, NULL) != 0)
        return -1;
    return mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
}

/* The child between fork and exec.  The service has threads: only system calls here, no
 * allocation, no locks (everything was prepared in J by the parent). */
static G_NORETURN void media_jail_child(const struct media_jail *j)
{
    int sync = j->syncfd;
    /* The driver dies with us; a crash of the kiosk never leaves a live parser. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != j->parent)
        _exit(126);
    setpgid(0, 0);
    int s = fcntl(j->syncfd, F_DUPFD_CLOEXEC, 10);
    int f = fcntl(j->fusefd, F_DUPFD_CLOEXEC, 10);
    if (s < 0 || f < 0)
        media_jail_fail(sync, JAIL_FDS);
    sync = s;
    if (dup2(j->devnull, 0) < 0 || dup2(j->devnull, 1) < 0 ||
        dup2(j->logfd >= 0 ? j->logfd : j->devnull, 2) < 0 || dup2(f, MEDIA_JAIL_FUSE_FD) < 0 ||
        dup2(s, MEDIA_JAIL_SYNC_FD) < 0)
        media_jail_fail(sync, JAIL_FDS);
    sync = MEDIA_JAIL_SYNC_FD;
    /* Nothing else of the service's (most of it is close-on-exec anyway). */
    (void)close_range(MEDIA_JAIL_SYNC_FD + 1, ~0U, 0);

    /* The modes below are meant as written (the unit's UMask=0077 would make /dev, /etc
     * and /bin unreadable to the driver). */
    umask(022);
    if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC) != 0)
        media_jail_fail(sync, JAIL_UNSHARE);
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        media_jail_fail(sync, JAIL_PRIVATE);
    /* Not nodev: the device node lives here.  Read-only once built (below). */
    if (mount("kiosk-driver", j->root, "tmpfs", MS_NOSUID | MS_NOEXEC,
              "size=64k,nr_inodes=64,mode=0755") != 0 ||
        chdir(j->root) != 0)
        media_jail_fail(sync, JAIL_TMPFS);
    /* A node of the read-only loop device (LO_FLAGS_READ_ONLY: it cannot be opened for
     * writing whatever the mode), readable by the driver only. */
    if (mkdir("dev", 0755) != 0 || mknod("dev/medium", S_IFBLK | 0400, j->dev) != 0 ||
        chown("dev/medium", j->uid, j->gid) != 0)
        media_jail_fail(sync, JAIL_DEV);
    /* libfuse opens /dev/fuse and tries mount(2) before it falls back to fusermount. */
    if (media_jail_file("dev/fuse", "") != 0 ||
        mount("/dev/fuse", "dev/fuse", NULL, MS_BIND, NULL) != 0)
        media_jail_fail(sync, JAIL_FUSE);
    /* The driver's mount point: libfuse checks that it is an empty folder, nothing more. */
    if (mkdir("mnt", 0700) != 0 || chown("mnt", j->uid, j->gid) != 0)
        media_jail_fail(sync, JAIL_DEV);
    if (mkdir("usr", 0755) != 0 || media_jail_bind("/usr", "usr", MS_REC) != 0)
        media_jail_fail(sync, JAIL_USR);
    for (size_t i = 0; i < MEDIA_JAIL_N_MIRRORS; i++) {
        const char *name = media_jail_mirrors[i] + 1;
        if (j->dir[i] &&
            (mkdir(name, 0755) != 0 || media_jail_bind(media_jail_mirrors[i], name, MS_REC) != 0))
            media_jail_fail(sync, JAIL_USR);
        if (j->link[i][0] && symlink(j->link[i], name) != 0)
            media_jail_fail(sync, JAIL_USR);
    }
    /* The loader's cache, and the driver user's name (exfat-fuse asks for it). */
    if (mkdir("etc", 0755) != 0 || media_jail_file("etc/passwd", j->passwd) != 0 ||
        media_jail_file("etc/group", j->group) != 0)
        media_jail_fail(sync, JAIL_USR);
    if (j->ldcache && (media_jail_file("etc/ld.so.cache", "") != 0 ||
                       media_jail_bind("/etc/ld.so.cache", "etc/ld.so.cache", 0) != 0))
        media_jail_fail(sync, JAIL_USR);
    /* libfuse 2 runs FUSERMOUNT_DIR "/fusermount", i.e. /bin/fusermount. */
    if (mkdir("bin", 0755) != 0 || media_jail_file("bin/fusermount", "") != 0 ||
        media_jail_bind(j->shim, "bin/fusermount", 0) != 0)
        media_jail_fail(sync, JAIL_SHIM);
    /* The tmpfs becomes the root; the service's whole tree goes, with the mounts of the
     * medium's other volumes (a copy here would keep them alive after their unmount). */
    if (syscall(SYS_pivot_root, ".", ".") != 0 || umount2(".", MNT_DETACH) != 0 || chdir("/") != 0)
        media_jail_fail(sync, JAIL_PIVOT);
    if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL) != 0)
        media_jail_fail(sync, JAIL_PIVOT);
    /* Raw system calls: this process has one thread whatever glibc remembers of the
     * service's; every capability goes with uid 0. */
    if (syscall(SYS_setgroups, 0, NULL) != 0 ||
        syscall(SYS_setresgid, j->gid, j->gid, j->gid) != 0 ||
        syscall(SYS_setresuid, j->uid, j->uid, j->uid) != 0)
        media_jail_fail(sync, JAIL_USER);
    if (syscall(SYS_setresuid, 0, 0, 0) == 0) {
        errno = EPERM;
        media_jail_fail(sync, JAIL_USER);
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        media_jail_fail(sync, JAIL_USER);
    struct rlimit nocore = {0, 0};
    (void)setrlimit(RLIMIT_CORE, &nocore);
    execve(j->driver, j->argv, j->envp);
    media_jail_fail(sync, JAIL_EXEC);
}

/* The shim said "R": mount the service's /dev/fuse descriptor on the real mount point and
 * let the driver go on ("G"). */
static int media_jail_mount(struct media_volume *v, const struct media_fs *fs,
                            const struct media_driver_cred *cr, int fusefd, int syncfd, char **why)
{
    const char *name = fs->fuse_argv[0];
    char *type = g_strdup_printf("fuse.%s", fs->fuse_subtype);
    char *opts = g_strdup_printf("fd=%d,rootmode=%o,user_id=%u,group_id=%u,allow_other", fusefd,
                                 (unsigned)S_IFDIR, (unsigned)cr->uid, (unsigned)cr->gid);
    int rc = mount(name, v->mountpoint, type,
                   MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOSYMFOLLOW, opts);
    int saved = errno;
    g_free(type);
    g_free(opts);
    if (rc != 0) {
        *why = g_strdup_printf("cannot mount the %s filesystem for %s: %s", v->fstype, name,
                               g_strerror(saved));
        return KERR_MOUNT;
    }
    v->mounted = true;
    dev_t dev;
    if (media_is_mounted(v->mountpoint, &dev))
        v->fuse_conn = minor(dev);
    if (send(syncfd, "G", 1, MSG_NOSIGNAL) != 1) {
        *why =
            g_strdup_printf("%s stopped before it could serve the %s filesystem", name, v->fstype);
        return KERR_MOUNT;
    }
    return media_restrict_mount(v, why);
}

/* Wait for the shim's "R" (the driver read the superblock and wants its descriptor), the
 * child's report of a failed confinement, the driver's end, the deadline or STOP. */
static int media_jail_wait(struct media_volume *v, const struct media_fs *fs,
                           const struct media_driver_cred *cr, int fusefd, int syncfd,
                           const char *logpath, volatile gint *stop, char **why)
{
    const char *name = fs->fuse_argv[0];
    gint64 deadline = media_now_ms() + MEDIA_MOUNT_TIMEOUT_MS;
    bool eof = false;
    for (;;) {
        struct pollfd p = {.fd = syncfd, .events = POLLIN};
        if (eof)
            g_usleep(10000);
        else if (poll(&p, 1, 10) > 0) {
            struct media_jail_msg m;
            memset(&m, 0, sizeof(m));
            ssize_t n = recv(syncfd, &m, sizeof(m), MSG_DONTWAIT);
            if (n == 1 && m.tag == 'R')
                return media_jail_mount(v, fs, cr, fusefd, syncfd, why);
            if (n == (ssize_t)sizeof(m) && m.tag == 'E' && m.step >= 0 && m.step < JAIL_N_STEPS) {
                *why = g_strdup_printf("cannot start %s as an unprivileged user (%s: %s)", name,
                                       media_jail_step_text[m.step], g_strerror(m.err));
                return KERR_SYSTEM;
            }
            if (n > 0) {
                *why = g_strdup_printf("%s sent nonsense while mounting the %s filesystem", name,
                                       v->fstype);
                return KERR_MOUNT;
            }
            if (n == 0 || (errno != EAGAIN && errno != EINTR))
                eof = true; /* the driver is gone: waitpid says how */
        }
        int status;
        if (waitpid(v->driver_pid, &status, WNOHANG) == v->driver_pid) {
            v->driver_pid = 0;
            *why = media_driver_failed(name, v, logpath);
            return KERR_MOUNT;
        }
        if (media_now_ms() > deadline) {
            *why = g_strdup_printf("%s did not mount the %s filesystem in time", name, v->fstype);
            return KERR_TIMEOUT;
        }
        if (stop && g_atomic_int_get(stop)) {
            *why = g_strdup("the check was stopped (medium removed or cancelled) while the "
                            "medium was being opened");
            return KERR_CANCELLED;
        }
    }
}

static int media_mount_fuse_jailed(struct media_volume *v, const struct media_fs *fs,
                                   const struct media_driver_cred *cr, const char *logpath,
                                   volatile gint *stop, char **why)
{
    const char *name = fs->fuse_argv[0];
    struct media_jail *j = g_new0(struct media_jail, 1);
    char *found = NULL, *driver = NULL, *shim = NULL;
    char **envp = NULL;
    char *argv[8] = {0};
    int fusefd = -1, sv[2] = {-1, -1}, logfd = -1, devnull = -1;
    int r = KERR_SYSTEM;
    struct stat st;

    if (media_jail_plan_mirrors(j, why) != 0)
        goto out;
    found = g_find_program_in_path(name);
    driver = found ? realpath(found, NULL) : NULL;
    if (!driver) {
        *why = g_strdup_printf("the %s filesystem driver %s is not installed (make deps)",
                               v->fstype, name);
        goto out;
    }
    if (!media_jail_holds(j, driver)) {
        *why = g_strdup_printf("%s is not below /usr: the driver's private root would not "
                               "hold it",
                               driver);
        goto out;
    }
    if (!(shim = media_shim_path(why)))
        goto out;
    if (fstat(v->loopfd, &st) != 0 || !S_ISBLK(st.st_mode)) {
        *why = g_strdup_printf("cannot use %s: not a block device", v->loopdev);
        goto out;
    }
    for (int i = 0; fs->fuse_argv[i]; i++) {
        if (!strcmp(fs->fuse_argv[i], "%D"))
            argv[i] = MEDIA_JAIL_DEV;
        else if (!strcmp(fs->fuse_argv[i], "%M"))
            argv[i] = MEDIA_JAIL_MNT;
        else
            argv[i] = (char *)fs->fuse_argv[i];
    }
    envp = g_get_environ();
    envp = g_environ_unsetenv(envp, "_FUSE_COMMFD");
    envp = g_environ_setenv(envp, "KIOSK_FUSE_FD", G_STRINGIFY(MEDIA_JAIL_FUSE_FD), TRUE);
    envp = g_environ_setenv(envp, "KIOSK_FUSE_SYNC_FD", G_STRINGIFY(MEDIA_JAIL_SYNC_FD), TRUE);
    fusefd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fusefd < 0) {
        *why = g_strdup_printf("cannot open /dev/fuse: %s", g_strerror(errno));
        goto out;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0 ||
        (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
        *why = g_strdup_printf("cannot start %s: %s", name, g_strerror(errno));
        goto out;
    }
    logfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    j->root = v->mountpoint;
    j->shim = shim;
    j->driver = driver;
    j->argv = argv;
    j->envp = envp;
    j->dev = st.st_rdev;
    j->uid = cr->uid;
    j->gid = cr->gid;
    snprintf(j->passwd, sizeof(j->passwd), "%s:x:%u:%u::/:/usr/sbin/nologin\n", cr->name,
             (unsigned)cr->uid, (unsigned)cr->gid);
    snprintf(j->group, sizeof(j->group), "%s:x:%u:\n", cr->name, (unsigned)cr->gid);
    j->parent = getpid();
    j->fusefd = fusefd;
    j->syncfd = sv[1];
    j->logfd = logfd;
    j->devnull = devnull;

    pid_t pid = fork();
    if (pid < 0) {
        *why = g_strdup_printf("cannot start %s: %s", name, g_strerror(errno));
        goto out;
    }
    if (pid == 0)
        media_jail_child(j);
    v->driver_pid = pid;
    close(sv[1]);
    sv[1] = -1;
    r = media_jail_wait(v, fs, cr, fusefd, sv[0], logpath, stop, why);
out:
    /* The driver holds the only /dev/fuse descriptor from now on (see above). */
    if (fusefd >= 0)
        close(fusefd);
    for (int i = 0; i < 2; i++)
        if (sv[i] >= 0)
            close(sv[i]);
    if (logfd >= 0)
        close(logfd);
    if (devnull >= 0)
        close(devnull);
    g_strfreev(envp);
    free(driver);
    g_free(found);
    g_free(shim);
    g_free(j);
    return r;
}

static int media_mount_fuse(struct media_volume *v, const struct media_fs *fs, const char *logpath,
                            volatile gint *stop, char **why)
{
    struct media_driver_cred cr;
    int r = media_driver_cred(fs, &cr, why);
    if (r != 0)
        return r;
    if (cr.as_self)
        return media_mount_fuse_root(v, fs, logpath, stop, why);
    return media_mount_fuse_jailed(v, fs, &cr, logpath, stop, why);
}

static int media_mount_kernel(struct media_volume *v, const struct media_fs *fs, char **why)
{
    unsigned long flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOSYMFOLLOW;
    if (mount(v->loopdev, v->mountpoint, fs->kernel_type, flags, fs->kernel_data) != 0) {
        *why = g_strdup_printf("the kernel could not mount the %s filesystem: %s", v->fstype,
                               g_strerror(errno));
        return KERR_MOUNT;
    }
    v->mounted = true;
    return 0;
}

static int media_mount_volume(struct media *m, struct media_volume *v, const struct policy *pol,
                              char **why)
{
    const struct media_fs *fs = media_fs_find(v->fstype);
    if (!fs) {
        *why = g_strdup_printf("the %s filesystem is not supported", v->fstype);
        return KERR_UNSUPPORTED_FS;
    }
    if (!policy_filesystem_allowed(pol, v->fstype)) {
        *why = g_strdup_printf("the %s filesystem is not allowed by policy", v->fstype);
        return KERR_UNSUPPORTED_FS;
    }
    v->mountpoint = g_strdup_printf("%s/%d", m->mnt_dir, v->index);
    if (mkdir(v->mountpoint, 0700) != 0 && errno != EEXIST) {
        *why = g_strdup_printf("cannot create mount point %s: %s", v->mountpoint,
                               g_strerror(errno));
        return KERR_SYSTEM;
    }
    if (pol->driver == POLICY_DRIVER_KERNEL)
        return media_mount_kernel(v, fs, why);
    char *logpath = g_strdup_printf("%s/%d.log", m->mnt_dir, v->index);
    int r = media_mount_fuse(v, fs, logpath, m->stop, why);
    g_free(logpath);
    return r;
}

static void media_fuse_abort(unsigned conn)
{
    char *p = g_strdup_printf("/sys/fs/fuse/connections/%u/abort", conn);
    int fd = open(p, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)!write(fd, "1", 1);
        close(fd);
    }
    g_free(p);
}

void media_abort(struct media *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_volumes; i++) {
        struct media_volume *v = &m->volumes[i];
        if (!v->mounted || v->driver_pid <= 0)
            continue;
        if (v->fuse_conn)
            media_fuse_abort(v->fuse_conn);
        /* Also where fusectl is not mounted: the driver holds the connection's only
         * /dev/fuse descriptor, so its end aborts the connection.  (Not reaped here:
         * media_close does, so the pid stays ours.) */
        kill(v->driver_pid, SIGKILL);
    }
}

static void media_volume_unmount(struct media_volume *v)
{
    /* A driver that gave up or was killed may still have left its mount behind: look. */
    if (v->mounted || (v->mountpoint && media_is_mounted(v->mountpoint, NULL))) {
        /* Lazy: a plain umount of a FUSE block mount waits for the driver, which may hang. */
        if (umount2(v->mountpoint, MNT_DETACH) != 0)
            log_warn("umount %s: %s", v->mountpoint, g_strerror(errno));
        v->mounted = false;
    }
    if (v->driver_pid > 0) {
        gint64 deadline = media_now_ms() + MEDIA_STOP_TIMEOUT_MS;
        int status;
        bool killed = false;
        for (;;) {
            pid_t w = waitpid(v->driver_pid, &status, WNOHANG);
            if (w == v->driver_pid || (w < 0 && errno == ECHILD))
                break;
            if (!killed && media_now_ms() > deadline) {
                log_warn("filesystem driver %d did not stop; killing it", (int)v->driver_pid);
                if (v->fuse_conn)
                    media_fuse_abort(v->fuse_conn);
                kill(v->driver_pid, SIGKILL);
                killed = true;
            }
            g_usleep(5000);
        }
        v->driver_pid = 0;
        if (v->mountpoint && media_is_mounted(v->mountpoint, NULL) &&
            umount2(v->mountpoint, MNT_DETACH) != 0)
            log_warn("umount %s: %s", v->mountpoint, g_strerror(errno));
    }
    if (v->mountpoint)
        (void)rmdir(v->mountpoint);
}

void media_close(struct media *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_volumes; i++) {
        struct media_volume *v = &m->volumes[i];
        if (m->kind != MEDIA_FOLDER)
            media_volume_unmount(v);
        media_loop_detach(&v->loopfd);
        media_volume_clear(v);
    }
    g_free(m->volumes);
    media_loop_detach(&m->baseloopfd);
    if (m->srcfd >= 0) {
        /* BLKROSET outlives a loop device's detach: the next image attached to the same
         * loop would start read-only for its user.  A loop attached read-only (testing
         * mode accepts no other) stays read-only anyway; USB disks keep the flag until
         * they go away. */
        struct stat st;
        int ro = 0;
        if (m->kind == MEDIA_BLOCK && fstat(m->srcfd, &st) == 0 && major(st.st_rdev) == LOOP_MAJOR)
            (void)ioctl(m->srcfd, BLKROSET, &ro);
        close(m->srcfd);
    }
    if (m->mnt_dir) {
        char *log;
        for (size_t i = 0; i < m->n_volumes; i++) {
            log = g_strdup_printf("%s/%zu.log", m->mnt_dir, i + 1);
            unlink(log);
            g_free(log);
        }
        (void)rmdir(m->mnt_dir);
    }
    g_free(m->mnt_dir);
    g_free(m->baseloop);
    g_free(m->source);
    g_free(m->pttype);
    g_free(m->vendor);
    g_free(m->model);
    g_free(m->serial);
    g_free(m);
}

static struct media_volume *media_add_volume(struct media *m)
{
    m->volumes = g_renew(struct media_volume, m->volumes, m->n_volumes + 1);
    struct media_volume *v = &m->volumes[m->n_volumes++];
    memset(v, 0, sizeof(*v));
    v->index = (int)m->n_volumes;
    v->loopfd = -1;
    return v;
}

static int media_open_folder(struct media *m, const char *source, char **why)
{
    struct stat st;
    if (stat(source, &st) != 0 || !S_ISDIR(st.st_mode)) {
        *why = g_strdup_printf("%s is not a folder", source);
        return KERR_INVAL;
    }
    struct media_volume *v = media_add_volume(m);
    v->mountpoint = g_strdup(source);
    v->fstype = g_strdup("folder");
    return 0;
}

/* Describe why a volume cannot be used, for the person and the log. */
static char *media_problem_text(int r, const struct media_volume *v)
{
    switch (r) {
    case KERR_NO_FS: return g_strdup("no filesystem (unformatted or unreadable)");
    case KERR_AMBIGUOUS: return g_strdup("more than one filesystem signature (ambiguous; refused)");
    case KERR_ENCRYPTED:
        return g_strdup_printf("encrypted volume (%s): it cannot be checked; copy the files to an "
                               "unencrypted stick", v->fstype);
    default: return g_strdup(kerr_str(r));
    }
}

int media_open(const char *source, const struct policy *pol, const char *run_dir,
               const char *session, volatile gint *stop, struct media **out, char **why)
{
    struct media *m = g_new0(struct media, 1);
    struct stat st;
    blkid_probe pr = NULL;
    int r;
    int first_err = 0;
    char *first_why = NULL;
    char *tag = g_strdup_printf(MEDIA_LOOP_TAG "%s", session);

    *out = NULL;
    *why = NULL;
    m->srcfd = -1;
    m->baseloopfd = -1;
    m->stop = stop;
    m->source = g_strdup(source);

    if (stat(source, &st) != 0) {
        *why = g_strdup_printf("cannot open %s: %s", source, g_strerror(errno));
        r = KERR_NOT_FOUND;
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        m->kind = MEDIA_FOLDER;
        r = media_open_folder(m, source, why);
        goto out;
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        *why = g_strdup_printf("%s is not a disk image, block device or folder", source);
        r = KERR_INVAL;
        goto out;
    }
    m->kind = S_ISBLK(st.st_mode) ? MEDIA_BLOCK : MEDIA_IMAGE;
    m->srcfd = open(source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (m->srcfd < 0) {
        *why = g_strdup_printf("cannot open %s: %s", source, g_strerror(errno));
        r = KERR_SYSTEM;
        goto out;
    }
    if (m->kind == MEDIA_BLOCK) {
        int ro = 1;
        /* Invariant 3: read-only before the first byte is read. */
        if (ioctl(m->srcfd, BLKROSET, &ro) != 0) {
            *why = g_strdup_printf("cannot set %s read-only: %s", source, g_strerror(errno));
            r = KERR_SYSTEM;
            goto out;
        }
        if (ioctl(m->srcfd, BLKGETSIZE64, &m->size) != 0)
            m->size = 0;
    } else {
        m->size = (uint64_t)st.st_size;
        m->baseloopfd = media_loop_attach(m->srcfd, 0, 0, tag, &m->baseloop);
        if (m->baseloopfd < 0) {
            *why = g_strdup_printf("cannot attach %s to a loop device: %s", source,
                                   g_strerror(errno));
            r = KERR_SYSTEM;
            goto out;
        }
    }
    m->mnt_dir = g_strdup_printf("%s/mnt/%s", run_dir, session);
    if (util_mkdir_p(m->mnt_dir, 0700) != 0) {
        *why = g_strdup_printf("cannot create %s: %s", m->mnt_dir, g_strerror(errno));
        r = KERR_SYSTEM;
        goto out;
    }

    int probefd = m->baseloopfd >= 0 ? m->baseloopfd : m->srcfd;
    pr = blkid_new_probe();
    if (!pr || blkid_probe_set_device(pr, probefd, 0, 0) != 0) {
        *why = g_strdup("cannot probe the medium");
        r = KERR_SYSTEM;
        goto out;
    }
    blkid_probe_enable_superblocks(pr, 1);
    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE);
    blkid_probe_enable_partitions(pr, 1);
    blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
    int rc = blkid_do_safeprobe(pr);
    if (rc == -2) {
        *why = g_strdup("the medium carries more than one filesystem or partition table "
                        "signature; it is refused because it could be read two ways");
        r = KERR_AMBIGUOUS;
        goto out;
    }
    if (rc < 0) {
        *why = g_strdup("the medium could not be read");
        r = KERR_MEDIUM;
        goto out;
    }
    m->pttype = rc == 0 ? media_probe_value(pr, "PTTYPE") : NULL;
    blkid_partlist pl = m->pttype ? blkid_probe_get_partitions(pr) : NULL;
    int nparts = pl ? blkid_partlist_numof_partitions(pl) : 0;

    if (nparts > 0) {
        uint64_t sector = 512;
        for (int i = 0; i < nparts; i++) {
            blkid_partition par = blkid_partlist_get_partition(pl, i);
            uint64_t start = (uint64_t)blkid_partition_get_start(par) * sector;
            uint64_t size = (uint64_t)blkid_partition_get_size(par) * sector;
            unsigned long long ptype = (unsigned long long)blkid_partition_get_type(par);
            /* Extended-partition containers hold no filesystem themselves. */
            if (blkid_partition_is_extended(par))
                continue;
            struct media_volume *v = media_add_volume(m);
            v->partno = blkid_partition_get_partno(par);
            v->offset = start;
            v->size = size;
            if (size == 0 || start >= m->size || size > m->size - start) {
                v->problem = g_strdup_printf("partition %d lies outside the medium (type 0x%llx)",
                                             v->partno, ptype);
                continue;
            }
            v->loopfd = media_loop_attach(m->srcfd, start, size, tag, &v->loopdev);
            if (v->loopfd < 0) {
                v->problem = g_strdup_printf("cannot attach partition %d: %s", v->partno,
                                             g_strerror(errno));
                continue;
            }
        }
    } else {
        char *type = rc == 0 ? media_probe_value(pr, "TYPE") : NULL;
        if (!type) {
            *why = g_strdup("the medium has no filesystem (it may be unformatted or damaged)");
            r = KERR_NO_FS;
            goto out;
        }
        g_free(type);
        struct media_volume *v = media_add_volume(m);
        v->size = m->size;
        /* A whole-disk filesystem: probe again through a loop of our own (images already
         * have one; a block device gets one so the FUSE driver never touches it rw). */
        v->loopfd = media_loop_attach(m->srcfd, 0, 0, tag, &v->loopdev);
        if (v->loopfd < 0) {
            *why = g_strdup_printf("cannot attach the medium: %s", g_strerror(errno));
            r = KERR_SYSTEM;
            goto out;
        }
    }
    blkid_free_probe(pr);
    pr = NULL;
    /* The whole-image loop was only for probing. */
    media_loop_detach(&m->baseloopfd);

    int mounted = 0;
    for (size_t i = 0; i < m->n_volumes; i++) {
        struct media_volume *v = &m->volumes[i];
        r = KERR_NO_FS;
        if (stop && g_atomic_int_get(stop)) {
            *why = g_strdup("the check was stopped (medium removed or cancelled) while the "
                            "medium was being opened");
            r = KERR_CANCELLED;
            goto out;
        }
        if (v->problem)
            goto problem;
        r = media_probe_fs(v->loopfd, v);
        if (r == 0 && media_is_encrypted(v->fstype))
            r = KERR_ENCRYPTED;
        if (r != 0) {
            v->problem = media_problem_text(r, v);
            goto problem;
        }
        char *mwhy = NULL;
        r = media_mount_volume(m, v, pol, &mwhy);
        if (r != 0) {
            v->problem = mwhy;
            media_volume_unmount(v);
            goto problem;
        }
        log_info("volume %d: %s%s%s mounted read-only at %s", v->index, v->fstype,
                 v->label ? " label " : "", v->label ? v->label : "", v->mountpoint);
        mounted++;
        continue;
    problem:
        log_warn("volume %d (partition %d): %s", v->index, v->partno, v->problem);
        if (!first_err) {
            first_err = r ? r : KERR_NO_FS;
            first_why = g_strdup(v->problem);
        }
        media_loop_detach(&v->loopfd);
    }
    if (mounted == 0) {
        r = first_err ? first_err : KERR_NO_FS;
        if (m->n_volumes > 1)
            *why = g_strdup_printf("no partition could be read; first problem: %s", first_why);
        else
            *why = g_strdup(first_why ? first_why : "no filesystem found");
        goto out;
    }
    r = 0;
out:
    if (pr)
        blkid_free_probe(pr);
    g_free(first_why);
    g_free(tag);
    if (r == 0) {
        *out = m;
        m = NULL; /* transferred */
    }
    media_close(m);
    return r;
}

int media_recover(const char *run_dir, GPtrArray *cleaned)
{
    char *prefix = g_strdup_printf("%s/mnt/", run_dir);
    char *data = NULL;
    int r = 0;
    if (!g_file_get_contents("/proc/self/mountinfo", &data, NULL, NULL)) {
        g_free(prefix);
        return KERR_SYSTEM;
    }
    char **lines = g_strsplit(data, "\n", -1);
    /* Deepest first so nested mounts go before their parents. */
    for (int i = (int)g_strv_length(lines) - 1; i >= 0; i--) {
        char **f = g_strsplit(lines[i], " ", 6);
        if (g_strv_length(f) >= 5 && g_str_has_prefix(f[4], prefix)) {
            if (umount2(f[4], MNT_DETACH) == 0) {
                if (cleaned)
                    g_ptr_array_add(cleaned, g_strdup_printf("unmounted stale %s", f[4]));
            } else {
                r = KERR_SYSTEM;
            }
        }
        g_strfreev(f);
    }
    g_strfreev(lines);
    g_free(data);
    g_free(prefix);
    return r;
}

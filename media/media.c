#include "media/media.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"
#include "reader/client.h"
#include "scanner/verdict.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <linux/major.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MEDIA_LOOP_TAG "kiosk:"
#define MEDIA_COPY_BUF (256 * 1024)
/* Entries of one folder the reader is asked for at most (the walk's limits come first). */
#define MEDIA_MAX_LISTING (4u * 1024 * 1024)

/* driver=kernel: how the kernel mounts each filesystem the reader identified. */
static const struct media_kernel_fs {
    const char *type; /* blkid TYPE */
    const char *kernel_type;
    const char *data;
} media_kernel_fs[] = {
    {"vfat", "vfat", "utf8,shortname=mixed"},
    {"exfat", "exfat", ""},
    {"ntfs", "ntfs3", ""},
    {"ext2", "ext2", ""},
    /* An ro mount still replays a dirty journal: noload. */
    {"ext3", "ext3", "noload"},
    {"ext4", "ext4", "noload"},
    {"hfsplus", "hfsplus", ""},
    {"iso9660", "iso9660", ""},
    {"udf", "udf", ""},
};

static const struct media_kernel_fs *media_kernel_find(const char *type)
{
    for (size_t i = 0; i < G_N_ELEMENTS(media_kernel_fs); i++)
        if (!g_strcmp0(media_kernel_fs[i].type, type))
            return &media_kernel_fs[i];
    return NULL;
}

/* ---- read-only loop devices (driver=kernel) ------------------------------------------ */

/* Attach FD (read-only) to a free loop device as read-only, at OFFSET for SIZE bytes.
 * Returns the loop fd (opened O_RDONLY) and its path. */
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
    (void)ioctl(*lfd, LOOP_CLR_FD, 0);
    close(*lfd);
    *lfd = -1;
}

/* The kernel mounts volume V (identified by the reader) read-only at MNT_DIR/INDEX. */
static int media_mount_kernel(struct media *m, struct media_volume *v, const char *tag, char **why)
{
    const struct media_kernel_fs *fs = media_kernel_find(v->fstype);
    if (!fs) {
        *why = g_strdup_printf("the %s filesystem is not supported", v->fstype);
        return KERR_UNSUPPORTED_FS;
    }
    v->loopfd = media_loop_attach(m->srcfd, v->offset, v->size, tag, &v->loopdev);
    if (v->loopfd < 0) {
        *why = g_strdup_printf("cannot attach volume %d to a loop device: %s", v->index,
                               g_strerror(errno));
        return KERR_SYSTEM;
    }
    v->mountpoint = g_strdup_printf("%s/%d", m->mnt_dir, v->index);
    if (mkdir(v->mountpoint, 0700) != 0 && errno != EEXIST) {
        *why =
            g_strdup_printf("cannot create mount point %s: %s", v->mountpoint, g_strerror(errno));
        return KERR_SYSTEM;
    }
    unsigned long flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOSYMFOLLOW;
    if (mount(v->loopdev, v->mountpoint, fs->kernel_type, flags, fs->data) != 0) {
        *why = g_strdup_printf("the kernel could not mount the %s filesystem: %s", v->fstype,
                               g_strerror(errno));
        return KERR_MOUNT;
    }
    v->mounted = true;
    /* Whatever options the driver understood, enforce the invariants on the mount. */
    struct mount_attr attr = {
        .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
                    MOUNT_ATTR_NOSYMFOLLOW,
    };
    if (mount_setattr(AT_FDCWD, v->mountpoint, 0, &attr, sizeof(attr)) != 0) {
        *why = g_strdup_printf("cannot restrict the mount of %s: %s", v->mountpoint,
                               g_strerror(errno));
        return KERR_MOUNT;
    }
    v->rootfd = open(v->mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (v->rootfd < 0) {
        *why = g_strdup_printf("cannot open %s: %s", v->mountpoint, g_strerror(errno));
        return KERR_MOUNT;
    }
    v->readable = true;
    log_info("volume %d: %s%s%s mounted read-only by the kernel at %s", v->index, v->fstype,
             v->label ? " label " : "", v->label ? v->label : "", v->mountpoint);
    return 0;
}

static void media_volume_close(struct media_volume *v)
{
    if (v->rootfd >= 0)
        close(v->rootfd);
    v->rootfd = -1;
    if (v->mounted && umount2(v->mountpoint, MNT_DETACH) != 0)
        log_warn("umount %s: %s", v->mountpoint, g_strerror(errno));
    if (v->loopdev && v->mountpoint)
        (void)rmdir(v->mountpoint);
    v->mounted = false;
    media_loop_detach(&v->loopfd);
    g_free(v->fstype);
    g_free(v->fsversion);
    g_free(v->label);
    g_free(v->uuid);
    g_free(v->loopdev);
    g_free(v->mountpoint);
    g_free(v->problem);
}

void media_abort(struct media *m)
{
    if (m && m->reader)
        reader_client_stop(m->reader);
}

void media_close(struct media *m)
{
    if (!m)
        return;
    reader_client_free(m->reader);
    for (size_t i = 0; i < m->n_volumes; i++)
        media_volume_close(&m->volumes[i]);
    g_free(m->volumes);
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
    if (m->mnt_dir)
        (void)rmdir(m->mnt_dir);
    if (m->tz)
        g_time_zone_unref(m->tz);
    g_free(m->mnt_dir);
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
    v->rootfd = -1;
    return v;
}

static int media_open_folder(struct media *m, const char *source, char **why)
{
    struct media_volume *v = media_add_volume(m);
    v->mountpoint = g_strdup(source);
    v->fstype = g_strdup("folder");
    v->rootfd = open(source, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (v->rootfd < 0) {
        *why = g_strdup_printf("cannot open %s: %s", source, g_strerror(errno));
        return KERR_SYSTEM;
    }
    v->readable = true;
    return 0;
}

/* ---- the reader ------------------------------------------------------------------------ */

/* Testing mode only: stop with the reader confined and waiting for its first request, so
 * a test can look at it in /proc (the gate's FIFOs are the test's). */
static void media_test_gate(struct media *m)
{
    const char *gate = m->test_hooks ? getenv("KIOSK_READER_TEST_GATE") : NULL;
    if (!gate || !m->reader)
        return;
    char *ready = g_build_filename(gate, "ready", NULL), *go = g_build_filename(gate, "go", NULL);
    int fd = open(ready, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        char line[32];
        int n = snprintf(line, sizeof(line), "%ld\n", (long)reader_client_pid(m->reader));
        (void)!write(fd, line, (size_t)n);
        close(fd);
        fd = open(go, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            char c;
            (void)!read(fd, &c, 1);
            close(fd);
        }
    }
    g_free(ready);
    g_free(go);
}

/* Each volume the reader reported, with its problem in words; the first problem's code. */
static int media_volume_problem(struct media_volume *v, const struct reader_client_volume *rv,
                                char **problem)
{
    const char *text = rv->problem;
    switch (rv->status) {
    case READER_VOLUME_NO_FS:
        *problem = g_strdup("no filesystem (unformatted or unreadable)");
        return KERR_NO_FS;
    case READER_VOLUME_AMBIGUOUS:
        *problem = g_strdup("more than one filesystem signature (ambiguous; refused)");
        return KERR_AMBIGUOUS;
    case READER_VOLUME_ENCRYPTED:
        *problem = g_strdup_printf("encrypted volume (%s): it cannot be checked; copy the files "
                                   "to an unencrypted stick",
                                   v->fstype);
        return KERR_ENCRYPTED;
    case READER_VOLUME_UNSUPPORTED:
        *problem =
            g_strdup_printf("the %s filesystem is not supported%s", v->fstype,
                            !g_strcmp0(v->fstype, "udf")
                                ? " (the kiosk reads it only with the policy's driver=kernel)"
                                : "");
        return KERR_UNSUPPORTED_FS;
    case READER_VOLUME_NOT_ALLOWED:
        *problem = g_strdup_printf("the %s filesystem is not allowed by policy", v->fstype);
        return KERR_UNSUPPORTED_FS;
    case READER_VOLUME_OUTSIDE:
        *problem = g_strdup_printf("partition %d lies outside the medium", v->partno);
        return KERR_NO_FS;
    case READER_VOLUME_UNREADABLE:
        *problem = g_strdup_printf("the %s filesystem could not be read (damaged?)%s%s",
                                   v->fstype ? v->fstype : "", text ? ": " : "", text ? text : "");
        return KERR_MEDIUM;
    default:
        return 0;
    }
}

static uint32_t media_fs_mask(const struct policy *pol)
{
    uint32_t mask = 0;
    for (int fs = READER_FS_NONE + 1; fs < READER_FS_END; fs++)
        if (policy_filesystem_allowed(pol, reader_fs_name((enum reader_fs)fs)))
            mask |= 1u << fs;
    return mask;
}

/* The probe's verdict on the whole medium: 0, or why nothing on it can be read. */
static int media_medium_status(const struct reader_client_medium *med, char **why)
{
    switch (med->status) {
    case READER_MEDIUM_OK:
        return 0;
    case READER_MEDIUM_AMBIGUOUS:
        *why = g_strdup("the medium carries more than one filesystem or partition table "
                        "signature; it is refused because it could be read two ways");
        return KERR_AMBIGUOUS;
    case READER_MEDIUM_NO_FS:
        *why = med->text ? g_strdup_printf("the medium has no filesystem (%s)", med->text)
                         : g_strdup("the medium has no filesystem (it may be unformatted or "
                                    "damaged)");
        return KERR_NO_FS;
    default:
        *why = g_strdup_printf("the medium could not be read%s%s", med->text ? ": " : "",
                               med->text ? med->text : "");
        return KERR_MEDIUM;
    }
}

/* One volume the reader found: read by the reader, mounted by the kernel (KERNEL), or
 * kept with its problem. */
static void media_add_reader_volume(struct media *m, const struct reader_client_volume *rv,
                                    bool kernel, const char *tag)
{
    struct media_volume *v = media_add_volume(m);
    v->partno = (int)rv->partno;
    v->offset = rv->offset;
    v->size = rv->size;
    v->fstype = g_strdup(rv->fstype);
    v->fsversion = g_strdup(rv->fsversion);
    v->label = g_strdup(rv->label);
    v->uuid = g_strdup(rv->uuid);
    v->root = rv->root;
    v->root_id = rv->root_id;
    v->local_times = (rv->flags & READER_VOLUME_LOCAL_TIMES) != 0;
    media_volume_problem(v, rv, &v->problem);
    if (rv->status == READER_VOLUME_OK && !kernel) {
        v->readable = true;
        log_info("volume %d: %s%s%s read by the medium reader", v->index, v->fstype,
                 v->label ? " label " : "", v->label ? v->label : "");
    } else if (rv->status == READER_VOLUME_IDENTIFIED && kernel) {
        char *mwhy = NULL;
        if (media_mount_kernel(m, v, tag, &mwhy) != 0)
            v->problem = mwhy;
    } else if (!v->problem) {
        v->problem = g_strdup("the medium reader answered nonsense for this volume");
    }
}

static int media_open_reader(struct media *m, const struct policy *pol, const struct media_conf *mc,
                             const char *tag, char **why)
{
    unsigned sector = 512;
    int ssz = 0;
    if (m->kind == MEDIA_BLOCK && ioctl(m->srcfd, BLKSSZGET, &ssz) == 0 && ssz >= 512 &&
        ssz <= 65536 && ssz % 512 == 0)
        sector = (unsigned)ssz;
    char *root = g_build_filename(mc->run_dir, "reader-root", NULL);
    if (geteuid() == 0 && util_mkdir_p(root, 0755) != 0) {
        *why = g_strdup_printf("cannot create %s: %s", root, g_strerror(errno));
        g_free(root);
        return KERR_SYSTEM;
    }
    struct reader_client_conf conf = {.user = mc->reader_user && *mc->reader_user ? mc->reader_user
                                                                                  : NULL,
                                      .root_dir = root,
                                      .test_hooks = mc->test_hooks,
                                      .stop = m->stop};
    int rc = reader_client_start(m->srcfd, m->size, sector, &conf, &m->reader, why);
    g_free(root);
    if (rc != 0)
        return rc;
    media_test_gate(m);
    if (m->stop && g_atomic_int_get(m->stop)) {
        *why = g_strdup("the check was stopped (medium removed or cancelled) while the medium "
                        "was being opened");
        return KERR_CANCELLED;
    }

    struct reader_client_medium med;
    bool kernel = pol->driver == POLICY_DRIVER_KERNEL;
    rc = reader_client_probe(m->reader, media_fs_mask(pol), kernel ? READER_PROBE_IDENTIFY_ONLY : 0,
                             &med, why);
    if (rc != 0)
        return rc == KERR_CANCELLED ? rc : KERR_MEDIUM;
    rc = media_medium_status(&med, why);
    if (rc != 0) {
        reader_client_medium_clear(&med);
        return rc;
    }
    m->pttype = g_strdup(med.pttype);
    for (uint32_t i = 0; i < med.n_volumes; i++)
        media_add_reader_volume(m, &med.volumes[i], kernel, tag);
    reader_client_medium_clear(&med);
    if (kernel) {
        /* The kernel reads the volumes from here on. */
        reader_client_free(m->reader);
        m->reader = NULL;
    }
    return 0;
}

/* The code of the first volume's problem, for a medium of which nothing can be read. */
static int media_first_problem_code(const struct media_volume *v)
{
    static const struct {
        const char *start;
        int code;
    } map[] = {
        {"no filesystem", KERR_NO_FS},        {"more than one", KERR_AMBIGUOUS},
        {"encrypted", KERR_ENCRYPTED},        {"partition", KERR_NO_FS},
        {"the kernel could not", KERR_MOUNT},
    };
    for (size_t i = 0; v->problem && i < G_N_ELEMENTS(map); i++)
        if (g_str_has_prefix(v->problem, map[i].start))
            return map[i].code;
    if (v->problem && strstr(v->problem, "not supported"))
        return KERR_UNSUPPORTED_FS;
    if (v->problem && strstr(v->problem, "not allowed by policy"))
        return KERR_UNSUPPORTED_FS;
    return KERR_MEDIUM;
}

/* SOURCE opened read-only into M: a folder as it is; an image or a block device by fd, a
 * block device set read-only first (invariant 3); the mount folder for driver=kernel. */
static int media_open_source(struct media *m, const char *source, const struct policy *pol,
                             const char *run_dir, const char *session, char **why)
{
    struct stat st;
    if (stat(source, &st) != 0) {
        *why = g_strdup_printf("cannot open %s: %s", source, g_strerror(errno));
        return KERR_NOT_FOUND;
    }
    if (S_ISDIR(st.st_mode)) {
        m->kind = MEDIA_FOLDER;
        return media_open_folder(m, source, why);
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        *why = g_strdup_printf("%s is not a disk image, block device or folder", source);
        return KERR_INVAL;
    }
    m->kind = S_ISBLK(st.st_mode) ? MEDIA_BLOCK : MEDIA_IMAGE;
    m->srcfd = open(source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (m->srcfd < 0) {
        *why = g_strdup_printf("cannot open %s: %s", source, g_strerror(errno));
        return KERR_SYSTEM;
    }
    if (m->kind == MEDIA_BLOCK) {
        int ro = 1;
        /* Invariant 3: read-only before the first byte is read. */
        if (ioctl(m->srcfd, BLKROSET, &ro) != 0) {
            *why = g_strdup_printf("cannot set %s read-only: %s", source, g_strerror(errno));
            return KERR_SYSTEM;
        }
        if (ioctl(m->srcfd, BLKGETSIZE64, &m->size) != 0)
            m->size = 0;
    } else {
        m->size = (uint64_t)st.st_size;
    }
    if (pol->driver == POLICY_DRIVER_KERNEL) {
        m->mnt_dir = g_strdup_printf("%s/mnt/%s", run_dir, session);
        if (util_mkdir_p(m->mnt_dir, 0700) != 0) {
            *why = g_strdup_printf("cannot create %s: %s", m->mnt_dir, g_strerror(errno));
            return KERR_SYSTEM;
        }
    }
    return 0;
}

/* 0 if at least one volume can be read; otherwise the first problem, as code and text. */
static int media_check_readable(const struct media *m, char **why)
{
    int readable = 0;
    const struct media_volume *first = NULL;
    for (size_t i = 0; i < m->n_volumes; i++) {
        const struct media_volume *v = &m->volumes[i];
        if (v->readable) {
            readable++;
        } else {
            log_warn("volume %d (partition %d): %s", v->index, v->partno, v->problem);
            if (!first)
                first = v;
        }
    }
    if (readable > 0)
        return 0;
    if (m->n_volumes > 1)
        *why = g_strdup_printf("no partition could be read; first problem: %s", first->problem);
    else
        *why = g_strdup(first ? first->problem : "no filesystem found");
    return first ? media_first_problem_code(first) : KERR_NO_FS;
}

int media_open(const char *source, const struct policy *pol, const struct media_conf *conf,
               const char *session, volatile gint *stop, struct media **out, char **why)
{
    struct media *m = g_new0(struct media, 1);
    char *tag = g_strdup_printf(MEDIA_LOOP_TAG "%s", session);
    *out = NULL;
    *why = NULL;
    m->srcfd = -1;
    m->stop = stop;
    m->source = g_strdup(source);
    m->tz = g_time_zone_new_local();
    m->test_hooks = conf->test_hooks;
    int r = media_open_source(m, source, pol, conf->run_dir, session, why);
    if (r == 0 && m->kind != MEDIA_FOLDER)
        r = media_open_reader(m, pol, conf, tag, why);
    if (r == 0 && m->kind != MEDIA_FOLDER)
        r = media_check_readable(m, why);
    g_free(tag);
    if (r == 0) {
        *out = m;
        m = NULL; /* transferred */
    }
    media_close(m);
    return r;
}

/* ---- listing ------------------------------------------------------------------------------ */

int64_t media_local_to_utc(struct media *m, int64_t naive)
{
    GDateTime *u = g_date_time_new_from_unix_utc(naive);
    if (!u)
        return naive;
    GDateTime *l = g_date_time_new(m->tz, g_date_time_get_year(u), g_date_time_get_month(u),
                                   g_date_time_get_day_of_month(u), g_date_time_get_hour(u),
                                   g_date_time_get_minute(u), g_date_time_get_second(u));
    int64_t t = l ? g_date_time_to_unix(l) : naive;
    if (l)
        g_date_time_unref(l);
    g_date_time_unref(u);
    return t;
}

struct media_list {
    struct media *m;
    struct media_volume *v;
    GPtrArray *items;
    char *last; /* name of the last entry that is not a stream */
};

static enum walk_type media_walk_type(uint32_t t)
{
    static const enum walk_type map[READER_T_END] = {
        [READER_T_REG] = WALK_REG,       [READER_T_DIR] = WALK_DIR,
        [READER_T_LNK] = WALK_LNK,       [READER_T_CHR] = WALK_CHR,
        [READER_T_BLK] = WALK_BLK,       [READER_T_FIFO] = WALK_FIFO,
        [READER_T_SOCK] = WALK_SOCK,     [READER_T_OTHER] = WALK_OTHER,
        [READER_T_STREAM] = WALK_STREAM, [READER_T_DAMAGED] = WALK_DAMAGED,
    };
    return t < READER_T_END && map[t] ? map[t] : WALK_OTHER;
}

/* One entry from the reader (already checked by the client) as a walk item. */
static int media_list_entry(const struct reader_entry *e, const char *name, size_t len, void *data)
{
    struct media_list *l = data;
    struct walk_item *it = g_new0(struct walk_item, 1);
    (void)len;
    it->type = media_walk_type(e->type);
    if (it->type == WALK_STREAM) {
        /* A stream belongs to the entry before it: "report.pdf:hidden". */
        it->name = g_strconcat(l->last ? l->last : "", ":", name, NULL);
    } else if (!g_strcmp0(l->v->fstype, "hfsplus") && g_utf8_validate(name, -1, NULL)) {
        /* HFS+ stores names decomposed (NFD); macOS shows them composed. */
        it->name = g_utf8_normalize(name, -1, G_NORMALIZE_DEFAULT_COMPOSE);
    } else {
        it->name = g_strdup(name);
    }
    if (it->type != WALK_STREAM) {
        g_free(l->last);
        l->last = g_strdup(it->name);
    }
    it->size = e->size;
    it->ino = e->inode;
    it->id = e->id;
    it->nlink = e->nlink;
    bool local = (e->flags & READER_E_LOCALTIME) && l->v->local_times;
    if (e->flags & READER_E_MTIME) {
        it->has_mtime = true;
        it->mtime = local ? media_local_to_utc(l->m, e->mtime) : e->mtime;
        it->mtime_ns = e->mtime_ns;
    }
    if (e->flags & READER_E_CRTIME) {
        it->has_crtime = true;
        it->crtime = local ? media_local_to_utc(l->m, e->crtime) : e->crtime;
        it->crtime_ns = e->crtime_ns;
    }
    g_ptr_array_add(l->items, it);
    return 0;
}

static int media_list(void *data, uint64_t dir, uint64_t max, GPtrArray *items, char **why)
{
    struct media_list *l = data;
    char *rwhy = NULL;
    l->items = items;
    g_clear_pointer(&l->last, g_free);
    int rc =
        reader_client_listdir(l->m->reader, (uint32_t)l->v->index, dir,
                              (uint32_t)MIN(max, MEDIA_MAX_LISTING), media_list_entry, l, &rwhy);
    if (rc != 0 && rc != KERR_LIMIT)
        *why = g_strdup_printf("folder could not be read: %s", rwhy ? rwhy : kerr_str(rc));
    g_free(rwhy);
    return rc;
}

int media_walk(struct media *m, struct media_volume *v, const struct policy *pol,
               const struct walk_limits *lim, struct walk_stats *stats, GPtrArray *entries,
               char **why)
{
    if (!v->readable) {
        *why = g_strdup_printf("volume %d is not readable", v->index);
        return KERR_INVAL;
    }
    if (v->mountpoint)
        return walk_volume(v->mountpoint, v->index, pol, lim, stats, entries, why);
    struct media_list l = {.m = m, .v = v};
    struct walk_source src = {.list = media_list, .data = &l};
    int rc = walk_source(&src, v->root, v->root_id, v->index, pol, lim, stats, entries, why);
    g_free(l.last);
    return rc;
}

/* ---- reading a file ------------------------------------------------------------------------ */

static int media_openat2(int rootfd, const char *path)
{
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK;
    /* Invariant 4: no symlink anywhere in the path, nothing outside the volume. */
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/* A mounted volume or a folder: open beneath its root, check it is what the walk saw. */
static int media_read_mounted(struct media_volume *v, const struct walk_entry *e,
                              media_sink_fn sink, void *data, char **why)
{
    int src = media_openat2(v->rootfd, e->path);
    if (src < 0) {
        *why = g_strdup_printf("could not be opened on the medium: %s", g_strerror(errno));
        return KERR_MEDIUM;
    }
    struct stat st;
    if (fstat(src, &st) != 0 || !S_ISREG(st.st_mode) || st.st_dev != e->dev ||
        st.st_ino != e->ino) {
        *why = g_strdup("the file changed while the medium was checked");
        close(src);
        return KERR_CORRUPT;
    }
    /* Back to blocking reads (O_NONBLOCK only guarded the open against FIFOs). */
    fcntl(src, F_SETFL, 0);
    (void)posix_fadvise(src, 0, 0, POSIX_FADV_SEQUENTIAL);
    char *buf = g_malloc(MEDIA_COPY_BUF);
    uint64_t total = 0;
    int rc = 0;
    for (;;) {
        ssize_t n = read(src, buf, MEDIA_COPY_BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *why = g_strdup_printf("the medium could not be read (was it removed?): %s",
                                   g_strerror(errno));
            rc = KERR_MEDIUM;
            break;
        }
        if (n == 0)
            break;
        total += (uint64_t)n;
        if ((rc = sink(buf, (size_t)n, data)) != 0)
            break;
    }
    if (rc == 0 && total != e->size) {
        *why = g_strdup_printf("the file changed size while it was read (%ju bytes expected, %ju "
                               "read)",
                               (uintmax_t)e->size, (uintmax_t)total);
        rc = KERR_CORRUPT;
    }
    g_free(buf);
    close(src);
    return rc;
}

int media_read_file(struct media *m, const struct walk_entry *e, media_sink_fn sink, void *data,
                    char **why)
{
    if (e->volume < 1 || (size_t)e->volume > m->n_volumes) {
        *why = g_strdup("no such volume");
        return KERR_INVAL;
    }
    struct media_volume *v = &m->volumes[e->volume - 1];
    if (v->rootfd >= 0)
        return media_read_mounted(v, e, sink, data, why);
    if (!m->reader) {
        *why = g_strdup("the medium is closed");
        return KERR_INVAL;
    }
    char *rwhy = NULL;
    int rc = reader_client_read(m->reader, (uint32_t)e->volume, (uint64_t)e->ino, e->size, sink,
                                data, &rwhy);
    if (rc != 0 && rwhy)
        *why = g_strdup_printf("could not be read from the medium: %s", rwhy);
    g_free(rwhy);
    return rc;
}

/* The texts media_read_file (above) and media_read_mounted write, by their fixed start. */
static const struct {
    const char *prefix;
    const char *code; /* its one parameter is the rest of the text, or none ("" prefix) */
} media_read_reasons[] = {
    {"could not be opened on the medium: ", "scan.error-open"},
    {"the medium could not be read (was it removed?): ", "scan.error-medium-gone"},
    {"could not be read from the medium: ", "scan.error-read"},
};

void media_read_reason(const char *why, struct verdict *v)
{
    uintmax_t want, got;
    if (!why) {
        verdict_setr(v, VERDICT_ERROR, "scan.error-read-unknown", NULL);
        return;
    }
    if (strcmp(why, "the file changed while the medium was checked") == 0) {
        verdict_setr(v, VERDICT_ERROR, "scan.file-changed", NULL);
        return;
    }
    if (sscanf(why, "the file changed size while it was read (%ju bytes expected, %ju read)",
               &want, &got) == 2) {
        char a[24], b[24];
        snprintf(a, sizeof(a), "%ju", want);
        snprintf(b, sizeof(b), "%ju", got);
        verdict_setr(v, VERDICT_ERROR, "scan.changed-size", a, b, NULL);
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(media_read_reasons); i++)
        if (g_str_has_prefix(why, media_read_reasons[i].prefix)) {
            verdict_setr(v, VERDICT_ERROR, media_read_reasons[i].code,
                         why + strlen(media_read_reasons[i].prefix), NULL);
            return;
        }
    verdict_setr(v, VERDICT_ERROR, "scan.error-medium", why, NULL);
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

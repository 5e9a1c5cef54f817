/* confine.c - the medium reader's confinement (confine.h), in the order written there. */
#include "reader/confine.h"
#include "common/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/fs.h>
#include <linux/cdrom.h>
#include <linux/blkzoned.h>
#include <linux/fd.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Root: nothing of the file system is left to see.  The tmpfs is empty and read-only. */
static int confine_root(const struct reader_confine_conf *c, char *why, size_t whylen)
{
    errno = 0;
    if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) != 0)
        return confine_fail(why, whylen, "unshare(mount, net, ipc, uts)");
    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        return confine_fail(why, whylen, "making mounts private");
    if (mount("kiosk-reader", c->root, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "size=4k,nr_inodes=2,mode=0555") != 0)
        return confine_fail(why, whylen, "mounting an empty tmpfs on %s", c->root);
    if (chdir(c->root) != 0 || chroot(".") != 0 || chdir("/") != 0)
        return confine_fail(why, whylen, "chroot into %s", c->root);
    return 0;
}

static int confine_limits(const struct reader_confine_conf *c, uint64_t vm, bool root, char *why,
                          size_t whylen)
{
    const struct {
        int resource;
        uint64_t value;
        const char *name;
        bool root_only;
    } limits[] = {
        {RLIMIT_CORE, 0, "RLIMIT_CORE", false},
        {RLIMIT_NOFILE, 16, "RLIMIT_NOFILE", false},
        {RLIMIT_AS, vm + c->as_headroom, "RLIMIT_AS", false},
        /* No new process of its user (seccomp refuses fork anyway). */
        {RLIMIT_NPROC, 0, "RLIMIT_NPROC", true},
    };
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        if (limits[i].root_only && !root)
            continue;
        if (limits[i].resource == RLIMIT_AS &&
            (vm == 0 || c->as_headroom == 0 || confine_under_valgrind(NULL)))
            continue;
        if (confine_limit(limits[i].resource, limits[i].value, limits[i].name, why, whylen) != 0)
            return -1;
    }
    return 0;
}

/* The system calls reading a medium needs, found by running every filesystem test image
 * (FAT12/16/32, exFAT, NTFS, ext2/3/4, HFS+, ISO 9660, partition tables, a block device,
 * the damaged and hostile images) through the reader under strace: after the filter is
 * loaded it calls read, lseek, pread64 and posix_fadvise (libblkid, libtsk) on the medium,
 * fstat of the medium, a few ioctls on it, sendmsg/recvmsg on its channel, brk, mmap and
 * munmap, futex, getpid, exit_group; openat (libblkid looks for /sys files) fails.  The
 * rest below is what glibc's allocator and stdio may need.  Anything else kills the
 * reader, which the service reports as "the medium could not be read". */
static const int confine_allowed[] = {
    /* memory (mmap/mprotect: without PROT_EXEC, below) */
    SCMP_SYS(brk),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(madvise),
    /* libtsk's locks are pthread mutexes; time (vDSO, or the system call) */
    SCMP_SYS(futex),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(getpid),
    SCMP_SYS(exit_group),
};

/* Read-only questions libblkid asks a block device: sizes, alignment, zones, whether it
 * is a floppy or a CD-ROM.  Any other ioctl on the medium kills the reader. */
static const unsigned long confine_ioctls[] = {
    BLKGETSIZE64,
    BLKGETSIZE,
    BLKSSZGET,
    BLKPBSZGET,
    BLKIOMIN,
    BLKIOOPT,
    BLKALIGNOFF,
    BLKGETZONESZ,
    BLKRAGET,
    BLKROGET,
    FDGETPRM,
    FDGETFDCSTAT,
    CDROM_GET_CAPABILITY,
    CDROM_DRIVE_STATUS,
    CDROMMULTISESSION,
    CDROM_LAST_WRITTEN,
};

static int confine_seccomp(const struct reader_confine_conf *c, char *why, size_t whylen)
{
    int rc = 0;
    const char *what = "seccomp_init";
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx) {
        errno = ENOMEM;
        return confine_fail(why, whylen, "seccomp_init");
    }
    what = "seccomp_rule_add";
    for (size_t i = 0; i < sizeof(confine_allowed) / sizeof(confine_allowed[0]); i++) {
        if (confine_allowed[i] < 0)
            continue; /* not a system call on this architecture */
        if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, confine_allowed[i], 0)) != 0)
            goto out;
    }
    /* Reading: the medium only (fstat also of stderr, which stdio asks). */
    static const int reads[] = {SCMP_SYS(pread64),   SCMP_SYS(read),      SCMP_SYS(lseek),
                                SCMP_SYS(preadv),    SCMP_SYS(fadvise64), SCMP_SYS(fstat),
                                SCMP_SYS(newfstatat)};
    for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
        if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, reads[i], 1,
                                   SCMP_A0(SCMP_CMP_EQ, c->medium_fd))) != 0)
            goto out;
    static const int stats[] = {SCMP_SYS(fstat), SCMP_SYS(newfstatat)};
    for (size_t i = 0; i < 2; i++)
        if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, stats[i], 1, SCMP_A0(SCMP_CMP_EQ, 2))) != 0)
            goto out;
    /* Messages on the channel; diagnostics on stderr. */
    if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1,
                               SCMP_A0(SCMP_CMP_EQ, c->channel_fd))) != 0 ||
        (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(recvmsg), 1,
                               SCMP_A0(SCMP_CMP_EQ, c->channel_fd))) != 0 ||
        (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, 2))) !=
            0 ||
        (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(writev), 1,
                               SCMP_A0(SCMP_CMP_EQ, 2))) != 0)
        goto out;
    /* No executable mappings (EPERM, so a dlopen would fail cleanly). */
    if ((rc = confine_seccomp_no_exec(ctx)) != 0)
        goto out;
    /* Block device questions on the medium; on other descriptors (stdio's isatty):
     * "not a terminal".  (A rule without conditions would override the others.) */
    for (size_t i = 0; i < sizeof(confine_ioctls) / sizeof(confine_ioctls[0]); i++)
        if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 2,
                                   SCMP_A0(SCMP_CMP_EQ, c->medium_fd),
                                   SCMP_A1(SCMP_CMP_EQ, confine_ioctls[i]))) != 0)
            goto out;
    if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOTTY), SCMP_SYS(ioctl), 1,
                               SCMP_A0(SCMP_CMP_NE, c->medium_fd))) != 0)
        goto out;
    /* Nothing can be opened: libblkid looks for /sys files, glibc for time zone files. */
    static const int opens[] = {SCMP_SYS(open), SCMP_SYS(openat)};
    for (size_t i = 0; i < 2; i++)
        if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), opens[i], 0)) != 0)
            goto out;
    what = "seccomp_load";
    rc = seccomp_load(ctx);
out:
    seccomp_release(ctx);
    if (rc != 0) {
        errno = -rc;
        return confine_fail(why, whylen, "%s", what);
    }
    return 0;
}

int reader_confine(const struct reader_confine_conf *c, char *why, size_t whylen)
{
    bool root = geteuid() == 0;
    uint64_t vm = confine_vm_size();

    why[0] = '\0';
    /* Times as stored: a FAT time is wall-clock time, reported as such (no zone file is
     * needed for a POSIX TZ string). */
    setenv("TZ", "UTC0", 1);
    tzset();
    if (root && confine_root(c, why, whylen) != 0)
        return -1;
    if (confine_limits(c, vm, root, why, whylen) != 0)
        return -1;
    if (root && c->drop_user && confine_drop_user(c->uid, c->gid, why, whylen) != 0)
        return -1;
    if (confine_no_privs(why, whylen) != 0)
        return -1;
    /* No PR_SET_PDEATHSIG: it fires when the *thread* that started the reader ends (a
     * session thread that replaced a crashed reader), not the service.  A reader whose
     * service is gone reads EOF on its channel, or fails to send, and exits. */
    if (c->parent > 0 && getppid() != c->parent) {
        errno = 0;
        return confine_fail(why, whylen, "the service is gone");
    }
    if (confine_under_valgrind("kiosk reader: under valgrind, no seccomp filter\n"))
        return 0;
    return confine_seccomp(c, why, whylen);
}

#include "scanner/sandbox.h"
#include "common/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

void sandbox_worker_dir(pid_t pid, char *buf, size_t len)
{
    snprintf(buf, len, "w%ld", (long)pid);
}

/* Root: the worker's file system view becomes one empty tmpfs, private to it. */
static int sandbox_private_tmp(const struct sandbox_conf *c, char *why, size_t whylen)
{
    char opts[128];

    errno = 0;
    if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) != 0)
        return confine_fail(why, whylen, "unshare(mount, net, ipc, uts)");
    if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
        return confine_fail(why, whylen, "making mounts private");
    snprintf(opts, sizeof(opts), "size=%llu,nr_inodes=65536,mode=0700,uid=%u,gid=%u",
             (unsigned long long)c->tmp_size, (unsigned)(c->drop_user ? c->uid : getuid()),
             (unsigned)(c->drop_user ? c->gid : getgid()));
    if (mount("kiosk-scan-tmp", c->tmp_path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) != 0)
        return confine_fail(why, whylen, "mounting a tmpfs on %s", c->tmp_path);
    /* The cwd still points below the mount: enter the new tmpfs, then make it "/". */
    if (chdir(c->tmp_path) != 0 || chroot(".") != 0 || chdir("/") != 0)
        return confine_fail(why, whylen, "chroot into %s", c->tmp_path);
    return 0;
}

/* Unprivileged: a 0700 folder of its own, and Landlock (below) so that it is the only
 * place the worker can read or write.  (No network namespace: an unprivileged one needs a
 * user namespace with uid maps; seccomp refuses socket() anyway.) */
static int sandbox_private_dir(char *why, size_t whylen)
{
    char dir[32];
    sandbox_worker_dir(getpid(), dir, sizeof(dir));
    errno = 0;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return confine_fail(why, whylen, "mkdir %s", dir);
    if (chdir(dir) != 0)
        return confine_fail(why, whylen, "chdir %s", dir);
    return 0;
}

/* ---- Landlock (unprivileged workers) ----
 * Without root there is no chroot: a worker a crafted file took over could open anything
 * the user can, and write the user's files (seccomp allows open/unlink/rename, which
 * libclamav needs for its temporary files).  Landlock (Linux 5.13+, unprivileged) limits
 * every file system access to the worker's private folder: the file to scan arrives as a
 * descriptor, which Landlock does not restrict.  The kernel's ABI constants are defined
 * here so the build does not depend on the headers' age. */
#define SANDBOX_LL_CREATE_RULESET_VERSION (1U << 0)
#define SANDBOX_LL_RULE_PATH_BENEATH 1
#define SANDBOX_LL_FS_EXECUTE (1ULL << 0)
#define SANDBOX_LL_FS_V1 ((1ULL << 13) - 1) /* execute ... make_sym */
#define SANDBOX_LL_FS_MAKE_CHAR (1ULL << 6)
#define SANDBOX_LL_FS_MAKE_SOCK (1ULL << 9)
#define SANDBOX_LL_FS_MAKE_FIFO (1ULL << 10)
#define SANDBOX_LL_FS_MAKE_BLOCK (1ULL << 11)
#define SANDBOX_LL_FS_MAKE_SYM (1ULL << 12)
#define SANDBOX_LL_FS_REFER (1ULL << 13)     /* ABI 2 */
#define SANDBOX_LL_FS_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define SANDBOX_LL_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */

struct sandbox_ll_ruleset_attr {
    uint64_t handled_access_fs;
};

struct sandbox_ll_path_beneath {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

int sandbox_landlock_abi(void)
{
#ifdef SYS_landlock_create_ruleset
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, SANDBOX_LL_CREATE_RULESET_VERSION);
    return abi > 0 ? (int)abi : 0;
#else
    return 0;
#endif
}

/* Nothing of the file system but the current folder (the private one), and there no
 * execution and no special files.  Needs no_new_privs (set before). */
static int sandbox_landlock(char *why, size_t whylen)
{
#ifdef SYS_landlock_create_ruleset
    int abi = sandbox_landlock_abi();
    errno = 0;
    if (abi < 1) {
        errno = 0;
        return confine_fail(why, whylen,
                            "this kernel has no Landlock, so a scanner worker "
                            "started without root cannot be confined; run the "
                            "kiosk as root");
    }
    struct sandbox_ll_ruleset_attr attr = {.handled_access_fs = SANDBOX_LL_FS_V1};
    if (abi >= 2)
        attr.handled_access_fs |= SANDBOX_LL_FS_REFER;
    if (abi >= 3)
        attr.handled_access_fs |= SANDBOX_LL_FS_TRUNCATE;
    if (abi >= 5)
        attr.handled_access_fs |= SANDBOX_LL_FS_IOCTL_DEV;
    int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
    if (rs < 0)
        return confine_fail(why, whylen, "landlock_create_ruleset");
    struct sandbox_ll_path_beneath pb = {
        .allowed_access =
            attr.handled_access_fs &
            ~(SANDBOX_LL_FS_EXECUTE | SANDBOX_LL_FS_MAKE_CHAR | SANDBOX_LL_FS_MAKE_SOCK |
              SANDBOX_LL_FS_MAKE_FIFO | SANDBOX_LL_FS_MAKE_BLOCK | SANDBOX_LL_FS_MAKE_SYM |
              SANDBOX_LL_FS_IOCTL_DEV),
        .parent_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC),
    };
    int rc = 0;
    if (pb.parent_fd < 0) {
        rc = confine_fail(why, whylen, "opening the private folder for Landlock");
    } else if (syscall(SYS_landlock_add_rule, rs, SANDBOX_LL_RULE_PATH_BENEATH, &pb, 0) != 0) {
        rc = confine_fail(why, whylen, "landlock_add_rule");
    } else if (syscall(SYS_landlock_restrict_self, rs, 0) != 0) {
        rc = confine_fail(why, whylen, "landlock_restrict_self");
    }
    if (pb.parent_fd >= 0)
        close(pb.parent_fd);
    close(rs);
    return rc;
#else
    errno = 0;
    return confine_fail(why, whylen,
                        "built without Landlock: a scanner worker started without "
                        "root cannot be confined; run the kiosk as root");
#endif
}

static int sandbox_limits(const struct sandbox_conf *c, uint64_t vm, char *why, size_t whylen)
{
    const struct {
        int resource;
        uint64_t value;
        const char *name;
    } limits[] = {
        {RLIMIT_CORE, 0, "RLIMIT_CORE"},
        {RLIMIT_NOFILE, c->nofile, "RLIMIT_NOFILE"},
        {RLIMIT_FSIZE, c->fsize, "RLIMIT_FSIZE"},
        {RLIMIT_AS, vm + c->as_headroom, "RLIMIT_AS"},
    };
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        if (limits[i].resource == RLIMIT_AS && (vm == 0 || c->as_headroom == 0))
            continue; /* unknown size (no /proc) or disabled */
        /* valgrind (make check under valgrind) has its own address-space layout: no AS;
         * confine_limit sets only the soft limit of open files there. */
        if (limits[i].resource == RLIMIT_AS && confine_under_valgrind(NULL))
            continue;
        if (confine_limit(limits[i].resource, limits[i].value, limits[i].name, why, whylen) != 0)
            return -1;
    }
    /* Writing past RLIMIT_FSIZE fails with EFBIG (libclamav reports an error) instead of
     * killing the worker with SIGXFSZ. */
    signal(SIGXFSZ, SIG_IGN);
    return 0;
}

/* The system calls a scan needs.  Found by running every clamav-testfiles sample and
 * the unit tests through a worker; anything else kills the worker (KILL_PROCESS), which
 * the service reports as "could not be scanned" (fail closed). */
static const int sandbox_allowed[] = {
    /* reading the file and libclamav's temporary files */
    SCMP_SYS(read),
    SCMP_SYS(readv),
    SCMP_SYS(pread64),
    SCMP_SYS(preadv),
    SCMP_SYS(write),
    SCMP_SYS(writev),
    SCMP_SYS(pwrite64),
    SCMP_SYS(lseek),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(stat),
    SCMP_SYS(lstat),
    SCMP_SYS(statx),
    SCMP_SYS(close),
    SCMP_SYS(dup),
    SCMP_SYS(fcntl),
    SCMP_SYS(ftruncate),
    SCMP_SYS(fsync),
    SCMP_SYS(fdatasync),
    /* libclamav's per-scan temp folder (confined by the chroot/private folder) */
    SCMP_SYS(openat),
    SCMP_SYS(open),
    SCMP_SYS(unlink),
    SCMP_SYS(unlinkat),
    SCMP_SYS(mkdir),
    SCMP_SYS(mkdirat),
    SCMP_SYS(rmdir),
    SCMP_SYS(rename),
    SCMP_SYS(renameat),
    SCMP_SYS(getdents64),
    SCMP_SYS(access),
    SCMP_SYS(faccessat),
    SCMP_SYS(faccessat2),
    SCMP_SYS(getcwd),
    SCMP_SYS(umask),
    SCMP_SYS(fchmod),
    SCMP_SYS(chmod),
    SCMP_SYS(fchmodat),
    /* memory (mmap/mprotect: see the PROT_EXEC rules below) */
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(brk),
    SCMP_SYS(madvise),
    /* threads' leftovers, time, randomness, exit */
    SCMP_SYS(futex),
    SCMP_SYS(sched_yield),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(time),
    SCMP_SYS(getrandom),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
#if defined(__SANITIZE_ADDRESS__)
    /* AddressSanitizer builds only (make check-asan): before every C++ throw ASan asks for
     * the alternate signal stack, and libqpdf throws (and catches) while it repairs a
     * damaged PDF.  Native builds never call it: the filter of the kiosk is unchanged. */
    SCMP_SYS(sigaltstack),
#endif
};

static int sandbox_seccomp(int sockfd, char *why, size_t whylen)
{
    int rc = 0;
    const char *what = "seccomp_init";
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx) {
        errno = ENOMEM;
        return confine_fail(why, whylen, "seccomp_init");
    }
    for (size_t i = 0; i < sizeof(sandbox_allowed) / sizeof(sandbox_allowed[0]); i++) {
        if (sandbox_allowed[i] < 0)
            continue; /* not a system call on this architecture */
        if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sandbox_allowed[i], 0)) != 0) {
            what = "seccomp_rule_add";
            goto out;
        }
    }
    what = "seccomp rules for mmap/mprotect/socket/ioctl";
    /* No executable mappings: a worker has no reason to create code.  Refused with EPERM
     * rather than a kill, so a dlopen() (iconv of a rare character set) fails cleanly. */
    if ((rc = confine_seccomp_no_exec(ctx)) != 0)
        goto out;
    /* Messages only on the worker's own socket (it has no way to get another). */
    if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(recvmsg), 1,
                               SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sockfd))) != 0 ||
        (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1,
                               SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sockfd))) != 0)
        goto out;
    /* isatty() probes from stdio: answer "not a terminal" instead of killing. */
    if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOTTY), SCMP_SYS(ioctl), 0)) != 0)
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

int sandbox_enter(const struct sandbox_conf *c, int sockfd, char *why, size_t whylen)
{
    uint64_t vm = confine_vm_size();

    why[0] = '\0';
    if (c->private_tmp) {
        if (sandbox_private_tmp(c, why, whylen) != 0)
            return -1;
    } else if (sandbox_private_dir(why, whylen) != 0) {
        return -1;
    }
    if (sandbox_limits(c, vm, why, whylen) != 0)
        return -1;
    if (c->drop_user && confine_drop_user(c->uid, c->gid, why, whylen) != 0)
        return -1;
    if (confine_no_privs(why, whylen) != 0)
        return -1;
    if (!c->private_tmp && sandbox_landlock(why, whylen) != 0)
        return -1;
    /* valgrind does not implement seccomp(2): a worker forked under valgrind (make check
     * under valgrind) runs without the filter.  Natively this is never true. */
    if (confine_under_valgrind("scanner worker: under valgrind, no seccomp filter\n"))
        return 0;
    return sandbox_seccomp(sockfd, why, whylen);
}

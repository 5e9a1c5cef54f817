/* confine.h - what the medium reader does to itself before it reads a byte of the medium.
 *
 * In order (each step needs what the next removes; docs/privsep.md, "The medium reader"):
 *   1. TZ=UTC0 (the reader reports times as the filesystem stores them; the service
 *      converts local FAT times with the kiosk's time zone);
 *   2. root only: new mount, network, IPC and UTS namespaces; an empty read-only tmpfs on
 *      ROOT, chroot into it;
 *   3. rlimits: RLIMIT_AS, RLIMIT_NOFILE, RLIMIT_CORE = 0, RLIMIT_NPROC = 0 (root only);
 *   4. root only: the reader user (setgroups, setresgid, setresuid; checked);
 *   5. PR_SET_DUMPABLE 0, PR_SET_NO_NEW_PRIVS 1;
 *   6. seccomp (libseccomp, default KILL_PROCESS): pread/read/lseek on the medium (fd 3),
 *      messages on the channel (fd 4), write on stderr, memory without PROT_EXEC, exit,
 *      and the few read-only block device ioctls libblkid asks; open/openat fail with
 *      EACCES (libblkid looks for sysfs files; there are none to find anyway). */
#ifndef KIOSK_READER_CONFINE_H
#define KIOSK_READER_CONFINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct reader_confine_conf {
    bool drop_user; /* setresuid/gid to uid/gid (needs root) */
    uid_t uid;
    gid_t gid;
    const char *root;     /* root: the folder its empty tmpfs root is mounted on */
    uint64_t as_headroom; /* RLIMIT_AS = address space at entry + this */
    pid_t parent;         /* the service: the reader dies with it */
    int medium_fd;        /* the only descriptor it may read and ask block device ioctls */
    int channel_fd;       /* the only one it may send and receive messages on */
};

/* Confine the calling (single-threaded) process.  0, or -1 with WHY. */
int reader_confine(const struct reader_confine_conf *c, char *why, size_t whylen);

#endif

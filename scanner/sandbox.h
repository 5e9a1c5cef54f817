/* sandbox.h - confine a freshly forked scanner worker before it sees any untrusted byte.
 *
 * Order (each step needs the privileges the next one removes):
 *   1. root only: private mount/network/IPC/UTS namespaces, a size-limited tmpfs on the
 *      pool's temp folder (owned by the scan user, nosuid/nodev/noexec), chroot into it;
 *      otherwise a private 0700 folder w<pid> in the pool's temp folder;
 *   2. rlimits: RLIMIT_AS, RLIMIT_FSIZE, RLIMIT_NOFILE, RLIMIT_CORE = 0;
 *   3. root only: drop to the scan user (setgroups, setresgid, setresuid; checked);
 *   4. PR_SET_DUMPABLE 0, PR_SET_NO_NEW_PRIVS 1;
 *      without root: Landlock, every file system access limited to the private folder
 *      (no Landlock in the kernel: the worker refuses to start; fail closed);
 *   5. seccomp filter (libseccomp, default KILL_PROCESS): only what cl_scandesc() needs,
 *      sendmsg/recvmsg only on the worker's socket, no PROT_EXEC mappings.
 * The working directory afterwards is the private temp folder; the engine's
 * CL_ENGINE_TMPDIR is "." so libclamav writes nowhere else. */
#ifndef KIOSK_SCANNER_SANDBOX_H
#define KIOSK_SCANNER_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sandbox_conf {
    bool drop_user; /* setresuid/gid to uid/gid (needs root) */
    uid_t uid;
    gid_t gid;
    bool private_tmp;     /* root: namespaces + tmpfs on tmp_path + chroot */
    char *tmp_path;       /* absolute; the worker's cwd when sandbox_enter() is called */
    uint64_t tmp_size;    /* tmpfs size, bytes */
    uint64_t fsize;       /* RLIMIT_FSIZE, bytes */
    uint64_t as_headroom; /* RLIMIT_AS = address space at entry + this */
    unsigned nofile;      /* RLIMIT_NOFILE */
};

/* Confine the calling process (single-threaded, forked for one worker).  SOCKFD is the
 * only socket it may talk on.  Returns 0, or -1 with a message in WHY. */
int sandbox_enter(const struct sandbox_conf *c, int sockfd, char *why, size_t whylen);

/* The kernel's Landlock ABI version, 0 when it has none (or it is disabled). */
int sandbox_landlock_abi(void);

/* Name of the worker's private temp folder inside tmp_path when private_tmp is off:
 * "w<pid>" (the zygote removes it when the worker is retired). */
void sandbox_worker_dir(pid_t pid, char *buf, size_t len);

#endif

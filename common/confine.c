/* confine.c - the confinement steps the reader and the scanner workers share (confine.h). */
#include "common/confine.h"

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

int confine_fail(char *why, size_t whylen, const char *fmt, ...)
{
    int e = errno;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < whylen && e)
        snprintf(why + n, whylen - (size_t)n, ": %s", strerror(e));
    return -1;
}

uint64_t confine_vm_size(void)
{
    unsigned long pages = 0;
    FILE *f = fopen("/proc/self/statm", "re");
    if (!f)
        return 0;
    if (fscanf(f, "%lu", &pages) != 1)
        pages = 0;
    fclose(f);
    return (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

int confine_limit(int resource, uint64_t value, const char *name, char *why, size_t whylen)
{
    struct rlimit rl = {.rlim_cur = value, .rlim_max = value};
    if (RUNNING_ON_VALGRIND && resource == RLIMIT_NOFILE && getrlimit(RLIMIT_NOFILE, &rl) == 0)
        rl.rlim_cur = value < rl.rlim_max ? value : rl.rlim_max;
    errno = 0;
    if (setrlimit(resource, &rl) != 0)
        return confine_fail(why, whylen, "setrlimit(%s)", name);
    return 0;
}

int confine_drop_user(uid_t uid, gid_t gid, char *why, size_t whylen)
{
    uid_t r, e, s;
    errno = 0;
    if (setgroups(0, NULL) != 0)
        return confine_fail(why, whylen, "setgroups");
    if (setresgid(gid, gid, gid) != 0)
        return confine_fail(why, whylen, "setresgid(%u)", (unsigned)gid);
    if (setresuid(uid, uid, uid) != 0)
        return confine_fail(why, whylen, "setresuid(%u)", (unsigned)uid);
    errno = 0;
    if (getresuid(&r, &e, &s) != 0 || r != uid || e != uid || s != uid || getegid() != gid ||
        (uid != 0 && setuid(0) == 0))
        return confine_fail(why, whylen, "user switch to %u did not stick", (unsigned)uid);
    return 0;
}

int confine_no_privs(char *why, size_t whylen)
{
    errno = 0;
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return confine_fail(why, whylen, "PR_SET_DUMPABLE");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return confine_fail(why, whylen, "PR_SET_NO_NEW_PRIVS");
    return 0;
}

int confine_seccomp_no_exec(scmp_filter_ctx ctx)
{
    static const int maps[] = {SCMP_SYS(mmap), SCMP_SYS(mprotect)};
    int rc = 0;
    for (size_t i = 0; i < 2 && rc == 0; i++)
        if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, maps[i], 1,
                                   SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) == 0)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), maps[i], 1,
                                  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
    return rc;
}

bool confine_under_valgrind(const char *msg)
{
    if (!RUNNING_ON_VALGRIND)
        return false;
    if (msg && write(2, msg, strlen(msg)) < 0) {
    }
    return true;
}

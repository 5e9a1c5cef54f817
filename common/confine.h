/* confine.h - the confinement steps the medium reader (reader/confine.c) and the scanner
 * workers (scanner/sandbox.c) share: each confines itself in its own order, with its own
 * namespaces and its own seccomp list (docs/privsep.md), from these pieces.
 *
 * Every function is called in a freshly forked, single-threaded child before it reads a
 * byte of untrusted input; each returns 0, or -1 with WHY (WHYLEN bytes) saying which
 * step failed and errno's text.  Nothing here allocates after the address space is
 * measured, so the RLIMIT_AS a caller sets stays true. */
#ifndef KIOSK_COMMON_CONFINE_H
#define KIOSK_COMMON_CONFINE_H

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Write FMT to WHY, with ": strerror(errno)" when errno is set; returns -1. */
int confine_fail(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The address space in use now (bytes), from /proc/self/statm; 0 when unknown (read it
 * before a chroot). */
uint64_t confine_vm_size(void);

/* setrlimit(RESOURCE) to VALUE, soft and hard (NAME for WHY).  Under valgrind, which
 * refuses to change the hard limit of open files, RLIMIT_NOFILE sets the soft one only. */
int confine_limit(int resource, uint64_t value, const char *name, char *why, size_t whylen);

/* Become UID:GID with no supplementary groups, and check that it stuck (a non-root UID
 * cannot become root again).  Needs root. */
int confine_drop_user(uid_t uid, gid_t gid, char *why, size_t whylen);

/* PR_SET_DUMPABLE 0 (no core, no ptrace by the same user) and PR_SET_NO_NEW_PRIVS 1 (no
 * set-uid gain; needed by seccomp and Landlock without root). */
int confine_no_privs(char *why, size_t whylen);

/* Seccomp rules on CTX: mmap and mprotect without PROT_EXEC allowed, with it refused with
 * EPERM (not a kill, so a dlopen fails cleanly).  Returns libseccomp's result. */
int confine_seccomp_no_exec(scmp_filter_ctx ctx);

/* Is the process running under valgrind (make check under valgrind)?  It has no
 * seccomp(2) and its own address-space layout: callers skip the filter and RLIMIT_AS.
 * MSG (may be NULL) goes to stderr when it is.  Natively this is never true. */
bool confine_under_valgrind(const char *msg);

#endif

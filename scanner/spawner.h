/* spawner.h - where scanner zygotes come from: a single-threaded helper process.
 *
 * A zygote (worker.h) loads and compiles the signature database and forks workers.
 * Forked from the service, it would start as a copy of a threaded process: a lock
 * another thread held at that moment (OpenSSL's in the copy threads, malloc arenas,
 * GLib's) is never released in the copy, and the zygote may hang in it.  So the service
 * never forks a zygote.  The first pool (scanner_pool_new) starts the **spawner**: the
 * kiosk's own binary, run afresh with posix_spawn() (/proc/self/exe) and
 * KIOSK_SCANNER_SPAWNER_FD=3 in its environment; a constructor in this module sees that
 * variable before main() and serves on fd 3 instead of running the program.  The
 * spawner has one thread and does nothing but fork: each zygote is a child of it, forked
 * from a process in which no other thread ever ran.
 *
 *   service <-> spawner   (socketpair, SOCK_SEQPACKET, trusted both ways)
 *       service -> START {the zygote's worker_conf, flattened}
 *       spawner -> STARTED {pid} + SCM_RIGHTS(the zygote's control socket)
 *                | FAILED {text}
 *       spawner -> PIDFD {pid} + SCM_RIGHTS(pidfd of the zygote)   (Linux 5.3+)
 *                | NOPIDFD {pid}                                    (older kernels)
 *       EOF from the service: the spawner exits (its zygotes see their own EOF).
 *
 * The spawner reaps its zygotes.  The service watches a zygote through the pidfd
 * (exit: readable; SIGKILL: pidfd_send_signal) since it cannot waitpid() a process that
 * is not its child. */
#ifndef KIOSK_SCANNER_SPAWNER_H
#define KIOSK_SCANNER_SPAWNER_H

#include <sys/types.h>

#include "scanner/worker.h"

/* Start a zygote with CONF through the spawner (started on first use; thread-safe).
 * 0 with *ctl (the control socket, close-on-exec), *pid and *pidfd (-1 when the kernel
 * has no pidfds); or a negative KERR_* with *why. */
int spawner_start_zygote(const struct worker_conf *conf, int *ctl, pid_t *pid, int *pidfd,
                         char **why);

/* Send SIG to the zygote (by PIDFD when >= 0, else by PID). */
void spawner_signal(pid_t pid, int pidfd, int sig);

/* Wait until the zygote has exited: PIDFD readable (or, without one, PID gone), at most
 * TIMEOUT_MS (< 0: no limit).  1 exited, 0 timeout. */
int spawner_wait_exit(pid_t pid, int pidfd, int timeout_ms);

#endif

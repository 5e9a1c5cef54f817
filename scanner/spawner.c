/* spawner.c - scanner zygotes are forked by a single-threaded helper, never by the
 * service (see spawner.h for why and for the protocol). */
#include "scanner/spawner.h"
#include "common/kerr.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SPAWNER_ENV "KIOSK_SCANNER_SPAWNER_FD"
#define SPAWNER_FD 3
#define SPAWNER_MAGIC 0x4b535350u /* "KSSP" */
#define SPAWNER_ANSWER_MS 30000   /* the spawner only forks: it answers at once */

extern char **environ;

enum spawner_op {
    SPAWNER_START = 1,
    SPAWNER_STARTED,
    SPAWNER_FAILED,
    SPAWNER_PIDFD,
    SPAWNER_NOPIDFD,
};

/* One message each way.  The worker_conf travels by value: both ends are the same
 * binary (the spawner is /proc/self/exe), and its two pointers (opts.tmpdir,
 * sandbox.tmp_path) are sent as the strings below and set again on arrival. */
struct spawner_msg {
    uint32_t magic;
    uint32_t op; /* enum spawner_op */
    int32_t pid; /* STARTED, PIDFD, NOPIDFD */
    uint32_t test_hooks;
    struct scanner_opts opts;
    struct sandbox_conf sandbox;
    char dbdir[PATH_MAX];
    char tmp_path[PATH_MAX];
    char text[512]; /* FAILED: why */
};

/* ---- the spawner process ------------------------------------------------------------ */

/* Zygotes that ended are reaped at once (a zombie's pid stays taken).  Async-signal-safe. */
static void spawner_reap(int sig)
{
    int saved = errno;
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    errno = saved;
}

static void spawner_reply(int sock, struct spawner_msg *m, enum spawner_op op, pid_t pid, int fd,
                          const char *text)
{
    memset(m, 0, sizeof(*m));
    m->magic = SPAWNER_MAGIC;
    m->op = op;
    m->pid = pid;
    if (text)
        snprintf(m->text, sizeof(m->text), "%s", text);
    if (worker_msg_send(sock, m, sizeof(*m), fd) != 0)
        _exit(0); /* the service went away */
}

/* Serve START requests on SOCK until EOF.  Runs in a process of its own, started by
 * posix_spawn: it has only ever had this one thread. */
static void spawner_main(int sock) __attribute__((noreturn));
static void spawner_main(int sock)
{
    static struct spawner_msg m; /* 8 KiB: not on the stack */
    sigset_t chld, old;
    struct sigaction sa;

    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        if (null > 2)
            close(null);
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = spawner_reap;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    for (;;) {
        if (worker_msg_recv(sock, &m, sizeof(m), NULL) <= 0)
            _exit(0); /* EOF: the service is done with us (or sent nonsense) */
        if (m.magic != SPAWNER_MAGIC || m.op != SPAWNER_START)
            _exit(1);
        m.dbdir[sizeof(m.dbdir) - 1] = '\0';
        m.tmp_path[sizeof(m.tmp_path) - 1] = '\0';
        struct worker_conf conf = {
            .dbdir = m.dbdir,
            .opts = m.opts,
            .sandbox = m.sandbox,
            .test_hooks = m.test_hooks != 0,
        };
        conf.opts.tmpdir = NULL;
        conf.sandbox.tmp_path = m.tmp_path;

        int zv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, zv) != 0) {
            spawner_reply(sock, &m, SPAWNER_FAILED, 0, -1, strerror(errno));
            continue;
        }
        /* No reaping between the fork and pidfd_open: the pid must still be ours. */
        sigprocmask(SIG_BLOCK, &chld, &old);
        pid_t pid = fork();
        if (pid == 0) {
            close(zv[0]);
            /* Named for ps and the tests (the exec'd image would say "exe"); the workers
             * it forks inherit the name. */
            prctl(PR_SET_NAME, "kiosk-scanner", 0, 0, 0);
            worker_zygote_main(zv[1], &conf); /* resets signals and the mask; never returns */
        }
        int err = errno;
        int pidfd = -1;
#ifdef SYS_pidfd_open
        if (pid > 0)
            pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(zv[1]);
        if (pid < 0) {
            close(zv[0]);
            spawner_reply(sock, &m, SPAWNER_FAILED, 0, -1, strerror(err));
            continue;
        }
        spawner_reply(sock, &m, SPAWNER_STARTED, pid, zv[0], NULL);
        close(zv[0]);
        spawner_reply(sock, &m, pidfd >= 0 ? SPAWNER_PIDFD : SPAWNER_NOPIDFD, pid, pidfd, NULL);
        if (pidfd >= 0)
            close(pidfd);
    }
}

/* Before main(): a process started as the spawner serves instead of running the program
 * (any binary that can make pools links this, the kiosk and its tests alike). */
__attribute__((constructor)) static void spawner_constructor(void)
{
    const char *v = getenv(SPAWNER_ENV);
    struct stat st;
    if (!v || strcmp(v, G_STRINGIFY(SPAWNER_FD)) != 0)
        return;
    unsetenv(SPAWNER_ENV);
    if (fstat(SPAWNER_FD, &st) != 0 || !S_ISSOCK(st.st_mode))
        _exit(2);
    prctl(PR_SET_NAME, "kiosk-spawner", 0, 0, 0);
    spawner_main(SPAWNER_FD);
}

/* ---- the service side ----------------------------------------------------------------- */

static GMutex spawner_lock;
static int spawner_sock = -1;
static pid_t spawner_pid = -1;

static void spawner_stop(void)
{
    if (spawner_sock >= 0)
        close(spawner_sock);
    spawner_sock = -1;
    if (spawner_pid > 0)
        waitpid(spawner_pid, NULL, WNOHANG); /* it exits on our EOF; a later call reaps */
    spawner_pid = -1;
}

/* posix_spawn our own binary as the spawner.  Called with spawner_lock held. */
static int spawner_start(char **why)
{
    int sv[2] = {-1, -1}, rc = KERR_SYSTEM;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    char *argv[] = {(char *)"kiosk-scanner-spawner", NULL};
    GPtrArray *env = g_ptr_array_new_with_free_func(g_free);
    sigset_t none, all;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        *why = g_strdup_printf("socketpair: %s", g_strerror(errno));
        g_ptr_array_free(env, TRUE);
        return KERR_SYSTEM;
    }
    if (sv[1] == SPAWNER_FD) { /* dup2 onto itself would keep close-on-exec */
        int moved = fcntl(sv[1], F_DUPFD_CLOEXEC, SPAWNER_FD + 1);
        close(sv[1]);
        sv[1] = moved;
    }
    for (char **e = environ; e && *e; e++)
        if (!g_str_has_prefix(*e, SPAWNER_ENV "="))
            g_ptr_array_add(env, g_strdup(*e));
    g_ptr_array_add(env, g_strdup(SPAWNER_ENV "=" G_STRINGIFY(SPAWNER_FD)));
    g_ptr_array_add(env, NULL);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, sv[1], SPAWNER_FD);
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int err = sv[1] < 0
                  ? errno
                  : posix_spawn(&pid, "/proc/self/exe", &fa, &attr, argv, (char **)env->pdata);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    g_ptr_array_free(env, TRUE);
    if (sv[1] >= 0)
        close(sv[1]);
    if (err != 0) {
        *why = g_strdup_printf("cannot start the scanner spawner (/proc/self/exe): %s",
                               g_strerror(err));
        close(sv[0]);
        return rc;
    }
    spawner_sock = sv[0];
    spawner_pid = pid;
    log_debug("scanner: spawner started (pid %ld)", (long)pid);
    return 0;
}

/* One answer from the spawner within SPAWNER_ANSWER_MS: its size and magic checked. */
static int spawner_recv(struct spawner_msg *m, int *fd)
{
    struct pollfd pfd = {.fd = spawner_sock, .events = POLLIN};
    int r;
    while ((r = poll(&pfd, 1, SPAWNER_ANSWER_MS)) < 0 && errno == EINTR)
        ;
    if (r <= 0)
        return -1;
    if (worker_msg_recv(spawner_sock, m, sizeof(*m), fd) <= 0 || m->magic != SPAWNER_MAGIC) {
        if (fd && *fd >= 0)
            close(*fd);
        return -1;
    }
    m->text[sizeof(m->text) - 1] = '\0';
    return 0;
}

int spawner_start_zygote(const struct worker_conf *conf, int *ctl, pid_t *pid, int *pidfd,
                         char **why)
{
    static struct spawner_msg m; /* under spawner_lock */
    int rc = KERR_ENGINE, fd = -1;

    *ctl = *pidfd = -1;
    *pid = 0;
    if (strlen(conf->dbdir) >= sizeof(m.dbdir) ||
        strlen(conf->sandbox.tmp_path) >= sizeof(m.tmp_path)) {
        *why = g_strdup("scanner folder path too long");
        return KERR_INVAL;
    }
    g_mutex_lock(&spawner_lock);
    /* A spawner that died (or a broken exchange): start a fresh one, once. */
    for (int attempt = 0; attempt < 2 && *ctl < 0; attempt++) {
        if (spawner_sock < 0 && (rc = spawner_start(why)) != 0)
            break;
        memset(&m, 0, sizeof(m));
        m.magic = SPAWNER_MAGIC;
        m.op = SPAWNER_START;
        m.opts = conf->opts;
        m.opts.tmpdir = NULL;
        m.sandbox = conf->sandbox;
        m.sandbox.tmp_path = NULL;
        m.test_hooks = conf->test_hooks;
        g_strlcpy(m.dbdir, conf->dbdir, sizeof(m.dbdir));
        g_strlcpy(m.tmp_path, conf->sandbox.tmp_path, sizeof(m.tmp_path));
        if (worker_msg_send(spawner_sock, &m, sizeof(m), -1) != 0 || spawner_recv(&m, &fd) != 0) {
            log_warn("scanner: the spawner stopped answering; starting another");
            spawner_stop();
            rc = KERR_ENGINE;
            continue;
        }
        if (m.op == SPAWNER_FAILED) {
            *why = g_strdup_printf("the scanner spawner could not fork a zygote: %s", m.text);
            rc = KERR_ENGINE;
            break;
        }
        if (m.op != SPAWNER_STARTED || m.pid <= 0 || fd < 0) {
            if (fd >= 0)
                close(fd);
            spawner_stop();
            continue;
        }
        *ctl = fd;
        *pid = m.pid;
        fd = -1;
        if (spawner_recv(&m, &fd) != 0 || m.pid != *pid ||
            (m.op != SPAWNER_PIDFD && m.op != SPAWNER_NOPIDFD)) {
            /* The zygote is there; without its pidfd it is watched by pid. */
            if (fd >= 0)
                close(fd);
            fd = -1;
            spawner_stop();
        }
        *pidfd = fd;
        rc = 0;
    }
    if (rc != 0 && !*why)
        *why = g_strdup("the scanner spawner is not answering");
    g_mutex_unlock(&spawner_lock);
    return rc;
}

void spawner_signal(pid_t pid, int pidfd, int sig)
{
#ifdef SYS_pidfd_send_signal
    if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0)
        return;
#endif
    if (pidfd < 0 && pid > 0)
        kill(pid, sig);
}

int spawner_wait_exit(pid_t pid, int pidfd, int timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    if (pidfd >= 0) {
        struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
        for (;;) {
            gint64 left = timeout_ms < 0 ? -1 : (end - g_get_monotonic_time()) / 1000;
            if (timeout_ms >= 0 && left <= 0)
                return 0;
            int r = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
            if (r > 0)
                return 1;
            if (r < 0 && errno != EINTR)
                return 1; /* a broken pidfd: nothing to wait for */
        }
    }
    /* Without a pidfd: until the spawner reaped it. */
    while (pid > 0 && kill(pid, 0) == 0) {
        if (timeout_ms >= 0 && g_get_monotonic_time() > end)
            return 0;
        g_usleep(10000);
    }
    return 1;
}

/* worker.c - the zygote (holds the compiled engine, forks workers) and the worker loop
 * (confined by sandbox.c, scans the fds the service passes, answers with a verdict).
 * The service side of both protocols is pool.c; docs/privsep.md explains the split. */
#include "scanner/worker.h"
#include "common/util.h"
#include "common/sockmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define ZYGOTE_FD 3 /* the control socket in the zygote, the worker socket in a worker */
#define WORKER_MAX_CHILDREN 256

/* ---- messages: one SEQPACKET record of exactly LEN bytes, at most one fd ------------ */

#define WORKER_MAX_FDS 4

int worker_msg_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds)
{
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    union {
        char buf[CMSG_SPACE(WORKER_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } cm;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds > WORKER_MAX_FDS) {
        errno = EINVAL;
        return -1;
    }
    if (nfds > 0) {
        memset(&cm, 0, sizeof(cm));
        msg.msg_control = cm.buf;
        msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    }
    return sockmsg_send(sock, &msg, len);
}

int worker_msg_send(int sock, const void *buf, size_t len, int fd)
{
    return worker_msg_send_fds(sock, buf, len, &fd, fd >= 0 ? 1 : 0);
}

ssize_t worker_msg_recv_fds(int sock, void *buf, size_t len, int *fds, size_t maxfds, size_t *nfds)
{
    char extra;
    struct iovec iov[2] = {{.iov_base = buf, .iov_len = len}, {.iov_base = &extra, .iov_len = 1}};
    union {
        char buf[CMSG_SPACE(WORKER_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } cm;
    struct msghdr msg;
    bool toomany;

    *nfds = 0;
    ssize_t n = sockmsg_recv(sock, &msg, iov, 2, cm.buf, sizeof(cm.buf));
    if (n <= 0)
        return n;
    /* Take every passed fd so none leaks, whatever the verdict on the message. */
    size_t got = sockmsg_take_fds(&msg, fds, maxfds, &toomany);
    if ((size_t)n > len || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || toomany) {
        for (size_t i = 0; i < got; i++)
            close(fds[i]);
        errno = EPROTO;
        return -1;
    }
    *nfds = got;
    return n;
}

ssize_t worker_msg_recv(int sock, void *buf, size_t len, int *fd)
{
    int fds[1];
    size_t nfds = 0;
    ssize_t n = worker_msg_recv_fds(sock, buf, len, fds, fd ? 1 : 0, &nfds);
    if (fd)
        *fd = -1;
    if (n > 0 && (size_t)n != len) {
        if (nfds)
            close(fds[0]);
        errno = EPROTO;
        return -1;
    }
    if (n > 0 && fd && nfds)
        *fd = fds[0];
    return n;
}

/* ---- the worker --------------------------------------------------------------------- */

static void worker_text(char *dst, size_t size, const char *src)
{
    /* Printable ASCII only: the service refuses anything else as nonsense. */
    size_t i = 0;
    for (; src[i] && i + 1 < size; i++)
        dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
    dst[i] = '\0';
}

/* The EDIFACT summary of FD for request REQ, when it asked for one (worker.h).  A file
 * that cannot be read is EDIFACT_NONE: the scan has already said what went wrong.  */
static int worker_send_edifact(int sock, const struct worker_request *req, int fd, bool nonsense)
{
    struct worker_edifact *e;
    int rc;
    if (!req->edifact)
        return 0;
    e = calloc(1, sizeof(*e));
    if (!e)
        return -1;
    e->magic = WORKER_EDIFACT_MAGIC;
    e->id = req->id;
    if (fd >= 0)
        edifact_examine_fd(fd, (req->edifact & WORKER_EDIFACT_BY_NAME) ? EDIFACT_BY_NAME : 0,
                           &e->summary);
    if (nonsense)
        memset(e->summary.sender, 'X', sizeof(e->summary.sender)); /* not terminated */
    rc = worker_msg_send(sock, e, sizeof(*e), -1);
    free(e);
    return rc;
}

/* Misbehave on purpose (tests only).  Returns true when the reply was already sent. */
static bool worker_test_hook(int sock, const struct worker_request *req, struct worker_reply *rep)
{
    switch (req->test_hook) {
    case WORKER_HOOK_SOCKET: {
        int s = socket(AF_INET, SOCK_STREAM, 0); /* seccomp: SIGSYS */
        snprintf(rep->reason, sizeof(rep->reason), "socket() was allowed (%d)", s);
        break;
    }
    case WORKER_HOOK_EXECVE: {
        char *argv[] = {"sh", "-c", "true", NULL};
        char *envp[] = {NULL};
        execve("/bin/sh", argv, envp); /* seccomp: SIGSYS */
        snprintf(rep->reason, sizeof(rep->reason), "execve() was allowed");
        break;
    }
    case WORKER_HOOK_HANG:
        for (;;) {
            struct worker_request r2;
            int f = -1;
            if (worker_msg_recv(sock, &r2, sizeof(r2), &f) == 0)
                _exit(0);
            if (f >= 0)
                close(f);
        }
    case WORKER_HOOK_CRASH: {
        volatile int *nowhere = NULL;
        *nowhere = 1;
        break;
    }
    case WORKER_HOOK_NONSENSE:
        rep->kind = 77;
        return worker_msg_send(sock, rep, sizeof(*rep), -1), true;
    case WORKER_HOOK_STALE:
        rep->id = req->id - 1;
        rep->kind = VERDICT_CLEAN;
        return worker_msg_send(sock, rep, sizeof(*rep), -1), true;
    case WORKER_HOOK_OPEN: {
        int f = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
        char text[128];
        snprintf(text, sizeof(text), "open /etc/passwd: %s", f >= 0 ? "opened" : strerror(errno));
        if (f >= 0)
            close(f);
        rep->kind = VERDICT_ERROR;
        worker_text(rep->reason, sizeof(rep->reason), text);
        return worker_msg_send(sock, rep, sizeof(*rep), -1), true;
    }
    case WORKER_HOOK_EDIFACT_NONSENSE:
    default:
        return false;
    }
    rep->kind = VERDICT_ERROR;
    return worker_msg_send(sock, rep, sizeof(*rep), -1), true;
}

/* Content disarm: sanitize the original (fds[0]) into the copy (fds[1]) and answer.  A
 * request the service never sends ends the worker. */
static void worker_sanitize(int sock, const struct worker_sanitize *req, const int *fds,
                            size_t nfds)
{
    struct worker_sanitized rep;
    struct sanitize_result r;
    size_t want = req->mode == SANITIZE_REWRITE ? 2 : 1;

    if (req->id == 0 || nfds != want || req->reserved != 0 ||
        (req->mode != SANITIZE_CHECK && req->mode != SANITIZE_REWRITE) ||
        (req->format != SANITIZE_OOXML && req->format != SANITIZE_PDF))
        _exit(72);
    sanitize_fd((enum sanitize_format)req->format, (enum sanitize_mode)req->mode, fds[0],
                want == 2 ? fds[1] : -1, &req->limits, &r);
    for (size_t i = 0; i < nfds; i++)
        close(fds[i]);
    memset(&rep, 0, sizeof(rep));
    rep.magic = WORKER_SANITIZED_MAGIC;
    rep.id = req->id;
    rep.status = (uint32_t)r.status;
    rep.removed = r.removed;
    rep.family = (uint32_t)r.family;
    rep.size = r.size;
    worker_text(rep.reason, sizeof(rep.reason), r.reason);
    if (worker_msg_send(sock, &rep, sizeof(rep), -1) != 0)
        _exit(0);
}

/* The next scan request (*REQ, its file in *FD); sanitize requests met on the way are
 * served here.  As worker_msg_recv(): sizeof(*REQ), 0 at EOF, or -1. */
static ssize_t worker_next_request(int sock, struct worker_request *req, int *fd)
{
    union {
        struct worker_request scan;
        struct worker_sanitize sanitize;
    } m;
    int fds[2];
    size_t nfds;
    for (;;) {
        ssize_t n = worker_msg_recv_fds(sock, &m, sizeof(m), fds, 2, &nfds);
        if (n == (ssize_t)sizeof(m.sanitize) && m.sanitize.magic == WORKER_SANITIZE_MAGIC) {
            m.sanitize.name[sizeof(m.sanitize.name) - 1] = '\0';
            worker_sanitize(sock, &m.sanitize, fds, nfds);
            continue;
        }
        *fd = -1;
        if (n > 0 && ((size_t)n != sizeof(*req) || nfds > 1)) {
            for (size_t i = 0; i < nfds; i++)
                close(fds[i]);
            return -1;
        }
        if (n > 0) {
            memcpy(req, &m.scan, sizeof(*req));
            *fd = nfds ? fds[0] : -1;
        }
        return n;
    }
}

/* libmagic's MIME type of FD into MIME ("" without a magic database). */
static void worker_mime(magic_t magic, int fd, char mime[WORKER_MIME_MAX])
{
    const char *m = magic ? magic_descriptor(magic, fd) : NULL;
    if (!magic)
        m = "";
    else if (!m)
        m = "application/octet-stream";
    worker_text(mime, WORKER_MIME_MAX, m);
}

static void worker_main(int sock, struct scanner_engine *engine, magic_t magic,
                        const struct worker_conf *conf) __attribute__((noreturn));

static void worker_main(int sock, struct scanner_engine *engine, magic_t magic,
                        const struct worker_conf *conf)
{
    char why[VERDICT_REASON_MAX];
    struct worker_reply rep;

    memset(&rep, 0, sizeof(rep));
    rep.magic = WORKER_REPLY_MAGIC;
    rep.kind = VERDICT_CLEAN;
    if (sandbox_enter(&conf->sandbox, sock, why, sizeof(why)) != 0) {
        rep.kind = VERDICT_ERROR;
        worker_text(rep.reason, sizeof(rep.reason), why);
        worker_msg_send(sock, &rep, sizeof(rep), -1);
        _exit(70);
    }
    if (worker_msg_send(sock, &rep, sizeof(rep), -1) != 0) /* hello */
        _exit(71);

    for (;;) {
        struct worker_request req;
        struct verdict v;
        int fd = -1;
        ssize_t n = worker_next_request(sock, &req, &fd);
        if (n == 0)
            _exit(0); /* the pool closed our socket */
        if (n < 0 || req.magic != WORKER_REQUEST_MAGIC || req.id == 0 || fd < 0 ||
            req.edifact > (WORKER_EDIFACT_READ | WORKER_EDIFACT_BY_NAME) || req.type_only > 1)
            _exit(72); /* the service never sends that: do not guess */
        req.name[sizeof(req.name) - 1] = '\0';

        memset(&rep, 0, sizeof(rep));
        rep.magic = WORKER_REPLY_MAGIC;
        rep.id = req.id;
        if (conf->test_hooks && req.test_hook != WORKER_HOOK_NONE &&
            worker_test_hook(sock, &req, &rep)) {
            worker_send_edifact(sock, &req, -1, false); /* keep the protocol in step */
            close(fd);
            continue;
        }
        /* The type first (libmagic reads from the descriptor's start, and puts the offset
         * back), then the scan (it rewinds). */
        worker_mime(magic, fd, rep.mime);
        if (req.type_only)
            verdict_set(&v, VERDICT_CLEAN, NULL); /* a verdict-cache hit: the type only */
        else
            scanner_scan_fd(engine, fd, req.name, &v); /* verdict_from_clamav() inside */
        rep.kind = (uint32_t)v.kind;
        worker_text(rep.reason, sizeof(rep.reason), v.reason);
        rep.why = v.why; /* packed values: printable ASCII only, as the service requires */
        for (size_t k = 0; k < sizeof(rep.why.params); k++)
            if (rep.why.params[k] && (rep.why.params[k] < 0x20 || rep.why.params[k] >= 0x7f))
                rep.why.params[k] = '?';
        if (worker_msg_send(sock, &rep, sizeof(rep), -1) != 0 ||
            worker_send_edifact(sock, &req, fd,
                                conf->test_hooks &&
                                    req.test_hook == WORKER_HOOK_EDIFACT_NONSENSE) != 0)
            _exit(0);
        close(fd);
    }
}

/* ---- the zygote --------------------------------------------------------------------- */

struct zygote {
    int ctl;
    const struct worker_conf *conf;
    struct scanner_engine *engine;
    magic_t magic; /* loaded once, here: the workers inherit the mapped database */
    pid_t children[WORKER_MAX_CHILDREN];
    int n_children;
};

static void zygote_reply(struct zygote *z, struct zygote_msg *m, int fd)
{
    if (worker_msg_send(z->ctl, m, sizeof(*m), fd) != 0)
        _exit(0); /* the service is gone; our workers die with us (PDEATHSIG) */
}

/* FAILED {"WHAT: DETAIL"} (DETAIL may be NULL). */
static void zygote_failed(struct zygote *z, const char *what, const char *detail)
{
    struct zygote_msg m;
    memset(&m, 0, sizeof(m));
    m.op = ZYGOTE_FAILED;
    snprintf(m.text, sizeof(m.text), "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
    zygote_reply(z, &m, -1);
}

static void zygote_spawn(struct zygote *z)
{
    int sv[2];
    struct zygote_msg m;
    pid_t zpid = getpid();

    if (z->n_children >= WORKER_MAX_CHILDREN) {
        zygote_failed(z, "too many scanner workers", NULL);
        return;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        zygote_failed(z, "socketpair", strerror(errno));
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        zygote_failed(z, "fork", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return;
    }
    if (pid == 0) {
        /* The worker: its socket on fd 3, nothing else but stdin/out/err (/dev/null). */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != zpid)
            _exit(73);
        if (dup2(sv[1], ZYGOTE_FD) != ZYGOTE_FD)
            _exit(74);
        close_range(ZYGOTE_FD + 1, ~0U, 0);
        worker_main(ZYGOTE_FD, z->engine, z->magic, z->conf);
    }
    close(sv[1]);
    z->children[z->n_children++] = pid;
    memset(&m, 0, sizeof(m));
    m.op = ZYGOTE_SPAWNED;
    m.pid = pid;
    zygote_reply(z, &m, sv[0]);
    close(sv[0]);
}

static int zygote_reap(struct zygote *z, pid_t pid)
{
    int status = 0;
    kill(pid, SIGKILL); /* a zombie until we wait: the pid cannot be reused meanwhile */
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!z->conf->sandbox.private_tmp) {
        char dir[32];
        sandbox_worker_dir(pid, dir, sizeof(dir));
        util_rm_rf(dir);
    }
    return status;
}

static void zygote_retire(struct zygote *z, pid_t pid)
{
    struct zygote_msg m;
    int i;
    for (i = 0; i < z->n_children && z->children[i] != pid; i++)
        ;
    if (pid <= 0 || i == z->n_children) {
        zygote_failed(z, "RETIRE: not one of my workers", NULL);
        return;
    }
    z->children[i] = z->children[--z->n_children];
    memset(&m, 0, sizeof(m));
    m.op = ZYGOTE_RETIRED;
    m.pid = pid;
    m.status = zygote_reap(z, pid);
    zygote_reply(z, &m, -1);
}

static void zygote_exit(struct zygote *z) __attribute__((noreturn));

static void zygote_exit(struct zygote *z)
{
    while (z->n_children > 0)
        zygote_reap(z, z->children[--z->n_children]);
    /* Also when the service died without scanner_pool_free(). */
    util_rm_rf(z->conf->sandbox.tmp_path);
    _exit(0);
}

/* glibc's iconv dlopen()s a gconv module the first time a character set is used; a
 * worker can neither find it (chroot) nor map code (seccomp).  Load the ones libclamav
 * needs (UTF-16 for OLE2 and others, the usual code pages of VBA projects and mail) here,
 * and keep them open so every worker inherits them mapped. */
static void zygote_preload_iconv(void)
{
    static const char *charsets[] = {
        "UTF-16",     "UTF-16LE",   "UTF-16BE",    "UTF-32", "UTF-7",  "ISO-8859-1", "ISO-8859-2",
        "ISO-8859-5", "ISO-8859-7", "ISO-8859-15", "CP437",  "CP850",  "CP1250",     "CP1251",
        "CP1252",     "CP1253",     "CP1254",      "CP1255", "CP1256", "CP1257",     "CP1258",
        "KOI8-R",     "MACINTOSH",  "SHIFT_JIS",   "CP932",  "EUC-JP", "GBK",        "GB2312",
        "BIG5",       "EUC-KR",     "CP949",
    };
    for (size_t i = 0; i < sizeof(charsets) / sizeof(charsets[0]); i++)
        (void)iconv_open("UTF-8", charsets[i]); /* never closed, on purpose */
}

void worker_zygote_main(int ctl, const struct worker_conf *conf)
{
    struct zygote z = {.ctl = ZYGOTE_FD, .conf = conf};
    struct zygote_msg m;
    struct scanner_opts opts = conf->opts;
    char *why = NULL;
    sigset_t all;

    /* Nothing of the service's but the control socket: no audit log, no staging fd, no
     * other pool's sockets.  stdin/stdout go to /dev/null; stderr stays for libclamav. */
    if (dup2(ctl, ZYGOTE_FD) != ZYGOTE_FD)
        _exit(75);
    close_range(ZYGOTE_FD + 1, ~0U, 0);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        if (null > 2)
            close(null);
    }
    /* The service's signal handling does not apply here. */
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);

    /* The engine's CL_ENGINE_TMPDIR is ".": here the pool's folder, in each worker its
     * private tmpfs or w<pid> folder (sandbox.c). */
    opts.tmpdir = ".";
    if (chdir(conf->sandbox.tmp_path) != 0) {
        zygote_failed(&z, "cannot enter the scanner temp folder", strerror(errno));
        _exit(0);
    }
    if (scanner_engine_load(conf->dbdir, &opts, &z.engine, &why) != 0) {
        zygote_failed(&z, why ? why : "the scan engine could not be built", NULL);
        _exit(0);
    }
    zygote_preload_iconv();
    /* File type detection runs in the workers (no longer in the service): its database
     * is read here, before any worker confines itself.  Without it every reply carries
     * an empty type, which the service turns into "file type detection is not
     * available" for every file. */
    z.magic = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
    if (z.magic && magic_load(z.magic, NULL) != 0) {
        fprintf(stderr, "scanner zygote: libmagic: %s\n", magic_error(z.magic));
        magic_close(z.magic);
        z.magic = NULL;
    }
    memset(&m, 0, sizeof(m));
    m.op = ZYGOTE_READY;
    m.info = *scanner_engine_info(z.engine);
    zygote_reply(&z, &m, -1);

    for (;;) {
        ssize_t n = worker_msg_recv(z.ctl, &m, sizeof(m), NULL);
        if (n <= 0)
            zygote_exit(&z); /* EOF (pool freed, service died) or a broken message */
        switch (m.op) {
        case ZYGOTE_SPAWN:
            zygote_spawn(&z);
            break;
        case ZYGOTE_RETIRE:
            zygote_retire(&z, m.pid);
            break;
        default:
            zygote_exit(&z);
        }
    }
}

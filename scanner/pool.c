/* pool.c - the service side of the sandboxed scanner: starts the zygote, hands out files
 * to idle workers, re-checks every answer, replaces workers that crash, hang or lie.
 * The other side is worker.c; the protocol is in worker.h and docs/privsep.md. */
#include "scanner/pool.h"
#include "scanner/spawner.h"
#include "scanner/verdict-cache.h"
#include "scanner/worker.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define POOL_CTL_TIMEOUT_MS 60000   /* the zygote answers SPAWN/RETIRE at once */
#define POOL_HELLO_TIMEOUT_MS 30000 /* a new worker confines itself and says hello */
#define POOL_MIB (1024ull * 1024ull)

_Static_assert(SCANNER_POOL_MIME_MAX == WORKER_MIME_MAX, "one MIME length for both sides");

struct pool_worker {
    pid_t pid;           /* 0 = no worker in this slot (dead, to be spawned) */
    int fd;              /* our end of its socket, -1 when none */
    bool busy;           /* a scan (or a respawn) owns this slot */
    unsigned generation; /* pool generation it was spawned in (scanner_pool_recycle) */
};

struct scanner_pool {
    GMutex lock; /* slots, next_id */
    GCond idle;
    struct pool_worker *slots;
    int n;
    guint64 next_id;
    unsigned generation;

    GMutex ctl_lock; /* one request/answer at a time on the control socket */
    int ctl;
    pid_t zygote;     /* a child of the spawner (spawner.h), not of this process */
    int zygote_pidfd; /* -1 when the kernel has none */
    bool zygote_gone;

    struct worker_conf conf;
    struct scanner_info info;
    unsigned char cache_ctx[VERDICT_CACHE_KEY_LEN]; /* scanner_pool_cache_context */
    bool cache_ctx_ok;
};

static bool pool_test_hooks;

void scanner_pool_enable_test_hooks(void)
{
    pool_test_hooks = true;
}

static gint64 pool_now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

#ifndef SCANNER_POOL_LOAD_TIMEOUT_MS
#define SCANNER_POOL_LOAD_TIMEOUT_MS (20 * 60 * 1000)
#endif

/* Wait until FD is readable or DEADLINE_MS (monotonic) passes.  1 readable, 0 timeout. */
static int pool_wait_readable(int fd, gint64 deadline_ms)
{
    for (;;) {
        gint64 left = deadline_ms - pool_now_ms();
        if (left <= 0)
            return 0;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (r > 0)
            return 1; /* readable, or hung up: recvmsg tells which */
        if (r < 0 && errno != EINTR)
            return 1; /* let recvmsg report the error */
    }
}

/* The service's watchdog keepalive while an engine loads (scanner_pool_set_keepalive). */
static void (*pool_keepalive)(void);

void scanner_pool_set_keepalive(void (*fn)(void))
{
    pool_keepalive = fn;
}

/* pool_wait_readable() for the engine load, which takes minutes: the keepalive runs every
 * few seconds meanwhile (the wait itself is bounded by DEADLINE_MS). */
static int pool_wait_load(int fd, gint64 deadline_ms)
{
    for (;;) {
        gint64 slice = MIN(deadline_ms, pool_now_ms() + 5000);
        if (pool_wait_readable(fd, slice))
            return 1;
        if (slice >= deadline_ms)
            return 0;
        if (pool_keepalive)
            pool_keepalive();
    }
}

/* What a waitpid() status says, in words for the verdict reason. */
static void pool_describe_status(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char *abbrev = sigabbrev_np(sig);
        if (sig == SIGSYS)
            snprintf(buf, len, "killed by SIGSYS: it tried a forbidden system call");
        else
            snprintf(buf, len, "killed by SIG%s", abbrev ? abbrev : "?");
    } else if (WIFEXITED(status)) {
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    } else {
        snprintf(buf, len, "ended (status 0x%x)", (unsigned)status);
    }
}

/* ---- the zygote --------------------------------------------------------------------- */

/* Send REQ, read one answer into REP (and a passed fd into *FD if FD).  Caller holds
 * ctl_lock.  0, or -1 with *why. */
static int pool_ctl_call(struct scanner_pool *p, const struct zygote_msg *req,
                         struct zygote_msg *rep, int *fd, char **why)
{
    if (p->zygote_gone) {
        *why = g_strdup("the scanner zygote is gone");
        return -1;
    }
    if (worker_msg_send(p->ctl, req, sizeof(*req), -1) != 0 ||
        !pool_wait_readable(p->ctl, pool_now_ms() + POOL_CTL_TIMEOUT_MS) ||
        worker_msg_recv(p->ctl, rep, sizeof(*rep), fd) <= 0) {
        *why = g_strdup_printf("the scanner zygote stopped answering (%s)",
                               errno ? g_strerror(errno) : "no answer");
        p->zygote_gone = true;
        spawner_signal(p->zygote, p->zygote_pidfd, SIGKILL);
        return -1;
    }
    rep->text[sizeof(rep->text) - 1] = '\0';
    if (rep->op == ZYGOTE_FAILED) {
        *why = g_strdup(rep->text);
        return -1;
    }
    return 0;
}

/* SIGKILL and reap worker PID through the zygote (its parent); *status its end. */
static void pool_retire_pid(struct scanner_pool *p, pid_t pid, int *status)
{
    struct zygote_msg req = {.op = ZYGOTE_RETIRE, .pid = pid}, rep;
    char *why = NULL;
    int fd = -1;
    *status = -1;
    g_mutex_lock(&p->ctl_lock);
    if (pool_ctl_call(p, &req, &rep, &fd, &why) == 0 && rep.op == ZYGOTE_RETIRED && rep.pid == pid)
        *status = rep.status;
    else
        log_warn("scanner: could not retire worker %ld: %s", (long)pid, why ? why : "bad answer");
    g_mutex_unlock(&p->ctl_lock);
    if (fd >= 0)
        close(fd);
    g_free(why);
}

/* A MIME type as libmagic writes it, or "": printable ASCII that starts with
 * "type/subtype" of RFC 6838 name characters.  (libmagic sometimes appends words, as in
 * "application/x-executable, no program header"; the policy has always seen them.) */
static bool pool_mime_ok(const char *mime, size_t size)
{
    size_t len = strnlen(mime, size), slash = 0, i;
    if (len == size)
        return false;
    if (len == 0)
        return true;
    for (i = 0; i < len; i++)
        if ((unsigned char)mime[i] < 0x20 || (unsigned char)mime[i] >= 0x7f)
            return false;
    for (i = 0; i < len; i++) {
        char c = mime[i];
        if (c == '/' && !slash && i > 0)
            slash = i;
        else if (!g_ascii_isalnum(c) && !strchr("!#$&^_.+-", c))
            break;
    }
    return slash > 0 && slash + 1 < i;
}

/* The reply checks of the trusted side (OpenSSH mm_answer_*: "in case the child got
 * corrupted").  NULL when REP is a well-formed answer to request ID, else what is wrong. */
static const char *pool_reply_check(const struct worker_reply *rep, uint64_t id)
{
    size_t len = strnlen(rep->reason, sizeof(rep->reason));
    if (!pool_mime_ok(rep->mime, sizeof(rep->mime)))
        return "type not a MIME type";
    if (rep->magic != WORKER_REPLY_MAGIC)
        return "bad magic";
    if (rep->id != id)
        return "answer to another request";
    if (len == sizeof(rep->reason))
        return "reason not terminated";
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)rep->reason[i] < 0x20 || (unsigned char)rep->reason[i] >= 0x7f)
            return "reason not printable";
    const char *bad = reason_data_check(&rep->why);
    if (bad)
        return bad;
    for (size_t k = 0; k < sizeof(rep->why.params); k++)
        if ((unsigned char)rep->why.params[k] >= 0x7f)
            return "reason parameter not printable ASCII";
    switch (rep->kind) {
    case VERDICT_CLEAN:
        return len == 0 && !rep->why.code[0] ? NULL : "clean with a reason";
    case VERDICT_INFECTED:
    case VERDICT_BLOCKED:
        if (!rep->why.code[0] || strncmp(rep->why.code, "scan.", 5) != 0)
            return "verdict without a scanner's reason code";
        return len > 0 ? NULL : "verdict without a reason";
    case VERDICT_ERROR:
        if (rep->why.code[0] && strncmp(rep->why.code, "scan.", 5) != 0)
            return "error without a scanner's reason code";
        return len > 0 ? NULL : "verdict without a reason";
    default:
        return "verdict kind out of range";
    }
}

/* Fork a worker for slot I (owned by the caller: busy) and wait for its hello. */
static int pool_spawn(struct scanner_pool *p, int i, char **why)
{
    struct zygote_msg req = {.op = ZYGOTE_SPAWN}, rep;
    struct worker_reply hello;
    int fd = -1, status;
    const char *bad;

    memset(&hello, 0, sizeof(hello));
    g_mutex_lock(&p->ctl_lock);
    int r = pool_ctl_call(p, &req, &rep, &fd, why);
    g_mutex_unlock(&p->ctl_lock);
    if (r != 0)
        goto fail;
    if (rep.op != ZYGOTE_SPAWNED || rep.pid <= 0 || fd < 0) {
        *why = g_strdup("the scanner zygote answered SPAWN with nonsense");
        if (rep.pid > 0)
            pool_retire_pid(p, rep.pid, &status);
        goto fail;
    }
    if (!pool_wait_readable(fd, pool_now_ms() + POOL_HELLO_TIMEOUT_MS) ||
        worker_msg_recv(fd, &hello, sizeof(hello), NULL) <= 0 ||
        (bad = pool_reply_check(&hello, 0)) != NULL || hello.kind != VERDICT_CLEAN) {
        if (hello.magic == WORKER_REPLY_MAGIC && hello.kind == VERDICT_ERROR &&
            pool_reply_check(&hello, 0) == NULL)
            *why = g_strdup_printf("scanner worker could not confine itself: %s", hello.reason);
        pool_retire_pid(p, rep.pid, &status);
        if (!*why) {
            char text[128];
            pool_describe_status(status, text, sizeof(text));
            *why = g_strdup_printf("scanner worker did not start (%s)", text);
        }
        goto fail;
    }
    g_mutex_lock(&p->lock);
    p->slots[i].pid = rep.pid;
    p->slots[i].fd = fd;
    p->slots[i].generation = p->generation;
    g_mutex_unlock(&p->lock);
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    return KERR_ENGINE;
}

/* The worker in slot I (owned by the caller) is done for: kill, reap, replace. */
static void pool_replace(struct scanner_pool *p, int i, int *status)
{
    char *why = NULL;
    g_mutex_lock(&p->lock);
    pid_t pid = p->slots[i].pid;
    int fd = p->slots[i].fd;
    p->slots[i].pid = 0;
    p->slots[i].fd = -1;
    g_mutex_unlock(&p->lock);
    /* Kill first, then close: its end status is what it did, not our EOF. */
    if (pid > 0)
        pool_retire_pid(p, pid, status);
    if (fd >= 0)
        close(fd);
    if (pool_spawn(p, i, &why) != 0) {
        /* The slot stays empty; the next scan that picks it tries again. */
        log_warn("scanner: could not replace worker %ld: %s", (long)pid, why);
        g_free(why);
    }
}

static void pool_release(struct scanner_pool *p, int i)
{
    g_mutex_lock(&p->lock);
    p->slots[i].busy = false;
    g_cond_signal(&p->idle);
    g_mutex_unlock(&p->lock);
}

/* Wait for an idle worker other than AVOID (a pid; 0: any) and take it; *id gets a new
 * request id.  Slot index, or -1 with *why when no worker can be had. */
static int pool_acquire(struct scanner_pool *p, guint64 *id, char **why, pid_t avoid)
{
    g_mutex_lock(&p->lock);
    for (;;) {
        int empty = -1;
        for (int i = 0; i < p->n; i++) {
            if (p->slots[i].busy || (avoid > 0 && p->slots[i].pid == avoid))
                continue;
            if (p->slots[i].fd >= 0) {
                p->slots[i].busy = true;
                *id = ++p->next_id;
                bool stale = p->slots[i].generation != p->generation;
                g_mutex_unlock(&p->lock);
                if (stale) { /* recycled: this file gets a fresh worker */
                    int status;
                    pool_replace(p, i, &status);
                    if (p->slots[i].fd < 0) {
                        *why = g_strdup("a fresh scanner worker could not be started");
                        pool_release(p, i);
                        return -1;
                    }
                }
                return i;
            }
            if (empty < 0)
                empty = i;
        }
        if (empty >= 0) {
            p->slots[empty].busy = true;
            g_mutex_unlock(&p->lock);
            if (pool_spawn(p, empty, why) == 0) {
                g_mutex_lock(&p->lock);
                *id = ++p->next_id;
                g_mutex_unlock(&p->lock);
                return empty;
            }
            g_mutex_lock(&p->lock);
            p->slots[empty].busy = false;
            g_cond_broadcast(&p->idle);
            g_mutex_unlock(&p->lock);
            return -1;
        }
        g_cond_wait(&p->idle, &p->lock);
    }
}

/* A read-only open file description of the same file, so the worker can neither write
 * the spooled copy nor move our file offset.  -1 when FD is not a regular file or the
 * reopening failed (then FD itself is passed). */
static int pool_reopen_ro(int fd)
{
    struct stat st, st2;
    char path[64];
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    int ro = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (ro < 0)
        return -1;
    if (fstat(ro, &st2) != 0 || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino) {
        close(ro);
        return -1;
    }
    return ro;
}

/* The hook KIOSK_SCANNER_TEST_FORBIDDEN names, for every request, or with
 * KIOSK_SCANNER_TEST_FILE=NAME only for the scan (not type-only) request of the file NAME:
 * e.g. "hang" there keeps one worker holding that file until the test kills it. */
static enum worker_test_hook pool_test_hook(const struct scanner_pool *p, const char *name,
                                            bool type_only)
{
    static const struct {
        const char *name;
        enum worker_test_hook hook;
    } hooks[] = {
        {"socket", WORKER_HOOK_SOCKET},     {"execve", WORKER_HOOK_EXECVE},
        {"hang", WORKER_HOOK_HANG},         {"crash", WORKER_HOOK_CRASH},
        {"nonsense", WORKER_HOOK_NONSENSE}, {"stale", WORKER_HOOK_STALE},
        {"open", WORKER_HOOK_OPEN},         {"edifact-nonsense", WORKER_HOOK_EDIFACT_NONSENSE},
    };
    const char *v = p->conf.test_hooks ? getenv("KIOSK_SCANNER_TEST_FORBIDDEN") : NULL;
    const char *only = v ? getenv("KIOSK_SCANNER_TEST_FILE") : NULL;
    if (only && (type_only || !name || strcmp(name, only) != 0))
        return WORKER_HOOK_NONE;
    for (size_t i = 0; v && i < sizeof(hooks) / sizeof(hooks[0]); i++)
        if (strcmp(v, hooks[i].name) == 0)
            return hooks[i].hook;
    return WORKER_HOOK_NONE;
}

/* The EDIFACT message that follows the reply to request ID: NULL when it came and is
 * well-formed (*EDI filled), else what is wrong. */
static const char *pool_recv_edifact(int wfd, uint64_t id, gint64 deadline, ssize_t *n,
                                     struct edifact_summary *edi)
{
    struct worker_edifact *e = g_new0(struct worker_edifact, 1);
    const char *bad = NULL;
    *n = -1;
    if (!pool_wait_readable(wfd, deadline)) {
        bad = "timed out";
    } else {
        *n = worker_msg_recv(wfd, e, sizeof(*e), NULL);
        if (*n == 0 || (*n < 0 && errno != EPROTO))
            bad = "crashed";
        else if (*n < 0 || e->magic != WORKER_EDIFACT_MAGIC || e->id != id || e->reserved)
            bad = "answered nonsense";
        else if (edifact_summary_check(&e->summary) != NULL)
            bad = "answered nonsense";
    }
    if (!bad)
        *edi = e->summary;
    else if (*n > 0)
        log_warn("scanner: EDIFACT summary refused: %s",
                 e->magic != WORKER_EDIFACT_MAGIC || e->id != id
                     ? "bad magic or request id"
                     : edifact_summary_check(&e->summary));
    g_free(e);
    return bad;
}

int scanner_pool_scan_fd(struct scanner_pool *p, int fd, const char *name, unsigned timeout_ms,
                         struct verdict *out)
{
    return scanner_pool_scan_edifact(p, fd, name, timeout_ms, out, NULL, 0, 0, NULL);
}

static int pool_request(struct scanner_pool *p, int fd, const char *name, unsigned timeout_ms,
                        bool type_only, struct verdict *out, char *mime, size_t mimelen,
                        unsigned edifact_flags, struct edifact_summary *edi, pid_t avoid);

/* The one scan: every public scan entry comes here.  AVOID (> 0): any worker but that one
 * (scanner_pool_scan_copy: the writer of a sanitized copy never judges it). */
static int pool_scan(struct scanner_pool *p, int fd, const char *name, unsigned timeout_ms,
                     struct verdict *out, char *mime, size_t mimelen, unsigned edifact_flags,
                     struct edifact_summary *edi, pid_t avoid)
{
    return pool_request(p, fd, name, timeout_ms, false, out, mime, mimelen, edifact_flags, edi,
                        avoid);
}

int scanner_pool_type(struct scanner_pool *p, int fd, const char *name, unsigned timeout_ms,
                      struct verdict *out, char *mime, size_t mimelen, unsigned edifact_flags,
                      struct edifact_summary *edi)
{
    pool_request(p, fd, name, timeout_ms, true, out, mime, mimelen, edifact_flags, edi, 0);
    if (out->kind != VERDICT_CLEAN && out->kind != VERDICT_ERROR)
        verdict_setr(out, VERDICT_ERROR, "scan.type-nonsense", NULL);
    return 0;
}

bool scanner_pool_cache_context(const struct scanner_pool *p, unsigned char *out)
{
    if (p->cache_ctx_ok)
        memcpy(out, p->cache_ctx, VERDICT_CACHE_KEY_LEN);
    return p->cache_ctx_ok;
}

/* The request for NAME to worker ID: the test hook, what to read, the name in printable
 * ASCII. */
static void pool_request_init(struct scanner_pool *p, struct worker_request *req, guint64 id,
                              const char *name, bool type_only, unsigned want_edifact)
{
    memset(req, 0, sizeof(*req));
    req->magic = WORKER_REQUEST_MAGIC;
    req->id = id;
    req->test_hook = pool_test_hook(p, name, type_only);
    req->edifact = want_edifact;
    req->type_only = type_only;
    for (size_t k = 0; name && name[k] && k + 1 < sizeof(req->name); k++)
        req->name[k] = (name[k] >= 0x20 && name[k] < 0x7f) ? name[k] : '?';
}

/* The worker's answer to REQ on WFD (SENT: what sending it returned) by DEADLINE: NULL
 * when it answered sensibly (REP, and EDI when asked), else what went wrong ("crashed",
 * "timed out", "answered nonsense").  *N is what reading the reply returned. */
static const char *pool_request_reply(int wfd, int sent, const struct worker_request *req,
                                      gint64 deadline, struct worker_reply *rep, ssize_t *n,
                                      struct edifact_summary *edi)
{
    if (sent != 0)
        return "crashed";
    if (!pool_wait_readable(wfd, deadline))
        return "timed out";
    memset(rep, 0, sizeof(*rep));
    *n = worker_msg_recv(wfd, rep, sizeof(*rep), NULL);
    if (*n == 0 || (*n < 0 && errno != EPROTO))
        return "crashed";
    if (*n < 0 || pool_reply_check(rep, req->id) != NULL)
        return "answered nonsense";
    if (req->edifact)
        return pool_recv_edifact(wfd, req->id, deadline, n, edi);
    return NULL;
}

/* A sensible answer REP into OUT and MIME. */
static void pool_request_verdict(const struct worker_reply *rep, struct verdict *out, char *mime,
                                 size_t mimelen)
{
    if (rep->kind == VERDICT_CLEAN)
        verdict_setr(out, VERDICT_CLEAN, NULL, NULL);
    else if (rep->why.code[0]) /* the sentence is rebuilt here from the checked code */
        verdict_set_data(out, (enum verdict_kind)rep->kind, &rep->why);
    else
        verdict_setr(out, VERDICT_ERROR, "scan.worker-error", rep->reason, NULL);
    if (mime && mimelen)
        g_strlcpy(mime, rep->mime, mimelen);
}

/* Worker I (PID) went BAD on NAME: it is replaced, OUT says why, the log has the detail
 * (REP, N: its reply, when one came for request ID). */
static void pool_request_failed(struct scanner_pool *p, int i, pid_t pid, const char *bad,
                                const char *name, unsigned timeout_ms,
                                const struct worker_reply *rep, ssize_t n, guint64 id,
                                struct verdict *out)
{
    char text[128];
    int status = -1;
    pool_replace(p, i, &status);
    pool_describe_status(status, text, sizeof(text));
    if (strcmp(bad, "timed out") == 0) {
        char ms[16];
        snprintf(ms, sizeof(ms), "%u", timeout_ms);
        verdict_setr(out, VERDICT_ERROR, "scan.worker-timeout", ms, NULL);
    } else if (strcmp(bad, "crashed") == 0) {
        verdict_setr(out, VERDICT_ERROR, "scan.worker-crashed", text, NULL);
    } else {
        verdict_setr(out, VERDICT_ERROR, "scan.worker-nonsense", NULL);
    }
    const char *detail = n > 0 ? pool_reply_check(rep, id) : NULL;
    log_warn("scanner: worker %ld %s on %s (%s%s%s); replaced", (long)pid, bad, name ? name : "?",
             text, detail ? ", " : "", detail ? detail : "");
}

static int pool_request(struct scanner_pool *p, int fd, const char *name, unsigned timeout_ms,
                        bool type_only, struct verdict *out, char *mime, size_t mimelen,
                        unsigned edifact_flags, struct edifact_summary *edi, pid_t avoid)
{
    if (mime && mimelen)
        mime[0] = '\0';
    struct worker_request req;
    struct worker_reply rep;
    char *why = NULL, text[128];
    guint64 id = 0;
    int status = -1;

    int i, attempt = 0;
    unsigned want_edifact = 0;
    if (edi) {
        memset(edi, 0, sizeof(*edi));
        want_edifact =
            WORKER_EDIFACT_READ | ((edifact_flags & EDIFACT_BY_NAME) ? WORKER_EDIFACT_BY_NAME : 0);
    }
again:
    i = pool_acquire(p, &id, &why, avoid);
    if (i < 0) {
        verdict_setr(out, VERDICT_ERROR, "scan.worker-unavailable", why, NULL);
        log_error("scanner: no worker for %s: %s", name ? name : "?", why);
        g_free(why);
        return 0;
    }
    int wfd = p->slots[i].fd;
    pid_t pid = p->slots[i].pid;
    if (timeout_ms == 0)
        timeout_ms = SCANNER_POOL_DEFAULT_TIMEOUT_MS;

    pool_request_init(p, &req, id, name, type_only, want_edifact);
    int ro = pool_reopen_ro(fd);
    int sent = worker_msg_send(wfd, &req, sizeof(req), ro >= 0 ? ro : fd);
    if (ro >= 0)
        close(ro);
    if (sent != 0 && attempt++ == 0) {
        /* It died while idle, before seeing this file: not the file's doing. */
        pool_replace(p, i, &status);
        pool_describe_status(status, text, sizeof(text));
        log_warn("scanner: idle worker %ld had ended (%s); replaced", (long)pid, text);
        pool_release(p, i);
        goto again;
    }
    gint64 deadline = pool_now_ms() + timeout_ms;
    ssize_t n = -1;
    const char *bad = pool_request_reply(wfd, sent, &req, deadline, &rep, &n, edi);
    if (!bad)
        pool_request_verdict(&rep, out, mime, mimelen);
    else
        pool_request_failed(p, i, pid, bad, name, timeout_ms, &rep, n, id, out);
    pool_release(p, i);
    return 0;
}

int scanner_pool_scan_edifact(struct scanner_pool *p, int fd, const char *name, unsigned timeout_ms,
                              struct verdict *out, char *mime, size_t mimelen,
                              unsigned edifact_flags, struct edifact_summary *edi)
{
    return pool_scan(p, fd, name, timeout_ms, out, mime, mimelen, edifact_flags, edi, 0);
}

int scanner_pool_scan(struct scanner_pool *p, int fd, const char *name, unsigned timeout_ms,
                      struct verdict *out, char *mime, size_t mimelen)
{
    return pool_scan(p, fd, name, timeout_ms, out, mime, mimelen, 0, NULL, 0);
}

/* A sanitized Office or PDF copy is not EDIFACT: no EDIFACT reading. */
int scanner_pool_scan_copy(struct scanner_pool *p, int fd, const char *name, unsigned timeout_ms,
                           pid_t writer, struct verdict *out, char *mime, size_t mimelen)
{
    return pool_scan(p, fd, name, timeout_ms, out, mime, mimelen, 0, NULL, writer);
}

/* ---- content disarm (worker.h: sanitize / sanitized) --------------------------------- */

/* The trusted side's checks of a sanitize answer.  NULL when well-formed, else what is
 * wrong. */
static const char *pool_sanitized_check(const struct worker_sanitized *rep, uint64_t id,
                                        const struct worker_sanitize *req, int copy,
                                        struct sanitize_result *out)
{
    struct stat st;
    if (rep->magic != WORKER_SANITIZED_MAGIC)
        return "bad magic";
    if (rep->id != id)
        return "answer to another request";
    if (rep->status > SANITIZE_REFUSED || rep->family >= SANITIZE_FAMILY_COUNT)
        return "status or family out of range";
    memset(out, 0, sizeof(*out));
    out->status = (enum sanitize_status)rep->status;
    out->removed = rep->removed;
    out->family = (enum sanitize_family)rep->family;
    out->size = rep->size;
    memcpy(out->reason, rep->reason, sizeof(out->reason));
    const char *bad = sanitize_result_check(out, (enum sanitize_format)req->format,
                                            (enum sanitize_mode)req->mode);
    if (bad)
        return bad;
    if (out->status == SANITIZE_REWRITTEN &&
        (copy < 0 || fstat(copy, &st) != 0 || (uint64_t)st.st_size != out->size ||
         out->size > req->limits.max_output))
        return "the copy's size is not what the worker said";
    return NULL;
}

/* The request to sanitize NAME (FORMAT, MODE, LIM) to worker ID; the name in printable
 * ASCII. */
static void pool_sanitize_init(struct worker_sanitize *req, guint64 id, const char *name,
                               enum sanitize_format format, enum sanitize_mode mode,
                               const struct sanitize_limits *lim)
{
    memset(req, 0, sizeof(*req));
    req->magic = WORKER_SANITIZE_MAGIC;
    req->id = id;
    req->format = (uint32_t)format;
    req->mode = (uint32_t)mode;
    req->limits = *lim;
    for (size_t k = 0; name && name[k] && k + 1 < sizeof(req->name); k++)
        req->name[k] = (name[k] >= 0x20 && name[k] < 0x7f) ? name[k] : '?';
}

/* The worker's answer to REQ on WFD (SENT: what sending it returned) within TIMEOUT_MS:
 * NULL when it answered sensibly (OUT, COPY checked), else what went wrong ("crashed",
 * "timed out", "answered nonsense", with *DETAIL saying why it was nonsense). */
static const char *pool_sanitize_reply(int wfd, int sent, const struct worker_sanitize *req,
                                       unsigned timeout_ms, int copy, struct sanitize_result *out,
                                       const char **detail)
{
    struct worker_sanitized rep;
    if (sent != 0)
        return "crashed";
    if (!pool_wait_readable(wfd, pool_now_ms() + timeout_ms))
        return "timed out";
    memset(&rep, 0, sizeof(rep));
    ssize_t n = worker_msg_recv(wfd, &rep, sizeof(rep), NULL);
    if (n == 0 || (n < 0 && errno != EPROTO))
        return "crashed";
    if (n < 0 || (*detail = pool_sanitized_check(&rep, req->id, req, copy, out)) != NULL)
        return "answered nonsense";
    return NULL;
}

/* Worker I (PID) went BAD sanitizing NAME: it is replaced, OUT refuses the file and says
 * why, the log has the DETAIL. */
static void pool_sanitize_failed(struct scanner_pool *p, int i, pid_t pid, const char *bad,
                                 const char *detail, const char *name, unsigned timeout_ms,
                                 struct sanitize_result *out)
{
    char text[128];
    int status = -1;
    pool_replace(p, i, &status);
    pool_describe_status(status, text, sizeof(text));
    if (strcmp(bad, "timed out") == 0)
        sanitize_refuse(out, "could not be sanitized: the sanitizer timed out after %u ms",
                        timeout_ms);
    else if (strcmp(bad, "crashed") == 0)
        sanitize_refuse(out, "could not be sanitized: the sanitizer crashed (%s)", text);
    else
        sanitize_refuse(out, "could not be sanitized: the sanitizer answered nonsense");
    log_warn("scanner: worker %ld %s sanitizing %s (%s%s%s); replaced", (long)pid, bad,
             name ? name : "?", text, detail ? ", " : "", detail ? detail : "");
}

int scanner_pool_sanitize(struct scanner_pool *p, int fd, int copy, const char *name,
                          enum sanitize_format format, enum sanitize_mode mode,
                          const struct sanitize_limits *lim, unsigned timeout_ms,
                          struct sanitize_result *out, pid_t *writer)
{
    struct worker_sanitize req;
    char *why = NULL;
    const char *detail = NULL;
    guint64 id = 0;
    int status = -1, i, attempt = 0;

    memset(out, 0, sizeof(*out));
    if (writer)
        *writer = 0;
again:
    i = pool_acquire(p, &id, &why, 0);
    if (i < 0) {
        sanitize_refuse(out, "could not be sanitized: no scanner worker available (%s)", why);
        g_free(why);
        return 0;
    }
    int wfd = p->slots[i].fd;
    pid_t pid = p->slots[i].pid;
    if (timeout_ms == 0)
        timeout_ms = SCANNER_POOL_DEFAULT_TIMEOUT_MS;
    pool_sanitize_init(&req, id, name, format, mode, lim);
    int ro = pool_reopen_ro(fd);
    int fds[2] = {ro >= 0 ? ro : fd, copy};
    int sent = worker_msg_send_fds(wfd, &req, sizeof(req), fds, mode == SANITIZE_REWRITE ? 2 : 1);
    if (ro >= 0)
        close(ro);
    if (sent != 0 && attempt++ == 0) {
        pool_replace(p, i, &status);
        pool_release(p, i);
        goto again;
    }
    const char *bad = pool_sanitize_reply(wfd, sent, &req, timeout_ms, copy, out, &detail);
    if (!bad) {
        /* A worker that wrote a copy does not judge it: the copy is scanned by another
         * (scanner_pool_scan_copy avoids the writer).  With one worker there is no other:
         * the writer is replaced.  Otherwise it stays, as every worker that has parsed
         * this medium's bytes does until the session's recycle: replacing it costs a fork
         * of the zygote, and the new worker's first scan faults in the engine's pages
         * (0.25 s a copy with two million signatures; bench/README.md). */
        if (out->status == SANITIZE_REWRITTEN) {
            if (p->n < 2)
                pool_replace(p, i, &status);
            else if (writer)
                *writer = pid;
        }
        pool_release(p, i);
        return 0;
    }
    pool_sanitize_failed(p, i, pid, bad, detail, name, timeout_ms, out);
    pool_release(p, i);
    return 0;
}

void scanner_pool_recycle(struct scanner_pool *p)
{
    g_mutex_lock(&p->lock);
    p->generation++;
    /* Idle workers now; busy ones in pool_acquire() before their next file. */
    for (int i = 0; i < p->n; i++) {
        if (p->slots[i].busy || p->slots[i].fd < 0)
            continue;
        p->slots[i].busy = true;
        g_mutex_unlock(&p->lock);
        int status;
        pool_replace(p, i, &status);
        g_mutex_lock(&p->lock);
        p->slots[i].busy = false;
        g_cond_signal(&p->idle);
    }
    g_mutex_unlock(&p->lock);
}

int scanner_pool_worker_pids(struct scanner_pool *p, pid_t *pids, int max)
{
    int k = 0;
    g_mutex_lock(&p->lock);
    for (int i = 0; i < p->n && k < max; i++)
        if (p->slots[i].pid > 0)
            pids[k++] = p->slots[i].pid;
    g_mutex_unlock(&p->lock);
    return k;
}

const struct scanner_info *scanner_pool_info(const struct scanner_pool *p)
{
    return &p->info;
}

void scanner_pool_free(struct scanner_pool *p)
{
    if (!p)
        return;
    for (int i = 0; p->slots && i < p->n; i++)
        if (p->slots[i].fd >= 0)
            close(p->slots[i].fd); /* the worker reads EOF and exits */
    if (p->ctl >= 0)
        close(p->ctl); /* the zygote kills and reaps its workers, then exits */
    if (p->zygote > 0 && !spawner_wait_exit(p->zygote, p->zygote_pidfd, 30000)) {
        log_warn("scanner: zygote %ld did not exit; killing it", (long)p->zygote);
        spawner_signal(p->zygote, p->zygote_pidfd, SIGKILL);
        spawner_wait_exit(p->zygote, p->zygote_pidfd, 30000);
    }
    if (p->zygote_pidfd >= 0)
        close(p->zygote_pidfd);
    if (p->conf.sandbox.tmp_path && util_rm_rf(p->conf.sandbox.tmp_path) != 0)
        log_warn("scanner: could not remove %s: %s", p->conf.sandbox.tmp_path, g_strerror(errno));
    g_free(p->conf.sandbox.tmp_path);
    g_free(p->conf.dbdir);
    g_free(p->slots);
    g_mutex_clear(&p->lock);
    g_mutex_clear(&p->ctl_lock);
    g_cond_clear(&p->idle);
    g_free(p);
}

/* Users, folders and limits for the workers (sandbox.h). */
static int pool_conf(struct scanner_pool *p, const char *dbdir, const struct scanner_opts *opts,
                     const char *user, const char *tmp_root, char **why)
{
    char real[PATH_MAX];
    struct worker_conf *c = &p->conf;

    if (!realpath(dbdir, real)) {
        *why = g_strdup_printf("cannot read signature folder %s: %s", dbdir, g_strerror(errno));
        return KERR_NO_SIGNATURES;
    }
    c->dbdir = g_strdup(real);
    c->opts = *opts;
    c->opts.tmpdir = NULL;
    c->test_hooks = pool_test_hooks;
    if (geteuid() == 0) {
        c->sandbox.private_tmp = true;
        if (user) {
            struct passwd *pw = getpwnam(user);
            if (!pw || pw->pw_uid == 0) {
                *why = g_strdup_printf("the scanner user %s does not exist (or is root); create "
                                       "it: useradd --system --no-create-home --shell "
                                       "/usr/sbin/nologin %s",
                                       user, user);
                return KERR_INVAL;
            }
            c->sandbox.drop_user = true;
            c->sandbox.uid = pw->pw_uid;
            c->sandbox.gid = pw->pw_gid;
        }
    }
    if (!tmp_root)
        tmp_root = g_get_tmp_dir();
    if (util_mkdir_p(tmp_root, 0755) != 0 || !realpath(tmp_root, real)) {
        *why = g_strdup_printf("cannot use %s for scanner temp files: %s", tmp_root,
                               g_strerror(errno));
        return KERR_SYSTEM;
    }
    char *tmpl = g_build_filename(real, "kiosk-scan.XXXXXX", NULL);
    if (!mkdtemp(tmpl)) {
        *why = g_strdup_printf("cannot create a scanner temp folder in %s: %s", real,
                               g_strerror(errno));
        g_free(tmpl);
        return KERR_SYSTEM;
    }
    c->sandbox.tmp_path = tmpl;
    /* libclamav writes what it extracts (each piece up to max_filesize, all together
     * about max_scansize) into the temp folder. */
    uint64_t big = MAX(opts->max_filesize, opts->max_scansize);
    c->sandbox.tmp_size = MIN(big, 1024 * POOL_MIB) + 64 * POOL_MIB;
    c->sandbox.fsize = c->sandbox.tmp_size;
    c->sandbox.as_headroom = 2 * MIN(big, 1024 * POOL_MIB) + 768 * POOL_MIB;
    c->sandbox.nofile = 64;
    return 0;
}

/* A pool of NWORKERS slots, none started yet. */
static struct scanner_pool *pool_alloc(int nworkers)
{
    struct scanner_pool *p = g_new0(struct scanner_pool, 1);
    g_mutex_init(&p->lock);
    g_mutex_init(&p->ctl_lock);
    g_cond_init(&p->idle);
    p->ctl = -1;
    p->zygote_pidfd = -1;
    p->n = nworkers;
    p->slots = g_new0(struct pool_worker, nworkers);
    for (int i = 0; i < nworkers; i++)
        p->slots[i].fd = -1;
    return p;
}

/* Wait for the zygote to load the signatures: 0 with its answer in M (ZYGOTE_READY), or an
 * error and WHY. */
static int pool_wait_zygote(struct scanner_pool *p, struct zygote_msg *m, char **why)
{
    /* Compiling a full database takes a minute or two, and an EOF says the zygote died.
     * The limit is for a zygote that hangs instead, so that a reload gives up, keeps the
     * engine in use and says so, rather than wait forever. */
    if (!pool_wait_load(p->ctl, pool_now_ms() + SCANNER_POOL_LOAD_TIMEOUT_MS)) {
        *why = g_strdup_printf("the scanner zygote did not finish loading the signatures in "
                               "%d minutes",
                               SCANNER_POOL_LOAD_TIMEOUT_MS / 60000);
        /* hung: it would not see the control socket close */
        spawner_signal(p->zygote, p->zygote_pidfd, SIGKILL);
        return KERR_TIMEOUT;
    }
    if (worker_msg_recv(p->ctl, m, sizeof(*m), NULL) <= 0 ||
        (m->op != ZYGOTE_READY && m->op != ZYGOTE_FAILED)) {
        *why = g_strdup("the scanner zygote died while loading the signatures");
        return KERR_ENGINE;
    }
    m->text[sizeof(m->text) - 1] = '\0';
    if (m->op == ZYGOTE_FAILED) {
        *why = g_strdup(m->text);
        return KERR_NO_SIGNATURES;
    }
    return 0;
}

/* The loaded engine's INFO (from M) into P, and the verdict cache's context when the
 * database folder did not change while it loaded (ID_OK, its stat ST0 before, its content
 * DBID). */
static void pool_take_info(struct scanner_pool *p, const struct zygote_msg *m, bool id_ok,
                           const unsigned char *st0, const unsigned char *dbid)
{
    unsigned char st1[VERDICT_CACHE_KEY_LEN];
    p->info = m->info;
    p->info.engine_version[sizeof(p->info.engine_version) - 1] = '\0';
    p->info.db_version[sizeof(p->info.db_version) - 1] = '\0';
    p->info.db_dir[sizeof(p->info.db_dir) - 1] = '\0';
    if (id_ok && verdict_cache_db_identity(p->conf.dbdir, false, st1) == 0 &&
        memcmp(st0, st1, sizeof(st1)) == 0) {
        verdict_cache_context(dbid, &p->info, &p->conf.opts, p->cache_ctx);
        p->cache_ctx_ok = true;
    } else {
        log_warn("scanner: the signature folder %s changed while the engine loaded: no "
                 "verdict cache for this engine",
                 p->conf.dbdir);
    }
}

int scanner_pool_new(const char *dbdir, const struct scanner_opts *opts, int nworkers,
                     const char *user, const char *tmp_root, struct scanner_pool **out, char **why)
{
    struct scanner_pool *p = NULL;
    struct zygote_msg m;
    int r;

    *out = NULL;
    *why = NULL;
    if (nworkers < 1 || nworkers > SCANNER_POOL_MAX_WORKERS) {
        *why = g_strdup_printf("number of scanner workers out of range: %d", nworkers);
        return KERR_INVAL;
    }
    /* libclamav's global init once, here, so nothing in it runs first in a child of a
     * threaded process. */
    if ((r = scanner_init()) != 0) {
        *why = g_strdup("libclamav could not be initialised");
        return r;
    }
    p = pool_alloc(nworkers);
    if ((r = pool_conf(p, dbdir, opts, user, tmp_root, why)) != 0)
        goto fail;

    /* The verdict cache's database identity: the folder's stat before and after the
     * load, its content while the zygote loads it (verdict-cache.h). */
    unsigned char st0[VERDICT_CACHE_KEY_LEN], dbid[VERDICT_CACHE_KEY_LEN];
    bool id_ok = verdict_cache_db_identity(p->conf.dbdir, false, st0) == 0;

    /* The zygote is forked by the single-threaded spawner, never by this (possibly
     * threaded) process: spawner.h. */
    if ((r = spawner_start_zygote(&p->conf, &p->ctl, &p->zygote, &p->zygote_pidfd, why)) != 0)
        goto fail;
    id_ok = id_ok && verdict_cache_db_identity(p->conf.dbdir, true, dbid) == 0;

    if ((r = pool_wait_zygote(p, &m, why)) != 0)
        goto fail;
    pool_take_info(p, &m, id_ok, st0, dbid);

    for (int i = 0; i < nworkers; i++) {
        p->slots[i].busy = true;
        r = pool_spawn(p, i, why);
        p->slots[i].busy = false;
        if (r != 0)
            goto fail;
    }
    *out = p;
    p = NULL; /* transferred */
    return 0;
fail:
    scanner_pool_free(p);
    return r;
}

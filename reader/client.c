/* client.c - the service side of the medium reader (client.h): starts `kiosk reader`,
 * sends requests, re-checks every answer, kills and replaces a reader that crashes,
 * hangs or lies.  The other side is reader.c; the protocol is in reader.h. */
#include "reader/client.h"
#include "common/kerr.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLIENT_HELLO_TIMEOUT_MS 30000

extern char **environ;

static char *client_program; /* reader_client_set_program() */

struct reader_client {
    GMutex lock;     /* one request at a time */
    GMutex pid_lock; /* pid: a pid we may still kill is never reaped without it */
    pid_t pid;
    int ch;     /* our end of the channel, -1 when no reader runs */
    int medium; /* our copy of the medium's descriptor */
    uint64_t size;
    unsigned sector;
    bool drop_user;
    uid_t uid;
    gid_t gid;
    char *root_dir;
    bool test_hooks;
    unsigned timeout_ms;
    uint64_t test_hook;
    gint stopped;
    volatile gint *stop; /* the caller's stop flag (conf->stop) */
    int restarts;
    /* The first PROBE, to ask a replacement reader again and compare. */
    bool probed;
    uint32_t probe_fs, probe_flags;
    struct reader_volume *ref;
    uint32_t n_ref;
    char *buf; /* READER_MSG_MAX */
};

void reader_client_set_program(const char *path)
{
    g_free(client_program);
    client_program = g_strdup(path);
}

/* What a waitpid() status says, in words. */
static void client_describe_status(int status, char *buf, size_t len)
{
    if (status < 0)
        snprintf(buf, len, "its end is unknown");
    else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
        snprintf(buf, len, "killed by SIGSYS: it tried a forbidden system call");
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by SIG%s",
                 sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?");
    else if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(buf, len, "ended (status 0x%x)", (unsigned)status);
}

/* Kill the reader (if any) and reap it; its wait status, or -1. */
static int client_kill(struct reader_client *c)
{
    int status = -1;
    if (c->ch >= 0) {
        close(c->ch);
        c->ch = -1;
    }
    g_mutex_lock(&c->pid_lock);
    if (c->pid > 0) {
        kill(c->pid, SIGKILL);
        while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
            ;
        c->pid = 0;
    }
    g_mutex_unlock(&c->pid_lock);
    return status;
}

/* The reader failed (WHAT: "crashed", "did not answer", "answered nonsense (detail)"):
 * kill it, and say so in *why. */
static int client_failed(struct reader_client *c, const char *what, char **why)
{
    pid_t pid = c->pid;
    int status = client_kill(c);
    if (g_atomic_int_get(&c->stopped)) {
        g_free(*why);
        *why = g_strdup("the check was stopped (medium removed or cancelled)");
        return KERR_CANCELLED;
    }
    char text[96];
    client_describe_status(status, text, sizeof(text));
    log_warn("medium reader %ld %s (%s)", (long)pid, what, text);
    g_free(*why);
    *why = g_strdup_printf("the medium reader %s (%s)", what, text);
    return KERR_SYSTEM;
}

/* Wait for and receive one message.  1, or a failure already handled (reader killed,
 * *why set): the KERR_* code. */
static int client_recv(struct reader_client *c, struct reader_msg *m, unsigned timeout_ms,
                       char **why)
{
    struct pollfd p = {.fd = c->ch, .events = POLLIN};
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    int r;
    /* In slices, so that a stop (a removal) is seen at once, whatever the reader does. */
    for (;;) {
        if (c->stop && g_atomic_int_get(c->stop)) {
            g_atomic_int_set(&c->stopped, 1);
            return client_failed(c, "was stopped", why);
        }
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0) {
            r = 0;
            break;
        }
        r = poll(&p, 1, left > 100 ? 100 : (int)left);
        if (r != 0 && !(r < 0 && errno == EINTR))
            break;
    }
    if (r == 0) {
        char what[64];
        if (timeout_ms % 1000)
            snprintf(what, sizeof(what), "did not answer within %u ms (hung)", timeout_ms);
        else
            snprintf(what, sizeof(what), "did not answer within %u s (hung)", timeout_ms / 1000);
        return client_failed(c, what, why);
    }
    const char *bad = NULL;
    r = reader_msg_recv(c->ch, c->buf, m, &bad);
    if (r == 1)
        return 1;
    if (r == 0 || errno != EPROTO)
        return client_failed(c, "crashed", why);
    char what[128];
    snprintf(what, sizeof(what), "answered nonsense (%s)", bad ? bad : "?");
    return client_failed(c, what, why);
}

static int client_nonsense(struct reader_client *c, const char *detail, char **why)
{
    char what[160];
    snprintf(what, sizeof(what), "answered nonsense (%s)", detail);
    return client_failed(c, what, why);
}

/* A FAILED message: the reader's own words, then its end. */
static int client_reader_failed(struct reader_client *c, const struct reader_msg *m, char **why)
{
    char *text = reader_check_text(m->var, m->varlen) ? g_strdup("(unprintable)")
                                                      : g_strndup(m->var, m->varlen);
    client_kill(c);
    g_free(*why);
    *why = g_strdup_printf("the medium reader failed: %s", text);
    g_free(text);
    return KERR_SYSTEM;
}

static char **client_env(void)
{
    /* Nothing of the service's environment but the sanitizers' options (make check-asan). */
    GPtrArray *env = g_ptr_array_new();
    for (char **e = environ; e && *e; e++)
        if (g_str_has_prefix(*e, "ASAN_OPTIONS=") || g_str_has_prefix(*e, "UBSAN_OPTIONS=") ||
            g_str_has_prefix(*e, "LSAN_OPTIONS="))
            g_ptr_array_add(env, g_strdup(*e));
    g_ptr_array_add(env, g_strdup("PATH=/usr/bin:/bin"));
    g_ptr_array_add(env, NULL);
    return (char **)g_ptr_array_free(env, FALSE);
}

/* Start PROG with ARGV: stdin and stdout /dev/null, the medium and CHILD (its end of the
 * channel) on the reader's fds and nothing else, no signal blocked or caught, only the
 * sanitizers' environment.  posix_spawn's error (0 with *PID). */
static int client_exec(const struct reader_client *c, const char *prog, int child,
                       const char *const *argv, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, all;
    char **envp = client_env();
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, c->medium, READER_MEDIUM_FD);
    posix_spawn_file_actions_adddup2(&fa, child, READER_CHANNEL_FD);
    posix_spawn_file_actions_addclosefrom_np(&fa, READER_CHANNEL_FD + 1);
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int err = posix_spawn(pid, prog, &fa, &attr, (char *const *)argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    g_strfreev(envp);
    return err;
}

/* Wait for the hello of the reader PID just started: 0, or KERR_* with *why. */
static int client_hello(struct reader_client *c, pid_t pid, char **why)
{
    int rc;
    struct reader_msg m;
    if ((rc = client_recv(c, &m, CLIENT_HELLO_TIMEOUT_MS, why)) != 1)
        goto fail;
    if (m.type == READER_FAILED) {
        rc = client_reader_failed(c, &m, why);
        goto fail;
    }
    struct reader_hello h;
    if (m.type != READER_HELLO) {
        rc = client_nonsense(c, "no hello", why);
        goto fail;
    }
    memcpy(&h, m.body, sizeof(h));
    if (h.version != READER_VERSION || (pid_t)h.pid != pid) {
        rc = client_nonsense(c, "a hello of another version or process", why);
        goto fail;
    }
    return 0;
fail:
    if (rc == 0 || rc == 1)
        rc = KERR_SYSTEM;
    return rc;
}

/* Start a reader and wait for its hello.  0 or KERR_* with *why. */
static int client_spawn(struct reader_client *c, char **why)
{
    int sv[2] = {-1, -1}, child = -1;
    char size[32], sector[32], user[48], parent[32];
    const char *prog = client_program ? client_program : "/proc/self/exe";

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        *why = g_strdup_printf("cannot start the medium reader: socketpair: %s", g_strerror(errno));
        return KERR_SYSTEM;
    }
    /* Above the fds the child gets, so no dup2 is a no-op that keeps close-on-exec. */
    child = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
    close(sv[1]);
    if (child < 0) {
        close(sv[0]);
        *why = g_strdup_printf("cannot start the medium reader: %s", g_strerror(errno));
        return KERR_SYSTEM;
    }
    snprintf(size, sizeof(size), "%" G_GUINT64_FORMAT, c->size);
    snprintf(sector, sizeof(sector), "%u", c->sector);
    snprintf(user, sizeof(user), "%u:%u", (unsigned)c->uid, (unsigned)c->gid);
    snprintf(parent, sizeof(parent), "%ld", (long)getpid());
    const char *argv[16];
    int n = 0;
    argv[n++] = "kiosk";
    argv[n++] = "reader";
    if (c->drop_user) {
        argv[n++] = "--user";
        argv[n++] = user;
        argv[n++] = "--root";
        argv[n++] = c->root_dir;
    }
    argv[n++] = "--parent";
    argv[n++] = parent;
    if (c->test_hooks)
        argv[n++] = "--test-hooks";
    argv[n++] = size;
    argv[n++] = sector;
    argv[n] = NULL;

    pid_t pid = 0;
    int err = client_exec(c, prog, child, argv, &pid);
    close(child);
    if (err != 0) {
        close(sv[0]);
        *why = g_strdup_printf("cannot start the medium reader (%s): %s", prog, g_strerror(err));
        return KERR_SYSTEM;
    }
    g_mutex_lock(&c->pid_lock);
    c->pid = pid;
    c->ch = sv[0];
    g_mutex_unlock(&c->pid_lock);
    return client_hello(c, pid, why);
}

int reader_client_start(int medium_fd, uint64_t size, unsigned sector,
                        const struct reader_client_conf *conf, struct reader_client **out,
                        char **why)
{
    struct reader_client *c = g_new0(struct reader_client, 1);
    int rc;

    *out = NULL;
    g_mutex_init(&c->lock);
    g_mutex_init(&c->pid_lock);
    c->ch = -1;
    c->size = size;
    c->sector = sector ? sector : 512;
    c->timeout_ms = READER_TIMEOUT_MS;
    c->stop = conf ? conf->stop : NULL;
    c->buf = g_malloc(READER_MSG_MAX + 1); /* + the NUL after a name */
    c->medium = fcntl(medium_fd, F_DUPFD_CLOEXEC, 10);
    if (c->medium < 0) {
        *why = g_strdup_printf("cannot pass the medium on: %s", g_strerror(errno));
        rc = KERR_SYSTEM;
        goto fail;
    }
    if (geteuid() == 0) {
        const char *name = conf && conf->user ? conf->user : READER_USER_DEFAULT;
        struct passwd *pw = getpwnam(name);
        if (!pw || pw->pw_uid == 0 || pw->pw_gid == 0) {
            *why = g_strdup_printf("the user %s the medium reader runs as does not exist (or is "
                                   "root); run 'make deps' (it creates %s), or set [media] "
                                   "reader-user in kiosk.conf",
                                   name, READER_USER_DEFAULT);
            rc = KERR_INVAL;
            goto fail;
        }
        if (!conf || !conf->root_dir) {
            *why = g_strdup("no folder for the medium reader's private root");
            rc = KERR_INVAL;
            goto fail;
        }
        c->drop_user = true;
        c->uid = pw->pw_uid;
        c->gid = pw->pw_gid;
        c->root_dir = g_strdup(conf->root_dir);
    }
    if (conf && conf->test_hooks) {
        static const struct {
            const char *name;
            enum reader_test_hook hook;
        } hooks[] = {
            {"socket", READER_HOOK_SOCKET},     {"open", READER_HOOK_OPEN},
            {"crash", READER_HOOK_CRASH},       {"hang", READER_HOOK_HANG},
            {"nonsense", READER_HOOK_NONSENSE}, {"oversize", READER_HOOK_OVERSIZE},
        };
        const char *h = getenv("KIOSK_READER_TEST_HOOK"), *t = getenv("KIOSK_READER_TIMEOUT_MS");
        c->test_hooks = true;
        for (size_t i = 0; h && i < G_N_ELEMENTS(hooks); i++)
            if (!strcmp(h, hooks[i].name))
                c->test_hook = hooks[i].hook;
        if (t && atoi(t) >= 100)
            c->timeout_ms = (unsigned)atoi(t);
    }
    if ((rc = client_spawn(c, why)) != 0)
        goto fail;
    *out = c;
    return 0;
fail:
    reader_client_free(c);
    return rc;
}

pid_t reader_client_pid(struct reader_client *c)
{
    g_mutex_lock(&c->pid_lock);
    pid_t p = c->pid;
    g_mutex_unlock(&c->pid_lock);
    return p;
}

void reader_client_stop(struct reader_client *c)
{
    if (!c)
        return;
    g_atomic_int_set(&c->stopped, 1);
    g_mutex_lock(&c->pid_lock);
    if (c->pid > 0)
        kill(c->pid, SIGKILL); /* not reaped here: the pid stays ours until client_kill */
    g_mutex_unlock(&c->pid_lock);
}

void reader_client_free(struct reader_client *c)
{
    if (!c)
        return;
    if (c->ch >= 0) {
        /* EOF first: a healthy reader exits by itself; then make sure. */
        shutdown(c->ch, SHUT_WR);
        struct pollfd p = {.fd = c->ch, .events = POLLIN};
        char b;
        if (poll(&p, 1, 2000) > 0)
            (void)!recv(c->ch, &b, 1, MSG_DONTWAIT);
    }
    client_kill(c);
    if (c->medium >= 0)
        close(c->medium);
    g_free(c->ref);
    g_free(c->root_dir);
    g_free(c->buf);
    g_mutex_clear(&c->lock);
    g_mutex_clear(&c->pid_lock);
    g_free(c);
}

/* ---- requests -------------------------------------------------------------------------- */

static int client_send(struct reader_client *c, enum reader_msg_type type, const void *body,
                       size_t len, char **why)
{
    if (reader_msg_send(c->ch, type, body, len, NULL, 0) != 0)
        return client_failed(c, "crashed", why);
    return 0;
}

static char *client_text(const struct reader_msg *m)
{
    if (m->varlen == 0 || reader_check_text(m->var, m->varlen))
        return NULL;
    return g_strndup(m->var, m->varlen);
}

static char *client_field(const char *field, bool utf8)
{
    if (!field[0])
        return NULL;
    if (!utf8)
        return g_strdup(field);
    return g_utf8_make_valid(field, -1);
}

/* Send PROBE and read the answer into OUT (checked).  0 or KERR_*. */
static int client_do_probe(struct reader_client *c, uint32_t filesystems, uint32_t flags,
                           struct reader_client_medium *out, struct reader_volume **raw, char **why)
{
    /* A test hook makes the first reader misbehave, not its replacements. */
    struct reader_probe p = {
        .filesystems = filesystems, .flags = flags, .test_hook = c->restarts ? 0 : c->test_hook};
    struct reader_msg m;
    int rc;
    const char *bad;

    memset(out, 0, sizeof(*out));
    if ((rc = client_send(c, READER_PROBE, &p, sizeof(p), why)) != 0)
        return rc;
    if ((rc = client_recv(c, &m, c->timeout_ms, why)) != 1)
        return rc;
    if (m.type == READER_FAILED)
        return client_reader_failed(c, &m, why);
    struct reader_medium med;
    if (m.type != READER_MEDIUM)
        return client_nonsense(c, "no medium answer to PROBE", why);
    memcpy(&med, m.body, sizeof(med));
    if ((bad = reader_check_medium(&med)) || (bad = reader_check_text(m.var, m.varlen)))
        return client_nonsense(c, bad, why);
    out->status = med.status;
    out->pttype = client_field(med.pttype, false);
    out->text = client_text(&m);
    out->volumes = g_new0(struct reader_client_volume, med.n_volumes);
    *raw = g_new0(struct reader_volume, med.n_volumes);
    for (uint32_t i = 0; i < med.n_volumes; i++) {
        if ((rc = client_recv(c, &m, c->timeout_ms, why)) != 1)
            return rc;
        struct reader_volume v;
        if (m.type != READER_VOLUME)
            return client_nonsense(c, "fewer volumes than announced", why);
        memcpy(&v, m.body, sizeof(v));
        if ((bad = reader_check_volume(&v, i + 1)) || (bad = reader_check_text(m.var, m.varlen)))
            return client_nonsense(c, bad, why);
        if (v.status == READER_VOLUME_OK && !(filesystems & (1u << reader_fs_from_name(v.fstype))))
            return client_nonsense(c, "it opened a filesystem it was not allowed to", why);
        (*raw)[i] = v;
        struct reader_client_volume *cv = &out->volumes[i];
        cv->index = v.index;
        cv->partno = v.partno;
        cv->status = v.status;
        cv->flags = v.flags;
        cv->offset = v.offset;
        cv->size = v.size;
        cv->root = v.root;
        cv->root_id = v.root_id;
        cv->fstype = client_field(v.fstype, false);
        cv->fsversion = client_field(v.fsversion, true);
        cv->label = client_field(v.label, true);
        cv->uuid = client_field(v.uuid, true);
        cv->problem = client_text(&m);
        out->n_volumes = i + 1;
    }
    return 0;
}

/* A reader to talk to: the running one, or a fresh one that finds the same volumes. */
static int client_ensure(struct reader_client *c, char **why)
{
    if (c->stop && g_atomic_int_get(c->stop))
        g_atomic_int_set(&c->stopped, 1);
    if (g_atomic_int_get(&c->stopped)) {
        *why = g_strdup("the check was stopped (medium removed or cancelled)");
        return KERR_CANCELLED;
    }
    if (c->ch >= 0)
        return 0;
    if (c->restarts >= READER_CLIENT_RESTARTS) {
        *why = g_strdup_printf("the medium reader failed %d times; the rest of the medium was "
                               "not read",
                               c->restarts);
        return KERR_SYSTEM;
    }
    c->restarts++;
    int rc = client_spawn(c, why);
    if (rc != 0 || !c->probed)
        return rc;
    struct reader_client_medium med;
    struct reader_volume *raw = NULL;
    rc = client_do_probe(c, c->probe_fs, c->probe_flags, &med, &raw, why);
    bool same = rc == 0 && med.n_volumes == c->n_ref;
    for (uint32_t i = 0; same && i < med.n_volumes; i++)
        same = raw[i].status == c->ref[i].status && raw[i].offset == c->ref[i].offset &&
               raw[i].size == c->ref[i].size && raw[i].root == c->ref[i].root &&
               raw[i].root_id == c->ref[i].root_id && !strcmp(raw[i].fstype, c->ref[i].fstype);
    reader_client_medium_clear(&med);
    g_free(raw);
    if (rc == 0 && !same) {
        client_kill(c);
        *why = g_strdup("a new medium reader found other volumes than the first (the medium "
                        "changed?)");
        rc = KERR_MEDIUM;
    }
    return rc;
}

int reader_client_probe(struct reader_client *c, uint32_t filesystems, uint32_t flags,
                        struct reader_client_medium *out, char **why)
{
    struct reader_volume *raw = NULL;
    g_mutex_lock(&c->lock);
    int rc = client_ensure(c, why);
    if (rc == 0 && c->probed) {
        *why = g_strdup("the medium was already probed");
        rc = KERR_INVAL;
    }
    if (rc == 0)
        rc = client_do_probe(c, filesystems, flags, out, &raw, why);
    if (rc == 0) {
        c->probed = true;
        c->probe_fs = filesystems;
        c->probe_flags = flags;
        c->ref = raw;
        c->n_ref = out->n_volumes;
        raw = NULL;
    } else {
        reader_client_medium_clear(out);
    }
    g_free(raw);
    g_mutex_unlock(&c->lock);
    return rc;
}

void reader_client_medium_clear(struct reader_client_medium *m)
{
    for (uint32_t i = 0; m->volumes && i < m->n_volumes; i++) {
        struct reader_client_volume *v = &m->volumes[i];
        g_free(v->fstype);
        g_free(v->fsversion);
        g_free(v->label);
        g_free(v->uuid);
        g_free(v->problem);
    }
    g_free(m->volumes);
    g_free(m->pttype);
    g_free(m->text);
    memset(m, 0, sizeof(*m));
}

/* The reader's status of an END message as a KERR_* with *why. */
static int client_end_status(const struct reader_end *e, const struct reader_msg *m,
                             const char *what, char **why)
{
    static const char *const words[READER_STATUS_END] = {
        [READER_ERR_IO] = "the medium could not be read (was it removed?)",
        [READER_ERR_DAMAGED] = "the filesystem is damaged here",
        [READER_ERR_TRUNCATED] = "more entries than the limit",
        [READER_ERR_CHANGED] = "it is not what the listing showed",
        [READER_ERR_REQUEST] = "the reader could not serve the request",
    };
    char *text = client_text(m);
    *why = g_strdup_printf("%s: %s%s%s%s", what, words[e->status], text ? " (" : "",
                           text ? text : "", text ? ")" : "");
    g_free(text);
    return e->status == READER_ERR_TRUNCATED ? KERR_LIMIT : KERR_MEDIUM;
}

int reader_client_listdir(struct reader_client *c, uint32_t volume, uint64_t inode,
                          uint32_t max_entries, reader_client_entry_fn fn, void *data, char **why)
{
    struct reader_listdir req = {.volume = volume, .max_entries = max_entries, .inode = inode};
    struct reader_msg m;
    uint64_t got = 0;
    bool stopped_cb = false;
    const char *bad;
    int rc;

    g_mutex_lock(&c->lock);
    if ((rc = client_ensure(c, why)) != 0 ||
        (rc = client_send(c, READER_LISTDIR, &req, sizeof(req), why)) != 0)
        goto out;
    for (;;) {
        if ((rc = client_recv(c, &m, c->timeout_ms, why)) != 1)
            goto out;
        if (m.type == READER_FAILED) {
            rc = client_reader_failed(c, &m, why);
            goto out;
        }
        if (m.type == READER_DIR_END) {
            struct reader_end e;
            memcpy(&e, m.body, sizeof(e));
            if ((bad = reader_check_end(&e)) || (bad = reader_check_text(m.var, m.varlen))) {
                rc = client_nonsense(c, bad, why);
                goto out;
            }
            if (e.count != got || (e.status == READER_OK && got > max_entries)) {
                rc = client_nonsense(c, "a listing whose count does not add up", why);
                goto out;
            }
            rc = e.status == READER_OK ? 0 : client_end_status(&e, &m, "the folder", why);
            goto out;
        }
        if (m.type != READER_ENTRY) {
            rc = client_nonsense(c, "a message that is not part of a listing", why);
            goto out;
        }
        struct reader_entry e;
        memcpy(&e, m.body, sizeof(e));
        if ((bad = reader_check_entry(&e, m.var, m.varlen))) {
            rc = client_nonsense(c, bad, why);
            goto out;
        }
        if (++got > max_entries) {
            rc = client_nonsense(c, "more entries than asked for", why);
            goto out;
        }
        if (!stopped_cb) {
            /* NUL-terminate the name in place (the receive buffer has room). */
            char *name = (char *)m.var;
            char saved = name[m.varlen];
            name[m.varlen] = '\0';
            stopped_cb = fn(&e, name, m.varlen, data) != 0;
            name[m.varlen] = saved;
        }
    }
out:
    if (rc == 1)
        rc = KERR_SYSTEM;
    g_mutex_unlock(&c->lock);
    return rc;
}

int reader_client_read(struct reader_client *c, uint32_t volume, uint64_t inode, uint64_t size,
                       reader_client_sink_fn sink, void *data, char **why)
{
    struct reader_read req = {.volume = volume, .inode = inode, .size = size};
    struct reader_msg m;
    uint64_t got = 0;
    const char *bad;
    int rc, sink_rc = 0;

    g_mutex_lock(&c->lock);
    if ((rc = client_ensure(c, why)) != 0 ||
        (rc = client_send(c, READER_READ, &req, sizeof(req), why)) != 0)
        goto out;
    for (;;) {
        if ((rc = client_recv(c, &m, c->timeout_ms, why)) != 1)
            goto out;
        if (m.type == READER_FAILED) {
            rc = client_reader_failed(c, &m, why);
            goto out;
        }
        if (m.type == READER_READ_END) {
            struct reader_end e;
            memcpy(&e, m.body, sizeof(e));
            if ((bad = reader_check_end(&e)) || (bad = reader_check_text(m.var, m.varlen))) {
                rc = client_nonsense(c, bad, why);
                goto out;
            }
            if (e.count != got || (e.status == READER_OK && got != size)) {
                rc = client_nonsense(c, "a file whose length does not add up", why);
                goto out;
            }
            rc = e.status == READER_OK ? sink_rc : client_end_status(&e, &m, "the file", why);
            goto out;
        }
        if (m.type != READER_DATA) {
            rc = client_nonsense(c, "a message that is not part of a file", why);
            goto out;
        }
        if (m.varlen > size - got) {
            rc = client_nonsense(c, "more bytes than the file has", why);
            goto out;
        }
        got += m.varlen;
        /* After the sink said stop, the rest of the file is drained: the reader stays. */
        if (sink_rc == 0)
            sink_rc = sink(m.var, m.varlen, data);
    }
out:
    if (rc == 1)
        rc = KERR_SYSTEM;
    g_mutex_unlock(&c->lock);
    return rc;
}

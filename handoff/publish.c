/* publish.c - the service side of publication: open what the publisher may touch, start
 * it, read its answers, re-check them (see publish.h). */
#include "handoff/publish.h"
#include "common/json.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"
#include "handoff/outbox.h"
#include "handoff/workarea.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <grp.h>
#include <json-glib/json-glib.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PUBLISH_MAX_LINE 65536

struct publish_run {
    publish_done_fn done;
    void *data;
    GPid pid;
    GIOChannel *out;
    GMainContext *ctx; /* the thread-default context at the start: every source is there */
    GSource *out_watch, *child_watch, *stall_timer;
    GString *line;
    struct publish_result res;
    bool got_result, exited, eof, finished;
    int status;
    char *session;
    char *tmpdir; /* SMB: the publisher's TMPDIR, made and removed by the service */
};

void publish_result_clear(struct publish_result *r)
{
    g_free(r->location);
    g_free(r->error);
    memset(r, 0, sizeof(*r));
}

int publish_ids(const char *user, const char *group, uid_t *uid, gid_t *pub_gid, gid_t *tos_gid,
                char **why)
{
    if (!user)
        user = PUBLISH_USER_DEFAULT;
    struct passwd *pw = getpwnam(user);
    if (!pw || pw->pw_uid == 0) {
        *why = g_strdup_printf("the publisher's user %s does not exist (run 'make deps' or "
                               "install the package: it creates it)",
                               user);
        return KERR_NOT_FOUND;
    }
    *uid = pw->pw_uid;
    *pub_gid = pw->pw_gid;
    struct group *gr = group && *group ? getgrnam(group) : NULL;
    if (group && *group && !gr) {
        *why = g_strdup_printf("the staging group %s does not exist (run 'make deps' or install "
                               "the package, or set [staging] group)",
                               group);
        return KERR_NOT_FOUND;
    }
    *tos_gid = gr ? gr->gr_gid : (gid_t)-1;
    return 0;
}

static void publish_fail(struct publish_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void publish_fail(struct publish_result *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_free(res->error);
    res->error = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    res->ok = false;
}

static void publish_drop_source(GSource **src)
{
    if (*src) {
        g_source_destroy(*src);
        g_source_unref(*src);
        *src = NULL;
    }
}

static GSource *publish_attach(GMainContext *ctx, GSource *src, GSourceFunc fn, void *data)
{
    g_source_set_callback(src, fn, data, NULL);
    g_source_attach(src, ctx);
    return src;
}

/* An SMB publisher's TMPDIR (libsmbclient keeps its state there): a new folder in
 * WORK_DIR/publish-tmp/, owned by the publisher's user UID:GID, opened as *FD (its fd 5:
 * WORK itself is root's).  The service removes it once the publisher has exited, even
 * when it was killed (the publisher's own clean-up then never ran).  Its path, or NULL
 * with *why. */
static char *publish_tmpdir_new(const char *work_dir, uid_t uid, gid_t gid, int *fd, char **why)
{
    char *parent = g_build_filename(work_dir, WORKAREA_PUBLISH_TMP, NULL);
    char *dir = g_build_filename(parent, "XXXXXX", NULL);
    bool made = g_mkdir_with_parents(parent, 0700) == 0 && g_mkdtemp_full(dir, 0700);
    *fd = -1;
    if (!made || (geteuid() == 0 && chown(dir, uid, gid) != 0) ||
        (*fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        *why = g_strdup_printf("cannot make the publisher's private folder in %s: %s", parent,
                               g_strerror(errno));
        if (made)
            (void)util_rm_rf(dir);
        g_clear_pointer(&dir, g_free);
    }
    g_free(parent);
    return dir;
}

static void publish_tmpdir_remove(char *dir)
{
    if (!dir)
        return;
    if (util_rm_rf(dir) != 0)
        log_warn("cannot remove the publisher's folder %s: %s", dir, g_strerror(errno));
    g_free(dir);
}

void publish_tmp_recover(const char *work_dir, GPtrArray *cleaned)
{
    char *parent = g_build_filename(work_dir, WORKAREA_PUBLISH_TMP, NULL);
    GDir *d = g_dir_open(parent, 0, NULL);
    unsigned n = 0;
    while (d && g_dir_read_name(d))
        n++;
    if (d)
        g_dir_close(d);
    if (util_rm_rf(parent) != 0)
        log_warn("recovery: cannot remove %s: %s", parent, g_strerror(errno));
    else if (n)
        g_ptr_array_add(cleaned, g_strdup_printf("removed %u private folder%s of publishers "
                                                 "that were stopped with the service",
                                                 n, n == 1 ? "" : "s"));
    g_free(parent);
}

static void publish_finish(struct publish_run *r)
{
    if (r->finished || !r->exited || !(r->eof || r->got_result))
        return;
    r->finished = true;
    publish_drop_source(&r->stall_timer);
    publish_drop_source(&r->out_watch);
    publish_drop_source(&r->child_watch);
    if (!r->got_result) {
        char st[64];
        if (WIFSIGNALED(r->status))
            snprintf(st, sizeof(st), "was killed (%s)",
                     WTERMSIG(r->status) == SIGSYS ? "a forbidden system call"
                                                   : g_strsignal(WTERMSIG(r->status)));
        else
            snprintf(st, sizeof(st), "ended with status %d", WEXITSTATUS(r->status));
        publish_fail(&r->res, "the publisher %s before it finished", st);
    } else if (r->res.ok && (!WIFEXITED(r->status) || WEXITSTATUS(r->status) != 0)) {
        publish_fail(&r->res, "the publisher said it finished but then failed");
    }
    if (r->out)
        g_io_channel_unref(r->out);
    r->out = NULL;
    g_spawn_close_pid(r->pid);
    publish_tmpdir_remove(r->tmpdir);
    g_string_free(r->line, TRUE);
    r->done(&r->res, r->data);
    publish_result_clear(&r->res);
    g_main_context_unref(r->ctx);
    g_free(r->session);
    g_free(r);
}

/* One answer line.  The publisher is less trusted than the service: every field is
 * checked for type and size; a bad line ends it. */
static bool publish_line(struct publish_run *r, const char *line)
{
    JsonParser *p = json_parser_new();
    bool ok = false;
    if (!json_parser_load_from_data(p, line, -1, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
        goto out;
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    const char *type = json_object_get_string_member_with_default(o, "type", "");
    if (!strcmp(type, "progress")) {
        ok = true;
    } else if (!strcmp(type, "result") && !r->got_result) {
        JsonNode *okn = json_object_get_member(o, "ok");
        const char *loc = json_member_string(o, "location", NULL);
        const char *err = json_member_string(o, "error", NULL);
        if (!okn || json_node_get_value_type(okn) != G_TYPE_BOOLEAN)
            goto out;
        r->res.ok = json_node_get_boolean(okn);
        r->res.already = json_object_get_boolean_member_with_default(o, "already", FALSE);
        r->res.files = (uint64_t)json_object_get_int_member_with_default(o, "files", 0);
        r->res.bytes = (uint64_t)json_object_get_int_member_with_default(o, "bytes", 0);
        if (loc)
            r->res.location = g_strndup(loc, 4096);
        if (err)
            r->res.error = g_strndup(err, 1024);
        if (!r->res.ok && !r->res.error)
            r->res.error = g_strdup("the publisher failed without saying why");
        r->got_result = true;
        ok = true;
    }
out:
    g_object_unref(p);
    return ok;
}

static gboolean publish_stalled(gpointer data)
{
    struct publish_run *r = data;
    publish_drop_source(&r->stall_timer);
    log_warn("publish %s: no progress for %d s; stopping the publisher", r->session,
             PUBLISH_STALL_SECONDS);
    publish_fail(&r->res, "the share stopped answering (nothing moved for %d s)",
                 PUBLISH_STALL_SECONDS);
    r->got_result = true; /* what we say now is the result */
    kill(r->pid, SIGKILL);
    return G_SOURCE_REMOVE;
}

static void publish_arm_stall(struct publish_run *r)
{
    publish_drop_source(&r->stall_timer);
    r->stall_timer = publish_attach(r->ctx, g_timeout_source_new_seconds(PUBLISH_STALL_SECONDS),
                                    publish_stalled, r);
}

static gboolean publish_on_out(GIOChannel *ch, GIOCondition cond, gpointer data)
{
    struct publish_run *r = data;
    char buf[8192];
    gsize n = 0;
    GIOStatus st = G_IO_STATUS_NORMAL;
    (void)cond;
    st = g_io_channel_read_chars(ch, buf, sizeof(buf), &n, NULL);
    for (gsize i = 0; i < n; i++) {
        if (buf[i] != '\n') {
            if (r->line->len < PUBLISH_MAX_LINE)
                g_string_append_c(r->line, buf[i]);
            continue;
        }
        if (!r->got_result || r->res.ok) {
            if (!publish_line(r, r->line->str) && !r->got_result) {
                publish_fail(&r->res, "the publisher answered nonsense");
                r->got_result = true;
                kill(r->pid, SIGKILL);
            }
        }
        g_string_truncate(r->line, 0);
        publish_arm_stall(r);
    }
    if (st == G_IO_STATUS_EOF || st == G_IO_STATUS_ERROR) {
        r->eof = true;
        g_source_unref(r->out_watch); /* removed by returning G_SOURCE_REMOVE */
        r->out_watch = NULL;
        publish_finish(r);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void publish_on_exit(GPid pid, gint status, gpointer data)
{
    struct publish_run *r = data;
    (void)pid;
    r->status = status;
    r->exited = true;
    g_source_unref(r->child_watch); /* a child watch runs once */
    r->child_watch = NULL;
    publish_finish(r);
}

/* The job for the publisher (fd 0). */
static char *publish_job_json(const struct publish_job *job, const char *user,
                              const char *password, const char *domain, uid_t uid, gid_t gid,
                              gid_t tos, const char *manifest_sha256)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "session", job->session);
    json_object_set_string_member(o, "target", job->target->spec);
    if (manifest_sha256)
        json_object_set_string_member(o, "manifest_sha256", manifest_sha256);
    if (job->probe)
        json_object_set_boolean_member(o, "probe", TRUE);
    json_object_set_int_member(o, "uid", (gint64)uid);
    json_object_set_int_member(o, "gid", (gint64)gid);
    json_object_set_int_member(o, "group", tos == (gid_t)-1 ? -1 : (gint64)tos);
    if (user) {
        json_object_set_string_member(o, "username", user);
        json_object_set_string_member(o, "password", password);
        json_object_set_string_member(o, "domain", domain);
    }
    if (job->test_hold_fifo)
        json_object_set_string_member(o, "test_hold_fifo", job->test_hold_fifo);
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    char *text = json_text(n, false, NULL);
    /* json-glib copied the password into its nodes: they are freed now, the text is
     * zeroed by the caller. */
    json_node_unref(n);
    return text;
}

/* kiosk-publish in the folder of the running kiosk binary (newly allocated), or NULL. */
static char *publish_program(void)
{
    char *self = g_file_read_link("/proc/self/exe", NULL);
    if (!self)
        return NULL;
    /* A binary replaced by an upgrade shows as "... (deleted)": its folder is the same. */
    if (g_str_has_suffix(self, " (deleted)"))
        self[strlen(self) - strlen(" (deleted)")] = '\0';
    char *dir = g_path_get_dirname(self);
    char *prog = g_build_filename(dir, "kiosk-publish", NULL);
    g_free(dir);
    g_free(self);
    return prog;
}

static void publish_early_fail(publish_done_fn done, void *data, char *why)
{
    struct publish_result res = {0};
    res.error = why;
    done(&res, data);
    publish_result_clear(&res);
}

/* Start the publisher beside the running kiosk binary, exec'd afresh (nothing of the
 * service's threads, locks or memory comes along), with the outbox entry ENTRYFD as its fd
 * 3, the target folder TARGETFD as its fd 4 and its private folder TMPFD as its fd 5 and
 * TMPDIR (each when >= 0).  0 with *PID and the pipes to its stdin and from its stdout,
 * or -1 with *why. */
static int publish_spawn(int entryfd, int targetfd, int tmpfd, GPid *pid, int *stdin_fd,
                         int *stdout_fd, char **why)
{
    char *prog = publish_program();
    const char *argv[] = {prog, "kiosk-publish", NULL};
    const char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/nonexistent",
                          "LC_ALL=C.UTF-8", tmpfd >= 0 ? "TMPDIR=/proc/self/fd/5" : NULL, NULL};
    int src_fds[3], dst_fds[3], nfds = 0;
    GError *err = NULL;
    if (entryfd >= 0) {
        src_fds[nfds] = entryfd;
        dst_fds[nfds++] = 3;
    }
    if (targetfd >= 0) {
        src_fds[nfds] = targetfd;
        dst_fds[nfds++] = 4;
    }
    if (tmpfd >= 0) {
        src_fds[nfds] = tmpfd;
        dst_fds[nfds++] = 5;
    }
    if (!prog) {
        *why = g_strdup("cannot find the kiosk's own program folder (/proc/self/exe)");
        return -1;
    }
    int rc = 0;
    if (!g_spawn_async_with_pipes_and_fds(NULL, argv, envp,
                                          G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_FILE_AND_ARGV_ZERO |
                                              G_SPAWN_CLOEXEC_PIPES,
                                          NULL, NULL, -1, -1, -1, src_fds, dst_fds, (gsize)nfds,
                                          pid, stdin_fd, stdout_fd, NULL, &err)) {
        *why = g_strdup_printf("cannot start the publisher %s: %s", prog, err->message);
        g_clear_error(&err);
        rc = -1;
    }
    g_free(prog);
    return rc;
}

/* The run of publisher PID for SESSION: JOBTEXT handed over on STDIN_FD (then EOF), its
 * answers watched on STDOUT_FD, its exit and stalls watched, in the caller's main
 * context.  Both descriptors are taken, and TMPDIR (publish_tmpdir_new, may be NULL). */
static struct publish_run *publish_run_new(const char *session, GPid pid, int stdin_fd,
                                           int stdout_fd, char *tmpdir, const char *jobtext,
                                           publish_done_fn done, void *data)
{
    struct publish_run *r = g_new0(struct publish_run, 1);
    r->tmpdir = tmpdir;
    r->ctx = g_main_context_ref_thread_default();
    r->done = done;
    r->data = data;
    r->pid = pid;
    r->line = g_string_new(NULL);
    r->session = g_strdup(session);
    /* The job, then EOF; the pipe holds it whole (a few hundred bytes). */
    if (util_write_all(stdin_fd, jobtext, strlen(jobtext)) != 0)
        log_warn("publish %s: cannot hand the job over: %s", session, g_strerror(errno));
    close(stdin_fd);
    r->out = g_io_channel_unix_new(stdout_fd);
    g_io_channel_set_close_on_unref(r->out, TRUE);
    g_io_channel_set_encoding(r->out, NULL, NULL);
    g_io_channel_set_buffered(r->out, FALSE);
    r->out_watch = publish_attach(r->ctx, g_io_create_watch(r->out, G_IO_IN | G_IO_HUP | G_IO_ERR),
                                  (GSourceFunc)(void (*)(void))publish_on_out, r);
    r->child_watch = publish_attach(r->ctx, g_child_watch_source_new(pid),
                                    (GSourceFunc)(void (*)(void))publish_on_exit, r);
    publish_arm_stall(r);
    return r;
}

struct publish_run *publish_start(const struct publish_job *job, publish_done_fn done, void *data)
{
    char *why = NULL;
    int entryfd = -1, targetfd = -1, tmpfd = -1, stdin_fd = -1, stdout_fd = -1;
    char *user = NULL, *password = NULL, *domain = NULL, *jobtext = NULL, *tmpdir = NULL;
    struct outbox_entry *e = NULL;
    uid_t uid = getuid();
    gid_t gid = getgid(), tos = (gid_t)-1;
    struct publish_run *r = NULL;

    if (!job->probe) {
        if (outbox_load(job->work_dir, job->session, &e, &why) != 0)
            goto fail;
        if (!e->manifest_sha256[0]) {
            why = g_strdup_printf("the outbox entry %s has no manifest digest", job->session);
            goto fail;
        }
    }
    if (geteuid() == 0 &&
        publish_ids(job->user, job->target->kind == TARGET_DIR ? job->group : NULL, &uid, &gid,
                    &tos, &why) != 0)
        goto fail;
    if (!job->probe && (entryfd = outbox_open_entry(job->work_dir, job->session, &why)) < 0)
        goto fail;
    if (job->target->kind == TARGET_DIR) {
        targetfd = target_open_dir(job->target, geteuid() == 0 ? uid : (uid_t)-1,
                                   geteuid() == 0 ? tos : (gid_t)-1, &why);
        if (targetfd < 0)
            goto fail;
    } else if (target_read_credentials(job->credentials, &user, &password, &domain, &why) != 0 ||
               !(tmpdir = publish_tmpdir_new(job->work_dir, uid, gid, &tmpfd, &why))) {
        goto fail;
    }
    jobtext =
        publish_job_json(job, user, password, domain, uid, gid, tos, e ? e->manifest_sha256 : NULL);

    GPid pid = 0;
    if (publish_spawn(entryfd, targetfd, tmpfd, &pid, &stdin_fd, &stdout_fd, &why) != 0)
        goto fail;
    r = publish_run_new(job->session, pid, stdin_fd, stdout_fd, tmpdir, jobtext, done, data);
    stdin_fd = stdout_fd = -1, tmpdir = NULL; /* transferred */
    goto out;
fail:
    publish_early_fail(done, data, why);
    why = NULL;
out:
    if (jobtext) {
        explicit_bzero(jobtext, strlen(jobtext));
        g_free(jobtext);
    }
    target_secret_free(user);
    target_secret_free(password);
    target_secret_free(domain);
    if (entryfd >= 0)
        close(entryfd);
    if (targetfd >= 0)
        close(targetfd);
    if (tmpfd >= 0)
        close(tmpfd);
    if (stdin_fd >= 0)
        close(stdin_fd);
    if (stdout_fd >= 0)
        close(stdout_fd);
    outbox_entry_free(e);
    publish_tmpdir_remove(tmpdir);
    g_free(why);
    return r;
}

void publish_stop(struct publish_run *r)
{
    if (r && !r->exited) {
        publish_fail(&r->res, "stopped");
        r->got_result = true;
        kill(r->pid, SIGKILL);
    }
}

struct publish_sync {
    GMainLoop *loop;
    struct publish_result *res;
    bool done;
};

static void publish_sync_done(struct publish_result *res, void *data)
{
    struct publish_sync *s = data;
    *s->res = *res;
    res->location = res->error = NULL; /* transferred */
    s->done = true;
    if (s->loop)
        g_main_loop_quit(s->loop);
}

int publish_run_sync(const struct publish_job *job, struct publish_result *res)
{
    GMainContext *ctx = g_main_context_new();
    struct publish_sync s = {.res = res};
    memset(res, 0, sizeof(*res));
    g_main_context_push_thread_default(ctx);
    s.loop = g_main_loop_new(ctx, FALSE);
    publish_start(job, publish_sync_done, &s);
    if (!s.done)
        g_main_loop_run(s.loop);
    g_main_loop_unref(s.loop);
    g_main_context_pop_thread_default(ctx);
    g_main_context_unref(ctx);
    return res->ok ? 0 : KERR_STAGING;
}

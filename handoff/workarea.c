/* workarea.c - the private work area of the sessions (see workarea.h). */
#include "handoff/workarea.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int workarea_subdir(int fd, const char *name, char **why, const char *path)
{
    if (mkdirat(fd, name, 0700) != 0 && errno != EEXIST) {
        *why = g_strdup_printf("cannot create %s/%s: %s", path, name, g_strerror(errno));
        return -1;
    }
    int sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) {
        *why = g_strdup_printf("%s/%s is not a folder the kiosk may use (%s)", path, name,
                               g_strerror(errno));
        return -1;
    }
    return sub;
}

int workarea_open(const char *path, char **why)
{
    if (!path || path[0] != '/') {
        *why = g_strdup_printf("the work area '%s' must be an absolute path", path ? path : "");
        return -1;
    }
    if (g_mkdir_with_parents(path, 0700) != 0) {
        *why = g_strdup_printf("cannot create the work area %s: %s", path, g_strerror(errno));
        return -1;
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        *why = g_strdup_printf("the work area %s cannot be opened (a link?): %s", path,
                               g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        *why = g_strdup_printf("the work area %s belongs to user %u, not to the kiosk", path,
                               (unsigned)st.st_uid);
        close(fd);
        return -1;
    }
    if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) != 0) {
        *why = g_strdup_printf("cannot protect the work area %s: %s", path, g_strerror(errno));
        close(fd);
        return -1;
    }
    static const char *const subs[] = {WORKAREA_SESSIONS, WORKAREA_OUTBOX};
    for (size_t i = 0; i < G_N_ELEMENTS(subs); i++) {
        int sub = workarea_subdir(fd, subs[i], why, path);
        if (sub < 0) {
            close(fd);
            return -1;
        }
        fchmod(sub, 0700);
        close(sub);
    }
    return fd;
}

int workarea_mkdirs_at(int dirfd, const char *rel_path, mode_t mode, const char **base)
{
    const char *slash = strrchr(rel_path, '/');
    *base = slash ? slash + 1 : rel_path;
    int cur = dup(dirfd);
    if (cur < 0 || !slash)
        return cur;
    char *dirs = g_strndup(rel_path, (gsize)(slash - rel_path));
    char **parts = g_strsplit(dirs, "/", -1);
    g_free(dirs);
    for (char **q = parts; *q; q++) {
        if (!**q || !strcmp(*q, ".") || !strcmp(*q, "..")) {
            close(cur);
            cur = -1;
            errno = EINVAL;
            break;
        }
        if (mkdirat(cur, *q, mode) != 0 && errno != EEXIST) {
            int e = errno;
            close(cur);
            cur = -1;
            errno = e;
            break;
        }
        int next = openat(cur, *q, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        close(cur);
        cur = next;
        if (cur < 0) {
            errno = e;
            break;
        }
    }
    g_strfreev(parts);
    return cur;
}

int workarea_session_begin(const char *work_dir, const char *id, struct workarea_session **out,
                           char **why)
{
    struct workarea_session *ws = g_new0(struct workarea_session, 1);
    int rc = KERR_STAGING, sessions = -1;
    ws->workfd = ws->sessfd = ws->spoolfd = ws->deliveryfd = ws->lockfd = -1;
    ws->id = g_strdup(id);
    ws->dir = g_build_filename(work_dir, WORKAREA_SESSIONS, id, NULL);
    ws->workfd = workarea_open(work_dir, why);
    if (ws->workfd < 0)
        goto out;
    sessions =
        openat(ws->workfd, WORKAREA_SESSIONS, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sessions < 0 || mkdirat(sessions, id, 0700) != 0 ||
        (ws->sessfd = openat(sessions, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        *why =
            g_strdup_printf("cannot create the session folder %s: %s", ws->dir, g_strerror(errno));
        goto out;
    }
    ws->lockfd = openat(ws->sessfd, ".lock", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (ws->lockfd < 0 || flock(ws->lockfd, LOCK_EX | LOCK_NB) != 0) {
        *why = g_strdup_printf("cannot lock %s: %s", ws->dir, g_strerror(errno));
        goto out;
    }
    if (mkdirat(ws->sessfd, "spool", 0700) != 0 || mkdirat(ws->sessfd, "delivery", 0700) != 0 ||
        (ws->spoolfd =
             openat(ws->sessfd, "spool", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
        (ws->deliveryfd =
             openat(ws->sessfd, "delivery", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        *why = g_strdup_printf("cannot create the spool in %s: %s", ws->dir, g_strerror(errno));
        goto out;
    }
    *out = ws;
    ws = NULL; /* transferred */
    rc = 0;
out:
    if (sessions >= 0)
        close(sessions);
    workarea_session_end(ws);
    return rc;
}

int workarea_session_deliver(struct workarea_session *ws, const char *spool_name,
                             const char *rel_path, char **why)
{
    const char *base;
    int dfd = workarea_mkdirs_at(ws->deliveryfd, rel_path, 0700, &base);
    if (dfd < 0) {
        *why = g_strdup_printf("cannot create the folders of %s in %s/delivery: %s", rel_path,
                               ws->dir, g_strerror(errno));
        return KERR_STAGING;
    }
    /* RENAME_NOREPLACE: names were made unique; never overwrite silently. */
    int r = renameat2(ws->spoolfd, spool_name, dfd, base, RENAME_NOREPLACE);
    int e = errno;
    close(dfd);
    if (r != 0) {
        *why = g_strdup_printf("cannot move the checked copy to %s: %s", rel_path, g_strerror(e));
        return KERR_STAGING;
    }
    return 0;
}

int workarea_session_write(struct workarea_session *ws, const char *name, const void *data,
                           size_t len, char **why)
{
    int fd =
        openat(ws->deliveryfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || util_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        *why = g_strdup_printf("cannot write %s/delivery/%s: %s", ws->dir, name, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return KERR_STAGING;
    }
    close(fd);
    return 0;
}

void workarea_session_end(struct workarea_session *ws)
{
    if (!ws)
        return;
    if (ws->spoolfd >= 0)
        close(ws->spoolfd);
    if (ws->deliveryfd >= 0)
        close(ws->deliveryfd);
    if (ws->sessfd >= 0)
        close(ws->sessfd);
    /* The spool and anything not committed go; then the lock. */
    if (ws->workfd >= 0 && ws->id) {
        int sessions =
            openat(ws->workfd, WORKAREA_SESSIONS, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sessions >= 0) {
            if (util_rm_rf_at(sessions, ws->id) != 0)
                log_warn("cannot remove %s: %s", ws->dir, g_strerror(errno));
            fsync(sessions);
            close(sessions);
        }
    }
    if (ws->lockfd >= 0)
        close(ws->lockfd);
    if (ws->workfd >= 0)
        close(ws->workfd);
    g_free(ws->id);
    g_free(ws->dir);
    g_free(ws);
}

/* Is the lock of WORK/sessions/NAME held by someone (a session running now)? */
static bool workarea_lock_held(int sessions, const char *name)
{
    int sfd = openat(sessions, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sfd < 0)
        return false;
    int fd = openat(sfd, ".lock", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    bool held = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0;
    if (fd >= 0)
        close(fd);
    close(sfd);
    return held;
}

bool workarea_session_running(const char *work_dir, const char *id)
{
    char *dir = g_build_filename(work_dir, WORKAREA_SESSIONS, NULL);
    int sessions = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    g_free(dir);
    if (sessions < 0)
        return false;
    bool held = workarea_lock_held(sessions, id);
    close(sessions);
    return held;
}

int workarea_recover(const char *work_dir, GPtrArray *cleaned)
{
    char *why = NULL;
    int workfd = workarea_open(work_dir, &why);
    if (workfd < 0) {
        log_warn("recovery: %s", why);
        g_free(why);
        return KERR_SYSTEM;
    }
    int sessions =
        openat(workfd, WORKAREA_SESSIONS, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(workfd);
    GPtrArray *names = sessions >= 0 ? util_dir_names(sessions) : NULL;
    if (!names) {
        if (sessions >= 0)
            close(sessions);
        return KERR_SYSTEM;
    }
    int r = 0;
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        if (workarea_lock_held(sessions, name))
            continue; /* running now */
        if (util_rm_rf_at(sessions, name) == 0) {
            if (cleaned)
                g_ptr_array_add(cleaned, g_strdup_printf("removed the unfinished session %s/%s/%s",
                                                         work_dir, WORKAREA_SESSIONS, name));
        } else {
            r = KERR_SYSTEM;
        }
    }
    fsync(sessions);
    close(sessions);
    g_ptr_array_free(names, TRUE);
    return r;
}

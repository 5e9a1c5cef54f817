#include "kiosk/staging.h"
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

int staging_begin(const char *root, const char *session, struct staging **out, char **why)
{
    struct staging *s = g_new0(struct staging, 1);
    int r = KERR_STAGING;

    s->lockfd = -1;
    s->spoolfd = -1;
    s->root = g_strdup(root);
    s->incoming = g_build_filename(root, ".incoming", NULL);
    s->session_dir = g_build_filename(s->incoming, session, NULL);
    s->spool_dir = g_strconcat(s->session_dir, ".spool", NULL);
    s->lock_path = g_strconcat(s->session_dir, ".lock", NULL);
    s->final_dir = g_build_filename(root, session, NULL);

    if (util_mkdir_p(root, 0755) != 0 || (mkdir(s->incoming, 0700) != 0 && errno != EEXIST)) {
        *why = g_strdup_printf("cannot create the staging folder %s: %s", s->incoming,
                               g_strerror(errno));
        goto out;
    }
    /* The TOS side must never see work in progress, whatever the umask said. */
    if (chmod(s->incoming, 0700) != 0) {
        *why = g_strdup_printf("cannot protect %s: %s", s->incoming, g_strerror(errno));
        goto out;
    }
    s->lockfd = open(s->lock_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (s->lockfd < 0 || flock(s->lockfd, LOCK_EX | LOCK_NB) != 0) {
        *why = g_strdup_printf("cannot lock %s: %s", s->lock_path, g_strerror(errno));
        goto out;
    }
    if (mkdir(s->session_dir, 0700) != 0 || mkdir(s->spool_dir, 0700) != 0) {
        *why = g_strdup_printf("cannot create the session folders in %s: %s", s->incoming,
                               g_strerror(errno));
        goto out;
    }
    s->spoolfd = open(s->spool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->spoolfd < 0) {
        *why = g_strdup_printf("cannot open %s: %s", s->spool_dir, g_strerror(errno));
        goto out;
    }
    *out = s;
    s = NULL; /* transferred */
    r = 0;
out:
    staging_end(s);
    return r;
}

int staging_deliver(struct staging *s, const char *spool_name, const char *rel_path, char **why)
{
    char *dest = g_build_filename(s->session_dir, rel_path, NULL);
    char *dir = g_path_get_dirname(dest);
    char *src = g_build_filename(s->spool_dir, spool_name, NULL);
    int r = KERR_STAGING;

    if (util_mkdir_p(dir, 0755) != 0) {
        *why = g_strdup_printf("cannot create %s: %s", dir, g_strerror(errno));
        goto out;
    }
    if (chmod(src, 0644) != 0) {
        *why = g_strdup_printf("cannot set mode of %s: %s", src, g_strerror(errno));
        goto out;
    }
    /* RENAME_NOREPLACE: names were made unique; never overwrite silently. */
    if (renameat2(AT_FDCWD, src, AT_FDCWD, dest, RENAME_NOREPLACE) != 0) {
        *why = g_strdup_printf("cannot move %s to %s: %s", src, dest, g_strerror(errno));
        goto out;
    }
    r = 0;
out:
    g_free(dest);
    g_free(dir);
    g_free(src);
    return r;
}

int staging_publish(struct staging *s, char **why)
{
    int fd = open(s->session_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || syncfs(fd) != 0) {
        *why = g_strdup_printf("cannot flush %s to disk: %s", s->session_dir, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return KERR_STAGING;
    }
    close(fd);
    if (chmod(s->session_dir, 0755) != 0) {
        *why = g_strdup_printf("cannot set mode of %s: %s", s->session_dir, g_strerror(errno));
        return KERR_STAGING;
    }
    if (renameat2(AT_FDCWD, s->session_dir, AT_FDCWD, s->final_dir, RENAME_NOREPLACE) != 0) {
        *why = g_strdup_printf("cannot publish %s: %s", s->final_dir, g_strerror(errno));
        return KERR_STAGING;
    }
    s->published = true;
    if (util_fsync_dir(s->root) != 0 || util_fsync_dir(s->incoming) != 0) {
        /* Published, but not yet durable: say so in the log; the rename itself stands. */
        log_warn("fsync of %s after publishing: %s", s->root, g_strerror(errno));
    }
    return 0;
}

void staging_end(struct staging *s)
{
    if (!s)
        return;
    if (s->spoolfd >= 0)
        close(s->spoolfd);
    if (s->spool_dir)
        util_rm_rf(s->spool_dir);
    if (!s->published && s->session_dir)
        util_rm_rf(s->session_dir);
    if (s->lockfd >= 0) {
        unlink(s->lock_path);
        close(s->lockfd);
    }
    if (s->incoming)
        util_fsync_dir(s->incoming);
    g_free(s->root);
    g_free(s->incoming);
    g_free(s->session_dir);
    g_free(s->spool_dir);
    g_free(s->lock_path);
    g_free(s->final_dir);
    g_free(s);
}

/* The session name an .incoming entry belongs to. */
static char *staging_entry_session(const char *name)
{
    const char *suffixes[] = {".spool", ".lock"};
    for (size_t i = 0; i < G_N_ELEMENTS(suffixes); i++)
        if (g_str_has_suffix(name, suffixes[i]))
            return g_strndup(name, strlen(name) - strlen(suffixes[i]));
    return g_strdup(name);
}

int staging_recover(const char *root, GPtrArray *cleaned)
{
    char *incoming = g_build_filename(root, ".incoming", NULL);
    DIR *d = opendir(incoming);
    int r = 0;
    if (!d) {
        g_free(incoming);
        return errno == ENOENT ? 0 : KERR_SYSTEM;
    }
    GHashTable *busy = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            g_ptr_array_add(names, g_strdup(de->d_name));
    closedir(d);
    /* A session whose lock someone holds is running: leave it alone. */
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        if (!g_str_has_suffix(name, ".lock"))
            continue;
        char *p = g_build_filename(incoming, name, NULL);
        int fd = open(p, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0)
            g_hash_table_add(busy, staging_entry_session(name));
        if (fd >= 0)
            close(fd);
        g_free(p);
    }
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        char *session = staging_entry_session(name);
        if (!g_hash_table_contains(busy, session)) {
            char *p = g_build_filename(incoming, name, NULL);
            if (util_rm_rf(p) == 0) {
                if (cleaned)
                    g_ptr_array_add(cleaned, g_strdup_printf("removed unpublished leftover %s", p));
            } else {
                r = KERR_SYSTEM;
            }
            g_free(p);
        }
        g_free(session);
    }
    g_ptr_array_free(names, TRUE);
    g_hash_table_destroy(busy);
    util_fsync_dir(incoming);
    g_free(incoming);
    return r;
}

/* outbox.c - committed deliveries and their publication state (see outbox.h). */
#include "handoff/outbox.h"
#include "common/json.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define OUTBOX_STATE_SUFFIX ".json"
#define OUTBOX_MAX_STATE 65536
#define OUTBOX_MAX_DEPTH 4096

static const char *const outbox_state_names[] = {
    [OUTBOX_COMMITTING] = "committing", [OUTBOX_QUEUED] = "queued",
    [OUTBOX_PUBLISHING] = "publishing", [OUTBOX_PUBLISHED] = "published",
    [OUTBOX_FAILED] = "failed",
};

const char *outbox_state_str(enum outbox_state s)
{
    return (unsigned)s < G_N_ELEMENTS(outbox_state_names) ? outbox_state_names[s] : "unknown";
}

static bool outbox_state_parse(const char *s, enum outbox_state *out)
{
    for (size_t i = 0; i < G_N_ELEMENTS(outbox_state_names); i++)
        if (!g_strcmp0(s, outbox_state_names[i])) {
            *out = (enum outbox_state)i;
            return true;
        }
    return false;
}

struct outbox_entry *outbox_entry_new(const char *session)
{
    struct outbox_entry *e = g_new0(struct outbox_entry, 1);
    e->session = g_strdup(session);
    return e;
}

void outbox_entry_free(struct outbox_entry *e)
{
    if (!e)
        return;
    g_free(e->session);
    g_free(e->target);
    g_free(e->location);
    g_free(e->error);
    g_free(e);
}

gint64 outbox_backoff_us(unsigned attempts)
{
    static const int steps_s[] = {5, 15, 30, 60, 120};
    int s = attempts == 0 ? 0 : attempts <= G_N_ELEMENTS(steps_s) ? steps_s[attempts - 1] : 300;
    return (gint64)s * G_USEC_PER_SEC;
}

static int outbox_dirfd(const char *work_dir, char **why)
{
    char *p = g_build_filename(work_dir, WORKAREA_OUTBOX, NULL);
    int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && why)
        *why = g_strdup_printf("cannot open the outbox %s: %s", p, g_strerror(errno));
    g_free(p);
    return fd;
}

/* Folders 0750, files 0640, group GROUP, everything else refused; totals counted. */
static int outbox_fix_tree(int dirfd, gid_t group, int depth, uint64_t *bytes, uint64_t *files)
{
    if (depth > OUTBOX_MAX_DEPTH) {
        errno = ELOOP;
        return -1;
    }
    if (fchown(dirfd, (uid_t)-1, group) != 0 || fchmod(dirfd, 0750) != 0)
        return -1;
    DIR *d = util_opendir_at(dirfd);
    if (!d)
        return -1;
    int r = 0;
    struct dirent *de;
    while (r == 0 && (de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        int fd = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) {
            r = -1;
        } else if (S_ISDIR(st.st_mode)) {
            r = outbox_fix_tree(fd, group, depth + 1, bytes, files);
        } else if (S_ISREG(st.st_mode)) {
            if (fchown(fd, (uid_t)-1, group) != 0 || fchmod(fd, 0640) != 0)
                r = -1;
            *bytes += (uint64_t)st.st_size;
            (*files)++;
        } else {
            errno = EINVAL; /* the kiosk puts nothing else in a delivery */
            r = -1;
        }
        if (fd >= 0)
            close(fd);
    }
    closedir(d);
    return r;
}

int outbox_commit(struct workarea_session *ws, gid_t group, uint64_t *bytes, uint64_t *files,
                  char **why)
{
    *bytes = *files = 0;
    if (outbox_fix_tree(ws->deliveryfd, group, 0, bytes, files) != 0) {
        *why = g_strdup_printf("cannot prepare %s/delivery for the outbox: %s", ws->dir,
                               g_strerror(errno));
        return KERR_STAGING;
    }
    /* Everything the entry holds is on disk before it exists. */
    if (syncfs(ws->deliveryfd) != 0) {
        *why = g_strdup_printf("cannot flush %s to disk: %s", ws->dir, g_strerror(errno));
        return KERR_STAGING;
    }
    int ob = openat(ws->workfd, WORKAREA_OUTBOX, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (ob < 0 || renameat2(ws->sessfd, "delivery", ob, ws->id, RENAME_NOREPLACE) != 0) {
        *why =
            g_strdup_printf("cannot put session %s into the outbox: %s", ws->id, g_strerror(errno));
        if (ob >= 0)
            close(ob);
        return KERR_STAGING;
    }
    ws->committed = true;
    if (fsync(ob) != 0 || fsync(ws->sessfd) != 0)
        log_warn("fsync after committing %s to the outbox: %s", ws->id, g_strerror(errno));
    close(ob);
    return 0;
}

static void outbox_json_time(JsonObject *o, const char *key, gint64 us)
{
    if (us > 0) {
        char *t = util_time_rfc3339(us, true);
        json_object_set_string_member(o, key, t);
        g_free(t);
    } else {
        json_object_set_null_member(o, key);
    }
}

static gint64 outbox_parse_time(JsonObject *o, const char *key)
{
    const char *s = json_object_get_string_member_with_default(o, key, NULL);
    if (!s)
        return 0;
    GDateTime *dt = g_date_time_new_from_iso8601(s, NULL);
    if (!dt)
        return 0;
    gint64 us = g_date_time_to_unix(dt) * G_USEC_PER_SEC + g_date_time_get_microsecond(dt);
    g_date_time_unref(dt);
    return us;
}

int outbox_save(const char *work_dir, struct outbox_entry *e, char **why)
{
    e->updated_us = g_get_real_time();
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "session", e->session);
    json_object_set_string_member(o, "state", outbox_state_str(e->state));
    json_set_string_or_null(o, "target", e->target);
    json_set_string_or_null(o, "location", e->location);
    json_set_string_or_null(o, "manifest_sha256",
                            e->manifest_sha256[0] ? e->manifest_sha256 : NULL);
    json_object_set_int_member(o, "files", (gint64)e->files);
    json_object_set_int_member(o, "bytes", (gint64)e->bytes);
    outbox_json_time(o, "created", e->created_us);
    outbox_json_time(o, "updated", e->updated_us);
    outbox_json_time(o, "published", e->published_us);
    outbox_json_time(o, "next_attempt", e->next_attempt_us);
    json_object_set_int_member(o, "attempts", e->attempts);
    json_set_string_or_null(o, "error", e->error);
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    gsize len = 0;
    char *text = json_text(n, true, &len);
    json_node_unref(n);

    int rc = KERR_STAGING;
    char *tmp = g_strdup_printf("%s%s.tmp", e->session, OUTBOX_STATE_SUFFIX);
    char *name = g_strdup_printf("%s%s", e->session, OUTBOX_STATE_SUFFIX);
    int ob = outbox_dirfd(work_dir, why);
    if (ob < 0)
        goto out;
    unlinkat(ob, tmp, 0);
    int fd = openat(ob, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || util_write_all(fd, text, len) != 0 || util_write_all(fd, "\n", 1) != 0 ||
        fsync(fd) != 0) {
        *why = g_strdup_printf("cannot write the outbox state of %s: %s", e->session,
                               g_strerror(errno));
        if (fd >= 0)
            close(fd);
        unlinkat(ob, tmp, 0);
        goto out;
    }
    close(fd);
    if (renameat(ob, tmp, ob, name) != 0 || fsync(ob) != 0) {
        *why = g_strdup_printf("cannot record the outbox state of %s: %s", e->session,
                               g_strerror(errno));
        unlinkat(ob, tmp, 0);
        goto out;
    }
    rc = 0;
out:
    if (ob >= 0)
        close(ob);
    g_free(tmp);
    g_free(name);
    g_free(text);
    return rc;
}

/* Parse a state file's bytes into E (whose session is set). */
static int outbox_parse(const char *text, gsize len, struct outbox_entry *e, char **why)
{
    JsonParser *p = json_parser_new();
    int rc = KERR_CORRUPT;
    if (!json_parser_load_from_data(p, text, (gssize)len, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
        *why = g_strdup_printf("the outbox state of %s is not valid JSON", e->session);
        goto out;
    }
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    if (g_strcmp0(json_object_get_string_member_with_default(o, "session", ""), e->session) != 0 ||
        !outbox_state_parse(json_object_get_string_member_with_default(o, "state", ""),
                            &e->state)) {
        *why = g_strdup_printf("the outbox state of %s is damaged", e->session);
        goto out;
    }
    e->target = g_strdup(json_object_get_string_member_with_default(o, "target", NULL));
    e->location = g_strdup(json_object_get_string_member_with_default(o, "location", NULL));
    g_strlcpy(e->manifest_sha256,
              json_object_get_string_member_with_default(o, "manifest_sha256", "") ?: "",
              sizeof(e->manifest_sha256));
    e->files = (uint64_t)json_object_get_int_member_with_default(o, "files", 0);
    e->bytes = (uint64_t)json_object_get_int_member_with_default(o, "bytes", 0);
    e->created_us = outbox_parse_time(o, "created");
    e->updated_us = outbox_parse_time(o, "updated");
    e->published_us = outbox_parse_time(o, "published");
    e->next_attempt_us = outbox_parse_time(o, "next_attempt");
    e->attempts = (unsigned)json_object_get_int_member_with_default(o, "attempts", 0);
    e->error = g_strdup(json_object_get_string_member_with_default(o, "error", NULL));
    rc = 0;
out:
    g_object_unref(p);
    return rc;
}

/* Read OUTBOXFD/<id>.json into a new entry (OUTBOX_COMMITTING when there is none). */
static int outbox_load_at(int ob, const char *id, struct outbox_entry **out, char **why)
{
    struct stat st;
    if (fstatat(ob, id, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) {
        *why = g_strdup_printf("no session %s in the outbox", id);
        return KERR_NOT_FOUND;
    }
    struct outbox_entry *e = outbox_entry_new(id);
    char *name = g_strdup_printf("%s%s", id, OUTBOX_STATE_SUFFIX);
    int fd = openat(ob, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    g_free(name);
    int rc = 0;
    if (fd < 0) {
        e->state = OUTBOX_COMMITTING;
        e->created_us = (gint64)st.st_mtim.tv_sec * G_USEC_PER_SEC;
    } else {
        char *buf = g_malloc(OUTBOX_MAX_STATE);
        ssize_t n = read(fd, buf, OUTBOX_MAX_STATE);
        close(fd);
        rc = n <= 0 || n == OUTBOX_MAX_STATE
                 ? (*why = g_strdup_printf("the outbox state of %s cannot be read", id),
                    KERR_CORRUPT)
                 : outbox_parse(buf, (gsize)n, e, why);
        g_free(buf);
    }
    if (rc != 0) {
        outbox_entry_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

int outbox_load(const char *work_dir, const char *id, struct outbox_entry **out, char **why)
{
    int ob = outbox_dirfd(work_dir, why);
    if (ob < 0)
        return KERR_NOT_FOUND;
    int rc = outbox_load_at(ob, id, out, why);
    close(ob);
    return rc;
}

static gint outbox_cmp(gconstpointer a, gconstpointer b)
{
    const struct outbox_entry *x = *(struct outbox_entry *const *)a;
    const struct outbox_entry *y = *(struct outbox_entry *const *)b;
    if (x->created_us != y->created_us)
        return x->created_us < y->created_us ? -1 : 1;
    return strcmp(x->session, y->session);
}

int outbox_list(const char *work_dir, GPtrArray **out, char **why)
{
    GPtrArray *a = g_ptr_array_new_with_free_func((GDestroyNotify)outbox_entry_free);
    int ob = outbox_dirfd(work_dir, NULL);
    if (ob < 0) {
        *out = a; /* no outbox yet: empty */
        return 0;
    }
    DIR *d = util_opendir_at(ob);
    if (!d) {
        *why = g_strdup_printf("cannot list the outbox: %s", g_strerror(errno));
        close(ob);
        g_ptr_array_free(a, TRUE);
        return KERR_SYSTEM;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || de->d_type != DT_DIR)
            continue;
        struct outbox_entry *e = NULL;
        char *ewhy = NULL;
        if (outbox_load_at(ob, de->d_name, &e, &ewhy) == 0) {
            g_ptr_array_add(a, e);
        } else {
            log_warn("outbox: %s", ewhy);
            /* A damaged state never loses the delivery: it is queued again. */
            e = outbox_entry_new(de->d_name);
            e->state = OUTBOX_QUEUED;
            e->error = ewhy;
            ewhy = NULL;
            g_ptr_array_add(a, e);
        }
        g_free(ewhy);
    }
    closedir(d);
    close(ob);
    g_ptr_array_sort(a, outbox_cmp);
    *out = a;
    return 0;
}

uint64_t outbox_pending_bytes(GPtrArray *entries)
{
    uint64_t n = 0;
    for (guint i = 0; i < entries->len; i++) {
        const struct outbox_entry *e = g_ptr_array_index(entries, i);
        if (e->state != OUTBOX_PUBLISHED)
            n += e->bytes;
    }
    return n;
}

int outbox_open_entry(const char *work_dir, const char *id, char **why)
{
    int ob = outbox_dirfd(work_dir, why);
    if (ob < 0)
        return -1;
    int fd = openat(ob, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        *why = g_strdup_printf("cannot open the outbox entry %s: %s", id, g_strerror(errno));
    close(ob);
    return fd;
}

int outbox_remove(const char *work_dir, const char *id, char **why)
{
    int ob = outbox_dirfd(work_dir, why);
    if (ob < 0)
        return KERR_SYSTEM;
    char *name = g_strdup_printf("%s%s", id, OUTBOX_STATE_SUFFIX);
    /* The folder first: a state without a folder is meaningless and ignored. */
    int rc = util_rm_rf_at(ob, id) == 0 && (unlinkat(ob, name, 0) == 0 || errno == ENOENT)
                 ? 0
                 : KERR_SYSTEM;
    if (rc != 0)
        *why = g_strdup_printf("cannot remove the outbox entry %s: %s", id, g_strerror(errno));
    fsync(ob);
    close(ob);
    g_free(name);
    return rc;
}

int outbox_lock(const char *work_dir, bool wait)
{
    int ob = outbox_dirfd(work_dir, NULL);
    if (ob < 0)
        return -1;
    int fd = openat(ob, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    int e = errno;
    close(ob);
    if (fd < 0) {
        errno = e;
        return -1;
    }
    if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
        e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

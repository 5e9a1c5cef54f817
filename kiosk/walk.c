#include "kiosk/walk.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"
#include "kiosk/names.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct walk_ctx {
    const struct policy *pol;
    const struct walk_limits *lim;
    struct walk_stats *stats;
    GPtrArray *entries;
    int volume;
    GHashTable *dirs_seen;  /* "dev:ino" of folders on the current path */
    GHashTable *dirs_done;  /* "dev:ino" -> path of every folder entered (directory hard
                               links: a folder reached by a second name is walked once) */
    uint64_t folders;       /* folders entered, counted against max_files too */
    GHashTable *files_seen; /* "dev:ino" -> first path, for files with several links */
    bool stopped;           /* a session limit stopped the walk */
};

void walk_entry_free(gpointer p)
{
    struct walk_entry *e = p;
    if (!e)
        return;
    g_free(e->path);
    g_free(e);
}

static struct walk_entry *walk_add(struct walk_ctx *c, const char *path)
{
    struct walk_entry *e = g_new0(struct walk_entry, 1);
    e->path = g_strdup(path);
    e->volume = c->volume;
    e->pre.kind = VERDICT_CLEAN;
    g_ptr_array_add(c->entries, e);
    return e;
}

static const char *walk_type_name(mode_t mode)
{
    if (S_ISLNK(mode))
        return "symbolic link (not followed)";
    if (S_ISCHR(mode))
        return "character device (not copied)";
    if (S_ISBLK(mode))
        return "block device (not copied)";
    if (S_ISFIFO(mode))
        return "named pipe (not copied)";
    if (S_ISSOCK(mode))
        return "socket (not copied)";
    return "not a regular file (not copied)";
}

static int walk_name_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* fusefat shows the FAT volume label as an 8.3 name: the 11 label bytes split 8 + 3. */
static bool walk_is_label_entry(const char *name, const char *label)
{
    if (!label || !*label)
        return false;
    if (g_ascii_strcasecmp(name, label) == 0)
        return true;
    char padded[12];
    snprintf(padded, sizeof(padded), "%-11.11s", label);
    char *stem = g_strndup(padded, 8), *ext = g_strndup(padded + 8, 3);
    g_strchomp(stem);
    g_strchomp(ext);
    char *short_name = *ext ? g_strconcat(stem, ".", ext, NULL) : g_strdup(stem);
    bool r = g_ascii_strcasecmp(name, short_name) == 0;
    g_free(stem);
    g_free(ext);
    g_free(short_name);
    return r;
}

static bool walk_out_of_time(struct walk_ctx *c)
{
    return c->lim->deadline_us && g_get_monotonic_time() > c->lim->deadline_us;
}

static void walk_dir(struct walk_ctx *c, int dfd, const char *rel, uint32_t depth)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        struct walk_entry *e = walk_add(c, rel);
        verdict_set(&e->pre, VERDICT_ERROR, "folder could not be read: %s", g_strerror(errno));
        close(dfd);
        return;
    }
    /* Read the folder's names first and sort them: a stable order for the manifest and
     * the same order on every run. */
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        g_ptr_array_add(names, g_strdup(de->d_name));
    }
    if (errno != 0) {
        struct walk_entry *e = walk_add(c, rel[0] ? rel : ".");
        verdict_set(&e->pre, VERDICT_ERROR, "folder could not be read completely: %s",
                    g_strerror(errno));
    }
    g_ptr_array_sort(names, walk_name_cmp);

    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        char *path = rel[0] ? g_strconcat(rel, "/", name, NULL) : g_strdup(name);
        struct stat st;

        if (c->stopped) {
            g_free(path);
            break;
        }
        if (c->lim->stop && g_atomic_int_get(c->lim->stop)) {
            struct walk_entry *e = walk_add(c, path);
            verdict_set(&e->pre, VERDICT_ERROR,
                        "the check was stopped: this and the rest of the medium were not "
                        "checked");
            c->stopped = true;
            g_free(path);
            break;
        }
        if (walk_out_of_time(c)) {
            struct walk_entry *e = walk_add(c, path);
            verdict_set(&e->pre, VERDICT_ERROR,
                        "session time limit reached: this and the rest of the medium were not "
                        "checked");
            c->stopped = true;
            g_free(path);
            break;
        }
        if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            struct walk_entry *e = walk_add(c, path);
            verdict_set(&e->pre, VERDICT_ERROR, "could not be read: %s", g_strerror(errno));
            g_free(path);
            continue;
        }
        if (policy_skip_name(c->pol, name)) {
            struct walk_entry *e = walk_add(c, path);
            verdict_set(&e->pre, VERDICT_SKIPPED, "system %s skipped by policy",
                        S_ISDIR(st.st_mode) ? "folder" : "file");
            g_free(path);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            char key[64];
            snprintf(key, sizeof(key), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
            const char *first = g_hash_table_lookup(c->dirs_done, key);
            if (g_hash_table_contains(c->dirs_seen, key)) {
                struct walk_entry *e = walk_add(c, path);
                verdict_set(&e->pre, VERDICT_SKIPPED, "folder loop (not followed)");
            } else if (first) {
                struct walk_entry *e = walk_add(c, path);
                char *shown = names_display(first);
                verdict_set(&e->pre, VERDICT_SKIPPED,
                            "another name (hard link) of the folder %s, which is checked once",
                            shown);
                g_free(shown);
            } else if (c->folders + 1 > c->lim->max_files) {
                /* Folders cost time even without files: a stick of nested folder links
                 * must not keep the kiosk busy until the session time limit. */
                struct walk_entry *e = walk_add(c, path);
                verdict_set(&e->pre, VERDICT_BLOCKED,
                            "more than %ju folders on the medium: the rest were not checked",
                            (uintmax_t)c->lim->max_files);
                c->stopped = true;
            } else if (depth + 1 > c->lim->max_depth) {
                struct walk_entry *e = walk_add(c, path);
                verdict_set(&e->pre, VERDICT_BLOCKED,
                            "folder too deep (more than %u levels): its contents were not "
                            "checked",
                            c->lim->max_depth);
            } else {
                int sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0) {
                    struct walk_entry *e = walk_add(c, path);
                    verdict_set(&e->pre, VERDICT_ERROR, "folder could not be opened: %s",
                                g_strerror(errno));
                } else {
                    c->folders++;
                    g_hash_table_add(c->dirs_seen, g_strdup(key));
                    g_hash_table_insert(c->dirs_done, g_strdup(key), g_strdup(path));
                    walk_dir(c, sub, path, depth + 1);
                    g_hash_table_remove(c->dirs_seen, key);
                }
            }
            g_free(path);
            continue;
        }
        /* Not a file but the driver's view of the volume label: leave it out. */
        if (depth == 0 && S_ISREG(st.st_mode) && st.st_size == 0 &&
            walk_is_label_entry(name, c->lim->label_entry)) {
            g_free(path);
            continue;
        }
        struct walk_entry *e = walk_add(c, path);
        if (!S_ISREG(st.st_mode)) {
            verdict_set(&e->pre, VERDICT_SKIPPED, "%s", walk_type_name(st.st_mode));
            g_free(path);
            continue;
        }
        e->size = (uint64_t)st.st_size;
        e->dev = st.st_dev;
        e->ino = st.st_ino;
        if (st.st_nlink > 1) {
            char key[64];
            snprintf(key, sizeof(key), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
            const char *first = g_hash_table_lookup(c->files_seen, key);
            if (first) {
                char *shown = names_display(first);
                verdict_set(&e->pre, VERDICT_SKIPPED,
                            "another name (hard link) of %s, which is checked once", shown);
                g_free(shown);
                g_free(path);
                continue;
            }
            g_hash_table_insert(c->files_seen, g_strdup(key), g_strdup(path));
        }
        e->candidate = true;
        if (c->stats->files + 1 > c->lim->max_files) {
            verdict_set(&e->pre, VERDICT_BLOCKED,
                        "more than %ju files on the medium: the rest were not checked",
                        (uintmax_t)c->lim->max_files);
            c->stopped = true;
        } else if (e->size > c->lim->max_file_size) {
            char *a = util_format_bytes(e->size), *b = util_format_bytes(c->lim->max_file_size);
            verdict_set(&e->pre, VERDICT_BLOCKED, "file too large (%s; the limit is %s)", a, b);
            g_free(a);
            g_free(b);
        } else if (c->stats->bytes + e->size > c->lim->max_bytes) {
            char *b = util_format_bytes(c->lim->max_bytes);
            verdict_set(&e->pre, VERDICT_BLOCKED,
                        "the medium holds more than %s of files: this file was not checked", b);
            g_free(b);
        }
        c->stats->files++;
        if (e->pre.kind == VERDICT_CLEAN)
            c->stats->bytes += e->size;
        g_free(path);
    }
    g_ptr_array_free(names, TRUE);
    closedir(d);
}

int walk_volume(const char *root, int volume, const struct policy *pol,
                const struct walk_limits *lim, struct walk_stats *stats, GPtrArray *entries,
                char **why)
{
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        *why = g_strdup_printf("cannot open %s: %s", root, g_strerror(errno));
        return KERR_SYSTEM;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        *why = g_strdup_printf("cannot read %s: %s", root, g_strerror(errno));
        close(fd);
        return KERR_SYSTEM;
    }
    struct walk_ctx c = {
        .pol = pol,
        .lim = lim,
        .stats = stats,
        .entries = entries,
        .volume = volume,
        .dirs_seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
        .files_seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
        .dirs_done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
    };
    char key[64];
    snprintf(key, sizeof(key), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
    g_hash_table_add(c.dirs_seen, g_strdup(key));
    walk_dir(&c, fd, "", 0);
    g_hash_table_destroy(c.dirs_seen);
    g_hash_table_destroy(c.files_seen);
    g_hash_table_destroy(c.dirs_done);
    return 0;
}

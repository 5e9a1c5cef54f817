#include "media/walk.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"
#include "media/names.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* A folder being walked: a descriptor (a mounted volume or a folder) or an id (a source). */
struct walk_folder {
    int fd;
    uint64_t id;
};

struct walk_ctx {
    const struct policy *pol;
    const struct walk_limits *lim;
    struct walk_stats *stats;
    GPtrArray *entries;
    int volume;
    const struct walk_source *src; /* NULL: descriptors */
    GHashTable *dirs_seen;         /* "dev:ino" of folders on the current path */
    GHashTable *dirs_done;         /* "dev:ino" -> path of every folder entered (directory hard
                                      links: a folder reached by a second name is walked once) */
    uint64_t folders;              /* folders entered, counted against max_files too */
    GHashTable *files_seen;        /* "dev:ino" -> first path, for files with several links */
    bool stopped;                  /* a session limit stopped the walk */
};

void walk_entry_free(gpointer p)
{
    struct walk_entry *e = p;
    if (!e)
        return;
    g_free(e->path);
    g_free(e);
}

void walk_item_free(gpointer p)
{
    struct walk_item *it = p;
    if (!it)
        return;
    g_free(it->name);
    g_free(it);
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

/* The reason code (common/reason.c) of an entry that is not a regular file. */
static const char *walk_type_code(enum walk_type t)
{
    static const char *const codes[] = {
        [WALK_LNK] = "walk.symlink",      [WALK_CHR] = "walk.char-device",
        [WALK_BLK] = "walk.block-device", [WALK_FIFO] = "walk.fifo",
        [WALK_SOCK] = "walk.socket",      [WALK_STREAM] = "walk.stream",
    };
    if ((size_t)t < G_N_ELEMENTS(codes) && codes[t])
        return codes[t];
    return "walk.special";
}

/* E->pre = KIND, CODE with one number as its parameter. */
static void walk_set_n(struct walk_entry *e, enum verdict_kind kind, const char *code, uintmax_t n)
{
    char num[24];
    snprintf(num, sizeof(num), "%ju", n);
    verdict_setr(&e->pre, kind, code, num, NULL);
}

/* E->pre for a folder listing's failure WHY (walk_list_fd's or the reader's text). */
static void walk_set_list_error(struct walk_entry *e, const char *why)
{
    static const char prefix[] = "folder could not be read: ";
    if (!why)
        verdict_setr(&e->pre, VERDICT_ERROR, "walk.folder-unreadable", NULL);
    else if (g_str_has_prefix(why, prefix))
        verdict_setr(&e->pre, VERDICT_ERROR, "walk.folder-read", why + strlen(prefix), NULL);
    else
        verdict_setr(&e->pre, VERDICT_ERROR, "scan.error-medium", why, NULL);
}

static enum walk_type walk_type_of(mode_t mode)
{
    if (S_ISREG(mode))
        return WALK_REG;
    if (S_ISDIR(mode))
        return WALK_DIR;
    if (S_ISLNK(mode))
        return WALK_LNK;
    if (S_ISCHR(mode))
        return WALK_CHR;
    if (S_ISBLK(mode))
        return WALK_BLK;
    if (S_ISFIFO(mode))
        return WALK_FIFO;
    if (S_ISSOCK(mode))
        return WALK_SOCK;
    return WALK_OTHER;
}

static int walk_item_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp((*(struct walk_item *const *)a)->name, (*(struct walk_item *const *)b)->name);
}

static bool walk_out_of_time(struct walk_ctx *c)
{
    return c->lim->deadline_us && g_get_monotonic_time() > c->lim->deadline_us;
}

/* The names of the folder open on DFD, each with what fstatat says (no symlink followed).
 * A name that cannot be looked at is a WALK_DAMAGED item with its errno in nlink. */
static int walk_list_fd(int dfd, GPtrArray *items, char **why)
{
    int dup_fd = dup(dfd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        *why = g_strdup_printf("folder could not be read: %s", g_strerror(errno));
        return KERR_MEDIUM;
    }
    struct dirent *de;
    int rc = 0;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        struct walk_item *it = g_new0(struct walk_item, 1);
        struct statx st;
        it->name = g_strdup(de->d_name);
        if (statx(dirfd(d), de->d_name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
                  STATX_BASIC_STATS | STATX_BTIME, &st) != 0) {
            it->type = WALK_DAMAGED;
            it->nlink = (uint64_t)errno;
        } else {
            it->type = walk_type_of(st.stx_mode);
            it->size = st.stx_size;
            it->dev = makedev(st.stx_dev_major, st.stx_dev_minor);
            it->ino = it->id = st.stx_ino;
            it->nlink = st.stx_nlink;
            it->has_mtime = true;
            it->mtime = st.stx_mtime.tv_sec;
            it->mtime_ns = st.stx_mtime.tv_nsec;
            if (st.stx_mask & STATX_BTIME) {
                it->has_crtime = true;
                it->crtime = st.stx_btime.tv_sec;
                it->crtime_ns = st.stx_btime.tv_nsec;
            }
        }
        g_ptr_array_add(items, it);
        errno = 0;
    }
    if (errno != 0) {
        *why = g_strdup_printf("folder could not be read completely: %s", g_strerror(errno));
        rc = KERR_MEDIUM;
    }
    closedir(d);
    return rc;
}

static void walk_dir(struct walk_ctx *c, struct walk_folder dir, const char *rel, uint32_t depth);

/* A subfolder: loops, second names, limits; else enter it. */
static void walk_subdir(struct walk_ctx *c, struct walk_folder parent, const struct walk_item *it,
                        const char *path, uint32_t depth)
{
    char key[64];
    snprintf(key, sizeof(key), "%ju:%ju", (uintmax_t)it->dev, (uintmax_t)it->id);
    const char *first = g_hash_table_lookup(c->dirs_done, key);
    if (g_hash_table_contains(c->dirs_seen, key)) {
        struct walk_entry *e = walk_add(c, path);
        verdict_setr(&e->pre, VERDICT_SKIPPED, "walk.folder-loop", NULL);
        return;
    }
    if (first) {
        struct walk_entry *e = walk_add(c, path);
        char *shown = names_display(first);
        verdict_setr(&e->pre, VERDICT_SKIPPED, "walk.folder-hardlink", shown, NULL);
        g_free(shown);
        return;
    }
    if (c->folders + 1 > c->lim->max_files) {
        /* Folders cost time even without files: a stick of nested folder links must not
         * keep the kiosk busy until the session time limit. */
        struct walk_entry *e = walk_add(c, path);
        walk_set_n(e, VERDICT_BLOCKED, "walk.too-many-folders", (uintmax_t)c->lim->max_files);
        c->stopped = true;
        return;
    }
    if (depth + 1 > c->lim->max_depth) {
        struct walk_entry *e = walk_add(c, path);
        walk_set_n(e, VERDICT_BLOCKED, "walk.too-deep", c->lim->max_depth);
        return;
    }
    struct walk_folder sub = {.fd = -1, .id = it->ino};
    if (!c->src) {
        sub.fd = openat(parent.fd, it->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub.fd < 0) {
            struct walk_entry *e = walk_add(c, path);
            verdict_setr(&e->pre, VERDICT_ERROR, "walk.folder-open", g_strerror(errno), NULL);
            return;
        }
    }
    c->folders++;
    g_hash_table_add(c->dirs_seen, g_strdup(key));
    g_hash_table_insert(c->dirs_done, g_strdup(key), g_strdup(path));
    walk_dir(c, sub, path, depth + 1);
    g_hash_table_remove(c->dirs_seen, key);
    if (sub.fd >= 0)
        close(sub.fd);
}

/* A regular file: hard links, limits; else a candidate. */
static void walk_file(struct walk_ctx *c, const struct walk_item *it, const char *path)
{
    struct walk_entry *e = walk_add(c, path);
    e->size = it->size;
    e->dev = it->dev;
    e->ino = (ino_t)it->ino;
    e->has_mtime = it->has_mtime;
    e->mtime = it->mtime;
    e->mtime_ns = it->mtime_ns;
    e->has_crtime = it->has_crtime;
    e->crtime = it->crtime;
    e->crtime_ns = it->crtime_ns;
    /* The reader's files are told apart by their inode alone: two names of one are one
     * file, whatever the link count says. */
    if (it->nlink > 1 || c->src) {
        char key[64];
        snprintf(key, sizeof(key), "%ju:%ju", (uintmax_t)it->dev, (uintmax_t)it->id);
        const char *first = g_hash_table_lookup(c->files_seen, key);
        if (first) {
            char *shown = names_display(first);
            verdict_setr(&e->pre, VERDICT_SKIPPED, "walk.hardlink", shown, NULL);
            g_free(shown);
            return;
        }
        g_hash_table_insert(c->files_seen, g_strdup(key), g_strdup(path));
    }
    e->candidate = true;
    if (c->stats->files + 1 > c->lim->max_files) {
        walk_set_n(e, VERDICT_BLOCKED, "walk.too-many-files", (uintmax_t)c->lim->max_files);
        c->stopped = true;
    } else if (e->size > c->lim->max_file_size) {
        char *a = util_format_bytes(e->size), *b = util_format_bytes(c->lim->max_file_size);
        verdict_setr(&e->pre, VERDICT_BLOCKED, "policy.file-too-large", a, b, NULL);
        g_free(a);
        g_free(b);
    } else if (c->stats->bytes + e->size > c->lim->max_bytes) {
        char *b = util_format_bytes(c->lim->max_bytes);
        verdict_setr(&e->pre, VERDICT_BLOCKED, "walk.session-bytes", b, NULL);
        g_free(b);
    }
    c->stats->files++;
    if (e->pre.kind == VERDICT_CLEAN)
        c->stats->bytes += e->size;
}

static void walk_dir(struct walk_ctx *c, struct walk_folder dir, const char *rel, uint32_t depth)
{
    GPtrArray *items = g_ptr_array_new_with_free_func(walk_item_free);
    char *why = NULL;
    /* Read the folder's names first and sort them: a stable order for the manifest and
     * the same order on every run.  (One more than the file limit tells "more than".) */
    uint64_t max = c->lim->max_files + 1;
    int rc = c->src ? c->src->list(c->src->data, dir.id, max, items, &why)
                    : walk_list_fd(dir.fd, items, &why);
    if (rc != 0 && rc != KERR_LIMIT) {
        struct walk_entry *e = walk_add(c, rel[0] ? rel : ".");
        walk_set_list_error(e, why);
    }
    g_ptr_array_sort(items, walk_item_cmp);

    for (guint i = 0; i < items->len; i++) {
        const struct walk_item *it = g_ptr_array_index(items, i);
        char *path = rel[0] ? g_strconcat(rel, "/", it->name, NULL) : g_strdup(it->name);

        if (c->stopped) {
            g_free(path);
            break;
        }
        if (c->lim->stop && g_atomic_int_get(c->lim->stop)) {
            struct walk_entry *e = walk_add(c, path);
            verdict_setr(&e->pre, VERDICT_ERROR, "walk.stopped", NULL);
            c->stopped = true;
            g_free(path);
            break;
        }
        if (walk_out_of_time(c)) {
            struct walk_entry *e = walk_add(c, path);
            verdict_setr(&e->pre, VERDICT_ERROR, "walk.session-time", NULL);
            c->stopped = true;
            g_free(path);
            break;
        }
        if (it->type == WALK_REG && strlen(path) > WALK_PATH_MAX) {
            /* Deeper than the delivery can hold (and than Windows readers take).  Folders
             * are still entered: what is in them is recorded too. */
            struct walk_entry *e = walk_add(c, path);
            e->candidate = true; /* a file not delivered */
            e->size = it->size;
            walk_set_n(e, VERDICT_BLOCKED, "walk.path-too-long", WALK_PATH_MAX);
        } else if (it->type == WALK_DAMAGED) {
            struct walk_entry *e = walk_add(c, path);
            if (it->nlink)
                verdict_setr(&e->pre, VERDICT_ERROR, "walk.damaged", g_strerror((int)it->nlink),
                             NULL);
            else
                verdict_setr(&e->pre, VERDICT_ERROR, "walk.damaged-metadata", NULL);
        } else if (it->type != WALK_STREAM && policy_skip_name(c->pol, it->name)) {
            struct walk_entry *e = walk_add(c, path);
            verdict_setr(&e->pre, VERDICT_SKIPPED,
                         it->type == WALK_DIR ? "walk.system-folder" : "walk.system-file", NULL);
        } else if (it->type == WALK_DIR) {
            walk_subdir(c, dir, it, path, depth);
        } else if (it->type != WALK_REG) {
            struct walk_entry *e = walk_add(c, path);
            verdict_setr(&e->pre, VERDICT_SKIPPED, walk_type_code(it->type), NULL);
        } else {
            walk_file(c, it, path);
        }
        g_free(path);
    }
    if (rc == KERR_LIMIT && !c->stopped) {
        struct walk_entry *e = walk_add(c, rel[0] ? rel : ".");
        walk_set_n(e, VERDICT_BLOCKED, "walk.too-many-entries", (uintmax_t)c->lim->max_files);
        c->stopped = true;
    }
    g_free(why);
    g_ptr_array_free(items, TRUE);
}

static int walk_run(struct walk_ctx *c, struct walk_folder root, dev_t dev, uint64_t ino)
{
    c->dirs_seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    c->files_seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    c->dirs_done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    char key[64];
    snprintf(key, sizeof(key), "%ju:%ju", (uintmax_t)dev, (uintmax_t)ino);
    g_hash_table_add(c->dirs_seen, g_strdup(key));
    walk_dir(c, root, "", 0);
    g_hash_table_destroy(c->dirs_seen);
    g_hash_table_destroy(c->files_seen);
    g_hash_table_destroy(c->dirs_done);
    return 0;
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
    };
    int rc = walk_run(&c, (struct walk_folder){.fd = fd}, st.st_dev, st.st_ino);
    close(fd);
    return rc;
}

int walk_source(const struct walk_source *src, uint64_t root, uint64_t root_id, int volume,
                const struct policy *pol, const struct walk_limits *lim, struct walk_stats *stats,
                GPtrArray *entries, char **why)
{
    (void)why;
    struct walk_ctx c = {
        .pol = pol,
        .lim = lim,
        .stats = stats,
        .entries = entries,
        .volume = volume,
        .src = src,
    };
    return walk_run(&c, (struct walk_folder){.fd = -1, .id = root}, 0, root_id);
}

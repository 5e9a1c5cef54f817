/* verdict-cache.c - the cross-session cache of clean engine verdicts (verdict-cache.h). */
#include "scanner/verdict-cache.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"

#include <clamav.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VC_MAGIC "KVCACHE1"
#define VC_FORMAT 1u
#define VC_KEY VERDICT_CACHE_KEY_LEN
/* The header of a .cvd/.cld/.cud: "ClamAV-VDB:time:version:sigs:level:MD5:dsig:builder:stime". */
#define VC_CVD_HEADER 512

struct vc_header {
    char magic[8];
    uint32_t format;
    uint32_t zero;
    uint64_t count;
    uint64_t hits;
    uint64_t lookups;
};

struct verdict_cache {
    GMutex lock;
    char *path;
    size_t max;
    GHashTable *index; /* key bytes (owned by the queue's node) -> GList node */
    GQueue lru;        /* head = most recently used; data = g_malloc'd key */
    uint64_t hits, lookups;
    bool dirty;
};

static guint vc_hash(gconstpointer k)
{
    guint h;
    memcpy(&h, k, sizeof(h)); /* a SHA-256: any four bytes are uniform */
    return h;
}

static gboolean vc_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, VC_KEY) == 0;
}

/* ---- the in-memory LRU (caller holds the lock) ---------------------------------------- */

static void vc_evict(struct verdict_cache *c)
{
    while (c->lru.length > c->max) {
        unsigned char *k = g_queue_pop_tail(&c->lru);
        g_hash_table_remove(c->index, k);
        g_free(k);
        c->dirty = true;
    }
}

static void vc_add_locked(struct verdict_cache *c, const unsigned char *key)
{
    GList *node = g_hash_table_lookup(c->index, key);
    if (node) {
        g_queue_unlink(&c->lru, node);
        g_queue_push_head_link(&c->lru, node);
        return;
    }
    unsigned char *k = g_memdup2(key, VC_KEY);
    g_queue_push_head(&c->lru, k);
    g_hash_table_insert(c->index, k, c->lru.head);
    c->dirty = true;
    vc_evict(c);
}

static void vc_clear_locked(struct verdict_cache *c)
{
    g_hash_table_remove_all(c->index);
    g_queue_clear_full(&c->lru, g_free);
}

/* ---- the file ------------------------------------------------------------------------- */

static void vc_sha256(const void *buf, size_t len, unsigned char out[VC_KEY])
{
    void *h = cl_hash_init("sha256");
    if (!h) {
        memset(out, 0, VC_KEY); /* never matches a real file's checksum by chance */
        return;
    }
    cl_update_hash(h, buf, len);
    cl_finish_hash(h, out);
}

/* Exactly LEN bytes from FD: 0, or -1 (errno; EIO for a short file). */
static int vc_read_all(int fd, unsigned char *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = read(fd, buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

/* Read and check PATH: 0 with *buf (the whole file) and *len; KERR_NOT_FOUND when there
 * is no file; KERR_CORRUPT with *why when it must not be trusted. */
static int vc_read(const char *path, unsigned char **buf, size_t *len, char **why)
{
    struct stat st;
    unsigned char *b = NULL;
    int rc = KERR_CORRUPT;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return KERR_NOT_FOUND;
        *why = g_strdup_printf("cannot be opened: %s", g_strerror(errno));
        return KERR_CORRUPT;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *why = g_strdup("not a regular file");
        goto out;
    }
    if (st.st_uid != geteuid() || (st.st_mode & 022)) {
        *why = g_strdup_printf("owned by uid %u with mode %04o: only the service may write it",
                               (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
        goto out;
    }
    uint64_t max = sizeof(struct vc_header) + (uint64_t)VERDICT_CACHE_MAX_MAX * VC_KEY + VC_KEY;
    if ((uint64_t)st.st_size < sizeof(struct vc_header) + VC_KEY || (uint64_t)st.st_size > max) {
        *why = g_strdup_printf("%jd bytes: not a cache file", (intmax_t)st.st_size);
        goto out;
    }
    b = g_malloc((size_t)st.st_size);
    if (vc_read_all(fd, b, (size_t)st.st_size) != 0) {
        *why = g_strdup_printf("cannot be read: %s", g_strerror(errno ? errno : EIO));
        goto out;
    }
    struct vc_header h;
    memcpy(&h, b, sizeof(h));
    unsigned char sum[VC_KEY];
    size_t body = (size_t)st.st_size - VC_KEY;
    if (memcmp(h.magic, VC_MAGIC, 8) != 0 || h.format != VC_FORMAT || h.zero != 0) {
        *why = g_strdup("bad magic or format");
        goto out;
    }
    if (h.count > VERDICT_CACHE_MAX_MAX || sizeof(h) + h.count * VC_KEY != body) {
        *why = g_strdup_printf("its size does not match its %ju entries", (uintmax_t)h.count);
        goto out;
    }
    vc_sha256(b, body, sum);
    if (memcmp(sum, b + body, VC_KEY) != 0) {
        *why = g_strdup("checksum mismatch (damaged)");
        goto out;
    }
    *buf = b;
    *len = (size_t)st.st_size;
    b = NULL; /* transferred */
    rc = 0;
out:
    g_free(b);
    close(fd);
    return rc;
}

int verdict_cache_open(const char *path, size_t max_entries, struct verdict_cache **out,
                       char **why)
{
    *out = NULL;
    if (!path || !*path || max_entries < 1 || max_entries > VERDICT_CACHE_MAX_MAX) {
        *why = g_strdup_printf("verdict cache: bad path or size (1 to %d entries)",
                               VERDICT_CACHE_MAX_MAX);
        return KERR_INVAL;
    }
    struct verdict_cache *c = g_new0(struct verdict_cache, 1);
    g_mutex_init(&c->lock);
    c->path = g_strdup(path);
    c->max = max_entries;
    c->index = g_hash_table_new(vc_hash, vc_equal);
    g_queue_init(&c->lru);

    unsigned char *buf = NULL;
    size_t len = 0;
    char *bad = NULL;
    int rc = vc_read(path, &buf, &len, &bad);
    if (rc == KERR_CORRUPT) {
        log_warn("verdict cache %s discarded: %s; every file is scanned again", path, bad);
        c->dirty = true; /* replace it at the next save */
    } else if (rc == 0) {
        struct vc_header h;
        memcpy(&h, buf, sizeof(h));
        c->hits = h.hits;
        c->lookups = h.lookups;
        /* Least recently used first: each pushed to the head, the last is the newest. */
        for (uint64_t i = 0; i < h.count; i++)
            vc_add_locked(c, buf + sizeof(h) + i * VC_KEY);
        c->dirty = c->lru.length != h.count; /* a smaller cap evicted some */
    }
    g_free(bad);
    g_free(buf);
    *out = c;
    return 0;
}

bool verdict_cache_lookup(struct verdict_cache *c, const unsigned char key[VERDICT_CACHE_KEY_LEN])
{
    g_mutex_lock(&c->lock);
    GList *node = g_hash_table_lookup(c->index, key);
    c->lookups++;
    if (node) {
        c->hits++;
        g_queue_unlink(&c->lru, node);
        g_queue_push_head_link(&c->lru, node);
    }
    c->dirty = true; /* the order and the counters changed */
    g_mutex_unlock(&c->lock);
    return node != NULL;
}

void verdict_cache_insert(struct verdict_cache *c, const unsigned char key[VERDICT_CACHE_KEY_LEN])
{
    g_mutex_lock(&c->lock);
    vc_add_locked(c, key);
    g_mutex_unlock(&c->lock);
}

int verdict_cache_save(struct verdict_cache *c, char **why)
{
    int rc = 0, fd = -1;
    char *tmp = NULL, *dir = NULL;

    g_mutex_lock(&c->lock);
    if (!c->dirty) {
        g_mutex_unlock(&c->lock);
        return 0;
    }
    struct vc_header h = {.format = VC_FORMAT, .count = c->lru.length, .hits = c->hits,
                          .lookups = c->lookups};
    memcpy(h.magic, VC_MAGIC, 8);
    size_t body = sizeof(h) + (size_t)h.count * VC_KEY;
    unsigned char *buf = g_malloc(body + VC_KEY);
    memcpy(buf, &h, sizeof(h));
    size_t off = sizeof(h);
    for (GList *n = c->lru.tail; n; n = n->prev, off += VC_KEY)
        memcpy(buf + off, n->data, VC_KEY);
    c->dirty = false;
    g_mutex_unlock(&c->lock);
    vc_sha256(buf, body, buf + body);

    tmp = g_strdup_printf("%s.tmp.%ld", c->path, (long)getpid());
    dir = g_path_get_dirname(c->path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0 || util_write_all(fd, buf, body + VC_KEY) != 0 ||
        fsync(fd) != 0) {
        *why = g_strdup_printf("verdict cache %s cannot be written: %s", tmp, g_strerror(errno));
        rc = KERR_SYSTEM;
        goto out;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, c->path) != 0) {
        *why = g_strdup_printf("verdict cache %s cannot be replaced: %s", c->path,
                               g_strerror(errno));
        rc = KERR_SYSTEM;
        goto out;
    }
    util_fsync_dir(dir);
out:
    if (fd >= 0)
        close(fd);
    if (rc != 0) {
        unlink(tmp);
        g_mutex_lock(&c->lock);
        c->dirty = true;
        g_mutex_unlock(&c->lock);
    }
    g_free(buf);
    g_free(tmp);
    g_free(dir);
    return rc;
}

void verdict_cache_get_stats(struct verdict_cache *c, struct verdict_cache_stats *st)
{
    memset(st, 0, sizeof(*st));
    g_mutex_lock(&c->lock);
    st->entries = c->lru.length;
    st->max_entries = c->max;
    st->hits = c->hits;
    st->lookups = c->lookups;
    g_mutex_unlock(&c->lock);
}

void verdict_cache_free(struct verdict_cache *c)
{
    if (!c)
        return;
    vc_clear_locked(c);
    g_hash_table_destroy(c->index);
    g_mutex_clear(&c->lock);
    g_free(c->path);
    g_free(c);
}

int verdict_cache_describe(const char *path, struct verdict_cache_stats *st, char **why)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    memset(st, 0, sizeof(*st));
    int rc = vc_read(path, &buf, &len, why);
    if (rc != 0)
        return rc;
    struct vc_header h;
    memcpy(&h, buf, sizeof(h));
    st->entries = h.count;
    st->hits = h.hits;
    st->lookups = h.lookups;
    st->file_bytes = len;
    g_free(buf);
    return 0;
}

/* ---- keys ------------------------------------------------------------------------------ */

static void vc_put(void *h, const void *data, size_t len)
{
    cl_update_hash(h, data, len);
}

static void vc_put_str(void *h, const char *s)
{
    cl_update_hash(h, s, strlen(s) + 1); /* with its NUL: "ab","c" != "a","bc" */
}

static void vc_put_u64(void *h, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    cl_update_hash(h, b, sizeof(b));
}

static void vc_finish(void *h, unsigned char out[VC_KEY])
{
    if (!h || cl_finish_hash(h, out) != 0)
        memset(out, 0, VC_KEY);
}

bool verdict_cache_key(const unsigned char context[VERDICT_CACHE_KEY_LEN], const char *sha256_hex,
                       uint64_t size, unsigned char out[VERDICT_CACHE_KEY_LEN])
{
    unsigned char digest[32];
    if (!sha256_hex || strlen(sha256_hex) != 64)
        return false;
    for (int i = 0; i < 32; i++) {
        int hi = g_ascii_xdigit_value(sha256_hex[2 * i]);
        int lo = g_ascii_xdigit_value(sha256_hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        digest[i] = (unsigned char)(hi << 4 | lo);
    }
    void *h = cl_hash_init("sha256");
    if (!h)
        return false;
    vc_put_str(h, "kiosk-verdict-cache-key/1");
    vc_put(h, context, VC_KEY);
    vc_put(h, digest, sizeof(digest));
    vc_put_u64(h, size);
    vc_finish(h, out);
    return true;
}

void verdict_cache_context(const unsigned char dbid[VERDICT_CACHE_KEY_LEN],
                           const struct scanner_info *info, const struct scanner_opts *opts,
                           unsigned char out[VERDICT_CACHE_KEY_LEN])
{
    void *h = cl_hash_init("sha256");
    if (!h) {
        memset(out, 0, VC_KEY);
        return;
    }
    vc_put_str(h, "kiosk-verdict-cache-context/1");
    vc_put(h, dbid, VC_KEY);
    vc_put_str(h, info->engine_version);
    vc_put_str(h, info->db_version);
    vc_put_u64(h, info->signatures);
    vc_put_u64(h, (uint64_t)info->db_time);
    vc_put_u64(h, opts->max_filesize);
    vc_put_u64(h, opts->max_scansize);
    vc_put_u64(h, opts->max_recursion);
    vc_put_u64(h, opts->max_files);
    vc_put_u64(h, opts->max_scantime);
    vc_put_u64(h, opts->block_macros);
    vc_put_u64(h, opts->block_encrypted);
    vc_finish(h, out);
}

static bool vc_is_cvd(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (!g_ascii_strcasecmp(dot, ".cvd") || !g_ascii_strcasecmp(dot, ".cld") ||
                   !g_ascii_strcasecmp(dot, ".cud"));
}

static int vc_name_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Hash NAME's bytes in DIRFD: a signed container's header only, anything else whole. */
static int vc_put_file(void *h, int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -1;
    size_t limit = vc_is_cvd(name) ? VC_CVD_HEADER : SIZE_MAX, done = 0;
    char buf[1 << 16];
    ssize_t n = 0;
    while (done < limit &&
           (n = read(fd, buf, MIN(sizeof(buf), limit - done))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        cl_update_hash(h, buf, (size_t)n);
        done += (size_t)n;
    }
    int e = errno;
    close(fd);
    errno = e;
    return n < 0 ? -1 : 0;
}

int verdict_cache_db_identity(const char *dbdir, bool content,
                              unsigned char out[VERDICT_CACHE_KEY_LEN])
{
    DIR *d = opendir(dbdir);
    if (!d)
        return -1;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            g_ptr_array_add(names, g_strdup(de->d_name));
    g_ptr_array_sort(names, vc_name_cmp);
    void *h = cl_hash_init("sha256");
    int rc = h ? 0 : -1;
    vc_put_str(h, content ? "kiosk-db-identity/1" : "kiosk-db-stat/1");
    for (guint i = 0; i < names->len && rc == 0; i++) {
        const char *name = g_ptr_array_index(names, i);
        struct stat st;
        if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = -1;
            break;
        }
        vc_put_str(h, name);
        vc_put_u64(h, (uint64_t)st.st_mode);
        vc_put_u64(h, (uint64_t)st.st_size);
        vc_put_u64(h, (uint64_t)st.st_mtim.tv_sec);
        vc_put_u64(h, (uint64_t)st.st_mtim.tv_nsec);
        vc_put_u64(h, (uint64_t)st.st_ino);
        if (content && S_ISREG(st.st_mode) && vc_put_file(h, dirfd(d), name) != 0)
            rc = -1;
    }
    int e = errno;
    closedir(d);
    g_ptr_array_free(names, TRUE);
    if (rc == 0)
        vc_finish(h, out);
    else if (h)
        cl_hash_destroy(h);
    errno = e;
    return rc;
}

/* audit.c - the append-only, hash-chained audit log (see audit.h for the format).
 *
 * The chain state (last seq, hash of the last line, whether the file ends with '\n',
 * a torn last line) is read from the tail of the file, under the lock, whenever the
 * file's size is not the one we left it at: another process may have appended, or a
 * crash may have left a torn line.  Only the tail is read, backwards in chunks; verify
 * streams the file, one line of look-ahead. */
#include "kiosk/audit.h"
#include "kiosk/audit-syslog.h"

#include "common/json.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"
#include "kiosk/sign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#define AUDIT_ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
/* A record longer than this is not one we wrote. */
#define AUDIT_MAX_LINE (1024 * 1024)
/* How many unparseable lines at the end of the file audit_open looks past to find the
 * last good seq. */
#define AUDIT_MAX_BROKEN_TAIL 64
#define AUDIT_CHUNK 65536

/* What the tail of the file says (audit_tail_read). */
struct audit_tail {
    uint64_t seq;      /* seq of the last record (0 = none) */
    char head[65];     /* SHA-256 of that record's line ("" when none) */
    char prev[65];     /* SHA-256 of the last line: what the next record chains to */
    bool need_newline; /* the last line lacks its '\n' */
    bool torn;         /* the last line is not a record: a recovery comes first */
    off_t torn_off;    /* where it starts */
    uint64_t torn_len; /* its length, without a '\n' */
};

struct audit {
    char *path;
    char *host;
    int fd;
    off_t known_size; /* size after our last read or write; -1 = unknown */
    struct audit_tail t;
};

static const char *const audit_reserved_fields[] = {"seq", "time", "host", "prev", "type"};

/* pread exactly LEN bytes at OFF.  Returns 0 or KERR_SYSTEM (a short file is EIO). */
static int audit_pread_all(int fd, void *buf, size_t len, off_t off)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = pread(fd, p, len, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return KERR_SYSTEM;
        }
        p += n;
        off += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Offset of the first byte of the line that ends at END (exclusive): one past the
 * last '\n' before END, or 0. */
static int audit_line_start(int fd, off_t end, off_t *start)
{
    char buf[AUDIT_CHUNK];
    off_t pos = end;
    while (pos > 0) {
        size_t n = pos < AUDIT_CHUNK ? (size_t)pos : AUDIT_CHUNK;
        if (audit_pread_all(fd, buf, n, pos - (off_t)n) != 0)
            return KERR_SYSTEM;
        const char *nl = memrchr(buf, '\n', n);
        if (nl) {
            *start = pos - (off_t)n + (nl - buf) + 1;
            return 0;
        }
        pos -= (off_t)n;
    }
    *start = 0;
    return 0;
}

/* SHA-256 of bytes [START, END) of FD, streamed. */
static int audit_hash_range(int fd, off_t start, off_t end, char out[65])
{
    char buf[AUDIT_CHUNK];
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    int r = 0;
    while (start < end) {
        size_t n = end - start < AUDIT_CHUNK ? (size_t)(end - start) : AUDIT_CHUNK;
        if (audit_pread_all(fd, buf, n, start) != 0) {
            r = KERR_SYSTEM;
            goto out;
        }
        g_checksum_update(c, (const guchar *)buf, (gssize)n);
        start += (off_t)n;
    }
    g_strlcpy(out, g_checksum_get_string(c), 65);
out:
    g_checksum_free(c);
    return r;
}

/* The "seq" of a record line, or 0 when the line is not a record we can trust. */
static uint64_t audit_line_seq(const char *line, size_t len)
{
    JsonParser *p = json_parser_new();
    uint64_t seq = 0;
    if (!g_utf8_validate(line, (gssize)len, NULL) ||
        !json_parser_load_from_data(p, line, (gssize)len, NULL))
        goto out;
    JsonNode *root = json_parser_get_root(p);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        goto out;
    JsonNode *n = json_object_get_member(json_node_get_object(root), "seq");
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
        goto out;
    gint64 v = json_node_get_int(n);
    if (v > 0)
        seq = (uint64_t)v;
out:
    g_object_unref(p);
    return seq;
}

/* The seq of the record line [START, END) of FD, or 0 when it is not a record (too long,
 * not JSON, no positive seq). */
static int audit_range_seq(int fd, off_t start, off_t end, uint64_t *seq)
{
    *seq = 0;
    if (end - start > AUDIT_MAX_LINE)
        return 0;
    size_t len = (size_t)(end - start);
    char *line = g_malloc(len + 1);
    int r = audit_pread_all(fd, line, len, start);
    if (r == 0) {
        line[len] = '\0';
        *seq = audit_line_seq(line, len);
    }
    g_free(line);
    return r;
}

/* Read the chain state from the tail of FD (SIZE bytes).  Call with a lock held. */
static int audit_tail_read(int fd, off_t size, struct audit_tail *t)
{
    memset(t, 0, sizeof(*t));
    g_strlcpy(t->prev, AUDIT_ZERO_HASH, sizeof(t->prev));
    if (size == 0)
        return 0;

    char last;
    if (audit_pread_all(fd, &last, 1, size - 1) != 0)
        return KERR_SYSTEM;
    t->need_newline = last != '\n';
    off_t end = t->need_newline ? size : size - 1;
    off_t start;
    uint64_t seq;
    if (audit_line_start(fd, end, &start) != 0 || audit_hash_range(fd, start, end, t->prev) != 0 ||
        audit_range_seq(fd, start, end, &seq) != 0)
        return KERR_SYSTEM;
    if (seq > 0) {
        t->seq = seq;
        g_strlcpy(t->head, t->prev, sizeof(t->head));
        return 0;
    }
    /* The last line is not a record: a torn write.  The next record chains to its bytes
     * (a recovery names it); the seq follows the last record before it. */
    t->torn = true;
    t->torn_off = start;
    t->torn_len = (uint64_t)(end - start);
    for (int skipped = 0; start > 0; skipped++) {
        if (skipped >= AUDIT_MAX_BROKEN_TAIL)
            return KERR_CORRUPT;
        end = start - 1;
        if (audit_line_start(fd, end, &start) != 0 || audit_range_seq(fd, start, end, &seq) != 0)
            return KERR_SYSTEM;
        if (seq > 0) {
            t->seq = seq;
            return audit_hash_range(fd, start, end, t->head) == 0 ? 0 : KERR_SYSTEM;
        }
    }
    return 0;
}

static int audit_load_tail(struct audit *a)
{
    struct stat st;
    if (fstat(a->fd, &st) != 0)
        return KERR_SYSTEM;
    int r = audit_tail_read(a->fd, st.st_size, &a->t);
    a->known_size = r == 0 ? st.st_size : -1;
    return r;
}

static int audit_lock(int fd, int how)
{
    while (flock(fd, how) != 0) {
        if (errno != EINTR)
            return KERR_SYSTEM;
    }
    return 0;
}

/* The lock on FD released, errno kept (for the caller's message). */
static void audit_unlock(int fd)
{
    int saved = errno;
    flock(fd, LOCK_UN);
    errno = saved;
}

int audit_open(const char *path, struct audit **out)
{
    struct audit *a = NULL;
    char *dir = NULL;
    bool locked = false;
    bool created = false;
    int r = KERR_AUDIT;

    if (!path || !*path || !out)
        return KERR_INVAL;
    *out = NULL;

    dir = g_path_get_dirname(path);
    if (util_mkdir_p(dir, 0700) != 0)
        goto out;

    a = g_new0(struct audit, 1);
    a->fd = -1;
    a->path = g_strdup(path);
    a->host = g_strdup(g_get_host_name());
    a->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_CREAT | O_EXCL, 0600);
    if (a->fd >= 0)
        created = true;
    else if (errno == EEXIST)
        a->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (a->fd < 0)
        goto out;

    struct stat st;
    if (fstat(a->fd, &st) != 0)
        goto out;
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        goto out;
    }
    if (created && util_fsync_dir(dir) != 0)
        goto out;

    if (audit_lock(a->fd, LOCK_EX) != 0)
        goto out;
    locked = true;
    int lr = audit_load_tail(a);
    if (lr != 0) {
        r = lr == KERR_CORRUPT ? KERR_CORRUPT : KERR_AUDIT;
        goto out;
    }
    r = 0;
out:
    if (locked)
        audit_unlock(a->fd);
    if (r == 0) {
        *out = a;
        a = NULL; /* transferred */
    }
    int saved = errno;
    audit_close(a);
    g_free(dir);
    errno = saved;
    return r;
}

/* Build the compact JSON line of record SEQ chained to PREV (no '\n'). */
static int audit_format(const struct audit *a, uint64_t seq, const char *prev, const char *type,
                        JsonObject *fields, char **line_out)
{
    JsonObject *rec = json_object_new();
    JsonNode *root = json_node_new(JSON_NODE_OBJECT);
    char *time = util_time_rfc3339(g_get_real_time(), true);
    char *line = NULL;
    int r = KERR_INVAL;

    json_object_set_int_member(rec, "seq", (gint64)seq);
    json_object_set_string_member(rec, "time", time);
    json_object_set_string_member(rec, "host", a->host);
    json_object_set_string_member(rec, "prev", prev);
    json_object_set_string_member(rec, "type", type);
    if (fields) {
        JsonObjectIter it;
        const char *name;
        JsonNode *value;
        json_object_iter_init_ordered(&it, fields);
        while (json_object_iter_next_ordered(&it, &name, &value)) {
            for (size_t i = 0; i < G_N_ELEMENTS(audit_reserved_fields); i++)
                if (strcmp(name, audit_reserved_fields[i]) == 0)
                    goto out;
            json_object_set_member(rec, name, json_node_copy(value));
        }
    }
    json_node_take_object(root, rec);
    rec = NULL; /* transferred */

    gsize len;
    line = json_text(root, false, &len);
    /* A record must be one line of valid UTF-8, or verify could not read it back. */
    if (!line || memchr(line, '\n', len) || !g_utf8_validate(line, (gssize)len, NULL))
        goto out;

    *line_out = line;
    line = NULL; /* transferred */
    r = 0;
out:
    if (rec)
        json_object_unref(rec);
    json_node_unref(root);
    g_free(time);
    g_free(line);
    return r;
}

/* The fields of a record, made under the lock from the chain as it is then (the record
 * before it: SEQ, HASH).  NULL with *why to refuse. */
typedef JsonObject *(*audit_fields_fn)(const struct audit *a, uint64_t seq, const char *hash,
                                       void *data, char **why);

/* Append a record of TYPE whose fields FN makes (see audit_append).  A torn last line
 * gets its recovery record first, in the same write. */
/* The "recovery" record for the torn last line the tail T found, appended to BUF (*RLINE:
 * its text) and counted in T. */
static int audit_recovery_record(struct audit *a, struct audit_tail *t, GString *buf, char **rline)
{
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "torn_offset", (gint64)t->torn_off);
    json_object_set_int_member(o, "torn_bytes", (gint64)t->torn_len);
    json_object_set_string_member(o, "torn_sha256", t->prev);
    json_object_set_string_member(o, "reason",
                                  "the last line was not a complete record: a "
                                  "write was cut (power loss, full disk, "
                                  "crash); its bytes stay in the chain");
    int r = audit_format(a, t->seq + 1, t->prev, "recovery", o, rline);
    json_object_unref(o);
    if (r != 0)
        return r;
    g_string_append(buf, *rline);
    g_string_append_c(buf, '\n');
    t->seq++;
    util_sha256_hex(*rline, strlen(*rline), t->prev);
    g_strlcpy(t->head, t->prev, sizeof(t->head));
    return 0;
}

static int audit_append_with(struct audit *a, const char *type, audit_fields_fn fn, void *data,
                             char **why)
{
    char *rline = NULL, *line = NULL;
    JsonObject *fields = NULL;
    GString *buf = g_string_new(NULL);
    bool locked = false;
    struct stat st;
    struct audit_tail t;
    int r = KERR_AUDIT;

    if (audit_lock(a->fd, LOCK_EX) != 0)
        goto out;
    locked = true;
    if (fstat(a->fd, &st) != 0)
        goto out;
    if (st.st_size != a->known_size && audit_load_tail(a) != 0)
        goto out;
    t = a->t;

    if (t.need_newline)
        g_string_append_c(buf, '\n'); /* the last line ends here; ours starts clean */
    if (t.torn && (r = audit_recovery_record(a, &t, buf, &rline)) != 0)
        goto out;
    fields = fn(a, t.seq, t.prev, data, why);
    if (!fields) {
        r = KERR_INVAL;
        goto out;
    }
    r = audit_format(a, t.seq + 1, t.prev, type, fields, &line);
    if (r != 0)
        goto out;
    r = KERR_AUDIT;
    g_string_append(buf, line);
    g_string_append_c(buf, '\n');
    if (util_write_all(a->fd, buf->str, buf->len) != 0) {
        a->known_size = -1; /* reread the tail next time */
        goto out;
    }
    t.seq++;
    util_sha256_hex(line, strlen(line), t.prev);
    g_strlcpy(t.head, t.prev, sizeof(t.head));
    t.need_newline = t.torn = false;
    a->t = t;
    a->known_size = fstat(a->fd, &st) == 0 ? st.st_size : -1;
    r = 0;
out:
    if (locked)
        audit_unlock(a->fd);
    /* With a severity by event, and journald fields (audit-syslog.h). */
    if (r == 0 && rline)
        audit_syslog_send("recovery", NULL, a->t.seq - 1, rline);
    if (r == 0)
        audit_syslog_send(type, fields, a->t.seq, line);
    if (fields)
        json_object_unref(fields);
    g_string_free(buf, TRUE);
    g_free(rline);
    g_free(line);
    return r;
}

static JsonObject *audit_fixed_fields(const struct audit *a, uint64_t seq, const char *hash,
                                      void *data, char **why)
{
    (void)a;
    (void)seq;
    (void)hash;
    (void)why;
    return data ? json_object_ref(data) : json_object_new();
}

int audit_append(struct audit *a, const char *type, JsonObject *fields)
{
    if (!a || !type || !*type)
        return KERR_INVAL;
    char *why = NULL;
    int r = audit_append_with(a, type, audit_fixed_fields, fields, &why);
    g_free(why);
    return r;
}

int audit_sync(struct audit *a)
{
    if (!a)
        return KERR_INVAL;
    while (fsync(a->fd) != 0) {
        if (errno != EINTR)
            return KERR_AUDIT;
    }
    return 0;
}

int audit_head(struct audit *a, struct audit_head *out)
{
    struct stat st;
    int r = KERR_AUDIT;
    if (!a || !out)
        return KERR_INVAL;
    if (audit_lock(a->fd, LOCK_EX) != 0)
        return KERR_AUDIT;
    if (fstat(a->fd, &st) == 0 && (st.st_size == a->known_size || audit_load_tail(a) == 0)) {
        out->seq = a->t.seq;
        g_strlcpy(out->hash, a->t.head, sizeof(out->hash));
        r = 0;
    }
    flock(a->fd, LOCK_UN);
    return r;
}

char *audit_checkpoint_message(const char *host, const char *session, uint64_t seq,
                               const char *hash)
{
    return g_strdup_printf("kiosk-audit-checkpoint v1\nhost=%s\nsession=%s\nseq=%" G_GUINT64_FORMAT
                           "\nsha256=%s\n",
                           host, session ? session : "", seq, hash);
}

struct audit_checkpoint_ctx {
    const struct sign_seckey *key;
    const char *session;
    JsonObject *extra;
};

static JsonObject *audit_checkpoint_fields(const struct audit *a, uint64_t seq, const char *hash,
                                           void *data, char **why)
{
    const struct audit_checkpoint_ctx *c = data;
    char id[17], *sig = NULL;
    char *msg = audit_checkpoint_message(a->host, c->session, seq, hash);
    int r = sign_data_detached(c->key, msg, strlen(msg), id, &sig, why);
    g_free(msg);
    if (r != 0)
        return NULL;
    JsonObject *o = json_object_new();
    if (c->session)
        json_object_set_string_member(o, "session", c->session);
    if (c->extra) {
        JsonObjectIter it;
        const char *name;
        JsonNode *value;
        json_object_iter_init_ordered(&it, c->extra);
        while (json_object_iter_next_ordered(&it, &name, &value))
            if (!json_object_has_member(o, name))
                json_object_set_member(o, name, json_node_copy(value));
    }
    json_object_set_int_member(o, "covers_seq", (gint64)seq);
    json_object_set_string_member(o, "covers_sha256", hash);
    json_object_set_string_member(o, "key_id", id);
    json_object_set_string_member(o, "signature", sig);
    g_free(sig);
    return o;
}

int audit_checkpoint(struct audit *a, const char *session, const char *key_path, JsonObject *extra,
                     struct audit_head *out, char **why)
{
    struct sign_seckey *key = NULL;
    int r;
    if (!a || !out)
        return KERR_INVAL;
    if (key_path && *key_path) {
        if ((r = sign_key_load_secret(key_path, &key, why)) != 0)
            return r;
        struct audit_checkpoint_ctx c = {.key = key, .session = session, .extra = extra};
        r = audit_append_with(a, "checkpoint", audit_checkpoint_fields, &c, why);
        sign_key_free(key);
        if (r != 0) {
            if (!*why)
                *why = g_strdup("the checkpoint could not be written to the audit log");
            return r;
        }
    }
    if ((r = audit_sync(a)) != 0 || (r = audit_head(a, out)) != 0) {
        *why = g_strdup_printf("the audit log cannot be written: %s", g_strerror(errno));
        return r;
    }
    /* An anchor outside the file: forwarded by syslog, a cut tail cannot take it back. */
    char *msg = g_strdup_printf("audit head: record %" G_GUINT64_FORMAT " sha256 %s session %s",
                                out->seq, out->hash, session ? session : "-");
    char *f_session = session ? g_strconcat("SESSION=", session, NULL) : NULL;
    const char *fields[] = {"KIOSK_EVENT=audit-head", f_session, NULL};
    log_record(LOG_NOTICE, msg, fields);
    g_free(f_session);
    g_free(msg);
    return 0;
}

void audit_close(struct audit *a)
{
    if (!a)
        return;
    if (a->fd >= 0)
        close(a->fd);
    g_free(a->path);
    g_free(a->host);
    g_free(a);
}

int audit_path_head(const char *path, struct audit_head *out)
{
    struct audit_tail t;
    struct stat st;
    int r = KERR_SYSTEM;
    memset(out, 0, sizeof(*out));
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return KERR_SYSTEM;
    if (audit_lock(fd, LOCK_SH) == 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        r = audit_tail_read(fd, st.st_size, &t);
        if (r == 0) {
            out->seq = t.seq;
            g_strlcpy(out->hash, t.head, sizeof(out->hash));
        }
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return r;
}

/* ---- reading the log line by line ---- */

struct audit_reader {
    int fd;
    char buf[AUDIT_CHUNK];
    size_t pos, fill;
    bool eof;
    off_t off;        /* offset of the next line */
    GByteArray *line; /* the current line, NUL-terminated, without '\n' */
};

/* The next line: 1 (LINE, *len, *off, *terminated, *too_long), 0 at the end, -1 on a
 * read error (errno).  A line longer than AUDIT_MAX_LINE is returned empty with
 * *too_long set. */
static int audit_reader_next(struct audit_reader *r, const char **line, size_t *len, off_t *off,
                             bool *terminated, bool *too_long)
{
    g_byte_array_set_size(r->line, 0);
    *too_long = false;
    *terminated = false;
    *off = r->off;
    bool any = false;
    for (;;) {
        if (r->pos == r->fill) {
            if (r->eof)
                break;
            ssize_t n = read(r->fd, r->buf, sizeof(r->buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return -1;
            if (n == 0) {
                r->eof = true;
                break;
            }
            r->pos = 0;
            r->fill = (size_t)n;
        }
        any = true;
        const char *p = r->buf + r->pos;
        size_t avail = r->fill - r->pos;
        const char *nl = memchr(p, '\n', avail);
        size_t chunk = nl ? (size_t)(nl - p) : avail;
        if (r->line->len + chunk > AUDIT_MAX_LINE)
            *too_long = true;
        else if (!*too_long)
            g_byte_array_append(r->line, (const guint8 *)p, (guint)chunk);
        r->pos += chunk + (nl ? 1 : 0);
        r->off += (off_t)(chunk + (nl ? 1 : 0));
        if (nl) {
            *terminated = true;
            break;
        }
    }
    if (!any)
        return 0;
    if (*too_long)
        g_byte_array_set_size(r->line, 0);
    g_byte_array_append(r->line, (const guint8 *)"", 1);
    *line = (const char *)r->line->data;
    *len = r->line->len - 1;
    return 1;
}

int audit_find_session_head(const char *path, const char *session, struct audit_head *out)
{
    struct audit_reader rd = {.fd = -1};
    char *needle = g_strdup_printf("\"session\":\"%s\"", session);
    JsonParser *p = json_parser_new();
    int r = KERR_NOT_FOUND;
    const char *line;
    size_t len;
    off_t off;
    bool term, too_long;
    memset(out, 0, sizeof(*out));
    rd.fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (rd.fd < 0) {
        r = KERR_SYSTEM;
        goto out;
    }
    rd.line = g_byte_array_new();
    int n;
    while ((n = audit_reader_next(&rd, &line, &len, &off, &term, &too_long)) > 0) {
        if (too_long || !g_strstr_len(line, (gssize)len, needle) ||
            !json_parser_load_from_data(p, line, (gssize)len, NULL))
            continue;
        JsonNode *root = json_parser_get_root(p);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
            continue;
        JsonObject *o = json_node_get_object(root);
        const char *type = json_object_get_string_member_with_default(o, "type", "");
        if (g_strcmp0(json_object_get_string_member_with_default(o, "session", ""), session) ||
            (strcmp(type, "session-end") && strcmp(type, "checkpoint")))
            continue;
        gint64 seq = json_object_get_int_member_with_default(o, "seq", 0);
        if (seq <= 0)
            continue;
        out->seq = (uint64_t)seq;
        util_sha256_hex(line, len, out->hash);
        r = 0;
    }
    if (n < 0)
        r = KERR_SYSTEM;
out:
    if (rd.fd >= 0)
        close(rd.fd);
    if (rd.line)
        g_byte_array_free(rd.line, TRUE);
    g_object_unref(p);
    g_free(needle);
    return r;
}

/* ---- verify ---- */

static bool audit_is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/* How a line failed its check. */
enum audit_fault {
    AUDIT_OK = 0,
    AUDIT_NOT_RECORD, /* not a record at all (no seq): may be a torn write */
    AUDIT_BAD,        /* a record, but wrong (fields, seq, time) */
    AUDIT_PREV,       /* a good record whose prev is not the previous line's hash */
};

/* Check one line (LEN bytes, NUL-terminated, no '\n') against the expected seq and the
 * hash of the previous line.  *o (when the line is an object) stays valid while P does. */
static enum audit_fault audit_check_line(JsonParser *p, const char *line, size_t len,
                                         uint64_t expect_seq, const char *prev, JsonObject **o,
                                         char **why)
{
    GError *err = NULL;
    enum audit_fault f = AUDIT_BAD;
    *o = NULL;

    if (len == 0) {
        *why = g_strdup("empty line");
        return AUDIT_NOT_RECORD;
    }
    if (!g_utf8_validate(line, (gssize)len, NULL)) {
        *why = g_strdup("not valid UTF-8");
        return AUDIT_NOT_RECORD;
    }
    if (!json_parser_load_from_data(p, line, (gssize)len, &err)) {
        *why = g_strdup_printf("not valid JSON (%s)", err->message);
        g_error_free(err);
        return AUDIT_NOT_RECORD;
    }
    JsonNode *root = json_parser_get_root(p);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        *why = g_strdup("not a JSON object");
        return AUDIT_NOT_RECORD;
    }
    *o = json_node_get_object(root);
    if (audit_line_seq(line, len) == 0)
        f = AUDIT_NOT_RECORD; /* what a writer takes for a torn line */
    for (size_t i = 0; i < G_N_ELEMENTS(audit_reserved_fields); i++) {
        const char *name = audit_reserved_fields[i];
        JsonNode *n = json_object_get_member(*o, name);
        if (!n) {
            *why = g_strdup_printf("missing field %s", name);
            return f;
        }
        GType want = i == 0 ? G_TYPE_INT64 : G_TYPE_STRING;
        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != want) {
            *why = g_strdup_printf("field %s is not %s", name, i == 0 ? "an integer" : "a string");
            return f;
        }
    }
    gint64 seq = json_object_get_int_member(*o, "seq");
    if (seq < 0 || (uint64_t)seq != expect_seq) {
        *why = g_strdup_printf("seq %" G_GINT64_FORMAT " expected %" G_GUINT64_FORMAT, seq,
                               expect_seq);
        return f;
    }
    const char *rec_prev = json_object_get_string_member(*o, "prev");
    if (!audit_is_hex64(rec_prev)) {
        *why = g_strdup("field prev is not a SHA-256 in lower-case hex");
        return f;
    }
    GDateTime *t = g_date_time_new_from_iso8601(json_object_get_string_member(*o, "time"), NULL);
    if (!t) {
        *why = g_strdup("field time is not an RFC 3339 time");
        return f;
    }
    g_date_time_unref(t);
    if (!*json_object_get_string_member(*o, "type")) {
        *why = g_strdup("field type is empty");
        return f;
    }
    if (strcmp(rec_prev, prev) != 0) {
        *why = g_strdup("prev does not match the previous record");
        return AUDIT_PREV;
    }
    return AUDIT_OK;
}

/* A checkpoint's own fields and, with KEY, its signature.  NULL when good. */
static char *audit_check_checkpoint(JsonObject *o, const struct audit_verify_opts *opts,
                                    struct audit_verify_result *res)
{
    gint64 seq = json_object_get_int_member(o, "seq");
    const char *prev = json_object_get_string_member(o, "prev");
    JsonNode *cs = json_object_get_member(o, "covers_seq");
    const char *ch = json_object_get_string_member_with_default(o, "covers_sha256", "");
    const char *id = json_object_get_string_member_with_default(o, "key_id", "");
    const char *sig = json_object_get_string_member_with_default(o, "signature", "");
    const char *session = json_object_get_string_member_with_default(o, "session", NULL);
    if (!cs || !JSON_NODE_HOLDS_VALUE(cs) || json_node_get_value_type(cs) != G_TYPE_INT64 ||
        json_node_get_int(cs) != seq - 1 || strcmp(ch, prev) != 0)
        return g_strdup("checkpoint does not cover the record before it");
    if (strlen(id) != 16 || !*sig)
        return g_strdup("checkpoint without a key id or signature");
    res->checkpoints++;
    res->last_checkpoint = (uint64_t)seq;
    if (!res->key_id[0])
        g_strlcpy(res->key_id, id, sizeof(res->key_id));
    else if (strcmp(res->key_id, id) != 0)
        g_strlcpy(res->key_id, "mixed", sizeof(res->key_id));
    if (!opts || !opts->key)
        return NULL;
    char want[17], *vwhy = NULL;
    sign_key_id_hex(opts->key->id, want);
    if (strcmp(want, id) != 0 && !opts->key_required)
        return NULL; /* the default key is not this log's: left unchecked */
    if (strcmp(want, id) != 0)
        return g_strdup_printf("checkpoint signed by key %s, not by %s", id, want);
    char *msg = audit_checkpoint_message(json_object_get_string_member(o, "host"), session,
                                         (uint64_t)(seq - 1), ch);
    int r = sign_verify_detached(opts->key, msg, strlen(msg), sig, &vwhy);
    g_free(msg);
    g_free(vwhy);
    if (r != 0)
        return g_strdup("checkpoint signature does not verify");
    res->checkpoints_verified++;
    return NULL;
}

/* A line held back for one line of look-ahead. */
struct audit_pending {
    enum audit_fault fault; /* AUDIT_OK: nothing pending */
    bool terminated;        /* it ends with '\n' (a torn write does not) */
    uint64_t lineno;
    off_t off;
    char hash[65];
    char *why;
};

/* Is the record O (checked good) the recovery of the pending line P? */
static bool audit_is_recovery_of(JsonObject *o, const struct audit_pending *p)
{
    return !strcmp(json_object_get_string_member(o, "type"), "recovery") &&
           json_object_get_int_member_with_default(o, "torn_offset", -1) == (gint64)p->off &&
           !g_strcmp0(json_object_get_string_member_with_default(o, "torn_sha256", ""), p->hash);
}

static void audit_note(struct audit_verify_result *res, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void audit_note(struct audit_verify_result *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_ptr_array_add(res->notes, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

struct audit_verify_ctx {
    const struct audit_verify_opts *o;
    struct audit_verify_result *res;
    char prev[65]; /* hash of the previous line */
    uint64_t lineno;
    struct audit_pending pend;
    bool *anchor_seen;
};

/* Record (line LINENO, hash H, object O) is good: count it, match anchors, check it as
 * a checkpoint.  Returns why it is bad after all, or NULL. */
static char *audit_accept(struct audit_verify_ctx *c, JsonObject *o, const char *h)
{
    struct audit_verify_result *res = c->res;
    uint64_t seq = (uint64_t)json_object_get_int_member(o, "seq");
    for (size_t i = 0; c->o && i < c->o->n_anchors; i++) {
        const struct audit_anchor *an = &c->o->anchors[i];
        if (an->seq != seq)
            continue;
        if (strcmp(an->hash, h) != 0)
            return g_strdup_printf("record %" G_GUINT64_FORMAT " is not the one the %s names "
                                   "(its SHA-256 differs): the log was changed",
                                   seq, an->what);
        c->anchor_seen[i] = true;
    }
    if (!strcmp(json_object_get_string_member(o, "type"), "checkpoint")) {
        char *bad = audit_check_checkpoint(o, c->o, res);
        if (bad)
            return bad;
    }
    res->records++;
    res->head.seq = seq;
    g_strlcpy(res->head.hash, h, sizeof(res->head.hash));
    g_strlcpy(c->prev, h, sizeof(c->prev));
    return NULL;
}

/* Fail at LINE with WHY (consumed); RECORDS good ones before it. */
static int audit_fail(struct audit_verify_result *res, uint64_t line, char *why, uint64_t records)
{
    res->bad_line = line;
    res->why = why;
    res->records = records;
    return KERR_CORRUPT;
}

/* Accept the good record OBJ (hash H) of the current line: 0, or KERR_CORRUPT. */
static int audit_verify_accept(struct audit_verify_ctx *c, JsonObject *obj, const char *h)
{
    char *bad = audit_accept(c, obj, h);
    return bad ? audit_fail(c->res, c->lineno, bad, c->res->records) : 0;
}

/* The line after one that is not a record (fault F, record OBJ, hash H; WHY is taken):
 * only the recovery naming it may follow.  0, or KERR_CORRUPT. */
static int audit_verify_after_torn(struct audit_verify_ctx *c, enum audit_fault f, JsonObject *obj,
                                   const char *h, char *why)
{
    struct audit_pending *p = &c->pend;
    g_free(why);
    if (f != AUDIT_OK || !audit_is_recovery_of(obj, p))
        return audit_fail(c->res, p->lineno, g_steal_pointer(&p->why), c->res->records);
    audit_note(c->res,
               "line %" G_GUINT64_FORMAT ": an incomplete record (a write was "
               "cut: power loss, full disk or crash) at byte %lld; recovered "
               "by record %" G_GINT64_FORMAT " (line %" G_GUINT64_FORMAT ")",
               p->lineno, (long long)p->off, json_object_get_int_member(obj, "seq"), c->lineno);
    g_free(p->why);
    memset(p, 0, sizeof(*p));
    return audit_verify_accept(c, obj, h);
}

/* The line after P, whose prev is not the hash of the line before it (record OBJ or NULL;
 * WHY is taken).  When this line vouches for P (its prev is P's hash), P is intact: the
 * line before it changed.  Always KERR_CORRUPT. */
static int audit_verify_after_prev(struct audit_verify_ctx *c, JsonObject *obj, bool too_long,
                                   char *why)
{
    struct audit_pending *p = &c->pend;
    struct audit_verify_result *res = c->res;
    g_free(why);
    if (!too_long && obj &&
        !g_strcmp0(json_object_get_string_member_with_default(obj, "prev", ""), p->hash))
        return audit_fail(res, p->lineno - 1,
                          g_strdup_printf("record changed: its SHA-256 is not what the next "
                                          "record (line %" G_GUINT64_FORMAT ") says",
                                          p->lineno),
                          res->records - 1);
    return audit_fail(res, p->lineno, g_steal_pointer(&p->why), res->records);
}

/* One line of the log (at byte OFF; TERM: it ends with '\n'; TOO_LONG: cut at the
 * limit) against the chain so far.  0 to read on, or KERR_CORRUPT. */
static int audit_verify_line(struct audit_verify_ctx *c, JsonParser *parser, const char *line,
                             size_t len, off_t off, bool term, bool too_long)
{
    char h[65], *why = NULL;
    JsonObject *obj = NULL;
    struct audit_pending *p = &c->pend;
    c->lineno++;
    util_sha256_hex(line, len, h);
    /* After a line that is not a record, the next must chain to its bytes. */
    const char *want_prev = p->fault == AUDIT_NOT_RECORD ? p->hash : c->prev;
    enum audit_fault f;
    if (too_long) {
        f = AUDIT_BAD;
        why = g_strdup_printf("record longer than %d bytes", AUDIT_MAX_LINE);
    } else {
        f = audit_check_line(parser, line, len, c->res->records + 1, want_prev, &obj, &why);
    }
    if (p->fault == AUDIT_NOT_RECORD)
        return audit_verify_after_torn(c, f, obj, h, why);
    if (p->fault == AUDIT_PREV)
        return audit_verify_after_prev(c, obj, too_long, why);
    if (f == AUDIT_OK) {
        g_free(why);
        return audit_verify_accept(c, obj, h);
    }
    if (f == AUDIT_BAD)
        return audit_fail(c->res, c->lineno, why, c->res->records);
    /* AUDIT_NOT_RECORD or AUDIT_PREV: decided by the next line. */
    p->fault = f;
    p->terminated = term;
    p->lineno = c->lineno;
    p->off = off;
    g_strlcpy(p->hash, h, sizeof(p->hash));
    p->why = why;
    return 0;
}

/* The end of the log with a fault still pending: 0, or KERR_CORRUPT. */
static int audit_verify_last(struct audit_verify_ctx *c)
{
    struct audit_pending *p = &c->pend;
    struct audit_verify_result *res = c->res;
    if (p->fault == AUDIT_NOT_RECORD && p->terminated) /* a whole line: not a cut write */
        return audit_fail(res, p->lineno, g_steal_pointer(&p->why), res->records);
    if (p->fault == AUDIT_NOT_RECORD) {
        /* The last line: a torn write not yet recovered (the next record will be). */
        audit_note(res,
                   "line %" G_GUINT64_FORMAT ": the last line is incomplete (a write was "
                   "cut: power loss, full disk or crash); the next record written records "
                   "its recovery",
                   p->lineno);
        return 0;
    }
    if (p->fault != AUDIT_PREV)
        return 0;
    /* The last record does not chain.  An anchor naming it vouches for it. */
    bool vouched = false;
    for (size_t i = 0; c->o && i < c->o->n_anchors; i++)
        if (!strcmp(c->o->anchors[i].hash, p->hash))
            vouched = true;
    if (!vouched && p->lineno <= 1)
        return audit_fail(res, p->lineno, g_steal_pointer(&p->why), res->records);
    return audit_fail(res, p->lineno - 1,
                      g_strdup_printf("record changed: its SHA-256 is not what the next "
                                      "record (line %" G_GUINT64_FORMAT ") says%s",
                                      p->lineno,
                                      vouched ? "" : " (or that record's prev was changed)"),
                      res->records - 1);
}

/* Every anchor the caller gave was seen, unchanged: 0, or KERR_CORRUPT (records were cut
 * from the end). */
static int audit_verify_anchors(struct audit_verify_ctx *c)
{
    struct audit_verify_result *res = c->res;
    for (size_t i = 0; c->o && i < c->o->n_anchors; i++) {
        const struct audit_anchor *an = &c->o->anchors[i];
        if (!c->anchor_seen[i])
            return audit_fail(res, c->lineno + 1,
                              g_strdup_printf("the log ends at record %" G_GUINT64_FORMAT
                                              ", before record "
                                              "%" G_GUINT64_FORMAT " that the %s names: records "
                                              "were cut from its end (or it was replaced)",
                                              res->head.seq, an->seq, an->what),
                              res->records);
        audit_note(res, "%s: record %" G_GUINT64_FORMAT " present and unchanged", an->what,
                   an->seq);
    }
    return 0;
}

int audit_verify_log(const char *path, const struct audit_verify_opts *o,
                     struct audit_verify_result *res)
{
    struct audit_reader rd = {.fd = -1};
    struct audit_verify_ctx c = {.o = o, .res = res};
    JsonParser *parser = json_parser_new();
    const char *line;
    size_t len;
    off_t off;
    bool term, too_long;
    int r = KERR_SYSTEM, n;

    memset(res, 0, sizeof(*res));
    res->notes = g_ptr_array_new_with_free_func(g_free);
    g_strlcpy(c.prev, AUDIT_ZERO_HASH, sizeof(c.prev));
    c.anchor_seen = g_new0(bool, o && o->n_anchors ? o->n_anchors : 1);
    if (!path) {
        r = KERR_INVAL;
        goto out;
    }
    rd.fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (rd.fd < 0)
        goto out;
    rd.line = g_byte_array_new();
    int bad = 0;
    while (!bad && (n = audit_reader_next(&rd, &line, &len, &off, &term, &too_long)) > 0)
        bad = audit_verify_line(&c, parser, line, len, off, term, too_long);
    if (bad)
        r = bad;
    else if (n >= 0 && (r = audit_verify_last(&c)) == 0)
        r = audit_verify_anchors(&c);
out:
    if (rd.fd >= 0) {
        int saved = errno;
        close(rd.fd);
        errno = saved;
    }
    if (rd.line)
        g_byte_array_free(rd.line, TRUE);
    g_free(c.pend.why);
    g_free(c.anchor_seen);
    g_object_unref(parser);
    return r;
}

void audit_verify_result_clear(struct audit_verify_result *res)
{
    if (!res)
        return;
    g_free(res->why);
    if (res->notes)
        g_ptr_array_free(res->notes, TRUE);
    memset(res, 0, sizeof(*res));
}

int audit_verify(const char *path, uint64_t *records, uint64_t *bad_line, char **why)
{
    struct audit_verify_result res;
    int r = audit_verify_log(path, NULL, &res);
    if (records)
        *records = res.records;
    if (bad_line)
        *bad_line = res.bad_line;
    if (why)
        *why = g_steal_pointer(&res.why);
    audit_verify_result_clear(&res);
    return r;
}

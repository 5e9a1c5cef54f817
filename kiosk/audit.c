/* audit.c - the append-only, hash-chained audit log (see audit.h for the format).
 *
 * The chain state (last seq, hash of the last line, whether the file ends with '\n')
 * is read from the tail of the file, under the lock, whenever the file's size is not
 * the one we left it at: another process may have appended, or a crash may have left
 * a torn line.  Only the tail is read, backwards in chunks; verify streams the file. */
#include "kiosk/audit.h"
#include "kiosk/audit-syslog.h"

#include "common/kerr.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define AUDIT_ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
/* A record longer than this is not one we wrote. */
#define AUDIT_MAX_LINE (1024 * 1024)
/* How many unparseable lines at the end of the file audit_open looks past to find the
 * last good seq. */
#define AUDIT_MAX_BROKEN_TAIL 64
#define AUDIT_CHUNK 65536

struct audit {
    char *path;
    char *host;
    int fd;
    off_t known_size;  /* size after our last read or write; -1 = unknown */
    uint64_t seq;      /* seq of the last record (0 = none) */
    char prev[65];     /* SHA-256 of the last line */
    bool need_newline; /* the last line lacks its '\n' */
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

/* Read the chain state from the tail of the file.  Call with the lock held. */
static int audit_load_tail(struct audit *a)
{
    struct stat st;
    char *line = NULL;
    int r = KERR_SYSTEM;

    if (fstat(a->fd, &st) != 0)
        goto out;
    if (st.st_size == 0) {
        a->seq = 0;
        g_strlcpy(a->prev, AUDIT_ZERO_HASH, sizeof(a->prev));
        a->need_newline = false;
        a->known_size = 0;
        r = 0;
        goto out;
    }

    char last;
    if (audit_pread_all(a->fd, &last, 1, st.st_size - 1) != 0)
        goto out;
    a->need_newline = last != '\n';
    off_t end = a->need_newline ? st.st_size : st.st_size - 1;
    off_t start;
    if (audit_line_start(a->fd, end, &start) != 0)
        goto out;
    if (audit_hash_range(a->fd, start, end, a->prev) != 0)
        goto out;

    /* The next seq follows the last record that parses; each unparseable line after it
     * (a torn write) used up one seq, so seq keeps matching the line number. */
    for (uint64_t broken = 0;; broken++) {
        if (broken >= AUDIT_MAX_BROKEN_TAIL) {
            r = KERR_CORRUPT;
            goto out;
        }
        uint64_t seq = 0;
        if (end - start <= AUDIT_MAX_LINE) {
            size_t len = (size_t)(end - start);
            line = g_malloc(len + 1);
            if (audit_pread_all(a->fd, line, len, start) != 0)
                goto out;
            line[len] = '\0';
            seq = audit_line_seq(line, len);
            g_clear_pointer(&line, g_free);
        }
        if (seq > 0) {
            a->seq = seq + broken;
            break;
        }
        if (start == 0) {
            a->seq = broken + 1;
            break;
        }
        end = start - 1;
        if (audit_line_start(a->fd, end, &start) != 0)
            goto out;
    }
    a->known_size = st.st_size;
    r = 0;
out:
    g_free(line);
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
    if (locked) {
        int saved = errno;
        flock(a->fd, LOCK_UN);
        errno = saved;
    }
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

/* Build the compact JSON line of one record (no '\n'). */
static int audit_format(const struct audit *a, const char *type, JsonObject *fields,
                        char **line_out)
{
    JsonObject *rec = json_object_new();
    JsonNode *root = json_node_new(JSON_NODE_OBJECT);
    char *time = util_time_rfc3339(g_get_real_time(), true);
    char *line = NULL;
    int r = KERR_INVAL;

    json_object_set_int_member(rec, "seq", (gint64)(a->seq + 1));
    json_object_set_string_member(rec, "time", time);
    json_object_set_string_member(rec, "host", a->host);
    json_object_set_string_member(rec, "prev", a->prev);
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
    line = util_json_text(root, false, &len);
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

int audit_append(struct audit *a, const char *type, JsonObject *fields)
{
    char *line = NULL;
    GString *buf = NULL;
    bool locked = false;
    struct stat st;
    int r = KERR_AUDIT;

    if (!a || !type || !*type)
        return KERR_INVAL;
    if (audit_lock(a->fd, LOCK_EX) != 0)
        goto out;
    locked = true;
    if (fstat(a->fd, &st) != 0)
        goto out;
    if (st.st_size != a->known_size && audit_load_tail(a) != 0)
        goto out;

    r = audit_format(a, type, fields, &line);
    if (r != 0)
        goto out;
    r = KERR_AUDIT;

    buf = g_string_new(NULL);
    if (a->need_newline)
        g_string_append_c(buf, '\n'); /* the torn line ends here; ours starts clean */
    g_string_append(buf, line);
    g_string_append_c(buf, '\n');
    if (util_write_all(a->fd, buf->str, buf->len) != 0) {
        a->known_size = -1; /* reread the tail next time */
        goto out;
    }

    a->seq++;
    util_sha256_hex(line, strlen(line), a->prev);
    a->need_newline = false;
    a->known_size = fstat(a->fd, &st) == 0 ? st.st_size : -1;
    r = 0;
out:
    if (locked) {
        int saved = errno;
        flock(a->fd, LOCK_UN);
        errno = saved;
    }
    if (r == 0) /* with a severity by event, and journald fields (audit-syslog.h) */
        audit_syslog_send(type, fields, a->seq, line);
    if (buf)
        g_string_free(buf, TRUE);
    g_free(line);
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

/* Check one line (LEN bytes, NUL-terminated, no '\n') against the expected seq and the
 * hash of the previous line.  Returns NULL when good, else why (newly allocated). */
static char *audit_check_line(const char *line, size_t len, uint64_t expect_seq, const char *prev)
{
    JsonParser *p = json_parser_new();
    GError *err = NULL;
    char *why = NULL;

    if (len == 0) {
        why = g_strdup("empty line");
        goto out;
    }
    if (!g_utf8_validate(line, (gssize)len, NULL)) {
        why = g_strdup("not valid UTF-8");
        goto out;
    }
    if (!json_parser_load_from_data(p, line, (gssize)len, &err)) {
        why = g_strdup_printf("not valid JSON (%s)", err->message);
        goto out;
    }
    JsonNode *root = json_parser_get_root(p);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        why = g_strdup("not a JSON object");
        goto out;
    }
    JsonObject *o = json_node_get_object(root);
    for (size_t i = 0; i < G_N_ELEMENTS(audit_reserved_fields); i++) {
        const char *name = audit_reserved_fields[i];
        JsonNode *n = json_object_get_member(o, name);
        if (!n) {
            why = g_strdup_printf("missing field %s", name);
            goto out;
        }
        GType want = i == 0 ? G_TYPE_INT64 : G_TYPE_STRING;
        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != want) {
            why = g_strdup_printf("field %s is not %s", name, i == 0 ? "an integer" : "a string");
            goto out;
        }
    }
    gint64 seq = json_object_get_int_member(o, "seq");
    if (seq < 0 || (uint64_t)seq != expect_seq) {
        why = g_strdup_printf("seq %" G_GINT64_FORMAT " expected %" G_GUINT64_FORMAT, seq,
                              expect_seq);
        goto out;
    }
    const char *rec_prev = json_object_get_string_member(o, "prev");
    if (!audit_is_hex64(rec_prev)) {
        why = g_strdup("field prev is not a SHA-256 in lower-case hex");
        goto out;
    }
    if (strcmp(rec_prev, prev) != 0) {
        why = g_strdup("prev does not match the previous record");
        goto out;
    }
    GDateTime *t = g_date_time_new_from_iso8601(json_object_get_string_member(o, "time"), NULL);
    if (!t) {
        why = g_strdup("field time is not an RFC 3339 time");
        goto out;
    }
    g_date_time_unref(t);
    if (!*json_object_get_string_member(o, "type")) {
        why = g_strdup("field type is empty");
        goto out;
    }
out:
    g_clear_error(&err);
    g_object_unref(p);
    return why;
}

int audit_verify(const char *path, uint64_t *records, uint64_t *bad_line, char **why)
{
    char buf[AUDIT_CHUNK];
    GByteArray *line = g_byte_array_new();
    char prev[65] = AUDIT_ZERO_HASH;
    uint64_t good = 0, lineno = 0;
    bool too_long = false;
    char *reason = NULL;
    int fd = -1;
    int r = KERR_SYSTEM;

    if (records)
        *records = 0;
    if (bad_line)
        *bad_line = 0;
    if (why)
        *why = NULL;
    if (!path) {
        r = KERR_INVAL;
        goto out;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        goto out;

    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto out;
        if (n == 0) {
            if (line->len > 0 || too_long) {
                lineno++;
                reason = g_strdup("incomplete last line (no end of line; a write was "
                                  "interrupted)");
            }
            break;
        }
        const char *p = buf, *end = buf + n;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t chunk = nl ? (size_t)(nl - p) : (size_t)(end - p);
            if (line->len + chunk > AUDIT_MAX_LINE)
                too_long = true;
            else
                g_byte_array_append(line, (const guint8 *)p, (guint)chunk);
            if (!nl)
                break;
            p = nl + 1;
            lineno++;
            if (too_long) {
                reason = g_strdup_printf("record longer than %d bytes", AUDIT_MAX_LINE);
                goto done;
            }
            g_byte_array_append(line, (const guint8 *)"", 1); /* NUL for the parser */
            size_t len = line->len - 1;
            reason = audit_check_line((const char *)line->data, len, good + 1, prev);
            if (reason)
                goto done;
            util_sha256_hex(line->data, len, prev);
            good++;
            g_byte_array_set_size(line, 0);
        }
    }
done:
    r = reason ? KERR_CORRUPT : 0;
    if (records)
        *records = good;
    if (reason && bad_line)
        *bad_line = lineno;
    if (reason && why) {
        *why = reason;
        reason = NULL; /* transferred */
    }
out:
    if (fd >= 0) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    g_free(reason);
    g_byte_array_free(line, TRUE);
    return r;
}

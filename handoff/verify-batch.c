/* verify-batch.c - the TOS side's check of a delivery folder (verify-batch.h), used by
 * `kiosk verify-batch` (cmd-verify.c) and the standalone `kiosk-verify` (kiosk-verify.c).
 *
 * A delivery is good when MANIFEST.json.sig is a valid signature of MANIFEST.json by the
 * kiosk's key, every delivered file the manifest lists (staged_path not null) is there as
 * a regular file with the listed size and SHA-256, and nothing else is there (besides
 * MANIFEST.json and its signature).  Every problem is named; exit 0 only if none.
 *
 * The folder may be forged: the manifest is read by verify-manifest.c (strict JSON, every
 * field type-checked, only paths the kiosk could have written), nothing in the folder is
 * followed through a symbolic link, and names are escaped before they are printed. */
#include "handoff/verify-batch.h"
#include "common/json.h"
#include "common/kerr.h"
#include "common/util.h"
#include "kiosk/manifest.h"
#include "media/names.h"
#include "kiosk/sign.h"
#include "handoff/verify-manifest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A manifest larger than this is not one the kiosk wrote (a million files, the policy's
 * largest max-files, take about 600 MB). */
#define CMD_VERIFY_MAX_MANIFEST ((uint64_t)1 << 30)

/* A SHA256SUMS larger than this is not one the kiosk wrote (as for the manifest). */
#define CMD_VERIFY_MAX_SUMS ((uint64_t)1 << 28)

/* The check in progress: the public result plus what only the walk needs. */
struct cmd_verify {
    struct verify_batch pub;
    const char *dir;
    int dirfd;                 /* the folder, O_PATH */
    struct verify_manifest *m; /* what the manifest lists */
    unsigned problems;
};

static void cmd_verify_problem(struct cmd_verify *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void cmd_verify_problem(struct cmd_verify *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *t = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(v->pub.problems, t);
    v->problems++;
}

/* Open DIR/REL for reading without following a symbolic link anywhere on the way (the
 * folder may have been forged: "sub" -> "/etc").  Returns a descriptor of a regular file,
 * or -1: *what says why for people (errno-based), *st is filled when something is there. */
static int cmd_verify_open(int dirfd, const char *rel, struct stat *st, const char **what)
{
    char **parts = g_strsplit(rel, "/", -1);
    int cur = dirfd, fd = -1;
    *what = NULL;
    for (char **q = parts; *q && !*what; q++) {
        if (q[1]) { /* a folder on the way */
            int next = openat(cur, *q, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            struct stat on_way;
            if (next < 0) {
                if (fstatat(cur, *q, &on_way, AT_SYMLINK_NOFOLLOW) != 0)
                    *what = errno == ENOENT ? "missing" : "cannot be read";
                else if (S_ISLNK(on_way.st_mode))
                    *what = "not reachable without following a link";
                else if (!S_ISDIR(on_way.st_mode))
                    *what = "not reachable (a file stands where a folder should be)";
                else
                    *what = "cannot be read";
            }
            if (cur != dirfd)
                close(cur);
            cur = next;
            continue;
        }
        if (fstatat(cur, *q, st, AT_SYMLINK_NOFOLLOW) != 0) {
            *what = errno == ENOENT ? "missing" : "cannot be read";
        } else if (!S_ISREG(st->st_mode)) {
            *what = "not a regular file";
        } else {
            struct stat again;
            /* O_NONBLOCK: if it became a FIFO since, do not wait for a writer. */
            fd = openat(cur, *q, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
            if (fd < 0) {
                *what = errno == ELOOP ? "changed while being checked" : "cannot be read";
            } else if (fstat(fd, &again) != 0 || !S_ISREG(again.st_mode) ||
                       again.st_ino != st->st_ino || again.st_dev != st->st_dev) {
                *what = "changed while being checked";
                close(fd);
                fd = -1;
            }
        }
    }
    if (cur != dirfd && cur >= 0)
        close(cur);
    g_strfreev(parts);
    return fd;
}

static void cmd_verify_file(struct cmd_verify *v, const struct verify_manifest_file *f)
{
    char *shown = names_display(f->path);
    struct stat st;
    const char *what = NULL;
    int fd = cmd_verify_open(v->dirfd, f->path, &st, &what);
    char sha[65];
    if (fd < 0 && what && !strcmp(what, "missing")) {
        cmd_verify_problem(v, "missing: %s (listed in the manifest, not in the folder)", shown);
    } else if (fd < 0) {
        cmd_verify_problem(v, "%s: %s", what ? what : "cannot be read", shown);
    } else if (f->size >= 0 && (gint64)st.st_size != f->size) {
        cmd_verify_problem(v, "size differs: %s (manifest %" G_GINT64_FORMAT " bytes, folder %lld)",
                           shown, f->size, (long long)st.st_size);
    } else if (util_sha256_fd(fd, sha) != 0) {
        cmd_verify_problem(v, "cannot read %s: %s", shown, g_strerror(errno));
    } else if (f->sha256[0] && strcmp(sha, f->sha256) != 0) {
        cmd_verify_problem(v, "content changed: %s (SHA-256 %s, manifest says %s)", shown, sha,
                           f->sha256);
    }
    if (fd >= 0)
        close(fd);
    g_free(shown);
}

/* NAME (MANIFEST.json, SHA256SUMS) into memory: a regular file (not a link, FIFO or
 * device) of at most MAX bytes, read once. */
static char *cmd_verify_read(struct cmd_verify *v, const char *name, uint64_t max, size_t *len)
{
    struct stat st;
    const char *what = NULL;
    int fd = cmd_verify_open(v->dirfd, name, &st, &what);
    char *buf = NULL;
    if (fd < 0) {
        cmd_verify_problem(v, "%s: %s", what ? what : "cannot be read", name);
        return NULL;
    }
    if ((uint64_t)st.st_size > max) {
        cmd_verify_problem(v, "%s is %lld bytes, too large for a kiosk delivery", name,
                           (long long)st.st_size);
        close(fd);
        return NULL;
    }
    size_t want = (size_t)st.st_size, got = 0;
    buf = g_try_malloc(want + 1);
    if (!buf) {
        cmd_verify_problem(v, "%s is too large to read here (%zu bytes)", name, want);
        close(fd);
        return NULL;
    }
    while (got <= want) { /* one byte more: a file that grew is noticed */
        ssize_t n = read(fd, buf + got, want + 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got != want) {
        cmd_verify_problem(v, "%s changed while being read", name);
        g_clear_pointer(&buf, g_free);
    }
    close(fd);
    *len = got;
    return buf;
}

/* Everything in the folder that the manifest does not account for: the folder NAME in
 * AT, REL_DIR below the delivery (NULL: the delivery itself), FOLDER its id in the
 * manifest's tree (verify_manifest_folder).  Never follows a link. */
static void cmd_verify_unlisted(struct cmd_verify *v, int at, const char *name, const char *rel_dir,
                                guint folder)
{
    int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        char *shown = names_display(rel_dir ? rel_dir : v->dir);
        cmd_verify_problem(v, "cannot list %s: %s", shown, g_strerror(errno));
        g_free(shown);
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *rel = rel_dir ? g_strdup_printf("%s/%s", rel_dir, e->d_name) : g_strdup(e->d_name);
        struct stat st;
        bool is_dir =
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
        guint sub = is_dir ? verify_manifest_folder(v->m, folder, e->d_name) : 0;
        if (!rel_dir &&
            (!strcmp(e->d_name, MANIFEST_NAME) || !strcmp(e->d_name, MANIFEST_NAME SIGN_SUFFIX) ||
             !strcmp(e->d_name, MANIFEST_SUMS_NAME) ||
             !strcmp(e->d_name, MANIFEST_SUMS_NAME SIGN_SUFFIX))) {
            /* expected */
        } else if (sub) {
            cmd_verify_unlisted(v, dirfd(d), e->d_name, rel, sub);
        } else if (!g_hash_table_contains(v->m->listed, rel)) {
            char *shown = names_display(rel);
            cmd_verify_problem(v, "unlisted %s: %s (not in the manifest; not from the kiosk)",
                               is_dir ? "folder" : "file", shown);
            g_free(shown);
        }
        g_free(rel);
    }
    closedir(d);
}

/* Is NAME in the delivery a regular file (not a link, FIFO, device)?  Missing: false,
 * *missing set. */
static bool cmd_verify_regular(struct cmd_verify *v, const char *name, bool *missing)
{
    struct stat st;
    *missing = fstatat(v->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT;
    return !*missing && S_ISREG(st.st_mode);
}

static int cmd_verify_by_path(const void *a, const void *b)
{
    const struct verify_manifest_file *const *x = a, *const *y = b;
    return strcmp((*x)->path, (*y)->path);
}

/* SHA256SUMS (the stock tools' view) must say what the manifest says: every delivered
 * file and MANIFEST.json itself with the same SHA-256, nothing else, and be signed by the
 * same key. */
static void cmd_verify_sums(struct cmd_verify *v, const struct sign_pubkey *pk,
                            const char *manifest_sha)
{
    bool missing;
    size_t len = 0;
    char *why = NULL, *stc = NULL, *ssession = NULL;
    if (!cmd_verify_regular(v, MANIFEST_SUMS_NAME, &missing)) {
        cmd_verify_problem(v,
                           missing ? "missing: %s (every kiosk delivery has it)"
                                   : "not a regular file: %s (not from the kiosk)",
                           MANIFEST_SUMS_NAME);
        return;
    }
    char *text = cmd_verify_read(v, MANIFEST_SUMS_NAME, CMD_VERIFY_MAX_SUMS, &len);
    if (!text)
        return;
    char *path = g_build_filename(v->dir, MANIFEST_SUMS_NAME, NULL);
    char *sig = g_strconcat(path, SIGN_SUFFIX, NULL);
    if (!cmd_verify_regular(v, MANIFEST_SUMS_NAME SIGN_SUFFIX, &missing))
        cmd_verify_problem(v,
                           missing ? "missing: %s (the delivery is not signed)"
                                   : "not a regular file: %s (not from the kiosk)",
                           MANIFEST_SUMS_NAME SIGN_SUFFIX);
    else if (sign_verify_data(pk, text, len, path, sig, &stc, &why) != 0)
        cmd_verify_problem(v, "signature of %s: %s", MANIFEST_SUMS_NAME, why);
    else if (!(ssession = sign_comment_get(stc, "session")) ||
             g_strcmp0(ssession, v->m->session) != 0) {
        char *shown = names_display(ssession ? ssession : "none");
        cmd_verify_problem(v, "%s was signed for session %s, not this one", MANIFEST_SUMS_NAME,
                           shown);
        g_free(shown);
    }
    g_clear_pointer(&why, g_free);
    g_free(stc);
    g_free(ssession);
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    bool manifest_line = false;
    text[len] = '\0';
    unsigned lineno = 0;
    for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        if (strlen(line) < 67 || line[64] != ' ' || line[65] != ' ' || memchr(line, '\0', 64)) {
            cmd_verify_problem(v, "%s line %u is not '<sha256>  <path>'", MANIFEST_SUMS_NAME,
                               lineno);
            continue;
        }
        line[64] = '\0';
        const char *rel = line + 66;
        if (!strcmp(rel, MANIFEST_NAME)) {
            manifest_line = true;
            if (strcmp(line, manifest_sha) != 0)
                cmd_verify_problem(v, "%s gives another SHA-256 for %s than the file has",
                                   MANIFEST_SUMS_NAME, MANIFEST_NAME);
            continue;
        }
        const struct verify_manifest_file *f = g_hash_table_lookup(v->m->listed, rel);
        char *shown = names_display(rel);
        if (!f)
            cmd_verify_problem(v, "%s lists %s, which the manifest does not deliver",
                               MANIFEST_SUMS_NAME, shown);
        else if (strcmp(f->sha256, line) != 0)
            cmd_verify_problem(v, "%s and the manifest disagree on the SHA-256 of %s",
                               MANIFEST_SUMS_NAME, shown);
        else
            g_hash_table_add(seen, (gpointer)f->path);
        g_free(shown);
    }
    if (!manifest_line)
        cmd_verify_problem(v, "%s has no line for %s", MANIFEST_SUMS_NAME, MANIFEST_NAME);
    if (g_hash_table_size(seen) != g_hash_table_size(v->m->listed))
        cmd_verify_problem(v, "%s lists %u of the %u delivered files", MANIFEST_SUMS_NAME,
                           g_hash_table_size(seen), g_hash_table_size(v->m->listed));
    g_hash_table_destroy(seen);
    g_free(text);
    g_free(path);
    g_free(sig);
}

/* 6. Where the delivery is and when it was signed (a signed delivery copied under
 * another name, or a signature moved from another delivery, is not this one): the folder
 * is named after the manifest's session, and the signature's trusted comment names that
 * session and a time between the session's start and an hour after its end
 * (sign_delivery_comment).  TC is the verified trusted comment, or NULL when the
 * signature did not verify (already a problem). */
#define CMD_VERIFY_SIGN_SLACK_BEFORE 60  /* clocks: the start is stamped before signing */
#define CMD_VERIFY_SIGN_SLACK_AFTER 3600 /* signed at the end; an hour is plenty */
static void cmd_verify_binding(struct cmd_verify *v, const char *tc)
{
    char *base = g_path_get_basename(v->dir);
    char *shown_session = names_display(v->m->session ? v->m->session : "?");
    if (g_strcmp0(base, v->m->session) != 0) {
        char *shown = names_display(base);
        cmd_verify_problem(v,
                           "the folder is named %s, the manifest says session %s (a delivery "
                           "copied or renamed is not the one the kiosk made)",
                           shown, shown_session);
        g_free(shown);
    }
    if (tc) {
        char *session = sign_comment_get(tc, "session");
        char *stamp = sign_comment_get(tc, "timestamp");
        guint64 when = 0;
        if (!session) {
            cmd_verify_problem(v, "the signature does not name the session (its trusted comment "
                                  "has no session:): not a kiosk delivery signature");
        } else if (g_strcmp0(session, v->m->session) != 0) {
            char *shown = names_display(session);
            cmd_verify_problem(v, "the signature was made for session %s, not %s", shown,
                               shown_session);
            g_free(shown);
        }
        if (!stamp || !g_ascii_string_to_unsigned(stamp, 10, 0, G_MAXINT64, &when, NULL)) {
            cmd_verify_problem(v, "the signature has no time (its trusted comment has no "
                                  "timestamp:)");
        } else if (v->m->started < 0 || v->m->finished < 0 ||
                   (gint64)when < v->m->started - CMD_VERIFY_SIGN_SLACK_BEFORE ||
                   (gint64)when > v->m->finished + CMD_VERIFY_SIGN_SLACK_AFTER) {
            char *t = util_time_rfc3339((gint64)when * G_USEC_PER_SEC, false);
            char *f = v->m->finished >= 0
                          ? util_time_rfc3339(v->m->finished * G_USEC_PER_SEC, false)
                          : g_strdup("unknown");
            cmd_verify_problem(v,
                               "the signature's time (%s) is not when the session ended (%s): "
                               "it was signed for another delivery",
                               t, f);
            g_free(t);
            g_free(f);
        }
        g_free(session);
        g_free(stamp);
    }
    g_free(shown_session);
    g_free(base);
}

/* Every file the manifest lists checked, in path order. */
static void cmd_verify_listed(struct cmd_verify *v)
{
    GPtrArray *files = g_ptr_array_new();
    GHashTableIter it;
    gpointer f;
    g_hash_table_iter_init(&it, v->m->listed);
    while (g_hash_table_iter_next(&it, NULL, &f))
        g_ptr_array_add(files, f);
    g_ptr_array_sort(files, cmd_verify_by_path);
    for (guint i = 0; i < files->len; i++)
        cmd_verify_file(v, g_ptr_array_index(files, i));
    g_ptr_array_free(files, TRUE);
}

int verify_batch_run(const char *dir, const struct sign_pubkey *pk, struct verify_batch **out)
{
    struct cmd_verify v = {.dir = dir, .dirfd = -1};
    char *why = NULL, *tc = NULL, *text = NULL;
    char *manifest = g_build_filename(dir, MANIFEST_NAME, NULL);
    char *sig = g_strconcat(manifest, SIGN_SUFFIX, NULL);
    bool missing;
    size_t len = 0;
    int rc = 0;

    v.pub.dir = g_strdup(dir);
    v.pub.problems = g_ptr_array_new_with_free_func(g_free);
    v.pub.notes = g_ptr_array_new_with_free_func(g_free);
    sign_key_id_hex(pk->id, v.pub.key_id);
    v.dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (v.dirfd < 0) {
        cmd_verify_problem(&v, "%s is not a folder that can be read: %s", dir, g_strerror(errno));
        rc = KERR_NOT_FOUND;
        goto done;
    }
    /* 1. The signature.  Both files must be regular files: a link could point anywhere,
     *    a FIFO would never end. */
    if (!cmd_verify_regular(&v, MANIFEST_NAME, &missing)) {
        cmd_verify_problem(&v,
                           missing ? "missing: %s (not a kiosk delivery, or incomplete)"
                                   : "not a regular file: %s (not from the kiosk)",
                           MANIFEST_NAME);
        goto done;
    }
    /* Read once: the signature is checked on the very bytes that are parsed next, so a
     * manifest swapped in between cannot pass as signed. */
    text = cmd_verify_read(&v, MANIFEST_NAME, CMD_VERIFY_MAX_MANIFEST, &len);
    if (!cmd_verify_regular(&v, MANIFEST_NAME SIGN_SUFFIX, &missing)) {
        cmd_verify_problem(&v,
                           missing ? "missing: %s (the delivery is not signed)"
                                   : "not a regular file: %s (not from the kiosk)",
                           MANIFEST_NAME SIGN_SUFFIX);
    } else if (text && sign_verify_data(pk, text, len, manifest, sig, &tc, &why) != 0) {
        cmd_verify_problem(&v, "signature: %s", why);
        g_clear_pointer(&why, g_free);
    }
    /* 2. The manifest (checked even when the signature failed, to name more problems). */
    if (!text)
        goto done;
    int parsed = verify_manifest_parse(text, len, &v.m);
    for (guint i = 0; i < v.m->problems->len; i++)
        cmd_verify_problem(&v, "%s", (const char *)g_ptr_array_index(v.m->problems, i));
    if (parsed != 0)
        goto done;
    v.pub.session = g_strdup(v.m->session);
    v.pub.files = g_hash_table_size(v.m->listed);
    v.pub.sanitized = v.m->sanitized;
    /* 3. Every listed file, 4. nothing else, 5. SHA256SUMS agrees. */
    cmd_verify_listed(&v);
    cmd_verify_unlisted(&v, v.dirfd, ".", NULL, 0);
    char msha[65];
    util_sha256_hex(text, len, msha);
    cmd_verify_sums(&v, pk, msha);
    cmd_verify_binding(&v, tc);
done:
    v.pub.trusted_comment = tc;
    tc = NULL;
    v.pub.ok = v.problems == 0;
    verify_manifest_free(v.m);
    if (v.dirfd >= 0)
        close(v.dirfd);
    g_free(text);
    g_free(manifest);
    g_free(sig);
    g_free(why);
    *out = g_memdup2(&v.pub, sizeof(v.pub));
    return rc;
}

void verify_batch_free(struct verify_batch *b)
{
    if (!b)
        return;
    g_free(b->dir);
    g_free(b->session);
    g_free(b->trusted_comment);
    g_ptr_array_free(b->problems, TRUE);
    g_ptr_array_free(b->notes, TRUE);
    g_free(b);
}

void verify_batch_print(const struct verify_batch *b, FILE *out)
{
    for (guint i = 0; i < b->problems->len; i++)
        fprintf(out, "PROBLEM: %s\n", (const char *)g_ptr_array_index(b->problems, i));
    for (guint i = 0; i < b->notes->len; i++)
        fprintf(out, "note: %s\n", (const char *)g_ptr_array_index(b->notes, i));
    if (b->ok && b->sanitized)
        fprintf(out,
                "OK: %s: session %s, signed by key %s (%s); %u delivered files present and "
                "unchanged (%u of them sanitized copies, active content removed); "
                "SHA256SUMS agrees; nothing unlisted\n",
                b->dir, b->session ? b->session : "?", b->key_id,
                b->trusted_comment ? b->trusted_comment : "", b->files, b->sanitized);
    else if (b->ok)
        fprintf(out,
                "OK: %s: session %s, signed by key %s (%s); %u delivered files present and "
                "unchanged; SHA256SUMS agrees; nothing unlisted\n",
                b->dir, b->session ? b->session : "?", b->key_id,
                b->trusted_comment ? b->trusted_comment : "", b->files);
    else
        fprintf(out, "FAILED: %s: %u problem%s; do not use this delivery\n", b->dir,
                b->problems->len, b->problems->len == 1 ? "" : "s");
}

JsonNode *verify_batch_json(const struct verify_batch *b)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "folder", b->dir);
    json_object_set_boolean_member(o, "ok", b->ok);
    json_object_set_string_member(o, "key_id", b->key_id);
    if (b->session)
        json_object_set_string_member(o, "session", b->session);
    else
        json_object_set_null_member(o, "session");
    if (b->trusted_comment)
        json_object_set_string_member(o, "trusted_comment", b->trusted_comment);
    else
        json_object_set_null_member(o, "trusted_comment");
    json_object_set_int_member(o, "files", b->files);
    json_object_set_int_member(o, "sanitized", b->sanitized);
    const struct {
        const char *key;
        GPtrArray *list;
    } lists[] = {{"problems", b->problems}, {"notes", b->notes}};
    for (size_t i = 0; i < G_N_ELEMENTS(lists); i++) {
        JsonArray *a = json_array_new();
        for (guint k = 0; k < lists[i].list->len; k++)
            json_array_add_string_element(a, g_ptr_array_index(lists[i].list, k));
        json_object_set_array_member(o, lists[i].key, a);
    }
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    return n;
}

int verify_batch_report(const char *dir, const struct sign_pubkey *pk, bool json)
{
    struct verify_batch *b = NULL;
    verify_batch_run(dir, pk, &b);
    if (json) {
        JsonNode *n = verify_batch_json(b);
        char *text = json_text(n, true, NULL);
        printf("%s\n", text);
        g_free(text);
        json_node_unref(n);
    } else {
        verify_batch_print(b, stdout);
    }
    int rc = b->ok ? 0 : 1;
    verify_batch_free(b);
    return rc;
}

/* cmd-verify.c - `kiosk verify-batch DIR`: the TOS side's check of a delivery folder.
 *
 * A delivery is good when MANIFEST.json.sig is a valid signature of MANIFEST.json by the
 * kiosk's key, every delivered file the manifest lists (staged_path not null) is there as
 * a regular file with the listed size and SHA-256, and nothing else is there (besides
 * MANIFEST.json and its signature).  Every problem is named; exit 0 only if none.
 *
 * The folder may be forged: the manifest is read by verify-manifest.c (strict JSON, every
 * field type-checked, only paths the kiosk could have written), nothing in the folder is
 * followed through a symbolic link, and names are escaped before they are printed. */
#include "common/kerr.h"
#include "common/util.h"
#include "kiosk/cmd.h"
#include "kiosk/config.h"
#include "kiosk/manifest.h"
#include "kiosk/names.h"
#include "kiosk/sign.h"
#include "kiosk/verify-manifest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char cmd_verify_usage[] =
    "usage: kiosk verify-batch DIR [--pubkey FILE] [--config FILE]\n"
    "Checks a delivery folder: the signature of MANIFEST.json (--pubkey, default [paths]\n"
    "public-key, /etc/kiosk/signing.pub), every listed file present with its size and\n"
    "SHA-256, nothing unlisted.  Exit status: 0 all good, 1 problems (each is printed),\n"
    "2 usage or unreadable key.\n";

/* A manifest larger than this is not one the kiosk wrote (a million files, the policy's
 * largest max-files, take about 600 MB). */
#define CMD_VERIFY_MAX_MANIFEST ((uint64_t)1 << 30)

struct cmd_verify {
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
    printf("PROBLEM: %s\n", t);
    g_free(t);
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

/* MANIFEST.json into memory: a regular file (not a link, FIFO or device) of sane size. */
static char *cmd_verify_read_file(struct cmd_verify *v, const char *name, size_t *len)
{
    struct stat st;
    const char *what = NULL;
    int fd = cmd_verify_open(v->dirfd, name, &st, &what);
    char *buf = NULL;
    if (fd < 0) {
        cmd_verify_problem(v, "%s: %s", what ? what : "cannot be read", name);
        return NULL;
    }
    if ((uint64_t)st.st_size > CMD_VERIFY_MAX_MANIFEST) {
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

static char *cmd_verify_read_manifest(struct cmd_verify *v, size_t *len)
{
    return cmd_verify_read_file(v, MANIFEST_NAME, len);
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
            /* the kiosk's own files, checked on their own */
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

static int cmd_verify_by_index(const void *a, const void *b)
{
    const struct verify_manifest_file *const *x = a, *const *y = b;
    return (*x)->index < (*y)->index ? -1 : (*x)->index > (*y)->index;
}

/* SHA256SUMS (`sha256sum -c` on the TOS side) and its signature, when the delivery has
 * them (deliveries made before the hand-off have neither): signed by the same key for
 * the same session, and saying exactly what the manifest says, in its order, plus the
 * manifest's own hash.  MANIFEST (LEN bytes) is the manifest as read and verified. */
static void cmd_verify_sums(struct cmd_verify *v, const struct sign_pubkey *pk,
                            const char *manifest, size_t len)
{
    bool missing, sig_missing;
    bool have = cmd_verify_regular(v, MANIFEST_SUMS_NAME, &missing);
    bool have_sig = cmd_verify_regular(v, MANIFEST_SUMS_NAME SIGN_SUFFIX, &sig_missing);
    if (missing && sig_missing)
        return;
    if (!have || !have_sig) {
        cmd_verify_problem(v, "%s: %s", (!have && !missing) || (!have_sig && !sig_missing)
                                            ? "not a regular file"
                                            : "missing",
                           !have ? MANIFEST_SUMS_NAME : MANIFEST_SUMS_NAME SIGN_SUFFIX);
        return;
    }
    size_t slen = 0;
    char *sums = cmd_verify_read_file(v, MANIFEST_SUMS_NAME, &slen);
    if (!sums)
        return;
    char *sig = g_build_filename(v->dir, MANIFEST_SUMS_NAME SIGN_SUFFIX, NULL);
    char *tc = NULL, *why = NULL;
    if (sign_verify_data(pk, sums, slen, MANIFEST_SUMS_NAME, sig, &tc, &why) != 0) {
        cmd_verify_problem(v, "signature of %s: %s", MANIFEST_SUMS_NAME, why);
    } else {
        char *session = sign_comment_get(tc, "session");
        if (g_strcmp0(session, v->m->session) != 0) {
            char *shown = names_display(session ? session : "none");
            cmd_verify_problem(v, "%s was signed for session %s, not this one", MANIFEST_SUMS_NAME,
                               shown);
            g_free(shown);
        }
        g_free(session);
    }
    GPtrArray *files = g_ptr_array_new();
    GHashTableIter it;
    gpointer f;
    g_hash_table_iter_init(&it, v->m->listed);
    while (g_hash_table_iter_next(&it, NULL, &f))
        g_ptr_array_add(files, f);
    g_ptr_array_sort(files, cmd_verify_by_index);
    GString *want = g_string_new(NULL);
    for (guint i = 0; i < files->len; i++) {
        const struct verify_manifest_file *x = g_ptr_array_index(files, i);
        g_string_append_printf(want, "%s  %s\n", x->sha256, x->path);
    }
    char msha[65];
    util_sha256_hex(manifest, len, msha);
    g_string_append_printf(want, "%s  %s\n", msha, MANIFEST_NAME);
    if (want->len != slen || memcmp(want->str, sums, slen) != 0)
        cmd_verify_problem(v, "%s does not list exactly the manifest's files and hashes",
                           MANIFEST_SUMS_NAME);
    g_string_free(want, TRUE);
    g_ptr_array_free(files, TRUE);
    g_free(sig);
    g_free(tc);
    g_free(why);
    g_free(sums);
}

/* 5. Where the delivery is and when it was signed (a signed delivery copied under
 * another name, or a signature moved from another delivery, is not this one): the folder
 * is named after the manifest's session, and the signature's trusted comment names that
 * session and a time between the session's start and an hour after its end
 * (sign_delivery_comment).  TC is the verified trusted comment, or NULL when the
 * signature did not verify (already a problem). */
#define CMD_VERIFY_SIGN_SLACK_BEFORE 60    /* clocks: the start is stamped before signing */
#define CMD_VERIFY_SIGN_SLACK_AFTER 3600   /* signed at the end; an hour is plenty */
static void cmd_verify_binding(struct cmd_verify *v, const char *tc)
{
    char *base = g_path_get_basename(v->dir);
    char *shown_session = names_display(v->m->session ? v->m->session : "?");
    if (g_strcmp0(base, v->m->session) != 0) {
        char *shown = names_display(base);
        cmd_verify_problem(v, "the folder is named %s, the manifest says session %s (a delivery "
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
            cmd_verify_problem(v, "the signature's time (%s) is not when the session ended (%s): "
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

int cmd_verify_batch(int argc, char **argv)
{
    static const struct option opts[] = {
        {"pubkey", required_argument, NULL, 'k'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *pubkey = NULL, *config = NULL;
    int c, rc = 2;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': pubkey = optarg; break;
        case 'c': config = optarg; break;
        case 'h': fputs(cmd_verify_usage, stdout); return 0;
        default: fputs(cmd_verify_usage, stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        fputs(cmd_verify_usage, stderr);
        return 2;
    }
    struct cmd_verify v = {.dir = argv[optind], .dirfd = -1};
    struct kiosk_config *cfg = NULL;
    struct sign_pubkey pk;
    char *why = NULL, *tc = NULL, *text = NULL, id[17];
    char *manifest = g_build_filename(v.dir, MANIFEST_NAME, NULL);
    char *sig = g_strconcat(manifest, SIGN_SUFFIX, NULL);
    bool missing;
    size_t len = 0;

    if (!pubkey) {
        if (config_load(config, &cfg, &why) != 0) {
            fprintf(stderr, "kiosk: %s\n", why);
            goto out;
        }
        pubkey = cfg->public_key;
    }
    if (sign_key_load_public(pubkey, &pk, &why) != 0) {
        fprintf(stderr, "kiosk: %s\n", why);
        goto out;
    }
    sign_key_id_hex(pk.id, id);
    v.dirfd = open(v.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (v.dirfd < 0) {
        fprintf(stderr, "kiosk: %s is not a folder\n", v.dir);
        goto out;
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
    text = cmd_verify_read_manifest(&v, &len);
    if (!cmd_verify_regular(&v, MANIFEST_NAME SIGN_SUFFIX, &missing)) {
        cmd_verify_problem(&v,
                           missing ? "missing: %s (the delivery is not signed)"
                                   : "not a regular file: %s (not from the kiosk)",
                           MANIFEST_NAME SIGN_SUFFIX);
    } else if (text && sign_verify_data(&pk, text, len, manifest, sig, &tc, &why) != 0) {
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
    /* 3. Every listed file, 4. nothing else. */
    GPtrArray *files = g_ptr_array_new();
    GHashTableIter it;
    gpointer f;
    g_hash_table_iter_init(&it, v.m->listed);
    while (g_hash_table_iter_next(&it, NULL, &f))
        g_ptr_array_add(files, f);
    g_ptr_array_sort(files, cmd_verify_by_path);
    for (guint i = 0; i < files->len; i++)
        cmd_verify_file(&v, g_ptr_array_index(files, i));
    g_ptr_array_free(files, TRUE);
    cmd_verify_unlisted(&v, v.dirfd, ".", NULL, 0);
    cmd_verify_binding(&v, tc);
    cmd_verify_sums(&v, &pk, text, len);
done:
    if (v.problems == 0) {
        printf("OK: %s: session %s, signed by key %s (%s); %u delivered files present and "
               "unchanged; nothing unlisted\n",
               v.dir, v.m->session, id, tc ? tc : "", g_hash_table_size(v.m->listed));
        rc = 0;
    } else {
        printf("FAILED: %s: %u problem%s; do not use this delivery\n", v.dir, v.problems,
               v.problems == 1 ? "" : "s");
        rc = 1;
    }
out:
    verify_manifest_free(v.m);
    if (v.dirfd >= 0)
        close(v.dirfd);
    config_free(cfg);
    g_free(text);
    g_free(manifest);
    g_free(sig);
    g_free(tc);
    g_free(why);
    return rc;
}

/* bundle.c - the administrator's USB stick (bundle.h). */
#include "kiosk/bundle.h"
#include "kiosk/report.h"

#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"
#include "kiosk/admin.h"
#include "kiosk/audit.h"
#include "kiosk/media.h"
#include "kiosk/policy-install.h"
#include "kiosk/sigdb.h"
#include "kiosk/sign.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUNDLE_SUMS_MAX (64 * 1024)
#define BUNDLE_SIG_MAX 4096
#define BUNDLE_CHUNK (1 << 20)

#define BUNDLE_TIME_LIMIT_US ((gint64)15 * 60 * G_USEC_PER_SEC) /* reading the stick */
#define BUNDLE_ABORT_GRACE_US ((gint64)2 * G_USEC_PER_SEC)

/* While the stick is read: a removal (CANCEL) or the time limit stops the copy, and after
 * a grace period aborts the stick's FUSE connections so that no read stays hung in a
 * driver (the same as a visitor's session, session.c). */
struct bundle_watch {
    struct media *m;
    volatile gint *cancel;
    gint stop; /* read by the copy: give up */
    gint done; /* set by bundle_apply: the watch ends */
    gint64 deadline;
};

static gpointer bundle_watch_main(gpointer data)
{
    struct bundle_watch *w = data;
    gint64 stop_us = 0;
    bool aborted = false;
    while (!g_atomic_int_get(&w->done)) {
        gint64 now = g_get_monotonic_time();
        if (!stop_us && ((w->cancel && g_atomic_int_get(w->cancel)) || now > w->deadline)) {
            log_warn("administrator's stick: %s; stopping",
                     now > w->deadline ? "time limit reached" : "removed or cancelled");
            g_atomic_int_set(&w->stop, 1);
            stop_us = now;
        }
        if (stop_us && !aborted && now > stop_us + BUNDLE_ABORT_GRACE_US) {
            media_abort(w->m);
            aborted = true;
        }
        g_usleep(50000);
    }
    return NULL;
}

/* One line of SHA256SUMS. */
struct bundle_entry {
    char *name;      /* as signed: installed under this name */
    char sha256[65]; /* as signed */
    char *copy;      /* the private copy, once read */
};

static void bundle_entry_free(gpointer p)
{
    struct bundle_entry *e = p;
    g_free(e->name);
    g_free(e->copy);
    g_free(e);
}

/* The private folder for copies: beside the administrator's state (root's, 0700). */
static char *bundle_private_dir(const struct kiosk_config *cfg, const char *what, char **why)
{
    char *parent = g_path_get_dirname(cfg->admin_state);
    char *tmpl = g_build_filename(parent, what, NULL);
    char *dir = NULL;
    if (util_mkdir_p(parent, 0700) != 0 || !(dir = g_mkdtemp_full(tmpl, 0700))) {
        *why = g_strdup_printf("cannot make a private folder in %s: %s", parent, g_strerror(errno));
        g_free(tmpl);
    }
    g_free(parent);
    return dir;
}

/* The entry of DIRFD named NAME in any letter case (FAT drivers show 8.3 names in upper
 * case), opened without following anything.  Two entries that differ only in case make
 * the name ambiguous: refused.  Returns the fd or -1 with *why. */
static int bundle_openat_ci(int dirfd, const char *name, int flags, char **why)
{
    int dup_fd = dup(dirfd);
    DIR *dir = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!dir) {
        if (dup_fd >= 0)
            close(dup_fd);
        *why = g_strdup_printf("cannot list the bundle folder: %s", g_strerror(errno));
        return -1;
    }
    rewinddir(dir);
    char *found = NULL;
    int matches = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (!g_ascii_strcasecmp(de->d_name, name)) {
            matches++;
            g_free(found);
            found = g_strdup(de->d_name);
        }
    }
    closedir(dir);
    if (matches != 1) {
        *why = matches ? g_strdup_printf("%s is there %d times (names differing only in case)",
                                         name, matches)
                       : g_strdup_printf("%s is missing", name);
        g_free(found);
        errno = ENOENT;
        return -1;
    }
    int fd = openat(dirfd, found, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        *why = g_strdup_printf("%s cannot be opened: %s", found, g_strerror(errno));
    g_free(found);
    return fd;
}

/* Read the regular file FD once into DEST (new, 0600) while hashing: at most MAX bytes. */
static int bundle_copy_fd(int fd, const char *label, const char *dest, gint64 max,
                          volatile gint *cancel, char sha256[65], gint64 *size, char **why)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *why = g_strdup_printf("%s is not a regular file", label);
        return KERR_INVAL;
    }
    if (st.st_size > max) {
        *why = g_strdup_printf("%s is too large (%lld bytes, at most %" G_GINT64_FORMAT ")", label,
                               (long long)st.st_size, max);
        return KERR_LIMIT;
    }
    /* Blocking reads from here on (the open was O_NONBLOCK against FIFOs). */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    int out = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        *why = g_strdup_printf("%s: %s", dest, g_strerror(errno));
        return KERR_SYSTEM;
    }
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    char *buf = g_malloc(BUNDLE_CHUNK);
    gint64 total = 0;
    int rc = 0;
    for (;;) {
        if (cancel && g_atomic_int_get(cancel)) {
            *why = g_strdup("stopped: the stick was removed or the update was cancelled");
            rc = KERR_CANCELLED;
            break;
        }
        ssize_t n = read(fd, buf, BUNDLE_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *why = g_strdup_printf("%s could not be read: %s", label, g_strerror(errno));
            rc = KERR_MEDIUM;
            break;
        }
        if (n == 0)
            break;
        total += n;
        if (total > max) {
            *why = g_strdup_printf("%s grew while being read", label);
            rc = KERR_LIMIT;
            break;
        }
        g_checksum_update(ck, (const guchar *)buf, (gsize)n);
        if (util_write_all(out, buf, (size_t)n) != 0) {
            *why = g_strdup_printf("%s: write: %s", dest, g_strerror(errno));
            rc = KERR_SYSTEM;
            break;
        }
    }
    if (rc == 0 && fsync(out) != 0) {
        *why = g_strdup_printf("%s: fsync: %s", dest, g_strerror(errno));
        rc = KERR_SYSTEM;
    }
    close(out);
    if (rc == 0) {
        g_strlcpy(sha256, g_checksum_get_string(ck), 65);
        *size = total;
    }
    g_checksum_free(ck);
    g_free(buf);
    return rc;
}

/* A name SHA256SUMS may list: a plain file name, printable ASCII, not hidden. */
static bool bundle_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 128 || name[0] == '.' || !g_ascii_strncasecmp(name, BUNDLE_SUMS, 10))
        return false;
    for (const char *p = name; *p; p++)
        if (!g_ascii_isalnum(*p) && !strchr("._-+", *p))
            return false;
    return true;
}

/* "<64 hex>  <name>" (or "<hex> *<name>") per line; blank lines ignored. */
static int bundle_parse_sums(const char *text, gsize len, GPtrArray *entries, char **why)
{
    if (memchr(text, '\0', len)) {
        *why = g_strdup(BUNDLE_SUMS " is not a text file");
        return KERR_INVAL;
    }
    char **lines = g_strsplit(text, "\n", -1);
    int rc = 0;
    for (int i = 0; lines[i] && rc == 0; i++) {
        char *l = g_strchomp(lines[i]);
        if (!*l)
            continue;
        size_t n = strlen(l);
        if (n < 67 || l[64] != ' ' || (l[65] != ' ' && l[65] != '*')) {
            *why = g_strdup_printf(BUNDLE_SUMS " line %d is not \"<SHA-256>  <file name>\"", i + 1);
            rc = KERR_INVAL;
            break;
        }
        const char *name = l + 66;
        bool hex = true;
        for (int k = 0; k < 64; k++)
            hex = hex && g_ascii_isxdigit(l[k]);
        if (!hex || !bundle_name_ok(name)) {
            *why = g_strdup_printf(BUNDLE_SUMS " line %d: %s", i + 1,
                                   hex ? "the file name must be a plain name of letters, digits "
                                         "and . _ - + (no folders)"
                                       : "not a SHA-256");
            rc = KERR_INVAL;
            break;
        }
        for (guint k = 0; k < entries->len; k++)
            if (!g_ascii_strcasecmp(((struct bundle_entry *)entries->pdata[k])->name, name)) {
                *why = g_strdup_printf(BUNDLE_SUMS " lists %s twice", name);
                rc = KERR_INVAL;
            }
        if (rc == 0 && entries->len >= BUNDLE_MAX_FILES) {
            *why = g_strdup_printf(BUNDLE_SUMS " lists more than %d files", BUNDLE_MAX_FILES);
            rc = KERR_LIMIT;
        }
        if (rc != 0)
            break;
        struct bundle_entry *e = g_new0(struct bundle_entry, 1);
        e->name = g_strdup(name);
        for (int k = 0; k < 64; k++)
            e->sha256[k] = g_ascii_tolower(l[k]);
        g_ptr_array_add(entries, e);
    }
    g_strfreev(lines);
    if (rc == 0 && entries->len == 0) {
        *why = g_strdup(BUNDLE_SUMS " lists no file");
        rc = KERR_INVAL;
    }
    return rc;
}

/* The bundle folder under ROOT (ROOT itself when it holds SHA256SUMS), or -1. */
static int bundle_find(const char *root)
{
    int rfd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (rfd < 0)
        return -1;
    char *why = NULL;
    int fd = bundle_openat_ci(rfd, BUNDLE_SUMS, O_RDONLY, &why);
    g_free(why);
    why = NULL;
    if (fd >= 0) {
        close(fd);
        return rfd;
    }
    fd = bundle_openat_ci(rfd, BUNDLE_DIR_NAME, O_RDONLY | O_DIRECTORY, &why);
    g_free(why);
    close(rfd);
    return fd;
}

static void bundle_item(JsonArray *items, const char *item, bool ok, const char *code,
                        const char *message)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "item", item);
    json_object_set_boolean_member(o, "ok", ok);
    json_object_set_string_member(o, "code", code);
    json_object_set_string_member(o, "message", message);
    json_array_add_object_element(items, o);
}

/* Check SHA256SUMS + its signature in BFD, then copy every listed file into PRIV.  On
 * success ENTRIES holds the copies. */
static int bundle_read(int bfd, const struct kiosk_config *cfg, const char *priv,
                       volatile gint *cancel, GPtrArray *entries, JsonObject *binfo, char **why)
{
    char *sums = g_build_filename(priv, BUNDLE_SUMS, NULL);
    char *sig = g_strconcat(sums, ".minisig", NULL);
    char sums_sha[65], sig_sha[65], key_id[17] = "";
    gint64 size = 0, total = 0;
    char *text = NULL, *vwhy = NULL, *tc = NULL;
    gsize len = 0;
    GPtrArray *keys = NULL;
    const struct sign_pubkey *key = NULL;
    int rc, fd;

    /* 1. The signed list, read once; nothing else is touched before it verifies. */
    if ((fd = bundle_openat_ci(bfd, BUNDLE_SUMS, O_RDONLY, why)) < 0) {
        rc = KERR_NOT_FOUND;
        goto out;
    }
    rc = bundle_copy_fd(fd, BUNDLE_SUMS, sums, BUNDLE_SUMS_MAX, cancel, sums_sha, &size, why);
    close(fd);
    if (rc != 0)
        goto out;
    json_object_set_string_member(binfo, "sums_sha256", sums_sha);
    if ((fd = bundle_openat_ci(bfd, BUNDLE_SUMS ".minisig", O_RDONLY, &vwhy)) < 0) {
        *why = g_strdup("the bundle is not signed: " BUNDLE_SUMS ".minisig is missing (sign "
                        "it with 'minisign -Sm " BUNDLE_SUMS "')");
        rc = KERR_INVAL;
        goto out;
    }
    rc = bundle_copy_fd(fd, BUNDLE_SUMS ".minisig", sig, BUNDLE_SIG_MAX, cancel, sig_sha, &size,
                        why);
    close(fd);
    if (rc != 0)
        goto out;
    if (sign_signature_key_id(sig, key_id, &vwhy) != 0) {
        *why = g_strdup(BUNDLE_SUMS ".minisig is not a minisign signature");
        rc = KERR_INVAL;
        goto out;
    }
    json_object_set_string_member(binfo, "key_id", key_id);
    if ((rc = policy_install_load_keys(cfg->admin_keys, &keys, why)) != 0)
        goto out;
    for (guint i = 0; i < keys->len && !key; i++) {
        char id[17];
        sign_key_id_hex(((struct sign_pubkey *)keys->pdata[i])->id, id);
        if (!strcmp(id, key_id))
            key = keys->pdata[i];
    }
    if (!key) {
        *why = g_strdup_printf("the bundle was signed by key %s, which is not a trusted "
                               "administrator key (in %s)",
                               key_id, cfg->admin_keys);
        rc = KERR_INVAL;
        goto out;
    }
    if (sign_verify_file(key, sums, sig, &tc, &vwhy) != 0) {
        *why = g_strdup("the bundle's signature does not match " BUNDLE_SUMS " (changed after "
                        "signing, or a damaged or forged signature)");
        rc = KERR_CORRUPT;
        goto out;
    }
    json_object_set_boolean_member(binfo, "signature_ok", TRUE);
    if (tc)
        json_object_set_string_member(binfo, "trusted_comment", tc);

    /* 2. Every listed file, once, into the private folder, compared with the list. */
    if (!g_file_get_contents(sums, &text, &len, NULL)) {
        *why = g_strdup_printf("cannot read back %s", sums);
        rc = KERR_SYSTEM;
        goto out;
    }
    if ((rc = bundle_parse_sums(text, len, entries, why)) != 0)
        goto out;
    for (guint i = 0; i < entries->len; i++) {
        struct bundle_entry *e = entries->pdata[i];
        char sha[65];
        if ((fd = bundle_openat_ci(bfd, e->name, O_RDONLY, why)) < 0) {
            rc = KERR_NOT_FOUND;
            goto out;
        }
        e->copy = g_build_filename(priv, e->name, NULL);
        rc = bundle_copy_fd(fd, e->name, e->copy, MIN(BUNDLE_MAX_FILE, BUNDLE_MAX_TOTAL - total),
                            cancel, sha, &size, why);
        close(fd);
        if (rc != 0)
            goto out;
        total += size;
        if (strcmp(sha, e->sha256) != 0) {
            /* The hashes go to the audit record; people get the sentence. */
            JsonObject *mm = json_object_new();
            json_object_set_string_member(mm, "file", e->name);
            json_object_set_string_member(mm, "sha256", sha);
            json_object_set_string_member(mm, "listed", e->sha256);
            json_object_set_object_member(binfo, "mismatch", mm);
            *why = g_strdup_printf("%s differs from the signed list (changed after signing, or "
                                   "damaged)",
                                   e->name);
            rc = KERR_CORRUPT;
            goto out;
        }
    }
    json_object_set_int_member(binfo, "files", entries->len);
    json_object_set_int_member(binfo, "bytes", total);
    rc = 0;
out:
    if (keys)
        g_ptr_array_free(keys, TRUE);
    g_free(text);
    g_free(vwhy);
    g_free(tc);
    g_free(sums);
    g_free(sig);
    return rc;
}

/* Install the verified copies: the policy (with its own signature), then the databases. */
static int bundle_install(const struct kiosk_config *cfg, const struct policy *pol, struct audit *a,
                          GPtrArray *entries, JsonArray *items, int *installed)
{
    GPtrArray *dbs = g_ptr_array_new();
    GString *dbnames = g_string_new(NULL);
    int failures = 0;
    for (guint i = 0; i < entries->len; i++) {
        struct bundle_entry *e = entries->pdata[i];
        if (sigdb_is_db_name(e->name)) {
            g_ptr_array_add(dbs, e->copy);
            g_string_append_printf(dbnames, "%s%s", dbnames->len ? ", " : "", e->name);
            continue;
        }
        if (g_str_has_suffix(e->name, ".minisig")) {
            char *base = g_strndup(e->name, strlen(e->name) - strlen(".minisig"));
            bool pair = false;
            for (guint k = 0; k < entries->len; k++)
                pair = pair || !strcmp(((struct bundle_entry *)entries->pdata[k])->name, base);
            if (!pair)
                bundle_item(items, e->name, true, "ignored",
                            "a signature without its file in the bundle; ignored");
            g_free(base);
            continue;
        }
        if (g_str_has_suffix(e->name, ".conf")) {
            char *sigpath = g_strconcat(e->copy, ".minisig", NULL);
            struct policy_install_result res;
            char *why = NULL;
            int r = policy_install(cfg->policy, cfg->admin_keys, e->copy, sigpath, a, &res, &why);
            if (r == 0) {
                char *msg = g_strdup_printf("policy \"%s\" version %" G_GUINT64_FORMAT
                                            " installed (was version %" G_GUINT64_FORMAT ")",
                                            res.new_name ? res.new_name : "", res.new_version,
                                            res.old_version);
                bundle_item(items, e->name, true, "installed", msg);
                g_free(msg);
                (*installed)++;
            } else {
                bundle_item(items, e->name, false, res.code, why ? why : "refused");
                failures++;
            }
            policy_install_result_clear(&res);
            g_free(why);
            g_free(sigpath);
            continue;
        }
        bundle_item(items, e->name, true, "ignored",
                    "neither a policy (*.conf) nor a ClamAV database; ignored");
    }
    if (dbs->len) {
        char *why = NULL;
        int r =
            sigdb_install(cfg->signatures, pol, (char *const *)dbs->pdata, (int)dbs->len, a, &why);
        if (r == 0) {
            char *msg = g_strdup_printf("signatures installed: %s", dbnames->str);
            bundle_item(items, dbnames->str, true, "installed", msg);
            g_free(msg);
            (*installed)++;
        } else {
            bundle_item(items, dbnames->str, false, "refused", why ? why : "refused");
            failures++;
        }
        g_free(why);
    }
    g_ptr_array_free(dbs, TRUE);
    g_string_free(dbnames, TRUE);
    return failures;
}

int bundle_apply(const char *source, const struct kiosk_config *cfg, const struct policy *pol,
                 struct audit *a, volatile gint *cancel, JsonObject **out, char **why)
{
    struct media *m = NULL;
    GPtrArray *entries = g_ptr_array_new_with_free_func(bundle_entry_free);
    JsonObject *binfo = json_object_new();
    JsonArray *items = json_array_new();
    char *priv = NULL, *tag = NULL;
    int bfd = -1, installed = 0, rc;
    struct bundle_watch w = {0};
    GThread *wt = NULL;

    *out = NULL;
    /* Without a valid installed policy (the very thing a bundle may fix), the stick is
     * opened with the defaults: FUSE drivers, every filesystem the kiosk reads. */
    struct policy *fallback = NULL;
    if (!pol) {
        static const char builtin[] = "[policy]\nname=built-in (admin stick)\nversion=0\n";
        if (policy_load_data(builtin, sizeof(builtin) - 1, "(built-in)", &fallback, NULL) != 0) {
            *why = g_strdup("internal error: the built-in policy does not load");
            g_ptr_array_free(entries, TRUE);
            json_object_unref(binfo);
            json_array_unref(items);
            return KERR_SYSTEM;
        }
        pol = fallback;
    }
    json_object_set_string_member(binfo, "source", source);
    tag = g_strdup_printf("admin-%08x", g_random_int());
    rc = media_open(source, pol, cfg->run_dir, tag, cancel, &m, why);
    if (rc != 0)
        goto record;
    /* From the first look at the stick's folders to the last byte read. */
    w.m = m;
    w.cancel = cancel;
    w.deadline = g_get_monotonic_time() + BUNDLE_TIME_LIMIT_US;
    wt = g_thread_new("kiosk-bundle-watch", bundle_watch_main, &w);
    for (size_t i = 0; i < m->n_volumes && bfd < 0; i++) {
        const struct media_volume *v = &m->volumes[i];
        if (v->mountpoint && (v->mounted || m->kind == MEDIA_FOLDER))
            bfd = bundle_find(v->mountpoint);
    }
    if (bfd < 0) {
        *why = g_strdup("no update bundle on this medium: put the signed files in a folder "
                        "named " BUNDLE_DIR_NAME " at the top of the stick");
        rc = KERR_NOT_FOUND;
        goto record;
    }
    if (!(priv = bundle_private_dir(cfg, "bundle-XXXXXX", why))) {
        rc = KERR_SYSTEM;
        goto record;
    }
    rc = bundle_read(bfd, cfg, priv, &w.stop, entries, binfo, why);
    g_atomic_int_set(&w.done, 1);
    g_thread_join(wt);
    wt = NULL;
    if (rc != 0 && g_atomic_int_get(&w.stop) && !(cancel && g_atomic_int_get(cancel))) {
        g_free(*why);
        *why = g_strdup("reading the stick took longer than 15 minutes; nothing was installed");
        rc = KERR_TIMEOUT;
    }
    /* Done with the stick: everything from here works on the verified copies. */
    close(bfd);
    bfd = -1;
    media_close(m);
    m = NULL;
    if (rc != 0)
        goto record;
    int failures = bundle_install(cfg, pol, a, entries, items, &installed);
    if (failures) {
        *why = g_strdup_printf("%d of the bundle's updates %s refused", failures,
                               failures == 1 ? "was" : "were");
        rc = KERR_INVAL;
    } else if (!installed) {
        *why = g_strdup("the bundle holds nothing to install (no policy, no signatures)");
        rc = KERR_INVAL;
    }
record:
    if (wt) {
        g_atomic_int_set(&w.done, 1);
        g_thread_join(wt);
    }
    if (bfd >= 0)
        close(bfd);
    media_close(m);
    if (priv)
        util_rm_rf(priv);
    JsonObject *res = json_object_new();
    json_object_set_object_member(res, "bundle", binfo);
    json_object_set_array_member(res, "items", items);
    json_object_set_int_member(res, "installed", installed);
    json_object_set_string_member(res, "result", rc == 0 ? "installed" : "refused");
    if (rc != 0 && *why)
        json_object_set_string_member(res, "reason", *why);
    if (a) {
        /* The record carries everything the screen gets. */
        if (audit_append(a, "admin-update", res) != 0 || audit_sync(a) != 0)
            log_error("audit: cannot record the admin update");
    }
    *out = res;
    policy_free(fallback);
    g_ptr_array_free(entries, TRUE);
    g_free(priv);
    g_free(tag);
    return rc;
}

/* ---- export ----------------------------------------------------------------------------- */

static int bundle_copy_path(const char *src, const char *dst, char **why)
{
    GFile *s = g_file_new_for_path(src), *t = g_file_new_for_path(dst);
    GError *err = NULL;
    gboolean ok = g_file_copy(s, t, G_FILE_COPY_NONE, NULL, NULL, NULL, &err);
    g_object_unref(s);
    g_object_unref(t);
    if (!ok) {
        *why = g_strdup_printf("copying %s: %s", src, err->message);
        g_error_free(err);
        return KERR_SYSTEM;
    }
    return 0;
}

static gint bundle_cmp_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append "<sha256>  <rel>" for every file under DIR/REL (sorted), counting files/bytes. */
static int bundle_sums_add(const char *dir, const char *rel, GString *sums, int *files,
                           gint64 *bytes)
{
    char *path = rel ? g_build_filename(dir, rel, NULL) : g_strdup(dir);
    GDir *d = g_dir_open(path, 0, NULL);
    if (!d) {
        g_free(path);
        return KERR_SYSTEM;
    }
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(d)) != NULL)
        g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(names, bundle_cmp_names);
    int rc = 0;
    for (guint i = 0; i < names->len && rc == 0; i++) {
        char *r = rel ? g_build_filename(rel, names->pdata[i], NULL) : g_strdup(names->pdata[i]);
        char *p = g_build_filename(dir, r, NULL);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = bundle_sums_add(dir, r, sums, files, bytes);
        } else if (lstat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            char sha[65];
            if (util_sha256_file(p, sha) != 0)
                rc = KERR_SYSTEM;
            g_string_append_printf(sums, "%s  %s\n", sha, r);
            (*files)++;
            *bytes += st.st_size;
        }
        g_free(p);
        g_free(r);
    }
    g_ptr_array_free(names, TRUE);
    g_free(path);
    return rc;
}

int bundle_export_dir(const struct kiosk_config *cfg, const char *parent, char **dest_out,
                      JsonObject **summary, char **why)
{
    char *stamp = util_time_rfc3339(g_get_real_time(), false);
    for (char *p = stamp; *p; p++)
        if (*p == ':')
            *p = '-';
    char *name = g_strdup_printf("kiosk-export-%s", stamp);
    char *dest = g_build_filename(parent, name, NULL);
    char *reports = report_save_dir(cfg);
    char *audit = g_build_filename(dest, "audit.jsonl", NULL);
    char *vwhy = NULL;
    uint64_t records = 0, bad = 0;
    int rc = KERR_SYSTEM, nreports = 0, files = 0;
    gint64 bytes = 0;
    GString *sums = g_string_new(NULL);

    *dest_out = NULL;
    *summary = NULL;
    if (util_mkdir_p(dest, 0700) != 0) {
        *why = g_strdup_printf("%s: %s", dest, g_strerror(errno));
        goto out;
    }
    if ((rc = bundle_copy_path(cfg->audit_log, audit, why)) != 0)
        goto out;
    int vr = audit_verify(audit, &records, &bad, &vwhy);
    char *verify =
        vr == 0
            ? g_strdup_printf("OK: %" G_GUINT64_FORMAT " records, chain intact\n", records)
            : g_strdup_printf("BROKEN at line %" G_GUINT64_FORMAT ": %s\n", bad, vwhy ? vwhy : "?");
    char *vpath = g_build_filename(dest, "audit-verify.txt", NULL);
    g_file_set_contents(vpath, verify, -1, NULL);
    g_free(verify);
    g_free(vpath);

    GDir *d = g_dir_open(reports, 0, NULL);
    if (d) {
        char *rdest = g_build_filename(dest, "reports", NULL);
        util_mkdir_p(rdest, 0700);
        const char *n;
        while ((n = g_dir_read_name(d)) != NULL) {
            char *sp = g_build_filename(reports, n, NULL);
            char *dp = g_build_filename(rdest, n, NULL);
            char *cwhy = NULL;
            if (g_file_test(sp, G_FILE_TEST_IS_REGULAR) &&
                !g_file_test(sp, G_FILE_TEST_IS_SYMLINK)) {
                if (bundle_copy_path(sp, dp, &cwhy) == 0)
                    nreports++;
                else
                    log_warn("export: %s", cwhy);
            }
            g_free(cwhy);
            g_free(sp);
            g_free(dp);
        }
        g_dir_close(d);
        g_free(rdest);
    }

    JsonObject *st = admin_status_json(cfg, 50);
    JsonNode *sn = json_node_init_object(json_node_alloc(), st);
    gsize slen = 0;
    char *stext = util_json_text(sn, true, &slen);
    json_node_unref(sn);
    json_object_unref(st);
    char *spath = g_build_filename(dest, "status.json", NULL);
    g_file_set_contents(spath, stext, (gssize)slen, NULL);
    g_free(spath);
    g_free(stext);

    if (bundle_sums_add(dest, NULL, sums, &files, &bytes) != 0) {
        *why = g_strdup_printf("cannot checksum the export in %s", dest);
        rc = KERR_SYSTEM;
        goto out;
    }
    char *sumpath = g_build_filename(dest, "SHA256SUMS", NULL);
    g_file_set_contents(sumpath, sums->str, (gssize)sums->len, NULL);
    g_free(sumpath);
    files++;
    bytes += (gint64)sums->len;
    sync();

    JsonObject *s = json_object_new();
    json_object_set_string_member(s, "folder", name);
    json_object_set_int_member(s, "files", files);
    json_object_set_int_member(s, "bytes", bytes);
    json_object_set_int_member(s, "audit_records", (gint64)records);
    json_object_set_boolean_member(s, "audit_ok", vr == 0);
    json_object_set_int_member(s, "reports", nreports);
    *summary = s;
    *dest_out = g_strdup(dest);
    rc = 0;
out:
    g_string_free(sums, TRUE);
    g_free(vwhy);
    g_free(audit);
    g_free(stamp);
    g_free(name);
    g_free(dest);
    g_free(reports);
    return rc;
}

/* Run ARGV; 0 when it exited 0, else *why with its error output. */
static int bundle_run(const char *const *argv, char **why)
{
    char *err = NULL;
    int status = 0;
    GError *e = NULL;
    char **envp = g_environ_setenv(g_get_environ(), "MTOOLS_SKIP_CHECK", "1", TRUE);
    envp = g_environ_setenv(envp, "MTOOLSRC", "/dev/null", TRUE);
    gboolean ok =
        g_spawn_sync(NULL, (char **)argv, envp,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDIN_FROM_DEV_NULL,
                     NULL, NULL, NULL, &err, &status, &e);
    g_strfreev(envp);
    if (!ok) {
        *why = g_strdup_printf("cannot run %s: %s", argv[0], e->message);
        g_error_free(e);
        return KERR_SYSTEM;
    }
    if (!g_spawn_check_wait_status(status, NULL)) {
        *why = g_strdup_printf("%s failed: %s", argv[0], err && *err ? g_strstrip(err) : "?");
        g_free(err);
        return KERR_SYSTEM;
    }
    g_free(err);
    return 0;
}

/* Zero the first and last MiB (partition tables, old filesystem signatures). */
static int bundle_wipe(const char *device, uint64_t *size, char **why)
{
    int fd = open(device, O_RDWR | O_EXCL | O_CLOEXEC);
    if (fd < 0) {
        *why = g_strdup_printf(
            "the stick %s cannot be opened for writing: %s%s", device, g_strerror(errno),
            errno == EROFS || errno == EACCES ? " (is its write-protect switch on?)" : "");
        return KERR_SYSTEM;
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0 || !(S_ISBLK(st.st_mode) || S_ISREG(st.st_mode))) {
        *why = g_strdup_printf("%s is not a block device", device);
        close(fd);
        return KERR_INVAL;
    }
    if (S_ISBLK(st.st_mode)) {
        int ro = 0;
        ioctl(fd, BLKROSET, &ro); /* media_open may have set it for an earlier check */
        if (ioctl(fd, BLKGETSIZE64, size) != 0)
            *size = 0;
    } else {
        *size = (uint64_t)st.st_size;
    }
    static char zero[1 << 20];
    uint64_t n = MIN((uint64_t)sizeof(zero), *size);
    if (pwrite(fd, zero, n, 0) != (ssize_t)n ||
        (*size > 2 * n && pwrite(fd, zero, n, (off_t)(*size - n)) != (ssize_t)n) ||
        fsync(fd) != 0) {
        *why = g_strdup_printf("the stick %s cannot be written: %s", device, g_strerror(errno));
        rc = KERR_SYSTEM;
    }
    close(fd);
    return rc;
}

/* Read every file SHA256SUMS lists back from the new filesystem and compare. */
static int bundle_export_check(const char *device, const char *dest, const char *name, char **why)
{
    char *sumpath = g_build_filename(dest, "SHA256SUMS", NULL);
    char *text = NULL;
    int rc = 0;
    if (!g_file_get_contents(sumpath, &text, NULL, NULL)) {
        g_free(sumpath);
        *why = g_strdup("cannot read the export's SHA256SUMS");
        return KERR_SYSTEM;
    }
    char *tmp = g_build_filename(dest, ".readback", NULL);
    char **lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i] && rc == 0; i++) {
        if (strlen(lines[i]) < 67)
            continue;
        const char *rel = lines[i] + 66;
        char *remote = g_strdup_printf("::/%s/%s", name, rel);
        const char *argv[] = {"mcopy", "-n", "-i", device, remote, tmp, NULL};
        char sha[65];
        unlink(tmp);
        if ((rc = bundle_run(argv, why)) == 0 && util_sha256_file(tmp, sha) != 0)
            rc = KERR_SYSTEM;
        if (rc == 0 && strncmp(sha, lines[i], 64) != 0) {
            *why = g_strdup_printf("%s reads back differently from the stick", rel);
            rc = KERR_MEDIUM;
        }
        if (rc != 0 && !*why)
            *why = g_strdup_printf("%s cannot be read back from the stick", rel);
        g_free(remote);
    }
    unlink(tmp);
    g_strfreev(lines);
    g_free(tmp);
    g_free(text);
    g_free(sumpath);
    return rc;
}

int bundle_export_device(const struct kiosk_config *cfg, const char *device, struct audit *a,
                         JsonObject **summary, char **why)
{
    char *priv = bundle_private_dir(cfg, "export-XXXXXX", why);
    char *dest = NULL;
    JsonObject *s = NULL;
    uint64_t size = 0;
    int rc = KERR_SYSTEM;

    *summary = NULL;
    if (!priv)
        goto record;
    if ((rc = bundle_export_dir(cfg, priv, &dest, &s, why)) != 0)
        goto record;
    json_object_set_string_member(s, "device", device);
    if ((rc = bundle_wipe(device, &size, why)) != 0)
        goto record;
    /* FAT's overhead and cluster slack: a generous margin, then refuse clearly. */
    gint64 need = json_object_get_int_member(s, "bytes") +
                  json_object_get_int_member(s, "files") * 32768 + ((gint64)4 << 20);
    json_object_set_int_member(s, "stick_bytes", (gint64)size);
    if ((gint64)size < need) {
        char *n = util_format_bytes((uint64_t)need), *h = util_format_bytes(size);
        *why = g_strdup_printf("the stick is too small: the export needs about %s, the stick "
                               "holds %s",
                               n, h);
        g_free(n);
        g_free(h);
        rc = KERR_LIMIT;
        goto record;
    }
    const char *mkfs[] = {"mkfs.vfat", "-I", "-n", "KIOSKEXPORT", device, NULL};
    if ((rc = bundle_run(mkfs, why)) != 0)
        goto record;
    const char *name = json_object_get_string_member(s, "folder");
    const char *mcopy[] = {"mcopy", "-s", "-Q", "-D", "o", "-i", device, dest, "::/", NULL};
    if ((rc = bundle_run(mcopy, why)) != 0)
        goto record;
    int fd = open(device, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        ioctl(fd, BLKFLSBUF, 0); /* read back from the stick, not the page cache */
        close(fd);
    }
    rc = bundle_export_check(device, dest, name, why);
    if (rc == 0)
        json_object_set_boolean_member(s, "verified", TRUE);
record:
    if (!s)
        s = json_object_new();
    json_object_set_string_member(s, "result", rc == 0 ? "exported" : "failed");
    if (rc != 0 && *why)
        json_object_set_string_member(s, "reason", *why);
    if (a) {
        if (audit_append(a, "admin-export", s) != 0 || audit_sync(a) != 0)
            log_error("audit: cannot record the export");
    }
    if (priv)
        util_rm_rf(priv);
    *summary = s;
    g_free(priv);
    g_free(dest);
    return rc;
}

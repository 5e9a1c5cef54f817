/* bundle.c - the administrator's USB stick (bundle.h). */
#include "admin/bundle.h"
#include "report/report.h"

#include "common/json.h"
#include "common/kerr.h"
#include "common/reason.h"
#include "common/log.h"
#include "common/util.h"
#include "admin/admin.h"
#include "kiosk/audit.h"
#include "media/media.h"
#include "admin/policy-install.h"
#include "admin/sigdb.h"
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

/* ---- reasons as codes (bundle.h) ---------------------------------------------------- */

/* OUT = CODE with the values; true when its sentence is exactly WHY. */
static bool bundle_reason_try(const char *why, struct reason_data *out, const char *code,
                              const char *a, const char *b)
{
    const char *v[] = {a, b};
    reason_data_set(out, code, v, b ? 2 : a ? 1 : 0);
    char *s = reason_data_format(out, NULL, NULL, NULL);
    bool same = strcmp(s, why) == 0;
    g_free(s);
    return same;
}

void bundle_reason(const char *why, struct reason_data *out)
{
    static const char key_pre[] = "the bundle was signed by key ";
    static const char key_mid[] = ", which is not a trusted administrator key (in ";
    static const char changed[] = " differs from the signed list (changed after signing, or "
                                  "damaged)";
    static const char small_pre[] = "the stick is too small: the export needs about ";
    static const char small_mid[] = ", the stick holds ";
    size_t n;
    const struct reason_def *t = reason_table(&n);
    if (!why)
        why = "";
    for (size_t i = 0; i < n; i++) /* the fixed texts */
        if (g_str_has_prefix(t[i].code, "admin.") && reason_def_nparams(&t[i]) == 0 &&
            bundle_reason_try(why, out, t[i].code, NULL, NULL))
            return;
    const char *mid;
    if (g_str_has_prefix(why, key_pre) && (mid = strstr(why, key_mid)) != NULL &&
        g_str_has_suffix(why, ")")) {
        char *key = g_strndup(why + strlen(key_pre), (size_t)(mid - why) - strlen(key_pre));
        const char *k0 = mid + strlen(key_mid);
        char *keys = g_strndup(k0, strlen(k0) - 1);
        bool ok = bundle_reason_try(why, out, "admin.untrusted-key", key, keys);
        g_free(key);
        g_free(keys);
        if (ok)
            return;
    }
    if (g_str_has_suffix(why, changed) && strlen(why) > strlen(changed)) {
        char *file = g_strndup(why, strlen(why) - strlen(changed));
        bool ok = bundle_reason_try(why, out, "admin.file-changed", file, NULL);
        g_free(file);
        if (ok)
            return;
    }
    if (g_str_has_prefix(why, small_pre) && (mid = strstr(why, small_mid)) != NULL) {
        char *need = g_strndup(why + strlen(small_pre), (size_t)(mid - why) - strlen(small_pre));
        bool ok =
            bundle_reason_try(why, out, "admin.stick-too-small", need, mid + strlen(small_mid));
        g_free(need);
        if (ok)
            return;
    }
    int count = 0;
    char num[16];
    if (sscanf(why, "%d of the bundle's updates", &count) == 1 && count > 0) {
        snprintf(num, sizeof(num), "%d", count);
        if (bundle_reason_try(why, out, count == 1 ? "admin.item-refused" : "admin.items-refused",
                              num, NULL))
            return;
    }
    bundle_reason_try(why, out, "admin.failed", why, NULL);
}

/* O.reason = WHY's sentence (bundle_reason), with reason_code and reason_params. */
static void bundle_json_reason(JsonObject *o, const char *why)
{
    struct reason_data r;
    bundle_reason(why, &r);
    char *text = reason_data_format(&r, NULL, NULL, NULL);
    json_object_set_string_member(o, "reason", text);
    reason_json_add(o, &r);
    g_free(text);
}

#define BUNDLE_SUMS_MAX (64 * 1024)
#define BUNDLE_SIG_MAX 4096
#define BUNDLE_CHUNK (1 << 20)

#define BUNDLE_TIME_LIMIT_US ((gint64)15 * 60 * G_USEC_PER_SEC) /* reading the stick */
#define BUNDLE_ABORT_GRACE_US ((gint64)2 * G_USEC_PER_SEC)

/* While the stick is read: a removal (CANCEL) or the time limit stops the copy, and after
 * a grace period stops the medium reader so that no read stays hung (the same as a
 * visitor's session, session.c). */
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

/* Where the bundle is: a folder of one volume of the stick, as the walk listed it. */
struct bundle_src {
    struct media *m;
    GPtrArray *entries; /* struct walk_entry *: the top of every volume, one level down */
    int volume;
    char *dir; /* the bundle folder's path ("" = the volume's top) */
};

/* The regular file of the bundle folder named NAME in any letter case.  Two names that
 * differ only in case make it ambiguous: refused.  NULL with *why. */
static const struct walk_entry *bundle_lookup(const struct bundle_src *b, const char *name,
                                              char **why)
{
    const struct walk_entry *found = NULL;
    int matches = 0;
    size_t dlen = strlen(b->dir);
    for (guint i = 0; i < b->entries->len; i++) {
        const struct walk_entry *e = b->entries->pdata[i];
        const char *base = e->path;
        if (e->volume != b->volume)
            continue;
        if (dlen) {
            if (strncmp(e->path, b->dir, dlen) != 0 || e->path[dlen] != '/')
                continue;
            base = e->path + dlen + 1;
        }
        if (strchr(base, '/') || g_ascii_strcasecmp(base, name) != 0)
            continue;
        matches++;
        found = e;
    }
    if (matches != 1) {
        *why = matches ? g_strdup_printf("%s is there %d times (names differing only in case)",
                                         name, matches)
                       : g_strdup_printf("%s is missing", name);
        return NULL;
    }
    if (!found->candidate) {
        *why = g_strdup_printf("%s is not a regular file", name);
        return NULL;
    }
    return found;
}

struct bundle_sink {
    int out;
    GChecksum *ck;
    gint64 total, max;
    volatile gint *cancel;
    int failed; /* 1 cancelled, 2 grew past max, 3 write error */
};

static int bundle_sink(const void *buf, size_t len, void *data)
{
    struct bundle_sink *k = data;
    if (k->cancel && g_atomic_int_get(k->cancel)) {
        k->failed = 1;
        return KERR_CANCELLED;
    }
    k->total += (gint64)len;
    if (k->total > k->max) {
        k->failed = 2;
        return KERR_LIMIT;
    }
    g_checksum_update(k->ck, buf, len);
    if (util_write_all(k->out, buf, len) != 0) {
        k->failed = 3;
        return KERR_SYSTEM;
    }
    return 0;
}

/* Read the bundle's file NAME once into DEST (new, 0600) while hashing: at most MAX bytes. */
static int bundle_copy(const struct bundle_src *b, const char *name, const char *dest, gint64 max,
                       volatile gint *cancel, char sha256[65], gint64 *size, char **why)
{
    const struct walk_entry *e = bundle_lookup(b, name, why);
    if (!e)
        return KERR_NOT_FOUND;
    if ((gint64)e->size > max) {
        *why = g_strdup_printf("%s is too large (%ju bytes, at most %" G_GINT64_FORMAT ")", name,
                               (uintmax_t)e->size, max);
        return KERR_LIMIT;
    }
    struct bundle_sink k = {.max = max, .cancel = cancel};
    k.out = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (k.out < 0) {
        *why = g_strdup_printf("%s: %s", dest, g_strerror(errno));
        return KERR_SYSTEM;
    }
    k.ck = g_checksum_new(G_CHECKSUM_SHA256);
    char *rwhy = NULL;
    int rc = media_read_file(b->m, e, bundle_sink, &k, &rwhy);
    if (rc != 0) {
        switch (k.failed) {
        case 1:
            *why = g_strdup("stopped: the stick was removed or the update was cancelled");
            break;
        case 2:
            *why = g_strdup_printf("%s grew while being read", name);
            break;
        case 3:
            *why = g_strdup_printf("%s: write: %s", dest, g_strerror(errno));
            break;
        default:
            *why = g_strdup_printf("%s %s", name, rwhy ? rwhy : "could not be read");
        }
        rc = k.failed == 1 ? KERR_CANCELLED : k.failed == 3 ? KERR_SYSTEM : KERR_MEDIUM;
    }
    if (rc == 0 && fsync(k.out) != 0) {
        *why = g_strdup_printf("%s: fsync: %s", dest, g_strerror(errno));
        rc = KERR_SYSTEM;
    }
    close(k.out);
    if (rc == 0) {
        g_strlcpy(sha256, g_checksum_get_string(k.ck), 65);
        *size = k.total;
    }
    g_checksum_free(k.ck);
    g_free(rwhy);
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

/* The bundle: the top of a volume that holds SHA256SUMS, or its kiosk-update folder
 * (any letter case), on the first volume that has one.  False when there is none. */
static bool bundle_find(struct bundle_src *b)
{
    for (size_t v = 0; v < b->m->n_volumes; v++) {
        char *why = NULL;
        b->volume = (int)v + 1;
        g_free(b->dir);
        b->dir = g_strdup("");
        if (bundle_lookup(b, BUNDLE_SUMS, &why)) {
            g_free(why);
            return true;
        }
        g_clear_pointer(&why, g_free);
        /* Folders are not entries of their own: the folder of each file one level down. */
        for (guint i = 0; i < b->entries->len; i++) {
            const struct walk_entry *e = b->entries->pdata[i];
            const char *slash = strchr(e->path, '/');
            if (e->volume != b->volume || !slash || strchr(slash + 1, '/') ||
                (size_t)(slash - e->path) != strlen(BUNDLE_DIR_NAME) ||
                g_ascii_strncasecmp(e->path, BUNDLE_DIR_NAME, strlen(BUNDLE_DIR_NAME)) != 0 ||
                (b->dir[0] && !strncmp(b->dir, e->path, (size_t)(slash - e->path))))
                continue;
            g_free(b->dir);
            b->dir = g_strndup(e->path, (size_t)(slash - e->path));
            if (bundle_lookup(b, BUNDLE_SUMS, &why)) {
                g_free(why);
                return true;
            }
            g_clear_pointer(&why, g_free);
        }
    }
    return false;
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

/* Step 1 of bundle_read: SHA256SUMS and its signature copied into SUMS and SIG (read
 * once; nothing else is touched before it verifies) and checked against the trusted
 * administrator keys. */
static int bundle_read_signed(const struct bundle_src *b, const struct kiosk_config *cfg,
                              const char *sums, const char *sig, volatile gint *cancel,
                              JsonObject *binfo, char **why)
{
    char sums_sha[65], sig_sha[65], key_id[17] = "";
    gint64 size = 0;
    char *vwhy = NULL, *tc = NULL;
    GPtrArray *keys = NULL;
    const struct sign_pubkey *key = NULL;
    int rc;

    /* 1. The signed list, read once; nothing else is touched before it verifies. */
    rc = bundle_copy(b, BUNDLE_SUMS, sums, BUNDLE_SUMS_MAX, cancel, sums_sha, &size, why);
    if (rc != 0)
        goto out;
    json_object_set_string_member(binfo, "sums_sha256", sums_sha);
    if (!bundle_lookup(b, BUNDLE_SUMS ".minisig", &vwhy)) {
        *why = g_strdup("the bundle is not signed: " BUNDLE_SUMS ".minisig is missing (sign "
                        "it with 'minisign -Sm " BUNDLE_SUMS "')");
        rc = KERR_INVAL;
        goto out;
    }
    rc = bundle_copy(b, BUNDLE_SUMS ".minisig", sig, BUNDLE_SIG_MAX, cancel, sig_sha, &size, why);
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
    rc = 0;
out:
    if (keys)
        g_ptr_array_free(keys, TRUE);
    g_free(vwhy);
    g_free(tc);
    return rc;
}

/* Step 2 of bundle_read: every file the verified list SUMS names, once, into PRIV
 * (ENTRIES), compared with the list. */
static int bundle_read_listed(const struct bundle_src *b, const char *priv, const char *sums,
                              volatile gint *cancel, GPtrArray *entries, JsonObject *binfo,
                              char **why)
{
    gint64 size = 0, total = 0;
    char *text = NULL;
    gsize len = 0;
    int rc;

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
        e->copy = g_build_filename(priv, e->name, NULL);
        rc = bundle_copy(b, e->name, e->copy, MIN(BUNDLE_MAX_FILE, BUNDLE_MAX_TOTAL - total),
                         cancel, sha, &size, why);
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
    g_free(text);
    return rc;
}

/* Check SHA256SUMS + its signature in BFD, then copy every listed file into PRIV.  On
 * success ENTRIES holds the copies. */
static int bundle_read(const struct bundle_src *b, const struct kiosk_config *cfg, const char *priv,
                       volatile gint *cancel, GPtrArray *entries, JsonObject *binfo, char **why)
{
    char *sums = g_build_filename(priv, BUNDLE_SUMS, NULL);
    char *sig = g_strconcat(sums, ".minisig", NULL);
    int rc = bundle_read_signed(b, cfg, sums, sig, cancel, binfo, why);
    if (rc == 0)
        rc = bundle_read_listed(b, priv, sums, cancel, entries, binfo, why);
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
            int r = policy_install(cfg->policy, cfg->admin_keys, cfg->admin_state, e->copy, sigpath,
                                   a, &res, &why);
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

/* The policy a stick is opened with when no valid one is installed (the very thing a
 * bundle may fix): the defaults, the medium reader, every filesystem it reads.  NULL with
 * *why if it does not load. */
static struct policy *bundle_builtin_policy(char **why)
{
    static const char builtin[] = "[policy]\nname=built-in (admin stick)\nversion=0\n";
    struct policy *pol = NULL;
    if (policy_load_data(builtin, sizeof(builtin) - 1, "(built-in)", &pol, NULL) != 0) {
        *why = g_strdup("internal error: the built-in policy does not load");
        return NULL;
    }
    return pol;
}

/* List the top of each readable volume of M and one level below, nothing deeper, into
 * ENTRIES, within W's deadline. */
static void bundle_walk_top(struct media *m, const struct policy *pol, struct bundle_watch *w,
                            GPtrArray *entries)
{
    struct walk_limits lim = {
        .max_files = 10000,
        .max_bytes = UINT64_MAX / 2,
        .max_file_size = UINT64_MAX / 2,
        .max_depth = 1,
        .deadline_us = w->deadline,
        .stop = &w->stop,
    };
    struct walk_stats stats = {0};
    for (size_t i = 0; i < m->n_volumes; i++) {
        char *wwhy = NULL;
        if (m->volumes[i].readable &&
            media_walk(m, &m->volumes[i], pol, &lim, &stats, entries, &wwhy) != 0)
            log_warn("administrator's stick, volume %zu: %s", i + 1, wwhy ? wwhy : "?");
        g_free(wwhy);
    }
}

/* What an update did (BINFO and ITEMS are taken), for the screen and, the same, the
 * "admin-update" audit record; WHY when refused (RC). */
static JsonObject *bundle_record(struct audit *a, JsonObject *binfo, JsonArray *items,
                                 int installed, int rc, const char *why)
{
    JsonObject *res = json_object_new();
    json_object_set_object_member(res, "bundle", binfo);
    json_object_set_array_member(res, "items", items);
    json_object_set_int_member(res, "installed", installed);
    json_object_set_string_member(res, "result", rc == 0 ? "installed" : "refused");
    if (why)
        bundle_json_reason(res, why);
    /* The record carries everything the screen gets. */
    if (a && (audit_append(a, "admin-update", res) != 0 || audit_sync(a) != 0))
        log_error("audit: cannot record the admin update");
    return res;
}

/* The watch W (its thread WT) told to end, and waited for. */
static void bundle_watch_end(struct bundle_watch *w, GThread *wt)
{
    g_atomic_int_set(&w->done, 1);
    g_thread_join(wt);
}

/* bundle_install with its verdict: KERR_INVAL and why when an update was refused or the
 * bundle held nothing to install. */
static int bundle_install_all(const struct kiosk_config *cfg, const struct policy *pol,
                              struct audit *a, GPtrArray *entries, JsonArray *items, int *installed,
                              char **why)
{
    int failures = bundle_install(cfg, pol, a, entries, items, installed);
    if (failures) {
        *why = g_strdup_printf("%d of the bundle's updates %s refused", failures,
                               failures == 1 ? "was" : "were");
        return KERR_INVAL;
    }
    if (!*installed) {
        *why = g_strdup("the bundle holds nothing to install (no policy, no signatures)");
        return KERR_INVAL;
    }
    return 0;
}

int bundle_apply(const char *source, const struct kiosk_config *cfg, const struct policy *pol,
                 struct audit *a, volatile gint *cancel, JsonObject **out, char **why)
{
    struct media *m = NULL;
    GPtrArray *entries = g_ptr_array_new_with_free_func(bundle_entry_free);
    JsonObject *binfo = json_object_new();
    JsonArray *items = json_array_new();
    char *priv = NULL, *tag = NULL;
    struct bundle_src src = {.entries = g_ptr_array_new_with_free_func(walk_entry_free)};
    int installed = 0, rc;
    struct bundle_watch w = {0};
    GThread *wt = NULL;

    *out = NULL;
    /* Without a valid installed policy (the very thing a bundle may fix), the stick is
     * opened with the defaults: the medium reader, every filesystem it reads. */
    struct policy *fallback = NULL;
    if (!pol && !(pol = fallback = bundle_builtin_policy(why))) {
        g_ptr_array_free(entries, TRUE);
        g_ptr_array_free(src.entries, TRUE);
        json_object_unref(binfo);
        json_array_unref(items);
        return KERR_SYSTEM;
    }
    json_object_set_string_member(binfo, "source", source);
    tag = g_strdup_printf("admin-%08x", g_random_int());
    /* The reader's test hooks in testing mode, as for a visitor's stick. */
    struct media_conf mc = {.run_dir = cfg->run_dir,
                            .reader_user = cfg->media_reader_user,
                            .test_hooks = cfg->accept_loop};
    rc = media_open(source, pol, &mc, tag, cancel, &m, why);
    if (rc != 0)
        goto record;
    /* From the first look at the stick's folders to the last byte read. */
    w.m = m;
    w.cancel = cancel;
    w.deadline = g_get_monotonic_time() + BUNDLE_TIME_LIMIT_US;
    wt = g_thread_new("kiosk-bundle-watch", bundle_watch_main, &w);
    src.m = m;
    bundle_walk_top(m, pol, &w, src.entries);
    if (!bundle_find(&src)) {
        *why = g_strdup("no update bundle on this medium: put the signed files in a folder "
                        "named " BUNDLE_DIR_NAME " at the top of the stick");
        rc = KERR_NOT_FOUND;
        goto record;
    }
    if (!(priv = bundle_private_dir(cfg, "bundle-XXXXXX", why))) {
        rc = KERR_SYSTEM;
        goto record;
    }
    rc = bundle_read(&src, cfg, priv, &w.stop, entries, binfo, why);
    bundle_watch_end(&w, wt);
    wt = NULL;
    if (rc != 0 && g_atomic_int_get(&w.stop) && !(cancel && g_atomic_int_get(cancel))) {
        g_free(*why);
        *why = g_strdup("reading the stick took longer than 15 minutes; nothing was installed");
        rc = KERR_TIMEOUT;
    }
    /* Done with the stick: everything from here works on the verified copies. */
    media_close(m);
    m = NULL;
    if (rc != 0)
        goto record;
    rc = bundle_install_all(cfg, pol, a, entries, items, &installed, why);
record:
    if (wt)
        bundle_watch_end(&w, wt);
    media_close(m);
    if (priv)
        util_rm_rf(priv);
    *out = bundle_record(a, binfo, items, installed, rc, rc != 0 ? *why : NULL);
    policy_free(fallback);
    g_ptr_array_free(entries, TRUE);
    g_ptr_array_free(src.entries, TRUE);
    g_free(src.dir);
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

/* Verify the exported copy COPY of the audit log as `kiosk audit verify` does on the
 * kiosk: the chain, the head saved at the last session end, the signed checkpoints with
 * the kiosk's public key, which is copied beside it (kiosk-signing.pub) so that the
 * copy can be checked offline.  *text gets audit-verify.txt; returns audit_verify_log's
 * result. */
static int bundle_verify_audit(const struct kiosk_config *cfg, const char *copy, const char *dest,
                               uint64_t *records, char **text)
{
    struct audit_anchor an = {.what = "saved head"};
    struct sign_pubkey key;
    struct audit_verify_opts o = {0};
    struct audit_verify_result res;
    char *why = NULL;
    GString *t = g_string_new(NULL);
    if (admin_state_audit_head(cfg->admin_state, &an.seq, an.hash, &why) == 0 && an.seq) {
        o.anchors = &an;
        o.n_anchors = 1;
    }
    g_clear_pointer(&why, g_free);
    if (cfg->public_key && sign_key_load_public(cfg->public_key, &key, &why) == 0) {
        o.key = &key; /* not required: checkpoints of an earlier key stay unchecked */
        char *kp = g_build_filename(dest, "kiosk-signing.pub", NULL);
        if (bundle_copy_path(cfg->public_key, kp, &why) != 0)
            log_warn("export: %s", why);
        g_free(kp);
    }
    g_clear_pointer(&why, g_free);
    int vr = audit_verify_log(copy, &o, &res);
    if (vr == 0)
        g_string_append_printf(t,
                               "OK: %" G_GUINT64_FORMAT " records, chain intact; head: record "
                               "%" G_GUINT64_FORMAT " sha256 %s\n",
                               res.records, res.head.seq, res.head.hash);
    else
        g_string_append_printf(t, "BROKEN at line %" G_GUINT64_FORMAT ": %s\n", res.bad_line,
                               res.why ? res.why : "?");
    for (guint i = 0; res.notes && i < res.notes->len; i++)
        g_string_append_printf(t, "  %s\n", (const char *)g_ptr_array_index(res.notes, i));
    g_string_append_printf(
        t,
        "  %" G_GUINT64_FORMAT " signed checkpoints, %" G_GUINT64_FORMAT
        " verified with the kiosk's public key; the last at record %" G_GUINT64_FORMAT "\n",
        res.checkpoints, res.checkpoints_verified, res.last_checkpoint);
    if (o.key)
        g_string_append(t, "Check this copy elsewhere with the kiosk's public key (compare its "
                           "key id with the one you keep):\n  kiosk audit verify audit.jsonl "
                           "--pubkey kiosk-signing.pub\n");
    *records = res.records;
    *text = g_string_free(t, FALSE);
    audit_verify_result_clear(&res);
    return vr;
}

/* The saved reports (regular files of REPORTS, links not followed) copied into
 * DEST/reports; how many were copied (a failure is logged and skipped). */
static int bundle_export_reports(const char *reports, const char *dest)
{
    int nreports = 0;
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
    return nreports;
}

/* The admin page's status (the last 50 records) into DEST/status.json. */
static void bundle_export_status(const struct kiosk_config *cfg, const char *dest)
{
    JsonObject *st = admin_status_json(cfg, 50);
    JsonNode *sn = json_node_init_object(json_node_alloc(), st);
    gsize slen = 0;
    char *stext = json_text(sn, true, &slen);
    json_node_unref(sn);
    json_object_unref(st);
    char *spath = g_build_filename(dest, "status.json", NULL);
    g_file_set_contents(spath, stext, (gssize)slen, NULL);
    g_free(spath);
    g_free(stext);
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
    uint64_t records = 0;
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
    char *verify = NULL;
    int vr = bundle_verify_audit(cfg, audit, dest, &records, &verify);
    char *vpath = g_build_filename(dest, "audit-verify.txt", NULL);
    g_file_set_contents(vpath, verify, -1, NULL);
    g_free(verify);
    g_free(vpath);

    nreports = bundle_export_reports(reports, dest);
    bundle_export_status(cfg, dest);

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
        bundle_json_reason(s, *why);
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

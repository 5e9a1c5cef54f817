/* cmd-verify.c - `kiosk verify-batch DIR`: the TOS side's check of a delivery folder.
 *
 * A delivery is good when MANIFEST.json.sig is a valid signature of MANIFEST.json by the
 * kiosk's key, every delivered file the manifest lists (staged_path not null) is there as
 * a regular file with the listed size and SHA-256, and nothing else is there (besides
 * MANIFEST.json and its signature).  Every problem is named; exit 0 only if none. */
#include "common/kerr.h"
#include "common/util.h"
#include "kiosk/cmd.h"
#include "kiosk/config.h"
#include "kiosk/manifest.h"
#include "kiosk/sign.h"

#include <errno.h>
#include <getopt.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char cmd_verify_usage[] =
    "usage: kiosk verify-batch DIR [--pubkey FILE] [--config FILE]\n"
    "Checks a delivery folder: the signature of MANIFEST.json (--pubkey, default [paths]\n"
    "public-key, /etc/kiosk/signing.pub), every listed file present with its size and\n"
    "SHA-256, nothing unlisted.  Exit status: 0 all good, 1 problems (each is printed),\n"
    "2 usage or unreadable key.\n";

struct cmd_verify {
    const char *dir;
    GHashTable *listed; /* staged_path -> JsonObject (file entry) */
    GHashTable *dirs;   /* folders that lead to listed files */
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

/* A staged path must be relative, '/'-separated, without empty, "." or ".." parts. */
static bool cmd_verify_path_ok(const char *p)
{
    if (!p || !*p || p[0] == '/')
        return false;
    char **parts = g_strsplit(p, "/", -1);
    bool ok = true;
    for (char **q = parts; *q; q++)
        if (!**q || !strcmp(*q, ".") || !strcmp(*q, ".."))
            ok = false;
    g_strfreev(parts);
    return ok && strcmp(p, MANIFEST_NAME) && strcmp(p, MANIFEST_NAME SIGN_SUFFIX);
}

static void cmd_verify_listed(struct cmd_verify *v, JsonArray *files)
{
    for (guint i = 0; files && i < json_array_get_length(files); i++) {
        JsonNode *n = json_array_get_element(files, i);
        if (!JSON_NODE_HOLDS_OBJECT(n)) {
            cmd_verify_problem(v, "MANIFEST.json: files[%u] is not an object", i);
            continue;
        }
        JsonObject *f = json_node_get_object(n);
        JsonNode *sp = json_object_get_member(f, "staged_path");
        if (!sp || JSON_NODE_HOLDS_NULL(sp))
            continue; /* held back: must not be here (the unlisted check catches it) */
        const char *rel = json_node_get_string(sp);
        if (!cmd_verify_path_ok(rel)) {
            cmd_verify_problem(v, "MANIFEST.json: files[%u] has an unsafe staged_path '%s'", i,
                               rel ? rel : "");
            continue;
        }
        if (g_hash_table_contains(v->listed, rel)) {
            cmd_verify_problem(v, "MANIFEST.json lists %s twice", rel);
            continue;
        }
        g_hash_table_insert(v->listed, g_strdup(rel), f);
        char *d = g_path_get_dirname(rel);
        while (strcmp(d, ".") != 0 && !g_hash_table_contains(v->dirs, d)) {
            char *up = g_path_get_dirname(d);
            g_hash_table_add(v->dirs, d);
            d = up;
        }
        g_free(d);
    }
}

static void cmd_verify_file(struct cmd_verify *v, const char *rel, JsonObject *f)
{
    char *path = g_build_filename(v->dir, rel, NULL);
    struct stat st;
    const char *want_sha = json_object_get_string_member_with_default(f, "sha256", "");
    gint64 want_size = json_object_get_int_member_with_default(f, "size", -1);
    if (lstat(path, &st) != 0) {
        cmd_verify_problem(v, "missing: %s (listed in the manifest, not in the folder)", rel);
    } else if (!S_ISREG(st.st_mode)) {
        cmd_verify_problem(v, "not a regular file: %s", rel);
    } else if ((gint64)st.st_size != want_size) {
        cmd_verify_problem(v, "size differs: %s (manifest %" G_GINT64_FORMAT " bytes, folder %lld)",
                           rel, want_size, (long long)st.st_size);
    } else {
        char sha[65];
        if (util_sha256_file(path, sha) != 0)
            cmd_verify_problem(v, "cannot read %s: %s", rel, g_strerror(errno));
        else if (g_ascii_strcasecmp(sha, want_sha) != 0)
            cmd_verify_problem(v, "content changed: %s (SHA-256 %s, manifest says %s)", rel, sha,
                               want_sha);
    }
    g_free(path);
}

/* Everything in the folder that the manifest does not account for. */
static void cmd_verify_unlisted(struct cmd_verify *v, const char *rel_dir)
{
    char *abs = rel_dir ? g_build_filename(v->dir, rel_dir, NULL) : g_strdup(v->dir);
    GError *err = NULL;
    GDir *d = g_dir_open(abs, 0, &err);
    if (!d) {
        cmd_verify_problem(v, "cannot list %s: %s", abs, err->message);
        g_error_free(err);
        g_free(abs);
        return;
    }
    const char *name;
    while ((name = g_dir_read_name(d))) {
        char *rel = rel_dir ? g_strdup_printf("%s/%s", rel_dir, name) : g_strdup(name);
        char *path = g_build_filename(abs, name, NULL);
        struct stat st;
        if (!rel_dir && (!strcmp(name, MANIFEST_NAME) || !strcmp(name, MANIFEST_NAME SIGN_SUFFIX))) {
            /* expected */
        } else if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
                   g_hash_table_contains(v->dirs, rel)) {
            cmd_verify_unlisted(v, rel);
        } else if (!g_hash_table_contains(v->listed, rel)) {
            cmd_verify_problem(v, "unlisted %s: %s (not in the manifest; not from the kiosk)",
                               S_ISDIR(st.st_mode) ? "folder" : "file", rel);
        }
        g_free(rel);
        g_free(path);
    }
    g_dir_close(d);
    g_free(abs);
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
    struct cmd_verify v = {
        .dir = argv[optind],
        .listed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
        .dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
    };
    struct kiosk_config *cfg = NULL;
    struct sign_pubkey pk;
    JsonParser *parser = json_parser_new();
    char *why = NULL, *tc = NULL, id[17];
    char *manifest = g_build_filename(v.dir, MANIFEST_NAME, NULL);
    char *sig = g_strconcat(manifest, SIGN_SUFFIX, NULL);

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
    if (!g_file_test(v.dir, G_FILE_TEST_IS_DIR)) {
        fprintf(stderr, "kiosk: %s is not a folder\n", v.dir);
        goto out;
    }
    /* 1. The signature. */
    if (!g_file_test(manifest, G_FILE_TEST_EXISTS)) {
        cmd_verify_problem(&v, "missing: %s (not a kiosk delivery, or incomplete)", MANIFEST_NAME);
        goto done;
    }
    if (!g_file_test(sig, G_FILE_TEST_EXISTS)) {
        cmd_verify_problem(&v, "missing: %s (the delivery is not signed)",
                           MANIFEST_NAME SIGN_SUFFIX);
    } else if (sign_verify_file(&pk, manifest, sig, &tc, &why) != 0) {
        cmd_verify_problem(&v, "signature: %s", why);
        g_clear_pointer(&why, g_free);
    }
    /* 2. The manifest (checked even when the signature failed, to name more problems). */
    GError *err = NULL;
    if (!json_parser_load_from_file(parser, manifest, &err) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        cmd_verify_problem(&v, "MANIFEST.json is not valid JSON: %s",
                           err ? err->message : "not an object");
        g_clear_error(&err);
        goto done;
    }
    JsonObject *m = json_node_get_object(json_parser_get_root(parser));
    const char *session = json_object_get_string_member_with_default(m, "session", "?");
    const char *status = json_object_get_string_member_with_default(m, "status", "?");
    if (strcmp(status, "delivered") != 0 && strcmp(status, "partial") != 0)
        cmd_verify_problem(&v, "MANIFEST.json: status is '%s', not a delivery", status);
    JsonNode *fn = json_object_get_member(m, "files");
    if (!fn || !JSON_NODE_HOLDS_ARRAY(fn))
        cmd_verify_problem(&v, "MANIFEST.json has no file list");
    else
        cmd_verify_listed(&v, json_node_get_array(fn));
    /* 3. Every listed file, 4. nothing else. */
    GList *keys = g_hash_table_get_keys(v.listed);
    keys = g_list_sort(keys, (GCompareFunc)strcmp);
    for (GList *l = keys; l; l = l->next)
        cmd_verify_file(&v, l->data, g_hash_table_lookup(v.listed, l->data));
    g_list_free(keys);
    cmd_verify_unlisted(&v, NULL);
    char *base = g_path_get_basename(v.dir);
    if (strcmp(base, session) != 0)
        printf("note: the folder is named %s, the manifest says session %s\n", base, session);
    g_free(base);
done:
    if (v.problems == 0) {
        printf("OK: %s: signed by key %s (%s); %u delivered files present and unchanged; "
               "nothing unlisted\n",
               v.dir, id, tc ? tc : "", g_hash_table_size(v.listed));
        rc = 0;
    } else {
        printf("FAILED: %s: %u problem%s; do not use this delivery\n", v.dir, v.problems,
               v.problems == 1 ? "" : "s");
        rc = 1;
    }
out:
    g_object_unref(parser);
    g_hash_table_destroy(v.listed);
    g_hash_table_destroy(v.dirs);
    config_free(cfg);
    g_free(manifest);
    g_free(sig);
    g_free(tc);
    g_free(why);
    return rc;
}

#include "kiosk/config.h"
#include "common/kerr.h"
#include "kiosk/config-check.h"
#include "common/util.h"
#include "media/media.h"
#include "reader/reader.h"
#include "scanner/verdict-cache.h"

#include <errno.h>
#include <glib.h>
#include <limits.h>
#include <string.h>

static const struct {
    const char *group, *key;
    size_t offset;
    const char *def;
} config_strings[] = {
    {"paths", "policy", G_STRUCT_OFFSET(struct kiosk_config, policy), "/etc/kiosk/policy.conf"},
    {"paths", "staging", G_STRUCT_OFFSET(struct kiosk_config, staging), "/srv/kiosk/staging"},
    {"paths", "signatures", G_STRUCT_OFFSET(struct kiosk_config, signatures), "/var/lib/clamav"},
    {"paths", "audit-log", G_STRUCT_OFFSET(struct kiosk_config, audit_log),
     "/var/log/kiosk/audit.jsonl"},
    {"paths", "run-dir", G_STRUCT_OFFSET(struct kiosk_config, run_dir), "/run/kiosk"},
    {"paths", "socket", G_STRUCT_OFFSET(struct kiosk_config, socket), "/run/kiosk/kiosk.sock"},
    {"kiosk", "name", G_STRUCT_OFFSET(struct kiosk_config, kiosk_name), "Quarantine kiosk"},
    {"kiosk", "site", G_STRUCT_OFFSET(struct kiosk_config, site), ""},
    {"kiosk", "language", G_STRUCT_OFFSET(struct kiosk_config, language), "ja"},
    {"paths", "signing-key", G_STRUCT_OFFSET(struct kiosk_config, signing_key),
     CONFIG_DEFAULT_SIGNING_KEY},
    {"paths", "public-key", G_STRUCT_OFFSET(struct kiosk_config, public_key),
     "/etc/kiosk/signing.pub"},
    {"report", "printer", G_STRUCT_OFFSET(struct kiosk_config, printer), ""},
    {"report", "language", G_STRUCT_OFFSET(struct kiosk_config, report_language), "both"},
    {"report", "print-format", G_STRUCT_OFFSET(struct kiosk_config, report_format), "receipt"},
    {"report", "folder", G_STRUCT_OFFSET(struct kiosk_config, report_dir), ""},
    {"paths", "socket-group", G_STRUCT_OFFSET(struct kiosk_config, socket_group), "kiosk"},
    {"access", "screen-users", G_STRUCT_OFFSET(struct kiosk_config, screen_users), ""},
    {"paths", "admin-keys", G_STRUCT_OFFSET(struct kiosk_config, admin_keys),
     "/etc/kiosk/admin-keys"},
    {"paths", "admin-state", G_STRUCT_OFFSET(struct kiosk_config, admin_state),
     "/var/lib/kiosk/admin.state"},
    {"media", "reader-user", G_STRUCT_OFFSET(struct kiosk_config, media_reader_user),
     READER_USER_DEFAULT},
    {"paths", "work-dir", G_STRUCT_OFFSET(struct kiosk_config, work_dir), CONFIG_DEFAULT_WORK_DIR},
    {"staging", "target", G_STRUCT_OFFSET(struct kiosk_config, target), ""},
    {"staging", "group", G_STRUCT_OFFSET(struct kiosk_config, staging_group),
     CONFIG_DEFAULT_STAGING_GROUP},
    {"staging", "credentials", G_STRUCT_OFFSET(struct kiosk_config, credentials), ""},
};

/* A user name as useradd accepts it (checked for existence only when a reader starts). */
static bool config_user_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 32 || s[0] == '-')
        return false;
    for (const char *p = s; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-' && *p != '.')
            return false;
    return true;
}

/* A ';'-separated list with blanks trimmed and empty items dropped, or NULL. */
static char **config_list(GKeyFile *kf, const char *group, const char *key)
{
    char *v = g_key_file_get_string(kf, group, key, NULL);
    if (!v)
        return NULL;
    char **items = g_strsplit(v, ";", -1);
    GPtrArray *out = g_ptr_array_new();
    for (char **i = items; *i; i++) {
        g_strstrip(*i);
        if (**i)
            g_ptr_array_add(out, g_strdup(*i));
    }
    g_ptr_array_add(out, NULL);
    g_strfreev(items);
    g_free(v);
    return (char **)g_ptr_array_free(out, FALSE);
}

void config_free(struct kiosk_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < G_N_ELEMENTS(config_strings); i++)
        g_free(G_STRUCT_MEMBER(char *, c, config_strings[i].offset));
    g_free(c->path);
    g_free(c->loop_backing_dir);
    g_strfreev(c->device_allow);
    g_strfreev(c->device_deny);
    g_free(c);
}

void config_override(char **field, const char *value)
{
    if (!value)
        return;
    g_free(*field);
    *field = g_strdup(value);
}

void config_override_staging_dir(struct kiosk_config *c, const char *dir)
{
    if (!dir)
        return;
    config_override(&c->staging, dir);
    g_free(c->target);
    c->target = g_strconcat("dir:", dir, NULL);
}

char *config_cache_path(const struct kiosk_config *c)
{
    return g_build_filename(c->work_dir, VERDICT_CACHE_FILE, NULL);
}

/* [scan] cache = on|off, cache-max-entries = N.  0, or KERR_INVAL with *why. */
static int config_load_cache(GKeyFile *kf, const char *file, struct kiosk_config *c, char **why)
{
    char *v = g_key_file_get_string(kf, "scan", "cache", NULL);
    int rc = 0;
    if (v) {
        g_strstrip(v);
        if (!strcmp(v, "on") || !strcmp(v, "off"))
            c->cache = !strcmp(v, "on");
        else
            rc = KERR_INVAL;
        g_free(v);
        if (rc) {
            *why = g_strdup_printf("%s: [scan] cache must be on or off", file);
            return rc;
        }
    }
    if (g_key_file_has_key(kf, "scan", "cache-max-entries", NULL)) {
        GError *err = NULL;
        c->cache_max_entries = g_key_file_get_integer(kf, "scan", "cache-max-entries", &err);
        if (err || c->cache_max_entries < 1 || c->cache_max_entries > VERDICT_CACHE_MAX_MAX) {
            *why = g_strdup_printf("%s: [scan] cache-max-entries must be 1 to %d", file,
                                   VERDICT_CACHE_MAX_MAX);
            g_clear_error(&err);
            return KERR_INVAL;
        }
    }
    return 0;
}

/* The optional integer [GROUP] KEY into *OUT (left as it is when absent), LO to HI;
 * otherwise *why is "FILE: [GROUP] KEY " and MUST.  0 or KERR_INVAL. */
static int config_int(GKeyFile *kf, const char *file, const char *group, const char *key, int lo,
                      int hi, int *out, const char *must, char **why)
{
    if (!g_key_file_has_key(kf, group, key, NULL))
        return 0;
    GError *err = NULL;
    *out = g_key_file_get_integer(kf, group, key, &err);
    bool ok = !err && *out >= lo && *out <= hi;
    g_clear_error(&err);
    if (!ok)
        *why = g_strdup_printf("%s: [%s] %s %s", file, group, key, must);
    return ok ? 0 : KERR_INVAL;
}

/* The optional size [GROUP] KEY ("512", "64K", "20G") into *OUT (left as it is when
 * absent); otherwise *why says so, with EXAMPLE.  0 or KERR_INVAL. */
static int config_size(GKeyFile *kf, const char *file, const char *group, const char *key,
                       uint64_t *out, const char *example, char **why)
{
    char *v = g_key_file_get_string(kf, group, key, NULL);
    bool ok = !v || util_parse_size(g_strstrip(v), out);
    g_free(v);
    if (!ok)
        *why = g_strdup_printf("%s: [%s] %s: not a size (e.g. %s)", file, group, key, example);
    return ok ? 0 : KERR_INVAL;
}

/* Read FILE into KF (*HAVE) and check it (config-check.h).  A missing default file is no
 * error: the defaults apply.  0 or KERR_INVAL. */
static int config_read_file(GKeyFile *kf, const char *file, bool given, bool *have, char **why)
{
    GError *err = NULL;
    *have = g_key_file_load_from_file(kf, file, G_KEY_FILE_NONE, &err);
    if (!*have) {
        bool missing = g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
        if (given || !missing)
            *why = g_strdup_printf("%s: %s", file, err->message);
        g_clear_error(&err);
        return given || !missing ? KERR_INVAL : 0;
    }
    /* Unknown keys and bad values are refused, with their line. */
    GPtrArray *probs = g_ptr_array_new_with_free_func(config_problem_free);
    int rc = 0;
    unsigned errors = config_check_file(file, probs);
    if (errors > 0) {
        const struct config_problem *p0 = NULL;
        for (guint i = 0; i < probs->len && !p0; i++)
            if (!((const struct config_problem *)g_ptr_array_index(probs, i))->warning)
                p0 = g_ptr_array_index(probs, i);
        *why = g_strdup_printf("%s:%d: %s%s", file, p0->line, p0->message,
                               errors > 1 ? " (and more: kiosk config check FILE lists "
                                            "them all)"
                                          : "");
        rc = KERR_INVAL;
    }
    g_ptr_array_free(probs, TRUE);
    return rc;
}

/* [scan] workers, [kiosk], [report], [devices], [scan] max-signature-age-days, [admin]. */
static int config_read_service(GKeyFile *kf, const char *file, struct kiosk_config *c, char **why)
{
    GError *err = NULL;
    c->workers = g_key_file_get_integer(kf, "scan", "workers", &err);
    if (err && !g_error_matches(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) &&
        !g_error_matches(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND)) {
        *why = g_strdup_printf("%s: [scan] workers: %s", file, err->message);
        g_clear_error(&err);
        return KERR_INVAL;
    }
    g_clear_error(&err);
    c->accept_loop = g_key_file_get_boolean(kf, "kiosk", "accept-loop-devices", NULL);
    c->auto_print = g_key_file_get_boolean(kf, "report", "auto-print", NULL);
    c->loop_backing_dir = g_key_file_get_string(kf, "kiosk", "loop-backing-dir", NULL);
    c->device_allow = config_list(kf, "devices", "allow");
    c->device_deny = config_list(kf, "devices", "deny");
    int rc = config_size(kf, file, "devices", "max-size", &c->device_max_size, "256G", why);
    if (rc == 0)
        rc = config_int(kf, file, "scan", "max-signature-age-days", 0, INT_MAX,
                        &c->max_signature_age_days, "must be a number of days (0 = no check)", why);
    if (rc == 0)
        rc = config_int(kf, file, "admin", "lockout-seconds", 1, 86400 * 7,
                        &c->admin_lockout_seconds, "must be 1 to 604800", why);
    if (rc == 0 && (c->workers < 0 || c->workers > 256)) {
        *why = g_strdup_printf("%s: [scan] workers must be 0 to 256", file);
        rc = KERR_INVAL;
    }
    return rc;
}

/* [staging] outbox-max-bytes and keep-days, the verdict cache, [media]. */
static int config_read_storage(GKeyFile *kf, const char *file, struct kiosk_config *c, char **why)
{
    int rc = config_size(kf, file, "staging", "outbox-max-bytes", &c->outbox_max_bytes,
                         "20G; 0 = no limit", why);
    if (rc == 0)
        rc = config_int(kf, file, "staging", "keep-days", 0, 36500, &c->keep_days,
                        "must be a number of days, 0 to 36500 (0 = keep published sessions "
                        "for ever)",
                        why);
    if (rc == 0)
        rc = config_load_cache(kf, file, c, why);
    if (rc != 0)
        return rc;
    g_strstrip(c->media_reader_user);
    if (!config_user_name_ok(c->media_reader_user) || !strcmp(c->media_reader_user, "root")) {
        *why = g_strdup_printf("%s: [media] reader-user must be the name of an unprivileged "
                               "user (letters, digits, '_', '-', '.'), e.g. %s",
                               file, READER_USER_DEFAULT);
        return KERR_INVAL;
    }
    /* The FUSE drivers are gone, and with them their user. */
    if (g_key_file_has_key(kf, "media", "driver-user", NULL))
        g_printerr("%s: [media] driver-user is no longer used (filesystems are read by the "
                   "medium reader, user [media] reader-user); remove it\n",
                   file);
    return 0;
}

int config_load(const char *path, struct kiosk_config **out, char **why)
{
    struct kiosk_config *c = g_new0(struct kiosk_config, 1);
    c->max_signature_age_days = 7;
    c->admin_lockout_seconds = 900;
    c->outbox_max_bytes = CONFIG_DEFAULT_OUTBOX_MAX_BYTES;
    c->keep_days = CONFIG_DEFAULT_KEEP_DAYS;
    c->cache = true;
    c->cache_max_entries = VERDICT_CACHE_DEFAULT_MAX;
    GKeyFile *kf = g_key_file_new();
    const char *file = path ? path : CONFIG_DEFAULT_PATH;
    bool have = false;
    int rc = config_read_file(kf, file, path != NULL, &have, why);
    if (rc != 0)
        goto out;
    if (have)
        c->path = g_strdup(file);
    for (size_t i = 0; i < G_N_ELEMENTS(config_strings); i++) {
        char *v = have ? g_key_file_get_string(kf, config_strings[i].group, config_strings[i].key,
                                               NULL)
                       : NULL;
        G_STRUCT_MEMBER(char *, c, config_strings[i].offset) = v ? v : g_strdup(config_strings[i].def);
    }
    if (have && (rc = config_read_service(kf, file, c, why)) != 0)
        goto out;
    if (have && (rc = config_read_storage(kf, file, c, why)) != 0)
        goto out;
    /* [staging] target wins; [paths] staging (the older key) names a local folder. */
    g_strstrip(c->target);
    if (!*c->target) {
        g_free(c->target);
        c->target = g_strconcat("dir:", c->staging, NULL);
    }
out:
    g_key_file_free(kf);
    if (rc == 0) {
        *out = c;
        c = NULL; /* transferred */
    }
    config_free(c);
    return rc;
}

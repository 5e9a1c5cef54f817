#include "kiosk/config.h"
#include "common/kerr.h"

#include <errno.h>
#include <glib.h>

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
    {"kiosk", "language", G_STRUCT_OFFSET(struct kiosk_config, language), "en"},
};

void config_free(struct kiosk_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < G_N_ELEMENTS(config_strings); i++)
        g_free(G_STRUCT_MEMBER(char *, c, config_strings[i].offset));
    g_free(c->path);
    g_free(c);
}

int config_load(const char *path, struct kiosk_config **out, char **why)
{
    struct kiosk_config *c = g_new0(struct kiosk_config, 1);
    GKeyFile *kf = g_key_file_new();
    GError *err = NULL;
    int rc = 0;
    const char *file = path ? path : CONFIG_DEFAULT_PATH;
    bool have = g_key_file_load_from_file(kf, file, G_KEY_FILE_NONE, &err);

    if (!have) {
        bool missing = g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
        if (path || !missing) {
            *why = g_strdup_printf("%s: %s", file, err->message);
            rc = KERR_INVAL;
            goto out;
        }
    } else {
        c->path = g_strdup(file);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(config_strings); i++) {
        char *v = have ? g_key_file_get_string(kf, config_strings[i].group, config_strings[i].key,
                                               NULL)
                       : NULL;
        G_STRUCT_MEMBER(char *, c, config_strings[i].offset) = v ? v : g_strdup(config_strings[i].def);
    }
    if (have) {
        g_clear_error(&err);
        c->workers = g_key_file_get_integer(kf, "scan", "workers", &err);
        if (err && !g_error_matches(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) &&
            !g_error_matches(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND)) {
            *why = g_strdup_printf("%s: [scan] workers: %s", file, err->message);
            rc = KERR_INVAL;
            goto out;
        }
        g_clear_error(&err);
        c->accept_loop = g_key_file_get_boolean(kf, "kiosk", "accept-loop-devices", NULL);
        if (c->workers < 0 || c->workers > 256) {
            *why = g_strdup_printf("%s: [scan] workers must be 0 to 256", file);
            rc = KERR_INVAL;
            goto out;
        }
    }
out:
    g_clear_error(&err);
    g_key_file_free(kf);
    if (rc == 0) {
        *out = c;
        c = NULL; /* transferred */
    }
    config_free(c);
    return rc;
}

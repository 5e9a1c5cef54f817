/* cli-settings.c - the settings options of `kiosk scan` and `kiosk daemon` (cli-settings.h). */
#include "kiosk/cli-settings.h"
#include "kiosk/cli.h"

#include <string.h>

void cli_settings_entries(struct cli_settings *s, GOptionEntry entries[CLI_SETTINGS_N_ENTRIES])
{
    const GOptionEntry opts[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &s->config, N_("Settings file"), "FILE"},
        {"policy", 0, 0, G_OPTION_ARG_FILENAME, &s->policy, N_("Policy file"), "FILE"},
        {"target", 0, 0, G_OPTION_ARG_STRING, &s->target,
         N_("Where deliveries go: dir:PATH or smb://HOST[:PORT]/SHARE/PATH"), "SPEC"},
        {"staging", 0, 0, G_OPTION_ARG_FILENAME, &s->staging, N_("Staging share (a local target)"),
         "DIR"},
        {"work-dir", 0, 0, G_OPTION_ARG_FILENAME, &s->work, N_("Private work area (spool, outbox)"),
         "DIR"},
        {"signing-key", 0, 0, G_OPTION_ARG_FILENAME, &s->key, N_("Delivery signing key"), "FILE"},
        {"signatures", 0, 0, G_OPTION_ARG_FILENAME, &s->sigs, N_("ClamAV signature folder"), "DIR"},
        {"audit-log", 0, 0, G_OPTION_ARG_FILENAME, &s->audit, N_("Audit log"), "FILE"},
        {"run-dir", 0, 0, G_OPTION_ARG_FILENAME, &s->run, N_("Mount points and runtime files"),
         "DIR"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    G_STATIC_ASSERT(G_N_ELEMENTS(opts) == CLI_SETTINGS_N_ENTRIES);
    memcpy(entries, opts, sizeof(opts));
}

int cli_settings_load(const struct cli_settings *s, struct kiosk_config **out, char **why)
{
    int rc = config_load(s->config, out, why);
    if (rc != 0)
        return rc;
    struct kiosk_config *cfg = *out;
    config_override(&cfg->policy, s->policy);
    config_override_staging_dir(cfg, s->staging);
    config_override(&cfg->target, s->target);
    config_override(&cfg->work_dir, s->work);
    config_override(&cfg->signing_key, s->key);
    config_override(&cfg->signatures, s->sigs);
    config_override(&cfg->audit_log, s->audit);
    cfg->audit_log_given = s->audit != NULL;
    config_override(&cfg->run_dir, s->run);
    return 0;
}

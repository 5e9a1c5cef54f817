/* cli-settings.h - the settings options that `kiosk scan` and `kiosk daemon` share:
 * --config and the paths of kiosk.conf a command line may override (the policy, the
 * target, the staging share, the work area, the signing key, the signatures, the audit log
 * and the run folder).  One table, so the two commands name, explain and apply them alike
 * (docs/cli.md). */
#ifndef KIOSK_CLI_SETTINGS_H
#define KIOSK_CLI_SETTINGS_H

#include "kiosk/config.h"

#include <glib.h>

struct cli_settings {
    const char *config, *policy, *target, *staging, *work, *key, *sigs, *audit, *run;
};

/* The options, NULL-terminated, in the order --help lists them. */
#define CLI_SETTINGS_N_ENTRIES 10

/* Fill ENTRIES with the options, each writing to its member of S. */
void cli_settings_entries(struct cli_settings *s, GOptionEntry entries[CLI_SETTINGS_N_ENTRIES]);

/* Load the settings file (--config, or the default) into *OUT and apply the overrides
 * given.  Returns 0, or config_load's error with *WHY set. */
int cli_settings_load(const struct cli_settings *s, struct kiosk_config **out, char **why);

#endif

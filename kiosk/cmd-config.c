/* cmd-config.c - `kiosk config check FILE`: every unknown key and bad value of a
 * kiosk.conf, with its line number (config-check.h).  The service refuses such a file
 * the same way. */
#include "kiosk/cli.h"
#include "kiosk/cmd.h"
#include "kiosk/config-check.h"

#include <stdio.h>

static void cmd_config_print_key(const char *group, const char *key, const char *what, void *data)
{
    (void)data;
    char *id = g_strdup_printf("[%s] %s", group, key);
    printf("%-34s %s\n", id, what);
    g_free(id);
}

static int cmd_config_check(int argc, char **argv)
{
    gboolean keys = FALSE;
    const GOptionEntry opts[] = {
        {"keys", 0, 0, G_OPTION_ARG_NONE, &keys, "List every key and what it accepts", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    struct cli cl = {.cmd = "kiosk config check"};
    int prc = cli_parse(&cl, &argc, &argv, "FILE",
                        "Check a settings file (kiosk.conf(5)): every unknown section or key and\n"
                        "every bad value is printed as FILE:LINE: message.",
                        "Exit status: 0 valid, 1 invalid, 2 usage.\n", opts, NULL, keys ? 0 : 1, 1);
    if (prc != 0)
        return cli_parse_exit(prc);
    if (keys && argc == 1) {
        config_check_each_key(cmd_config_print_key, NULL);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    const char *path = argv[1];
    GPtrArray *probs = g_ptr_array_new_with_free_func(config_problem_free);
    int rc = 1;
    unsigned errors = config_check_file(path, probs);
    config_problems_print(stderr, path, probs);
    if (errors > 0) {
        fprintf(stderr, "%s: %u problem%s; the service refuses this file\n", path, errors,
                errors == 1 ? "" : "s");
    } else {
        printf("%s: OK\n", path);
        rc = fflush(stdout) == 0 ? 0 : 1;
    }
    g_ptr_array_free(probs, TRUE);
    return rc;
}

static const struct cli_sub cmd_config_table[] = {
    {"check", cmd_config_check, "check a settings file (unknown keys, bad values)"},
};

int cmd_config(int argc, char **argv)
{
    return cli_dispatch("kiosk config", cmd_config_table, G_N_ELEMENTS(cmd_config_table), argc,
                        argv);
}

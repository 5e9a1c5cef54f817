/* main.c - kiosk(1): dispatch to the subcommands (a table, as tmux's cmd_entry). */
#include "common/i18n.h"
#include "common/log.h"
#include "kiosk/cli.h"
#include "common/version.h"
#include "kiosk/cmd.h"
#include "reader/reader.h"

#include <stdio.h>
#include <string.h>

static const struct main_cmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} main_cmds[] = {
    {"scan", cmd_scan, N_("check a medium once and deliver its clean files")},
    {"policy", cmd_policy, N_("check or install a policy (policy check|install ...)")},
    {"audit", cmd_audit, N_("verify or show the audit log (audit verify FILE)")},
    {"report", cmd_report, N_("write the PDF report or receipt of a session")},
    {"print", cmd_print, N_("print (and save) the report or receipt of a session")},
    {"keygen", cmd_keygen, N_("create the kiosk's delivery signing key")},
    {"verify-batch", cmd_verify_batch, N_("check a delivery folder (signature, files)")},
    {"daemon", cmd_daemon, N_("run the service: check each USB medium inserted")},
    {"watch", cmd_watch, N_("print the service's events live")},
    {"status", cmd_status, N_("service, signatures, policy, staging, last sessions")},
    {"signatures", cmd_signatures, N_("install ClamAV databases offline (signatures install FILE...)")},
    {"admin", cmd_admin, N_("administrator password, login test, export of the logs")},
    {"config", cmd_config, N_("check a settings file (config check FILE)")},
    {"staging", cmd_staging, N_("the outbox and the staging share (staging list|retry|check|prune)")},
};

static void main_usage(FILE *out)
{
    fprintf(out, _("Usage:\n  kiosk COMMAND [OPTION…] [ARGS]\n  kiosk --version\n\nCommands:\n"));
    for (size_t i = 0; i < sizeof(main_cmds) / sizeof(main_cmds[0]); i++)
        fprintf(out, "  %-12s %s\n", main_cmds[i].name, _(main_cmds[i].help));
    fprintf(out, _("\n'%s COMMAND --help' describes a command.\n"), "kiosk");
}

int main(int argc, char **argv)
{
    log_init("kiosk", false);
    if (argc < 2) {
        i18n_init_cli();
        main_usage(stderr);
        return 2;
    }
    /* Not a command for people: the medium reader the kiosk starts for each medium, on
     * descriptors it passes (reader/reader.h).  It parses nothing before it has confined
     * itself.  --help alone (the CLI's convention) only says so. */
    if (!strcmp(argv[1], "reader")) {
        if (argc == 3 && !strcmp(argv[2], "--help")) {
            puts("Usage:\n  kiosk reader ...\n\nThe medium reader: the kiosk starts it for "
                 "each medium, confined, on\ndescriptors it passes (docs/privsep.md).  Not a "
                 "command for people.");
            return 0;
        }
        reader_main(argc - 1, argv + 1);
    }
    i18n_init_cli();
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        main_usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("%s\n", version_generator());
        return fflush(stdout) == 0 ? 0 : 1;
    }
    for (size_t i = 0; i < sizeof(main_cmds) / sizeof(main_cmds[0]); i++)
        if (!strcmp(argv[1], main_cmds[i].name))
            return main_cmds[i].run(argc - 1, argv + 1);
    fprintf(stderr, _("%s: unknown command '%s'\n"), "kiosk", argv[1]);
    fputc('\n', stderr);
    main_usage(stderr);
    return 2;
}

/* cmd-report.c - `kiosk report`, `kiosk print` and `kiosk keygen`. */
#include "common/kerr.h"
#include "common/util.h"
#include "kiosk/cli.h"
#include "kiosk/cmd.h"
#include "kiosk/config.h"
#include "report/report.h"
#include "kiosk/sign.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char cmd_report_summary[] =
    "Write the PDF report (A4, every file) or the 80 mm receipt of a session.\n"
    "SESSION is a session id, or 'last' for the newest checked session (in the outbox).";
static const char cmd_print_summary[] =
    "Print the report or receipt of a session through CUPS.  SESSION is a session id, or\n"
    "'last' to reprint the newest checked session.  The report is always saved too\n"
    "(into [report] folder, default WORK/reports).";
static const char cmd_print_description[] =
    "Exit status: 0 printed, 1 not printed (the message says why), 2 usage.\n";

/* Options shared by report and print. */
struct cmd_report_opts {
    const char *config, *work_dir, *audit_log, *format, *lang, *printer, *out;
    int timeout;
};

/* Returns -1 go on, else the exit status. */
static int cmd_report_parse(int argc, char **argv, bool print, struct cmd_report_opts *ro,
                            const char **session)
{
    const char *timeout = NULL;
    const GOptionEntry common[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &ro->config, N_("Settings file"), "FILE"},
        {"work-dir", 0, 0, G_OPTION_ARG_FILENAME, &ro->work_dir, N_("Private work area (the "
                                                                 "outbox)"),
         "DIR"},
        {"audit-log", 0, 0, G_OPTION_ARG_FILENAME, &ro->audit_log, N_("Audit log"), "FILE"},
        {"format", 0, 0, G_OPTION_ARG_STRING, &ro->format, N_("a4 or receipt"), "FORMAT"},
        {"lang", 0, 0, G_OPTION_ARG_STRING, &ro->lang, N_("ja, en or both"), "LANG"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    const GOptionEntry report_opts[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &ro->out, N_("The PDF to write (required)"),
         "FILE.pdf"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    const GOptionEntry print_opts[] = {
        {"printer", 0, 0, G_OPTION_ARG_STRING, &ro->printer, N_("CUPS queue (default: [report] "
                                                             "printer, then the CUPS default)"),
         "NAME"},
        {"timeout", 0, 0, G_OPTION_ARG_STRING, &timeout, N_("Give up after this long (default 30)"),
         "SECONDS"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    struct cli cl = {.cmd = print ? "kiosk print" : "kiosk report"};
    ro->timeout = 30;
    int prc = cli_parse(&cl, &argc, &argv, "SESSION", print ? cmd_print_summary : cmd_report_summary,
                        print ? cmd_print_description : NULL, common,
                        print ? print_opts : report_opts, 1, 1);
    if (prc != 0)
        return cli_parse_exit(prc);
    if (!print && !ro->out)
        return cli_usage_error(&cl, "%s", _("-o FILE.pdf is required"));
    if (timeout) {
        gint64 t;
        if (!cli_int_in_range(timeout, 1, 3600, &t))
            return cli_usage_error(&cl, "--timeout needs a number of seconds from 1 to 3600, "
                                        "not '%s'",
                                   timeout);
        ro->timeout = (int)t;
    }
    *session = argv[1];
    return -1;
}

/* Config with the command line's overrides, and the report options it implies. */
static int cmd_report_setup(const struct cmd_report_opts *ro, bool print,
                            struct kiosk_config **cfg, struct report_options *o)
{
    char *why = NULL;
    if (config_load(ro->config, cfg, &why) != 0) {
        fprintf(stderr, "kiosk: %s\n", why);
        g_free(why);
        return 2;
    }
    config_override(&(*cfg)->work_dir, ro->work_dir);
    if (ro->audit_log) {
        g_free((*cfg)->audit_log);
        (*cfg)->audit_log = g_strdup(ro->audit_log);
    }
    const char *format = ro->format ? ro->format : print ? (*cfg)->report_format : "a4";
    const char *lang = ro->lang ? ro->lang : (*cfg)->report_language;
    if (!report_parse_format(format, &o->format)) {
        fprintf(stderr, _("kiosk: unknown report format '%s' (a4 or receipt)\n"), format);
        return 2;
    }
    if (!report_parse_lang(lang, &o->lang)) {
        fprintf(stderr, _("kiosk: unknown report language '%s' (ja, en or both)\n"), lang);
        return 2;
    }
    o->follow_session = !ro->lang; /* --lang chooses; else the session's language */
    o->kiosk_name = (*cfg)->kiosk_name;
    o->site = (*cfg)->site;
    return 0;
}

int cmd_report(int argc, char **argv)
{
    struct cmd_report_opts ro = {0};
    struct report_options o = {0};
    struct kiosk_config *cfg = NULL;
    struct report_session *s = NULL;
    const char *session = NULL;
    char *why = NULL;
    int rc = cmd_report_parse(argc, argv, false, &ro, &session);
    if (rc >= 0)
        return rc;
    rc = cmd_report_setup(&ro, false, &cfg, &o);
    if (rc != 0)
        goto out;
    rc = 1;
    if (report_session_load(cfg->work_dir, session, &s, &why) != 0) {
        fprintf(stderr, "kiosk: %s\n", why);
        goto out;
    }
    report_session_audit(s, cfg->audit_log);
    if (report_render(s, &o, ro.out, &why) != 0) {
        fprintf(stderr, "kiosk: %s\n", why);
        goto out;
    }
    printf(_("Report of session %s written to %s\n"), s->id, ro.out);
    rc = 0;
out:
    report_session_free(s);
    config_free(cfg);
    g_free(why);
    return rc;
}

int cmd_print(int argc, char **argv)
{
    struct cmd_report_opts ro = {0};
    struct report_options o = {0};
    struct kiosk_config *cfg = NULL;
    const char *session = NULL;
    char *why = NULL, *saved = NULL;
    int rc = cmd_report_parse(argc, argv, true, &ro, &session);
    if (rc >= 0)
        return rc;
    rc = cmd_report_setup(&ro, true, &cfg, &o);
    if (rc != 0)
        goto out;
    if (report_print_session(cfg, session, &o, ro.printer, ro.timeout, &saved, &why) != 0) {
        fprintf(stderr, _("kiosk: could not print: %s\n"), why);
        if (saved)
            fprintf(stderr, _("The report was saved as %s\n"), saved);
        rc = 1;
        goto out;
    }
    printf(o.format == REPORT_A4 ? _("Printed the report of session %s; saved as %s\n")
                                 : _("Printed the receipt of session %s; saved as %s\n"),
           session, saved);
    rc = 0;
out:
    config_free(cfg);
    g_free(why);
    g_free(saved);
    return rc;
}

int cmd_keygen(int argc, char **argv)
{
    const char *dir = "/etc/kiosk";
    const GOptionEntry opts[] = {
        {"out-dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, N_("Where to write the keys (default "
                                                       "/etc/kiosk)"),
         "DIR"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    struct cli cl = {.cmd = "kiosk keygen"};
    int prc = cli_parse(&cl, &argc, &argv, "",
                        "Create the kiosk's delivery signing key: DIR/signing.key (secret, mode "
                        "0600)\nand DIR/signing.pub (public, minisign format).",
                        "An existing key is never overwritten (exit 1).\n", opts, NULL, 0, 0);
    if (prc != 0)
        return cli_parse_exit(prc);
    if (util_mkdir_p(dir, 0755) != 0) {
        fprintf(stderr, "kiosk: cannot create %s: %s\n", dir, g_strerror(errno));
        return 1;
    }
    char *sec = g_build_filename(dir, "signing.key", NULL);
    char *pub = g_build_filename(dir, "signing.pub", NULL);
    char id[17], *why = NULL, *text = NULL;
    int rc = 1;
    if (sign_keygen(sec, pub, id, &why) != 0) {
        fprintf(stderr, "kiosk: %s\n", why);
        goto out;
    }
    g_file_get_contents(pub, &text, NULL, NULL);
    printf("Signing key %s created.\n"
           "  secret: %s (mode 0600%s; never copy it off the kiosk)\n"
           "  public: %s\n\n%s\n"
           "To sign every delivery, put into /etc/kiosk/kiosk.conf:\n"
           "  [paths]\n  signing-key=%s\n\n"
           "Give the public key to the TOS side; they check a delivery with\n"
           "  kiosk verify-batch DIR --pubkey signing.pub\n"
           "  or: minisign -Vm DIR/MANIFEST.json -x DIR/MANIFEST.json.sig -p signing.pub\n",
           id, sec, geteuid() == 0 ? ", owner root" : "", pub, text ? text : "", sec);
    rc = 0;
out:
    g_free(text);
    g_free(why);
    g_free(sec);
    g_free(pub);
    return rc;
}

/* cmd-report.c - `kiosk report`, `kiosk print` and `kiosk keygen`. */
#include "common/kerr.h"
#include "common/util.h"
#include "kiosk/cmd.h"
#include "kiosk/config.h"
#include "kiosk/report.h"
#include "kiosk/sign.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char cmd_report_usage[] =
    "usage: kiosk report SESSION [--format a4|receipt] [--lang ja|en|both] [--config FILE]\n"
    "                    [--work-dir DIR] [--audit-log FILE] -o FILE.pdf\n"
    "SESSION is a session id, or 'last' for the newest checked session (in the outbox).\n";

static const char cmd_print_usage[] =
    "usage: kiosk print SESSION [--printer NAME] [--format receipt|a4] [--lang ja|en|both]\n"
    "                   [--config FILE] [--work-dir DIR] [--audit-log FILE] [--timeout SECONDS]\n"
    "SESSION is a session id, or 'last' to reprint the newest checked session.\n"
    "The report is always saved too (into [report] folder, default WORK/reports).\n"
    "Exit status: 0 printed, 1 not printed (the message says why), 2 usage.\n";

static const char cmd_keygen_usage[] =
    "usage: kiosk keygen [--out-dir DIR]\n"
    "Creates the kiosk's signing key: DIR/signing.key (secret, mode 0600) and\n"
    "DIR/signing.pub (public, minisign format); DIR defaults to /etc/kiosk.\n";

/* Options shared by report and print. */
struct cmd_report_opts {
    const char *config, *work_dir, *audit_log, *format, *lang, *printer, *out;
    int timeout;
};

static int cmd_report_parse(int argc, char **argv, const char *usage, bool print,
                            struct cmd_report_opts *ro, const char **session)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},    {"work-dir", required_argument, NULL, 'W'},
        {"audit-log", required_argument, NULL, 'a'}, {"format", required_argument, NULL, 'f'},
        {"lang", required_argument, NULL, 'l'},      {"printer", required_argument, NULL, 'P'},
        {"output", required_argument, NULL, 'o'},    {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
    };
    int c;
    ro->timeout = 30;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'c': ro->config = optarg; break;
        case 'W': ro->work_dir = optarg; break;
        case 'a': ro->audit_log = optarg; break;
        case 'f': ro->format = optarg; break;
        case 'l': ro->lang = optarg; break;
        case 'P': ro->printer = optarg; break;
        case 'o': ro->out = optarg; break;
        case 't': ro->timeout = atoi(optarg); break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (optind != argc - 1 || (print && ro->out) || (!print && (ro->printer || !ro->out))) {
        fputs(usage, stderr);
        return 2;
    }
    *session = argv[optind];
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
        fprintf(stderr, "kiosk: unknown report format '%s' (a4 or receipt)\n", format);
        return 2;
    }
    if (!report_parse_lang(lang, &o->lang)) {
        fprintf(stderr, "kiosk: unknown report language '%s' (ja, en or both)\n", lang);
        return 2;
    }
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
    int rc = cmd_report_parse(argc, argv, cmd_report_usage, false, &ro, &session);
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
    printf("Report of session %s written to %s\n", s->id, ro.out);
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
    int rc = cmd_report_parse(argc, argv, cmd_print_usage, true, &ro, &session);
    if (rc >= 0)
        return rc;
    rc = cmd_report_setup(&ro, true, &cfg, &o);
    if (rc != 0)
        goto out;
    if (report_print_session(cfg, session, &o, ro.printer, ro.timeout, &saved, &why) != 0) {
        fprintf(stderr, "kiosk: could not print: %s\n", why);
        if (saved)
            fprintf(stderr, "The report was saved as %s\n", saved);
        rc = 1;
        goto out;
    }
    printf("Printed the %s of session %s; saved as %s\n",
           o.format == REPORT_A4 ? "report" : "receipt", session, saved);
    rc = 0;
out:
    config_free(cfg);
    g_free(why);
    g_free(saved);
    return rc;
}

int cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out-dir", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = "/etc/kiosk";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'h': fputs(cmd_keygen_usage, stdout); return 0;
        default: fputs(cmd_keygen_usage, stderr); return 2;
        }
    }
    if (optind != argc) {
        fputs(cmd_keygen_usage, stderr);
        return 2;
    }
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

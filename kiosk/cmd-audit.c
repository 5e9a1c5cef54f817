/* cmd-audit.c - `kiosk audit ...`: tools for the audit log.
 *
 *   kiosk audit verify FILE              check the hash chain.  Exit 0 intact, 1 broken,
 *                                        2 unreadable or usage.
 *   kiosk audit show FILE [--since SEQ]  print the records (from seq SEQ on). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kerr.h"
#include "kiosk/audit.h"
#include "kiosk/audit-syslog.h"
#include "kiosk/cli.h"
#include "kiosk/cmd.h"

static const GOptionEntry cmd_audit_none[] = {{NULL, 0, 0, 0, NULL, NULL, NULL}};

static int cmd_audit_verify(int argc, char **argv)
{
    struct cli cl = {.cmd = "kiosk audit verify"};
    int prc = cli_parse(&cl, &argc, &argv, "FILE",
                        "Check that every record of the audit log is intact and chained to the "
                        "previous one.",
                        "Exit status: 0 intact, 1 broken (the first broken line is named), 2 "
                        "unreadable or usage.\n",
                        cmd_audit_none, NULL, 1, 1);
    if (prc != 0)
        return cli_parse_exit(prc);
    const char *path = argv[1];
    uint64_t records = 0, bad_line = 0;
    char *why = NULL;

    int r = audit_verify(path, &records, &bad_line, &why);
    if (r == 0) {
        printf("%s: OK, %" G_GUINT64_FORMAT " record%s, chain intact\n", path, records,
               records == 1 ? "" : "s");
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (r == KERR_CORRUPT) {
        fprintf(stderr,
                "%s: line %" G_GUINT64_FORMAT ": %s (%" G_GUINT64_FORMAT
                " good record%s before it)\n",
                path, bad_line, why, records, records == 1 ? "" : "s");
        g_free(why);
        return 1;
    }
    fprintf(stderr, "%s: cannot read the audit log: %s\n", path,
            r == KERR_SYSTEM ? g_strerror(errno) : kerr_str(r));
    return 2;
}

static int cmd_audit_show(int argc, char **argv)
{
    const char *o_since = NULL;
    const GOptionEntry opts[] = {
        {"since", 0, 0, G_OPTION_ARG_STRING, &o_since, "Start at record number SEQ", "SEQ"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    struct cli cl = {.cmd = "kiosk audit show"};
    int prc = cli_parse(&cl, &argc, &argv, "FILE", "Print the records of the audit log.", NULL,
                        opts, NULL, 1, 1);
    if (prc != 0)
        return cli_parse_exit(prc);
    const char *path = argv[1];
    guint64 since = 0;
    FILE *f = NULL;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int ret = 2;

    if (o_since && !g_ascii_string_to_unsigned(o_since, 10, 0, G_MAXUINT64, &since, NULL))
        return cli_usage_error(&cl, "--since needs a record number, not '%s'", o_since);
    f = fopen(path, "re");
    if (!f) {
        fprintf(stderr, "%s: cannot read the audit log: %s\n", path, g_strerror(errno));
        goto out;
    }
    while ((len = getline(&line, &cap, f)) > 0) {
        if (since > 0) {
            /* Records start with {"seq":N (the writer puts seq first). */
            const char *p = line;
            if (strncmp(p, "{\"seq\":", 7) != 0)
                continue;
            guint64 seq = g_ascii_strtoull(p + 7, NULL, 10);
            if (seq < since)
                continue;
        }
        fputs(line, stdout);
        if (line[len - 1] != '\n')
            fputc('\n', stdout);
    }
    if (ferror(f)) {
        fprintf(stderr, "%s: cannot read the audit log: %s\n", path, g_strerror(errno));
        goto out;
    }
    ret = fflush(stdout) == 0 ? 0 : 1;
out:
    free(line);
    if (f)
        fclose(f);
    return ret;
}

static void cmd_audit_print_type(const char *type, int priority, const char *what, void *data)
{
    static const char *const names[] = {"emerg", "alert", "crit",  "err",
                                        "warning", "notice", "info", "debug"};
    char id[33];
    (void)data;
    audit_syslog_message_id(type, id);
    printf("%-20s %-8s %s  %s\n", type, names[priority & 7], id, what);
}

static int cmd_audit_types(int argc, char **argv)
{
    struct cli cl = {.cmd = "kiosk audit types"};
    int prc = cli_parse(&cl, &argc, &argv, "",
                        "List the audit record types with their syslog severity (the default; "
                        "some depend\non the record, as the text says) and their journald "
                        "MESSAGE_ID (docs/logging.md).",
                        NULL, cmd_audit_none, NULL, 0, 0);
    if (prc != 0)
        return cli_parse_exit(prc);
    printf("%-20s %-8s %-32s  %s\n", "TYPE", "SEVERITY", "MESSAGE_ID", "WHAT");
    audit_syslog_each_type(cmd_audit_print_type, NULL);
    return fflush(stdout) == 0 ? 0 : 1;
}

static const struct cli_sub cmd_audit_table[] = {
    {"types", cmd_audit_types, "list the record types, their severity and MESSAGE_ID"},
    {"verify", cmd_audit_verify, "check the hash chain of the audit log"},
    {"show", cmd_audit_show, "print the records (from record SEQ on with --since)"},
};

int cmd_audit(int argc, char **argv)
{
    return cli_dispatch("kiosk audit", cmd_audit_table, G_N_ELEMENTS(cmd_audit_table), argc,
                        argv);
}

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
#include "kiosk/cmd.h"

struct cmd_audit_entry {
    const char *name;
    int min_args; /* arguments after the sub-subcommand's name */
    int max_args;
    int (*exec)(int argc, char **argv);
};

static void cmd_audit_usage(FILE *f)
{
    fputs("usage: kiosk audit verify FILE\n"
          "       kiosk audit show FILE [--since SEQ]\n"
          "  verify FILE   check that every record is intact and chained to the previous one\n"
          "  show FILE     print the records, from record number SEQ on with --since\n",
          f);
}

static int cmd_audit_verify(int argc, char **argv)
{
    const char *path = argv[1];
    uint64_t records = 0, bad_line = 0;
    char *why = NULL;

    (void)argc;
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
    const char *path = argv[1];
    guint64 since = 0;
    FILE *f = NULL;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int ret = 2;

    if (argc == 4) {
        if (strcmp(argv[2], "--since") != 0 ||
            !g_ascii_string_to_unsigned(argv[3], 10, 0, G_MAXUINT64, &since, NULL)) {
            cmd_audit_usage(stderr);
            goto out;
        }
    } else if (argc != 2) {
        cmd_audit_usage(stderr);
        goto out;
    }
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

static const struct cmd_audit_entry cmd_audit_table[] = {
    {.name = "verify", .min_args = 1, .max_args = 1, .exec = cmd_audit_verify},
    {.name = "show", .min_args = 1, .max_args = 3, .exec = cmd_audit_show},
};

int cmd_audit(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
                      strcmp(argv[1], "help") == 0)) {
        cmd_audit_usage(stdout);
        return 0;
    }
    if (argc < 2) {
        cmd_audit_usage(stderr);
        return 2;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(cmd_audit_table); i++) {
        const struct cmd_audit_entry *c = &cmd_audit_table[i];
        if (strcmp(argv[1], c->name) != 0)
            continue;
        int nargs = argc - 2;
        if (nargs < c->min_args || nargs > c->max_args) {
            cmd_audit_usage(stderr);
            return 2;
        }
        return c->exec(argc - 1, argv + 1);
    }
    fprintf(stderr, "kiosk audit: unknown command \"%s\"\n", argv[1]);
    cmd_audit_usage(stderr);
    return 2;
}

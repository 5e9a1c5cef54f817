/* cmd-audit.c - `kiosk audit ...`: tools for the audit log.
 *
 *   kiosk audit verify FILE [--head SEQ:HASH] [--pubkey FILE] [--config FILE]
 *                                        check the hash chain, the anchors (the saved head
 *                                        when FILE is the configured log, --head) and the
 *                                        signed checkpoints.  Exit 0 intact, 1 broken,
 *                                        2 unreadable or usage.
 *   kiosk audit show FILE [--since SEQ]  print the records (from seq SEQ on). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/kerr.h"
#include "admin/admin.h"
#include "kiosk/audit.h"
#include "kiosk/audit-syslog.h"
#include "kiosk/cli.h"
#include "kiosk/cmd.h"
#include "kiosk/config.h"
#include "kiosk/sign.h"

static const GOptionEntry cmd_audit_none[] = {{NULL, 0, 0, 0, NULL, NULL, NULL}};

/* "SEQ:HASH" into AN. */
static bool cmd_audit_parse_head(const char *text, struct audit_anchor *an)
{
    const char *colon = strchr(text, ':');
    guint64 seq = 0;
    if (!colon || strlen(colon + 1) != 64 || strspn(colon + 1, "0123456789abcdef") != 64)
        return false;
    char *num = g_strndup(text, (gsize)(colon - text));
    bool ok = g_ascii_string_to_unsigned(num, 10, 1, G_MAXUINT64, &seq, NULL);
    g_free(num);
    an->seq = seq;
    g_strlcpy(an->hash, colon + 1, sizeof(an->hash));
    an->what = "--head";
    return ok;
}

/* Is PATH the same file as OTHER? */
static bool cmd_audit_same_file(const char *path, const char *other)
{
    struct stat a, b;
    return other && stat(path, &a) == 0 && stat(other, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

/* The head saved at the last session end joins ANCHORS (FILE is this kiosk's own log);
 * why it could not be compared goes to PRE as a note. */
static void cmd_audit_saved_head(const struct kiosk_config *cfg, GArray *anchors, GPtrArray *pre)
{
    struct audit_anchor an = {.what = "saved head"};
    char *swhy = NULL;
    if (admin_state_audit_head(cfg->admin_state, &an.seq, an.hash, &swhy) != 0)
        g_ptr_array_add(pre, g_strdup_printf("the saved head in %s could not be read (%s): "
                                             "not compared (run as root)",
                                             cfg->admin_state, swhy));
    else if (an.seq == 0)
        g_ptr_array_add(pre, g_strdup_printf("no saved head in %s yet", cfg->admin_state));
    else
        g_array_append_val(anchors, an);
    g_free(swhy);
}

/* The verdict of `kiosk audit verify`: the summary line, the notes (PRE first, then the
 * verifier's), and what the signed checkpoints proved. R is audit_verify_log's result. */
static void cmd_audit_print_result(const char *path, int r, const struct audit_verify_result *res,
                                   bool has_key, GPtrArray *pre)
{
    FILE *f = r == 0 ? stdout : stderr;
    if (r == 0)
        printf("%s: OK, %" G_GUINT64_FORMAT
               " record%s, chain intact; head: record %" G_GUINT64_FORMAT " sha256 %s\n",
               path, res->records, res->records == 1 ? "" : "s", res->head.seq,
               res->head.seq ? res->head.hash : "-");
    else
        fprintf(stderr,
                "%s: line %" G_GUINT64_FORMAT ": %s (%" G_GUINT64_FORMAT
                " good record%s before it)\n",
                path, res->bad_line, res->why, res->records, res->records == 1 ? "" : "s");
    for (guint i = 0; i < pre->len; i++)
        fprintf(f, "  note: %s\n", (const char *)g_ptr_array_index(pre, i));
    for (guint i = 0; i < res->notes->len; i++)
        fprintf(f, "  %s\n", (const char *)g_ptr_array_index(res->notes, i));
    if (res->checkpoints == 0)
        fprintf(f, "  no signed checkpoints (no [paths] signing-key when these sessions ended)\n");
    else if (has_key && res->checkpoints_verified == res->checkpoints)
        fprintf(f,
                "  %" G_GUINT64_FORMAT " checkpoint%s, all signed by key %s and verified; the "
                "last at record %" G_GUINT64_FORMAT "\n",
                res->checkpoints, res->checkpoints == 1 ? "" : "s", res->key_id,
                res->last_checkpoint);
    else
        fprintf(f,
                "  %" G_GUINT64_FORMAT " checkpoint%s (key %s), %" G_GUINT64_FORMAT " of them "
                "checked%s: give the kiosk's public key with --pubkey; the last at record "
                "%" G_GUINT64_FORMAT "\n",
                res->checkpoints, res->checkpoints == 1 ? "" : "s", res->key_id,
                res->checkpoints_verified,
                has_key ? " (the configured public key is another key)" : "", res->last_checkpoint);
}

/* Each --head SEQ:HASH joins ANCHORS; false after a usage message for a malformed one. */
static bool cmd_audit_heads(struct cli *cl, char **heads, GArray *anchors)
{
    for (int i = 0; heads && heads[i]; i++) {
        struct audit_anchor an = {0};
        if (!cmd_audit_parse_head(heads[i], &an)) {
            cli_usage_error(cl,
                            "--head wants SEQ:HASH (a record number and the SHA-256 "
                            "of its line, 64 lower-case hex digits), not '%s'",
                            heads[i]);
            return false;
        }
        g_array_append_val(anchors, an);
    }
    return true;
}

static int cmd_audit_verify(int argc, char **argv)
{
    const char *pubkey = NULL, *config = NULL;
    char **heads = NULL;
    const GOptionEntry opts[] = {
        {"head", 0, 0, G_OPTION_ARG_STRING_ARRAY, &heads,
         "Record SEQ must be there with this SHA-256 (from a receipt or syslog; repeatable)",
         "SEQ:HASH"},
        {"pubkey", 'k', 0, G_OPTION_ARG_FILENAME, &pubkey,
         "The kiosk's public key for the signed checkpoints (default [paths] public-key)", "FILE"},
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Settings file", "FILE"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    struct cli cl = {.cmd = "kiosk audit verify"};
    GArray *anchors = g_array_new(FALSE, TRUE, sizeof(struct audit_anchor));
    struct kiosk_config *cfg = NULL;
    struct sign_pubkey key;
    struct audit_verify_opts vo = {0};
    struct audit_verify_result res = {0};
    char *why = NULL;
    int ret = 2;

    int prc = cli_parse(&cl, &argc, &argv, "FILE",
                        "Check that every record of the audit log is intact and chained to the "
                        "previous one;\nthat the log still holds the head saved at the last "
                        "session end (when FILE is\nthe configured audit log) and record SEQ with "
                        "HASH (--head); and every signed\ncheckpoint, with the kiosk's public "
                        "key.",
                        "Exit status: 0 intact, 1 broken (the first broken line is named), 2 "
                        "unreadable or usage.\n",
                        opts, NULL, 1, 1);
    if (prc != 0) {
        g_array_free(anchors, TRUE);
        return cli_parse_exit(prc);
    }
    if (!cmd_audit_heads(&cl, heads, anchors)) {
        ret = 2;
        goto out;
    }
    const char *path = argv[1];
    if (config_load(config, &cfg, &why) != 0) {
        cli_fail(&cl, "%s", why);
        goto out;
    }
    GPtrArray *pre = g_ptr_array_new_with_free_func(g_free);
    if (cmd_audit_same_file(path, cfg->audit_log))
        cmd_audit_saved_head(cfg, anchors, pre);
    /* The checkpoints' key: --pubkey, else the kiosk's own public key when there is one. */
    const char *kp = pubkey ? pubkey : cfg->public_key;
    if (kp && (pubkey || access(kp, R_OK) == 0)) {
        if (sign_key_load_public(kp, &key, &why) != 0) {
            cli_fail(&cl, "%s", why);
            g_ptr_array_free(pre, TRUE);
            goto out;
        }
        vo.key = &key;
        vo.key_required = pubkey != NULL;
    }
    vo.anchors = (const struct audit_anchor *)(void *)anchors->data;
    vo.n_anchors = anchors->len;
    int r = audit_verify_log(path, &vo, &res);
    if (r == KERR_SYSTEM || r == KERR_INVAL) {
        fprintf(stderr, "%s: cannot read the audit log: %s\n", path,
                r == KERR_SYSTEM ? g_strerror(errno) : kerr_str(r));
        g_ptr_array_free(pre, TRUE);
        goto out;
    }
    cmd_audit_print_result(path, r, &res, vo.key != NULL, pre);
    g_ptr_array_free(pre, TRUE);
    ret = r == 0 ? (fflush(stdout) == 0 ? 0 : 1) : 1;
out:
    audit_verify_result_clear(&res);
    g_array_free(anchors, TRUE);
    config_free(cfg);
    g_free(why);
    return ret;
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
    static const char *const names[] = {"emerg",   "alert",  "crit", "err",
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
    {"verify", cmd_audit_verify, "check the hash chain, the saved head and the checkpoints"},
    {"show", cmd_audit_show, "print the records (from record SEQ on with --since)"},
};

int cmd_audit(int argc, char **argv)
{
    return cli_dispatch("kiosk audit", cmd_audit_table, G_N_ELEMENTS(cmd_audit_table), argc, argv);
}

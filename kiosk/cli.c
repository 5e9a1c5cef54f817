/* cli.c - option parsing, help, usage errors and failures for every kiosk(8) command
 * (cli.h). */
#include "kiosk/cli.h"
#include "common/json.h"
#include "common/util.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

/* Option values GOption allocated: they live until the process exits (the commands keep
 * plain pointers to them), so they are kept reachable here. */
static GPtrArray *cli_values;

static void cli_keep(void *p)
{
    if (!cli_values)
        cli_values = g_ptr_array_new();
    g_ptr_array_add(cli_values, p);
}

static void cli_print_failure(struct cli *c, const char *msg)
{
    fprintf(stderr, "%s: %s\n", c->cmd, msg);
    if (c->json && !c->failed) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "status", "failed");
        json_object_set_string_member(o, "error", msg);
        JsonNode *n = json_node_init_object(json_node_alloc(), o);
        char *text = json_text(n, false, NULL);
        printf("%s\n", text);
        fflush(stdout);
        g_free(text);
        json_node_unref(n);
        json_object_unref(o);
        c->failed = true;
    }
}

int cli_fail(struct cli *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    cli_print_failure(c, msg);
    g_free(msg);
    return 1;
}

int cli_usage_error(struct cli *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    cli_print_failure(c, msg);
    fprintf(stderr, _("Try '%s --help'.\n"), c->cmd);
    g_free(msg);
    return 2;
}

int cli_parse_exit(int parse_rc)
{
    return parse_rc == 1 ? 0 : 2;
}

bool cli_int_in_range(const char *text, gint64 min, gint64 max, gint64 *out)
{
    gint64 v;
    if (!text || !*text || (min >= 0 && text[0] == '-'))
        return false;
    if (!g_ascii_string_to_signed(text, 10, min, max, &v, NULL))
        return false;
    *out = v;
    return true;
}

static size_t cli_count(const GOptionEntry *e)
{
    size_t n = 0;
    while (e && e[n].long_name)
        n++;
    return n;
}

/* Does option type A hold a string (or strings) that GOption allocates? */
static bool cli_is_string_arg(GOptionArg a)
{
    return a == G_OPTION_ARG_STRING || a == G_OPTION_ARG_FILENAME ||
           a == G_OPTION_ARG_STRING_ARRAY || a == G_OPTION_ARG_FILENAME_ARRAY;
}

/* What the string options of the two tables ALL point to before parsing (one slot per
 * entry, in order); cli_strings_keep() frees it. */
static void **cli_strings_before(const GOptionEntry *all[2])
{
    void **before = g_new0(void *, cli_count(all[0]) + cli_count(all[1]) + 1);
    for (int k = 0, j = 0; k < 2; k++)
        for (size_t i = 0; i < cli_count(all[k]); i++, j++)
            if (cli_is_string_arg(all[k][i].arg))
                before[j] = *(void **)all[k][i].arg_data;
    return before;
}

/* What changed was allocated by the parser: keep it (cli_keep) until exit; free BEFORE. */
static void cli_strings_keep(const GOptionEntry *all[2], void **before)
{
    for (int k = 0, j = 0; k < 2; k++)
        for (size_t i = 0; i < cli_count(all[k]); i++, j++) {
            if (!cli_is_string_arg(all[k][i].arg))
                continue;
            void *now = *(void **)all[k][i].arg_data;
            if (now && now != before[j])
                cli_keep(now);
        }
    g_free(before);
}

/* NARGS positional arguments (ARGV[1]...) against MIN_ARGS..MAX_ARGS: 0, or 2 after a
 * usage message. */
static int cli_check_args(struct cli *c, int nargs, char **argv, const char *params, int min_args,
                          int max_args)
{
    if (nargs < min_args)
        return cli_usage_error(c,
                               ngettext("missing argument: %s", "missing arguments: %s",
                                        (unsigned long)(min_args - nargs)),
                               params && *params ? params : "?");
    if (max_args >= 0 && nargs > max_args)
        return cli_usage_error(c, _("unexpected argument '%s'"), argv[1 + max_args]);
    return 0;
}

int cli_parse(struct cli *c, int *argc, char ***argv, const char *params, const char *summary,
              const char *description, const GOptionEntry *entries, const GOptionEntry *extra,
              int min_args, int max_args)
{
    gboolean help = FALSE;
    const GOptionEntry help_entry[] = {
        {"help", 'h', 0, G_OPTION_ARG_NONE, &help, N_("Show this help and exit"), NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GError *err = NULL;
    int rc = 0;

    /* --json decides how failures look, including a failure to parse the options. */
    for (int i = 1; i < *argc; i++) {
        if (!strcmp((*argv)[i], "--"))
            break;
        if (!strcmp((*argv)[i], "--json"))
            c->json = true;
    }
    /* What the string options point to before parsing: what changed was allocated. */
    const GOptionEntry *all[2] = {entries, extra};
    void **before = cli_strings_before(all);

    GOptionContext *ctx = g_option_context_new(params);
    g_option_context_set_help_enabled(ctx, FALSE);
    g_option_context_set_translation_domain(ctx, "kiosk");
    g_option_context_set_summary(ctx, summary ? _(summary) : NULL);
    if (description)
        g_option_context_set_description(ctx, _(description));
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (extra)
        g_option_context_add_main_entries(ctx, extra, NULL);
    g_option_context_add_main_entries(ctx, help_entry, NULL);
    g_set_prgname(c->cmd);
    bool ok = g_option_context_parse(ctx, argc, argv, &err);

    cli_strings_keep(all, before);

    if (!ok) {
        rc = cli_usage_error(c, "%s", err->message);
        goto out;
    }
    if (help) {
        char *text = g_option_context_get_help(ctx, TRUE, NULL);
        fputs(text, stdout);
        g_free(text);
        rc = fflush(stdout) == 0 ? 1 : 2;
        goto out;
    }
    /* What is left: the command's name and its positional arguments (GOption reports
     * unknown options itself, and strips a "--"). */
    rc = cli_check_args(c, *argc - 1, *argv, params, min_args, max_args);
out:
    g_clear_error(&err);
    g_option_context_free(ctx);
    return rc;
}

int cli_dispatch(const char *cmd, const struct cli_sub *subs, size_t n, int argc, char **argv)
{
    FILE *out = stderr;
    int rc = 2;
    if (argc >= 2) {
        if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
            out = stdout;
            rc = 0;
        } else {
            for (size_t i = 0; i < n; i++)
                if (!strcmp(argv[1], subs[i].name))
                    return subs[i].run(argc - 1, argv + 1);
            fprintf(stderr, _("%s: unknown command '%s'\n"), cmd, argv[1]);
        }
    } else {
        fprintf(stderr, _("%s: which command?\n"), cmd);
    }
    fprintf(out, _("Usage:\n  %s COMMAND [OPTION…] [ARGS]\n\nCommands:\n"), cmd);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-14s %s\n", subs[i].name, _(subs[i].summary));
    fprintf(out, _("\n'%s COMMAND --help' describes a command.\n"), cmd);
    return rc;
}

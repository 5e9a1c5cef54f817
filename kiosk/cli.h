/* cli.h - what every kiosk(8) command shares (the conventions of docs/cli.md):
 *
 *   - options are parsed by GOptionContext; `--help` (or -h) prints the command's help on
 *     stdout and the command exits 0; a usage error (unknown option, a number that is not
 *     one, a missing argument) is printed on stderr with a hint, exit status 2;
 *   - a failure is told in words on stderr and, with `--json`, also as one JSON object on
 *     stdout: {"status": "failed", "error": "..."}, so a script always gets JSON;
 *   - exit status 0 done, 1 failed or refused, 2 usage (commands may add meanings, e.g.
 *     `kiosk scan` 1 = some files held back, `kiosk status` 2 = service unreachable).
 *
 * Only GLib and json-glib: the TOS-side checker can link it too. */
#ifndef KIOSK_CLI_H
#define KIOSK_CLI_H

#include <glib.h>
#include <libintl.h>
#include <stdbool.h>

/* The CLI's sentences for people go through gettext(3), domain "kiosk" (po/; bound by
 * i18n_init_cli in main.c): LANG=ja_JP.UTF-8 kiosk scan ... speaks Japanese. */
#ifndef _
#define _(s) gettext(s)
#endif
#ifndef N_
#define N_(s) (s)
#endif

struct cli {
    const char *cmd; /* "kiosk scan": the prefix of every message */
    bool json;       /* --json was given (seen even when the options do not parse) */
    bool failed;     /* a JSON failure object was printed already */
};

/* Parse the options of command CMD ("kiosk scan").  (*argv)[0] is the command's name;
 * afterwards *argc and *argv hold it and the positional arguments.  PARAMS names them for
 * --help ("SOURCE"), SUMMARY is the paragraph under the usage line, DESCRIPTION the one
 * after the options (may be NULL).  ENTRIES and EXTRA (may be NULL) are NULL-terminated.
 * Positional arguments must number MIN_ARGS to MAX_ARGS (-1: any).
 * Returns 0 go on, 1 help was printed (exit 0), 2 usage error printed (exit 2). */
int cli_parse(struct cli *c, int *argc, char ***argv, const char *params, const char *summary,
              const char *description, const GOptionEntry *entries, const GOptionEntry *extra,
              int min_args, int max_args);

/* The exit status of a cli_parse() result that is not 0. */
int cli_parse_exit(int parse_rc);

/* A usage error found after parsing (a value out of range): printed like the parser's
 * own, and as JSON with --json.  Returns 2, the exit status. */
int cli_usage_error(struct cli *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* A failure: "CMD: message" on stderr; with --json, {"status":"failed","error":message}
 * on stdout (once).  Returns 1, the usual exit status. */
int cli_fail(struct cli *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* A whole-number option value in [MIN, MAX] (decimal, no sign for MIN >= 0, no trailing
 * characters).  false: *out untouched. */
bool cli_int_in_range(const char *text, gint64 min, gint64 max, gint64 *out);

/* Dispatch "CMD SUBCOMMAND ARGS..." (kiosk policy check FILE) from a table.  `CMD --help`
 * lists the subcommands (exit 0); no or an unknown subcommand: usage error (2). */
struct cli_sub {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] = the subcommand's name */
    const char *summary;
};
int cli_dispatch(const char *cmd, const struct cli_sub *subs, size_t n, int argc, char **argv);

#endif

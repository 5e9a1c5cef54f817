/* cmd-policy.c - `kiosk policy ...`: tools for the administrator's policy file.
 *
 *   kiosk policy check FILE   load and validate FILE; print a summary or every problem
 *                             as FILE:LINE: message.  Exit 0 valid, 1 invalid, 2 usage. */
#include <stdio.h>
#include <string.h>

#include "kiosk/cmd.h"
#include "policy/policy.h"

struct cmd_policy_entry {
    const char *name;
    int min_args; /* arguments after the sub-subcommand's name */
    int max_args;
    int (*exec)(int argc, char **argv);
};

static void cmd_policy_usage(FILE *f)
{
    fputs("usage: kiosk policy check FILE\n"
          "       kiosk policy install [OPTIONS] FILE SIGFILE\n"
          "  check FILE   validate a policy file (reference: docs/policy.md)\n"
          "  install      install a policy signed with minisign (docs/admin.md)\n",
          f);
}

static int cmd_policy_check(int argc, char **argv)
{
    const char *path = argv[1];
    GPtrArray *errors = g_ptr_array_new_with_free_func(policy_error_free);
    struct policy *p = NULL;
    int ret = 1;

    (void)argc;
    if (policy_load(path, &p, errors) != 0) {
        policy_errors_print(stderr, "", path, errors);
        if (errors->len == 0)
            fprintf(stderr, "%s: the policy is not valid\n", path);
        goto out;
    }
    printf("%s: OK \u2014 policy \"%s\" version %" G_GUINT64_FORMAT ", SHA-256 %s, %zu type "
           "rule%s\n",
           path, p->name, p->version, p->sha256, p->n_rules, p->n_rules == 1 ? "" : "s");
    ret = fflush(stdout) == 0 ? 0 : 1;
out:
    policy_free(p);
    g_ptr_array_unref(errors);
    return ret;
}

static const struct cmd_policy_entry cmd_policy_table[] = {
    {.name = "check", .min_args = 1, .max_args = 1, .exec = cmd_policy_check},
    {.name = "install", .min_args = 0, .max_args = 32, .exec = cmd_policy_install},
};

int cmd_policy(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
                      strcmp(argv[1], "help") == 0)) {
        cmd_policy_usage(stdout);
        return 0;
    }
    if (argc < 2) {
        cmd_policy_usage(stderr);
        return 2;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(cmd_policy_table); i++) {
        const struct cmd_policy_entry *c = &cmd_policy_table[i];
        if (strcmp(argv[1], c->name) != 0)
            continue;
        int nargs = argc - 2;
        if (nargs < c->min_args || nargs > c->max_args) {
            cmd_policy_usage(stderr);
            return 2;
        }
        return c->exec(argc - 1, argv + 1);
    }
    fprintf(stderr, "kiosk policy: unknown command '%s'\n", argv[1]);
    cmd_policy_usage(stderr);
    return 2;
}

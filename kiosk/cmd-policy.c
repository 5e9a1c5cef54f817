/* cmd-policy.c - `kiosk policy ...`: tools for the administrator's policy file.
 *
 *   kiosk policy check FILE   load and validate FILE; print a summary or every problem
 *                             as FILE:LINE: message.  Exit 0 valid, 1 invalid, 2 usage.
 *   kiosk policy install ...  cmd-admin.c */
#include <stdio.h>
#include <string.h>

#include "kiosk/cli.h"
#include "kiosk/cmd.h"
#include "policy/policy.h"

static int cmd_policy_check(int argc, char **argv)
{
    const GOptionEntry none[] = {{NULL, 0, 0, 0, NULL, NULL, NULL}};
    struct cli cl = {.cmd = "kiosk policy check"};
    int prc = cli_parse(&cl, &argc, &argv, "FILE",
                        "Validate a policy file (reference: kiosk-policy(5), docs/policy.md).\n"
                        "Every problem is printed as FILE:LINE: message.",
                        "Exit status: 0 valid, 1 invalid, 2 usage.\n", none, NULL, 1, 1);
    if (prc != 0)
        return cli_parse_exit(prc);
    const char *path = argv[1];
    GPtrArray *errors = g_ptr_array_new_with_free_func(policy_error_free);
    struct policy *p = NULL;
    int ret = 1;

    if (policy_load(path, &p, errors) != 0) {
        policy_errors_print(stderr, "", path, errors);
        if (errors->len == 0)
            fprintf(stderr, "%s: the policy is not valid\n", path);
        goto out;
    }
    GPtrArray *warnings = g_ptr_array_new_with_free_func(policy_error_free);
    policy_warnings(p, warnings);
    policy_errors_print(stderr, "warning: ", path, warnings); /* the exit status stays 0 */
    g_ptr_array_unref(warnings);
    printf("%s: OK \u2014 policy \"%s\" version %" G_GUINT64_FORMAT ", SHA-256 %s, %zu type "
           "rule%s\n",
           path, p->name, p->version, p->sha256, p->n_rules, p->n_rules == 1 ? "" : "s");
    ret = fflush(stdout) == 0 ? 0 : 1;
out:
    policy_free(p);
    g_ptr_array_unref(errors);
    return ret;
}

static const struct cli_sub cmd_policy_table[] = {
    {"check", cmd_policy_check, "validate a policy file"},
    {"install", cmd_policy_install, "install a policy signed with minisign (docs/admin.md)"},
};

int cmd_policy(int argc, char **argv)
{
    return cli_dispatch("kiosk policy", cmd_policy_table, G_N_ELEMENTS(cmd_policy_table), argc,
                        argv);
}

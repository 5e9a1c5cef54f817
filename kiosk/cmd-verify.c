/* cmd-verify.c - `kiosk verify-batch DIR`: check a delivery folder (verify-batch.h) with
 * the kiosk's configured public key by default. */
#include "common/json.h"
#include "common/util.h"
#include "kiosk/cli.h"
#include "kiosk/cmd.h"
#include "kiosk/config.h"
#include "handoff/verify-batch.h"

#include <stdio.h>

int cmd_verify_batch(int argc, char **argv)
{
    const char *pubkey = NULL, *config = NULL;
    gboolean json = FALSE;
    const GOptionEntry opts[] = {
        {"pubkey", 'k', 0, G_OPTION_ARG_FILENAME, &pubkey,
         "The kiosk's public key (default [paths] public-key, /etc/kiosk/signing.pub)", "FILE"},
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Settings file", "FILE"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the result as one JSON object", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    struct cli cl = {.cmd = "kiosk verify-batch"};
    int prc = cli_parse(&cl, &argc, &argv, "DIR",
                        "Check a delivery folder: the signatures of MANIFEST.json and SHA256SUMS, "
                        "every listed\nfile present with its size and SHA-256, nothing unlisted, "
                        "SHA256SUMS in agreement\nwith the manifest.  On a TOS machine without "
                        "the kiosk, kiosk-verify does the same.",
                        "Exit status: 0 all good, 1 problems (each is printed), 2 usage or "
                        "unreadable key.\n",
                        opts, NULL, 1, 1);
    if (prc != 0)
        return cli_parse_exit(prc);
    struct kiosk_config *cfg = NULL;
    struct sign_pubkey pk;
    char *why = NULL;
    int rc = 2;
    if (!pubkey) {
        if (config_load(config, &cfg, &why) != 0) {
            cli_fail(&cl, "%s", why);
            goto out;
        }
        pubkey = cfg->public_key;
    }
    if (sign_key_load_public(pubkey, &pk, &why) != 0) {
        cli_fail(&cl, "%s", why);
        goto out;
    }
    rc = verify_batch_report(argv[1], &pk, json);
out:
    config_free(cfg);
    g_free(why);
    return rc;
}

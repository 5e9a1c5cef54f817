/* kiosk-verify.c - kiosk-verify(1): the check of a delivery folder for TOS machines,
 * without the kiosk (verify-batch.h).  It links glib, json-glib and libsodium only.
 *
 *     kiosk-verify DIR --pubkey kiosk.pub [--json]
 *
 * Exit status: 0 the delivery is complete, unchanged and signed by the key; 1 problems
 * (each is named); 2 usage or an unreadable key.  The command-line conventions are the
 * kiosk's (kiosk/cli.h): --help exits 0, --json failures are a JSON object. */
#include "common/json.h"
#include "common/util.h"
#include "common/version.h"
#include "kiosk/cli.h"
#include "handoff/verify-batch.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    const char *pubkey = NULL;
    gboolean json = FALSE, version = FALSE;
    const GOptionEntry opts[] = {
        {"pubkey", 'k', 0, G_OPTION_ARG_FILENAME, &pubkey,
         "The kiosk's public key (minisign format; required)", "FILE"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the result as one JSON object", NULL},
        {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    struct cli cl = {.cmd = "kiosk-verify"};
    int prc = cli_parse(&cl, &argc, &argv, "DIR",
                        "Check a delivery folder of the USB quarantine kiosk: the signatures of "
                        "MANIFEST.json\nand SHA256SUMS by the kiosk's public key, every "
                        "delivered file present with its size\nand SHA-256, nothing unlisted.",
                        "Exit status: 0 all good, 1 problems (each is printed), 2 usage or "
                        "unreadable key.\n",
                        opts, NULL, 0, 1);
    if (prc != 0)
        return cli_parse_exit(prc);
    if (version) {
        printf("kiosk-verify %s\n", version_string());
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (argc != 2)
        return cli_usage_error(&cl, "missing argument: DIR");
    if (!pubkey)
        return cli_usage_error(&cl, "--pubkey FILE is required (the kiosk's signing.pub)");
    struct sign_pubkey pk;
    char *why = NULL;
    if (sign_key_load_public(pubkey, &pk, &why) != 0) {
        cli_fail(&cl, "%s", why);
        g_free(why);
        return 2;
    }
    return verify_batch_report(argv[1], &pk, json);
}

/* cmd-verify.c - `kiosk verify-batch DIR`: check a delivery folder (verify-batch.h) with
 * the kiosk's configured public key by default. */
#include "common/util.h"
#include "kiosk/cmd.h"
#include "kiosk/config.h"
#include "kiosk/verify-batch.h"

#include <getopt.h>
#include <stdio.h>

static const char cmd_verify_usage[] =
    "usage: kiosk verify-batch DIR [--pubkey FILE] [--config FILE] [--json]\n"
    "Checks a delivery folder: the signatures of MANIFEST.json and SHA256SUMS (--pubkey,\n"
    "default [paths] public-key, /etc/kiosk/signing.pub), every listed file present with its\n"
    "size and SHA-256, nothing unlisted, SHA256SUMS in agreement with the manifest.\n"
    "Exit status: 0 all good, 1 problems (each is printed), 2 usage or unreadable key.\n"
    "On a TOS machine without the kiosk, kiosk-verify does the same.\n";

int cmd_verify_batch(int argc, char **argv)
{
    static const struct option opts[] = {
        {"pubkey", required_argument, NULL, 'k'},
        {"config", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *pubkey = NULL, *config = NULL;
    bool json = false;
    int c, rc = 2;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': pubkey = optarg; break;
        case 'c': config = optarg; break;
        case 'j': json = true; break;
        case 'h': fputs(cmd_verify_usage, stdout); return 0;
        default: fputs(cmd_verify_usage, stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        fputs(cmd_verify_usage, stderr);
        return 2;
    }
    struct kiosk_config *cfg = NULL;
    struct sign_pubkey pk;
    struct verify_batch *b = NULL;
    char *why = NULL;
    if (!pubkey) {
        if (config_load(config, &cfg, &why) != 0) {
            fprintf(stderr, "kiosk: %s\n", why);
            goto out;
        }
        pubkey = cfg->public_key;
    }
    if (sign_key_load_public(pubkey, &pk, &why) != 0) {
        fprintf(stderr, "kiosk: %s\n", why);
        goto out;
    }
    verify_batch_run(argv[optind], &pk, &b);
    if (json) {
        JsonNode *n = verify_batch_json(b);
        char *text = util_json_text(n, true, NULL);
        printf("%s\n", text);
        g_free(text);
        json_node_unref(n);
    } else {
        verify_batch_print(b, stdout);
    }
    rc = b->ok ? 0 : 1;
out:
    verify_batch_free(b);
    config_free(cfg);
    g_free(why);
    return rc;
}

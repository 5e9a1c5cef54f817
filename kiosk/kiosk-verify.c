/* kiosk-verify.c - kiosk-verify(1): the check of a delivery folder for TOS machines,
 * without the kiosk (verify-batch.h).  It links glib, json-glib and libsodium only.
 *
 *     kiosk-verify DIR --pubkey kiosk.pub [--json]
 *
 * Exit status: 0 the delivery is complete, unchanged and signed by the key; 1 problems
 * (each is named); 2 usage or an unreadable key. */
#include "common/util.h"
#include "kiosk/verify-batch.h"

#include <getopt.h>
#include <stdio.h>

static const char kiosk_verify_usage[] =
    "usage: kiosk-verify DIR --pubkey FILE [--json]\n"
    "Checks a delivery folder of the USB quarantine kiosk: the signatures of MANIFEST.json\n"
    "and SHA256SUMS by the kiosk's public key (FILE, minisign format), every delivered file\n"
    "present with its size and SHA-256, nothing unlisted.\n"
    "Exit status: 0 all good, 1 problems (each is printed), 2 usage or unreadable key.\n";

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"pubkey", required_argument, NULL, 'k'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *pubkey = NULL;
    bool json = false;
    int c;
    while ((c = getopt_long(argc, argv, "hk:", opts, NULL)) != -1) {
        switch (c) {
        case 'k': pubkey = optarg; break;
        case 'j': json = true; break;
        case 'h': fputs(kiosk_verify_usage, stdout); return 0;
        default: fputs(kiosk_verify_usage, stderr); return 2;
        }
    }
    if (optind != argc - 1 || !pubkey) {
        fputs(kiosk_verify_usage, stderr);
        return 2;
    }
    struct sign_pubkey pk;
    char *why = NULL;
    if (sign_key_load_public(pubkey, &pk, &why) != 0) {
        fprintf(stderr, "kiosk-verify: %s\n", why);
        g_free(why);
        return 2;
    }
    struct verify_batch *b = NULL;
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
    int rc = b->ok ? 0 : 1;
    verify_batch_free(b);
    return rc;
}

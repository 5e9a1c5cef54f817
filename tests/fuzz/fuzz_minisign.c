/* libFuzzer target: the minisign readers (kiosk/sign.c): public keys and detached
 * signatures come from administrators' workstations and from the TOS side's copies; a
 * forged file must be refused, never crash or verify. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <stdbool.h>

#include "kiosk/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dir[] = "/tmp/fuzz-minisign-XXXXXX";
    static char *msg, *sig;
    static struct sign_pubkey key;
    static bool ready;
    if (!ready) {
        if (!mkdtemp(dir))
            abort();
        char *sec = g_build_filename(dir, "k.key", NULL), *pub = g_build_filename(dir, "k.pub", NULL);
        char id[17], *why = NULL;
        if (sign_keygen(sec, pub, id, &why) != 0 || sign_key_load_public(pub, &key, &why) != 0)
            abort();
        msg = g_build_filename(dir, "msg", NULL);
        sig = g_build_filename(dir, "msg.minisig", NULL);
        g_file_set_contents(msg, "a manifest", -1, NULL);
        g_free(sec);
        g_free(pub);
        ready = true;
    }
    /* as a public key */
    struct sign_pubkey pk;
    char *why = NULL;
    (void)sign_key_parse_public((const char *)data, size, &pk, &why);
    g_free(why);
    why = NULL;
    /* as a signature of msg: random bytes must never verify */
    if (!g_file_set_contents(sig, (const char *)data, (gssize)size, NULL))
        abort();
    int r = sign_verify_file(&key, msg, sig, NULL, &why);
    g_free(why);
    if (r == 0)
        abort();
    return 0;
}

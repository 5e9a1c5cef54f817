/* verify-batch.h - the TOS side's check of a delivery folder.
 *
 * A delivery is good when MANIFEST.json.sig is a valid signature of MANIFEST.json by the
 * kiosk's key, every delivered file the manifest lists is there as a regular file with
 * the listed size and SHA-256, nothing else is there (besides MANIFEST.json, SHA256SUMS
 * and their signatures), and SHA256SUMS (signed by the same key) says exactly what the
 * manifest says.  Every problem is named.
 *
 * The folder may be forged: the manifest is read by verify-manifest.c (strict JSON, every
 * field type-checked, only paths the kiosk could have written), nothing in the folder is
 * followed through a symbolic link, and names are escaped before they are shown.
 * Front ends: `kiosk verify-batch` (cmd-verify.c) and `kiosk-verify` (kiosk-verify.c, the
 * small program for TOS machines: glib, json-glib and libsodium only). */
#ifndef KIOSK_VERIFY_BATCH_H
#define KIOSK_VERIFY_BATCH_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdio.h>

#include "kiosk/sign.h"

struct verify_batch {
    char *dir;
    bool ok;               /* no problem */
    char key_id[17];       /* the key checked against */
    char *session;         /* what the manifest says, or NULL */
    char *trusted_comment; /* of MANIFEST.json.sig, when it verified */
    unsigned files;        /* delivered files listed */
    unsigned sanitized;    /* of them, sanitized copies (active content removed) */
    GPtrArray *problems;   /* text for people (names escaped) */
    GPtrArray *notes;      /* remarks that are not problems */
};

/* Check DIR against the public key PK.  Always sets *out; returns 0, or KERR_NOT_FOUND
 * when DIR is not a folder that can be read (a problem says so too). */
int verify_batch_run(const char *dir, const struct sign_pubkey *pk, struct verify_batch **out);
void verify_batch_free(struct verify_batch *b);

/* "PROBLEM: ..." lines, "note: ..." lines, then "OK: ..." or "FAILED: ...". */
void verify_batch_print(const struct verify_batch *b, FILE *out);

/* {"folder","ok","key_id","session","trusted_comment","files","sanitized","problems":[],
 *  "notes":[]} */
JsonNode *verify_batch_json(const struct verify_batch *b);

/* Check DIR with key PK (verify_batch_run) and print the result on stdout: one JSON
 * object with JSON, else the human report.  What kiosk-verify and kiosk verify-batch do
 * once they have the key.  Returns the exit status: 0 all good, 1 problems. */
int verify_batch_report(const char *dir, const struct sign_pubkey *pk, bool json);

#endif

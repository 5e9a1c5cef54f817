/* manifest.h - MANIFEST.json: what a session delivered, and what it held back and why.
 * Written into the session folder before it is published; the TOS side reads it
 * (and `kiosk verify-batch` checks it). */
#ifndef KIOSK_MANIFEST_H
#define KIOSK_MANIFEST_H

#include <json-glib/json-glib.h>

#include "kiosk/session.h"

#define MANIFEST_NAME "MANIFEST.json"
#define MANIFEST_FORMAT 1

/* Build the manifest document of R. */
JsonNode *manifest_build(const struct session_result *r);

/* Write it as DIR/MANIFEST.json (mode 0644, fsync'd) and put its SHA-256 into sha256_out. */
int manifest_write(const struct session_result *r, const char *dir, char sha256_out[65],
                   char **why);

#endif

/* manifest.h - MANIFEST.json: what a session delivered, and what it held back and why;
 * and SHA256SUMS: the delivered files (and MANIFEST.json) in GNU sha256sum's format, so
 * the TOS side checks a delivery with stock tools (`sha256sum -c`, `minisign -V`,
 * PowerShell's Get-FileHash).  Both are written into the delivery before it goes to the
 * outbox, and signed (sign.h); `kiosk verify-batch` and `kiosk-verify` check them. */
#ifndef KIOSK_MANIFEST_H
#define KIOSK_MANIFEST_H

#include <json-glib/json-glib.h>

#include "kiosk/session.h"

#define MANIFEST_NAME "MANIFEST.json"
#define MANIFEST_SUMS_NAME "SHA256SUMS"
#define MANIFEST_FORMAT 1

/* Build the manifest document of R. */
JsonNode *manifest_build(const struct session_result *r);

/* The exact bytes of MANIFEST.json (indented JSON and a final newline); *len its size. */
char *manifest_text(const struct session_result *r, gsize *len);

/* SHA256SUMS: "<sha256>  <staged path>" for every delivered file in R's order, then the
 * line of MANIFEST.json (MANIFEST_SHA256).  Staged paths never hold a newline or a
 * backslash (names.h), so no line needs sha256sum's escaping. */
char *manifest_sums_text(const struct session_result *r, const char *manifest_sha256);

#endif

/* manifest.h - MANIFEST.json: what a session delivered, and what it held back and why;
 * and SHA256SUMS: the delivered files (and MANIFEST.json) in GNU sha256sum's format, so
 * the TOS side checks a delivery with stock tools (`sha256sum -c`, `minisign -V`,
 * PowerShell's Get-FileHash).  Both are written into the delivery before it goes to the
 * outbox, and signed (sign.h); `kiosk verify-batch` and `kiosk-verify` check them. */
#ifndef KIOSK_MANIFEST_H
#define KIOSK_MANIFEST_H

#include <json-glib/json-glib.h>

#define MANIFEST_NAME "MANIFEST.json"
#define MANIFEST_SUMS_NAME "SHA256SUMS"
#define MANIFEST_FORMAT 1

/* The manifest document: "format" and "generator", then the members of SESSION (the
 * session's own fields), then "files" (FILES: an array, one object per entry).  Both are
 * consumed.  session_manifest_json (session.h) builds the one of a session's result. */
JsonNode *manifest_build(JsonObject *session, JsonNode *files);

/* The exact bytes of MANIFEST.json of DOC (indented JSON and a final newline); *len its
 * size. */
char *manifest_text(JsonNode *doc, gsize *len);

/* SHA256SUMS: "<sha256>  <staged_path>" for every entry of DOC's "files" that has both
 * (the delivered files), in their order, then the line of MANIFEST.json
 * (MANIFEST_SHA256).  Staged paths never hold a newline or a backslash (names.h), so no
 * line needs sha256sum's escaping. */
char *manifest_sums_text(JsonNode *doc, const char *manifest_sha256);

#endif

/* sign.h - Ed25519 signatures of deliveries (libsodium), in minisign's file formats so
 * that anyone can check them with the `minisign` tool:
 *
 *   public key file   "untrusted comment: <text>\n"
 *                     base64("Ed" || key id (8) || public key (32)) "\n"
 *   secret key file   "untrusted comment: <text>\n"
 *                     base64("Ed" || kdf "\0\0" (unencrypted) || "B2" || salt (32) ||
 *                            opslimit (8, LE) || memlimit (8, LE) || key id (8) ||
 *                            secret key (64) || BLAKE2b-256("Ed" || key id || sk)) "\n"
 *                     (minisign -W's unencrypted format; mode 0600, owner only)
 *   signature file    "untrusted comment: <text>\n"
 *                     base64("ED" || key id || Ed25519(BLAKE2b-512(file))) "\n"
 *                     "trusted comment: <text>\n"
 *                     base64(Ed25519(signature (64) || trusted comment text)) "\n"
 *
 * Verification also accepts minisign's legacy "Ed" signatures (over the file itself).
 * The key id is shown as minisign shows it: 16 upper-case hex digits of the id read as a
 * little-endian 64-bit number.  Functions return 0 or a negative KERR_* with *why. */
#ifndef KIOSK_SIGN_H
#define KIOSK_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGN_KEY_ID_BYTES 8
#define SIGN_SUFFIX ".sig"

struct sign_pubkey {
    uint8_t id[SIGN_KEY_ID_BYTES];
    uint8_t pk[32];
};

struct sign_seckey; /* kept in libsodium's guarded memory */

/* Read a public key file (or a bare base64 key line). */
int sign_key_load_public(const char *path, struct sign_pubkey *out, char **why);
int sign_key_parse_public(const char *text, size_t len, struct sign_pubkey *out, char **why);

/* Read a secret key file.  Refuses files that group or others may read, and encrypted
 * (password-protected) minisign keys: the kiosk signs unattended. */
int sign_key_load_secret(const char *path, struct sign_seckey **out, char **why);
void sign_key_free(struct sign_seckey *k);
void sign_key_public_of(const struct sign_seckey *k, struct sign_pubkey *out);

/* "D1F0C2E3A4B5C6D7" into out[17]. */
void sign_key_id_hex(const uint8_t id[SIGN_KEY_ID_BYTES], char out[17]);

/* Create a new key pair: SECRET_PATH (mode 0600, must not exist) and PUBLIC_PATH
 * (mode 0644, replaced if present).  *id_hex (may be NULL) gets the key id. */
int sign_keygen(const char *secret_path, const char *public_path, char id_hex[17], char **why);

/* Sign PATH with KEY into SIG_PATH (written to a temporary file, fsync'd, renamed).
 * TRUSTED_COMMENT may be NULL: "timestamp:<unix time>\tfile:<base name>\thashed". */
int sign_file(const struct sign_seckey *key, const char *path, const char *sig_path,
              const char *trusted_comment, char **why);

/* A plain Ed25519 signature of DATA (LEN bytes; short messages such as an audit
 * checkpoint): *sig_b64 gets base64 of its 64 bytes (newly allocated), id_hex the key id. */
int sign_data_detached(const struct sign_seckey *key, const void *data, size_t len,
                       char id_hex[17], char **sig_b64, char **why);
/* Check such a signature: 0, KERR_CORRUPT (does not verify) or KERR_INVAL (malformed). */
int sign_verify_detached(const struct sign_pubkey *key, const void *data, size_t len,
                         const char *sig_b64, char **why);

/* The trusted comment of a delivery's MANIFEST.json.sig, which binds the signature to the
 * session (its folder's name) and to the time it was made:
 *     "timestamp:<unix time>\tfile:<FILE>\tsession:<SESSION>\thashed"
 * (minisign's own fields plus "session"; newly allocated). */
char *sign_delivery_comment(const char *file, const char *session, int64_t when);

/* The value of field KEY ("timestamp", "session", ...) of a tab-separated trusted comment
 * of key:value fields, or NULL (newly allocated). */
char *sign_comment_get(const char *comment, const char *key);
/* The same for bytes in memory: *sig_text gets the signature file's text (newly
 * allocated); NAME is the file's base name for the default trusted comment. */
int sign_data(const struct sign_seckey *key, const void *data, size_t len, const char *name,
              const char *trusted_comment, char **sig_text, char **why);

/* PUBLIC_PATH for a secret key at SECRET_PATH: "x.key" -> "x.pub", else SECRET_PATH ".pub". */
char *sign_public_path_for(const char *secret_path);

/* A kiosk signs by default: create the key pair at SECRET_PATH (and the public key beside
 * it, sign_public_path_for) when there is none.  0 when a usable key is there afterwards;
 * *created tells whether it was made now, *id_hex (may be NULL) gets its id. */
int sign_ensure_key(const char *secret_path, bool *created, char id_hex[17], char **why);

/* Load the secret key at KEY_PATH and sign PATH into PATH.sig (what a session does). */
int sign_file_with_key_file(const char *key_path, const char *path, char **why);

/* The key id (hex, as sign_key_id_hex) a signature file names, without checking it. */
int sign_signature_key_id(const char *sig_path, char id_hex[17], char **why);

/* Check SIG_PATH against PATH and KEY: key id, the file signature and the signature of
 * the trusted comment.  KERR_CORRUPT when a signature does not verify (or was made by
 * another key), KERR_INVAL when the file is not a signature.  *trusted_comment (may be
 * NULL) gets the trusted comment on success. */
int sign_verify_file(const struct sign_pubkey *key, const char *path, const char *sig_path,
                     char **trusted_comment, char **why);

/* The same for bytes already read (DATA, LEN; NAME for messages): what is checked is
 * exactly what the caller goes on to use, not a file that may change in between. */
int sign_verify_data(const struct sign_pubkey *key, const char *data, size_t len,
                     const char *name, const char *sig_path, char **trusted_comment, char **why);

#endif

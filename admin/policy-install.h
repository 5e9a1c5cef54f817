/* policy-install.h - signed policy updates.
 *
 * A policy update is the policy file plus a detached minisign signature (`minisign -Sm
 * policy.conf` on the administrator's workstation).  The kiosk trusts the public keys
 * (*.pub, minisign format) in one folder (default /etc/kiosk/admin-keys) that must be
 * owned by root and writable by nobody else, as must each key file.
 *
 * The file is read once into a temporary file beside the installed policy; the signature,
 * the validation and the install all use that copy.  Refused, with a reason code and a
 * text for people: "unsigned" (no signature file), "untrusted-keys" (the key folder or a
 * key may be changed by someone other than root, or holds no key), "unknown-key",
 * "bad-signature", "invalid-policy" (each problem with its line), "rollback" (version not
 * higher than the installed one, nor than the highest version ever installed: the floor
 * kept in the admin state, admin.h, so a missing or broken policy file does not let an
 * older signed policy back in), "error" (I/O, or an admin state that cannot be read).  Accepted: fsync + rename over the
 * configured policy path (the service notices and reloads).  Every attempt is recorded in
 * the audit log as "policy-install" with old and new version, key id and the file's
 * SHA-256. */
#ifndef KIOSK_POLICY_INSTALL_H
#define KIOSK_POLICY_INSTALL_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct audit;

struct policy_install_result {
    const char *code;        /* "installed" or one of the refusal codes above */
    char key_id[17];         /* the signature's key id ("" when unknown) */
    char sha256[65];         /* of the file's bytes ("" when unread) */
    uint64_t old_version;    /* 0 when no valid policy was installed */
    uint64_t new_version;    /* 0 when the new file does not validate */
    uint64_t floor;          /* the highest version ever installed before this one */
    bool floor_error;        /* installed, but the new floor could not be saved */
    char *new_name;
    char *trusted_comment;
    GPtrArray *problems;     /* char *, "LINE: message", for invalid-policy */
};

/* Install FILE signed by SIG_FILE as TARGET (the configured policy path), trusting the keys
 * in KEYS_DIR, with the rollback floor kept in STATE_PATH (the admin state; NULL = the
 * installed policy's version only, for tests).  Returns 0, or a negative KERR_* with *why
 * (text for people) and res->code. */
int policy_install(const char *target, const char *keys_dir, const char *state_path,
                   const char *file, const char *sig_file, struct audit *a,
                   struct policy_install_result *res, char **why);

void policy_install_result_clear(struct policy_install_result *res);

/* Check that KEYS_DIR and its *.pub files are root's alone and load the keys
 * (struct sign_pubkey *, g_free).  Returns 0 or KERR_INVAL with *why. */
int policy_install_load_keys(const char *keys_dir, GPtrArray **keys, char **why);

#endif

/* policy-install.c - verify and install a signed policy update (policy-install.h). */
#include "admin/policy-install.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"
#include "admin/admin.h"
#include "kiosk/audit.h"
#include "kiosk/sign.h"
#include "policy/policy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define POLICY_INSTALL_MAX_SIZE (1024 * 1024) /* a policy file is a few KiB */

/* Owned by root, not writable by group or others, and not a symlink. */
static bool policy_install_root_only(const struct stat *st)
{
    return st->st_uid == 0 && (st->st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

int policy_install_load_keys(const char *keys_dir, GPtrArray **keys, char **why)
{
    struct stat st;
    *keys = g_ptr_array_new_with_free_func(g_free);
    int dfd = open(keys_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (dfd < 0) {
        *why = g_strdup_printf("the trusted key folder %s cannot be opened: %s", keys_dir,
                               g_strerror(errno));
        return KERR_INVAL;
    }
    if (fstat(dfd, &st) != 0 || !policy_install_root_only(&st)) {
        *why = g_strdup_printf("the trusted key folder %s must be owned by root and writable "
                               "by nobody else; no key in it is trusted",
                               keys_dir);
        close(dfd);
        return KERR_INVAL;
    }
    DIR *d = fdopendir(dfd);
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !g_str_has_suffix(de->d_name, ".pub"))
            continue;
        char *path = g_build_filename(keys_dir, de->d_name, NULL);
        char *kwhy = NULL;
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
            !policy_install_root_only(&st)) {
            *why = g_strdup_printf("the key file %s must be a regular file owned by root and "
                                   "writable by nobody else; refusing every key",
                                   path);
            rc = KERR_INVAL;
        } else {
            struct sign_pubkey *k = g_new0(struct sign_pubkey, 1);
            if (sign_key_load_public(path, k, &kwhy) != 0) {
                log_warn("trusted keys: %s is not a public key (%s); ignored", path, kwhy);
                g_free(k);
            } else {
                g_ptr_array_add(*keys, k);
            }
        }
        g_free(kwhy);
        g_free(path);
    }
    closedir(d);
    if (rc == 0 && (*keys)->len == 0) {
        *why = g_strdup_printf("the trusted key folder %s holds no administrator key (*.pub)",
                               keys_dir);
        rc = KERR_INVAL;
    }
    return rc;
}

void policy_install_result_clear(struct policy_install_result *res)
{
    g_free(res->new_name);
    g_free(res->trusted_comment);
    if (res->problems)
        g_ptr_array_free(res->problems, TRUE);
    memset(res, 0, sizeof(*res));
}

/* Read FILE once (bounded) into a new temp file beside TARGET; *tmp gets its path. */
static int policy_install_copy(const char *file, const char *target, char **tmp, char sha[65],
                               char **why)
{
    char *data = NULL;
    gsize len = 0;
    GError *err = NULL;
    struct stat st;
    int rc = KERR_SYSTEM;
    if (stat(file, &st) != 0) {
        *why = g_strdup_printf("%s: %s", file, g_strerror(errno));
        return KERR_SYSTEM;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > POLICY_INSTALL_MAX_SIZE) {
        *why = g_strdup_printf("%s is not a policy file (not a regular file of at most 1 MiB)",
                               file);
        return KERR_INVAL;
    }
    if (!g_file_get_contents(file, &data, &len, &err)) {
        *why = g_strdup_printf("%s: %s", file, err->message);
        g_error_free(err);
        return KERR_SYSTEM;
    }
    if (len > POLICY_INSTALL_MAX_SIZE) {
        *why = g_strdup_printf("%s grew while being read", file);
        g_free(data);
        return KERR_INVAL;
    }
    util_sha256_hex(data, len, sha);
    char *dir = g_path_get_dirname(target);
    char *base = g_path_get_basename(target);
    util_mkdir_p(dir, 0755);
    *tmp = g_strdup_printf("%s/.%s.install.XXXXXX", dir, base);
    int fd = g_mkstemp_full(*tmp, O_RDWR | O_CLOEXEC, 0644);
    if (fd < 0) {
        *why = g_strdup_printf("%s: %s", *tmp, g_strerror(errno));
        g_clear_pointer(tmp, g_free);
    } else if (fchmod(fd, 0644) != 0 || util_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        *why = g_strdup_printf("%s: write: %s", *tmp, g_strerror(errno));
        close(fd);
        unlink(*tmp);
        g_clear_pointer(tmp, g_free);
    } else {
        close(fd);
        rc = 0;
    }
    g_free(dir);
    g_free(base);
    g_free(data);
    return rc;
}

/* The signature SIG_FILE of the copy TMP (of FILE): present, by a trusted administrator
 * key of KEYS_DIR, matching.  0, or a KERR_* with *why and res->code. */
static int policy_install_verify(const char *keys_dir, const char *file, const char *sig_file,
                                 const char *tmp, struct policy_install_result *res, char **why)
{
    GPtrArray *keys = NULL;
    const struct sign_pubkey *key = NULL;
    char *vwhy = NULL;
    int rc = KERR_INVAL;
    if (!sig_file || access(sig_file, F_OK) != 0) {
        res->code = "unsigned";
        *why = g_strdup_printf("the policy is not signed: no signature file %s (sign it with "
                               "'minisign -Sm %s')",
                               sig_file ? sig_file : "", file);
        return KERR_INVAL;
    }
    if (sign_signature_key_id(sig_file, res->key_id, &vwhy) != 0) {
        res->code = "bad-signature";
        *why = g_strdup_printf("%s is not a minisign signature file", sig_file);
        g_free(vwhy);
        return KERR_INVAL;
    }
    if ((rc = policy_install_load_keys(keys_dir, &keys, why)) != 0) {
        res->code = "untrusted-keys";
        return rc;
    }
    for (guint i = 0; i < keys->len && !key; i++) {
        char id[17];
        sign_key_id_hex(((struct sign_pubkey *)g_ptr_array_index(keys, i))->id, id);
        if (!strcmp(id, res->key_id))
            key = g_ptr_array_index(keys, i);
    }
    rc = KERR_INVAL;
    if (!key) {
        res->code = "unknown-key";
        *why = g_strdup_printf("the policy was signed by key %s, which is not a trusted "
                               "administrator key (in %s)",
                               res->key_id, keys_dir);
    } else if (sign_verify_file(key, tmp, sig_file, &res->trusted_comment, &vwhy) != 0) {
        res->code = "bad-signature";
        *why = g_strdup_printf("the signature %s does not match %s (the file was changed after "
                               "signing, or the signature is damaged or forged)",
                               sig_file, file);
        rc = KERR_CORRUPT;
    } else {
        rc = 0;
    }
    g_ptr_array_free(keys, TRUE);
    g_free(vwhy);
    return rc;
}

/* The signed copy TMP (of FILE) as a policy (*NEU): valid, and newer than the installed
 * one CUR (may be NULL) and than the rollback floor.  0, or a KERR_* with *why and
 * res->code. */
static int policy_install_check(const char *file, const char *tmp, const struct policy *cur,
                                struct policy **neu, struct policy_install_result *res, char **why)
{
    GPtrArray *perrs = g_ptr_array_new_with_free_func(policy_error_free);
    int rc = policy_load(tmp, neu, perrs) != 0 ? KERR_POLICY : 0;
    if (rc != 0) {
        res->code = "invalid-policy";
        for (guint i = 0; i < perrs->len; i++) {
            const struct policy_error *e = g_ptr_array_index(perrs, i);
            g_ptr_array_add(res->problems, g_strdup_printf("%s:%d: %s", file, e->line, e->message));
        }
        *why = g_strdup_printf("the signed policy is not valid (%u problem%s)", perrs->len,
                               perrs->len == 1 ? "" : "s");
    }
    g_ptr_array_free(perrs, TRUE);
    if (rc != 0)
        return rc;
    res->new_version = (*neu)->version;
    res->new_name = g_strdup((*neu)->name);
    if (cur && (*neu)->version <= cur->version && cur->version >= res->floor) {
        res->code = "rollback";
        *why = g_strdup_printf("the policy's version %" G_GUINT64_FORMAT " is not higher than "
                               "the installed version %" G_GUINT64_FORMAT " (rollback refused)",
                               (*neu)->version, cur->version);
        return KERR_INVAL;
    }
    if ((*neu)->version <= res->floor) {
        res->code = "rollback";
        *why = g_strdup_printf("the policy's version %" G_GUINT64_FORMAT " is not higher than "
                               "version %" G_GUINT64_FORMAT ", the highest ever installed on this "
                               "kiosk (rollback refused; the installed policy is %s)",
                               (*neu)->version, res->floor, cur ? "older" : "missing or not valid");
        return KERR_INVAL;
    }
    return 0;
}

/* The "policy-install" audit record (HAD_CUR: a policy was installed before). */
static void policy_install_record(struct audit *a, const char *target, const char *state_path,
                                  const char *file, const char *sig_file, bool had_cur,
                                  const struct policy_install_result *res, int rc, const char *why)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "result", res->code);
    json_object_set_boolean_member(o, "ok", rc == 0);
    json_object_set_string_member(o, "file", file);
    json_object_set_string_member(o, "signature", sig_file ? sig_file : "");
    json_object_set_string_member(o, "policy", target);
    if (res->sha256[0])
        json_object_set_string_member(o, "sha256", res->sha256);
    if (res->key_id[0])
        json_object_set_string_member(o, "key_id", res->key_id);
    if (had_cur)
        json_object_set_int_member(o, "old_version", (gint64)res->old_version);
    else
        json_object_set_null_member(o, "old_version");
    if (res->new_version)
        json_object_set_int_member(o, "new_version", (gint64)res->new_version);
    if (state_path)
        json_object_set_int_member(o, "floor", (gint64)res->floor);
    if (res->floor_error)
        json_object_set_boolean_member(o, "floor_saved", FALSE);
    if (res->trusted_comment)
        json_object_set_string_member(o, "trusted_comment", res->trusted_comment);
    if (rc != 0) {
        json_object_set_string_member(o, "reason", why);
        if (res->problems->len) {
            JsonArray *arr = json_array_new();
            for (guint i = 0; i < res->problems->len && i < 50; i++)
                json_array_add_string_element(arr, g_ptr_array_index(res->problems, i));
            json_object_set_array_member(o, "problems", arr);
        }
    }
    if (a && (audit_append(a, "policy-install", o) != 0 || audit_sync(a) != 0)) {
        log_error("audit: cannot record the policy install");
        if (rc == 0)
            log_error("the policy WAS installed; the audit log must be repaired");
    }
    json_object_unref(o);
}

int policy_install(const char *target, const char *keys_dir, const char *state_path,
                   const char *file, const char *sig_file, struct audit *a,
                   struct policy_install_result *res, char **why)
{
    struct policy *cur = NULL, *neu = NULL;
    char *tmp = NULL;
    int rc = KERR_INVAL;

    memset(res, 0, sizeof(*res));
    res->code = "error";
    res->problems = g_ptr_array_new_with_free_func(g_free);

    /* The installed policy, for the rollback check and the record. */
    if (policy_load(target, &cur, NULL) == 0)
        res->old_version = cur->version;
    /* The rollback floor: the highest version ever installed, kept where the policy file's
     * own state (missing, broken) cannot lower it.  A state file that cannot be read
     * refuses the install (fail closed). */
    if (state_path && admin_state_policy_floor(state_path, &res->floor, why) != 0) {
        res->code = "error";
        rc = KERR_SYSTEM;
        goto record;
    }
    if ((rc = policy_install_copy(file, target, &tmp, res->sha256, why)) != 0 ||
        (rc = policy_install_verify(keys_dir, file, sig_file, tmp, res, why)) != 0 ||
        (rc = policy_install_check(file, tmp, cur, &neu, res, why)) != 0)
        goto record;
    if (rename(tmp, target) != 0) {
        res->code = "error";
        *why = g_strdup_printf("cannot replace %s: %s", target, g_strerror(errno));
        rc = KERR_SYSTEM;
        goto record;
    }
    g_clear_pointer(&tmp, g_free); /* it is the policy now */
    char *dir = g_path_get_dirname(target);
    util_fsync_dir(dir);
    g_free(dir);
    res->code = "installed";
    char *fwhy = NULL;
    if (state_path && admin_state_raise_policy_floor(state_path, neu->version, &fwhy) != 0) {
        /* Installed (the file is in place) but the floor did not move: say so loudly. */
        log_error("policy installed, but the rollback floor could not be saved: %s", fwhy);
        res->floor_error = true;
    }
    g_free(fwhy);
record:
    if (tmp) {
        unlink(tmp);
        g_free(tmp);
    }
    policy_install_record(a, target, state_path, file, sig_file, cur != NULL, res, rc,
                          rc ? *why : NULL);
    if (rc == 0)
        log_info("policy %s installed: version %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT
                 ", key %s, SHA-256 %s",
                 target, res->old_version, res->new_version, res->key_id, res->sha256);
    policy_free(cur);
    policy_free(neu);
    return rc;
}

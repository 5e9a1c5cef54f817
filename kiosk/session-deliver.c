/* session-deliver.c - a checked session's delivery: the clean files moved from the spool
 * into the delivery under safe, unique names, MANIFEST.json and SHA256SUMS written and
 * signed into it (session_deliver_seal), and the whole committed to the outbox with the
 * session's end on the audit record (session_deliver_commit). */
#include "kiosk/session.h"
#include "kiosk/session-private.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"
#include "kiosk/manifest.h"
#include "kiosk/sign.h"
#include "kiosk/disarm.h"
#include "media/names.h"
#include "handoff/outbox.h"
#include "handoff/target.h"
#include "handoff/workarea.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* The longest relative path a delivered file may have: PATH_MAX, less room for the share's
 * own path and the session folder in front of it (and what its readers can open). */
#define SESSION_MAX_STAGED_PATH (PATH_MAX - 256)

/* ---- the delivery ----------------------------------------------------------------- */

/* Find (or make) the staged name of raw folder path RAW_DIR.  Folder names are claimed
 * in their parent's names_dir, so files and folders never collide. */
static const char *session_staged_dir(GHashTable *dirs, GHashTable *claims, const char *raw_dir)
{
    const char *hit = g_hash_table_lookup(dirs, raw_dir);
    if (hit)
        return hit;
    char *parent_raw = g_path_get_dirname(raw_dir);
    const char *parent =
        !strcmp(parent_raw, ".") ? "" : session_staged_dir(dirs, claims, parent_raw);
    names_dir *nd = g_hash_table_lookup(claims, parent);
    if (!nd) {
        nd = names_dir_new();
        g_hash_table_insert(claims, g_strdup(parent), nd);
    }
    char *base_raw = g_path_get_basename(raw_dir);
    char *clean = names_sanitize(base_raw);
    char *name = names_dir_claim(nd, clean);
    char *staged = parent[0] ? g_strconcat(parent, "/", name, NULL) : g_strdup(name);
    g_hash_table_insert(dirs, g_strdup(raw_dir), staged);
    g_free(parent_raw);
    g_free(base_raw);
    g_free(clean);
    g_free(name);
    return staged;
}

int session_deliver(struct session_ctx *c, char **why)
{
    struct session_result *r = c->r;
    int rc = 0;
    /* raw folder path ("v1/dir/sub") -> staged folder path; staged folder -> names_dir */
    GHashTable *dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GHashTable *claims =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)names_dir_free);
    names_dir *top = names_dir_new();
    /* The manifest's names are the kiosk's; no file from the medium may take them. */
    g_free(names_dir_claim(top, MANIFEST_NAME));
    g_free(names_dir_claim(top, MANIFEST_NAME SIGN_SUFFIX));
    g_free(names_dir_claim(top, MANIFEST_SUMS_NAME));
    g_free(names_dir_claim(top, MANIFEST_SUMS_NAME SIGN_SUFFIX));
    g_hash_table_insert(claims, g_strdup(""), top);
    bool several = r->n_volumes > 1;
    if (several) {
        for (size_t i = 0; i < r->n_volumes; i++) {
            char *raw = g_strdup_printf("\x01v%zu", i + 1);
            char *nice = r->volumes[i].partno
                             ? g_strdup_printf("partition-%d", r->volumes[i].partno)
                             : g_strdup_printf("volume-%d", r->volumes[i].index);
            char *name = names_dir_claim(top, nice);
            g_hash_table_insert(dirs, raw, name);
            g_free(nice);
        }
    }
    for (guint i = 0; i < r->files->len && rc == 0; i++) {
        struct session_file *f = g_ptr_array_index(r->files, i);
        if (!verdict_deliverable(&f->verdict) || !f->candidate || !f->spool_name)
            continue;
        char *raw = several ? g_strdup_printf("\x01v%d/%s", f->volume, f->path) : g_strdup(f->path);
        char *raw_dir = g_path_get_dirname(raw);
        char *raw_base = g_path_get_basename(raw);
        const char *sdir = !strcmp(raw_dir, ".") ? "" : session_staged_dir(dirs, claims, raw_dir);
        names_dir *nd = g_hash_table_lookup(claims, sdir);
        if (!nd) {
            nd = names_dir_new();
            g_hash_table_insert(claims, g_strdup(sdir), nd);
        }
        /* a sanitized copy goes by its own name (.xlsm -> .xlsx) */
        char *clean = names_sanitize(f->disarm ? f->disarm->name : raw_base);
        char *name = names_dir_claim(nd, clean);
        f->staged_path = sdir[0] ? g_strconcat(sdir, "/", name, NULL) : g_strdup(name);
        char *dwhy = NULL;
        size_t plen = strlen(f->staged_path);
        if (plen > SESSION_MAX_STAGED_PATH) {
            /* Too long for the share and its readers (the share's own path and the session
             * folder come in front of it): this file only, not the session. */
            char bytes[24], limit[24];
            snprintf(bytes, sizeof(bytes), "%zu", plen);
            snprintf(limit, sizeof(limit), "%d", SESSION_MAX_STAGED_PATH);
            verdict_setr(&f->verdict, VERDICT_ERROR, "deliver.path-too-long", bytes, limit, NULL);
            unlinkat(c->work->spoolfd, f->spool_name, 0);
            g_clear_pointer(&f->staged_path, g_free);
        } else if (workarea_session_deliver(c->work, f->spool_name, f->staged_path, &dwhy) != 0) {
            *why = dwhy;
            rc = KERR_STAGING;
        }
        g_clear_pointer(&f->spool_name, g_free);
        g_free(raw);
        g_free(raw_dir);
        g_free(raw_base);
        g_free(clean);
        g_free(name);
    }
    g_hash_table_destroy(dirs);
    g_hash_table_destroy(claims);
    return rc;
}

/* Write NAME with DATA into the delivery and, with KEY, NAME.sig beside it. */
static int session_write_signed(struct session_ctx *c, struct sign_seckey *key, const char *name,
                                const char *data, size_t len, char **why)
{
    int rc = workarea_session_write(c->work, name, data, len, why);
    if (rc != 0 || !key)
        return rc;
    char *sig = NULL, *sname = g_strconcat(name, SIGN_SUFFIX, NULL), *swhy = NULL;
    /* The trusted comment binds the signature to this session and this time (kiosk
     * verify-batch checks both against the folder and the manifest). */
    char *tc = sign_delivery_comment(name, c->r->id, g_get_real_time() / G_USEC_PER_SEC);
    rc = sign_data(key, data, len, name, tc, &sig, &swhy);
    g_free(tc);
    if (rc == 0)
        rc = workarea_session_write(c->work, sname, sig, strlen(sig), why);
    else
        *why =
            g_strdup_printf("the delivery could not be signed (%s); nothing was delivered", swhy);
    g_free(sig);
    g_free(sname);
    g_free(swhy);
    return rc;
}

/* MANIFEST.json and SHA256SUMS into the delivery, each signed when the kiosk has a key.
 * Fail closed: a kiosk configured to sign never delivers anything unsigned. */
int session_deliver_seal(struct session_ctx *c, char **why)
{
    struct session_result *r = c->r;
    const char *keypath = c->p->signing_key;
    struct sign_seckey *key = NULL;
    char *text = NULL, *sums = NULL, *swhy = NULL;
    JsonNode *doc = NULL;
    gsize len = 0;
    int rc = 0;
    if (keypath && *keypath) {
        rc = sign_key_load_secret(keypath, &key, &swhy);
        if (rc != 0) {
            log_error("session %s: cannot sign the delivery: %s", r->id, swhy);
            *why = g_strdup_printf("the delivery could not be signed (%s); nothing was delivered",
                                   swhy);
            goto out;
        }
        struct sign_pubkey pk;
        sign_key_public_of(key, &pk);
        sign_key_id_hex(pk.id, r->sign_key_id);
    }
    doc = session_manifest_json(r);
    text = manifest_text(doc, &len);
    util_sha256_hex(text, len, r->manifest_sha256);
    rc = session_write_signed(c, key, MANIFEST_NAME, text, len, why);
    if (rc == 0) {
        sums = manifest_sums_text(doc, r->manifest_sha256);
        rc = session_write_signed(c, key, MANIFEST_SUMS_NAME, sums, strlen(sums), why);
    }
out:
    sign_key_free(key);
    if (doc)
        json_node_unref(doc);
    g_free(text);
    g_free(sums);
    g_free(swhy);
    return rc;
}

/* The delivery into the outbox, queued for publication, and the session's end on record:
 * from here on it reaches the TOS side whatever happens to the network or the kiosk
 * (outbox.h).  If the end cannot be recorded, the entry is taken back: nothing goes out
 * that the audit log does not show (invariant 6). */
int session_deliver_commit(struct session_ctx *c, struct audit *audit, char **why)
{
    struct session_result *r = c->r;
    const struct session_params *p = c->p;
    struct target *t = NULL;
    uint64_t bytes = 0, files = 0;
    int rc = target_parse(p->target, &t, why);
    if (rc != 0)
        return rc;
    rc = outbox_commit(c->work, p->outbox_group, &bytes, &files, why);
    if (rc != 0) {
        target_free(t);
        return rc;
    }
    r->target = g_strdup(t->spec);
    r->delivery = target_session_location(t, r->id);
    r->outbox = g_build_filename(p->work_dir, WORKAREA_OUTBOX, r->id, NULL);
    r->manifest_path = g_build_filename(r->outbox, MANIFEST_NAME, NULL);
    target_free(t);
    struct outbox_entry *e = outbox_entry_new(r->id);
    e->state = OUTBOX_QUEUED;
    e->target = g_strdup(r->target);
    e->location = g_strdup(r->delivery);
    g_strlcpy(e->manifest_sha256, r->manifest_sha256, sizeof(e->manifest_sha256));
    e->files = r->counts.delivered;
    e->bytes = bytes;
    e->created_us = g_get_real_time();
    rc = outbox_save(p->work_dir, e, why);
    if (rc == 0)
        util_test_hold(p->test_hold_fifo, r->id);
    if (rc == 0 && session_audit_end_record(audit, r) != 0) {
        rc = KERR_AUDIT;
        *why = g_strdup("the audit log could not record the end of the check; nothing was "
                        "delivered");
    }
    if (rc != 0) {
        char *rwhy = NULL;
        if (outbox_remove(p->work_dir, r->id, &rwhy) != 0)
            log_error("session %s: %s", r->id, rwhy);
        g_free(rwhy);
    }
    outbox_entry_free(e);
    return rc;
}

/* handoff.c - publication state changes, ordering and recovery (see handoff.h). */
#include "handoff/handoff.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"
#include "kiosk/audit.h"
#include "kiosk/sign.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

int handoff_open(const struct kiosk_config *cfg, struct handoff **out, char **why)
{
    struct handoff *h = g_new0(struct handoff, 1);
    int rc;
    h->cfg = cfg;
    h->outbox_group = (gid_t)-1;
    rc = target_parse(cfg->target, &h->target, why);
    if (rc != 0)
        goto fail;
    int wfd = workarea_open(cfg->work_dir, why);
    if (wfd < 0) {
        rc = KERR_STAGING;
        goto fail;
    }
    close(wfd);
    uid_t uid = (uid_t)-1;
    gid_t tos = (gid_t)-1;
    if (geteuid() == 0) {
        rc = publish_ids(NULL, h->target->kind == TARGET_DIR ? cfg->staging_group : NULL, &uid,
                         &h->outbox_group, &tos, why);
        if (rc != 0)
            goto fail;
    }
    if (h->target->kind == TARGET_DIR) {
        /* A local folder is checked (and made the publisher's) now: a link or a file
         * where it should be stops the kiosk before anything is read. */
        int tfd = target_open_dir(h->target, uid, tos, why);
        if (tfd < 0) {
            rc = KERR_STAGING;
            goto fail;
        }
        close(tfd);
    }
    if (cfg->signing_key && *cfg->signing_key) {
        char *kwhy = NULL;
        rc = sign_ensure_key(cfg->signing_key, &h->key_created, h->key_id, &kwhy);
        if (rc != 0) {
            *why = g_strdup_printf("deliveries could not be signed: %s", kwhy);
            g_free(kwhy);
            goto fail;
        }
        if (h->key_created) {
            char *pub = sign_public_path_for(cfg->signing_key);
            log_info("created the delivery signing key %s (id %s); give %s to the TOS side",
                     cfg->signing_key, h->key_id, pub);
            g_free(pub);
        }
    } else {
        log_warn("[paths] signing-key is empty: deliveries are NOT signed");
    }
    /* Testing mode only (the service's test hook, publish.h). */
    if (cfg->accept_loop)
        h->test_hold_fifo = g_getenv("KIOSK_TEST_PUBLISH_HOLD");
    *out = h;
    return 0;
fail:
    handoff_free(h);
    return rc;
}

int handoff_peek(const struct kiosk_config *cfg, struct handoff **out, char **why)
{
    struct handoff *h = g_new0(struct handoff, 1);
    h->cfg = cfg;
    h->outbox_group = (gid_t)-1;
    int rc = target_parse(cfg->target, &h->target, why);
    if (rc != 0) {
        handoff_free(h);
        return rc;
    }
    struct sign_seckey *k = NULL;
    char *kwhy = NULL;
    if (cfg->signing_key && *cfg->signing_key &&
        sign_key_load_secret(cfg->signing_key, &k, &kwhy) == 0) {
        struct sign_pubkey pk;
        sign_key_public_of(k, &pk);
        sign_key_id_hex(pk.id, h->key_id);
    }
    sign_key_free(k);
    g_free(kwhy);
    *out = h;
    return 0;
}

void handoff_free(struct handoff *h)
{
    if (!h)
        return;
    target_free(h->target);
    g_free(h);
}

void handoff_job(const struct handoff *h, const char *session, struct publish_job *job)
{
    *job = (struct publish_job){
        .work_dir = h->cfg->work_dir,
        .session = session,
        .target = h->target,
        .credentials = h->cfg->credentials,
        .group = h->cfg->staging_group,
        .test_hold_fifo = h->test_hold_fifo,
    };
}

struct outbox_entry *handoff_next(const struct handoff *h, gint64 *wait_us, char **why)
{
    GPtrArray *all = NULL;
    struct outbox_entry *next = NULL;
    *wait_us = -1;
    if (outbox_list(h->cfg->work_dir, &all, why) != 0)
        return NULL;
    gint64 now = g_get_real_time();
    for (guint i = 0; i < all->len; i++) {
        struct outbox_entry *e = g_ptr_array_index(all, i);
        if (e->state == OUTBOX_PUBLISHED || e->state == OUTBOX_COMMITTING)
            continue;
        /* The oldest unpublished entry goes first, whatever comes after it. */
        if (e->state == OUTBOX_FAILED && e->next_attempt_us > now) {
            *wait_us = e->next_attempt_us - now;
        } else {
            next = e;
            g_ptr_array_index(all, i) = NULL; /* transferred */
        }
        break;
    }
    g_ptr_array_free(all, TRUE);
    return next;
}

static void handoff_audit(struct audit *audit, const struct outbox_entry *e,
                          const struct publish_result *res)
{
    if (!audit)
        return;
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "session", e->session);
    json_object_set_string_member(o, "state", outbox_state_str(e->state));
    if (e->target)
        json_object_set_string_member(o, "target", e->target);
    if (e->location)
        json_object_set_string_member(o, "location", e->location);
    json_object_set_int_member(o, "attempt", e->attempts);
    if (e->manifest_sha256[0])
        json_object_set_string_member(o, "manifest_sha256", e->manifest_sha256);
    if (res) {
        json_object_set_int_member(o, "files", (gint64)res->files);
        json_object_set_int_member(o, "bytes", (gint64)res->bytes);
        if (res->already)
            json_object_set_boolean_member(o, "already_there", TRUE);
    }
    if (e->state == OUTBOX_FAILED) {
        json_object_set_string_member(o, "error", e->error ? e->error : "unknown");
        char *t = util_time_rfc3339(e->next_attempt_us, false);
        json_object_set_string_member(o, "next_attempt", t);
        g_free(t);
    }
    if (audit_append(audit, "publication", o) != 0 || audit_sync(audit) != 0)
        log_error("session %s: the audit log could not record the publication state %s",
                  e->session, outbox_state_str(e->state));
    json_object_unref(o);
}

int handoff_begin(const struct handoff *h, struct audit *audit, struct outbox_entry *e, char **why)
{
    e->state = OUTBOX_PUBLISHING;
    e->attempts++;
    if (!e->target)
        e->target = g_strdup(h->target->spec);
    int rc = outbox_save(h->cfg->work_dir, e, why);
    if (rc == 0)
        handoff_audit(audit, e, NULL);
    return rc;
}

int handoff_end(const struct handoff *h, struct audit *audit, struct outbox_entry *e,
                const struct publish_result *res, char **why)
{
    g_clear_pointer(&e->error, g_free);
    if (res->ok) {
        e->state = OUTBOX_PUBLISHED;
        e->published_us = g_get_real_time();
        e->next_attempt_us = 0;
        if (res->location) {
            g_free(e->location);
            e->location = g_strdup(res->location);
        }
        log_info("session %s: published to %s%s", e->session, e->location,
                 res->already ? " (it was there already)" : "");
    } else {
        e->state = OUTBOX_FAILED;
        e->error = g_strdup(res->error ? res->error : "publication failed");
        e->next_attempt_us = g_get_real_time() + outbox_backoff_us(e->attempts);
        log_warn("session %s: not published yet (attempt %u): %s", e->session, e->attempts,
                 e->error);
    }
    int rc = outbox_save(h->cfg->work_dir, e, why);
    handoff_audit(audit, e, res);
    return rc;
}

int handoff_publish_pending(const struct handoff *h, struct audit *audit, const char *up_to,
                            unsigned *published, unsigned *failed, char **why)
{
    unsigned np = 0, nf = 0;
    int lock = outbox_lock(h->cfg->work_dir, false);
    if (lock < 0) {
        *why = g_strdup_printf("another process (the service?) is publishing now: %s",
                               g_strerror(errno));
        return KERR_LIMIT;
    }
    int rc = 0;
    for (;;) {
        GPtrArray *all = NULL;
        if ((rc = outbox_list(h->cfg->work_dir, &all, why)) != 0)
            break;
        struct outbox_entry *e = NULL;
        bool past = false;
        for (guint i = 0; i < all->len && !e; i++) {
            struct outbox_entry *x = g_ptr_array_index(all, i);
            if (x->state == OUTBOX_PUBLISHED || x->state == OUTBOX_COMMITTING)
                continue;
            e = x;
            g_ptr_array_index(all, i) = NULL; /* transferred */
        }
        /* Entries after UP_TO are left for later (the service, or the next retry). */
        if (e && up_to) {
            for (guint i = 0; i < all->len; i++) {
                struct outbox_entry *x = g_ptr_array_index(all, i);
                if (x && !strcmp(x->session, up_to) && x->created_us < e->created_us)
                    past = true;
            }
        }
        g_ptr_array_free(all, TRUE);
        if (!e || past) {
            outbox_entry_free(e);
            break;
        }
        struct publish_job job;
        struct publish_result res;
        handoff_job(h, e->session, &job);
        if ((rc = handoff_begin(h, audit, e, why)) == 0) {
            publish_run_sync(&job, &res);
            rc = handoff_end(h, audit, e, &res, why);
            if (res.ok)
                np++;
            else
                nf++;
            publish_result_clear(&res);
        }
        bool stop = rc != 0 || e->state != OUTBOX_PUBLISHED || (up_to && !strcmp(e->session, up_to));
        outbox_entry_free(e);
        if (stop)
            break;
    }
    close(lock);
    if (published)
        *published = np;
    if (failed)
        *failed = nf;
    return rc;
}

int handoff_recover(const struct handoff *h, GHashTable *unended, GPtrArray *removed,
                    GPtrArray *cleaned)
{
    GPtrArray *all = NULL;
    char *why = NULL;
    int rc = outbox_list(h->cfg->work_dir, &all, &why);
    if (rc != 0) {
        log_warn("recovery: %s", why);
        g_free(why);
        return rc;
    }
    for (guint i = 0; i < all->len; i++) {
        struct outbox_entry *e = g_ptr_array_index(all, i);
        bool ended = !unended || !g_hash_table_contains(unended, e->session);
        if (!ended && e->state != OUTBOX_PUBLISHED && e->state != OUTBOX_PUBLISHING) {
            /* Committed, but its end never reached the audit log: it did not happen. */
            if (outbox_remove(h->cfg->work_dir, e->session, &why) == 0) {
                g_ptr_array_add(removed, g_strdup(e->session));
                g_ptr_array_add(cleaned, g_strdup_printf("removed the outbox entry of the "
                                                         "unfinished session %s",
                                                         e->session));
            } else {
                log_warn("recovery: %s", why);
                g_clear_pointer(&why, g_free);
                rc = KERR_SYSTEM;
            }
        } else if (e->state == OUTBOX_COMMITTING || e->state == OUTBOX_PUBLISHING) {
            /* Ended on record; its state was not (yet) saved or an attempt was cut off:
             * publish (again; publication is exactly once, publish.h). */
            if (!e->target)
                e->target = g_strdup(h->target->spec);
            if (!e->location)
                e->location = target_session_location(h->target, e->session);
            if (!e->manifest_sha256[0]) {
                char *m = g_build_filename(h->cfg->work_dir, WORKAREA_OUTBOX, e->session,
                                           "MANIFEST.json", NULL);
                if (util_sha256_file(m, e->manifest_sha256) != 0)
                    e->manifest_sha256[0] = '\0';
                g_free(m);
            }
            if (!e->created_us)
                e->created_us = g_get_real_time();
            g_ptr_array_add(cleaned, g_strdup_printf("queued session %s for publication again "
                                                     "(it was %s when the service stopped)",
                                                     e->session, outbox_state_str(e->state)));
            e->state = OUTBOX_QUEUED;
            if (outbox_save(h->cfg->work_dir, e, &why) != 0) {
                log_warn("recovery: %s", why);
                g_clear_pointer(&why, g_free);
                rc = KERR_SYSTEM;
            }
        }
    }
    g_ptr_array_free(all, TRUE);
    return rc;
}

/* Is TARGETFD/SESSION the delivery with MANIFEST_SHA256 (no link followed)? */
static bool handoff_is_ours(int targetfd, const char *session, const char *manifest_sha256)
{
    int dfd = openat(targetfd, session, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return false;
    int fd = openat(dfd, "MANIFEST.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    char hex[65];
    bool ours = fd >= 0 && util_sha256_fd(fd, hex) == 0 && !strcmp(hex, manifest_sha256);
    if (fd >= 0)
        close(fd);
    close(dfd);
    return ours;
}

int handoff_prune(const struct handoff *h, struct audit *audit, bool dry_run, GPtrArray *pruned,
                  char **why)
{
    if (h->cfg->keep_days <= 0)
        return 0;
    GPtrArray *all = NULL;
    int rc = outbox_list(h->cfg->work_dir, &all, why);
    if (rc != 0)
        return rc;
    int targetfd = -1;
    if (h->target->kind == TARGET_DIR) {
        char *twhy = NULL;
        targetfd = target_open_dir(h->target, (uid_t)-1, (gid_t)-1, &twhy);
        if (targetfd < 0)
            log_warn("prune: %s (only the outbox is pruned)", twhy);
        g_free(twhy);
    }
    gint64 limit = g_get_real_time() - (gint64)h->cfg->keep_days * 86400 * G_USEC_PER_SEC;
    for (guint i = 0; i < all->len && rc == 0; i++) {
        const struct outbox_entry *e = g_ptr_array_index(all, i);
        if (e->state != OUTBOX_PUBLISHED || e->published_us <= 0 || e->published_us > limit)
            continue;
        bool in_target = targetfd >= 0 && handoff_is_ours(targetfd, e->session, e->manifest_sha256);
        g_ptr_array_add(pruned, g_strdup(e->session));
        if (dry_run)
            continue;
        if (in_target && util_rm_rf_at(targetfd, e->session) != 0) {
            *why = g_strdup_printf("cannot remove %s/%s: %s", h->target->path, e->session,
                                   g_strerror(errno));
            rc = KERR_SYSTEM;
            break;
        }
        rc = outbox_remove(h->cfg->work_dir, e->session, why);
        if (audit) {
            JsonObject *o = json_object_new();
            json_object_set_string_member(o, "session", e->session);
            json_object_set_int_member(o, "keep_days", h->cfg->keep_days);
            json_object_set_boolean_member(o, "outbox", rc == 0);
            json_object_set_boolean_member(o, "staging", in_target);
            if (audit_append(audit, "pruned", o) != 0 || audit_sync(audit) != 0)
                log_error("the audit log could not record the pruning of %s", e->session);
            json_object_unref(o);
        }
    }
    if (targetfd >= 0) {
        fsync(targetfd);
        close(targetfd);
    }
    g_ptr_array_free(all, TRUE);
    return rc;
}

JsonObject *handoff_status_json(const struct handoff *h)
{
    JsonObject *o = json_object_new();
    GPtrArray *all = NULL;
    char *why = NULL;
    json_object_set_string_member(o, "target", h->target->spec);
    if (h->key_id[0])
        json_object_set_string_member(o, "signing_key_id", h->key_id);
    else
        json_object_set_null_member(o, "signing_key_id");
    if (outbox_list(h->cfg->work_dir, &all, &why) != 0) {
        json_object_set_string_member(o, "error", why);
        g_free(why);
        return o;
    }
    guint64 n[OUTBOX_FAILED + 1] = {0};
    const struct outbox_entry *oldest = NULL;
    for (guint i = 0; i < all->len; i++) {
        const struct outbox_entry *e = g_ptr_array_index(all, i);
        n[e->state]++;
        if (!oldest && e->state != OUTBOX_PUBLISHED)
            oldest = e;
    }
    JsonObject *counts = json_object_new();
    for (int s = 0; s <= OUTBOX_FAILED; s++)
        json_object_set_int_member(counts, outbox_state_str((enum outbox_state)s), (gint64)n[s]);
    json_object_set_object_member(o, "entries", counts);
    json_object_set_int_member(o, "pending_bytes", (gint64)outbox_pending_bytes(all));
    json_object_set_int_member(o, "max_pending_bytes", (gint64)h->cfg->outbox_max_bytes);
    if (oldest) {
        JsonObject *x = json_object_new();
        json_object_set_string_member(x, "session", oldest->session);
        json_object_set_string_member(x, "state", outbox_state_str(oldest->state));
        json_object_set_int_member(x, "attempts", oldest->attempts);
        if (oldest->error)
            json_object_set_string_member(x, "error", oldest->error);
        else
            json_object_set_null_member(x, "error");
        json_object_set_object_member(o, "oldest_pending", x);
    } else {
        json_object_set_null_member(o, "oldest_pending");
    }
    g_ptr_array_free(all, TRUE);
    return o;
}

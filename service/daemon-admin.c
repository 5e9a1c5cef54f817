/* daemon-admin.c - the service's administration: reloads, the freshness gate and what
 * admin-status says of the service (docs/admin.md).  The signature folder and the policy
 * file are watched (GFileMonitor, and a poll of their fingerprints every DAEMON_TICK_S).
 * A change builds a new engine with the policy file as it is now, in a thread beside the
 * engine in use; it is swapped in only when it compiled.  A running session keeps its own
 * engine reference and its policy (kept in d->retired until it ends).  A database that
 * does not load, or a policy that does not validate, keeps what is in use and is
 * recorded.  The freshness gate puts the kiosk out of service ("signatures-old") when the
 * database in use is older than [scan] max-signature-age-days, and back when a fresh one
 * is loaded.  The tick also keeps the outbox moving (daemon-publish.c). */
#include "service/daemon-private.h"
#include "common/json.h"
#include "admin/sigdb.h"
#include "common/log.h"
#include "common/util.h"
#include "handoff/handoff.h"
#include "scanner/pool.h"
#include "service/notify.h"

#include <string.h>

#define DAEMON_RELOAD_DELAY_MS 1500 /* let a copy of several files finish */
#define DAEMON_TICK_S 60

void daemon_admin_session_ended(struct daemon *d)
{
    if (d->retired)
        g_ptr_array_set_size(d->retired, 0); /* no session uses them any more */
}

void daemon_admin_check_fresh(struct daemon *d)
{
    if (!d->pool || d->stopping)
        return;
    /* Out of service for a reason a reload cannot fix (audit log, staging): stay. */
    if (d->oos && g_strcmp0(d->oos_code, "signatures-old") &&
        g_strcmp0(d->oos_code, "no-signatures") && g_strcmp0(d->oos_code, "policy"))
        return;
    const struct scanner_info *si = scanner_pool_info(d->pool);
    int64_t days = -1;
    bool old = sigdb_too_old(si, d->cfg->max_signature_age_days, g_get_real_time() / G_USEC_PER_SEC,
                             &days);
    if (old && !d->oos) {
        if (d->current)
            return; /* the session finishes first; the next tick stops the kiosk */
        struct reason_data why;
        sigdb_old_reason(days, d->cfg->max_signature_age_days, &why);
        daemon_out_of_service(d, "signatures-old", &why);
    } else if (!old && d->oos && d->policy) {
        if (!d->handoff)
            return;
        log_info("back in service: signatures %s, policy \"%s\" version %" G_GUINT64_FORMAT,
                 si->db_version, d->policy->name, d->policy->version);
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "db_version", si->db_version);
        json_object_set_int_member(o, "age_days", days);
        json_object_set_int_member(o, "policy_version", (gint64)d->policy->version);
        daemon_resume(d, o);
    }
}

/* The new signature database did not load (WHY): the engine in use stays; FP (consumed)
 * is not tried again until it changes; POL is freed unless it is the one in use. */
static void daemon_admin_reload_refused(struct daemon *d, struct policy *pol, char *fp,
                                        const char *why)
{
    log_error("reload: the signature database in %s does not load (%s); the previous "
              "engine stays in use",
              d->cfg->signatures, why);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "signatures", d->cfg->signatures);
    json_object_set_string_member(o, "reason", why);
    if (d->pool)
        json_object_set_string_member(o, "kept_db_version", scanner_pool_info(d->pool)->db_version);
    daemon_audit(d, "signatures-refused", o);
    g_free(d->db_problem);
    d->db_problem = g_strdup_printf(
        "The signature database in %s does not load (%s); %s", d->cfg->signatures, why,
        d->pool ? "the previous one is still used." : "nothing can be checked.");
    g_free(d->failed_fp);
    d->failed_fp = fp;
    if (pol != d->policy)
        policy_free(pol);
}

/* The new engine NP with policy POL (database fingerprint FP) replaces the one in use
 * (all consumed); a running session finishes on the previous ones. */
static void daemon_admin_reload_swap(struct daemon *d, struct scanner_pool *np, struct policy *pol,
                                     char *fp)
{
    const struct scanner_info *si = scanner_pool_info(np);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "db_version", si->db_version);
    json_object_set_int_member(o, "signatures", si->signatures);
    json_object_set_boolean_member(o, "test_signatures", si->test_signatures);
    if (d->pool)
        json_object_set_string_member(o, "previous_db_version",
                                      scanner_pool_info(d->pool)->db_version);
    json_object_set_string_member(o, "policy", pol->name);
    json_object_set_int_member(o, "policy_version", (gint64)pol->version);
    json_object_set_string_member(o, "policy_sha256", pol->sha256);
    if (d->policy)
        json_object_set_int_member(o, "previous_policy_version", (gint64)d->policy->version);
    log_info("reload: engine swapped in: %u signatures, database %s; policy \"%s\" version "
             "%" G_GUINT64_FORMAT "%s",
             si->signatures, si->db_version, pol->name, pol->version,
             d->current ? " (the running session finishes on the previous ones)" : "");
    daemon_audit(d, "reload", o);
    bool swapped_policy = d->policy != pol;
    if (d->policy && swapped_policy) {
        if (d->current)
            g_ptr_array_add(d->retired, d->policy);
        else
            policy_free(d->policy);
    }
    /* A running session keeps the old pool; its end frees it (daemon_job_free). */
    if (!(d->current && d->current->params.pool == d->pool))
        scanner_pool_free(d->pool);
    d->policy = pol;
    d->filter.policy = pol;
    d->pool = np;
    g_free(d->sig_fp);
    d->sig_fp = fp;
    g_clear_pointer(&d->failed_fp, g_free);
    if (swapped_policy) {
        g_clear_pointer(&d->failed_policy, g_free);
        g_clear_pointer(&d->db_problem, g_free);
    } else if (!d->failed_policy) {
        g_clear_pointer(&d->db_problem, g_free);
    }
}

static void daemon_admin_reload_done(GObject *src, GAsyncResult *res, gpointer data)
{
    struct daemon *d = data;
    struct scanner_pool *np = NULL;
    char *why = NULL;
    (void)src;
    /* The new pool was built in a thread (its zygote forked by the spawner): the main loop
     * kept serving removals, cancel and the screen meanwhile.  Its engine compiled, or it
     * would not be here. */
    int rc = sigdb_pool_build_finish(res, &np, &why);
    struct policy *pol = g_steal_pointer(&d->reload_policy);
    char *fp = g_steal_pointer(&d->reload_fp);
    d->reloading = false;
    notify_ready(NULL); /* the reload ended (swapped in or refused: the audit log says) */
    if (d->stopping) {
        scanner_pool_free(np);
        if (pol != d->policy)
            policy_free(pol);
        g_free(fp);
        g_free(why);
        return;
    }
    if (rc != 0)
        daemon_admin_reload_refused(d, pol, fp, why);
    else
        daemon_admin_reload_swap(d, np, pol, fp);
    g_free(why);
    daemon_admin_check_fresh(d);
    if (d->reload_again) {
        d->reload_again = false;
        daemon_admin_reload(d, "changed during the reload");
    }
}

/* Build a new engine with the policy file as it is now, unless nothing changed. */
void daemon_admin_reload(struct daemon *d, const char *why)
{
    const struct kiosk_config *cfg = d->cfg;
    if (d->stopping)
        return;
    if (d->reloading) {
        d->reload_again = true;
        return;
    }
    char sha[65] = "";
    util_sha256_file(cfg->policy, sha);
    char *fp = sigdb_fingerprint(cfg->signatures);
    bool new_policy = (!d->policy || strcmp(sha, d->policy->sha256) != 0) &&
                      g_strcmp0(sha, d->failed_policy) != 0;
    bool new_sigs = g_strcmp0(fp, d->failed_fp) != 0 && (!d->pool || g_strcmp0(fp, d->sig_fp) != 0);
    if (!new_policy && !new_sigs) {
        g_free(fp);
        return; /* nothing new (or the same broken files again) */
    }
    struct policy *pol = NULL;
    if (new_policy) {
        GPtrArray *perrs = g_ptr_array_new_with_free_func(policy_error_free);
        if (policy_load(cfg->policy, &pol, perrs) != 0) {
            JsonObject *o = json_object_new();
            JsonArray *arr = json_array_new();
            for (guint i = 0; i < perrs->len; i++) {
                const struct policy_error *e = g_ptr_array_index(perrs, i);
                char *t = g_strdup_printf("%d: %s", e->line, e->message);
                log_error("policy %s:%s", cfg->policy, t);
                json_array_add_string_element(arr, t);
                g_free(t);
            }
            log_error("reload: the policy %s is not valid; %s", cfg->policy,
                      d->policy ? "the previous policy stays in use" : "still out of service");
            json_object_set_string_member(o, "policy", cfg->policy);
            json_object_set_string_member(o, "sha256", sha);
            json_object_set_array_member(o, "problems", arr);
            daemon_audit(d, "policy-refused", o);
            g_free(d->failed_policy);
            d->failed_policy = g_strdup(sha);
            g_free(d->db_problem);
            d->db_problem = g_strdup_printf("The policy file %s is not valid; %s", cfg->policy,
                                            d->policy ? "the previous policy is still used."
                                                      : "nothing can be checked.");
            pol = NULL;
        }
        g_ptr_array_free(perrs, TRUE);
    }
    if (!pol && !(new_sigs && d->policy)) {
        g_free(fp);
        return;
    }
    log_info("reload (%s): building a new engine beside the one in use", why);
    d->reloading = true;
    notify_reloading("reloading: building a new engine beside the one in use");
    /* Without a new policy the engine is built with the one in use (it stays valid: only
     * daemon_admin_reload_done replaces it). */
    d->reload_policy = pol ? pol : d->policy;
    d->reload_fp = fp;
    sigdb_pool_build_async(d->reload_policy, cfg->signatures, daemon_scan_workers(d),
                           SCANNER_POOL_USER, cfg->run_dir, daemon_admin_reload_done, d);
}

static gboolean daemon_admin_reload_timer(gpointer data)
{
    struct daemon *d = data;
    d->reload_timer = 0;
    daemon_admin_reload(d, "files changed");
    return G_SOURCE_REMOVE;
}

static void daemon_admin_on_file_change(GFileMonitor *m, GFile *f, GFile *other,
                                        GFileMonitorEvent ev, gpointer data)
{
    struct daemon *d = data;
    (void)m;
    (void)f;
    (void)other;
    if (ev == G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED && m == d->pol_mon)
        return;
    /* Several events per copy: act once things settled. */
    if (d->reload_timer)
        g_source_remove(d->reload_timer);
    d->reload_timer = g_timeout_add(DAEMON_RELOAD_DELAY_MS, daemon_admin_reload_timer, d);
}

static gboolean daemon_admin_tick(gpointer data)
{
    struct daemon *d = data;
    daemon_admin_reload(d, "periodic check"); /* in case a change was not seen */
    if (!d->current)
        daemon_admin_session_ended(d);
    daemon_admin_check_fresh(d);
    daemon_publish_check_outbox(d);
    daemon_publish_kick(d);
    daemon_publish_prune(d);
    return G_SOURCE_CONTINUE;
}

static GFileMonitor *daemon_admin_monitor(struct daemon *d, const char *path, bool dir)
{
    GFile *f = g_file_new_for_path(path);
    GError *err = NULL;
    GFileMonitor *m = dir ? g_file_monitor_directory(f, G_FILE_MONITOR_WATCH_MOVES, NULL, &err)
                          : g_file_monitor_file(f, G_FILE_MONITOR_WATCH_MOVES, NULL, &err);
    g_object_unref(f);
    if (!m) {
        log_warn("cannot watch %s (%s); checking it every %d s", path, err->message, DAEMON_TICK_S);
        g_error_free(err);
        return NULL;
    }
    g_signal_connect(m, "changed", G_CALLBACK(daemon_admin_on_file_change), d);
    return m;
}

void daemon_admin_start(struct daemon *d)
{
    d->retired = g_ptr_array_new_with_free_func((GDestroyNotify)policy_free);
    d->sig_fp = d->pool ? sigdb_fingerprint(d->cfg->signatures) : NULL;
    d->sig_mon = daemon_admin_monitor(d, d->cfg->signatures, true);
    d->pol_mon = daemon_admin_monitor(d, d->cfg->policy, false);
    d->tick_timer = g_timeout_add_seconds(DAEMON_TICK_S, daemon_admin_tick, d);
}

void daemon_admin_stop(struct daemon *d)
{
    daemon_admin_media_disarm(d, NULL);
    if (d->reload_timer)
        g_source_remove(d->reload_timer);
    if (d->tick_timer)
        g_source_remove(d->tick_timer);
    d->reload_timer = d->tick_timer = 0;
    /* An engine still being built: wait for it (its thread uses d->reload_policy). */
    while (d->reloading)
        g_main_context_iteration(NULL, TRUE);
    g_clear_object(&d->sig_mon);
    g_clear_object(&d->pol_mon);
    if (d->retired)
        g_ptr_array_free(d->retired, TRUE);
    d->retired = NULL;
    g_free(d->oos_code);
    g_free(d->sig_fp);
    g_free(d->failed_fp);
    g_free(d->failed_policy);
    g_free(d->db_problem);
}

/* What the service itself uses right now (admin-status). */
JsonObject *daemon_admin_service_json(struct daemon *d)
{
    JsonObject *o = events_status(d->events);
    json_object_remove_member(o, "type");
    if (d->oos_code && d->oos)
        json_object_set_string_member(o, "out_of_service", d->oos_code);
    if (d->pool) {
        const struct scanner_info *si = scanner_pool_info(d->pool);
        int64_t days = sigdb_age_days(si, g_get_real_time() / G_USEC_PER_SEC);
        json_object_set_string_member(o, "db_version", si->db_version);
        char *t = si->db_time > 0 ? util_time_rfc3339(si->db_time * G_USEC_PER_SEC, false) : NULL;
        json_set_string_or_null(o, "db_build_time", t);
        g_free(t);
        if (days >= 0)
            json_object_set_int_member(o, "db_age_days", days);
        else
            json_object_set_null_member(o, "db_age_days");
        json_object_set_int_member(o, "signature_count", si->signatures);
        json_object_set_boolean_member(o, "test_signatures", si->test_signatures);
    }
    if (d->policy) {
        json_object_set_string_member(o, "policy", d->policy->name);
        json_object_set_int_member(o, "policy_version", (gint64)d->policy->version);
    }
    json_object_set_boolean_member(o, "reloading", d->reloading);
    json_set_string_or_null(o, "problem", d->db_problem);
    if (d->handoff)
        json_object_set_object_member(o, "publication", handoff_status_json(d->handoff));
    return o;
}

/* daemon.c - the kiosk service's main loop (see daemon.h): its states (in and out of
 * service, idle), the audit records and events it builds, the queue of media and the
 * messages from their threads, what a udev event means, and start-up (recovery, the
 * engine loaded once, daemon_run).  The other concerns are in daemon-*.c, named for
 * them, sharing daemon-private.h: a visitor's check (session), printing, publication,
 * administration (admin), the administrator's stick (admin-media), socket commands. */
#include "service/daemon.h"
#include "common/json.h"
#include "service/daemon-private.h"
#include "admin/sigdb.h"
#include "common/log.h"
#include "common/util.h"
#include "common/version.h"
#include "handoff/handoff.h"
#include "handoff/publish.h"
#include "handoff/workarea.h"
#include "kiosk/audit.h"
#include "media/media.h"
#include "policy/policy.h"
#include "scanner/pool.h"
#include "scanner/verdict-cache.h"
#include "service/notify.h"

#include <errno.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

static gboolean daemon_drain(gpointer data);

/* ---- audit ------------------------------------------------------------------------- */

void daemon_audit(struct daemon *d, const char *type, JsonObject *o)
{
    if (!o)
        o = json_object_new();
    if (d->cfg->accept_loop)
        json_object_set_boolean_member(o, "testing_mode", TRUE);
    if (!d->audit || audit_append(d->audit, type, o) != 0 || audit_sync(d->audit) != 0)
        log_error("audit: cannot record \"%s\" in %s", type, d->cfg->audit_log);
    json_object_unref(o);
}

/* {"vendor","model","serial","size","devnode"} */
static JsonObject *daemon_device_json(const struct kudev_device *dev)
{
    JsonObject *o = json_object_new();
    json_set_string_or_null(o, "vendor", dev->vendor);
    json_set_string_or_null(o, "model", dev->model);
    json_set_string_or_null(o, "serial", dev->serial);
    json_object_set_int_member(o, "size", (gint64)dev->size);
    json_set_string_or_null(o, "devnode", dev->devnode);
    if (dev->vid && dev->pid) {
        char *id = g_strdup_printf("%s:%s", dev->vid, dev->pid);
        json_object_set_string_member(o, "usb_id", id);
        g_free(id);
    }
    if (dev->backing_file)
        json_object_set_string_member(o, "image", dev->backing_file);
    return o;
}

JsonObject *daemon_with_device(JsonObject *o, const struct kudev_device *dev)
{
    if (!o)
        o = json_object_new();
    json_object_set_object_member(o, "device", daemon_device_json(dev));
    return o;
}

/* ---- states -------------------------------------------------------------------------- */

/* O.reason = the English sentence of reason code CODE with at most one parameter P1 (or
 * NULL), and O.reason_code, O.reason_params beside it (docs/protocol.md). */
void daemon_json_reason(JsonObject *o, const char *code, const char *p1)
{
    struct reason_data why;
    const char *v[] = {p1};
    reason_data_set(&why, code, v, p1 ? 1 : 0);
    char *text = reason_data_format(&why, NULL, NULL, NULL);
    json_object_set_string_member(o, "reason", text);
    reason_json_add(o, &why);
    g_free(text);
}

/* The same for a reason already made. */
void daemon_json_reason_data(JsonObject *o, const struct reason_data *why)
{
    char *text = reason_data_format(why, NULL, NULL, NULL);
    json_object_set_string_member(o, "reason", text);
    reason_json_add(o, why);
    g_free(text);
}

/* CODE: the short cause ("audit" ...); WHY: the same for people as a reason code
 * (service.*, common/reason.h), its English sentence is the event's "reason". */
void daemon_out_of_service(struct daemon *d, const char *code, const struct reason_data *why)
{
    d->oos = true;
    g_free(d->oos_code);
    d->oos_code = g_strdup(code);
    char *reason = reason_data_format(why, NULL, NULL, NULL);
    log_error("OUT OF SERVICE (%s): %s", code, reason);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "code", code);
    json_object_set_string_member(o, "reason", reason);
    reason_json_add(o, why);
    g_free(reason);
    daemon_audit(d, "out-of-service", json_object_ref(o));
    events_emit(d->events, "out-of-service", NULL, o);
}

/* The same for a cause without parameters. */
void daemon_out_of_service0(struct daemon *d, const char *code, const char *rcode)
{
    struct reason_data why;
    reason_data_set(&why, rcode, NULL, 0);
    daemon_out_of_service(d, code, &why);
}

/* Back in service (O: the fields of the "back-in-service" record, consumed). */
void daemon_resume(struct daemon *d, JsonObject *o)
{
    d->oos = false;
    g_clear_pointer(&d->oos_code, g_free);
    daemon_audit(d, "back-in-service", o);
    if (d->remove && !d->remove_is_admin) {
        events_emit(d->events, "remove-media", d->remove_session,
                    daemon_with_device(NULL, d->remove));
    } else if (!d->current) {
        daemon_idle(d);
        kudev_enumerate(d->udev); /* media inserted while out of service */
    }
}

int daemon_scan_workers(const struct daemon *d)
{
    int n = d->cfg->workers > 0 ? d->cfg->workers : (int)g_get_num_processors();
    return MIN(n, SCANNER_POOL_MAX_WORKERS);
}

void daemon_idle(struct daemon *d)
{
    events_set_queue(d->events, (int)d->waiting.length);
    events_emit(d->events, "idle", NULL, NULL);
}

void daemon_job_free(struct daemon_job *j)
{
    if (!j)
        return;
    kudev_device_free(j->dev);
    g_free(j->id);
    if (j->admin_result)
        json_object_unref(j->admin_result);
    g_free(j->admin_why);
    if (j->details)
        json_object_unref(j->details);
    session_result_free(j->result);
    /* A pool a reload replaced while this session ran: nobody else uses it now. */
    if (j->params.pool && j->params.pool != j->d->pool)
        scanner_pool_free(j->params.pool);
    g_free(j);
}

/* ---- the jobs' threads and the queue -------------------------------------------------- */

void daemon_post(struct daemon *d, struct daemon_msg *m)
{
    g_async_queue_push(d->msgs, m);
    g_idle_add(daemon_drain, d);
}

/* A job's thread ended: joined, and the job handed to its kind's end. */
static void daemon_finished(struct daemon *d, struct daemon_job *j)
{
    g_thread_join(j->thread);
    j->thread = NULL;
    d->current = NULL;
    daemon_admin_session_ended(d);
    if (j->kind != JOB_SESSION)
        daemon_admin_media_finished(d, j);
    else
        daemon_session_finished(d, j);
}

/* The messages the jobs' threads posted, in the main loop. */
static gboolean daemon_drain(gpointer data)
{
    struct daemon *d = data;
    struct daemon_msg *m;
    while ((m = g_async_queue_try_pop(d->msgs)) != NULL) {
        struct daemon_job *j = m->job;
        if (m->confirm) {
            if (j == d->current && !j->removed)
                daemon_admin_media_event(d, j->kind, "confirm", daemon_with_device(NULL, j->dev));
        } else if (m->finished) {
            daemon_finished(d, j);
        } else if (j == d->current && !j->removed) {
            daemon_session_progress_event(d, m);
        }
        g_free(m->current);
        g_free(m);
    }
    return G_SOURCE_REMOVE;
}

void daemon_next(struct daemon *d)
{
    if (d->current || d->remove || d->oos || d->stopping)
        return;
    struct daemon_job *j = g_queue_pop_head(&d->waiting);
    if (j)
        daemon_session_start(d, j);
}

/* ---- udev ------------------------------------------------------------------------------- */

static void daemon_seen(bool *known, uint64_t *seq, uint64_t s)
{
    *known = true;
    *seq = MAX(*seq, s);
}

/* Is KEY a medium the service knows (checking, waiting, to be removed, refused)?  *SEQ
 * gets the newest disk sequence number it knows for that slot (0 = not known). */
static bool daemon_known(struct daemon *d, const char *key, uint64_t *seq)
{
    bool known = false;
    *seq = 0;
    if (d->current && !strcmp(d->current->dev->key, key))
        daemon_seen(&known, seq, d->current->dev->diskseq);
    if (d->remove && !strcmp(d->remove->key, key))
        daemon_seen(&known, seq, d->remove->diskseq);
    for (GList *l = d->waiting.head; l; l = l->next) {
        const struct kudev_device *dev = ((struct daemon_job *)l->data)->dev;
        if (!strcmp(dev->key, key))
            daemon_seen(&known, seq, dev->diskseq);
    }
    const uint64_t *refused = g_hash_table_lookup(d->refused, key);
    if (refused)
        daemon_seen(&known, seq, *refused);
    return known;
}

/* What an event on DEV is, against what the service knows of its slot (udev.h): about a
 * medium it does not know, about the one it knows, about an earlier one (stale: udev
 * handled it late), or about a newer one (the known medium went away, this is another). */
enum daemon_seq { DAEMON_SEQ_UNKNOWN, DAEMON_SEQ_SAME, DAEMON_SEQ_STALE, DAEMON_SEQ_NEWER };

static enum daemon_seq daemon_seq_of(struct daemon *d, const struct kudev_device *dev)
{
    uint64_t known;
    if (!daemon_known(d, dev->key, &known))
        return DAEMON_SEQ_UNKNOWN;
    if (!known || !dev->diskseq || dev->diskseq == known)
        return DAEMON_SEQ_SAME;
    return dev->diskseq < known ? DAEMON_SEQ_STALE : DAEMON_SEQ_NEWER;
}

/* DEV went away: the session on it stops, or it leaves the queue, or the kiosk is free
 * again (the checked medium, the administrator's stick, a refused device). */
static void daemon_on_removed(struct daemon *d, const struct kudev_device *dev, const char *why)
{
    /* (Once the session is stopping, the slot's next medium may wait in the queue.) */
    if (d->current && !d->current->removed && !strcmp(d->current->dev->key, dev->key)) {
        log_warn("session %s: the medium %s was removed (%s); stopping", d->current->id,
                 dev->devnode ? dev->devnode : dev->key, why ? why : "removed");
        d->current->removed = true;
        g_atomic_int_set(&d->current->cancel, 1);
        return;
    }
    for (GList *l = d->waiting.head; l; l = l->next) {
        struct daemon_job *j = l->data;
        if (!strcmp(j->dev->key, dev->key)) {
            g_queue_delete_link(&d->waiting, l);
            daemon_job_free(j);
            events_set_queue(d->events, (int)d->waiting.length);
            return;
        }
    }
    if (d->remove && !strcmp(d->remove->key, dev->key)) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "session", d->remove_session);
        json_object_set_boolean_member(o, "aborted", FALSE);
        daemon_audit(d, "media-removed", daemon_with_device(o, d->remove));
        g_clear_pointer(&d->remove, kudev_device_free);
        g_clear_pointer(&d->remove_session, g_free);
        d->admin_export_in = d->filter.accept_rw_loop = d->filter.any_filesystem = false;
        d->remove_is_admin = false;
        if (!d->oos) {
            daemon_idle(d);
            daemon_next(d);
        }
        return;
    }
    if (g_hash_table_remove(d->refused, dev->key) && !d->oos && !d->current && !d->remove) {
        daemon_idle(d);
        daemon_next(d);
    }
}

/* DEV is not a USB stick the kiosk checks (udev.h says WHY): audited, and shown. */
static void daemon_on_refused(struct daemon *d, const struct kudev_device *dev, const char *why)
{
    g_hash_table_insert(d->refused, g_strdup(dev->key),
                        g_memdup2(&dev->diskseq, sizeof(dev->diskseq)));
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "reason", why);
    reason_json_add(o, &dev->refusal);
    daemon_audit(d, "device-refused", daemon_with_device(json_object_ref(o), dev));
    /* The screen shows it unless another medium is being checked. */
    if (!d->current && !d->oos)
        events_emit(d->events, "refused", NULL, daemon_with_device(o, dev));
    else
        json_object_unref(o);
}

/* A visitor's medium: checked now if the kiosk is free, or it waits for its turn. */
static void daemon_enqueue(struct daemon *d, const struct kudev_device *dev)
{
    struct daemon_job *j = g_new0(struct daemon_job, 1);
    j->d = d;
    j->dev = kudev_device_copy(dev);
    if (!d->current && !d->remove && d->waiting.length == 0) {
        daemon_session_start(d, j);
        return;
    }
    g_queue_push_tail(&d->waiting, j);
    events_set_queue(d->events, (int)d->waiting.length);
    JsonObject *o = daemon_with_device(NULL, dev);
    json_object_set_int_member(o, "position", (gint64)d->waiting.length);
    /* Not a state: the screen keeps showing the running session and notes the queue. */
    events_emit(d->events, "waiting", d->current ? d->current->id : NULL, o);
}

static void daemon_on_udev(enum kudev_event ev, const struct kudev_device *dev, const char *why,
                           void *data)
{
    struct daemon *d = data;
    if (d->stopping)
        return;
    enum daemon_seq seq = daemon_seq_of(d, dev);
    if (seq == DAEMON_SEQ_STALE) {
        log_debug("udev: %s: an event about an earlier medium in this slot (disk sequence %" PRIu64
                  "); ignored",
                  dev->devnode ? dev->devnode : dev->key, dev->diskseq);
        return;
    }
    if (ev == KUDEV_REMOVED) {
        daemon_on_removed(d, dev, why);
        return;
    }
    if (seq == DAEMON_SEQ_NEWER) {
        /* The removal of the known medium came late or not at all (a quick swap). */
        daemon_on_removed(d, dev, "another medium took its place");
        seq = daemon_seq_of(d, dev); /* still NEWER while a stopped session ends */
    }
    if (seq == DAEMON_SEQ_SAME)
        return; /* the same medium again (udev sends several change events) */
    if (ev == KUDEV_REFUSED) {
        daemon_on_refused(d, dev, why);
        return;
    }
    /* The administrator asked for their stick: this medium is it (even out of service:
     * an update is how the kiosk gets back into service). */
    if (daemon_admin_media_take(d, dev))
        return;
    if (d->oos) {
        log_warn("out of service: medium %s not checked", dev->devnode);
        return;
    }
    daemon_enqueue(d, dev);
}

/* ---- start-up ----------------------------------------------------------------------------- */

/* Sessions with a "session-start" but no "session-end" in the audit log: the service
 * died under them (a session running now, whose lock is held, is not one of them).
 * Session id -> its source, for the session-interrupted records. */
static GHashTable *daemon_unended_sessions(struct daemon *d, GPtrArray *order)
{
    char *data = NULL;
    gsize len = 0;
    GHashTable *started = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    if (!g_file_get_contents(d->cfg->audit_log, &data, &len, NULL))
        return started;
    JsonParser *p = json_parser_new();
    char *line = data;
    while (line && line < data + len) {
        char *nl = memchr(line, '\n', (size_t)(data + len - line));
        size_t n = nl ? (size_t)(nl - line) : (size_t)(data + len - line);
        /* Only session records matter: skip the others without parsing them. */
        if (n > 0 && g_strstr_len(line, (gssize)n, "\"type\":\"session-") &&
            json_parser_load_from_data(p, line, (gssize)n, NULL)) {
            JsonNode *root = json_parser_get_root(p);
            JsonObject *o =
                root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
            const char *type = o ? json_object_get_string_member_with_default(o, "type", "") : "";
            const char *sid =
                o ? json_object_get_string_member_with_default(o, "session", NULL) : NULL;
            if (sid && !strcmp(type, "session-start")) {
                g_hash_table_replace(
                    started, g_strdup(sid),
                    g_strdup(json_object_get_string_member_with_default(o, "source", "")));
                g_ptr_array_add(order, g_strdup(sid));
            } else if (sid &&
                       (!strcmp(type, "session-end") || !strcmp(type, "session-interrupted"))) {
                g_hash_table_remove(started, sid);
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    g_object_unref(p);
    g_free(data);
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, started);
    while (g_hash_table_iter_next(&it, &key, NULL))
        if (workarea_session_running(d->cfg->work_dir, key))
            g_hash_table_iter_remove(&it);
    return started;
}

/* Record each interrupted session, saying what became of it. */
static void daemon_record_interrupted(struct daemon *d, GHashTable *unended, GPtrArray *order,
                                      GPtrArray *taken_back)
{
    for (guint i = 0; i < order->len; i++) {
        const char *sid = g_ptr_array_index(order, i);
        const char *src = g_hash_table_lookup(unended, sid);
        if (!src)
            continue;
        bool committed = false;
        for (guint k = 0; k < taken_back->len; k++)
            committed |= !strcmp(g_ptr_array_index(taken_back, k), sid);
        /* A session reaches the outbox only after its end is on record, and the share only
         * from the outbox: an unended session never delivered anything. */
        const char *what = committed ? "its checked files had reached the outbox but its end was "
                                       "not recorded, so they were taken back; nothing of it "
                                       "was published"
                                     : "it had not finished; nothing of it was published";
        log_warn("session %s (%s) was interrupted: %s", sid, src, what);
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "session", sid);
        json_object_set_string_member(o, "source", src);
        char *reason = g_strdup_printf("the service stopped during the session (crash, power "
                                       "loss or kill); %s",
                                       what);
        json_object_set_string_member(o, "reason", reason);
        json_object_set_boolean_member(o, "published", FALSE);
        g_free(reason);
        daemon_audit(d, "session-interrupted", o);
        g_hash_table_remove(unended, sid);
    }
}

static void daemon_recover(struct daemon *d)
{
    GPtrArray *cleaned = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *order = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *taken_back = g_ptr_array_new_with_free_func(g_free);
    if (media_recover(d->cfg->run_dir, cleaned) != 0)
        log_warn("recovery: some stale mounts under %s/mnt could not be removed", d->cfg->run_dir);
    /* Only the private work area is touched; never the share. */
    if (workarea_recover(d->cfg->work_dir, cleaned) != 0)
        log_warn("recovery: some leftovers in %s could not be removed", d->cfg->work_dir);
    GHashTable *unended = daemon_unended_sessions(d, order);
    if (d->handoff && handoff_recover(d->handoff, unended, taken_back, cleaned) != 0)
        log_warn("recovery: the outbox in %s could not be put in order completely",
                 d->cfg->work_dir);
    publish_tmp_recover(d->cfg->work_dir, cleaned);
    if (cleaned->len) {
        JsonArray *a = json_array_new();
        for (guint i = 0; i < cleaned->len; i++) {
            log_warn("recovery: %s", (const char *)g_ptr_array_index(cleaned, i));
            json_array_add_string_element(a, g_ptr_array_index(cleaned, i));
        }
        JsonObject *o = json_object_new();
        json_object_set_array_member(o, "cleaned", a);
        daemon_audit(d, "recovery", o);
    }
    daemon_record_interrupted(d, unended, order, taken_back);
    g_hash_table_destroy(unended);
    g_ptr_array_free(order, TRUE);
    g_ptr_array_free(taken_back, TRUE);
    g_ptr_array_free(cleaned, TRUE);
}

/* Load what a session needs once; on failure the kiosk is out of service. */
static void daemon_load(struct daemon *d)
{
    const struct kiosk_config *cfg = d->cfg;
    GPtrArray *perrs = g_ptr_array_new_with_free_func(policy_error_free);
    char *why = NULL;
    if (policy_load(cfg->policy, &d->policy, perrs) != 0) {
        for (guint i = 0; i < perrs->len; i++) {
            const struct policy_error *e = g_ptr_array_index(perrs, i);
            log_error("policy %s:%d: %s", cfg->policy, e->line, e->message);
        }
        g_ptr_array_free(perrs, TRUE);
        daemon_out_of_service0(d, "policy", "service.policy");
        return;
    }
    g_ptr_array_free(perrs, TRUE);
    d->filter.policy = d->policy;
    if (!d->handoff)
        return; /* out of service already: the kiosk cannot deliver */
    if (cfg->cache && !d->vcache) {
        char *cpath = config_cache_path(cfg);
        if (verdict_cache_open(cpath, (size_t)cfg->cache_max_entries, &d->vcache, &why) != 0) {
            log_warn("%s; every file is scanned", why);
            g_clear_pointer(&why, g_free);
        }
        g_free(cpath);
    }
    gint64 t0 = g_get_monotonic_time();
    /* The engine is loaded once, in the pool's zygote; sandboxed workers share it. */
    if (sigdb_pool_new(d->policy, cfg->signatures, daemon_scan_workers(d), SCANNER_POOL_USER,
                       cfg->run_dir, &d->pool, &why) != 0) {
        log_error("scanner: %s", why);
        g_free(why);
        daemon_out_of_service0(d, "no-signatures", "service.no-signatures");
        return;
    }
    const struct scanner_info *si = scanner_pool_info(d->pool);
    log_info("engine loaded once in %.2f s: ClamAV %s, %u signatures, database %s%s",
             (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC, si->engine_version,
             si->signatures, si->db_version, "");
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "version", version_string());
    json_object_set_string_member(o, "engine", si->engine_version);
    json_object_set_string_member(o, "db_version", si->db_version);
    json_object_set_int_member(o, "signatures", si->signatures);
    json_object_set_boolean_member(o, "test_signatures", si->test_signatures);
    json_object_set_string_member(o, "policy", d->policy->name);
    json_object_set_int_member(o, "policy_version", (gint64)d->policy->version);
    json_object_set_string_member(o, "policy_sha256", d->policy->sha256);
    json_object_set_string_member(o, "target", d->handoff->target->spec);
    json_set_string_or_null(o, "signing_key_id", d->handoff->key_id[0] ? d->handoff->key_id : NULL);
    daemon_audit(d, "service-start", o);
    daemon_admin_check_fresh(d);
}

static gboolean daemon_on_signal(gpointer data)
{
    struct daemon *d = data;
    log_info("stopping");
    notify_stopping();
    d->stopping = true;
    if (d->pub_run) {
        /* A cut-off publication is retried at the next start (exactly once: publish.h). */
        publish_stop(d->pub_run);
        for (int i = 0; d->pub_entry && i < 500; i++)
            if (!g_main_context_iteration(NULL, FALSE))
                g_usleep(10000);
    }
    if (d->current) {
        g_atomic_int_set(&d->current->cancel, 1);
        /* session_run stops soon (it aborts the medium after a grace period). */
        while (d->current) {
            g_usleep(20000);
            daemon_drain(d);
        }
    }
    g_main_loop_quit(d->loop);
    return G_SOURCE_REMOVE;
}

/* systemd's STATUS= follows the state the screen sees (service/notify.h). */
static void daemon_on_state(const char *state, JsonObject *event, void *data)
{
    (void)data;
    const char *reason = json_object_get_string_member_with_default(event, "reason", NULL);
    const char *session = json_object_get_string_member_with_default(event, "session", NULL);
    char *text = !strcmp(state, "idle") ? g_strdup("idle: waiting for USB media")
                 : reason               ? g_strdup_printf("%s: %s", state, reason)
                 : session              ? g_strdup_printf("%s (session %s)", state, session)
                                        : g_strdup(state);
    notify_status(text);
    g_free(text);
}

/* SIGHUP (systemctl reload kiosk): the same as a root "reload" on the socket. */
static gboolean daemon_on_sighup(gpointer data)
{
    struct daemon *d = data;
    log_info("SIGHUP: reloading the policy and the signatures if they changed");
    daemon_admin_reload(d, "SIGHUP");
    return G_SOURCE_CONTINUE;
}

/* [access] screen-users: user names or ids, separated by commas or spaces.  An unknown
 * name stops the service (fail closed: nobody would be refused otherwise). */
static GArray *daemon_screen_uids(const char *list, char **why)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(int));
    char **names = g_strsplit_set(list, ", ;", -1);
    for (int i = 0; names[i]; i++) {
        if (!*names[i])
            continue;
        struct passwd *pw = getpwnam(names[i]);
        char *end = NULL;
        long uid = pw ? (long)pw->pw_uid : strtol(names[i], &end, 10);
        if (!pw && (!end || *end || uid < 0 || uid > INT_MAX)) {
            *why = g_strdup_printf("[access] screen-users: no user named '%s'", names[i]);
            g_array_free(a, TRUE);
            a = NULL;
            break;
        }
        int u = (int)uid;
        g_array_append_val(a, u);
    }
    g_strfreev(names);
    return a;
}

/* The state before anything is opened: the queue, the threads' messages, the udev filter. */
static void daemon_init(struct daemon *d)
{
    const struct kiosk_config *cfg = d->cfg;
    d->pub_lock = -1;
    g_queue_init(&d->waiting);
    d->refused = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    d->msgs = g_async_queue_new();
    d->loop = g_main_loop_new(NULL, FALSE);
    d->filter = (struct kudev_filter){
        .accept_loop = cfg->accept_loop,
        .loop_backing_dir = cfg->loop_backing_dir,
        .allow = cfg->device_allow,
        .deny = cfg->device_deny,
        .max_size = cfg->device_max_size,
    };
    if (cfg->accept_loop) {
        log_warn("loop devices count as removable media%s%s%s",
                 cfg->loop_backing_dir ? " (backed by files below " : "",
                 cfg->loop_backing_dir ? cfg->loop_backing_dir : "",
                 cfg->loop_backing_dir ? ")" : "");
    }
}

/* The event socket: who the screen is, and the commands' handlers (daemon-commands.c). */
static int daemon_open_events(struct daemon *d, char **why)
{
    const struct kiosk_config *cfg = d->cfg;
    GArray *screen_uids = NULL;
    if (cfg->screen_users && *cfg->screen_users &&
        !(screen_uids = daemon_screen_uids(cfg->screen_users, why)))
        return -1;
    d->language_ja = g_strcmp0(cfg->language, "ja") == 0;
    struct events_info info = {
        .screen_uids = screen_uids ? (const int *)(void *)screen_uids->data : NULL,
        .n_screen_uids = screen_uids ? (int)screen_uids->len : 0,
        .kiosk_name = cfg->kiosk_name,
        .site = cfg->site,
        .language = cfg->language,
        .testing_mode = cfg->accept_loop,
        /* A printer is configured ([report] printer), or the receipt prints by itself. */
        .can_print = (cfg->printer && *cfg->printer) || cfg->auto_print,
    };
    struct events_handlers h = {.state = daemon_on_state};
    daemon_commands_init(d, &h);
    d->events = events_new(cfg->socket, cfg->socket_group, &info, &h, why);
    if (screen_uids)
        g_array_free(screen_uids, TRUE);
    return d->events ? 0 : -1;
}

/* The audit log and the hand-off, recovery, the engine: out of service when one fails. */
static void daemon_open_storage(struct daemon *d)
{
    const struct kiosk_config *cfg = d->cfg;
    char *why = NULL;
    if (audit_open(cfg->audit_log, &d->audit) != 0) {
        log_error("audit log %s: %s", cfg->audit_log, g_strerror(errno));
        daemon_out_of_service0(d, "audit", "service.audit");
        return;
    }
    if (handoff_open(cfg, &d->handoff, &why) != 0) {
        log_error("hand-off: %s", why);
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "error", why);
        daemon_audit(d, "staging-refused", o);
        daemon_out_of_service0(d, "staging", "service.staging");
        g_clear_pointer(&why, g_free);
    } else if (d->handoff->key_created) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "key_id", d->handoff->key_id);
        json_object_set_string_member(o, "key", cfg->signing_key);
        daemon_audit(d, "signing-key-created", o);
    }
    daemon_recover(d);
    daemon_load(d);
}

/* Everything daemon_run made (also when it stopped half-way). */
static void daemon_free(struct daemon *d)
{
    daemon_admin_stop(d);
    if (d->pub_timer)
        g_source_remove(d->pub_timer);
    if (d->pub_lock >= 0)
        close(d->pub_lock);
    outbox_entry_free(d->pub_entry);
    handoff_free(d->handoff);
    kudev_free(d->udev);
    events_free(d->events);
    struct daemon_job *j;
    while ((j = g_queue_pop_head(&d->waiting)) != NULL)
        daemon_job_free(j);
    kudev_device_free(d->remove);
    g_free(d->remove_session);
    if (d->details)
        json_object_unref(d->details);
    g_hash_table_destroy(d->refused);
    struct daemon_msg *m;
    while ((m = g_async_queue_try_pop(d->msgs)) != NULL) {
        g_free(m->current);
        g_free(m);
    }
    g_async_queue_unref(d->msgs);
    g_main_loop_unref(d->loop);
    scanner_pool_free(d->pool);
    verdict_cache_free(d->vcache);
    policy_free(d->policy);
    audit_close(d->audit);
}

int daemon_run(const struct kiosk_config *cfg)
{
    struct daemon dd = {.cfg = cfg}, *d = &dd;
    char *why = NULL;
    int rc = 1;

    signal(SIGPIPE, SIG_IGN);
    /* Loading an engine blocks the main loop for minutes: the watchdog is fed meanwhile. */
    scanner_pool_set_keepalive(notify_keepalive);
    daemon_init(d);
    if (util_mkdir_p(cfg->run_dir, 0755) != 0) {
        log_error("cannot create %s: %s", cfg->run_dir, g_strerror(errno));
        goto out;
    }
    if (daemon_open_events(d, &why) != 0) {
        log_error("%s", why);
        goto out;
    }
    log_info("listening on %s", cfg->socket);
    daemon_open_storage(d);
    d->udev = kudev_new(&d->filter, daemon_on_udev, d, &why);
    if (!d->udev) {
        log_error("%s", why);
        goto out;
    }
    if (!d->oos) {
        daemon_idle(d);
        kudev_enumerate(d->udev); /* media already plugged in */
    }
    daemon_publish_check_outbox(d);
    daemon_publish_prune(d);
    daemon_publish_kick(d); /* what waits in the outbox from before */
    if (d->audit)
        daemon_admin_start(d); /* reloads and freshness, also when out of service */
    g_unix_signal_add(SIGTERM, daemon_on_signal, d);
    g_unix_signal_add(SIGINT, daemon_on_signal, d);
    g_unix_signal_add(SIGHUP, daemon_on_sighup, d);
    /* Ready: the engine is loaded (or the kiosk said why it is out of service). */
    notify_ready(NULL);
    notify_watchdog_start();
    g_main_loop_run(d->loop);
    notify_watchdog_stop();
    daemon_audit(d, "service-stop", NULL);
    rc = 0;
out:
    daemon_free(d);
    g_free(why);
    return rc;
}

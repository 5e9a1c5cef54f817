/* daemon-commands.c - the service's side of the socket commands (docs/protocol.md): the
 * screen's details, language and cancel, and the commands of events.c's one table
 * (reload, staging, print, the administrator's login, status, stick and logout).  Who may
 * send each, and which need a login, is decided in events.c before these run. */
#include "service/daemon-private.h"
#include "admin/admin.h"
#include "common/json.h"
#include "common/log.h"
#include "handoff/handoff.h"

#include <string.h>

/* ---- commands from the screen ------------------------------------------------------------ */

static char *daemon_commands_details(JsonObject *details, void *data)
{
    struct daemon *d = data;
    if (d->details)
        json_object_unref(d->details);
    d->details = json_object_get_size(details) ? json_object_ref(details) : NULL;
    log_info("operator details %s for the next session", d->details ? "stored" : "cleared");
    return NULL;
}

static char *daemon_commands_language(const char *lang, void *data)
{
    struct daemon *d = data;
    g_atomic_int_set(&d->language_ja, strcmp(lang, "ja") == 0);
    return NULL;
}

static char *daemon_commands_cancel(void *data)
{
    struct daemon *d = data;
    if (!d->current)
        return g_strdup("no check is running");
    log_warn("session %s: cancelled by the operator", d->current->id);
    d->current->cancelled = true;
    g_atomic_int_set(&d->current->cancel, 1);
    return NULL;
}

/* ---- socket commands (events.c's table says who may send each; events.h) ------------ */

/* {"cmd":"reload"}: root only (the console, `kiosk policy install`). */
static char *daemon_commands_reload(JsonObject *msg, struct events_peer *peer, JsonObject *reply,
                                    void *data)
{
    struct daemon *d = data;
    (void)msg;
    (void)peer;
    daemon_admin_reload(d, "requested on the socket");
    json_object_set_boolean_member(reply, "reloading", d->reloading);
    return NULL;
}

/* {"cmd":"staging-status"} and, retrying first, "staging-retry": root only (the console,
 * `kiosk staging retry|list`). */
static char *daemon_commands_staging(struct daemon *d, bool retry, JsonObject *reply)
{
    if (!d->handoff)
        return g_strdup("the kiosk cannot deliver now (out of service)");
    if (retry)
        daemon_publish_retry_now(d);
    json_object_set_object_member(reply, "publication", handoff_status_json(d->handoff));
    json_object_set_boolean_member(reply, "publishing", d->pub_run != NULL);
    return NULL;
}

static char *daemon_commands_staging_retry(JsonObject *msg, struct events_peer *peer,
                                           JsonObject *reply, void *data)
{
    (void)msg;
    (void)peer;
    return daemon_commands_staging(data, true, reply);
}

static char *daemon_commands_staging_status(JsonObject *msg, struct events_peer *peer,
                                            JsonObject *reply, void *data)
{
    (void)msg;
    (void)peer;
    return daemon_commands_staging(data, false, reply);
}

/* {"cmd":"admin-login","password":...}: this connection is logged in, or why not. */
static char *daemon_commands_admin_login(JsonObject *msg, struct events_peer *peer,
                                         JsonObject *reply, void *data)
{
    struct daemon *d = data;
    const char *pw = json_member_string(msg, "password", NULL);
    struct admin_login_result res;
    char *error = NULL, *why = NULL, *where = g_strdup_printf("screen (uid %d)", peer->uid);
    if (!pw) {
        error = g_strdup("missing \"password\"");
    } else if (admin_login(d->cfg->admin_state, d->cfg->admin_lockout_seconds, pw, d->audit, where,
                           &res, &why) != 0) {
        log_error("admin login: %s", why);
        error = g_strdup("Administrator login is not possible: the password store is "
                         "damaged. Use the console.");
    } else {
        char *msg_text = admin_login_message(&res);
        if (res.ok) {
            peer->admin = true;
            peer->admin_until = g_get_monotonic_time() + EVENTS_ADMIN_LOGIN_US;
        } else {
            error = g_strdup(msg_text);
        }
        json_object_set_string_member(reply, "message", msg_text);
        json_object_set_boolean_member(reply, "locked", res.locked);
        json_object_set_int_member(reply, "retry_after", res.retry_after);
        json_object_set_int_member(reply, "remaining", res.remaining);
        g_free(msg_text);
    }
    g_free(why);
    g_free(where);
    return error;
}

/* {"cmd":"print","session":ID|"last"}: the screen's print button (and reprint). */
static char *daemon_commands_print(JsonObject *msg, struct events_peer *peer, JsonObject *reply,
                                   void *data)
{
    (void)peer;
    const char *session = json_member_string(msg, "session", "last");
    if (strlen(session) > 64 ||
        strspn(session, "0123456789abcdefghijklmnopqrstuvwxyz-") != strlen(session))
        return g_strdup("\"session\" must be a session id or \"last\"");
    daemon_print(data, session);
    json_object_set_boolean_member(reply, "printing", TRUE);
    return NULL;
}

/* {"cmd":"admin-status"}, after a login. */
static char *daemon_commands_admin_status(JsonObject *msg, struct events_peer *peer,
                                          JsonObject *reply, void *data)
{
    struct daemon *d = data;
    (void)msg;
    (void)peer;
    JsonObject *st = admin_status_json(d->cfg, 10);
    json_object_set_object_member(st, "service", daemon_admin_service_json(d));
    json_object_set_object_member(reply, "status", st);
    return NULL;
}

/* {"cmd":"admin-media",...}, after a login. */
static char *daemon_commands_admin_media(JsonObject *msg, struct events_peer *peer,
                                         JsonObject *reply, void *data)
{
    char *error = NULL;
    daemon_admin_media_command(data, peer, msg, reply, &error);
    return error;
}

/* {"cmd":"admin-logout"}: ends this connection's login only: what another connection's
 * login asked for (a stick awaited, an erase to confirm) is not this one's to cancel. */
static char *daemon_commands_admin_logout(JsonObject *msg, struct events_peer *peer,
                                          JsonObject *reply, void *data)
{
    struct daemon *d = data;
    (void)msg;
    (void)reply;
    if (d->admin_arm != JOB_SESSION && d->admin_conn == peer->conn)
        daemon_admin_media_disarm(d, "cancelled");
    /* An erase nobody can confirm any more: the stick stays as it is. */
    if (d->current && d->current->kind == JOB_ADMIN_EXPORT &&
        d->current->admin_conn == peer->conn && !g_atomic_int_get(&d->current->erase_ok)) {
        d->current->cancelled = true;
        g_atomic_int_set(&d->current->cancel, 1);
    }
    if (peer->admin) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "where", "screen");
        daemon_audit(d, "admin-logout", o);
    }
    peer->admin = false;
    return NULL;
}

void daemon_commands_init(struct daemon *d, struct events_handlers *h)
{
    h->details = daemon_commands_details;
    h->cancel = daemon_commands_cancel;
    h->language = daemon_commands_language;
    h->service[EVENTS_SVC_RELOAD] = daemon_commands_reload;
    h->service[EVENTS_SVC_STAGING_RETRY] = daemon_commands_staging_retry;
    h->service[EVENTS_SVC_STAGING_STATUS] = daemon_commands_staging_status;
    h->service[EVENTS_SVC_PRINT] = daemon_commands_print;
    h->service[EVENTS_SVC_ADMIN_LOGIN] = daemon_commands_admin_login;
    h->service[EVENTS_SVC_ADMIN_STATUS] = daemon_commands_admin_status;
    h->service[EVENTS_SVC_ADMIN_MEDIA] = daemon_commands_admin_media;
    h->service[EVENTS_SVC_ADMIN_LOGOUT] = daemon_commands_admin_logout;
    h->data = d;
}

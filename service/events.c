/* events.c - JSON-lines events and commands over the service's UNIX socket (events.h,
 * docs/protocol.md). */
#include "service/events.h"
#include "common/version.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <grp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct events_client {
    struct events *ev;
    GSocketConnection *conn;
    GSocket *sock;
    GSource *in_src, *out_src;
    GString *in, *out;
    int bad;       /* invalid commands in a row */
    bool dead;
    struct events_peer peer;
};

struct events {
    uint64_t connections; /* connections accepted so far (events_peer.conn) */
    char *path;
    GSocketService *service;
    GList *clients; /* struct events_client * */
    struct events_info info;
    struct events_handlers h;
    JsonObject *state;   /* the last state event */
    char *session;       /* session of the last event */
    int queue;
    GArray *screen_uids; /* int; NULL = only root operates (events_info) */
};

/* Event types that describe a state (the "state" of the status snapshot). */
static const char *const events_states[] = {
    "idle", "detected", "checking", "scanning", "delivering", "done",
    "failed", "remove-media", "refused", "out-of-service",
};

static bool events_is_state(const char *type)
{
    for (size_t i = 0; i < G_N_ELEMENTS(events_states); i++)
        if (!strcmp(type, events_states[i]))
            return true;
    return false;
}

char *events_to_line(JsonObject *o)
{
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_set_object(n, o);
    JsonGenerator *g = json_generator_new();
    json_generator_set_root(g, n);
    char *text = json_generator_to_data(g, NULL);
    g_object_unref(g);
    json_node_unref(n);
    char *line = g_strconcat(text, "\n", NULL);
    g_free(text);
    return line;
}

/* The common head of every object the service sends. */
static JsonObject *events_head(const struct events *ev, const char *type, const char *session)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "type", type);
    if (session)
        json_object_set_string_member(o, "session", session);
    else
        json_object_set_null_member(o, "session");
    char *t = util_time_rfc3339(g_get_real_time(), false);
    json_object_set_string_member(o, "time", t);
    g_free(t);
    json_object_set_boolean_member(o, "testing_mode", ev->info.testing_mode);
    return o;
}

/* ---- clients ------------------------------------------------------------------------ */

static gboolean events_client_free(gpointer data)
{
    struct events_client *c = data;
    g_object_unref(c->conn);
    g_string_free(c->in, TRUE);
    g_string_free(c->out, TRUE);
    g_free(c);
    return G_SOURCE_REMOVE;
}

static void events_client_close(struct events_client *c)
{
    if (c->dead)
        return;
    c->dead = true;
    if (c->in_src) {
        g_source_destroy(c->in_src);
        g_source_unref(c->in_src);
        c->in_src = NULL;
    }
    if (c->out_src) {
        g_source_destroy(c->out_src);
        g_source_unref(c->out_src);
        c->out_src = NULL;
    }
    g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
    c->ev->clients = g_list_remove(c->ev->clients, c);
    /* Callers up the stack may still look at c->dead: free it from the main loop. */
    g_idle_add(events_client_free, c);
}

static gboolean events_client_on_out(GSocket *s, GIOCondition cond, gpointer data);

/* Send what is pending without blocking; keep the rest for G_IO_OUT.  Returns false when
 * the client was closed. */
static bool events_client_flush(struct events_client *c)
{
    while (c->out->len > 0) {
        GError *err = NULL;
        gssize n = g_socket_send(c->sock, c->out->str, c->out->len, NULL, &err);
        if (n < 0) {
            bool again = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
            g_error_free(err);
            if (!again) {
                events_client_close(c);
                return false;
            }
            break;
        }
        g_string_erase(c->out, 0, n);
    }
    if (c->out->len > 0 && !c->out_src) {
        c->out_src = g_socket_create_source(c->sock, G_IO_OUT, NULL);
        g_source_set_callback(c->out_src, (GSourceFunc)(void (*)(void))events_client_on_out, c,
                              NULL);
        g_source_attach(c->out_src, NULL);
    } else if (c->out->len == 0 && c->out_src) {
        g_source_destroy(c->out_src);
        g_source_unref(c->out_src);
        c->out_src = NULL;
    }
    return true;
}

static gboolean events_client_on_out(GSocket *s, GIOCondition cond, gpointer data)
{
    struct events_client *c = data;
    (void)s;
    if (cond & (G_IO_ERR | G_IO_HUP)) {
        events_client_close(c);
        return G_SOURCE_REMOVE;
    }
    GSource *src = c->out_src;
    g_source_ref(src);
    bool alive = events_client_flush(c);
    /* flush() destroys the source when everything went out */
    gboolean keep = alive && c->out_src == src;
    g_source_unref(src);
    return keep ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static bool events_client_send(struct events_client *c, JsonObject *o)
{
    char *line = events_to_line(o);
    if (c->out->len + strlen(line) > EVENTS_MAX_BACKLOG) {
        /* A client that does not read its events must not make the service hoard memory. */
        log_warn("events: client does not read its events; disconnecting it");
        g_free(line);
        events_client_close(c);
        return false;
    }
    g_string_append(c->out, line);
    g_free(line);
    return events_client_flush(c);
}

static void events_client_handle(struct events_client *c, const char *line, size_t len)
{
    bool bad = false;
    JsonArray *out = events_handle_line_peer(c->ev, &c->peer, line, len, &bad);
    c->bad = bad ? c->bad + 1 : 0;
    for (guint i = 0; i < json_array_get_length(out); i++)
        if (!events_client_send(c, json_array_get_object_element(out, i)))
            break;
    json_array_unref(out);
}

static gboolean events_client_on_in(GSocket *s, GIOCondition cond, gpointer data)
{
    struct events_client *c = data;
    char buf[4096];
    (void)cond;
    for (;;) {
        GError *err = NULL;
        gssize n = g_socket_receive(s, buf, sizeof(buf), NULL, &err);
        if (n < 0) {
            bool again = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
            g_error_free(err);
            if (again)
                return G_SOURCE_CONTINUE;
            n = 0;
        }
        if (n == 0) {
            events_client_close(c);
            return G_SOURCE_REMOVE;
        }
        g_string_append_len(c->in, buf, n);
        char *nl;
        while (!c->dead && (nl = memchr(c->in->str, '\n', c->in->len)) != NULL) {
            size_t len = (size_t)(nl - c->in->str);
            if (len > EVENTS_MAX_LINE)
                break;
            char *line = g_strndup(c->in->str, len);
            g_string_erase(c->in, 0, (gssize)len + 1);
            events_client_handle(c, line, len);
            g_free(line);
            if (!c->dead && c->bad >= EVENTS_MAX_BAD_COMMANDS) {
                log_warn("events: client sent %d invalid commands in a row; disconnecting it",
                         c->bad);
                events_client_close(c);
            }
        }
        if (c->dead)
            return G_SOURCE_REMOVE;
        if (c->in->len > EVENTS_MAX_LINE) {
            log_warn("events: client sent a line longer than %d bytes; disconnecting it",
                     EVENTS_MAX_LINE);
            JsonObject *o = events_head(c->ev, "reply", c->ev->session);
            json_object_set_null_member(o, "cmd");
            json_object_set_boolean_member(o, "ok", FALSE);
            json_object_set_string_member(o, "error", "line too long");
            char *line = events_to_line(o);
            (void)!g_socket_send(s, line, strlen(line), NULL, NULL);
            g_free(line);
            json_object_unref(o);
            events_client_close(c);
            return G_SOURCE_REMOVE;
        }
    }
}

static JsonObject *events_hello(const struct events *ev)
{
    JsonObject *o = events_head(ev, "hello", ev->session);
    json_object_set_int_member(o, "version", EVENTS_PROTOCOL_VERSION);
    json_object_set_string_member(o, "kiosk_name", ev->info.kiosk_name);
    json_object_set_string_member(o, "site", ev->info.site);
    json_object_set_string_member(o, "language", ev->info.language);
    json_object_set_boolean_member(o, "can_print", ev->info.can_print);
    return o;
}

/* The roles of a peer with user id UID (-1: unknown, an observer). */
static unsigned events_roles_of(const struct events *ev, int uid)
{
    if (uid == 0)
        return EVENTS_ROLE_OBSERVER | EVENTS_ROLE_SCREEN | EVENTS_ROLE_ROOT;
    if (uid < 0)
        return EVENTS_ROLE_OBSERVER;
    for (guint i = 0; ev->screen_uids && i < ev->screen_uids->len; i++)
        if (g_array_index(ev->screen_uids, int, i) == uid)
            return EVENTS_ROLE_OBSERVER | EVENTS_ROLE_SCREEN;
    return EVENTS_ROLE_OBSERVER;
}

bool events_peer_may(const struct events_peer *peer, enum events_role role, char **error)
{
    if (peer->roles & role)
        return true;
    if (error)
        *error = g_strdup_printf("not allowed for this user (uid %d): %s", peer->uid,
                                 role == EVENTS_ROLE_ROOT ? "only root may send it"
                                                          : "only the kiosk screen's user "
                                                            "([access] screen-users) or root "
                                                            "may send it");
    return false;
}

static gboolean events_on_incoming(GSocketService *service, GSocketConnection *conn,
                                   GObject *source, gpointer data)
{
    struct events *ev = data;
    (void)service;
    (void)source;
    if (g_list_length(ev->clients) >= EVENTS_MAX_CLIENTS) {
        log_warn("events: %d clients connected already; refusing another", EVENTS_MAX_CLIENTS);
        return TRUE; /* handled: the connection is dropped */
    }
    struct events_client *c = g_new0(struct events_client, 1);
    c->ev = ev;
    c->conn = g_object_ref(conn);
    c->sock = g_socket_connection_get_socket(conn);
    c->in = g_string_new(NULL);
    c->out = g_string_new(NULL);
    g_socket_set_blocking(c->sock, FALSE);
    ev->clients = g_list_prepend(ev->clients, c);
    GCredentials *cred = g_socket_get_credentials(c->sock, NULL);
    c->peer.uid = -1;
    c->peer.conn = ++ev->connections;
    if (cred) {
        c->peer.uid = (int)g_credentials_get_unix_user(cred, NULL);
        g_object_unref(cred);
    }
    c->peer.roles = events_roles_of(ev, c->peer.uid);
    log_debug("events: client connected (uid %d, %s)", c->peer.uid,
              c->peer.roles & EVENTS_ROLE_ROOT     ? "root"
              : c->peer.roles & EVENTS_ROLE_SCREEN ? "screen"
                                                   : "observer");
    c->in_src = g_socket_create_source(c->sock, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
    g_source_set_callback(c->in_src, (GSourceFunc)(void (*)(void))events_client_on_in, c, NULL);
    g_source_attach(c->in_src, NULL);
    /* A client that connects mid-session learns where things are first. */
    JsonObject *hello = events_hello(ev);
    bool alive = events_client_send(c, hello);
    json_object_unref(hello);
    if (alive) {
        JsonObject *st = events_status(ev);
        events_client_send(c, st);
        json_object_unref(st);
    }
    return TRUE;
}

/* ---- commands ----------------------------------------------------------------------- */

bool events_imo_valid(const char *d)
{
    if (!d || strlen(d) != 7)
        return false;
    int sum = 0;
    for (int i = 0; i < 7; i++)
        if (!g_ascii_isdigit(d[i]))
            return false;
    for (int i = 0; i < 6; i++)
        sum += (d[i] - '0') * (7 - i);
    return sum % 10 == d[6] - '0';
}

static const struct {
    const char *name;
    glong max_chars;
    const char *label;
} events_detail_fields[] = {
    {"vessel", 64, "vessel name"}, {"imo", 16, "IMO number"}, {"voyage", 32, "voyage"},
    {"company", 128, "company"},   {"person", 128, "person"},
};

int events_validate_details(JsonObject *in, JsonObject **out, char **why)
{
    JsonObject *o = json_object_new();
    GList *members = json_object_get_members(in);
    *out = NULL;
    for (GList *m = members; m; m = m->next) {
        const char *name = m->data;
        if (!strcmp(name, "cmd"))
            continue;
        size_t k;
        for (k = 0; k < G_N_ELEMENTS(events_detail_fields); k++)
            if (!strcmp(name, events_detail_fields[k].name))
                break;
        if (k == G_N_ELEMENTS(events_detail_fields)) {
            *why = g_strdup_printf("unknown field \"%.40s\"", name);
            goto fail;
        }
        JsonNode *n = json_object_get_member(in, name);
        if (JSON_NODE_HOLDS_NULL(n))
            continue;
        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
            *why = g_strdup_printf("%s must be a string", events_detail_fields[k].label);
            goto fail;
        }
        char *v = g_strstrip(g_strdup(json_node_get_string(n)));
        bool ok = g_utf8_validate(v, -1, NULL);
        for (const char *p = v; ok && *p; p = g_utf8_next_char(p)) {
            gunichar u = g_utf8_get_char(p);
            if (g_unichar_iscntrl(u) || u == 0x2028 || u == 0x2029)
                ok = false;
        }
        if (!ok) {
            *why = g_strdup_printf("%s contains control characters", events_detail_fields[k].label);
            g_free(v);
            goto fail;
        }
        if (g_utf8_strlen(v, -1) > events_detail_fields[k].max_chars) {
            *why = g_strdup_printf("%s is too long (at most %ld characters)",
                                   events_detail_fields[k].label, events_detail_fields[k].max_chars);
            g_free(v);
            goto fail;
        }
        if (!strcmp(name, "imo") && *v) {
            /* "IMO 9321483" or "9321483" */
            const char *p = v;
            if (g_ascii_strncasecmp(p, "IMO", 3) == 0)
                p += 3;
            while (*p == ' ')
                p++;
            if (!events_imo_valid(p)) {
                *why = g_strdup("IMO number must be 7 digits with a valid check digit");
                g_free(v);
                goto fail;
            }
            char *digits = g_strdup(p);
            g_free(v);
            v = digits;
        }
        if (*v)
            json_object_set_string_member(o, name, v);
        g_free(v);
    }
    g_list_free(members);
    *out = o;
    return 0;
fail:
    g_list_free(members);
    json_object_unref(o);
    return -1;
}

/* A command's handler: NULL when done, or an error text (newly allocated).  OUT takes
 * whole objects to send (status); REPLY members go into the "reply" object. */
typedef char *(*events_cmd_fn)(struct events *ev, JsonObject *msg, struct events_peer *peer,
                               JsonObject *reply, JsonArray *out);

static char *events_cmd_status(struct events *ev, JsonObject *msg, struct events_peer *peer,
                               JsonObject *reply, JsonArray *out)
{
    (void)msg;
    (void)peer;
    (void)reply;
    json_array_add_object_element(out, events_status(ev));
    return NULL;
}

static char *events_cmd_details(struct events *ev, JsonObject *msg, struct events_peer *peer,
                                JsonObject *reply, JsonArray *out)
{
    JsonObject *d = NULL;
    char *why = NULL;
    (void)peer;
    (void)reply;
    (void)out;
    if (events_validate_details(msg, &d, &why) != 0)
        return why;
    if (!ev->h.details)
        why = g_strdup("details are not accepted here");
    else
        why = ev->h.details(d, ev->h.data);
    json_object_unref(d);
    return why;
}

static char *events_cmd_cancel(struct events *ev, JsonObject *msg, struct events_peer *peer,
                               JsonObject *reply, JsonArray *out)
{
    (void)msg;
    (void)peer;
    (void)reply;
    (void)out;
    return ev->h.cancel ? ev->h.cancel(ev->h.data) : g_strdup("nothing to cancel");
}

/* {"cmd":"language","language":"en"|"ja"}: the visitor's language on the screen now; the
 * session records it for its report and receipt. */
static char *events_cmd_language(struct events *ev, JsonObject *msg, struct events_peer *peer,
                                 JsonObject *reply, JsonArray *out)
{
    (void)peer;
    (void)reply;
    (void)out;
    const char *lang = json_object_get_string_member_with_default(msg, "language", "");
    if (strcmp(lang, "en") != 0 && strcmp(lang, "ja") != 0)
        return g_strdup("language must be \"en\" or \"ja\"");
    return ev->h.language ? ev->h.language(lang, ev->h.data) : NULL;
}

enum events_cmd_flags {
    EVENTS_CMD_NO_REPLY = 1, /* no "reply" object when it succeeds (status is its answer) */
    EVENTS_CMD_LOGIN = 2,    /* needs an administrator's login on this connection */
};

/* Every command the socket knows, with who may send it (OpenSSH's mon_dispatch: a table
 * of {type, flags, handler}; a request not permitted is refused before its handler
 * runs).  RUN is here, or SVC names the service's handler (events_handlers.service). */
static const struct events_cmd {
    const char *name;
    enum events_role who; /* the role a peer needs (docs/protocol.md) */
    unsigned flags;       /* enum events_cmd_flags */
    events_cmd_fn run;
    enum events_service_cmd svc;
} events_cmds[] = {
    {"status", EVENTS_ROLE_OBSERVER, EVENTS_CMD_NO_REPLY, .run = events_cmd_status},
    {"details", EVENTS_ROLE_SCREEN, 0, .run = events_cmd_details},
    {"cancel", EVENTS_ROLE_SCREEN, 0, .run = events_cmd_cancel},
    {"language", EVENTS_ROLE_SCREEN, EVENTS_CMD_NO_REPLY, .run = events_cmd_language},
    {"print", EVENTS_ROLE_SCREEN, 0, .svc = EVENTS_SVC_PRINT},
    {"admin-login", EVENTS_ROLE_SCREEN, 0, .svc = EVENTS_SVC_ADMIN_LOGIN},
    {"admin-status", EVENTS_ROLE_SCREEN, EVENTS_CMD_LOGIN, .svc = EVENTS_SVC_ADMIN_STATUS},
    {"admin-media", EVENTS_ROLE_SCREEN, EVENTS_CMD_LOGIN, .svc = EVENTS_SVC_ADMIN_MEDIA},
    {"admin-logout", EVENTS_ROLE_SCREEN, 0, .svc = EVENTS_SVC_ADMIN_LOGOUT},
    /* The console: `kiosk policy install`, `kiosk staging retry|list`. */
    {"reload", EVENTS_ROLE_ROOT, 0, .svc = EVENTS_SVC_RELOAD},
    {"staging-retry", EVENTS_ROLE_ROOT, 0, .svc = EVENTS_SVC_STAGING_RETRY},
    {"staging-status", EVENTS_ROLE_ROOT, 0, .svc = EVENTS_SVC_STAGING_STATUS},
};

/* The entry for NAME that this service carries out, or NULL (unknown command). */
static const struct events_cmd *events_cmd_find(const struct events *ev, const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(events_cmds); i++) {
        const struct events_cmd *c = &events_cmds[i];
        if (!strcmp(name, c->name))
            return c->run || ev->h.service[c->svc] ? c : NULL;
    }
    return NULL;
}

/* The one check of who may send what: the peer's role, then the administrator's login
 * where the command needs one (a login in use is extended; an expired one is over). */
static bool events_cmd_allowed(const struct events_cmd *c, struct events_peer *peer, char **error)
{
    gint64 now = g_get_monotonic_time();
    if (peer->admin && now > peer->admin_until)
        peer->admin = false; /* the login expired */
    if (!events_peer_may(peer, c->who, error))
        return false;
    if (!(c->flags & EVENTS_CMD_LOGIN))
        return true;
    if (!peer->admin) {
        *error = g_strdup("administrator login required");
        return false;
    }
    peer->admin_until = now + EVENTS_ADMIN_LOGIN_US;
    return true;
}

/* Run command C for PEER: NULL when done, or why not (newly allocated). */
static char *events_cmd_run(struct events *ev, const struct events_cmd *c, JsonObject *msg,
                            struct events_peer *peer, JsonObject *reply, JsonArray *out)
{
    char *error = NULL;
    if (!events_cmd_allowed(c, peer, &error))
        return error;
    if (c->run)
        return c->run(ev, msg, peer, reply, out);
    return ev->h.service[c->svc](msg, peer, reply, ev->h.data);
}

static JsonObject *events_reply(const struct events *ev, const char *cmd, const char *error)
{
    JsonObject *o = events_head(ev, "reply", ev->session);
    if (cmd)
        json_object_set_string_member(o, "cmd", cmd);
    else
        json_object_set_null_member(o, "cmd");
    json_object_set_boolean_member(o, "ok", error == NULL);
    if (error)
        json_object_set_string_member(o, "error", error);
    else
        json_object_set_null_member(o, "error");
    return o;
}

JsonArray *events_handle_line(struct events *ev, const char *line, size_t len, bool *bad)
{
    /* Unit tests and fuzzing: a peer of the screen's role. */
    struct events_peer nobody = {.uid = -1,
                                 .roles = EVENTS_ROLE_OBSERVER | EVENTS_ROLE_SCREEN};
    return events_handle_line_peer(ev, &nobody, line, len, bad);
}

JsonArray *events_handle_line_peer(struct events *ev, struct events_peer *peer, const char *line,
                                   size_t len, bool *bad)
{
    JsonObject *extra = NULL;
    JsonArray *out = json_array_new();
    JsonParser *p = json_parser_new();
    GError *err = NULL;
    const char *error = NULL;
    char *own_error = NULL;
    const char *cmd = NULL;
    *bad = true;

    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    if (len == 0) {
        *bad = false; /* blank lines are harmless keep-alives */
        goto out;
    }
    if (len > EVENTS_MAX_LINE || !g_utf8_validate(line, (gssize)len, NULL)) {
        error = "invalid input";
        goto reply;
    }
    if (!json_parser_load_from_data(p, line, (gssize)len, &err)) {
        error = "not valid JSON";
        goto reply;
    }
    JsonNode *root = json_parser_get_root(p);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        error = "a command is a JSON object";
        goto reply;
    }
    JsonObject *msg = json_node_get_object(root);
    JsonNode *cn = json_object_get_member(msg, "cmd");
    if (!cn || !JSON_NODE_HOLDS_VALUE(cn) || json_node_get_value_type(cn) != G_TYPE_STRING) {
        error = "missing \"cmd\"";
        goto reply;
    }
    const struct events_cmd *c = events_cmd_find(ev, json_node_get_string(cn));
    if (!c) {
        error = "unknown command";
        goto reply;
    }
    cmd = c->name;
    *bad = false; /* a refused command is a normal answer, not abuse */
    extra = json_object_new();
    own_error = events_cmd_run(ev, c, msg, peer, extra, out);
    if ((c->flags & EVENTS_CMD_NO_REPLY) && !own_error)
        goto out;
    error = own_error;
reply:;
    JsonObject *r = events_reply(ev, cmd, error);
    if (extra) {
        JsonObjectIter it;
        const char *mname;
        JsonNode *value;
        json_object_iter_init(&it, extra);
        while (json_object_iter_next(&it, &mname, &value))
            json_object_set_member(r, mname, json_node_copy(value));
    }
    json_array_add_object_element(out, r);
out:
    if (extra)
        json_object_unref(extra);
    g_clear_error(&err);
    g_object_unref(p);
    g_free(own_error);
    return out;
}

/* ---- the service side ----------------------------------------------------------------- */

JsonObject *events_status(struct events *ev)
{
    JsonObject *o = events_head(ev, "status", ev->session);
    if (ev->state) {
        JsonObjectIter it;
        const char *name;
        JsonNode *value;
        json_object_iter_init_ordered(&it, ev->state);
        while (json_object_iter_next_ordered(&it, &name, &value)) {
            if (!strcmp(name, "type"))
                json_object_set_string_member(o, "state", json_node_get_string(value));
            else if (!strcmp(name, "time"))
                json_object_set_member(o, "since", json_node_copy(value));
            else if (strcmp(name, "testing_mode") != 0)
                json_object_set_member(o, name, json_node_copy(value));
        }
    } else {
        json_object_set_string_member(o, "state", "idle");
    }
    json_object_set_int_member(o, "queue", ev->queue);
    json_object_set_string_member(o, "kiosk_version", version_string());
    return o;
}

void events_set_queue(struct events *ev, int queue)
{
    ev->queue = queue;
}

void events_emit(struct events *ev, const char *type, const char *session, JsonObject *fields)
{
    JsonObject *o = events_head(ev, type, session);
    if (fields) {
        JsonObjectIter it;
        const char *name;
        JsonNode *value;
        json_object_iter_init_ordered(&it, fields);
        while (json_object_iter_next_ordered(&it, &name, &value))
            json_object_set_member(o, name, json_node_copy(value));
        json_object_unref(fields);
    }
    if (events_is_state(type)) {
        /* The snapshot's session is the state's (a "publication" or "print" event may be
         * about an earlier one). */
        g_free(ev->session);
        ev->session = g_strdup(session);
        if (ev->state)
            json_object_unref(ev->state);
        ev->state = json_object_ref(o);
        if (ev->h.state)
            ev->h.state(type, o, ev->h.data);
    }
    /* events_client_send may close (and unlink) a client: walk a copy. */
    GList *copy = g_list_copy(ev->clients);
    for (GList *l = copy; l; l = l->next)
        if (g_list_find(ev->clients, l->data))
            events_client_send(l->data, o);
    g_list_free(copy);
    json_object_unref(o);
}

/* Is something listening on PATH already? */
static bool events_socket_live(const char *path)
{
    GSocketClient *cl = g_socket_client_new();
    GSocketAddress *a = g_unix_socket_address_new(path);
    GSocketConnection *c = g_socket_client_connect(cl, G_SOCKET_CONNECTABLE(a), NULL, NULL);
    bool live = c != NULL;
    if (c)
        g_object_unref(c);
    g_object_unref(a);
    g_object_unref(cl);
    return live;
}

struct events *events_new(const char *path, const char *group, const struct events_info *info,
                          const struct events_handlers *h, char **why)
{
    struct events *ev = g_new0(struct events, 1);
    ev->info.kiosk_name = g_strdup(info->kiosk_name ? info->kiosk_name : "");
    ev->info.site = g_strdup(info->site ? info->site : "");
    ev->info.language = g_strdup(info->language ? info->language : "en");
    ev->info.testing_mode = info->testing_mode;
    ev->info.can_print = info->can_print;
    if (info->screen_uids) {
        ev->screen_uids = g_array_new(FALSE, FALSE, sizeof(int));
        g_array_append_vals(ev->screen_uids, info->screen_uids, (guint)info->n_screen_uids);
    }
    if (h)
        ev->h = *h;
    if (!path)
        return ev;

    struct stat st;
    if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        *why = g_strdup_printf("socket path too long: %s", path);
        goto fail;
    }
    char *dir = g_path_get_dirname(path);
    int r = util_mkdir_p(dir, 0755);
    g_free(dir);
    if (r != 0) {
        *why = g_strdup_printf("cannot create the folder of %s: %s", path, g_strerror(errno));
        goto fail;
    }
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            *why = g_strdup_printf("%s exists and is not a socket", path);
            goto fail;
        }
        if (events_socket_live(path)) {
            *why = g_strdup_printf("another kiosk service is listening on %s", path);
            goto fail;
        }
        unlink(path); /* stale, from a crash */
    }
    ev->path = g_strdup(path);
    ev->service = g_socket_service_new();
    GSocketAddress *addr = g_unix_socket_address_new(path);
    GError *err = NULL;
    /* Nobody but root and the group may connect, from the first moment on. */
    mode_t old = umask(0117);
    gboolean ok = g_socket_listener_add_address(G_SOCKET_LISTENER(ev->service), addr,
                                                G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                                                NULL, NULL, &err);
    umask(old);
    g_object_unref(addr);
    if (!ok) {
        *why = g_strdup_printf("cannot listen on %s: %s", path, err->message);
        g_error_free(err);
        goto fail;
    }
    struct group *gr = group && *group ? getgrnam(group) : NULL;
    if (gr && chown(path, 0, gr->gr_gid) != 0)
        log_warn("events: chown %s: %s", path, g_strerror(errno));
    else if (!gr && group && *group)
        log_warn("events: group %s does not exist; only root can connect to %s", group, path);
    if (chmod(path, 0660) != 0)
        log_warn("events: chmod %s: %s", path, g_strerror(errno));
    g_signal_connect(ev->service, "incoming", G_CALLBACK(events_on_incoming), ev);
    g_socket_service_start(ev->service);
    return ev;
fail:
    events_free(ev);
    return NULL;
}

void events_free(struct events *ev)
{
    if (!ev)
        return;
    while (ev->clients)
        events_client_close(ev->clients->data);
    if (ev->service) {
        g_socket_service_stop(ev->service);
        g_socket_listener_close(G_SOCKET_LISTENER(ev->service));
        g_object_unref(ev->service);
    }
    if (ev->path)
        unlink(ev->path);
    g_free(ev->path);
    if (ev->screen_uids)
        g_array_free(ev->screen_uids, TRUE);
    if (ev->state)
        json_object_unref(ev->state);
    g_free(ev->session);
    g_free((char *)ev->info.kiosk_name);
    g_free((char *)ev->info.site);
    g_free((char *)ev->info.language);
    g_free(ev);
}

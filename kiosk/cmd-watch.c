/* cmd-watch.c - `kiosk watch`: print the service's events live (docs/protocol.md). */
#include "common/util.h"
#include "common/json.h"
#include "kiosk/cli.h"
#include "kiosk/cmd.h"
#include "kiosk/config.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

static char *cmd_watch_device(JsonObject *o)
{
    JsonNode *n = json_object_get_member(o, "device");
    JsonObject *d = n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
    if (!d)
        return g_strdup("USB media");
    gint64 size = json_member_int(d, "size", -1);
    char *sz = util_format_bytes(size > 0 ? (uint64_t)size : 0);
    char *s = g_strdup_printf("%s %s (%s, %s)", json_member_string(d, "vendor", ""),
                              json_member_string(d, "model", ""), sz,
                              json_member_string(d, "devnode", "?"));
    g_free(sz);
    return s;
}

/* One line (or a few) per event type of events.h's protocol; DEV is the device's summary. */
static void cmd_watch_hello(GString *s, JsonObject *o, const char *dev)
{
    (void)dev;
    g_string_append_printf(s, "connected to %s%s%s (protocol %" G_GINT64_FORMAT ")",
                           json_member_string(o, "kiosk_name", "kiosk"),
                           *json_member_string(o, "site", "") ? ", " : "",
                           json_member_string(o, "site", ""), json_member_int(o, "version", -1));
}

static void cmd_watch_status(GString *s, JsonObject *o, const char *dev)
{
    (void)dev;
    g_string_append_printf(s, "status: %s, %" G_GINT64_FORMAT " waiting",
                           json_member_string(o, "state", "?"), json_member_int(o, "queue", -1));
}

static void cmd_watch_detected(GString *s, JsonObject *o, const char *dev)
{
    (void)o;
    g_string_append_printf(s, "detected %s", dev);
}

static void cmd_watch_waiting(GString *s, JsonObject *o, const char *dev)
{
    g_string_append_printf(s, "waiting: %s is number %" G_GINT64_FORMAT " in line", dev,
                           json_member_int(o, "position", -1));
}

static void cmd_watch_refused(GString *s, JsonObject *o, const char *dev)
{
    g_string_append_printf(s, "REFUSED %s: %s", dev, json_member_string(o, "reason", ""));
}

static void cmd_watch_checking(GString *s, JsonObject *o, const char *dev)
{
    (void)o;
    g_string_append_printf(s, "checking %s", dev);
}

static void cmd_watch_scanning(GString *s, JsonObject *o, const char *dev)
{
    (void)dev;
    char *a = util_format_bytes((uint64_t)MAX(0, json_member_int(o, "bytes_done", -1)));
    char *b = util_format_bytes((uint64_t)MAX(0, json_member_int(o, "bytes_total", -1)));
    g_string_append_printf(s, "scanning: %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " files, %s of %s",
                           json_member_int(o, "files_done", -1),
                           json_member_int(o, "files_total", -1), a, b);
    if (json_member_int(o, "eta_seconds", -1) >= 0)
        g_string_append_printf(s, ", about %" G_GINT64_FORMAT " s left",
                               json_member_int(o, "eta_seconds", -1));
    if (json_member_string(o, "current", NULL))
        g_string_append_printf(s, "  %s", json_member_string(o, "current", ""));
    g_free(a);
    g_free(b);
}

/* The member NAME of O when it is an array, else NULL. */
static JsonArray *cmd_watch_array(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);
    return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

/* Element I of A when it is an object, else NULL. */
static JsonObject *cmd_watch_element(JsonArray *a, guint i)
{
    JsonNode *n = json_array_get_element(a, i);
    return JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

/* The result: counts, then one line per sanitized, held-back and EDIFACT file. */
static void cmd_watch_done(GString *s, JsonObject *o, const char *dev)
{
    (void)dev;
    JsonNode *cn = json_object_get_member(o, "counts");
    JsonObject *c = cn && JSON_NODE_HOLDS_OBJECT(cn) ? json_node_get_object(cn) : NULL;
    g_string_append_printf(s,
                           "done (%s): %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                           " files delivered, %" G_GINT64_FORMAT " infected, %" G_GINT64_FORMAT
                           " blocked, %" G_GINT64_FORMAT " could not be scanned -> %s",
                           json_member_string(o, "status", "?"),
                           json_member_int(c, "delivered", -1), json_member_int(c, "files", -1),
                           json_member_int(c, "infected", -1), json_member_int(c, "blocked", -1),
                           json_member_int(c, "error", -1), json_member_string(o, "delivery", "-"));
    JsonArray *sa = cmd_watch_array(o, "sanitized");
    for (guint i = 0; sa && i < json_array_get_length(sa); i++) {
        JsonObject *e = cmd_watch_element(sa, i);
        g_string_append_printf(s, "\n           %-9s %s: %s", "sanitized",
                               json_member_string(e, "path", "?"),
                               json_member_string(e, "reason", ""));
    }
    JsonArray *h = cmd_watch_array(o, "held_back");
    for (guint i = 0; h && i < json_array_get_length(h); i++) {
        JsonObject *e = cmd_watch_element(h, i);
        g_string_append_printf(s, "\n           %-9s %s: %s", json_member_string(e, "verdict", "?"),
                               json_member_string(e, "path", "?"),
                               json_member_string(e, "reason", ""));
    }
    /* EDIFACT files: what each is, and its problem (docs/edifact.md) */
    JsonArray *ea = cmd_watch_array(o, "edifact");
    for (guint i = 0; ea && i < json_array_get_length(ea); i++) {
        JsonObject *x = cmd_watch_element(ea, i);
        g_string_append_printf(s, "\n           EDIFACT   %s: %s",
                               json_member_string(x, "path", "?"),
                               json_member_string(x, "headline", ""));
        if (json_member_string(x, "problem", NULL))
            g_string_append_printf(s, "\n                     problem: %s",
                                   json_member_string(x, "problem", ""));
    }
}

static void cmd_watch_edifact_mismatch(GString *s, JsonObject *o, const char *dev)
{
    (void)dev;
    JsonArray *ma = cmd_watch_array(o, "mismatches");
    g_string_append(s, "the session details disagree with the files:");
    for (guint i = 0; ma && i < json_array_get_length(ma); i++) {
        JsonObject *x = cmd_watch_element(ma, i);
        g_string_append_printf(s, "\n           %s: %s", json_member_string(x, "path", "?"),
                               json_member_string(x, "text", ""));
    }
}

static void cmd_watch_failed(GString *s, JsonObject *o, const char *dev)
{
    (void)dev;
    g_string_append_printf(s, "FAILED: %s", json_member_string(o, "reason", ""));
}

static void cmd_watch_out_of_service(GString *s, JsonObject *o, const char *dev)
{
    (void)dev;
    g_string_append_printf(s, "OUT OF SERVICE (%s): %s", json_member_string(o, "code", "?"),
                           json_member_string(o, "reason", ""));
}

static void cmd_watch_reply(GString *s, JsonObject *o, const char *dev)
{
    (void)dev;
    JsonNode *ok = json_object_get_member(o, "ok");
    bool good = ok && JSON_NODE_HOLDS_VALUE(ok) && json_node_get_boolean(ok);
    g_string_append_printf(s, "reply to %s: %s%s", json_member_string(o, "cmd", "?"),
                           good ? "ok" : "error: ", good ? "" : json_member_string(o, "error", ""));
}

/* Each event type: a fixed text, or a function that writes the line. */
static const struct cmd_watch_type {
    const char *type;
    const char *text;
    void (*line)(GString *s, JsonObject *o, const char *dev);
} cmd_watch_types[] = {
    {"hello", NULL, cmd_watch_hello},
    {"status", NULL, cmd_watch_status},
    {"idle", "ready: insert USB media", NULL},
    {"detected", NULL, cmd_watch_detected},
    {"waiting", NULL, cmd_watch_waiting},
    {"refused", NULL, cmd_watch_refused},
    {"checking", NULL, cmd_watch_checking},
    {"scanning", NULL, cmd_watch_scanning},
    {"delivering", "delivering clean files", NULL},
    {"done", NULL, cmd_watch_done},
    {"edifact-mismatch", NULL, cmd_watch_edifact_mismatch},
    {"failed", NULL, cmd_watch_failed},
    {"remove-media", "remove the USB media", NULL},
    {"out-of-service", NULL, cmd_watch_out_of_service},
    {"reply", NULL, cmd_watch_reply},
};

/* One event for a person: its time, the line for its type, and the session it belongs to. */
static void cmd_watch_human(JsonObject *o)
{
    const char *type = json_member_string(o, "type", "?");
    const char *time = json_member_string(o, "time", "");
    const char *t = strchr(time, 'T');
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%.8s ", t ? t + 1 : time);
    JsonNode *tm = json_object_get_member(o, "testing_mode");
    if (tm && JSON_NODE_HOLDS_VALUE(tm) && json_node_get_boolean(tm))
        g_string_append(s, "[TESTING MODE] ");
    char *dev = cmd_watch_device(o);
    const struct cmd_watch_type *wt = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(cmd_watch_types) && !wt; i++)
        if (!strcmp(type, cmd_watch_types[i].type))
            wt = &cmd_watch_types[i];
    if (wt && wt->line)
        wt->line(s, o, dev);
    else
        g_string_append(s, wt ? wt->text : type);
    const char *session = json_member_string(o, "session", NULL);
    if (session && strcmp(type, "hello") != 0)
        g_string_append_printf(s, "  [%s]", session);
    printf("%s\n", s->str);
    g_string_free(s, TRUE);
    g_free(dev);
}

/* Send each command line of SENDS (NULL-terminated, may be NULL) to the service. */
static bool cmd_watch_send(GSocketConnection *conn, char **sends, GError **err)
{
    GOutputStream *os = g_io_stream_get_output_stream(G_IO_STREAM(conn));
    for (guint i = 0; sends && sends[i]; i++) {
        const char *line = sends[i];
        if (!g_output_stream_write_all(os, line, strlen(line), NULL, NULL, err) ||
            !g_output_stream_write_all(os, "\n", 1, NULL, NULL, err))
            return false;
    }
    return true;
}

/* Print the events from IN as they come (raw with JSON, else for a person) until the
 * service closes the connection or, with UNTIL, the first event of that type came. */
static void cmd_watch_follow(GDataInputStream *in, bool json, const char *until)
{
    JsonParser *p = json_parser_new();
    for (;;) {
        gsize len;
        char *line = g_data_input_stream_read_line(in, &len, NULL, NULL);
        if (!line)
            break;
        bool stop = false;
        if (json) {
            printf("%s\n", line);
        }
        if (json_parser_load_from_data(p, line, (gssize)len, NULL) && json_parser_get_root(p) &&
            JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
            JsonObject *o = json_node_get_object(json_parser_get_root(p));
            if (!json)
                cmd_watch_human(o);
            stop = until && !g_strcmp0(json_member_string(o, "type", NULL), until);
        }
        fflush(stdout);
        g_free(line);
        if (stop)
            break;
    }
    g_object_unref(p);
}

int cmd_watch(int argc, char **argv)
{
    const char *sock = NULL, *config_path = NULL, *until = NULL;
    char **sends = NULL;
    gboolean json = FALSE;
    const GOptionEntry opts[] = {
        {"socket", 0, 0, G_OPTION_ARG_FILENAME, &sock, "The service's socket", "PATH"},
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Settings file (for the socket)",
         "FILE"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json,
         "Print the events as they come, one JSON object "
         "a line",
         NULL},
        {"send", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sends,
         "Send a command line first, e.g. '{\"cmd\":\"cancel\"}' (repeatable)", "JSON"},
        {"until", 0, 0, G_OPTION_ARG_STRING, &until, "Exit after the first event of TYPE", "TYPE"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    struct cli cli = {.cmd = "kiosk watch"};
    int rc = 2;
    GSocketClient *cl = NULL;
    GSocketAddress *addr = NULL;
    GSocketConnection *conn = NULL;
    GDataInputStream *in = NULL;
    struct kiosk_config *cfg = NULL;
    GError *err = NULL;
    char *why = NULL;

    int prc = cli_parse(&cli, &argc, &argv, "",
                        "Print the kiosk service's events as they happen, one line each (--json: "
                        "the raw\nJSON objects, one a line).  Exits when the service closes the "
                        "connection, or\nafter the first event of TYPE with --until.",
                        "Exit status: 0 the service closed the connection or TYPE came, 1 the "
                        "service is\nnot reachable, 2 usage.\n",
                        opts, NULL, 0, 0);
    if (prc != 0)
        return cli_parse_exit(prc);
    if (!sock) {
        if (config_load(config_path, &cfg, &why) != 0) {
            cli_fail(&cli, "%s", why);
            goto out;
        }
        sock = cfg->socket;
    }
    rc = 1;
    cl = g_socket_client_new();
    addr = g_unix_socket_address_new(sock);
    conn = g_socket_client_connect(cl, G_SOCKET_CONNECTABLE(addr), NULL, &err);
    if (!conn) {
        cli_fail(&cli, "cannot connect to the kiosk service at %s: %s", sock, err->message);
        goto out;
    }
    if (!cmd_watch_send(conn, sends, &err)) {
        cli_fail(&cli, "cannot send to the service: %s", err->message);
        goto out;
    }
    in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
    g_data_input_stream_set_newline_type(in, G_DATA_STREAM_NEWLINE_TYPE_LF);
    cmd_watch_follow(in, json, until);
    rc = 0;
out:
    g_clear_error(&err);
    if (in)
        g_object_unref(in);
    if (conn)
        g_object_unref(conn);
    if (addr)
        g_object_unref(addr);
    if (cl)
        g_object_unref(cl);
    config_free(cfg);
    g_free(why);
    return rc;
}

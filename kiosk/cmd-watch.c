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
    if (!strcmp(type, "hello")) {
        g_string_append_printf(s, "connected to %s%s%s (protocol %" G_GINT64_FORMAT ")",
                               json_member_string(o, "kiosk_name", "kiosk"),
                               *json_member_string(o, "site", "") ? ", " : "",
                               json_member_string(o, "site", ""),
                               json_member_int(o, "version", -1));
    } else if (!strcmp(type, "status")) {
        g_string_append_printf(s, "status: %s, %" G_GINT64_FORMAT " waiting",
                               json_member_string(o, "state", "?"),
                               json_member_int(o, "queue", -1));
    } else if (!strcmp(type, "idle")) {
        g_string_append(s, "ready: insert USB media");
    } else if (!strcmp(type, "detected")) {
        g_string_append_printf(s, "detected %s", dev);
    } else if (!strcmp(type, "waiting")) {
        g_string_append_printf(s, "waiting: %s is number %" G_GINT64_FORMAT " in line", dev,
                               json_member_int(o, "position", -1));
    } else if (!strcmp(type, "refused")) {
        g_string_append_printf(s, "REFUSED %s: %s", dev, json_member_string(o, "reason", ""));
    } else if (!strcmp(type, "checking")) {
        g_string_append_printf(s, "checking %s", dev);
    } else if (!strcmp(type, "scanning")) {
        char *a = util_format_bytes((uint64_t)MAX(0, json_member_int(o, "bytes_done", -1)));
        char *b = util_format_bytes((uint64_t)MAX(0, json_member_int(o, "bytes_total", -1)));
        g_string_append_printf(
            s, "scanning: %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " files, %s of %s",
            json_member_int(o, "files_done", -1), json_member_int(o, "files_total", -1), a, b);
        if (json_member_int(o, "eta_seconds", -1) >= 0)
            g_string_append_printf(s, ", about %" G_GINT64_FORMAT " s left",
                                   json_member_int(o, "eta_seconds", -1));
        if (json_member_string(o, "current", NULL))
            g_string_append_printf(s, "  %s", json_member_string(o, "current", ""));
        g_free(a);
        g_free(b);
    } else if (!strcmp(type, "delivering")) {
        g_string_append(s, "delivering clean files");
    } else if (!strcmp(type, "done")) {
        JsonNode *cn = json_object_get_member(o, "counts");
        JsonObject *c = cn && JSON_NODE_HOLDS_OBJECT(cn) ? json_node_get_object(cn) : NULL;
        g_string_append_printf(s,
                               "done (%s): %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                               " files delivered, %" G_GINT64_FORMAT " infected, %" G_GINT64_FORMAT
                               " blocked, %" G_GINT64_FORMAT " could not be scanned -> %s",
                               json_member_string(o, "status", "?"),
                               json_member_int(c, "delivered", -1), json_member_int(c, "files", -1),
                               json_member_int(c, "infected", -1),
                               json_member_int(c, "blocked", -1), json_member_int(c, "error", -1),
                               json_member_string(o, "delivery", "-"));
        JsonNode *sn = json_object_get_member(o, "sanitized");
        JsonArray *sa = sn && JSON_NODE_HOLDS_ARRAY(sn) ? json_node_get_array(sn) : NULL;
        for (guint i = 0; sa && i < json_array_get_length(sa); i++) {
            JsonNode *en = json_array_get_element(sa, i);
            JsonObject *e = JSON_NODE_HOLDS_OBJECT(en) ? json_node_get_object(en) : NULL;
            g_string_append_printf(s, "\n           %-9s %s: %s", "sanitized",
                                   json_member_string(e, "path", "?"),
                                   json_member_string(e, "reason", ""));
        }
        JsonNode *hn = json_object_get_member(o, "held_back");
        JsonArray *h = hn && JSON_NODE_HOLDS_ARRAY(hn) ? json_node_get_array(hn) : NULL;
        for (guint i = 0; h && i < json_array_get_length(h); i++) {
            JsonNode *en = json_array_get_element(h, i);
            JsonObject *e = JSON_NODE_HOLDS_OBJECT(en) ? json_node_get_object(en) : NULL;
            g_string_append_printf(
                s, "\n           %-9s %s: %s", json_member_string(e, "verdict", "?"),
                json_member_string(e, "path", "?"), json_member_string(e, "reason", ""));
        }
        /* EDIFACT files: what each is, and its problem (docs/edifact.md) */
        JsonNode *en = json_object_get_member(o, "edifact");
        JsonArray *ea = en && JSON_NODE_HOLDS_ARRAY(en) ? json_node_get_array(en) : NULL;
        for (guint i = 0; ea && i < json_array_get_length(ea); i++) {
            JsonNode *xn = json_array_get_element(ea, i);
            JsonObject *x = JSON_NODE_HOLDS_OBJECT(xn) ? json_node_get_object(xn) : NULL;
            g_string_append_printf(s, "\n           EDIFACT   %s: %s",
                                   json_member_string(x, "path", "?"),
                                   json_member_string(x, "headline", ""));
            if (json_member_string(x, "problem", NULL))
                g_string_append_printf(s, "\n                     problem: %s",
                                       json_member_string(x, "problem", ""));
        }
    } else if (!strcmp(type, "edifact-mismatch")) {
        JsonNode *mn = json_object_get_member(o, "mismatches");
        JsonArray *ma = mn && JSON_NODE_HOLDS_ARRAY(mn) ? json_node_get_array(mn) : NULL;
        g_string_append(s, "the session details disagree with the files:");
        for (guint i = 0; ma && i < json_array_get_length(ma); i++) {
            JsonNode *xn = json_array_get_element(ma, i);
            JsonObject *x = JSON_NODE_HOLDS_OBJECT(xn) ? json_node_get_object(xn) : NULL;
            g_string_append_printf(s, "\n           %s: %s", json_member_string(x, "path", "?"),
                                   json_member_string(x, "text", ""));
        }
    } else if (!strcmp(type, "failed")) {
        g_string_append_printf(s, "FAILED: %s", json_member_string(o, "reason", ""));
    } else if (!strcmp(type, "remove-media")) {
        g_string_append(s, "remove the USB media");
    } else if (!strcmp(type, "out-of-service")) {
        g_string_append_printf(s, "OUT OF SERVICE (%s): %s", json_member_string(o, "code", "?"),
                               json_member_string(o, "reason", ""));
    } else if (!strcmp(type, "reply")) {
        JsonNode *ok = json_object_get_member(o, "ok");
        bool good = ok && JSON_NODE_HOLDS_VALUE(ok) && json_node_get_boolean(ok);
        g_string_append_printf(
            s, "reply to %s: %s%s", json_member_string(o, "cmd", "?"),
            good ? "ok" : "error: ", good ? "" : json_member_string(o, "error", ""));
    } else {
        g_string_append_printf(s, "%s", type);
    }
    const char *session = json_member_string(o, "session", NULL);
    if (session && strcmp(type, "hello") != 0)
        g_string_append_printf(s, "  [%s]", session);
    printf("%s\n", s->str);
    g_string_free(s, TRUE);
    g_free(dev);
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
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the events as they come, one JSON object "
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
    GOutputStream *os = g_io_stream_get_output_stream(G_IO_STREAM(conn));
    for (guint i = 0; sends && sends[i]; i++) {
        const char *line = sends[i];
        if (!g_output_stream_write_all(os, line, strlen(line), NULL, NULL, &err) ||
            !g_output_stream_write_all(os, "\n", 1, NULL, NULL, &err)) {
            cli_fail(&cli, "cannot send to the service: %s", err->message);
            goto out;
        }
    }
    in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
    g_data_input_stream_set_newline_type(in, G_DATA_STREAM_NEWLINE_TYPE_LF);
    JsonParser *p = json_parser_new();
    for (;;) {
        gsize len;
        char *line = g_data_input_stream_read_line(in, &len, NULL, &err);
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

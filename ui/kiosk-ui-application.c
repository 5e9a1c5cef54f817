/* kiosk-ui-application.c - the kiosk screen application.
 *
 * It connects to the service's UNIX socket, feeds every line to the plain-C state
 * machine (ui/screen-state.c) and shows the resulting screen.  When the connection drops
 * it shows "service not running" and reconnects every second; the service then sends
 * hello + a status snapshot and the screen follows.  It decides nothing about files.
 * The administrator's pages are kiosk-ui-admin.c, the debug outputs and simulated touches
 * kiosk-ui-debug.c; kiosk-ui-application-private.h is what the three share. */
#include "ui/kiosk-ui-application.h"
#include "ui/kiosk-ui-application-private.h"
#include "common/json.h"
#include "common/version.h"

#include <gio/gunixsocketaddress.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libintl.h>
#include <locale.h>
#include <string.h>

#include "ui/kiosk-admin-login-page.h"
#include "ui/kiosk-admin-page.h"
#include "ui/kiosk-ui-format.h"
#include "ui/kiosk-window.h"
#include "ui/screen-state.h"

#define KIOSK_UI_DOMAIN "kiosk"
#define RECONNECT_MS 1000
#define DEFAULT_SOCKET "/run/kiosk/kiosk.sock"
#define DEFAULT_CONFIG "/etc/kiosk/kiosk.conf"

G_DEFINE_FINAL_TYPE(KioskUiApplication, kiosk_ui_application, GTK_TYPE_APPLICATION)

static void connect_start(KioskUiApplication *self);

/* ---- language ---------------------------------------------------------------------- */

static const char *default_language(KioskUiApplication *self)
{
    if (self->language_opt)
        return self->language_opt;
    if (self->state && self->state->language)
        return self->state->language;
    if (self->config_language)
        return self->config_language;
    return "en";
}

/* Tell the service the visitor's language: the session records it, and its report and
 * receipt are printed in it (docs/protocol.md, "language"). */
static void send_language(KioskUiApplication *self)
{
    if (!self->conn || !self->language)
        return;
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "cmd");
    json_builder_add_string_value(b, "language");
    json_builder_set_member_name(b, "language");
    json_builder_add_string_value(b, self->language);
    json_builder_end_object(b);
    kiosk_ui_application_send_line(self, b);
}

static void set_language(KioskUiApplication *self, const char *lang)
{
    if (g_strcmp0(lang, "ja") != 0)
        lang = "en";
    if (g_strcmp0(self->language, lang) == 0)
        return;
    g_free(self->language);
    self->language = g_strdup(lang);
    send_language(self);
    g_setenv("LANGUAGE", lang, TRUE);
    /* make gettext drop its cache of looked-up messages */
    g_autofree char *cur = g_strdup(setlocale(LC_MESSAGES, NULL));
    setlocale(LC_MESSAGES, cur);

    GAction *a = g_action_map_lookup_action(G_ACTION_MAP(self), "language");
    if (a)
        g_simple_action_set_state(G_SIMPLE_ACTION(a), g_variant_new_string(lang));
    if (self->window) {
        GtkWidget *w = GTK_WIDGET(self->window);
        gtk_widget_remove_css_class(w, "ja");
        gtk_widget_remove_css_class(w, "en");
        gtk_widget_add_css_class(w, lang);
        kiosk_window_rebuild(self->window);
    }
}

/* ---- showing the state -------------------------------------------------------------- */

void kiosk_ui_application_render(KioskUiApplication *self)
{
    kiosk_ui_application_render_no_dump(self);
    kiosk_ui_debug_request_dump(self);
}

void kiosk_ui_application_render_no_dump(KioskUiApplication *self)
{
    enum screen_id screen = self->state->screen;
    /* The administrator's pages lie over the waiting / out-of-service screens only: a stick
     * inserted meanwhile (or a lost connection) gives the screen back to the service. */
    if (self->admin_mode != KIOSK_ADMIN_NONE &&
        (!self->state->connected || (screen != SCREEN_WAITING && screen != SCREEN_OUT_OF_SERVICE)))
        kiosk_ui_admin_leave(self);
    /* A new visitor starts in the kiosk's default language. */
    if (screen == SCREEN_WAITING && self->last_screen != SCREEN_WAITING) {
        self->language_chosen = FALSE;
    }
    if (!self->language_chosen)
        set_language(self, default_language(self));
    self->last_screen = screen;

    GAction *print = g_action_map_lookup_action(G_ACTION_MAP(self), "print");
    g_simple_action_set_enabled(G_SIMPLE_ACTION(print), self->state->can_print);
    struct kiosk_admin_login_view v = {
        .busy = self->login_busy,
        .failed = self->login_failed,
        .locked = self->login_locked,
        .retry_after = self->login_retry_after,
        .remaining = self->login_remaining,
        .message = self->login_message,
    };
    kiosk_window_set_admin(self->window, self->admin_mode, &v, self->admin_status, self->admin_note,
                           self->admin_note_error, self->stick_phase, self->stick_action,
                           self->stick_device);
    kiosk_window_render(self->window, self->state);
}

/* ---- the connection ----------------------------------------------------------------- */

static gboolean reconnect_cb(gpointer data)
{
    KioskUiApplication *self = data;
    self->reconnect_id = 0;
    connect_start(self);
    return G_SOURCE_REMOVE;
}

static void schedule_reconnect(KioskUiApplication *self)
{
    if (!self->reconnect_id)
        self->reconnect_id = g_timeout_add(RECONNECT_MS, reconnect_cb, self);
}

static void connection_lost(KioskUiApplication *self, const char *why)
{
    g_message("connection to %s lost: %s", self->socket_path, why);
    g_clear_object(&self->in);
    if (self->conn)
        g_io_stream_close(G_IO_STREAM(self->conn), NULL, NULL);
    g_clear_object(&self->conn);
    screen_state_disconnected(self->state);
    kiosk_ui_application_render(self);
    schedule_reconnect(self);
}

gboolean kiosk_ui_application_send_text(KioskUiApplication *self, const char *line, size_t len)
{
    if (!self->conn)
        return FALSE;
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(self->conn));
    g_autoptr(GError) err = NULL;
    if (!g_output_stream_write_all(out, line, len, NULL, NULL, &err)) {
        g_message("send failed: %s", err->message);
        return FALSE;
    }
    return TRUE;
}

gboolean kiosk_ui_application_send_line(KioskUiApplication *self, JsonBuilder *b)
{
    if (!self->conn)
        return FALSE;
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    g_autofree char *text = json_generator_to_data(gen, NULL);
    g_autofree char *line = g_strconcat(text, "\n", NULL);
    return kiosk_ui_application_send_text(self, line, strlen(line));
}

/* {"cmd":NAME} or {"cmd":NAME,"session":SESSION} */
gboolean kiosk_ui_application_send_cmd(KioskUiApplication *self, const char *name,
                                       const char *session)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "cmd");
    json_builder_add_string_value(b, name);
    if (session) {
        json_builder_set_member_name(b, "session");
        json_builder_add_string_value(b, session);
    }
    json_builder_end_object(b);
    return kiosk_ui_application_send_line(self, b);
}

/* ---- the service's replies and events -------------------------------------------- */

static void handle_reply(KioskUiApplication *self, const char *line)
{
    g_autoptr(JsonParser) p = json_parser_new();
    if (!json_parser_load_from_data(p, line, -1, NULL))
        return;
    JsonNode *root = json_parser_get_root(p);
    if (!JSON_NODE_HOLDS_OBJECT(root))
        return;
    JsonObject *o = json_node_get_object(root);
    const char *type = json_object_get_string_member_with_default(o, "type", "");
    if (strcmp(type, "admin-media") == 0) {
        if (self->admin_mode == KIOSK_ADMIN_STATUS) {
            kiosk_ui_admin_stick_event(self, o);
            kiosk_ui_application_render(self);
        }
        return;
    }
    if (strcmp(type, "print") == 0) {
        if (self->admin_mode == KIOSK_ADMIN_STATUS) {
            kiosk_ui_admin_print_event(self, o);
            kiosk_ui_application_render(self);
        }
        return;
    }
    if (strcmp(type, "reply") != 0)
        return;
    const char *cmd = json_object_get_string_member_with_default(o, "cmd", "");
    gboolean ok = json_object_get_boolean_member_with_default(o, "ok", FALSE);
    const char *error = json_member_string(o, "error", NULL);
    if (strcmp(cmd, "details") == 0) {
        kiosk_window_details_saved(self->window, ok, error);
        kiosk_ui_debug_request_dump(self);
    } else if (strcmp(cmd, "admin-login") == 0) {
        kiosk_ui_admin_login_reply(self, o, ok, error);
        kiosk_ui_application_render(self);
    } else if (strcmp(cmd, "admin-status") == 0) {
        kiosk_ui_admin_status_reply(self, o, ok, error);
        kiosk_ui_application_render(self);
    } else if (strcmp(cmd, "admin-media") == 0 && self->admin_mode == KIOSK_ADMIN_STATUS && !ok) {
        self->stick_phase = KIOSK_STICK_IDLE;
        kiosk_ui_admin_set_note(
            self, g_strdup_printf(_("Not possible now: %s"), error ? error : "?"), TRUE);
        kiosk_ui_application_render(self);
    } else if (strcmp(cmd, "print") == 0 && self->admin_mode == KIOSK_ADMIN_STATUS && !ok) {
        kiosk_ui_admin_set_note(self, g_strdup_printf(_("Not printed: %s"), error ? error : "?"),
                                TRUE);
        kiosk_ui_application_render(self);
    }
}

static void on_line(GObject *src, GAsyncResult *res, gpointer data)
{
    KioskUiApplication *self = data;
    g_autoptr(GError) err = NULL;
    gsize len = 0;
    g_autofree char *line =
        g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(src), res, &len, &err);
    if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    if (!line) {
        connection_lost(self, err ? err->message : "end of stream");
        return;
    }
    if (g_strstr_len(line, (gssize)len, "\"reply\"") ||
        g_strstr_len(line, (gssize)len, "\"print\"") ||
        g_strstr_len(line, (gssize)len, "\"admin-media\""))
        handle_reply(self, line);
    if (screen_state_feed_line(self->state, line))
        kiosk_ui_application_render(self);
    g_data_input_stream_read_line_async(self->in, G_PRIORITY_DEFAULT, self->cancel, on_line, self);
}

static void on_connected(GObject *src, GAsyncResult *res, gpointer data)
{
    KioskUiApplication *self = data;
    g_autoptr(GError) err = NULL;
    GSocketConnection *conn = g_socket_client_connect_finish(G_SOCKET_CLIENT(src), res, &err);
    if (!conn) {
        if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            schedule_reconnect(self);
        return;
    }
    g_message("connected to %s", self->socket_path);
    self->conn = conn;
    self->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
    g_data_input_stream_set_newline_type(self->in, G_DATA_STREAM_NEWLINE_TYPE_LF);
    screen_state_connected(self->state);
    send_language(self);
    g_data_input_stream_read_line_async(self->in, G_PRIORITY_DEFAULT, self->cancel, on_line, self);
}

static void connect_start(KioskUiApplication *self)
{
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(self->socket_path);
    g_socket_client_connect_async(self->client, G_SOCKET_CONNECTABLE(addr), self->cancel,
                                  on_connected, self);
}

/* ---- actions -------------------------------------------------------------------------- */

static void on_language(GSimpleAction *a, GVariant *param, gpointer data)
{
    KioskUiApplication *self = data;
    (void)a;
    self->language_chosen = TRUE;
    set_language(self, g_variant_get_string(param, NULL));
    kiosk_ui_application_render(self);
}

static void on_details(GSimpleAction *a, GVariant *param, gpointer data)
{
    KioskUiApplication *self = data;
    static const char *const names[] = {"vessel", "imo", "voyage", "company", "person"};
    const char *v[5];
    (void)a;
    g_variant_get(param, "(&s&s&s&s&s)", &v[0], &v[1], &v[2], &v[3], &v[4]);
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "cmd");
    json_builder_add_string_value(b, "details");
    for (unsigned i = 0; i < G_N_ELEMENTS(names); i++) {
        json_builder_set_member_name(b, names[i]);
        json_builder_add_string_value(b, v[i]);
    }
    json_builder_end_object(b);
    if (!kiosk_ui_application_send_line(self, b))
        kiosk_window_details_saved(self->window, FALSE, _("the service is not running"));
}

static void on_print(GSimpleAction *a, GVariant *param, gpointer data)
{
    KioskUiApplication *self = data;
    (void)a;
    (void)param;
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "cmd");
    json_builder_add_string_value(b, "print");
    json_builder_set_member_name(b, "session");
    json_builder_add_string_value(b, self->state->session);
    json_builder_end_object(b);
    kiosk_ui_application_send_line(self, b);
}

/* ---- start-up ----------------------------------------------------------------------- */

static void load_config(KioskUiApplication *self)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    const char *path = self->config_path ? self->config_path : DEFAULT_CONFIG;
    g_autoptr(GError) err = NULL;
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err)) {
        if (self->config_path)
            g_warning("config %s: %s", path, err->message);
        return;
    }
    self->config_language = g_key_file_get_string(kf, "kiosk", "language", NULL);
    g_autofree char *contact = g_key_file_get_string(kf, "ui", "contact", NULL);
    kiosk_format_set_contact(contact);
    if (!self->socket_path)
        self->socket_path = g_key_file_get_string(kf, "paths", "socket", NULL);
}

static char *find_localedir(KioskUiApplication *self)
{
    if (self->localedir)
        return g_strdup(self->localedir);
    /* running from the build folder: build/kiosk-ui next to build/locale */
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    if (exe) {
        g_autofree char *dir = g_path_get_dirname(exe);
        g_autofree char *mo =
            g_build_filename(dir, "locale", "ja", "LC_MESSAGES", "kiosk.mo", NULL);
        if (g_file_test(mo, G_FILE_TEST_EXISTS))
            return g_build_filename(dir, "locale", NULL);
    }
    return g_strdup(KIOSK_UI_LOCALEDIR);
}

static void on_fullscreen_changed(GtkWindow *w, GParamSpec *pspec, KioskUiApplication *self)
{
    (void)pspec;
    if (!self->windowed && !gtk_window_is_fullscreen(w))
        gtk_window_fullscreen(w); /* no way out to a desktop */
}

static gboolean on_signal(gpointer data)
{
    g_application_quit(G_APPLICATION(data));
    return G_SOURCE_CONTINUE;
}

static void on_css_error(GtkCssProvider *css, GtkCssSection *section, GError *error, gpointer data)
{
    (void)css;
    (void)data;
    g_autofree char *where = gtk_css_section_to_string(section);
    g_warning("style.css: %s: %s", where, error->message);
}

static void kiosk_ui_application_startup(GApplication *app)
{
    KioskUiApplication *self = KIOSK_UI_APPLICATION(app);
    G_APPLICATION_CLASS(kiosk_ui_application_parent_class)->startup(app);

    g_autoptr(GtkCssProvider) css = gtk_css_provider_new();
    g_signal_connect(css, "parsing-error", G_CALLBACK(on_css_error), NULL);
    gtk_css_provider_load_from_resource(css, "/jp/kiosk/ui/style.css");
    gtk_style_context_add_provider_for_display(gdk_display_get_default(), GTK_STYLE_PROVIDER(css),
                                               GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
    g_object_set(gtk_settings_get_default(), "gtk-application-prefer-dark-theme", FALSE,
                 "gtk-enable-animations", FALSE, NULL);
    static const GActionEntry entries[] = {
        {.name = "language", .activate = on_language, .parameter_type = "s", .state = "'en'"},
        {.name = "details", .activate = on_details, .parameter_type = "(sssss)"},
        {.name = "print", .activate = on_print},
    };
    g_action_map_add_action_entries(G_ACTION_MAP(app), entries, G_N_ELEMENTS(entries), self);
    kiosk_ui_admin_add_actions(self);
    g_unix_signal_add(SIGTERM, on_signal, app);
    g_unix_signal_add(SIGINT, on_signal, app);
}

static void kiosk_ui_application_activate(GApplication *app)
{
    KioskUiApplication *self = KIOSK_UI_APPLICATION(app);
    if (self->window) {
        gtk_window_present(GTK_WINDOW(self->window));
        return;
    }
    self->window = kiosk_window_new(GTK_APPLICATION(app));
    GtkWindow *w = GTK_WINDOW(self->window);
    g_signal_connect(w, "realize", G_CALLBACK(kiosk_ui_debug_on_window_realize), self);
    GtkEventController *touches = gtk_event_controller_legacy_new();
    gtk_event_controller_set_propagation_phase(touches, GTK_PHASE_CAPTURE);
    g_signal_connect(touches, "event", G_CALLBACK(kiosk_ui_admin_on_window_event), self);
    gtk_widget_add_controller(GTK_WIDGET(w), touches);
    int ww = 0, wh = 0;
    if (self->windowed && sscanf(self->windowed, "%dx%d", &ww, &wh) == 2 && ww > 0 && wh > 0) {
        gtk_window_set_default_size(w, ww, wh);
    } else {
        g_clear_pointer(&self->windowed, g_free);
        GListModel *monitors = gdk_display_get_monitors(gdk_display_get_default());
        g_autoptr(GdkMonitor) mon = g_list_model_get_item(monitors, 0);
        if (mon) {
            GdkRectangle geo;
            gdk_monitor_get_geometry(mon, &geo);
            gtk_window_set_default_size(w, geo.width, geo.height);
        }
        gtk_window_fullscreen(w);
        g_signal_connect(w, "notify::fullscreened", G_CALLBACK(on_fullscreen_changed), self);
    }
    set_language(self, default_language(self));
    kiosk_ui_application_render(self);
    gtk_window_present(w);
    connect_start(self);
#ifdef KIOSK_UI_TEST_CONTROL
    if (self->control_path)
        kiosk_ui_debug_control_start(self);
#endif
}

static int kiosk_ui_application_handle_local_options(GApplication *app, GVariantDict *opts)
{
    KioskUiApplication *self = KIOSK_UI_APPLICATION(app);
    (void)opts;
    if (self->show_version) {
        g_print("kiosk-ui %s\n", version_string());
        return 0;
    }
    if (self->language_opt && strcmp(self->language_opt, "en") != 0 &&
        strcmp(self->language_opt, "ja") != 0) {
        g_printerr("kiosk-ui: --language must be en or ja\n");
        return 2;
    }
    if (self->screenshot_dir && g_mkdir_with_parents(self->screenshot_dir, 0755) != 0) {
        g_printerr("kiosk-ui: cannot create %s\n", self->screenshot_dir);
        return 1;
    }
    if (self->admin_timeout < 1)
        self->admin_timeout = ADMIN_IDLE_SECONDS;
    load_config(self);
    if (!self->socket_path)
        self->socket_path = g_strdup(DEFAULT_SOCKET);

    g_autofree char *localedir = find_localedir(self);
    bindtextdomain(KIOSK_UI_DOMAIN, localedir);
    bind_textdomain_codeset(KIOSK_UI_DOMAIN, "UTF-8");
    textdomain(KIOSK_UI_DOMAIN);
    return -1; /* go on */
}

static void kiosk_ui_application_shutdown(GApplication *app)
{
    KioskUiApplication *self = KIOSK_UI_APPLICATION(app);
    g_cancellable_cancel(self->cancel);
    g_clear_handle_id(&self->reconnect_id, g_source_remove);
    g_clear_handle_id(&self->admin_idle_id, g_source_remove);
    g_clear_handle_id(&self->unlock_id, g_source_remove);
    G_APPLICATION_CLASS(kiosk_ui_application_parent_class)->shutdown(app);
}

static void kiosk_ui_application_finalize(GObject *obj)
{
    KioskUiApplication *self = KIOSK_UI_APPLICATION(obj);
    g_clear_object(&self->in);
    g_clear_object(&self->conn);
    g_clear_object(&self->client);
    g_clear_object(&self->control);
    g_clear_pointer(&self->admin_status, json_object_unref);
    g_free(self->login_message);
    g_free(self->admin_note);
    g_free(self->stick_action);
    g_free(self->stick_device);
    g_free(self->control_path);
    g_clear_object(&self->cancel);
    screen_state_free(self->state);
    g_free(self->socket_path);
    g_free(self->config_path);
    g_free(self->language_opt);
    g_free(self->screenshot_dir);
    g_free(self->state_file);
    g_free(self->windowed);
    g_free(self->localedir);
    g_free(self->config_language);
    g_free(self->language);
    G_OBJECT_CLASS(kiosk_ui_application_parent_class)->finalize(obj);
}

static void kiosk_ui_application_class_init(KioskUiApplicationClass *klass)
{
    GApplicationClass *ac = G_APPLICATION_CLASS(klass);
    ac->startup = kiosk_ui_application_startup;
    ac->activate = kiosk_ui_application_activate;
    ac->handle_local_options = kiosk_ui_application_handle_local_options;
    ac->shutdown = kiosk_ui_application_shutdown;
    G_OBJECT_CLASS(klass)->finalize = kiosk_ui_application_finalize;
}

static void kiosk_ui_application_init(KioskUiApplication *self)
{
    const GOptionEntry options[] = {
        {"socket", 's', 0, G_OPTION_ARG_FILENAME, &self->socket_path,
         "The service's socket (default " DEFAULT_SOCKET ")", "PATH"},
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &self->config_path,
         "Config file (default " DEFAULT_CONFIG ")", "PATH"},
        {"language", 'l', 0, G_OPTION_ARG_STRING, &self->language_opt,
         "Default language: en or ja (default: the service's, then the config's)", "LANG"},
        {"windowed", 0, 0, G_OPTION_ARG_STRING, &self->windowed,
         "Development: a WxH window instead of full screen", "WxH"},
        {"state-file", 0, 0, G_OPTION_ARG_FILENAME, &self->state_file,
         "Debug: write the visible screen (name, texts, sizes) as JSON here", "FILE"},
        {"screenshot-dir", 0, 0, G_OPTION_ARG_FILENAME, &self->screenshot_dir,
         "Debug: save a PNG and a JSON description at every screen change", "DIR"},
        {"admin-timeout", 0, 0, G_OPTION_ARG_INT, &self->admin_timeout,
         "Seconds without a touch before the administrator pages log out (default 180)", "S"},
#ifdef KIOSK_UI_TEST_CONTROL
        {"test-control", 0, 0, G_OPTION_ARG_FILENAME, &self->control_path,
         "Tests: read simulated touches (click NAME / type NAME TEXT) from this FIFO", "FIFO"},
#endif
        {"version", 0, 0, G_OPTION_ARG_NONE, &self->show_version, "Print the version and exit",
         NULL},
        {"localedir", 0, 0, G_OPTION_ARG_FILENAME, &self->localedir,
         "Where kiosk.mo catalogues are (default: next to the binary, then " KIOSK_UI_LOCALEDIR ")",
         "DIR"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_application_add_main_option_entries(G_APPLICATION(self), options);
    self->state = screen_state_new();
    self->admin_timeout = ADMIN_IDLE_SECONDS;
    self->login_remaining = -1;
    self->last_screen = SCREEN_OUT_OF_SERVICE;
    self->client = g_socket_client_new();
    self->cancel = g_cancellable_new();
}

KioskUiApplication *kiosk_ui_application_new(void)
{
    return g_object_new(KIOSK_TYPE_UI_APPLICATION, "application-id", "jp.kiosk.ui",
                        "resource-base-path", "/jp/kiosk/ui/app", "flags", G_APPLICATION_NON_UNIQUE,
                        NULL);
}

/* kiosk-ui-admin.c - the administrator's pages: UI-local states over the service's screen
 * (login, status, the administrator's stick, reprints).  The service decides whether a
 * password is right and what the status is; this file keeps what the pages show (the
 * login's failure or lockout, the last note), logs out after ADMIN_IDLE_SECONDS without
 * a touch, and sends the admin-* commands for the pages' buttons (the app.admin-* actions). */
#include "ui/kiosk-ui-application-private.h"
#include "common/json.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "ui/kiosk-ui-format.h"
#include "ui/kiosk-window.h"

/* ---- the pages' state ---------------------------------------------------------------- */

static void kiosk_ui_admin_forget_login(KioskUiApplication *self)
{
    self->login_busy = self->login_failed = self->login_locked = FALSE;
    self->login_retry_after = 0;
    self->login_remaining = -1;
    g_clear_pointer(&self->login_message, g_free);
    g_clear_handle_id(&self->unlock_id, g_source_remove);
}

void kiosk_ui_admin_set_note(KioskUiApplication *self, char *note, gboolean error)
{
    g_free(self->admin_note);
    self->admin_note = note;
    self->admin_note_error = error;
}

/* Back to the service's screen: log out (when logged in) and forget everything shown. */
void kiosk_ui_admin_leave(KioskUiApplication *self)
{
    if (self->admin_logged_in)
        kiosk_ui_application_send_cmd(self, "admin-logout", NULL);
    self->admin_logged_in = FALSE;
    self->admin_mode = KIOSK_ADMIN_NONE;
    kiosk_ui_admin_forget_login(self);
    g_clear_pointer(&self->admin_status, json_object_unref);
    kiosk_ui_admin_set_note(self, NULL, FALSE);
    self->stick_phase = KIOSK_STICK_IDLE; /* the service stops waiting at the logout */
    g_clear_pointer(&self->stick_action, g_free);
    g_clear_handle_id(&self->admin_idle_id, g_source_remove);
    if (self->window)
        kiosk_window_admin_login_reset(self->window);
}

static gboolean admin_idle_cb(gpointer data)
{
    KioskUiApplication *self = data;
    self->admin_idle_id = 0;
    g_message("administrator pages: no touch for %d s, logging out", self->admin_timeout);
    kiosk_ui_admin_leave(self);
    kiosk_ui_application_render(self);
    return G_SOURCE_REMOVE;
}

/* A touch (or key) while an administrator page is shown: restart the idle clock. */
void kiosk_ui_admin_touched(KioskUiApplication *self)
{
    if (self->admin_mode == KIOSK_ADMIN_NONE)
        return;
    g_clear_handle_id(&self->admin_idle_id, g_source_remove);
    self->admin_idle_id = g_timeout_add_seconds((guint)self->admin_timeout, admin_idle_cb, self);
}

gboolean kiosk_ui_admin_on_window_event(GtkEventControllerLegacy *c, GdkEvent *ev,
                                        KioskUiApplication *self)
{
    (void)c;
    GdkEventType t = gdk_event_get_event_type(ev);
    if (t == GDK_BUTTON_PRESS || t == GDK_TOUCH_BEGIN || t == GDK_KEY_PRESS || t == GDK_SCROLL)
        kiosk_ui_admin_touched(self);
    return GDK_EVENT_PROPAGATE;
}

static gboolean unlock_cb(gpointer data)
{
    KioskUiApplication *self = data;
    self->unlock_id = 0;
    self->login_locked = FALSE; /* the service decides again at the next try */
    if (self->admin_mode == KIOSK_ADMIN_LOGIN)
        kiosk_ui_application_render(self);
    return G_SOURCE_REMOVE;
}

void kiosk_ui_admin_login_reply(KioskUiApplication *self, JsonObject *o, gboolean ok,
                                const char *error)
{
    if (self->admin_mode != KIOSK_ADMIN_LOGIN) {
        /* cancelled while the service checked: do not stay logged in */
        if (ok)
            kiosk_ui_application_send_cmd(self, "admin-logout", NULL);
        return;
    }
    if (ok) {
        kiosk_ui_admin_forget_login(self);
        self->admin_logged_in = TRUE;
        self->admin_mode = KIOSK_ADMIN_STATUS;
        kiosk_ui_application_send_cmd(self, "admin-status", NULL);
        kiosk_ui_admin_touched(self);
        return;
    }
    const char *message = json_member_string(o, "message", NULL);
    kiosk_ui_admin_forget_login(self);
    self->login_failed = TRUE;
    self->login_message = g_strdup(message ? message : error);
    self->login_locked = json_object_get_boolean_member_with_default(o, "locked", FALSE);
    self->login_retry_after = json_member_int(o, "retry_after", 0);
    self->login_remaining = json_member_int(o, "remaining", -1);
    if (self->login_locked && self->login_retry_after > 0)
        self->unlock_id =
            g_timeout_add_seconds((guint)MIN(self->login_retry_after, 86400), unlock_cb, self);
}

void kiosk_ui_admin_status_reply(KioskUiApplication *self, JsonObject *o, gboolean ok,
                                 const char *error)
{
    if (self->admin_mode != KIOSK_ADMIN_STATUS)
        return;
    if (!ok) {
        /* the login expired (15 minutes without an admin command): ask again */
        self->admin_logged_in = FALSE;
        self->admin_mode = KIOSK_ADMIN_LOGIN;
        kiosk_ui_admin_forget_login(self);
        self->login_failed = TRUE;
        self->login_message = g_strdup(error ? error : "administrator login required");
        g_clear_pointer(&self->admin_status, json_object_unref);
        return;
    }
    JsonNode *st = json_object_get_member(o, "status");
    g_clear_pointer(&self->admin_status, json_object_unref);
    if (st && JSON_NODE_HOLDS_OBJECT(st))
        self->admin_status = json_object_ref(json_node_get_object(st));
}

/* The "print" event for a reprint asked on the status page. */
void kiosk_ui_admin_print_event(KioskUiApplication *self, JsonObject *o)
{
    if (self->admin_mode != KIOSK_ADMIN_STATUS)
        return;
    const char *session = json_member_string(o, "session", NULL);
    const char *status = json_member_string(o, "status", NULL);
    const char *reason = json_member_string(o, "reason", NULL);
    const char *saved = json_member_string(o, "saved", NULL);
    if (!session)
        session = "?";
    if (g_strcmp0(status, "printed") == 0) {
        kiosk_ui_admin_set_note(
            self, g_strdup_printf(_("The report of session %s was printed."), session), FALSE);
    } else {
        g_autofree char *why = g_strdup(reason ? reason : _("no reason given"));
        char *note =
            saved
                ? g_strdup_printf(
                      _("The report of session %s was not printed: %s. It is saved as %s."),
                      session, why, saved)
                : g_strdup_printf(_("The report of session %s was not printed: %s."), session, why);
        kiosk_ui_admin_set_note(self, note, TRUE);
    }
}

/* "admin-media": the service's phases of the administrator's stick. */
void kiosk_ui_admin_stick_event(KioskUiApplication *self, JsonObject *o)
{
    const char *phase = json_member_string(o, "phase", NULL);
    const char *action = json_member_string(o, "action", NULL);
    const char *reason = json_member_string(o, "reason", NULL);
    gboolean export = g_strcmp0(action, "export") == 0;
    g_free(self->stick_action);
    self->stick_action = g_strdup(action);
    if (g_strcmp0(phase, "waiting") == 0) {
        self->stick_phase = KIOSK_STICK_WAITING;
        kiosk_ui_admin_set_note(self, NULL, FALSE);
    } else if (g_strcmp0(phase, "confirm") == 0) {
        /* Which stick it is, so that nobody erases a visitor's stick by mistake. */
        JsonObject *dev = json_member_object(o, "device");
        const char *vendor = dev ? json_member_string(dev, "vendor", NULL) : NULL;
        const char *model = dev ? json_member_string(dev, "model", NULL) : NULL;
        g_autofree char *size =
            g_format_size((guint64)MAX(dev ? json_member_int(dev, "size", 0) : 0, 0));
        g_free(self->stick_device);
        self->stick_device =
            g_strdup_printf("%s %s, %s", vendor ? vendor : "", model ? model : "", size);
        self->stick_phase = KIOSK_STICK_CONFIRM_EXPORT;
    } else if (g_strcmp0(phase, "working") == 0) {
        self->stick_phase = KIOSK_STICK_WORKING;
    } else if (g_strcmp0(phase, "done") == 0) {
        self->stick_phase = KIOSK_STICK_IDLE;
        if (export) {
            kiosk_ui_admin_set_note(
                self,
                g_strdup_printf(_("Exported %lld files to the stick (folder %s) and "
                                  "read them back. Remove the stick."),
                                (long long)json_member_int(o, "files", 0),
                                json_member_string(o, "folder", "?")),
                FALSE);
        } else {
            /* One line per installed item, in the service's words. */
            g_autoptr(GString) t = g_string_new(_("The update was installed. Remove the stick."));
            JsonArray *items = json_member_array(o, "items");
            for (guint i = 0; items && i < json_array_get_length(items); i++) {
                JsonNode *e = json_array_get_element(items, i);
                const char *m = JSON_NODE_HOLDS_OBJECT(e)
                                    ? json_member_string(json_node_get_object(e), "message", NULL)
                                    : NULL;
                if (m)
                    g_string_append_printf(t, "\n• %s", m);
            }
            kiosk_ui_admin_set_note(self, g_string_free(g_steal_pointer(&t), FALSE), FALSE);
        }
        kiosk_ui_application_send_cmd(self, "admin-status",
                                      NULL); /* new versions, new last sessions */
    } else if (g_strcmp0(phase, "failed") == 0) {
        self->stick_phase = KIOSK_STICK_IDLE;
        struct reason_data rd;
        reason_json_get(o, &rd);
        g_autofree char *text = kiosk_format_reason(&rd, reason);
        g_autofree char *why = g_strdup(text ? text : _("no reason given"));
        kiosk_ui_admin_set_note(self,
                                g_strdup_printf(export
                                                    ? _("The export failed: %s. Remove the stick.")
                                                    : _("The update was refused: %s. Nothing was "
                                                        "installed. Remove the stick."),
                                                why),
                                TRUE);
    } else if (g_strcmp0(phase, "expired") == 0) {
        self->stick_phase = KIOSK_STICK_IDLE;
        kiosk_ui_admin_set_note(self, g_strdup(_("No stick was inserted in time.")), TRUE);
    } else if (g_strcmp0(phase, "cancelled") == 0) {
        self->stick_phase = KIOSK_STICK_IDLE;
    }
}

/* ---- actions (the pages' buttons) ---------------------------------------------------- */

static void on_admin_open(GSimpleAction *a, GVariant *param, gpointer data)
{
    KioskUiApplication *self = data;
    (void)a;
    (void)param;
    enum screen_id screen = self->state->screen;
    if (self->admin_mode != KIOSK_ADMIN_NONE || !self->state->connected ||
        (screen != SCREEN_WAITING && screen != SCREEN_OUT_OF_SERVICE))
        return;
    kiosk_ui_admin_forget_login(self);
    self->admin_mode = KIOSK_ADMIN_LOGIN;
    kiosk_window_admin_login_reset(self->window);
    kiosk_ui_admin_touched(self);
    kiosk_ui_application_render(self);
}

static void on_admin_close(GSimpleAction *a, GVariant *param, gpointer data)
{
    KioskUiApplication *self = data;
    (void)a;
    (void)param;
    if (self->admin_mode == KIOSK_ADMIN_NONE)
        return;
    kiosk_ui_admin_leave(self);
    kiosk_ui_application_render(self);
}

/* Append S as a JSON string (quotes included). */
static void json_quote(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_c(out, '\\'), g_string_append_c(out, (char)*p);
        else if (*p < 0x20)
            g_string_append_printf(out, "\\u%04x", *p);
        else
            g_string_append_c(out, (char)*p);
    }
    g_string_append_c(out, '"');
}

/* The password goes from the entry straight into one request line, which is wiped after
 * sending; the page empties the entry right after.  It is never kept or logged. */
static void on_admin_login(GSimpleAction *a, GVariant *param, gpointer data)
{
    KioskUiApplication *self = data;
    (void)a;
    (void)param;
    if (self->admin_mode != KIOSK_ADMIN_LOGIN || self->login_busy)
        return;
    const char *pw = kiosk_window_admin_password(self->window);
    if (!pw || !*pw)
        return;
    GString *line = g_string_sized_new(64 + 2 * strlen(pw));
    g_string_append(line, "{\"cmd\":\"admin-login\",\"password\":");
    json_quote(line, pw);
    g_string_append(line, "}\n");
    gboolean sent = kiosk_ui_application_send_text(self, line->str, line->len);
    explicit_bzero(line->str, line->allocated_len);
    g_string_free(line, TRUE);
    kiosk_ui_admin_forget_login(self);
    if (sent) {
        self->login_busy = TRUE;
        kiosk_ui_application_render_no_dump(
            self); /* "Checking the password…" for the quarter second: no picture */
        return;
    }
    self->login_failed = TRUE;
    self->login_message = g_strdup(_("the service is not running"));
    kiosk_ui_application_render(self);
}

static void on_admin_refresh(GSimpleAction *a, GVariant *param, gpointer data)
{
    KioskUiApplication *self = data;
    (void)a;
    (void)param;
    if (self->admin_mode == KIOSK_ADMIN_STATUS)
        kiosk_ui_application_send_cmd(self, "admin-status", NULL);
}

static void on_admin_reprint(GSimpleAction *a, GVariant *param, gpointer data)
{
    KioskUiApplication *self = data;
    (void)a;
    const char *session = g_variant_get_string(param, NULL);
    if (self->admin_mode != KIOSK_ADMIN_STATUS || !*session)
        return;
    g_clear_pointer(&self->stick_action, g_free); /* the note is about the reprint now */
    if (kiosk_ui_application_send_cmd(self, "print", session))
        kiosk_ui_admin_set_note(
            self, g_strdup_printf(_("Printing the report of session %s…"), session), FALSE);
    else
        kiosk_ui_admin_set_note(self, g_strdup(_("the service is not running")), TRUE);
    kiosk_ui_application_render(self);
}

/* The stick row's buttons: "update", "export" (asks first), "export-confirm", "cancel". */
static void on_admin_stick(GSimpleAction *a, GVariant *param, gpointer data)
{
    KioskUiApplication *self = data;
    (void)a;
    const char *what = g_variant_get_string(param, NULL);
    if (self->admin_mode != KIOSK_ADMIN_STATUS)
        return;
    const char *action = what; /* update, export, erase, cancel: the service decides */
    if (action) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "cmd");
        json_builder_add_string_value(b, "admin-media");
        json_builder_set_member_name(b, "action");
        json_builder_add_string_value(b, action);
        json_builder_end_object(b);
        if (!kiosk_ui_application_send_line(self, b))
            kiosk_ui_admin_set_note(self, g_strdup(_("the service is not running")), TRUE);
    }
    kiosk_ui_application_render(self);
}

static void on_admin_logout(GSimpleAction *a, GVariant *param, gpointer data)
{
    on_admin_close(a, param, data);
}

void kiosk_ui_admin_add_actions(KioskUiApplication *self)
{
    static const GActionEntry entries[] = {
        {.name = "admin-open", .activate = on_admin_open},
        {.name = "admin-close", .activate = on_admin_close},
        {.name = "admin-login", .activate = on_admin_login},
        {.name = "admin-refresh", .activate = on_admin_refresh},
        {.name = "admin-reprint", .activate = on_admin_reprint, .parameter_type = "s"},
        {.name = "admin-stick", .activate = on_admin_stick, .parameter_type = "s"},
        {.name = "admin-logout", .activate = on_admin_logout},
    };
    g_action_map_add_action_entries(G_ACTION_MAP(self), entries, G_N_ELEMENTS(entries), self);
}

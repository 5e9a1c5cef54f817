/* kiosk-window.h - the one full-screen window: a top bar (kiosk name, testing banner,
 * 日本語 / English) over a stack with one page per screen. */
#ifndef KIOSK_WINDOW_H
#define KIOSK_WINDOW_H

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

#include "ui/screen-state.h"

G_BEGIN_DECLS

/* The administrator's pages: UI-local states layered over the service's screen. */
enum kiosk_admin_mode { KIOSK_ADMIN_NONE = 0, KIOSK_ADMIN_LOGIN, KIOSK_ADMIN_STATUS };
struct kiosk_admin_login_view;

#define KIOSK_TYPE_WINDOW (kiosk_window_get_type())
G_DECLARE_FINAL_TYPE(KioskWindow, kiosk_window, KIOSK, WINDOW, GtkApplicationWindow)

KioskWindow *kiosk_window_new(GtkApplication *app);
/* Show S (the page for s->screen, updated). */
void kiosk_window_render(KioskWindow *self, const struct screen_state *s);
/* Show (or, with KIOSK_ADMIN_NONE, stop showing) an administrator page over the service's
 * screen; takes effect with the next kiosk_window_render().  LOGIN: what the last answer
 * said; STATUS/NOTE: the last "admin-status" reply's "status" and a line about a reprint. */
void kiosk_window_set_admin(KioskWindow *self, enum kiosk_admin_mode mode,
                            const struct kiosk_admin_login_view *login, JsonObject *status,
                            const char *note, gboolean note_is_error, int stick,
                            const char *stick_action, const char *stick_device);
/* The password being sent (owned by the entry; emptied right after "app.admin-login"). */
const char *kiosk_window_admin_password(KioskWindow *self);
/* The password page was just opened: empty entry, focused. */
void kiosk_window_admin_login_reset(KioskWindow *self);
/* Debug: the widget named NAME (gtk_widget_set_name) that is on screen now, or NULL. */
GtkWidget *kiosk_window_find_named(KioskWindow *self, const char *name);
/* Re-create every page from its template (after a language change), keeping the form. */
void kiosk_window_rebuild(KioskWindow *self);
void kiosk_window_details_saved(KioskWindow *self, gboolean ok, const char *error);
/* Debug: the visible screen as JSON (screen name, visible texts, sizes) / a PNG. */
char *kiosk_window_describe(KioskWindow *self, const struct screen_state *s, const char *lang);
gboolean kiosk_window_save_png(KioskWindow *self, const char *path, GError **error);

G_END_DECLS

#endif

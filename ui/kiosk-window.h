/* kiosk-window.h - the one full-screen window: a top bar (kiosk name, testing banner,
 * 日本語 / English) over a stack with one page per screen. */
#ifndef KIOSK_WINDOW_H
#define KIOSK_WINDOW_H

#include <gtk/gtk.h>

#include "ui/screen-state.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_WINDOW (kiosk_window_get_type())
G_DECLARE_FINAL_TYPE(KioskWindow, kiosk_window, KIOSK, WINDOW, GtkApplicationWindow)

KioskWindow *kiosk_window_new(GtkApplication *app);
/* Show S (the page for s->screen, updated). */
void kiosk_window_render(KioskWindow *self, const struct screen_state *s);
/* Re-create every page from its template (after a language change), keeping the form. */
void kiosk_window_rebuild(KioskWindow *self);
void kiosk_window_details_saved(KioskWindow *self, gboolean ok, const char *error);
/* Debug: the visible screen as JSON (screen name, visible texts, sizes) / a PNG. */
char *kiosk_window_describe(KioskWindow *self, const struct screen_state *s, const char *lang);
gboolean kiosk_window_save_png(KioskWindow *self, const char *path, GError **error);

G_END_DECLS

#endif

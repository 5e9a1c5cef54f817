/* kiosk-remove-page.h - the "remove" screen (template: kiosk-remove-page.ui). */
#ifndef KIOSK_REMOVE_PAGE_H
#define KIOSK_REMOVE_PAGE_H

#include <gtk/gtk.h>

#include "ui/screen-state.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_REMOVE_PAGE (kiosk_remove_page_get_type())
G_DECLARE_FINAL_TYPE(KioskRemovePage, kiosk_remove_page, KIOSK, REMOVE_PAGE, GtkBox)

/* Show what S says (called on every accepted event). */
void kiosk_remove_page_update(GtkWidget *page, const struct screen_state *s);

G_END_DECLS

#endif

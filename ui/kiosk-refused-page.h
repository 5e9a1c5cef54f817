/* kiosk-refused-page.h - the "refused" screen (template: kiosk-refused-page.ui). */
#ifndef KIOSK_REFUSED_PAGE_H
#define KIOSK_REFUSED_PAGE_H

#include <gtk/gtk.h>

#include "ui/screen-state.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_REFUSED_PAGE (kiosk_refused_page_get_type())
G_DECLARE_FINAL_TYPE(KioskRefusedPage, kiosk_refused_page, KIOSK, REFUSED_PAGE, GtkBox)

/* Show what S says (called on every accepted event). */
void kiosk_refused_page_update(GtkWidget *page, const struct screen_state *s);

G_END_DECLS

#endif

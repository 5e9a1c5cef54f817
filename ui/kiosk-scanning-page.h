/* kiosk-scanning-page.h - the "scanning" screen (template: kiosk-scanning-page.ui). */
#ifndef KIOSK_SCANNING_PAGE_H
#define KIOSK_SCANNING_PAGE_H

#include <gtk/gtk.h>

#include "ui/screen-state.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_SCANNING_PAGE (kiosk_scanning_page_get_type())
G_DECLARE_FINAL_TYPE(KioskScanningPage, kiosk_scanning_page, KIOSK, SCANNING_PAGE, GtkBox)

/* Show what S says (called on every accepted event). */
void kiosk_scanning_page_update(GtkWidget *page, const struct screen_state *s);

G_END_DECLS

#endif

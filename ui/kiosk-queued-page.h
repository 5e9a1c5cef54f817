/* kiosk-queued-page.h - the "queued" screen (template: kiosk-queued-page.ui). */
#ifndef KIOSK_QUEUED_PAGE_H
#define KIOSK_QUEUED_PAGE_H

#include <gtk/gtk.h>

#include "ui/screen-state.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_QUEUED_PAGE (kiosk_queued_page_get_type())
G_DECLARE_FINAL_TYPE(KioskQueuedPage, kiosk_queued_page, KIOSK, QUEUED_PAGE, GtkBox)

/* Show what S says (called on every accepted event). */
void kiosk_queued_page_update(GtkWidget *page, const struct screen_state *s);

G_END_DECLS

#endif

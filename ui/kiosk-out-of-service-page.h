/* kiosk-out-of-service-page.h - the "out-of-service" screen (template: kiosk-out-of-service-page.ui). */
#ifndef KIOSK_OUT_OF_SERVICE_PAGE_H
#define KIOSK_OUT_OF_SERVICE_PAGE_H

#include <gtk/gtk.h>

#include "ui/screen-state.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_OUT_OF_SERVICE_PAGE (kiosk_out_of_service_page_get_type())
G_DECLARE_FINAL_TYPE(KioskOutOfServicePage, kiosk_out_of_service_page, KIOSK, OUT_OF_SERVICE_PAGE, GtkBox)

/* Show what S says (called on every accepted event). */
void kiosk_out_of_service_page_update(GtkWidget *page, const struct screen_state *s);

G_END_DECLS

#endif

/* kiosk-waiting-page.h - the "waiting" screen (template: kiosk-waiting-page.ui). */
#ifndef KIOSK_WAITING_PAGE_H
#define KIOSK_WAITING_PAGE_H

#include <gtk/gtk.h>

#include "ui/screen-state.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_WAITING_PAGE (kiosk_waiting_page_get_type())
G_DECLARE_FINAL_TYPE(KioskWaitingPage, kiosk_waiting_page, KIOSK, WAITING_PAGE, GtkBox)

/* Show what S says (called on every accepted event). */
void kiosk_waiting_page_update(GtkWidget *page, const struct screen_state *s);

/* The optional session details form (vessel, imo, voyage, company, person).  The page
 * activates "app.details" with a (sssss) tuple when the person saves it. */
#define KIOSK_DETAILS_N 5
void kiosk_waiting_page_get_details(GtkWidget *page, char *out[KIOSK_DETAILS_N]);
void kiosk_waiting_page_set_details(GtkWidget *page, char *const in[KIOSK_DETAILS_N]);
/* The service's reply to the details command. */
void kiosk_waiting_page_details_saved(GtkWidget *page, gboolean ok, const char *error);

G_END_DECLS

#endif

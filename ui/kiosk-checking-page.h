/* kiosk-checking-page.h - the "checking" screen (template: kiosk-checking-page.ui). */
#ifndef KIOSK_CHECKING_PAGE_H
#define KIOSK_CHECKING_PAGE_H

#include <gtk/gtk.h>

#include "ui/screen-state.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_CHECKING_PAGE (kiosk_checking_page_get_type())
G_DECLARE_FINAL_TYPE(KioskCheckingPage, kiosk_checking_page, KIOSK, CHECKING_PAGE, GtkBox)

/* Show what S says (called on every accepted event). */
void kiosk_checking_page_update(GtkWidget *page, const struct screen_state *s);

G_END_DECLS

#endif

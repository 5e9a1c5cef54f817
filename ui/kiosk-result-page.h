/* kiosk-result-page.h - the "result" screen (template: kiosk-result-page.ui). */
#ifndef KIOSK_RESULT_PAGE_H
#define KIOSK_RESULT_PAGE_H

#include <gtk/gtk.h>

#include "ui/screen-state.h"

G_BEGIN_DECLS

#define KIOSK_TYPE_RESULT_PAGE (kiosk_result_page_get_type())
G_DECLARE_FINAL_TYPE(KioskResultPage, kiosk_result_page, KIOSK, RESULT_PAGE, GtkBox)

/* Show what S says (called on every accepted event). */
void kiosk_result_page_update(GtkWidget *page, const struct screen_state *s);

G_END_DECLS

#endif

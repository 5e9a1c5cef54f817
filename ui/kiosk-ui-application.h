/* kiosk-ui-application.h - the kiosk screen's GtkApplication: command line, config,
 * language, the connection to the service (reconnecting), and the debug outputs
 * (--state-file, --screenshot-dir) the tests assert on. */
#ifndef KIOSK_UI_APPLICATION_H
#define KIOSK_UI_APPLICATION_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define KIOSK_TYPE_UI_APPLICATION (kiosk_ui_application_get_type())
G_DECLARE_FINAL_TYPE(KioskUiApplication, kiosk_ui_application, KIOSK, UI_APPLICATION,
                     GtkApplication)

KioskUiApplication *kiosk_ui_application_new(void);

G_END_DECLS

#endif

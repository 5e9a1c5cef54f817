/* main.c - kiosk-ui: the kiosk's touch screen.  See ui/kiosk-ui-application.c. */
#include <locale.h>
#include <string.h>

#include "ui/kiosk-ui-application.h"

int main(int argc, char **argv)
{
    /* Translations switch at run time through LANGUAGE, which gettext ignores in the
     * "C" locale: fall back to C.UTF-8 when no locale is configured. */
    const char *loc = setlocale(LC_ALL, "");
    if (!loc || strcmp(loc, "C") == 0 || strcmp(loc, "POSIX") == 0)
        setlocale(LC_ALL, "C.UTF-8");
    g_autoptr(KioskUiApplication) app = kiosk_ui_application_new();
    return g_application_run(G_APPLICATION(app), argc, argv);
}

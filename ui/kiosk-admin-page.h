/* kiosk-admin-page.h - the administrator's status page (template: kiosk-admin-page.ui):
 * what the service's "admin-status" reply says, in plain words, with a reprint button per
 * recent session.  A UI-local page over the service's screen. */
#ifndef KIOSK_ADMIN_PAGE_H
#define KIOSK_ADMIN_PAGE_H

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define KIOSK_TYPE_ADMIN_PAGE (kiosk_admin_page_get_type())
G_DECLARE_FINAL_TYPE(KioskAdminPage, kiosk_admin_page, KIOSK, ADMIN_PAGE, GtkBox)

/* The administrator's stick (docs/admin.md): what the stick row shows. */
enum kiosk_stick_phase {
    KIOSK_STICK_IDLE = 0,       /* the two buttons: update from / export to a stick */
    KIOSK_STICK_CONFIRM_EXPORT, /* the export stick is in: "erase it?" (which one), or cancel */
    KIOSK_STICK_WAITING,        /* the service waits for the stick: insert it, or cancel */
    KIOSK_STICK_WORKING,        /* reading the update / writing the export */
};

/* STATUS: the reply's "status" object (NULL: not received yet).  NOTE: a line about the
 * last reprint or refusal, or NULL.  The page activates "app.admin-reprint" (s: session id),
 * "app.admin-refresh", "app.admin-logout" (back to the waiting screen) and "app.admin-stick"
 * (s: "update", "export", "erase", "cancel"). */
void kiosk_admin_page_update(GtkWidget *page, JsonObject *status, const char *note,
                             gboolean note_is_error, enum kiosk_stick_phase stick,
                             const char *stick_action, const char *stick_device);

G_END_DECLS

#endif

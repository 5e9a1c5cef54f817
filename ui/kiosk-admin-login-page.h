/* kiosk-admin-login-page.h - the administrator's password page (template:
 * kiosk-admin-login-page.ui).  A UI-local page over the service's screen: it shows no
 * service state, only what the last "admin-login" reply said. */
#ifndef KIOSK_ADMIN_LOGIN_PAGE_H
#define KIOSK_ADMIN_LOGIN_PAGE_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define KIOSK_TYPE_ADMIN_LOGIN_PAGE (kiosk_admin_login_page_get_type())
G_DECLARE_FINAL_TYPE(KioskAdminLoginPage, kiosk_admin_login_page, KIOSK, ADMIN_LOGIN_PAGE, GtkBox)

/* What the page shows besides the entry (kept by the application, so a language change
 * that re-creates the page shows the same thing). */
struct kiosk_admin_login_view {
    gboolean busy;       /* a login was sent, no answer yet */
    gboolean failed;     /* the last answer was a refusal */
    gboolean locked;     /* ... because of a lockout */
    gint64 retry_after;  /* seconds until the lockout ends (when locked) */
    gint64 remaining;    /* attempts before a lockout (-1: not said) */
    const char *message; /* the service's own words (English), or NULL */
};

/* The page activates "app.admin-login" (the application then reads the password with
 * kiosk_admin_login_page_get_password(); the entry is emptied right after) and
 * "app.admin-close" (Cancel). */
const char *kiosk_admin_login_page_get_password(GtkWidget *page);
void kiosk_admin_login_page_update(GtkWidget *page, const struct kiosk_admin_login_view *v);
/* Empty the entry and give it the focus (when the page is opened). */
void kiosk_admin_login_page_reset(GtkWidget *page);

G_END_DECLS

#endif

/* kiosk-admin-login-page.c - "Administrator login": a masked password entry (input purpose
 * "password", so an on-screen keyboard opens without prediction or memory), Cancel and
 * Log in.  The password leaves the entry only for the one "admin-login" request; the entry
 * is emptied as soon as it is sent.  The service decides (and counts failures); this page
 * only words its answer. */
#include "ui/kiosk-admin-login-page.h"

#include <string.h>

#include "ui/kiosk-ui-format.h"

struct _KioskAdminLoginPage {
    GtkBox parent_instance;
    GtkPasswordEntry *password_entry;
    GtkWidget *login_button;
    GtkLabel *status_label;
    GtkLabel *service_label;
};

G_DEFINE_FINAL_TYPE(KioskAdminLoginPage, kiosk_admin_login_page, GTK_TYPE_BOX)

static void on_login(KioskAdminLoginPage *self)
{
    GtkEditable *e = GTK_EDITABLE(self->password_entry);
    const char *pw = gtk_editable_get_text(e);
    if (!pw || !*pw) {
        gtk_widget_grab_focus(GTK_WIDGET(self->password_entry));
        return;
    }
    if (!gtk_widget_get_sensitive(self->login_button)) {
        gtk_editable_set_text(e, ""); /* locked out, or an answer is awaited */
        return;
    }
    /* The application reads the entry (kiosk_admin_login_page_get_password), sends it and
     * empties it: no copy of the password is made on the way. */
    gtk_widget_activate_action(GTK_WIDGET(self), "app.admin-login", NULL);
    gtk_editable_set_text(e, "");
}

const char *kiosk_admin_login_page_get_password(GtkWidget *page)
{
    return gtk_editable_get_text(GTK_EDITABLE(KIOSK_ADMIN_LOGIN_PAGE(page)->password_entry));
}

static void on_cancel(KioskAdminLoginPage *self)
{
    gtk_editable_set_text(GTK_EDITABLE(self->password_entry), "");
    gtk_widget_activate_action(GTK_WIDGET(self), "app.admin-close", NULL);
}

static void kiosk_admin_login_page_class_init(KioskAdminLoginPageClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    gtk_widget_class_set_template_from_resource(wc, "/jp/kiosk/ui/kiosk-admin-login-page.ui");
    gtk_widget_class_bind_template_child(wc, KioskAdminLoginPage, password_entry);
    gtk_widget_class_bind_template_child(wc, KioskAdminLoginPage, login_button);
    gtk_widget_class_bind_template_child(wc, KioskAdminLoginPage, status_label);
    gtk_widget_class_bind_template_child(wc, KioskAdminLoginPage, service_label);
    gtk_widget_class_bind_template_callback(wc, on_login);
    gtk_widget_class_bind_template_callback(wc, on_cancel);
}

static void kiosk_admin_login_page_init(KioskAdminLoginPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

void kiosk_admin_login_page_reset(GtkWidget *page)
{
    KioskAdminLoginPage *self = KIOSK_ADMIN_LOGIN_PAGE(page);
    gtk_editable_set_text(GTK_EDITABLE(self->password_entry), "");
    gtk_widget_grab_focus(GTK_WIDGET(self->password_entry));
}

void kiosk_admin_login_page_update(GtkWidget *page, const struct kiosk_admin_login_view *v)
{
    KioskAdminLoginPage *self = KIOSK_ADMIN_LOGIN_PAGE(page);
    GtkWidget *status = GTK_WIDGET(self->status_label);
    g_autofree char *text = NULL;

    gtk_widget_set_sensitive(self->login_button, !v->busy && !v->locked);
    gtk_widget_set_sensitive(GTK_WIDGET(self->password_entry), !v->busy);
    gtk_widget_remove_css_class(status, "error-text");
    if (v->busy) {
        text = g_strdup(_("Checking the password…"));
    } else if (v->failed && v->locked) {
        gint64 min = (v->retry_after + 59) / 60;
        text = g_strdup_printf(ngettext("Too many wrong passwords. Administrator login is locked for %lld more minute.",
                                        "Too many wrong passwords. Administrator login is locked for %lld more minutes.",
                                        (unsigned long)min),
                               (long long)min);
    } else if (v->failed && v->remaining >= 0 && v->message &&
               g_str_has_prefix(v->message, "Wrong password")) {
        text = g_strdup_printf(ngettext("Wrong password. %lld attempt left before a lockout.",
                                        "Wrong password. %lld attempts left before a lockout.",
                                        (unsigned long)v->remaining),
                               (long long)v->remaining);
    } else if (v->failed) {
        text = g_strdup_printf(_("Not logged in: %s"),
                               v->message && *v->message ? v->message : _("the service refused the login"));
    }
    if (v->failed)
        gtk_widget_add_css_class(status, "error-text");
    gtk_label_set_text(self->status_label, text ? text : "");
    gtk_widget_set_visible(status, text != NULL);

    /* The service's own words (English) under a translated summary, for the record; never
     * on a Japanese screen (issue 16: no English sentence there; the summary says it). */
    gboolean own = v->failed && v->message && *v->message && text && !strstr(text, v->message) &&
                   strcmp(C_("language code", "en"), "ja") != 0;
    if (own) {
        g_autofree char *s = g_strdup_printf(_("Service: %s"), v->message);
        gtk_label_set_text(self->service_label, s);
    }
    gtk_widget_set_visible(GTK_WIDGET(self->service_label), own);
}

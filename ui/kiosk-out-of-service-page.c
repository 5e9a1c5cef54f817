/* kiosk-out-of-service-page.c - the kiosk cannot check media: what happened, what to do,
 * whom to call.  Also shown while the service is not running (no connection). */
#include "ui/kiosk-out-of-service-page.h"

#include "ui/kiosk-ui-format.h"

struct _KioskOutOfServicePage {
    GtkBox parent_instance;
    GtkLabel *what_label;
    GtkLabel *todo_label;
    GtkLabel *contact_label;
    GtkLabel *reason_label;
};

G_DEFINE_FINAL_TYPE(KioskOutOfServicePage, kiosk_out_of_service_page, GTK_TYPE_BOX)

/* What happened, per code (translated when shown). */
static const struct {
    enum screen_oos_code code;
    const char *what;
} oos_texts[] = {
    {OOS_SERVICE_DOWN, N_("The checking service is not running.")},
    {OOS_NO_SIGNATURES, N_("The malware signature database is missing.")},
    {OOS_SIGNATURES_OLD, N_("The malware signature database is too old.")},
    {OOS_STAGING, N_("The terminal's file share cannot be reached.")},
    {OOS_POLICY, N_("The file policy could not be loaded.")},
    {OOS_AUDIT, N_("The audit log cannot be written.")},
    {OOS_OUTBOX_FULL, N_("Checked files are waiting for the terminal's file share.")},
    {OOS_UNKNOWN, N_("The kiosk cannot check USB media right now.")},
};

static void kiosk_out_of_service_page_class_init(KioskOutOfServicePageClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    gtk_widget_class_set_template_from_resource(wc, "/jp/kiosk/ui/kiosk-out-of-service-page.ui");
    gtk_widget_class_bind_template_child(wc, KioskOutOfServicePage, what_label);
    gtk_widget_class_bind_template_child(wc, KioskOutOfServicePage, todo_label);
    gtk_widget_class_bind_template_child(wc, KioskOutOfServicePage, contact_label);
    gtk_widget_class_bind_template_child(wc, KioskOutOfServicePage, reason_label);
}

static void kiosk_out_of_service_page_init(KioskOutOfServicePage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

void kiosk_out_of_service_page_update(GtkWidget *page, const struct screen_state *s)
{
    KioskOutOfServicePage *self = KIOSK_OUT_OF_SERVICE_PAGE(page);
    const char *what = oos_texts[G_N_ELEMENTS(oos_texts) - 1].what;
    for (unsigned i = 0; i < G_N_ELEMENTS(oos_texts); i++)
        if (oos_texts[i].code == s->oos_code)
            what = oos_texts[i].what;
    gtk_label_set_text(self->what_label, _(what));

    if (s->oos_code == OOS_SERVICE_DOWN)
        gtk_label_set_text(self->todo_label,
                           _("Do not insert USB media. Please wait a moment: the screen "
                             "reconnects by itself."));
    else
        gtk_label_set_text(self->todo_label,
                           _("Do not insert USB media. No files can be checked or delivered now."));

    g_autofree char *contact =
        g_strdup_printf(_("If this screen stays, call the administrator: %s"), kiosk_format_contact());
    gtk_label_set_text(self->contact_label, contact);

    bool has_reason = s->oos_code != OOS_SERVICE_DOWN && s->reason && *s->reason;
    gtk_widget_set_visible(GTK_WIDGET(self->reason_label), has_reason);
    if (has_reason) {
        g_autofree char *why = kiosk_format_reason(&s->reason_rd, s->reason);
        g_autofree char *r = g_strdup_printf(_("Details for the administrator: %s"), why);
        gtk_label_set_text(self->reason_label, r);
    }
}

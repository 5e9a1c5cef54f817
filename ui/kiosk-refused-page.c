/* kiosk-refused-page.c - the service refused the device (why, in the service's words). */
#include "ui/kiosk-refused-page.h"

#include "ui/kiosk-ui-format.h"

struct _KioskRefusedPage {
    GtkBox parent_instance;
    GtkLabel *reason_label;
    GtkLabel *device_label;
};

G_DEFINE_FINAL_TYPE(KioskRefusedPage, kiosk_refused_page, GTK_TYPE_BOX)

static void kiosk_refused_page_class_init(KioskRefusedPageClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    gtk_widget_class_set_template_from_resource(wc, "/jp/kiosk/ui/kiosk-refused-page.ui");
    gtk_widget_class_bind_template_child(wc, KioskRefusedPage, reason_label);
    gtk_widget_class_bind_template_child(wc, KioskRefusedPage, device_label);
}

static void kiosk_refused_page_init(KioskRefusedPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

void kiosk_refused_page_update(GtkWidget *page, const struct screen_state *s)
{
    KioskRefusedPage *self = KIOSK_REFUSED_PAGE(page);
    g_autofree char *why = kiosk_format_reason(&s->reason_rd, s->reason);
    g_autofree char *reason = g_strdup_printf(_("Reason: %s"), why ? why : _("not given"));
    g_autofree char *dev = kiosk_format_device(&s->device);
    gtk_label_set_text(self->reason_label, reason);
    gtk_label_set_text(self->device_label, dev);
}

/* kiosk-queued-page.c - this USB media waits while another one is being checked. */
#include "ui/kiosk-queued-page.h"

#include "ui/kiosk-ui-format.h"

struct _KioskQueuedPage {
    GtkBox parent_instance;
    GtkLabel *position_label;
    GtkLabel *device_label;
};

G_DEFINE_FINAL_TYPE(KioskQueuedPage, kiosk_queued_page, GTK_TYPE_BOX)

static void kiosk_queued_page_class_init(KioskQueuedPageClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    gtk_widget_class_set_template_from_resource(wc, "/jp/kiosk/ui/kiosk-queued-page.ui");
    gtk_widget_class_bind_template_child(wc, KioskQueuedPage, position_label);
    gtk_widget_class_bind_template_child(wc, KioskQueuedPage, device_label);
}

static void kiosk_queued_page_init(KioskQueuedPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

void kiosk_queued_page_update(GtkWidget *page, const struct screen_state *s)
{
    KioskQueuedPage *self = KIOSK_QUEUED_PAGE(page);
    g_autofree char *pos = NULL;
    if (s->position > 0)
        pos = g_strdup_printf(_("Another USB media is being checked. Yours is number %lld in line."),
                              (long long)s->position);
    else
        pos = g_strdup(_("Another USB media is being checked."));
    g_autofree char *dev = kiosk_format_device(&s->device);
    gtk_label_set_text(self->position_label, pos);
    gtk_label_set_text(self->device_label, dev);
}

/* kiosk-checking-page.c - a USB media was detected and is being checked. */
#include "ui/kiosk-checking-page.h"

#include "ui/kiosk-ui-format.h"

struct _KioskCheckingPage {
    GtkBox parent_instance;
    GtkLabel *device_label;
};

G_DEFINE_FINAL_TYPE(KioskCheckingPage, kiosk_checking_page, GTK_TYPE_BOX)

static void kiosk_checking_page_class_init(KioskCheckingPageClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    gtk_widget_class_set_template_from_resource(wc, "/jp/kiosk/ui/kiosk-checking-page.ui");
    gtk_widget_class_bind_template_child(wc, KioskCheckingPage, device_label);
}

static void kiosk_checking_page_init(KioskCheckingPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

void kiosk_checking_page_update(GtkWidget *page, const struct screen_state *s)
{
    KioskCheckingPage *self = KIOSK_CHECKING_PAGE(page);
    g_autofree char *dev = kiosk_format_device(&s->device);
    gtk_label_set_text(self->device_label, dev);
}

/* kiosk-remove-page.c - "remove USB media", repeating the verdict of the session (if the
 * service reported one) so the person still sees it while pulling the stick out. */
#include "ui/kiosk-remove-page.h"

#include "ui/kiosk-ui-format.h"

struct _KioskRemovePage {
    GtkBox parent_instance;
    GtkLabel *verdict_label;
    GtkLabel *summary_label;
};

G_DEFINE_FINAL_TYPE(KioskRemovePage, kiosk_remove_page, GTK_TYPE_BOX)

static void kiosk_remove_page_class_init(KioskRemovePageClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    gtk_widget_class_set_template_from_resource(wc, "/jp/kiosk/ui/kiosk-remove-page.ui");
    gtk_widget_class_bind_template_child(wc, KioskRemovePage, verdict_label);
    gtk_widget_class_bind_template_child(wc, KioskRemovePage, summary_label);
}

static void kiosk_remove_page_init(KioskRemovePage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

void kiosk_remove_page_update(GtkWidget *page, const struct screen_state *s)
{
    KioskRemovePage *self = KIOSK_REMOVE_PAGE(page);
    static const char *const classes[] = {"verdict-delivered", "verdict-some", "verdict-nothing"};
    for (unsigned i = 0; i < G_N_ELEMENTS(classes); i++)
        gtk_widget_remove_css_class(GTK_WIDGET(self->verdict_label), classes[i]);

    gtk_widget_set_visible(GTK_WIDGET(self->verdict_label), s->verdict != VERDICT_NONE);
    gtk_widget_set_visible(GTK_WIDGET(self->summary_label), s->verdict != VERDICT_NONE);
    if (s->verdict == VERDICT_NONE)
        return;
    gtk_label_set_text(self->verdict_label, kiosk_format_verdict_title(s));
    gtk_widget_add_css_class(GTK_WIDGET(self->verdict_label), classes[s->verdict - 1]);
    g_autofree char *summary = NULL;
    if (s->failed)
        summary = g_strdup(_("The check could not be completed."));
    else
        summary = g_strdup_printf(_("%lld of %lld files delivered"), (long long)s->counts.delivered,
                                  (long long)s->counts.files);
    gtk_label_set_text(self->summary_label, summary);
}

/* kiosk-scanning-page.c - progress of the check, then of the hand-over to the terminal.
 * It never says "delivered": only the result screen does, after the service said so. */
#include "ui/kiosk-scanning-page.h"

#include "ui/kiosk-ui-format.h"

struct _KioskScanningPage {
    GtkBox parent_instance;
    GtkLabel *title_label;
    GtkProgressBar *progress;
    GtkSpinner *spinner;
    GtkLabel *files_label;
    GtkLabel *bytes_label;
    GtkLabel *current_label;
    GtkLabel *eta_label;
    GtkLabel *queue_label;
};

G_DEFINE_FINAL_TYPE(KioskScanningPage, kiosk_scanning_page, GTK_TYPE_BOX)

static void kiosk_scanning_page_class_init(KioskScanningPageClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    gtk_widget_class_set_template_from_resource(wc, "/jp/kiosk/ui/kiosk-scanning-page.ui");
    gtk_widget_class_bind_template_child(wc, KioskScanningPage, title_label);
    gtk_widget_class_bind_template_child(wc, KioskScanningPage, progress);
    gtk_widget_class_bind_template_child(wc, KioskScanningPage, spinner);
    gtk_widget_class_bind_template_child(wc, KioskScanningPage, files_label);
    gtk_widget_class_bind_template_child(wc, KioskScanningPage, bytes_label);
    gtk_widget_class_bind_template_child(wc, KioskScanningPage, current_label);
    gtk_widget_class_bind_template_child(wc, KioskScanningPage, eta_label);
    gtk_widget_class_bind_template_child(wc, KioskScanningPage, queue_label);
}

static void kiosk_scanning_page_init(KioskScanningPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

static void set_optional(GtkLabel *label, const char *text)
{
    gtk_widget_set_visible(GTK_WIDGET(label), text && *text);
    gtk_label_set_text(label, text ? text : "");
}

void kiosk_scanning_page_update(GtkWidget *page, const struct screen_state *s)
{
    KioskScanningPage *self = KIOSK_SCANNING_PAGE(page);

    gtk_label_set_text(self->title_label, s->delivering
                                              ? _("Passing the clean files to the terminal")
                                              : _("Scanning"));
    double fraction = 0;
    if (s->bytes_total > 0)
        fraction = (double)s->bytes_done / (double)s->bytes_total;
    else if (s->files_total > 0)
        fraction = (double)s->files_done / (double)s->files_total;
    /* While delivering there is no progress from the service: no bar rather than a
     * bar that looks like something it is not. */
    gtk_widget_set_visible(GTK_WIDGET(self->progress), !s->delivering);
    gtk_progress_bar_set_fraction(self->progress, CLAMP(fraction, 0.0, 1.0));
    gtk_widget_set_visible(GTK_WIDGET(self->spinner), s->delivering);
    gtk_spinner_set_spinning(self->spinner, s->delivering);

    g_autofree char *files = NULL, *bytes = NULL, *current = NULL, *eta = NULL, *queue = NULL;
    if (!s->delivering && s->files_total > 0)
        files = g_strdup_printf(_("%lld of %lld files"), (long long)s->files_done,
                                (long long)s->files_total);
    if (!s->delivering && s->bytes_total > 0) {
        g_autofree char *done = kiosk_format_size(s->bytes_done);
        g_autofree char *total = kiosk_format_size(s->bytes_total);
        bytes = g_strdup_printf(_("%s of %s"), done, total);
    }
    if (!s->delivering && s->current && *s->current)
        current = g_strdup_printf(_("Now: %s"), s->current);
    if (!s->delivering)
        eta = kiosk_format_eta(s->eta_seconds);
    if (s->queue > 0)
        queue = g_strdup_printf(ngettext("%lld more USB media waiting", "%lld more USB media waiting",
                                         (unsigned long)s->queue),
                                (long long)s->queue);
    set_optional(self->files_label, files);
    set_optional(self->bytes_label, bytes);
    set_optional(self->current_label, current);
    set_optional(self->eta_label, eta);
    set_optional(self->queue_label, queue);
}

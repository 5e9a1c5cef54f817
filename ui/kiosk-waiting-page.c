/* kiosk-waiting-page.c - "insert USB media", with the optional session details form
 * (vessel, IMO number, voyage, company, person).  Entries carry input purposes and hints
 * so an on-screen keyboard opens the right layout (digits for the IMO number). */
#include "ui/kiosk-waiting-page.h"

#include <string.h>

#include "ui/kiosk-ui-format.h"

struct _KioskWaitingPage {
    GtkBox parent_instance;
    GtkEntry *vessel_entry;
    GtkEntry *imo_entry;
    GtkEntry *voyage_entry;
    GtkEntry *company_entry;
    GtkEntry *person_entry;
    GtkWidget *save_button;
    GtkLabel *status_label;
};

G_DEFINE_FINAL_TYPE(KioskWaitingPage, kiosk_waiting_page, GTK_TYPE_BOX)

static GtkEntry **entries(KioskWaitingPage *self, GtkEntry *out[KIOSK_DETAILS_N])
{
    out[0] = self->vessel_entry;
    out[1] = self->imo_entry;
    out[2] = self->voyage_entry;
    out[3] = self->company_entry;
    out[4] = self->person_entry;
    return out;
}

static void show_status(KioskWaitingPage *self, const char *text, gboolean error)
{
    gtk_label_set_text(self->status_label, text);
    gtk_widget_set_visible(GTK_WIDGET(self->status_label), TRUE);
    if (error)
        gtk_widget_add_css_class(GTK_WIDGET(self->status_label), "error-text");
    else
        gtk_widget_remove_css_class(GTK_WIDGET(self->status_label), "error-text");
}

static gboolean imo_valid(const char *imo)
{
    if (!*imo)
        return TRUE; /* optional */
    if (strlen(imo) != 7)
        return FALSE;
    for (const char *p = imo; *p; p++)
        if (!g_ascii_isdigit(*p))
            return FALSE;
    return TRUE;
}

static void on_save_clicked(KioskWaitingPage *self)
{
    GtkEntry *e[KIOSK_DETAILS_N];
    const char *v[KIOSK_DETAILS_N];
    entries(self, e);
    for (unsigned i = 0; i < KIOSK_DETAILS_N; i++)
        v[i] = gtk_editable_get_text(GTK_EDITABLE(e[i]));
    if (!imo_valid(v[1])) {
        show_status(self, _("The IMO number has 7 digits."), TRUE);
        gtk_widget_grab_focus(GTK_WIDGET(self->imo_entry));
        return;
    }
    gtk_widget_activate_action(GTK_WIDGET(self), "app.details", "(sssss)", v[0], v[1], v[2],
                               v[3], v[4]);
}

static void kiosk_waiting_page_class_init(KioskWaitingPageClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    gtk_widget_class_set_template_from_resource(wc, "/jp/kiosk/ui/kiosk-waiting-page.ui");
    gtk_widget_class_bind_template_child(wc, KioskWaitingPage, vessel_entry);
    gtk_widget_class_bind_template_child(wc, KioskWaitingPage, imo_entry);
    gtk_widget_class_bind_template_child(wc, KioskWaitingPage, voyage_entry);
    gtk_widget_class_bind_template_child(wc, KioskWaitingPage, company_entry);
    gtk_widget_class_bind_template_child(wc, KioskWaitingPage, person_entry);
    gtk_widget_class_bind_template_child(wc, KioskWaitingPage, save_button);
    gtk_widget_class_bind_template_child(wc, KioskWaitingPage, status_label);
    gtk_widget_class_bind_template_callback(wc, on_save_clicked);
}

static void kiosk_waiting_page_init(KioskWaitingPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

void kiosk_waiting_page_update(GtkWidget *page, const struct screen_state *s)
{
    (void)page;
    (void)s; /* nothing from the service to show here */
}

void kiosk_waiting_page_get_details(GtkWidget *page, char *out[KIOSK_DETAILS_N])
{
    GtkEntry *e[KIOSK_DETAILS_N];
    entries(KIOSK_WAITING_PAGE(page), e);
    for (unsigned i = 0; i < KIOSK_DETAILS_N; i++)
        out[i] = g_strdup(gtk_editable_get_text(GTK_EDITABLE(e[i])));
}

void kiosk_waiting_page_set_details(GtkWidget *page, char *const in[KIOSK_DETAILS_N])
{
    GtkEntry *e[KIOSK_DETAILS_N];
    entries(KIOSK_WAITING_PAGE(page), e);
    for (unsigned i = 0; i < KIOSK_DETAILS_N; i++)
        gtk_editable_set_text(GTK_EDITABLE(e[i]), in[i] ? in[i] : "");
}

void kiosk_waiting_page_details_saved(GtkWidget *page, gboolean ok, const char *error)
{
    KioskWaitingPage *self = KIOSK_WAITING_PAGE(page);
    if (ok) {
        show_status(self, _("Saved. The details are recorded with your files."), FALSE);
    } else {
        g_autofree char *msg = g_strdup_printf(_("Not saved: %s"), error && *error ? error : _("the service refused them"));
        show_status(self, msg, TRUE);
    }
}

/* kiosk-result-page.c - one big verdict (green / amber / red), the counts, every file held
 * back with its reason in plain words, and where the delivered files went.  Everything
 * here comes from the service's "done" or "failed" event (see screen-state.c). */
#include "ui/kiosk-result-page.h"

#include "ui/kiosk-ui-format.h"

struct _KioskResultPage {
    GtkBox parent_instance;
    GtkLabel *remove_label;
    GtkLabel *test_label;
    GtkLabel *verdict_label;
    GtkLabel *counts_label;
    GtkLabel *reason_label;
    GtkLabel *mismatch_label;
    GtkLabel *edifact_title;
    GtkWidget *edifact_box;
    GtkLabel *held_title;
    GtkWidget *held_scroller;
    GtkListBox *held_list;
    GtkLabel *delivery_label;
    GtkWidget *print_button;
};

G_DEFINE_FINAL_TYPE(KioskResultPage, kiosk_result_page, GTK_TYPE_BOX)

static const char *const verdict_classes[] = {"verdict-delivered", "verdict-some",
                                              "verdict-nothing"};

static void kiosk_result_page_class_init(KioskResultPageClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    gtk_widget_class_set_template_from_resource(wc, "/jp/kiosk/ui/kiosk-result-page.ui");
    gtk_widget_class_bind_template_child(wc, KioskResultPage, remove_label);
    gtk_widget_class_bind_template_child(wc, KioskResultPage, test_label);
    gtk_widget_class_bind_template_child(wc, KioskResultPage, verdict_label);
    gtk_widget_class_bind_template_child(wc, KioskResultPage, counts_label);
    gtk_widget_class_bind_template_child(wc, KioskResultPage, reason_label);
    gtk_widget_class_bind_template_child(wc, KioskResultPage, mismatch_label);
    gtk_widget_class_bind_template_child(wc, KioskResultPage, edifact_title);
    gtk_widget_class_bind_template_child(wc, KioskResultPage, edifact_box);
    gtk_widget_class_bind_template_child(wc, KioskResultPage, held_title);
    gtk_widget_class_bind_template_child(wc, KioskResultPage, held_scroller);
    gtk_widget_class_bind_template_child(wc, KioskResultPage, held_list);
    gtk_widget_class_bind_template_child(wc, KioskResultPage, delivery_label);
    gtk_widget_class_bind_template_child(wc, KioskResultPage, print_button);
}

static void kiosk_result_page_init(KioskResultPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

static GtkWidget *held_row_new(const struct screen_held *h)
{
    static const char *const held_classes[] = {"held-infected", "held-blocked", "held-error"};
    /* one line per file at 1024x600: the name on the left, why on the right */
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 16);
    GtkWidget *path = gtk_label_new(h->path);
    GtkWidget *why = NULL;
    g_autofree char *reason = kiosk_format_held_reason(h);

    gtk_label_set_wrap(GTK_LABEL(path), TRUE);
    gtk_label_set_wrap_mode(GTK_LABEL(path), PANGO_WRAP_WORD_CHAR);
    gtk_label_set_xalign(GTK_LABEL(path), 0);
    gtk_widget_add_css_class(path, "held-path");
    why = gtk_label_new(reason);
    gtk_label_set_wrap(GTK_LABEL(why), TRUE);
    gtk_label_set_wrap_mode(GTK_LABEL(why), PANGO_WRAP_WORD_CHAR);
    gtk_label_set_xalign(GTK_LABEL(why), 0);
    gtk_widget_add_css_class(why, "held-reason");
    gtk_widget_add_css_class(why, held_classes[h->verdict]);
    gtk_widget_set_hexpand(path, TRUE);
    gtk_widget_set_hexpand(why, TRUE);
    gtk_box_set_homogeneous(GTK_BOX(box), TRUE);
    gtk_box_append(GTK_BOX(box), path);
    gtk_box_append(GTK_BOX(box), why);
    gtk_widget_add_css_class(box, "held-row");
    return box;
}

static GtkWidget *sanitized_row_new(const struct screen_sanitized *x)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 16);
    GtkWidget *path = gtk_label_new(x->path);
    g_autofree char *text = kiosk_format_sanitized(x);
    GtkWidget *what = gtk_label_new(text);

    gtk_label_set_wrap(GTK_LABEL(path), TRUE);
    gtk_label_set_wrap_mode(GTK_LABEL(path), PANGO_WRAP_WORD_CHAR);
    gtk_label_set_xalign(GTK_LABEL(path), 0);
    gtk_widget_add_css_class(path, "held-path");
    gtk_label_set_wrap(GTK_LABEL(what), TRUE);
    gtk_label_set_wrap_mode(GTK_LABEL(what), PANGO_WRAP_WORD_CHAR);
    gtk_label_set_xalign(GTK_LABEL(what), 0);
    gtk_widget_add_css_class(what, "held-reason");
    gtk_widget_add_css_class(what, "held-sanitized");
    gtk_widget_set_hexpand(path, TRUE);
    gtk_widget_set_hexpand(what, TRUE);
    gtk_box_set_homogeneous(GTK_BOX(box), TRUE);
    gtk_box_append(GTK_BOX(box), path);
    gtk_box_append(GTK_BOX(box), what);
    gtk_widget_add_css_class(box, "held-row");
    return box;
}

/* Shipping messages listed on the page; the rest are counted ("and N more"). */
#define EDIFACT_ROWS 3

static GtkWidget *edifact_label(const char *text, const char *css, gboolean expand)
{
    GtkWidget *l = gtk_label_new(text);
    gtk_label_set_wrap(GTK_LABEL(l), TRUE);
    gtk_label_set_wrap_mode(GTK_LABEL(l), PANGO_WRAP_WORD_CHAR);
    gtk_label_set_xalign(GTK_LABEL(l), 0);
    gtk_widget_set_hexpand(l, expand);
    gtk_widget_add_css_class(l, css);
    return l;
}

/* "BAPLIE · MSC AURORA · voyage 123W · 36 containers   plans/baplie.edi", and its problem
 * under it: a warning when it was delivered, why it was held back otherwise. */
static GtkWidget *edifact_row_new(const struct screen_edifact *e)
{
    GtkWidget *row = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    GtkWidget *line = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 16);
    g_autofree char *headline = kiosk_format_edifact_headline(e);
    gtk_box_append(GTK_BOX(line), edifact_label(headline, "edifact-headline", TRUE));
    GtkWidget *path = edifact_label(e->path, "edifact-path", FALSE);
    gtk_label_set_xalign(GTK_LABEL(path), 1);
    gtk_label_set_max_width_chars(GTK_LABEL(path), 30);
    gtk_box_append(GTK_BOX(line), path);
    gtk_box_append(GTK_BOX(row), line);
    if (e->malformed) {
        const char *problem = kiosk_format_service_text(e->problem, e->problem_ja);
        g_autofree char *w = g_strdup_printf(e->delivered ? _("Warning: %s") : _("Held back: %s"),
                                             *problem ? problem : _("the file is damaged"));
        gtk_box_append(GTK_BOX(row), edifact_label(w, "edifact-warning", TRUE));
    }
    gtk_widget_add_css_class(row, "edifact-row");
    return row;
}

static void edifact_update(KioskResultPage *self, const struct screen_state *s)
{
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(self->edifact_box)))
        gtk_box_remove(GTK_BOX(self->edifact_box), child);
    unsigned shown = MIN(s->n_edifact, EDIFACT_ROWS);
    for (unsigned i = 0; i < shown; i++)
        gtk_box_append(GTK_BOX(self->edifact_box), edifact_row_new(&s->edifact[i]));
    if (s->n_edifact > shown) {
        unsigned more = s->n_edifact - shown;
        g_autofree char *t = g_strdup_printf(
            ngettext("and %u more shipping message (see the printed report)",
                     "and %u more shipping messages (see the printed report)", more),
            more);
        gtk_box_append(GTK_BOX(self->edifact_box), edifact_label(t, "edifact-path", TRUE));
    }
    gboolean any = !s->failed && s->n_edifact > 0;
    gtk_widget_set_visible(GTK_WIDGET(self->edifact_title), any);
    gtk_widget_set_visible(self->edifact_box, any);

    /* Details that disagree with a bay plan: before the receipt is printed. */
    g_autoptr(GString) m = g_string_new(NULL);
    for (unsigned i = 0; !s->failed && i < s->n_mismatch; i++) {
        const struct screen_mismatch *mm = &s->mismatch[i];
        if (i == 0)
            g_string_append(m, _("Please check your session details:"));
        g_string_append_printf(m, "\n%s (%s)", kiosk_format_service_text(mm->text, mm->text_ja),
                               mm->path ? mm->path : "?");
    }
    gtk_label_set_text(self->mismatch_label, m->str);
    gtk_widget_set_visible(GTK_WIDGET(self->mismatch_label), m->len > 0);
}

void kiosk_result_page_update(GtkWidget *page, const struct screen_state *s)
{
    KioskResultPage *self = KIOSK_RESULT_PAGE(page);
    GtkWidget *verdict = GTK_WIDGET(self->verdict_label);

    for (unsigned i = 0; i < G_N_ELEMENTS(verdict_classes); i++)
        gtk_widget_remove_css_class(verdict, verdict_classes[i]);
    if (s->verdict != VERDICT_NONE)
        gtk_widget_add_css_class(verdict, verdict_classes[s->verdict - 1]);
    gtk_label_set_text(self->verdict_label, kiosk_format_verdict_title(s));
    gtk_widget_set_visible(GTK_WIDGET(self->test_label), s->test_signatures);
    /* The service asks for the media right after "done": the result stays, with the
     * request on top, so the person still reads which files were held back and why. */
    gtk_widget_set_visible(GTK_WIDGET(self->remove_label), s->screen == SCREEN_REMOVE);

    /* failed: the reason instead of counts and list */
    gtk_widget_set_visible(GTK_WIDGET(self->reason_label), s->failed);
    gtk_widget_set_visible(GTK_WIDGET(self->counts_label), !s->failed);
    if (s->failed) {
        g_autofree char *why = kiosk_format_reason(&s->reason_rd, s->reason);
        /* A cause worded as a whole sentence ("The USB medium is encrypted; ...") stands
         * alone; a fragment or the service's bare text follows the heading sentence. */
        const struct reason_def *def = reason_lookup(s->reason_rd.code);
        bool whole = why && def && g_ascii_isupper(def->format[0]);
        g_autofree char *r = whole ? g_strdup(why)
                                   : g_strdup_printf(_("The check could not be completed: %s"),
                                                     why ? why : _("no reason given"));
        gtk_label_set_text(self->reason_label, r);
    } else {
        g_autoptr(GString) c = g_string_new(NULL);
        g_string_append_printf(c, _("%lld files checked"), (long long)s->counts.files);
        g_string_append(c, "   ");
        g_string_append_printf(c, _("%lld delivered"), (long long)s->counts.delivered);
        if (s->counts.sanitized) {
            g_string_append(c, "   ");
            g_string_append_printf(c, _("(%lld as safe copies)"), (long long)s->counts.sanitized);
        }
        if (s->counts.infected) {
            g_string_append(c, "   ");
            g_string_append_printf(c, _("%lld malware"), (long long)s->counts.infected);
        }
        if (s->counts.blocked) {
            g_string_append(c, "   ");
            g_string_append_printf(c, _("%lld blocked"), (long long)s->counts.blocked);
        }
        if (s->counts.error) {
            g_string_append(c, "   ");
            g_string_append_printf(c, _("%lld not scanned"), (long long)s->counts.error);
        }
        if (s->counts.skipped) {
            g_string_append(c, "   ");
            g_string_append_printf(c, _("%lld skipped (links, devices)"), (long long)s->counts.skipped);
        }
        gtk_label_set_text(self->counts_label, c->str);
    }

    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->held_list))))
        gtk_list_box_remove(self->held_list, child);
    for (unsigned i = 0; i < s->n_held; i++)
        gtk_list_box_append(self->held_list, held_row_new(&s->held[i]));
    /* Safe copies after the held-back files, in the same list. */
    for (unsigned i = 0; i < s->n_sanitized; i++)
        gtk_list_box_append(self->held_list, sanitized_row_new(&s->sanitized[i]));
    if (s->n_held > 0 && s->n_sanitized > 0)
        gtk_label_set_text(self->held_title,
                           _("Files held back, and files delivered as safe copies:"));
    else if (s->n_sanitized > 0)
        gtk_label_set_text(self->held_title,
                           _("Files delivered as safe copies (macros and active content "
                             "removed):"));
    else
        gtk_label_set_text(self->held_title, _("Files held back (not delivered):"));
    edifact_update(self, s);
    gtk_widget_set_visible(GTK_WIDGET(self->held_title), s->n_held + s->n_sanitized > 0);
    /* The EDIFACT files, the held-back ones and the safe copies share one scrolled area. */
    gtk_widget_set_visible(self->held_scroller,
                           s->n_held + s->n_sanitized > 0 || (!s->failed && s->n_edifact > 0));

    g_autofree char *where = NULL;
    bool delivered = s->verdict != VERDICT_NOTHING && s->counts.delivered > 0;
    /* "Passed to the terminal" only once the service says the share has them. */
    if (delivered && s->publication == PUB_PENDING)
        where = g_strdup(_("Checked. The files are being passed to the terminal."));
    else if (delivered && s->publication == PUB_RETRYING)
        where = g_strdup(_("Checked. The files will reach the terminal when its share is "
                           "reachable; nothing more is needed from you."));
    else if (delivered && s->delivery)
        where = g_strdup_printf(_("Delivered files were passed to the terminal: %s"), s->delivery);
    else if (delivered)
        where = g_strdup(_("Delivered files were passed to the terminal."));
    else if (s->verdict == VERDICT_DELIVERED)
        where = g_strdup(_("The USB media held no files to deliver."));
    else
        where = g_strdup(_("No files were passed to the terminal."));
    gtk_label_set_text(self->delivery_label, where);

    gtk_widget_set_visible(self->print_button, s->can_print && !s->failed);
}

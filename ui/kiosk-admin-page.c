/* kiosk-admin-page.c - "Administrator": the service's state, the signature database (version,
 * build time, age), the policy, the staging share's free space, the printer and the last
 * sessions with a reprint button each.  Everything shown comes from the service's
 * "admin-status" reply; the page only words it (docs/protocol.md, administration). */
#include "ui/kiosk-admin-page.h"
#include "common/json.h"

#include "ui/kiosk-ui-format.h"

struct _KioskAdminPage {
    GtkBox parent_instance;
    GtkGrid *facts_grid;
    GtkListBox *sessions_list;
    GtkLabel *sessions_empty;
    GtkLabel *note_label;
    GtkLabel *stick_label;
    GtkWidget *stick_update, *stick_export, *stick_confirm, *stick_cancel;
};

G_DEFINE_FINAL_TYPE(KioskAdminPage, kiosk_admin_page, GTK_TYPE_BOX)

static void kiosk_admin_page_class_init(KioskAdminPageClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    gtk_widget_class_set_template_from_resource(wc, "/jp/kiosk/ui/kiosk-admin-page.ui");
    gtk_widget_class_bind_template_child(wc, KioskAdminPage, facts_grid);
    gtk_widget_class_bind_template_child(wc, KioskAdminPage, sessions_list);
    gtk_widget_class_bind_template_child(wc, KioskAdminPage, sessions_empty);
    gtk_widget_class_bind_template_child(wc, KioskAdminPage, note_label);
    gtk_widget_class_bind_template_child(wc, KioskAdminPage, stick_label);
    gtk_widget_class_bind_template_child(wc, KioskAdminPage, stick_update);
    gtk_widget_class_bind_template_child(wc, KioskAdminPage, stick_export);
    gtk_widget_class_bind_template_child(wc, KioskAdminPage, stick_confirm);
    gtk_widget_class_bind_template_child(wc, KioskAdminPage, stick_cancel);
}

static void stick_update(KioskAdminPage *self, enum kiosk_stick_phase phase, const char *action,
                         const char *device);

static void kiosk_admin_page_init(KioskAdminPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    stick_update(self, KIOSK_STICK_IDLE, NULL, NULL);
}

/* ---- reading the reply (every member optional, any type tolerated) ------------------- */

static gboolean flag(JsonObject *o, const char *k)
{
    JsonNode *n = o ? json_object_get_member(o, k) : NULL;
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN &&
           json_node_get_boolean(n);
}

/* "2024-06-01T10:00:00Z" -> "2024-06-01 19:00 (UTC+09:00)": the kiosk's local time with
 * its offset, as the reports print it (kiosk_format_time). */
static char *format_time(const char *iso)
{
    return kiosk_format_time(iso);
}

/* ---- the facts --------------------------------------------------------------------------- */

static void add_fact(KioskAdminPage *self, int row, const char *name, const char *value,
                     gboolean warn)
{
    GtkWidget *k = gtk_label_new(name);
    GtkWidget *v = gtk_label_new(value ? value : _("not known"));
    gtk_label_set_xalign(GTK_LABEL(k), 0);
    gtk_label_set_yalign(GTK_LABEL(k), 0);
    gtk_label_set_wrap(GTK_LABEL(k), TRUE);
    gtk_widget_add_css_class(k, "admin-key");
    gtk_label_set_xalign(GTK_LABEL(v), 0);
    gtk_label_set_wrap(GTK_LABEL(v), TRUE);
    gtk_label_set_wrap_mode(GTK_LABEL(v), PANGO_WRAP_WORD_CHAR);
    gtk_label_set_selectable(GTK_LABEL(v), FALSE);
    gtk_widget_set_hexpand(v, TRUE);
    gtk_widget_add_css_class(v, "admin-value");
    if (warn)
        gtk_widget_add_css_class(v, "error-text");
    gtk_grid_attach(self->facts_grid, k, 0, row, 1, 1);
    gtk_grid_attach(self->facts_grid, v, 1, row, 1, 1);
}

static char *service_words(JsonObject *svc, gboolean *warn)
{
    const char *state = json_member_string(svc, "state", NULL);
    const char *oos = json_member_string(svc, "out_of_service", NULL);
    g_autoptr(GString) s = g_string_new(NULL);
    *warn = FALSE;
    if (!svc)
        return NULL;
    if (oos || g_strcmp0(state, "out-of-service") == 0) {
        const char *code = oos ? oos : json_member_string(svc, "code", NULL);
        g_string_append_printf(s, _("Out of service (%s)"), code ? code : "?");
        *warn = TRUE;
    } else if (g_strcmp0(state, "idle") == 0) {
        g_string_append(s, _("In service, waiting for USB media"));
    } else if (state) {
        g_string_append_printf(s, _("In service, checking USB media (%s)"), state);
    } else {
        g_string_append(s, _("In service"));
    }
    if (flag(svc, "reloading")) {
        g_string_append(s, "; ");
        g_string_append(s, _("loading new signatures or policy"));
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static char *signatures_words(JsonObject *svc, JsonObject *sig, gboolean *warn)
{
    /* What the service uses now; the folder's files when it has no engine. */
    const char *version = json_member_string(svc, "db_version", NULL);
    const char *built = json_member_string(svc, "db_build_time", NULL);
    gint64 age = -1, max = 0;
    if (!json_member_lookup_int(svc, "db_age_days", &age))
        age = -1;
    if (!version) {
        version = json_member_string(sig, "db_version", NULL);
        built = json_member_string(sig, "build_time", NULL);
        if (!json_member_lookup_int(sig, "age_days", &age))
            age = -1;
    }
    *warn = flag(sig, "too_old");
    if (!version) {
        const char *err = json_member_string(sig, "error", NULL);
        *warn = TRUE;
        return err ? g_strdup_printf(_("Not loaded: %s"), err) : NULL;
    }
    g_autoptr(GString) s = g_string_new(NULL);
    g_string_append_printf(s, _("Version %s"), version);
    g_autofree char *when = format_time(built);
    if (when) {
        g_string_append(s, "\n");
        g_string_append_printf(s, _("Built %s"), when);
    }
    if (age >= 0) {
        g_string_append(s, "\n");
        g_string_append_printf(s, ngettext("%lld day old", "%lld days old", (unsigned long)age),
                               (long long)age);
    }
    if (json_member_lookup_int(sig, "max_age_days", &max) && max > 0) {
        g_string_append(s, " ");
        g_string_append_printf(s, ngettext("(at most %lld day allowed)",
                                           "(at most %lld days allowed)", (unsigned long)max),
                               (long long)max);
    }
    if (flag(svc, "test_signatures") || flag(sig, "test_signatures")) {
        g_string_append(s, "\n");
        g_string_append(s, _("TEST SIGNATURES: not a real malware check"));
        *warn = TRUE;
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static char *policy_words(JsonObject *svc, JsonObject *pol, gboolean *warn)
{
    const char *name = json_member_string(svc, "policy", NULL);
    gint64 version = -1;
    if (!json_member_lookup_int(svc, "policy_version", &version))
        version = -1;
    if (!name) {
        name = json_member_string(pol, "name", NULL);
        if (!json_member_lookup_int(pol, "version", &version))
            version = -1;
    }
    *warn = pol && json_object_has_member(pol, "valid") && !flag(pol, "valid");
    g_autoptr(GString) s = g_string_new(NULL);
    if (name && version >= 0)
        g_string_append_printf(s, _("%s, version %lld"), name, (long long)version);
    else if (name)
        g_string_append(s, name);
    if (*warn) {
        if (s->len)
            g_string_append(s, "\n");
        g_string_append(s, _("The policy file is not valid."));
    }
    return s->len ? g_string_free(g_steal_pointer(&s), FALSE) : NULL;
}

static char *staging_words(JsonObject *st, gboolean *warn)
{
    gint64 free_b = 0, total = 0;
    *warn = FALSE;
    if (!json_member_lookup_int(st, "free_bytes", &free_b)) {
        const char *err = json_member_string(st, "error", NULL);
        *warn = err != NULL;
        return err ? g_strdup_printf(_("Cannot be read: %s"), err) : NULL;
    }
    g_autofree char *f = g_format_size((guint64)MAX(free_b, 0));
    if (json_member_lookup_int(st, "total_bytes", &total) && total > 0) {
        g_autofree char *t = g_format_size((guint64)total);
        *warn = free_b < total / 20; /* under 5 % */
        return g_strdup_printf(_("%s free of %s"), f, t);
    }
    return g_strdup_printf(_("%s free"), f);
}

/* The service's own words ("stopped, out of paper", "the print service (CUPS) is not
 * reachable ...") are English; only the verdict in front of them is translated. */
static char *printer_words(JsonObject *pr, gboolean *warn)
{
    const char *queue = json_member_string(pr, "queue", NULL);
    const char *state = json_member_string(pr, "state", NULL);
    const char *text = json_member_string(pr, "text", NULL);
    *warn = FALSE;
    if (!pr || !json_object_has_member(pr, "ok"))
        return g_strdup(queue); /* a service that only names the queue */
    g_autoptr(GString) s = g_string_new(NULL);
    if (flag(pr, "ok")) {
        g_string_append_printf(
            s, g_strcmp0(state, "printing") == 0 ? _("%s: printing") : _("%s: ready"),
            queue ? queue : "?");
        if (text && g_strcmp0(text, state) != 0)
            g_string_append_printf(s, "\n%s", text); /* e.g. a warning such as low toner */
        return g_string_free(g_steal_pointer(&s), FALSE);
    }
    *warn = TRUE;
    if (queue)
        g_string_append_printf(s, _("%s: not ready"), queue);
    else
        g_string_append(s, _("Not ready"));
    if (text)
        g_string_append_printf(s, "\n%s", text);
    return g_string_free(g_steal_pointer(&s), FALSE);
}

/* ---- the last sessions ------------------------------------------------------------------- */

static const char *session_status_words(const char *status)
{
    if (g_strcmp0(status, "delivered") == 0)
        return _("Delivered");
    if (g_strcmp0(status, "partial") == 0)
        return _("Some held back");
    if (g_strcmp0(status, "failed") == 0)
        return _("Not completed");
    return status ? status : "?";
}

static GtkWidget *session_row_new(JsonObject *s)
{
    const char *id = json_member_string(s, "session", NULL);
    gint64 files = 0, delivered = 0, infected = 0, blocked = 0, errors = 0;
    json_member_lookup_int(s, "files", &files);
    json_member_lookup_int(s, "delivered", &delivered);
    json_member_lookup_int(s, "infected", &infected);
    json_member_lookup_int(s, "blocked", &blocked);
    json_member_lookup_int(s, "errors", &errors);

    g_autofree char *when = format_time(json_member_string(s, "time", NULL));
    g_autofree char *head = g_strdup_printf(
        "%s · %s", when ? when : "?", session_status_words(json_member_string(s, "status", NULL)));
    g_autoptr(GString) counts = g_string_new(NULL);
    g_string_append_printf(counts, _("%lld files checked"), (long long)files);
    g_string_append(counts, ", ");
    g_string_append_printf(counts, _("%lld delivered"), (long long)delivered);
    if (infected) {
        g_string_append(counts, ", ");
        g_string_append_printf(counts, _("%lld malware"), (long long)infected);
    }
    if (blocked) {
        g_string_append(counts, ", ");
        g_string_append_printf(counts, _("%lld blocked"), (long long)blocked);
    }
    if (errors) {
        g_string_append(counts, ", ");
        g_string_append_printf(counts, _("%lld not scanned"), (long long)errors);
    }

    GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
    GtkWidget *text = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    GtkWidget *l1 = gtk_label_new(head);
    GtkWidget *l2 = gtk_label_new(counts->str);
    g_autofree char *sid = g_strdup_printf(_("Session %s"), id ? id : "?");
    GtkWidget *l3 = gtk_label_new(sid);
    gtk_label_set_xalign(GTK_LABEL(l1), 0);
    gtk_label_set_wrap(GTK_LABEL(l1), TRUE);
    gtk_widget_add_css_class(l1, "strong");
    gtk_label_set_xalign(GTK_LABEL(l2), 0);
    gtk_label_set_wrap(GTK_LABEL(l2), TRUE);
    gtk_label_set_xalign(GTK_LABEL(l3), 0);
    gtk_label_set_wrap(GTK_LABEL(l3), TRUE);
    gtk_label_set_wrap_mode(GTK_LABEL(l3), PANGO_WRAP_WORD_CHAR);
    gtk_widget_add_css_class(l3, "admin-session-id");
    gtk_box_append(GTK_BOX(text), l1);
    gtk_box_append(GTK_BOX(text), l2);
    gtk_box_append(GTK_BOX(text), l3);
    gtk_widget_set_hexpand(text, TRUE);
    gtk_box_append(GTK_BOX(row), text);

    if (id && *id) {
        GtkWidget *b = gtk_button_new_with_label(_("Reprint"));
        g_autofree char *name = g_strdup_printf("reprint-%s", id);
        gtk_widget_set_name(b, name);
        gtk_widget_set_valign(b, GTK_ALIGN_CENTER);
        gtk_actionable_set_action_name(GTK_ACTIONABLE(b), "app.admin-reprint");
        gtk_actionable_set_action_target(GTK_ACTIONABLE(b), "s", id);
        gtk_widget_add_css_class(b, "big-button");
        gtk_widget_add_css_class(b, "reprint-button");
        gtk_box_append(GTK_BOX(row), b);
    }
    gtk_widget_add_css_class(row, "admin-session");
    return row;
}

static void stick_update(KioskAdminPage *self, enum kiosk_stick_phase phase, const char *action,
                         const char *device)
{
    gboolean export = g_strcmp0(action, "export") == 0;
    const char *text = NULL;
    g_autofree char *confirm = NULL;
    switch (phase) {
    case KIOSK_STICK_IDLE:
        text = _("Administrator's USB stick: a signed update (policy, signatures), or a copy "
                 "of the audit log and reports.");
        break;
    case KIOSK_STICK_CONFIRM_EXPORT:
        confirm = g_strdup_printf(_("Erase this stick and write the export to it? %s. "
                                    "Everything on it will be lost."),
                                  device ? device : "?");
        text = confirm;
        break;
    case KIOSK_STICK_WAITING:
        text = export ? _("Insert the export stick now. You will see which stick it is before "
                          "anything is erased.")
                      : _("Insert the stick with the signed update (folder kiosk-update) now.");
        break;
    case KIOSK_STICK_WORKING:
        text = export ? _("Writing the export to the stick and checking it. Do not remove the "
                          "stick.")
                      : _("Checking the update's signature and installing it. Do not remove the "
                          "stick.");
        break;
    }
    gtk_label_set_text(self->stick_label, text);
    if (phase == KIOSK_STICK_CONFIRM_EXPORT)
        gtk_widget_add_css_class(GTK_WIDGET(self->stick_label), "error-text");
    else
        gtk_widget_remove_css_class(GTK_WIDGET(self->stick_label), "error-text");
    gtk_widget_set_visible(self->stick_update, phase == KIOSK_STICK_IDLE);
    gtk_widget_set_visible(self->stick_export, phase == KIOSK_STICK_IDLE);
    gtk_widget_set_visible(self->stick_confirm, phase == KIOSK_STICK_CONFIRM_EXPORT);
    gtk_widget_set_visible(self->stick_cancel,
                           phase == KIOSK_STICK_CONFIRM_EXPORT || phase == KIOSK_STICK_WAITING);
}

void kiosk_admin_page_update(GtkWidget *page, JsonObject *status, const char *note,
                             gboolean note_is_error, enum kiosk_stick_phase stick,
                             const char *stick_action, const char *stick_device)
{
    KioskAdminPage *self = KIOSK_ADMIN_PAGE(page);
    GtkWidget *child;

    stick_update(self, stick, stick_action, stick_device);

    while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->facts_grid))))
        gtk_grid_remove(self->facts_grid, child);
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->sessions_list))))
        gtk_list_box_remove(self->sessions_list, child);

    JsonObject *svc = json_member_object(status, "service");
    int row = 0;
    gboolean warn = FALSE;
    if (!status) {
        add_fact(self, row++, _("Service"), _("Asking the service…"), FALSE);
    } else {
        g_autofree char *a = service_words(svc, &warn);
        add_fact(self, row++, _("Service"), a, warn);
        const char *problem = json_member_string(svc, "problem", NULL);
        if (problem)
            add_fact(self, row++, _("Problem"), problem, TRUE);
        g_autofree char *b = signatures_words(svc, json_member_object(status, "signatures"), &warn);
        add_fact(self, row++, _("Signature database"), b, warn);
        g_autofree char *c = policy_words(svc, json_member_object(status, "policy"), &warn);
        add_fact(self, row++, _("Policy"), c, warn);
        g_autofree char *d = staging_words(json_member_object(status, "staging"), &warn);
        add_fact(self, row++, _("Staging free space"), d, warn);
        g_autofree char *e = printer_words(json_member_object(status, "printer"), &warn);
        add_fact(self, row++, _("Printer"), e, warn);
    }

    JsonNode *ln = status ? json_object_get_member(status, "last_sessions") : NULL;
    JsonArray *sessions = ln && JSON_NODE_HOLDS_ARRAY(ln) ? json_node_get_array(ln) : NULL;
    guint n = sessions ? json_array_get_length(sessions) : 0;
    for (guint i = 0; i < n; i++) {
        JsonNode *e = json_array_get_element(sessions, i);
        if (JSON_NODE_HOLDS_OBJECT(e))
            gtk_list_box_append(self->sessions_list, session_row_new(json_node_get_object(e)));
    }
    gtk_widget_set_visible(GTK_WIDGET(self->sessions_empty), n == 0);

    gtk_label_set_text(self->note_label, note ? note : "");
    gtk_widget_set_visible(GTK_WIDGET(self->note_label), note != NULL);
    if (note_is_error)
        gtk_widget_add_css_class(GTK_WIDGET(self->note_label), "error-text");
    else
        gtk_widget_remove_css_class(GTK_WIDGET(self->note_label), "error-text");
}

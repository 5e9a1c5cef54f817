/* kiosk-ui-format.c - plain words for the service's facts. */
#include "ui/kiosk-ui-format.h"

#include <stdio.h>
#include <string.h>

char *kiosk_format_size(int64_t bytes)
{
    if (bytes < 0)
        return g_strdup("?");
    return g_format_size_full((guint64)bytes, G_FORMAT_SIZE_DEFAULT);
}

char *kiosk_format_eta(int64_t seconds)
{
    if (seconds < 0)
        return NULL;
    if (seconds < 60)
        return g_strdup(_("Less than a minute left"));
    int64_t minutes = (seconds + 59) / 60;
    if (minutes < 120)
        return g_strdup_printf(ngettext("About %d minute left", "About %d minutes left",
                                        (unsigned long)minutes),
                               (int)minutes);
    return g_strdup_printf(_("About %d hours left"), (int)((minutes + 59) / 60));
}

char *kiosk_format_device(const struct screen_device *d)
{
    g_autofree char *name = NULL;
    if (d->vendor && d->model)
        name = g_strdup_printf("%s %s", d->vendor, d->model);
    else if (d->vendor || d->model)
        name = g_strdup(d->vendor ? d->vendor : d->model);
    else
        name = g_strdup(_("USB media"));
    if (d->size < 0)
        return g_steal_pointer(&name);
    g_autofree char *size = kiosk_format_size(d->size);
    return g_strdup_printf("%s, %s", name, size);
}

const char *kiosk_format_held_verdict(enum screen_held_verdict v)
{
    switch (v) {
    case HELD_INFECTED:
        return _("Malware detected");
    case HELD_BLOCKED:
        return _("Blocked by policy");
    case HELD_ERROR:
    default:
        return _("Could not be scanned");
    }
}

static const char *kiosk_format_gettext(const char *msgid)
{
    return gettext(msgid);
}

char *kiosk_format_reason(const struct reason_data *rd, const char *english)
{
    if (!rd || !rd->code[0])
        return english && *english ? g_strdup(english) : NULL;
    /* TRANSLATORS: see "language code" below. */
    return reason_data_format(rd, kiosk_format_gettext, C_("language code", "en"), english);
}

char *kiosk_format_time(const char *iso8601)
{
    if (!iso8601)
        return NULL;
    g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(iso8601, NULL);
    if (!dt)
        return g_strdup(iso8601);
    g_autoptr(GDateTime) local = g_date_time_to_local(dt);
    return g_date_time_format(local, "%Y-%m-%d %H:%M (UTC%:z)");
}

char *kiosk_format_held_reason(const struct screen_held *h)
{
    g_autofree char *text = kiosk_format_reason(&h->rd, h->reason);
    const char *r = text && *text ? text : NULL;
    switch (h->verdict) {
    case HELD_INFECTED:
        return r ? g_strdup_printf(_("Malware detected: %s"), r)
                 : g_strdup(_("Malware detected (no name given)"));
    case HELD_BLOCKED:
        return r ? g_strdup_printf(_("Blocked by policy: %s"), r)
                 : g_strdup(_("Blocked by policy"));
    case HELD_ERROR:
    default:
        return r ? g_strdup_printf(_("Could not be scanned: %s"), r)
                 : g_strdup(_("Could not be scanned"));
    }
}

const char *kiosk_format_verdict_title(const struct screen_state *s)
{
    switch (s->verdict) {
    case VERDICT_DELIVERED:
        /* "Delivered" only once the terminal's share has the files. */
        if (s->publication == PUB_PENDING || s->publication == PUB_RETRYING)
            return _("All files clean (checked)");
        return _("All files delivered");
    case VERDICT_SOME_HELD_BACK:
        return _("Some files held back");
    case VERDICT_NOTHING:
        return _("Nothing delivered");
    case VERDICT_NONE:
    default:
        return "";
    }
}

/* The service's identifiers of what content disarm removed (scanner/sanitize.c). */
static const struct {
    const char *id;
    const char *text;
} removed_words[] = {
    {"vba-macros", N_("VBA macros")},
    {"activex-controls", N_("ActiveX controls")},
    {"custom-ui-callbacks", N_("ribbon callbacks to macros")},
    {"external-links", N_("links updated or fetched when the file opens")},
    {"pdf-javascript", N_("JavaScript")},
    {"pdf-open-action", N_("an action run when the file opens")},
    {"pdf-additional-actions", N_("actions run by page, field or document events")},
    {"pdf-launch", N_("actions that start programs")},
    {"pdf-embedded-files", N_("embedded files")},
    {"pdf-rich-media", N_("multimedia and 3D content")},
    {"pdf-xfa", N_("XFA forms")},
    {"pdf-uri-on-open", N_("web links opened by themselves")},
    {"pdf-actions", N_("actions that open other files or send data")},
    {"pdf-rebuilt", N_("a damaged file structure (rebuilt)")},
};

char *kiosk_format_sanitized(const struct screen_sanitized *x)
{
    g_autoptr(GString) what = g_string_new(NULL);
    for (char **id = x->removed; id && *id; id++)
        for (unsigned i = 0; i < G_N_ELEMENTS(removed_words); i++)
            if (strcmp(*id, removed_words[i].id) == 0) {
                if (what->len)
                    g_string_append(what, _(", "));
                g_string_append(what, _(removed_words[i].text));
            }
    if (!what->len)
    {
        char *r = kiosk_format_reason(&x->rd, x->reason);
        return r ? r : g_strdup(_("Delivered as a safe copy"));
    }
    if (x->delivered_as && strcmp(x->delivered_as, x->path) != 0)
        return g_strdup_printf(_("Delivered as %s, without: %s"), x->delivered_as, what->str);
    return g_strdup_printf(_("Delivered as a copy without: %s"), what->str);
}

char *kiosk_format_count(int64_t n)
{
    char digits[32];
    GString *out = g_string_new(NULL);
    int len = snprintf(digits, sizeof(digits), "%lld", (long long)(n < 0 ? 0 : n));
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            g_string_append_c(out, ',');
        g_string_append_c(out, digits[i]);
    }
    return g_string_free(out, FALSE);
}

const char *kiosk_format_service_text(const char *en, const char *ja)
{
    /* TRANSLATORS: the language code of the screen ("ja" in the Japanese catalogue); it
     * picks which of the service's two texts (English, Japanese) is shown. */
    const char *lang = C_("language code", "en");
    if (strcmp(lang, "ja") == 0 && ja && *ja)
        return ja;
    return en ? en : "";
}

char *kiosk_format_edifact_headline(const struct screen_edifact *e)
{
    GString *s = g_string_new(e->type ? e->type : "EDIFACT");
    if (e->vessel)
        g_string_append_printf(s, " · %s", e->vessel);
    if (e->voyage) {
        g_string_append(s, " · ");
        g_string_append_printf(s, _("voyage %s"), e->voyage);
    }
    if (e->containers > 0) {
        g_autofree char *n = kiosk_format_count(e->containers);
        g_string_append(s, " · ");
        g_string_append_printf(s, ngettext("%s container", "%s containers",
                                           (unsigned long)e->containers),
                               n);
    }
    if (e->messages > 1) {
        g_autofree char *n = kiosk_format_count(e->messages);
        g_string_append(s, " · ");
        g_string_append_printf(s, ngettext("%s message", "%s messages", (unsigned long)e->messages),
                               n);
    }
    return g_string_free(s, FALSE);
}

static char *contact_text;

void kiosk_format_set_contact(const char *contact)
{
    g_free(contact_text);
    contact_text = contact && *contact ? g_strdup(contact) : NULL;
}

const char *kiosk_format_contact(void)
{
    return contact_text ? contact_text : _("the terminal IT help desk");
}

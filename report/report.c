/* report.c - the session's A4 scan report and 80 mm receipt: the words (English msgids,
 * the catalogue gives the Japanese), loading a session's MANIFEST.json, what the report says
 * about it (times, verdicts, reasons, files in report order), rendering a PDF (two passes:
 * measure, then draw) and saving and printing it.  The layouts are report-a4.c and
 * report-receipt.c, the shared drawing helpers report-draw.c, the EDIFACT section
 * report-edifact.c; report-private.h is what they share. */
#include "report/report.h"
#include "report/report-private.h"
#include "common/json.h"
#include "common/i18n.h"
#include "common/kerr.h"
#include "common/reason.h"
#include "common/util.h"
#include "kiosk/audit.h"
#include "kiosk/config.h"
#include "kiosk/manifest.h"
#include "handoff/outbox.h"
#include "report/printer.h"
#include "kiosk/sign.h"
#include "handoff/workarea.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- words (CONTEXT.md's table where it has them) -------------------------------- */

/* The English msgids; the other languages come from the catalogue (po/, i18n.h).  The
 * labels of the counts have their own context: they must fit a narrow cell, where the
 * screen's "ウイルスを検出しました" would wrap. */
#define NC_(ctx, s) (s)
const char *const report_words[W_N] = {
    [W_TITLE] = N_("USB media scan report"),
    [W_RECEIPT] = N_("Scan receipt"),
    [W_SESSION] = N_("Session"),
    [W_KIOSK] = N_("Kiosk"),
    [W_SITE] = N_("Site"),
    [W_STARTED] = N_("Started"),
    [W_FINISHED] = N_("Finished"),
    [W_RESULT] = N_("Result"),
    [W_ST_DELIVERED] = N_("Clean (delivered)"),
    [W_ST_PARTIAL] = N_("Some files held back"),
    [W_ST_FAILED] = N_("Could not be scanned"),
    [W_DETAILS] = N_("Session details"),
    [W_VESSEL] = N_("Vessel name"),
    [W_IMO] = N_("IMO number"),
    [W_VOYAGE] = N_("Voyage"),
    [W_COMPANY] = N_("Company"),
    [W_PERSON] = N_("Person"),
    [W_DEVICE] = N_("USB media"),
    [W_SOURCE] = N_("Source"),
    [W_VENDOR] = N_("Vendor"),
    [W_MODEL] = N_("Model"),
    [W_SERIAL] = N_("Serial number"),
    [W_SIZE] = N_("Size"),
    [W_FS] = N_("Filesystem"),
    [W_LABEL] = N_("Label"),
    [W_COUNTS] = N_("Files"),
    [W_FILES] = N_("Files checked"),
    [W_DELIVERED] = N_("Delivered"),
    [W_INFECTED] = NC_("count", "Malware detected"),
    [W_BLOCKED] = NC_("count", "Blocked by policy"),
    [W_ERROR] = NC_("count", "Could not be scanned"),
    [W_SKIPPED] = N_("Skipped (not a file)"),
    [W_SCANNER] = N_("Scanner and policy"),
    [W_ENGINE] = N_("ClamAV engine"),
    [W_DATABASE] = N_("Signature database"),
    [W_DB_AGE] = N_("Database age"),
    [W_SIGNATURES] = N_("Signatures"),
    [W_POLICY] = N_("Policy"),
    [W_DELIVERY] = N_("Delivery"),
    [W_DELIVERED_TO] = N_("Delivered to"),
    [W_MANIFEST_SHA] = N_("Manifest SHA-256"),
    [W_SIGNATURE] = N_("Signature"),
    [W_SIGNED] = N_("signed, key id"),
    [W_UNSIGNED] = N_("not signed"),
    [W_FILE] = N_("File"),
    [W_SHA] = N_("SHA-256"),
    [W_V_CLEAN] = N_("Clean (delivered)"),
    [W_V_NOT_DELIVERED] = N_("Clean, not delivered"),
    [W_V_INFECTED] = N_("Malware detected"),
    [W_V_BLOCKED] = N_("Blocked by policy"),
    [W_V_ERROR] = N_("Could not be scanned"),
    [W_V_SKIPPED] = N_("Skipped"),
    [W_V_SANITIZED] = N_("Delivered as a safe copy"),
    [W_SANITIZED] = N_("Safe copies"),
    [W_SANITIZED_HEAD] = N_("Delivered as safe copies (active content removed)"),
    [W_ORIGINAL] = N_("Original"),
    [W_HELD_BACK] = N_("Files held back"),
    [W_NONE_HELD] = N_("None: every file was delivered."),
    [W_TEST_SIGS] =
        N_("TEST SIGNATURES: scanned with the test database, not real virus signatures"),
    [W_QR] = N_("Verification code"),
    [W_AUDIT] = N_("Audit log"),
    [W_AUDIT_RECORD] = N_("record"),
    [W_KEEP] = N_("Keep this receipt."),
    [W_MORE] = N_("more: see the A4 report"),
    [W_UNKNOWN] = N_("unknown"),
    [W_ERROR_WHY] = N_("Why"),
    [W_ALL_FILES] = N_("All files"),
    [W_EDIFACT] = N_("Shipping messages (EDIFACT)"),
    [W_EDI_WARNING] = N_("Warning"),
    [W_EDI_HELD] = N_("Held back"),
    [W_MISMATCH] = N_("Session details that disagree with the files"),
    [W_HANDOFF] = N_("Hand-off"),
    [W_PUBLISHED] = N_("Passed to the terminal"),
    [W_WAITING] = N_("Checked; it will reach the terminal when the share is reachable"),
};

static const char *report_word_ctx(enum report_word w)
{
    return w == W_INFECTED || w == W_BLOCKED || w == W_ERROR ? "count" : NULL;
}

/* Word W in Japanese. */
static const char *report_ja(enum report_word w)
{
    const char *ctx = report_word_ctx(w);
    return ctx ? i18n_ctext("ja", ctx, report_words[w]) : i18n_text("ja", report_words[w]);
}

/* MSGID in the report's one language (Japanese for "both" when ONE_JA, else English). */
const char *report_tr(const struct report_ctx *c, const char *msgid, bool one_ja)
{
    bool ja = c->o->lang == REPORT_LANG_JA || (c->o->lang == REPORT_LANG_BOTH && one_ja);
    return i18n_text(ja ? "ja" : "en", msgid);
}

/* The word in the chosen language(s): "日本語 / English" for both. */
char *report_word(const struct report_ctx *c, enum report_word w)
{
    switch (c->o->lang) {
    case REPORT_LANG_JA:
        return g_strdup(report_ja(w));
    case REPORT_LANG_EN:
        return g_strdup(report_words[w]);
    default:
        return g_strdup_printf("%s / %s", report_ja(w), report_words[w]);
    }
}

/* Two lines for both languages (table cells, banners). */
char *report_word2(const struct report_ctx *c, enum report_word w)
{
    const char *ja = report_ja(w);
    if (c->o->lang == REPORT_LANG_BOTH && strcmp(report_words[w], ja) != 0)
        return g_strdup_printf("%s\n%s", ja, report_words[w]);
    return g_strdup(c->o->lang == REPORT_LANG_JA ? ja : report_words[w]);
}

/* EN or JA text of the chosen language(s); both: Japanese over English. */
char *report_pick(const struct report_ctx *c, const char *en, const char *ja)
{
    if (!ja || !*ja)
        ja = en;
    switch (c->o->lang) {
    case REPORT_LANG_JA:
        return g_strdup(ja);
    case REPORT_LANG_EN:
        return g_strdup(en);
    default:
        return strcmp(en, ja) ? g_strdup_printf("%s\n%s", ja, en) : g_strdup(en);
    }
}

/* ---- loading ----------------------------------------------------------------------- */

bool report_session_id_valid(const char *id)
{
    if (!id || !*id || id[0] == '.' || strlen(id) > 128)
        return false;
    for (const char *p = id; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
            return false;
    return true;
}

/* The newest session in the outbox (ids start with their UTC time). */
static char *report_find_last(const char *outbox)
{
    GDir *d = g_dir_open(outbox, 0, NULL);
    char *best = NULL;
    const char *name;
    if (!d)
        return NULL;
    while ((name = g_dir_read_name(d))) {
        if (!report_session_id_valid(name))
            continue;
        char *m = g_build_filename(outbox, name, MANIFEST_NAME, NULL);
        if (g_file_test(m, G_FILE_TEST_IS_REGULAR) && (!best || strcmp(name, best) > 0)) {
            g_free(best);
            best = g_strdup(name);
        }
        g_free(m);
    }
    g_dir_close(d);
    return best;
}

void report_session_free(struct report_session *s)
{
    if (!s)
        return;
    g_free(s->id);
    g_free(s->dir);
    g_free(s->manifest_path);
    g_free(s->sig_key_id);
    if (s->root)
        json_node_unref(s->root);
    g_free(s);
}

int report_session_load(const char *work_dir, const char *session, struct report_session **out,
                        char **why)
{
    struct report_session *s = g_new0(struct report_session, 1);
    JsonParser *parser = NULL;
    GError *err = NULL;
    int rc = KERR_NOT_FOUND;
    char *outbox = g_build_filename(work_dir, WORKAREA_OUTBOX, NULL);

    if (!g_strcmp0(session, "last")) {
        s->id = report_find_last(outbox);
        if (!s->id) {
            *why = g_strdup_printf("no checked session in %s", outbox);
            goto out;
        }
    } else if (!report_session_id_valid(session)) {
        *why = g_strdup_printf("'%s' is not a session id", session);
        rc = KERR_INVAL;
        goto out;
    } else {
        s->id = g_strdup(session);
    }
    s->manifest_path = g_build_filename(outbox, s->id, MANIFEST_NAME, NULL);
    if (!g_file_test(s->manifest_path, G_FILE_TEST_IS_REGULAR)) {
        *why = g_strdup_printf("no session %s in the outbox %s (no %s); a session that failed "
                               "delivered nothing and has no report, and published ones are "
                               "removed after [staging] keep-days: see the audit log",
                               s->id, outbox, MANIFEST_NAME);
        goto out;
    }
    struct outbox_entry *e = NULL;
    char *ewhy = NULL;
    if (outbox_load(work_dir, s->id, &e, &ewhy) == 0) {
        s->dir = g_strdup(e->location);
        s->published = e->state == OUTBOX_PUBLISHED;
    }
    g_free(ewhy);
    outbox_entry_free(e);
    parser = json_parser_new();
    if (!json_parser_load_from_file(parser, s->manifest_path, &err) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        *why = g_strdup_printf("%s is not a valid manifest: %s", s->manifest_path,
                               err ? err->message : "not a JSON object");
        rc = KERR_CORRUPT;
        goto out;
    }
    s->root = json_node_copy(json_parser_get_root(parser));
    s->m = json_node_get_object(s->root);
    if (g_strcmp0(json_object_get_string_member_with_default(s->m, "session", ""), s->id) != 0) {
        *why = g_strdup_printf("%s belongs to another session", s->manifest_path);
        rc = KERR_CORRUPT;
        goto out;
    }
    if (util_sha256_file(s->manifest_path, s->manifest_sha256) != 0) {
        *why = g_strdup_printf("cannot read %s: %s", s->manifest_path, g_strerror(errno));
        rc = KERR_SYSTEM;
        goto out;
    }
    char *sig = g_strconcat(s->manifest_path, SIGN_SUFFIX, NULL);
    char hex[17], *swhy = NULL;
    if (g_file_test(sig, G_FILE_TEST_EXISTS) && sign_signature_key_id(sig, hex, &swhy) == 0)
        s->sig_key_id = g_strdup(hex);
    g_free(swhy);
    g_free(sig);
    rc = 0;
out:
    g_free(outbox);
    g_clear_error(&err);
    if (parser)
        g_object_unref(parser);
    if (rc == 0) {
        *out = s;
        s = NULL; /* transferred */
    }
    report_session_free(s);
    return rc;
}

void report_session_audit(struct report_session *s, const char *audit_log)
{
    struct audit_head h;
    if (s && audit_log && audit_find_session_head(audit_log, s->id, &h) == 0) {
        s->audit_seq = h.seq;
        g_strlcpy(s->audit_hash, h.hash, sizeof(s->audit_hash));
    }
}

char *report_qr_text(const struct report_session *s)
{
    return g_strdup_printf(REPORT_QR_PREFIX " %s %s", s->id, s->manifest_sha256);
}

bool report_parse_format(const char *text, enum report_format *out)
{
    if (!g_strcmp0(text, "a4"))
        *out = REPORT_A4;
    else if (!g_strcmp0(text, "receipt"))
        *out = REPORT_RECEIPT;
    else
        return false;
    return true;
}

bool report_parse_lang(const char *text, enum report_lang *out)
{
    if (!g_strcmp0(text, "en"))
        *out = REPORT_LANG_EN;
    else if (!g_strcmp0(text, "ja"))
        *out = REPORT_LANG_JA;
    else if (!g_strcmp0(text, "both"))
        *out = REPORT_LANG_BOTH;
    else
        return false;
    return true;
}

/* ---- manifest access ------------------------------------------------------------- */

/* A detail may be a string or a number (an IMO number typed as digits). */
char *report_detail(JsonObject *details, const char *key)
{
    if (!details || !json_object_has_member(details, key))
        return NULL;
    JsonNode *n = json_object_get_member(details, key);
    if (!JSON_NODE_HOLDS_VALUE(n))
        return NULL;
    GType t = json_node_get_value_type(n);
    if (t == G_TYPE_STRING)
        return *json_node_get_string(n) ? g_strdup(json_node_get_string(n)) : NULL;
    if (t == G_TYPE_INT64)
        return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));
    return NULL;
}

/* Local time of an RFC 3339 stamp: "2026-11-22 11:15:00 (UTC+09:00)". */
char *report_time(const char *rfc3339)
{
    if (!rfc3339)
        return NULL;
    GDateTime *dt = g_date_time_new_from_iso8601(rfc3339, NULL);
    if (!dt)
        return g_strdup(rfc3339);
    GDateTime *local = g_date_time_to_local(dt);
    char *t = g_date_time_format(local, "%Y-%m-%d %H:%M:%S (UTC%:z)");
    g_date_time_unref(local);
    g_date_time_unref(dt);
    return t;
}

/* How old the database was when the session started. */
char *report_db_age(const struct report_ctx *c, JsonObject *scanner)
{
    const char *db = json_member_text(scanner, "database_time");
    const char *st = json_member_text(c->s->m, "started");
    GDateTime *a = db ? g_date_time_new_from_iso8601(db, NULL) : NULL;
    GDateTime *b = st ? g_date_time_new_from_iso8601(st, NULL) : NULL;
    char *out = NULL;
    if (a && b) {
        gint64 s = g_date_time_difference(b, a) / G_USEC_PER_SEC;
        if (s < 0)
            s = 0;
        gint64 d = s / 86400, h = (s % 86400) / 3600;
/* TRANSLATORS: the age of the virus database: days, hours. */
#define REPORT_FMT_AGE N_("%1$lld d %2$lld h")
        char *en = g_strdup_printf(REPORT_FMT_AGE, (long long)d, (long long)h);
        char *ja = g_strdup_printf(i18n_text("ja", REPORT_FMT_AGE), (long long)d, (long long)h);
        out = c->o->lang == REPORT_LANG_EN   ? g_strdup(en)
              : c->o->lang == REPORT_LANG_JA ? g_strdup(ja)
                                             : g_strdup_printf("%s / %s", ja, en);
        g_free(en);
        g_free(ja);
    }
    if (a)
        g_date_time_unref(a);
    if (b)
        g_date_time_unref(b);
    return out ? out : report_word(c, W_UNKNOWN);
}

enum report_word report_status_word(const char *status)
{
    if (!g_strcmp0(status, "delivered"))
        return W_ST_DELIVERED;
    if (!g_strcmp0(status, "partial"))
        return W_ST_PARTIAL;
    return W_ST_FAILED;
}

unsigned report_status_color(const char *status)
{
    if (!g_strcmp0(status, "delivered"))
        return 0x1b7f3b; /* green */
    if (!g_strcmp0(status, "partial"))
        return 0xb35c00; /* amber */
    return 0xb3261e;     /* red */
}

enum report_word report_verdict_word(JsonObject *f)
{
    const char *v = json_member_text(f, "verdict");
    if (!g_strcmp0(v, "clean"))
        return json_member_text(f, "staged_path") ? W_V_CLEAN : W_V_NOT_DELIVERED;
    if (!g_strcmp0(v, "infected"))
        return W_V_INFECTED;
    if (!g_strcmp0(v, "blocked"))
        return W_V_BLOCKED;
    if (!g_strcmp0(v, "skipped"))
        return W_V_SKIPPED;
    if (!g_strcmp0(v, "sanitized"))
        return json_member_text(f, "staged_path") ? W_V_SANITIZED : W_V_NOT_DELIVERED;
    return W_V_ERROR;
}

bool report_file_delivered(JsonObject *f)
{
    const char *v = json_member_text(f, "verdict");
    return (!g_strcmp0(v, "clean") || !g_strcmp0(v, "sanitized")) &&
           json_member_text(f, "staged_path");
}

/* A sanitized copy: "ORIGINAL: SHA-256 (size)" of the file on the medium, newly allocated;
 * NULL for other files. */
char *report_original(struct report_ctx *c, JsonObject *f)
{
    JsonObject *o = json_member_object(json_member_object(f, "sanitized"), "original");
    const char *sha = json_member_text(o, "sha256");
    if (!o || !sha)
        return NULL;
    char *size = util_format_bytes((uint64_t)json_member_int(o, "size", 0));
    char *w = report_word(c, W_ORIGINAL);
    char *t = g_strdup_printf("%s: SHA-256 %s (%s)", w, sha, size);
    g_free(size);
    g_free(w);
    return t;
}

/* A file's reason in the chosen language(s), built from its reason_code and
 * reason_params (common/reason.h; the policy's own reason[ja] for a rule); a manifest
 * without a code (older kiosks) keeps its English "reason".  NULL when it has none. */
char *report_reason(const struct report_ctx *c, JsonObject *f)
{
    const char *code = json_member_text(f, "reason_code");
    if (!code) {
        const char *r = json_member_text(f, "reason");
        return r ? g_strdup(r) : NULL;
    }
    char *en = reason_json_format(f, NULL, "en");
    if (c->o->lang == REPORT_LANG_EN)
        return en;
    char *ja = reason_json_format(f, i18n_translator("ja"), "ja");
    if (c->o->lang == REPORT_LANG_JA) {
        g_free(en);
        return ja;
    }
    char *both = strcmp(ja, en) ? g_strdup_printf("%s\n%s", ja, en) : g_strdup(en);
    g_free(ja);
    g_free(en);
    return both;
}

/* Files in report order: held back first, then delivered; manifest order within each. */
GPtrArray *report_files_sorted(const struct report_session *s)
{
    JsonArray *files = json_member_array(s->m, "files");
    GPtrArray *out = g_ptr_array_new();
    guint n = files ? json_array_get_length(files) : 0;
    for (int pass = 0; pass < 2; pass++)
        for (guint i = 0; i < n; i++) {
            JsonNode *fn = json_array_get_element(files, i);
            if (!JSON_NODE_HOLDS_OBJECT(fn))
                continue;
            JsonObject *f = json_node_get_object(fn);
            if (report_file_delivered(f) == (pass == 1))
                g_ptr_array_add(out, f);
        }
    return out;
}

char *report_size_text(gint64 bytes)
{
    char *h = util_format_bytes((uint64_t)bytes);
    char *t = g_strdup_printf("%s (%" G_GINT64_FORMAT " bytes)", h, bytes);
    g_free(h);
    return t;
}

/* The volumes' filesystems and labels, "vfat (KIOSKTEST), ext4". */
void report_volumes(JsonObject *source, char **fs, char **labels)
{
    JsonArray *vols = json_member_array(source, "volumes");
    GString *a = g_string_new(NULL), *b = g_string_new(NULL);
    for (guint i = 0; vols && i < json_array_get_length(vols); i++) {
        JsonNode *vn = json_array_get_element(vols, i);
        if (!JSON_NODE_HOLDS_OBJECT(vn))
            continue;
        JsonObject *v = json_node_get_object(vn);
        const char *f = json_member_text(v, "filesystem"), *l = json_member_text(v, "label");
        const char *problem = json_member_text(v, "problem");
        g_string_append_printf(a, "%s%s%s%s%s", a->len ? ", " : "", f ? f : "?",
                               problem ? " (" : "", problem ? problem : "", problem ? ")" : "");
        if (l)
            g_string_append_printf(b, "%s%s", b->len ? ", " : "", l);
    }
    *fs = a->len ? g_string_free(a, FALSE) : (g_string_free(a, TRUE), NULL);
    *labels = b->len ? g_string_free(b, FALSE) : (g_string_free(b, TRUE), NULL);
}

/* ---- rendering ------------------------------------------------------------------- */

static cairo_status_t report_discard(void *closure, const unsigned char *data, unsigned int len)
{
    (void)closure;
    (void)data;
    (void)len;
    return CAIRO_STATUS_SUCCESS;
}

static void report_ctx_open(struct report_ctx *c, cairo_surface_t *surface)
{
    c->surface = surface;
    c->cr = cairo_create(surface);
    c->layout = pango_cairo_create_layout(c->cr);
    /* One layout unit = one point. */
    pango_cairo_context_set_resolution(pango_layout_get_context(c->layout), 72.0);
    pango_layout_context_changed(c->layout);
}

static void report_ctx_close(struct report_ctx *c)
{
    if (c->layout)
        g_object_unref(c->layout);
    if (c->cr)
        cairo_destroy(c->cr);
    if (c->surface) {
        cairo_surface_finish(c->surface);
        cairo_surface_destroy(c->surface);
    }
    c->layout = NULL;
    c->cr = NULL;
    c->surface = NULL;
}

int report_render(const struct report_session *s, const struct report_options *o,
                  const char *pdf_path, char **why)
{
    struct report_options eff = *o;
    const char *slang = json_member_text(s->m, "language");
    if (o->follow_session && slang && strcmp(slang, "both") != 0)
        report_parse_lang(slang, &eff.lang); /* unchanged when it is not en/ja */
    o = &eff;
    struct report_ctx c = {.s = s, .o = o};
    char *tmp = g_strdup_printf("%s.tmp-%d", pdf_path, (int)getpid());
    int rc = KERR_SYSTEM;
    cairo_status_t st;

    if (o->format == REPORT_A4) {
        c.page_w = A4_W;
        c.page_h = A4_H;
        c.margin = 15 * MM;
        c.bottom = c.page_h - c.margin - 10;
        /* Pass 1 counts the pages, pass 2 draws them with "Page n of N". */
        c.pages_total = 0;
        report_ctx_open(
            &c, cairo_pdf_surface_create_for_stream(report_discard, NULL, c.page_w, c.page_h));
        report_a4_draw(&c, false);
        int pages = c.page;
        report_ctx_close(&c);
        c.pages_total = pages;
        report_ctx_open(&c, cairo_pdf_surface_create(tmp, c.page_w, c.page_h));
        report_a4_draw(&c, true);
    } else {
        c.page_w = RECEIPT_W;
        c.margin = 4 * MM;
        c.page_h = 5000;
        report_ctx_open(
            &c, cairo_pdf_surface_create_for_stream(report_discard, NULL, c.page_w, c.page_h));
        double h = report_receipt_draw(&c, false);
        report_ctx_close(&c);
        c.page_h = ceil(h);
        report_ctx_open(&c, cairo_pdf_surface_create(tmp, c.page_w, c.page_h));
        report_receipt_draw(&c, true);
    }
    char *title =
        g_strdup_printf("%s %s", o->format == REPORT_A4 ? "Scan report" : "Scan receipt", s->id);
    cairo_pdf_surface_set_metadata(c.surface, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata(c.surface, CAIRO_PDF_METADATA_CREATOR, "kiosk");
    g_free(title);
    cairo_show_page(c.cr);
    st = cairo_status(c.cr);
    cairo_surface_finish(c.surface);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(c.surface);
    report_ctx_close(&c);
    if (st != CAIRO_STATUS_SUCCESS) {
        *why = g_strdup_printf("cannot write the report %s: %s", tmp, cairo_status_to_string(st));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, pdf_path) != 0) {
        *why = g_strdup_printf("cannot write the report %s: %s", pdf_path, g_strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    g_free(tmp);
    return rc;
}

/* ---- saving and printing ------------------------------------------------------------ */

char *report_save_dir(const struct kiosk_config *cfg)
{
    if (cfg->report_dir && *cfg->report_dir)
        return g_strdup(cfg->report_dir);
    return g_build_filename(cfg->work_dir, WORKAREA_REPORTS, NULL);
}

static const char *report_lang_str(enum report_lang l)
{
    return l == REPORT_LANG_EN ? "en" : l == REPORT_LANG_JA ? "ja" : "both";
}

static void report_audit(const struct kiosk_config *cfg, const char *type, const char *session,
                         const char *printer, int job, const char *saved, const char *error)
{
    struct audit *a = NULL;
    if (audit_open(cfg->audit_log, &a) != 0) {
        g_printerr("kiosk: the audit log %s cannot be opened; the %s event is not recorded\n",
                   cfg->audit_log, type);
        return;
    }
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "session", session);
    json_object_set_string_member(o, "printer", printer && *printer ? printer : "(default)");
    if (job > 0)
        json_object_set_int_member(o, "job", job);
    if (saved)
        json_object_set_string_member(o, "report", saved);
    if (error)
        json_object_set_string_member(o, "error", error);
    if (audit_append(a, type, o) != 0 || audit_sync(a) != 0)
        g_printerr("kiosk: the audit log %s could not record the %s event\n", cfg->audit_log, type);
    json_object_unref(o);
    audit_close(a);
}

int report_print_session(const struct kiosk_config *cfg, const char *session,
                         const struct report_options *o, const char *printer, int timeout_s,
                         char **saved, char **why)
{
    struct report_session *s = NULL;
    struct printer_job job = {0};
    char *dir = report_save_dir(cfg), *path = NULL;
    const char *queue = printer ? printer : cfg->printer;
    int rc = report_session_load(cfg->work_dir, session, &s, why);
    if (rc != 0) {
        report_audit(cfg, "print-failed", session, queue, 0, NULL, *why);
        goto out;
    }
    report_session_audit(s, cfg->audit_log);
    if (util_mkdir_p(dir, 0750) != 0) {
        *why = g_strdup_printf("cannot create the report folder %s: %s", dir, g_strerror(errno));
        rc = KERR_SYSTEM;
        report_audit(cfg, "print-failed", s->id, queue, 0, NULL, *why);
        goto out;
    }
    char *name = g_strdup_printf("%s-%s-%s.pdf", s->id, o->format == REPORT_A4 ? "a4" : "receipt",
                                 report_lang_str(o->lang));
    path = g_build_filename(dir, name, NULL);
    g_free(name);
    rc = report_render(s, o, path, why);
    if (rc != 0) {
        report_audit(cfg, "print-failed", s->id, queue, 0, NULL, *why);
        g_clear_pointer(&path, g_free);
        goto out;
    }
    char *title =
        g_strdup_printf("kiosk %s %s", o->format == REPORT_A4 ? "report" : "receipt", s->id);
    rc = printer_print(queue, path, title, timeout_s, &job, why);
    g_free(title);
    report_audit(cfg, rc == 0 ? "print" : "print-failed", s->id, job.printer ? job.printer : queue,
                 job.job_id, path, rc == 0 ? NULL : *why);
out:
    if (saved && path)
        *saved = g_strdup(path);
    printer_job_clear(&job);
    report_session_free(s);
    g_free(path);
    g_free(dir);
    return rc;
}

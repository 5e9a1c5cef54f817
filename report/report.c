/* report.c - A4 scan report and 80 mm receipt (cairo PDF, pango text, libqrencode). */
#include "report/report.h"
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
#include "scanner/edifact.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <qrencode.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define REPORT_FONT "Noto Sans CJK JP"
#define REPORT_MONO "Noto Sans Mono CJK JP"
#define MM (72.0 / 25.4)

/* ---- words (CONTEXT.md's table where it has them) -------------------------------- */

enum report_word {
    W_TITLE, W_RECEIPT, W_SESSION, W_KIOSK, W_SITE, W_STARTED, W_FINISHED, W_RESULT,
    W_ST_DELIVERED, W_ST_PARTIAL, W_ST_FAILED, W_DETAILS, W_VESSEL, W_IMO, W_VOYAGE,
    W_COMPANY, W_PERSON, W_DEVICE, W_SOURCE, W_VENDOR, W_MODEL, W_SERIAL, W_SIZE, W_FS,
    W_LABEL, W_COUNTS, W_FILES, W_DELIVERED, W_INFECTED, W_BLOCKED, W_ERROR, W_SKIPPED,
    W_SCANNER, W_ENGINE, W_DATABASE, W_DB_AGE, W_SIGNATURES, W_POLICY, W_DELIVERY,
    W_DELIVERED_TO, W_MANIFEST_SHA, W_SIGNATURE, W_SIGNED, W_UNSIGNED, W_FILE, W_SHA,
    W_V_CLEAN, W_V_NOT_DELIVERED, W_V_INFECTED, W_V_BLOCKED, W_V_ERROR, W_V_SKIPPED,
    W_HELD_BACK, W_NONE_HELD, W_TEST_SIGS, W_QR, W_KEEP, W_MORE, W_UNKNOWN,
    W_ERROR_WHY, W_ALL_FILES, W_HANDOFF, W_PUBLISHED, W_WAITING, W_AUDIT,
    W_AUDIT_RECORD, W_V_SANITIZED, W_SANITIZED, W_SANITIZED_HEAD, W_ORIGINAL, W_EDIFACT,
    W_EDI_WARNING, W_EDI_HELD, W_MISMATCH, W_N,
};

/* The English msgids; the other languages come from the catalogue (po/, i18n.h).  The
 * labels of the counts have their own context: they must fit a narrow cell, where the
 * screen's "ウイルスを検出しました" would wrap. */
#define NC_(ctx, s) (s)
static const char *const report_words[W_N] = {
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
static char *report_detail(JsonObject *details, const char *key)
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

/* ---- drawing context ------------------------------------------------------------- */

struct report_ctx {
    const struct report_session *s;
    const struct report_options *o;
    cairo_surface_t *surface;
    cairo_t *cr;
    PangoLayout *layout;
    double page_w, page_h, margin, top, bottom;
    double y;
    int page, pages_total;
    bool in_table;
    double *cols; /* table column x offsets (A4), 7 entries */
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
static const char *report_tr(const struct report_ctx *c, const char *msgid, bool one_ja)
    __attribute__((format_arg(2)));
static const char *report_tr(const struct report_ctx *c, const char *msgid, bool one_ja)
{
    bool ja = c->o->lang == REPORT_LANG_JA || (c->o->lang == REPORT_LANG_BOTH && one_ja);
    return i18n_text(ja ? "ja" : "en", msgid);
}

/* The word in the chosen language(s): "日本語 / English" for both. */
static char *report_word(const struct report_ctx *c, enum report_word w)
{
    switch (c->o->lang) {
    case REPORT_LANG_JA: return g_strdup(report_ja(w));
    case REPORT_LANG_EN: return g_strdup(report_words[w]);
    default: return g_strdup_printf("%s / %s", report_ja(w), report_words[w]);
    }
}

/* Two lines for both languages (table cells, banners). */
static char *report_word2(const struct report_ctx *c, enum report_word w)
{
    const char *ja = report_ja(w);
    if (c->o->lang == REPORT_LANG_BOTH && strcmp(report_words[w], ja) != 0)
        return g_strdup_printf("%s\n%s", ja, report_words[w]);
    return g_strdup(c->o->lang == REPORT_LANG_JA ? ja : report_words[w]);
}

enum report_style { RS_NORMAL = 0, RS_BOLD = 1, RS_MONO = 2 };

/* Lay out TEXT at size PT in WIDTH (wrapped); draw it at (X, Y) unless DRAW is false.
 * Returns its height. */
static double report_text(struct report_ctx *c, double x, double y, double width,
                          const char *text, double pt, int style, PangoAlignment align,
                          bool draw)
{
    PangoFontDescription *fd =
        pango_font_description_from_string((style & RS_MONO) ? REPORT_MONO : REPORT_FONT);
    pango_font_description_set_size(fd, (gint)(pt * PANGO_SCALE));
    pango_font_description_set_weight(fd, (style & RS_BOLD) ? PANGO_WEIGHT_BOLD
                                                            : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(c->layout, fd);
    pango_font_description_free(fd);
    pango_layout_set_width(c->layout, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(c->layout, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_alignment(c->layout, align);
    pango_layout_set_text(c->layout, text ? text : "", -1);
    int w, h;
    pango_layout_get_size(c->layout, &w, &h);
    if (draw) {
        cairo_move_to(c->cr, x, y);
        pango_cairo_show_layout(c->cr, c->layout);
    }
    return (double)h / PANGO_SCALE;
}

static void report_rgb(struct report_ctx *c, unsigned rgb)
{
    cairo_set_source_rgb(c->cr, ((rgb >> 16) & 255) / 255.0, ((rgb >> 8) & 255) / 255.0,
                         (rgb & 255) / 255.0);
}

static void report_hline(struct report_ctx *c, double y, double width_pt, unsigned rgb)
{
    report_rgb(c, rgb);
    cairo_set_line_width(c->cr, width_pt);
    cairo_move_to(c->cr, c->margin, y);
    cairo_line_to(c->cr, c->page_w - c->margin, y);
    cairo_stroke(c->cr);
    report_rgb(c, 0);
}

/* Draw the QR code of the session at (X, Y), SIZE points square including the quiet
 * zone.  Returns 0 or KERR_NOMEM. */
static int report_qr(struct report_ctx *c, double x, double y, double size)
{
    char *text = report_qr_text(c->s);
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    g_free(text);
    if (!qr)
        return KERR_NOMEM;
    int quiet = 4, n = qr->width + 2 * quiet;
    double m = size / n;
    cairo_set_source_rgb(c->cr, 1, 1, 1);
    cairo_rectangle(c->cr, x, y, size, size);
    cairo_fill(c->cr);
    cairo_set_source_rgb(c->cr, 0, 0, 0);
    for (int j = 0; j < qr->width; j++)
        for (int i = 0; i < qr->width; i++)
            if (qr->data[j * qr->width + i] & 1)
                cairo_rectangle(c->cr, x + (i + quiet) * m, y + (j + quiet) * m, m, m);
    cairo_fill(c->cr);
    QRcode_free(qr);
    return 0;
}

/* Local time of an RFC 3339 stamp: "2026-11-22 11:15:00 (UTC+09:00)". */
static char *report_time(const char *rfc3339)
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
static char *report_db_age(const struct report_ctx *c, JsonObject *scanner)
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

static enum report_word report_status_word(const char *status)
{
    if (!g_strcmp0(status, "delivered"))
        return W_ST_DELIVERED;
    if (!g_strcmp0(status, "partial"))
        return W_ST_PARTIAL;
    return W_ST_FAILED;
}

static unsigned report_status_color(const char *status)
{
    if (!g_strcmp0(status, "delivered"))
        return 0x1b7f3b; /* green */
    if (!g_strcmp0(status, "partial"))
        return 0xb35c00; /* amber */
    return 0xb3261e;     /* red */
}

static enum report_word report_verdict_word(JsonObject *f)
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

static bool report_file_delivered(JsonObject *f)
{
    const char *v = json_member_text(f, "verdict");
    return (!g_strcmp0(v, "clean") || !g_strcmp0(v, "sanitized")) &&
           json_member_text(f, "staged_path");
}

/* A sanitized copy: "ORIGINAL: SHA-256 (size)" of the file on the medium, newly allocated;
 * NULL for other files. */
static char *report_original(struct report_ctx *c, JsonObject *f)
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
static char *report_reason(const struct report_ctx *c, JsonObject *f)
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
static GPtrArray *report_files_sorted(const struct report_session *s)
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

/* ---- key/value rows -------------------------------------------------------------- */

/* One "label  value" row in a column at X of WIDTH; returns the new y. */
static double report_kv(struct report_ctx *c, double x, double y, double width, double label_w,
                        const char *label, const char *value, double pt, int vstyle, bool draw)
{
    report_rgb(c, 0x555555);
    double h1 = report_text(c, x, y, label_w - 4, label, pt, RS_NORMAL, PANGO_ALIGN_LEFT, draw);
    report_rgb(c, 0);
    double h2 = report_text(c, x + label_w, y, width - label_w, value ? value : "–", pt, vstyle,
                            PANGO_ALIGN_LEFT, draw);
    return y + MAX(h1, h2) + 2;
}

static double report_heading(struct report_ctx *c, double x, double y, double width,
                             enum report_word w, double pt, bool draw)
{
    char *t = report_word(c, w);
    double h = report_text(c, x, y, width, t, pt, RS_BOLD, PANGO_ALIGN_LEFT, draw);
    g_free(t);
    if (draw) {
        report_rgb(c, 0x999999);
        cairo_set_line_width(c->cr, 0.5);
        cairo_move_to(c->cr, x, y + h + 1);
        cairo_line_to(c->cr, x + width, y + h + 1);
        cairo_stroke(c->cr);
        report_rgb(c, 0);
    }
    return y + h + 4;
}

/* Rows of label/value pairs (value NULL = "–").  PAIRS is NULL-label terminated. */
struct report_row {
    enum report_word label;
    char *value;
    int style;
};

static double report_rows(struct report_ctx *c, double x, double y, double width, double label_w,
                          struct report_row *rows, size_t n, double pt, bool draw)
{
    for (size_t i = 0; i < n; i++) {
        char *l = report_word(c, rows[i].label);
        y = report_kv(c, x, y, width, label_w, l, rows[i].value, pt, rows[i].style, draw);
        g_free(l);
    }
    return y;
}

static void report_rows_free(struct report_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        g_free(rows[i].value);
}

static char *report_size_text(gint64 bytes)
{
    char *h = util_format_bytes((uint64_t)bytes);
    char *t = g_strdup_printf("%s (%" G_GINT64_FORMAT " bytes)", h, bytes);
    g_free(h);
    return t;
}

/* ---- EDIFACT (docs/edifact.md) ----------------------------------------------------- */

static void a4_new_page(struct report_ctx *c, bool draw);

/* EDIFACT files (and mismatches) on a receipt; the rest: see the A4 report. */
#define RECEIPT_MAX_EDIFACT 20

/* EN or JA text of the chosen language(s); both: Japanese over English. */
static char *report_pick(const struct report_ctx *c, const char *en, const char *ja)
{
    if (!ja || !*ja)
        ja = en;
    switch (c->o->lang) {
    case REPORT_LANG_JA: return g_strdup(ja);
    case REPORT_LANG_EN: return g_strdup(en);
    default: return strcmp(en, ja) ? g_strdup_printf("%s\n%s", ja, en) : g_strdup(en);
    }
}

/* The headline of a file's "edifact" object in the chosen language(s), worded by
 * scanner/edifact.c from the facts the manifest keeps. */
static char *report_edifact_headline(const struct report_ctx *c, JsonObject *e)
{
    struct edifact_summary *s = g_new0(struct edifact_summary, 1);
    JsonArray *msgs = json_member_array(e, "messages");
    JsonNode *mn = msgs && json_array_get_length(msgs) ? json_array_get_element(msgs, 0) : NULL;
    JsonObject *m = mn && JSON_NODE_HOLDS_OBJECT(mn) ? json_node_get_object(mn) : NULL;
    s->status =
        g_strcmp0(json_member_text(e, "status"), "ok") == 0 ? EDIFACT_OK : EDIFACT_MALFORMED;
    s->containers = (uint64_t)MAX(json_member_int(e, "containers", 0), 0);
    s->n_messages =
        (uint32_t)CLAMP(json_member_int(e, "message_count", 0), 0, EDIFACT_MESSAGES_MAX);
    if (m) {
        s->n_summaries = 1;
        g_strlcpy(s->msg[0].type, json_member_text(m, "type") ? json_member_text(m, "type") : "",
                  sizeof(s->msg[0].type));
        g_strlcpy(s->msg[0].vessel,
                  json_member_text(m, "vessel") ? json_member_text(m, "vessel") : "",
                  sizeof(s->msg[0].vessel));
        g_strlcpy(s->msg[0].voyage,
                  json_member_text(m, "voyage") ? json_member_text(m, "voyage") : "",
                  sizeof(s->msg[0].voyage));
    }
    char en[512], ja[512];
    edifact_headline(s, EDIFACT_EN, en, sizeof(en));
    edifact_headline(s, EDIFACT_JA, ja, sizeof(ja));
    g_free(s);
    return report_pick(c, en, ja);
}

/* One text block at c->y; on A4 a new page first when it does not fit. */
static void report_block(struct report_ctx *c, bool a4, double x, double width, const char *text,
                         double pt, int style, unsigned rgb, bool draw)
{
    double h = report_text(c, x, c->y, width, text, pt, style, PANGO_ALIGN_LEFT, false);
    if (a4 && c->y + h > c->bottom)
        a4_new_page(c, draw);
    report_rgb(c, rgb);
    c->y += report_text(c, x, c->y, width, text, pt, style, PANGO_ALIGN_LEFT, draw) + 1;
    report_rgb(c, 0);
}

/* Every EDIFACT file (what it is, its problem), then the session details that disagree
 * with a bay plan.  Nothing when the session had neither. */
static void report_edifact(struct report_ctx *c, bool a4, double x, double width, double pt,
                           bool draw)
{
    JsonArray *files = json_member_array(c->s->m, "files");
    JsonArray *mm = json_member_array(c->s->m, "edifact_mismatch");
    bool heading = false;
    guint shown = 0, more = 0;
    for (guint i = 0; files && i < json_array_get_length(files); i++) {
        JsonNode *fn = json_array_get_element(files, i);
        JsonObject *f = JSON_NODE_HOLDS_OBJECT(fn) ? json_node_get_object(fn) : NULL;
        JsonObject *e = json_member_object(f, "edifact");
        if (!e)
            continue;
        if (!a4 && shown >= RECEIPT_MAX_EDIFACT) { /* the A4 report lists them all */
            more++;
            continue;
        }
        shown++;
        if (!heading) {
            if (a4 && c->y + 40 > c->bottom)
                a4_new_page(c, draw);
            c->y = report_heading(c, x, c->y, width, W_EDIFACT, pt + 1.5, draw);
            heading = true;
        }
        char *head = report_edifact_headline(c, e);
        report_block(c, a4, x, width, head, pt, RS_BOLD, 0, draw);
        g_free(head);
        const char *path = json_member_text(f, "path");
        report_block(c, a4, x + 8, width - 8, path ? path : "?", pt - 0.5, RS_NORMAL, 0x555555,
                     draw);
        JsonObject *pr = json_member_object(e, "problem");
        if (pr && json_member_text(pr, "text")) {
            bool delivered = report_file_delivered(f);
            char *label = report_word(c, delivered ? W_EDI_WARNING : W_EDI_HELD);
            char *why =
                report_pick(c, json_member_text(pr, "text"), json_member_text(pr, "text_ja"));
            char *line = g_strdup_printf("%s: %s", label, why);
            report_block(c, a4, x + 8, width - 8, line, pt - 0.5, RS_BOLD,
                         delivered ? 0xb35c00 : 0xb3261e, draw);
            g_free(label);
            g_free(why);
            g_free(line);
        }
        c->y += 2;
    }
    if (more) {
        char *t = g_strdup_printf("+ %u %s", more, report_tr(c, report_words[W_MORE], false));
        report_block(c, a4, x, width, t, pt - 0.5, RS_NORMAL, 0, draw);
        g_free(t);
    }
    for (guint i = 0; mm && i < json_array_get_length(mm) && (a4 || i < RECEIPT_MAX_EDIFACT); i++) {
        JsonNode *n = json_array_get_element(mm, i);
        JsonObject *o = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
        if (!o || !json_member_text(o, "text"))
            continue;
        if (i == 0) {
            char *t = report_word(c, W_MISMATCH);
            c->y += 2;
            report_block(c, a4, x, width, t, pt + 0.5, RS_BOLD, 0xb3261e, draw);
            g_free(t);
        }
        char *text = report_pick(c, json_member_text(o, "text"), json_member_text(o, "text_ja"));
        const char *path = json_member_text(o, "path");
        char *line = g_strdup_printf("%s\n(%s)", text, path ? path : "?");
        report_block(c, a4, x + 8, width - 8, line, pt, RS_BOLD, 0xb3261e, draw);
        g_free(text);
        g_free(line);
    }
    guint nmm = mm ? json_array_get_length(mm) : 0;
    if (!a4 && nmm > RECEIPT_MAX_EDIFACT) {
        char *t = g_strdup_printf("+ %u %s", nmm - RECEIPT_MAX_EDIFACT,
                                  report_tr(c, report_words[W_MORE], false));
        report_block(c, a4, x + 8, width - 8, t, pt - 0.5, RS_NORMAL, 0, draw);
        g_free(t);
    }
    if (heading || nmm)
        c->y += 6;
}

/* ---- A4 ------------------------------------------------------------------------- */

#define A4_W 595.276
#define A4_H 841.890
#define A4_PT 8.0

static void a4_table_header(struct report_ctx *c, bool draw);

static void a4_page_begin(struct report_ctx *c, bool draw)
{
    const struct report_options *o = c->o;
    c->page++;
    double y = c->margin;
    char *title = report_word(c, W_TITLE);
    char *left = g_strdup_printf("%s%s%s", o->kiosk_name ? o->kiosk_name : "",
                                 o->site && *o->site ? " — " : "", o->site ? o->site : "");
#define REPORT_FMT_PAGE N_("Page %1$d of %2$d")
    char *page = g_strdup_printf(report_tr(c, REPORT_FMT_PAGE, true), c->page, c->pages_total);
    if (c->o->lang == REPORT_LANG_BOTH) {
        char *en = g_strdup_printf(REPORT_FMT_PAGE, c->page, c->pages_total);
        char *both = g_strdup_printf("%s  (%s)", page, en);
        g_free(page);
        g_free(en);
        page = both;
    }
    double w = c->page_w - 2 * c->margin;
    report_rgb(c, 0x555555);
    report_text(c, c->margin, y, w * 0.6, left, 8, RS_NORMAL, PANGO_ALIGN_LEFT, draw);
    report_text(c, c->margin + w * 0.4, y, w * 0.6, page, 8, RS_NORMAL, PANGO_ALIGN_RIGHT, draw);
    report_rgb(c, 0);
    y += 13;
    y += report_text(c, c->margin, y, w, title, 15, RS_BOLD, PANGO_ALIGN_LEFT, draw);
    char *sw = report_word(c, W_SESSION);
    char *sess = g_strdup_printf("%s: %s", sw, c->s->id);
    g_free(sw);
    y += report_text(c, c->margin, y, w, sess, 9, RS_NORMAL, PANGO_ALIGN_LEFT, draw);
    if (draw)
        report_hline(c, y + 3, 1.0, 0x333333);
    c->y = y + 8;
    if (json_object_get_boolean_member_with_default(c->s->m, "test_signatures", FALSE)) {
        char *t = report_word(c, W_TEST_SIGS);
        report_rgb(c, 0xb3261e);
        c->y += report_text(c, c->margin, c->y, w, t, 8, RS_BOLD, PANGO_ALIGN_LEFT, draw) + 4;
        report_rgb(c, 0);
        g_free(t);
    }
    /* Footer */
    char *mw = report_word(c, W_MANIFEST_SHA);
    char *foot = g_strdup_printf("%s  ·  %s %s", c->s->id, mw, c->s->manifest_sha256);
    g_free(mw);
    report_rgb(c, 0x777777);
    report_text(c, c->margin, c->bottom + 8, w, foot, 6.5, RS_MONO, PANGO_ALIGN_LEFT, draw);
    report_rgb(c, 0);
    if (draw)
        report_hline(c, c->bottom + 4, 0.5, 0x999999);
    g_free(foot);
    g_free(sess);
    g_free(title);
    g_free(left);
    g_free(page);
    if (c->in_table)
        a4_table_header(c, draw);
}

static void a4_new_page(struct report_ctx *c, bool draw)
{
    cairo_show_page(c->cr);
    a4_page_begin(c, draw);
}

/* Column x positions: #, file, size, sha, result, reason, end. */
static void a4_columns(struct report_ctx *c, double cols[7])
{
    double x = c->margin, w = c->page_w - 2 * c->margin;
    static const double frac[6] = {0.045, 0.33, 0.08, 0.125, 0.19, 0.23};
    for (int i = 0; i < 6; i++) {
        cols[i] = x;
        x += frac[i] * w;
    }
    cols[6] = c->page_w - c->margin;
}

static void a4_table_header(struct report_ctx *c, bool draw)
{
    enum report_word heads[6] = {W_N, W_FILE, W_SIZE, W_SHA, W_RESULT, W_ERROR_WHY};
    double h = 0;
    for (int i = 0; i < 6; i++) {
        char *t = heads[i] == W_N ? g_strdup("#") : report_word2(c, heads[i]);
        double hh = report_text(c, c->cols[i] + 2, c->y + 2, c->cols[i + 1] - c->cols[i] - 4, t,
                                7, RS_BOLD, i == 0 || i == 2 ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT,
                                false);
        h = MAX(h, hh);
        g_free(t);
    }
    if (draw) {
        cairo_set_source_rgb(c->cr, 0.90, 0.92, 0.95);
        cairo_rectangle(c->cr, c->margin, c->y, c->page_w - 2 * c->margin, h + 4);
        cairo_fill(c->cr);
        report_rgb(c, 0);
        for (int i = 0; i < 6; i++) {
            char *t = heads[i] == W_N ? g_strdup("#") : report_word2(c, heads[i]);
            report_text(c, c->cols[i] + 2, c->y + 2, c->cols[i + 1] - c->cols[i] - 4, t, 7,
                        RS_BOLD, i == 0 || i == 2 ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT, true);
            g_free(t);
        }
    }
    c->y += h + 6;
}

/* One file row; starts a new page (with the table header) when it does not fit. */
static void a4_file_row(struct report_ctx *c, guint index, JsonObject *f, bool draw)
{
    char num[16];
    snprintf(num, sizeof(num), "%u", index);
    const char *path = json_member_text(f, "path");
    char *size = util_format_bytes((uint64_t)json_member_int(f, "size", 0));
    const char *sha = json_member_text(f, "sha256");
    char shortsha[13] = "–";
    if (sha)
        g_strlcpy(shortsha, sha, sizeof(shortsha));
    enum report_word vw = report_verdict_word(f);
    char *verdict = report_word2(c, vw);
    char *reason = report_reason(c, f);
    const char *staged = json_member_text(f, "staged_path");
    char *reason_text = NULL, *original = report_original(c, f);
    if (original) /* what was removed, and the original's hash and size */
        reason_text = g_strdup_printf("%s\n%s", reason ? reason : "", original);
    else if (staged && g_strcmp0(staged, path) != 0)
        reason_text = g_strdup_printf("→ %s", staged); /* renamed for Windows-safe names */
    else
        reason_text = g_strdup(reason ? reason : "");
    g_free(original);
    g_free(reason);
    const char *cells[6] = {num, path ? path : "?", size, shortsha, verdict, reason_text};
    int styles[6] = {RS_NORMAL, RS_NORMAL, RS_NORMAL, RS_MONO, vw == W_V_CLEAN || vw == W_V_SANITIZED ? RS_NORMAL : RS_BOLD,
                     RS_NORMAL};
    double h = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            if (c->y + h > c->bottom)
                a4_new_page(c, draw);
            if (!draw)
                break;
            if (vw != W_V_CLEAN && vw != W_V_SANITIZED) {
                cairo_set_source_rgb(c->cr, 1.0, 0.95, 0.93);
                cairo_rectangle(c->cr, c->margin, c->y - 1, c->page_w - 2 * c->margin, h + 2);
                cairo_fill(c->cr);
            }
        }
        for (int i = 0; i < 6; i++) {
            if (pass == 1)
                report_rgb(c, i == 4 && vw != W_V_CLEAN && vw != W_V_SANITIZED ? 0xb3261e : 0);
            double hh = report_text(c, c->cols[i] + 2, c->y, c->cols[i + 1] - c->cols[i] - 4,
                                    cells[i], A4_PT, styles[i],
                                    i == 0 || i == 2 ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT,
                                    pass == 1);
            h = MAX(h, hh);
        }
        report_rgb(c, 0);
    }
    if (draw) {
        cairo_set_source_rgb(c->cr, 0.85, 0.85, 0.85);
        cairo_set_line_width(c->cr, 0.3);
        cairo_move_to(c->cr, c->margin, c->y + h + 1.5);
        cairo_line_to(c->cr, c->page_w - c->margin, c->y + h + 1.5);
        cairo_stroke(c->cr);
        report_rgb(c, 0);
    }
    c->y += h + 3;
    g_free(size);
    g_free(verdict);
    g_free(reason_text);
}

/* The result banner: status in big letters and "N of M files delivered". */
static double report_banner(struct report_ctx *c, double x, double y, double width, double pt,
                            bool draw)
{
    JsonObject *counts = json_member_object(c->s->m, "counts");
    const char *status = json_member_text(c->s->m, "status");
    char *st = report_word2(c, report_status_word(status));
    gint64 files = json_member_int(counts, "files", 0),
           delivered = json_member_int(counts, "delivered", 0);
    char *line = NULL;
/* TRANSLATORS: the result banner: files delivered, files checked. */
#define REPORT_FMT_DELIVERED N_("%1$lld of %2$lld files delivered")
    char *en = g_strdup_printf(REPORT_FMT_DELIVERED, (long long)delivered, (long long)files);
    char *ja = g_strdup_printf(i18n_text("ja", REPORT_FMT_DELIVERED), (long long)delivered,
                               (long long)files);
    line = c->o->lang == REPORT_LANG_EN   ? g_strdup(en)
           : c->o->lang == REPORT_LANG_JA ? g_strdup(ja)
                                          : g_strdup_printf("%s / %s", ja, en);
    double pad = 6;
    double h1 = report_text(c, x + pad, y + pad, width - 2 * pad, st, pt, RS_BOLD,
                            PANGO_ALIGN_LEFT, false);
    double h2 = report_text(c, x + pad, y + pad + h1, width - 2 * pad, line, pt * 0.62,
                            RS_NORMAL, PANGO_ALIGN_LEFT, false);
    double h = h1 + h2 + 2 * pad;
    if (draw) {
        report_rgb(c, report_status_color(status));
        cairo_rectangle(c->cr, x, y, width, h);
        cairo_fill(c->cr);
        cairo_set_source_rgb(c->cr, 1, 1, 1);
        report_text(c, x + pad, y + pad, width - 2 * pad, st, pt, RS_BOLD, PANGO_ALIGN_LEFT, true);
        report_text(c, x + pad, y + pad + h1, width - 2 * pad, line, pt * 0.62, RS_NORMAL,
                    PANGO_ALIGN_LEFT, true);
        report_rgb(c, 0);
    }
    g_free(st);
    g_free(en);
    g_free(ja);
    g_free(line);
    return y + h;
}

/* The volumes' filesystems and labels, "vfat (KIOSKTEST), ext4". */
static void report_volumes(JsonObject *source, char **fs, char **labels)
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

/* The counts as a band of six cells: label over a big number. */
static double report_counts_band(struct report_ctx *c, double x, double y, double width,
                                 JsonObject *counts, bool draw)
{
    static const struct {
        enum report_word w;
        const char *key;
    } cells[] = {
        {W_FILES, "files"},     {W_DELIVERED, "delivered"}, {W_INFECTED, "infected"},
        {W_BLOCKED, "blocked"}, {W_ERROR, "error"},         {W_SKIPPED, "skipped"},
        {W_SANITIZED, "sanitized"},
    };
    double cw = width / G_N_ELEMENTS(cells), h = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && draw) {
            cairo_set_source_rgb(c->cr, 0.95, 0.95, 0.95);
            cairo_rectangle(c->cr, x, y, width, h);
            cairo_fill(c->cr);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(cells); i++) {
            gint64 n = json_member_int(counts, cells[i].key, 0);
            char *l = report_word2(c, cells[i].w);
            char *num = g_strdup_printf("%" G_GINT64_FORMAT, n);
            bool bad = i >= 2 && i <= 4 && n > 0;
            bool d = pass == 1 && draw;
            report_rgb(c, 0x444444);
            double hl = report_text(c, x + i * cw + 4, y + 4, cw - 8, l, 7, RS_NORMAL,
                                    PANGO_ALIGN_CENTER, d);
            report_rgb(c, bad ? 0xb3261e : 0);
            double hn = report_text(c, x + i * cw + 4, y + 4 + (pass ? h - 8 - 18 : hl), cw - 8,
                                    num, 14, RS_BOLD, PANGO_ALIGN_CENTER, d);
            report_rgb(c, 0);
            if (pass == 0)
                h = MAX(h, hl + hn + 8);
            g_free(l);
            g_free(num);
        }
    }
    return y + h;
}

static void a4_draw(struct report_ctx *c, bool draw)
{
    JsonObject *m = c->s->m, *details = json_member_object(m, "details"),
               *src = json_member_object(m, "source"), *scanner = json_member_object(m, "scanner"),
               *policy = json_member_object(m, "policy"), *counts = json_member_object(m, "counts");
    double w = c->page_w - 2 * c->margin, x = c->margin;
    double cols[7];
    a4_columns(c, cols);
    c->cols = cols;
    c->page = 0;
    c->in_table = false;
    a4_page_begin(c, draw);

    /* Banner on the left, QR code on the right. */
    double qr = 96;
    double y0 = c->y;
    double yb = report_banner(c, x, y0, w - qr - 12, 17, draw);
    if (draw)
        report_qr(c, c->page_w - c->margin - qr, y0, qr);
    char *qrcap = report_word(c, W_QR);
    double yq = y0 + qr;
    yq += report_text(c, c->page_w - c->margin - qr, yq, qr, qrcap, 6, RS_NORMAL,
                      PANGO_ALIGN_CENTER, draw);
    g_free(qrcap);

    /* Session and details under the banner (left of the QR code). */
    double lw = c->o->lang == REPORT_LANG_BOTH ? 150 : 95;
    double colw = (w - 12) / 2;
    double y = yb + 8;
    struct report_row srows[] = {
        {W_KIOSK, g_strdup(c->o->kiosk_name), 0},
        {W_SITE, c->o->site && *c->o->site ? g_strdup(c->o->site) : NULL, 0},
        {W_STARTED, report_time(json_member_text(m, "started")), 0},
        {W_FINISHED, report_time(json_member_text(m, "finished")), 0},
    };
    double yl = report_rows(c, x, y, w - qr - 12, lw, srows, G_N_ELEMENTS(srows), A4_PT, draw);
    report_rows_free(srows, G_N_ELEMENTS(srows));
    y = MAX(yl, yq) + 8;

    /* Two columns: details + counts | medium + scanner. */
    double yL = report_heading(c, x, y, colw, W_DETAILS, 9.5, draw);
    struct report_row drows[] = {
        {W_VESSEL, report_detail(details, "vessel"), RS_BOLD},
        {W_IMO, report_detail(details, "imo"), 0},
        {W_VOYAGE, report_detail(details, "voyage"), 0},
        {W_COMPANY, report_detail(details, "company"), 0},
        {W_PERSON, report_detail(details, "person"), 0},
    };
    yL = report_rows(c, x, yL, colw, lw, drows, G_N_ELEMENTS(drows), A4_PT, draw);
    report_rows_free(drows, G_N_ELEMENTS(drows));
    double xr = x + colw + 12;
    double yR = report_heading(c, xr, y, colw, W_DEVICE, 9.5, draw);
    char *fs = NULL, *labels = NULL;
    report_volumes(src, &fs, &labels);
    gint64 ssize = json_member_int(src, "size", 0);
    struct report_row mrows[] = {
        {W_VENDOR, g_strdup(json_member_text(src, "vendor")), 0},
        {W_MODEL, g_strdup(json_member_text(src, "model")), 0},
        {W_SERIAL, g_strdup(json_member_text(src, "serial")), 0},
        {W_SIZE, ssize > 0 ? report_size_text(ssize) : NULL, 0},
        {W_FS, fs, 0},
        {W_LABEL, labels, 0},
        {W_SOURCE, g_strdup(json_member_text(src, "path")), RS_MONO},
    };
    yR = report_rows(c, xr, yR, colw, lw, mrows, G_N_ELEMENTS(mrows), A4_PT, draw);
    report_rows_free(mrows, G_N_ELEMENTS(mrows));
    y = MAX(yL, yR) + 8;
    y = report_counts_band(c, x, y, w, counts, draw) + 8;
    double yS = report_heading(c, x, y, w, W_SCANNER, 9.5, draw);
    const char *pname = json_member_text(policy, "name");
    const char *psha = json_member_text(policy, "sha256");
    struct report_row krows[] = {
        {W_ENGINE, g_strdup(json_member_text(scanner, "engine")), 0},
        {W_DATABASE, g_strdup(json_member_text(scanner, "database")), 0},
        {W_DB_AGE, report_db_age(c, scanner), 0},
        {W_SIGNATURES,
         g_strdup_printf("%" G_GINT64_FORMAT, json_member_int(scanner, "signatures", 0)), 0},
        {W_POLICY,
         g_strdup_printf("%s, v%" G_GINT64_FORMAT "%s%.12s", pname ? pname : "?",
                         json_member_int(policy, "version", 0), psha ? ", SHA-256 " : "",
                         psha ? psha : ""),
         0},
    };
    y = report_rows(c, x, yS, w, lw, krows, G_N_ELEMENTS(krows), A4_PT, draw);
    report_rows_free(krows, G_N_ELEMENTS(krows));
    y += 6;

    /* Delivery: where it went, the manifest hash, the signature. */
    y = report_heading(c, x, y, w, W_DELIVERY, 9.5, draw);
    char *signed_text = NULL;
    if (c->s->sig_key_id) {
        char *sw = report_word(c, W_SIGNED);
        signed_text = g_strdup_printf("MANIFEST.json.sig — %s %s", sw, c->s->sig_key_id);
        g_free(sw);
    } else {
        signed_text = report_word(c, W_UNSIGNED);
    }
    char *audit_text = NULL;
    if (c->s->audit_seq) {
        char *rw = report_word(c, W_AUDIT_RECORD);
        audit_text = g_strdup_printf("%s %" G_GUINT64_FORMAT "  SHA-256 %s", rw, c->s->audit_seq,
                                     c->s->audit_hash);
        g_free(rw);
    }
    struct report_row lrows[] = {
        {W_HANDOFF, report_word(c, c->s->published ? W_PUBLISHED : W_WAITING), RS_BOLD},
        {W_DELIVERED_TO, g_strdup(c->s->dir ? c->s->dir : "?"), RS_MONO},
        {W_MANIFEST_SHA, g_strdup(c->s->manifest_sha256), RS_MONO},
        {W_SIGNATURE, signed_text, 0},
        {W_AUDIT, audit_text, RS_MONO}, /* the audit log's anchor (audit.h); last: optional */
    };
    y = report_rows(c, x, y, w, lw, lrows, G_N_ELEMENTS(lrows) - (audit_text ? 0 : 1), A4_PT,
                    draw);
    report_rows_free(lrows, G_N_ELEMENTS(lrows));
    c->y = y + 8;
    report_edifact(c, true, x, w, A4_PT, draw);

    /* Every file, held back first. */
    char *all = report_word(c, W_ALL_FILES);
    c->y += report_text(c, x, c->y, w, all, 9.5, RS_BOLD, PANGO_ALIGN_LEFT, draw) + 3;
    g_free(all);
    c->in_table = true;
    a4_table_header(c, draw);
    GPtrArray *files = report_files_sorted(c->s);
    for (guint i = 0; i < files->len; i++)
        a4_file_row(c, i + 1, g_ptr_array_index(files, i), draw);
    g_ptr_array_free(files, TRUE);
    c->in_table = false;
    c->cols = NULL;
}

/* ---- receipt ------------------------------------------------------------------- */

#define RECEIPT_W (80.0 * MM)
#define RECEIPT_MAX_HELD 40

static double receipt_draw(struct report_ctx *c, bool draw)
{
    JsonObject *m = c->s->m, *details = json_member_object(m, "details"),
               *counts = json_member_object(m, "counts"),
               *scanner = json_member_object(m, "scanner");
    double x = c->margin, w = c->page_w - 2 * c->margin, y = c->margin;
    double lw = c->o->lang == REPORT_LANG_BOTH ? 92 : 70;
    char *t = report_word2(c, W_RECEIPT);
    y += report_text(c, x, y, w, t, 12, RS_BOLD, PANGO_ALIGN_CENTER, draw) + 2;
    g_free(t);
    if (c->o->kiosk_name || (c->o->site && *c->o->site)) {
        t = g_strdup_printf("%s%s%s", c->o->kiosk_name ? c->o->kiosk_name : "",
                            c->o->site && *c->o->site ? "\n" : "", c->o->site ? c->o->site : "");
        y += report_text(c, x, y, w, t, 7.5, RS_NORMAL, PANGO_ALIGN_CENTER, draw) + 4;
        g_free(t);
    }
    if (json_object_get_boolean_member_with_default(m, "test_signatures", FALSE)) {
        t = report_word(c, W_TEST_SIGS);
        y += report_text(c, x, y, w, t, 7, RS_BOLD, PANGO_ALIGN_CENTER, draw) + 4;
        g_free(t);
    }
    y = report_banner(c, x, y, w, 12, draw) + 6;
    struct report_row srows[] = {
        {W_SESSION, g_strdup(c->s->id), RS_MONO},
        {W_STARTED, report_time(json_member_text(m, "started")), 0},
        {W_FINISHED, report_time(json_member_text(m, "finished")), 0},
        {W_VESSEL, report_detail(details, "vessel"), RS_BOLD},
        {W_IMO, report_detail(details, "imo"), 0},
        {W_VOYAGE, report_detail(details, "voyage"), 0},
        {W_COMPANY, report_detail(details, "company"), 0},
        {W_PERSON, report_detail(details, "person"), 0},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(srows); i++) {
        if (i >= 3 && !srows[i].value)
            continue; /* details not entered: leave the line out on paper */
        char *l = report_word(c, srows[i].label);
        y = report_kv(c, x, y, w, lw, l, srows[i].value, 7.5, srows[i].style, draw);
        g_free(l);
    }
    report_rows_free(srows, G_N_ELEMENTS(srows));
    y += 3;
    struct report_row crows[] = {
        {W_FILES, g_strdup_printf("%" G_GINT64_FORMAT, json_member_int(counts, "files", 0)), 0},
        {W_DELIVERED, g_strdup_printf("%" G_GINT64_FORMAT, json_member_int(counts, "delivered", 0)),
         0},
        {W_INFECTED, g_strdup_printf("%" G_GINT64_FORMAT, json_member_int(counts, "infected", 0)),
         0},
        {W_BLOCKED, g_strdup_printf("%" G_GINT64_FORMAT, json_member_int(counts, "blocked", 0)), 0},
        {W_ERROR, g_strdup_printf("%" G_GINT64_FORMAT, json_member_int(counts, "error", 0)), 0},
        {W_SANITIZED, g_strdup_printf("%" G_GINT64_FORMAT, json_member_int(counts, "sanitized", 0)),
         0},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(crows); i++) {
        char *l = report_word(c, crows[i].label);
        bool bad = i >= 2 && i <= 4 && strcmp(crows[i].value, "0") != 0;
        double h1 = report_text(c, x, y, w - 30, l, 7.5, RS_NORMAL, PANGO_ALIGN_LEFT, draw);
        report_rgb(c, bad ? 0xb3261e : 0);
        report_text(c, x + w - 30, y, 30, crows[i].value, 7.5, bad ? RS_BOLD : RS_NORMAL,
                    PANGO_ALIGN_RIGHT, draw);
        report_rgb(c, 0);
        y += h1 + 1;
        g_free(l);
    }
    report_rows_free(crows, G_N_ELEMENTS(crows));
    const char *eng = json_member_text(scanner, "engine"),
               *dbv = json_member_text(scanner, "database");
    char *db = g_strdup_printf("ClamAV %s, %s", eng ? eng : "?", dbv ? dbv : "?");
    char *l = report_word(c, W_DATABASE);
    y = report_kv(c, x, y + 3, w, lw, l, db, 7, RS_NORMAL, draw);
    g_free(l);
    g_free(db);
    if (json_member_int(counts, "delivered", 0) > 0) {
        /* Whether the files are with the terminal yet, in plain words. */
        l = report_word(c, W_HANDOFF);
        char *v = report_word(c, c->s->published ? W_PUBLISHED : W_WAITING);
        y = report_kv(c, x, y + 2, w, lw, l, v, 7.5, RS_BOLD, draw);
        g_free(l);
        g_free(v);
    }

    GPtrArray *files = report_files_sorted(c->s);
    /* Files delivered as safe copies: what was removed (the A4 report has the hashes). */
    if (json_member_int(counts, "sanitized", 0) > 0) {
        y = report_heading(c, x, y + 6, w, W_SANITIZED_HEAD, 8.5, draw);
        guint shown = 0;
        for (guint i = 0; i < files->len; i++) {
            JsonObject *f = g_ptr_array_index(files, i);
            if (report_verdict_word(f) != W_V_SANITIZED || ++shown > RECEIPT_MAX_HELD)
                continue;
            const char *path = json_member_text(f, "path"),
                       *staged = json_member_text(f, "staged_path");
            char *head = g_strdup_printf("%s → %s", path ? path : "?", staged ? staged : "?");
            y += report_text(c, x, y, w, head, 7.5, RS_BOLD, PANGO_ALIGN_LEFT, draw);
            char *reason = report_reason(c, f);
            report_rgb(c, 0x333333);
            y += report_text(c, x + 8, y, w - 8, reason ? reason : "", 7, RS_NORMAL,
                             PANGO_ALIGN_LEFT, draw) + 3;
            report_rgb(c, 0);
            g_free(head);
            g_free(reason);
        }
    }

    /* What the EDIFACT files are, and details that disagree: before the held back. */
    c->y = y + 6;
    report_edifact(c, false, x, w, 7.5, draw);
    y = c->y - 6;

    /* Files held back. */
    y = report_heading(c, x, y + 6, w, W_HELD_BACK, 8.5, draw);
    guint held = 0;
    for (guint i = 0; i < files->len; i++) {
        JsonObject *f = g_ptr_array_index(files, i);
        if (report_file_delivered(f))
            break;
        if (++held > RECEIPT_MAX_HELD)
            continue;
        const char *path = json_member_text(f, "path");
        y += report_text(c, x, y, w, path ? path : "?", 7.5, RS_BOLD, PANGO_ALIGN_LEFT, draw);
        char *v = report_word(c, report_verdict_word(f));
        char *reason = report_reason(c, f);
        char *line = g_strdup_printf("%s%s%s", v, reason ? "\n" : "", reason ? reason : "");
        g_free(reason);
        report_rgb(c, 0x333333);
        y += report_text(c, x + 8, y, w - 8, line, 7, RS_NORMAL, PANGO_ALIGN_LEFT, draw) + 3;
        report_rgb(c, 0);
        g_free(v);
        g_free(line);
    }
    if (held > RECEIPT_MAX_HELD) {
        char *more = g_strdup_printf("+ %u %s", held - RECEIPT_MAX_HELD,
                                     report_tr(c, report_words[W_MORE], false));
        y += report_text(c, x, y, w, more, 7, RS_NORMAL, PANGO_ALIGN_LEFT, draw) + 3;
        g_free(more);
    }
    if (held == 0) {
        char *none = report_word(c, W_NONE_HELD);
        y += report_text(c, x, y, w, none, 7.5, RS_NORMAL, PANGO_ALIGN_LEFT, draw) + 3;
        g_free(none);
    }
    g_ptr_array_free(files, TRUE);

    /* QR code and what it says. */
    y += 8;
    double qr = 46 * MM;
    if (draw)
        report_qr(c, x + (w - qr) / 2, y, qr);
    y += qr;
    t = report_word(c, W_QR);
    y += report_text(c, x, y, w, t, 7, RS_NORMAL, PANGO_ALIGN_CENTER, draw);
    g_free(t);
    t = g_strdup_printf("%s\nSHA-256 %.32s\n%s", c->s->id, c->s->manifest_sha256,
                        c->s->manifest_sha256 + 32);
    y += report_text(c, x, y, w, t, 6.5, RS_MONO, PANGO_ALIGN_CENTER, draw) + 6;
    g_free(t);
    if (c->s->sig_key_id) {
        char *sw = report_word(c, W_SIGNED);
        t = g_strdup_printf("%s %s", sw, c->s->sig_key_id);
        y += report_text(c, x, y, w, t, 6.5, RS_NORMAL, PANGO_ALIGN_CENTER, draw) + 4;
        g_free(sw);
        g_free(t);
    }
    if (c->s->audit_seq) {
        /* The audit log's head when the session ended: checks the log is not cut. */
        char *aw = report_word2(c, W_AUDIT), *rw = report_word(c, W_AUDIT_RECORD);
        t = g_strdup_printf("%s: %s %" G_GUINT64_FORMAT "\nSHA-256 %.32s\n%s", aw, rw,
                            c->s->audit_seq, c->s->audit_hash, c->s->audit_hash + 32);
        y += report_text(c, x, y, w, t, 6.5, RS_MONO, PANGO_ALIGN_CENTER, draw) + 4;
        g_free(aw);
        g_free(rw);
        g_free(t);
    }
    t = report_word2(c, W_KEEP);
    y += report_text(c, x, y, w, t, 7.5, RS_BOLD, PANGO_ALIGN_CENTER, draw);
    g_free(t);
    return y + c->margin + 6 * MM; /* room for the cutter */
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
        report_ctx_open(&c, cairo_pdf_surface_create_for_stream(report_discard, NULL, c.page_w,
                                                                c.page_h));
        a4_draw(&c, false);
        int pages = c.page;
        report_ctx_close(&c);
        c.pages_total = pages;
        report_ctx_open(&c, cairo_pdf_surface_create(tmp, c.page_w, c.page_h));
        a4_draw(&c, true);
    } else {
        c.page_w = RECEIPT_W;
        c.margin = 4 * MM;
        c.page_h = 5000;
        report_ctx_open(&c, cairo_pdf_surface_create_for_stream(report_discard, NULL, c.page_w,
                                                                c.page_h));
        double h = receipt_draw(&c, false);
        report_ctx_close(&c);
        c.page_h = ceil(h);
        report_ctx_open(&c, cairo_pdf_surface_create(tmp, c.page_w, c.page_h));
        receipt_draw(&c, true);
    }
    char *title = g_strdup_printf("%s %s", o->format == REPORT_A4 ? "Scan report" : "Scan receipt",
                                  s->id);
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
        g_printerr("kiosk: the audit log %s could not record the %s event\n", cfg->audit_log,
                   type);
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
    char *title = g_strdup_printf("kiosk %s %s", o->format == REPORT_A4 ? "report" : "receipt",
                                  s->id);
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

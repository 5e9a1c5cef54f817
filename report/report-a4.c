/* report-a4.c - the A4 scan report: every page's header and footer ("Page n of N", the
 * manifest's SHA-256), the first page's banner, QR code, session, medium, counts, scanner
 * and delivery sections, then the table of every file (held back first), repeating its
 * header on each new page. */
#include "report/report-private.h"
#include "report/report.h"
#include "common/i18n.h"
#include "common/json.h"
#include "common/util.h"

#include <stdio.h>

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
    report_draw_rgb(c, 0x555555);
    report_draw_text(c, c->margin, y, w * 0.6, left, 8, RS_NORMAL, PANGO_ALIGN_LEFT, draw);
    report_draw_text(c, c->margin + w * 0.4, y, w * 0.6, page, 8, RS_NORMAL, PANGO_ALIGN_RIGHT,
                     draw);
    report_draw_rgb(c, 0);
    y += 13;
    y += report_draw_text(c, c->margin, y, w, title, 15, RS_BOLD, PANGO_ALIGN_LEFT, draw);
    char *sw = report_word(c, W_SESSION);
    char *sess = g_strdup_printf("%s: %s", sw, c->s->id);
    g_free(sw);
    y += report_draw_text(c, c->margin, y, w, sess, 9, RS_NORMAL, PANGO_ALIGN_LEFT, draw);
    if (draw)
        report_draw_hline(c, y + 3, 1.0, 0x333333);
    c->y = y + 8;
    if (json_object_get_boolean_member_with_default(c->s->m, "test_signatures", FALSE)) {
        char *t = report_word(c, W_TEST_SIGS);
        report_draw_rgb(c, 0xb3261e);
        c->y += report_draw_text(c, c->margin, c->y, w, t, 8, RS_BOLD, PANGO_ALIGN_LEFT, draw) + 4;
        report_draw_rgb(c, 0);
        g_free(t);
    }
    /* Footer */
    char *mw = report_word(c, W_MANIFEST_SHA);
    char *foot = g_strdup_printf("%s  ·  %s %s", c->s->id, mw, c->s->manifest_sha256);
    g_free(mw);
    report_draw_rgb(c, 0x777777);
    report_draw_text(c, c->margin, c->bottom + 8, w, foot, 6.5, RS_MONO, PANGO_ALIGN_LEFT, draw);
    report_draw_rgb(c, 0);
    if (draw)
        report_draw_hline(c, c->bottom + 4, 0.5, 0x999999);
    g_free(foot);
    g_free(sess);
    g_free(title);
    g_free(left);
    g_free(page);
    if (c->in_table)
        a4_table_header(c, draw);
}

void report_a4_new_page(struct report_ctx *c, bool draw)
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
        double hh = report_draw_text(
            c, c->cols[i] + 2, c->y + 2, c->cols[i + 1] - c->cols[i] - 4, t, 7, RS_BOLD,
            i == 0 || i == 2 ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT, false);
        h = MAX(h, hh);
        g_free(t);
    }
    if (draw) {
        cairo_set_source_rgb(c->cr, 0.90, 0.92, 0.95);
        cairo_rectangle(c->cr, c->margin, c->y, c->page_w - 2 * c->margin, h + 4);
        cairo_fill(c->cr);
        report_draw_rgb(c, 0);
        for (int i = 0; i < 6; i++) {
            char *t = heads[i] == W_N ? g_strdup("#") : report_word2(c, heads[i]);
            report_draw_text(c, c->cols[i] + 2, c->y + 2, c->cols[i + 1] - c->cols[i] - 4, t, 7,
                             RS_BOLD, i == 0 || i == 2 ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT,
                             true);
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
    int styles[6] = {RS_NORMAL,
                     RS_NORMAL,
                     RS_NORMAL,
                     RS_MONO,
                     vw == W_V_CLEAN || vw == W_V_SANITIZED ? RS_NORMAL : RS_BOLD,
                     RS_NORMAL};
    double h = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            if (c->y + h > c->bottom)
                report_a4_new_page(c, draw);
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
                report_draw_rgb(c, i == 4 && vw != W_V_CLEAN && vw != W_V_SANITIZED ? 0xb3261e : 0);
            double hh = report_draw_text(
                c, c->cols[i] + 2, c->y, c->cols[i + 1] - c->cols[i] - 4, cells[i], A4_PT,
                styles[i], i == 0 || i == 2 ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT, pass == 1);
            h = MAX(h, hh);
        }
        report_draw_rgb(c, 0);
    }
    if (draw) {
        cairo_set_source_rgb(c->cr, 0.85, 0.85, 0.85);
        cairo_set_line_width(c->cr, 0.3);
        cairo_move_to(c->cr, c->margin, c->y + h + 1.5);
        cairo_line_to(c->cr, c->page_w - c->margin, c->y + h + 1.5);
        cairo_stroke(c->cr);
        report_draw_rgb(c, 0);
    }
    c->y += h + 3;
    g_free(size);
    g_free(verdict);
    g_free(reason_text);
}

/* The counts as a band of six cells: label over a big number. */
static double a4_counts_band(struct report_ctx *c, double x, double y, double width,
                             JsonObject *counts, bool draw)
{
    static const struct {
        enum report_word w;
        const char *key;
    } cells[] = {
        {W_FILES, "files"},         {W_DELIVERED, "delivered"}, {W_INFECTED, "infected"},
        {W_BLOCKED, "blocked"},     {W_ERROR, "error"},         {W_SKIPPED, "skipped"},
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
            report_draw_rgb(c, 0x444444);
            double hl = report_draw_text(c, x + i * cw + 4, y + 4, cw - 8, l, 7, RS_NORMAL,
                                         PANGO_ALIGN_CENTER, d);
            report_draw_rgb(c, bad ? 0xb3261e : 0);
            double hn = report_draw_text(c, x + i * cw + 4, y + 4 + (pass ? h - 8 - 18 : hl),
                                         cw - 8, num, 14, RS_BOLD, PANGO_ALIGN_CENTER, d);
            report_draw_rgb(c, 0);
            if (pass == 0)
                h = MAX(h, hl + hn + 8);
            g_free(l);
            g_free(num);
        }
    }
    return y + h;
}

/* The banner on the left, the QR code on the right, the session under the banner (kiosk,
 * site, times); returns the y under both. */
static double a4_top(struct report_ctx *c, double x, double w, double lw, bool draw)
{
    JsonObject *m = c->s->m;
    /* Banner on the left, QR code on the right. */
    double qr = 96;
    double y0 = c->y;
    double yb = report_draw_banner(c, x, y0, w - qr - 12, 17, draw);
    if (draw)
        report_draw_qr(c, c->page_w - c->margin - qr, y0, qr);
    char *qrcap = report_word(c, W_QR);
    double yq = y0 + qr;
    yq += report_draw_text(c, c->page_w - c->margin - qr, yq, qr, qrcap, 6, RS_NORMAL,
                           PANGO_ALIGN_CENTER, draw);
    g_free(qrcap);

    /* Session and details under the banner (left of the QR code). */
    double y = yb + 8;
    struct report_row srows[] = {
        {W_KIOSK, g_strdup(c->o->kiosk_name), 0},
        {W_SITE, c->o->site && *c->o->site ? g_strdup(c->o->site) : NULL, 0},
        {W_STARTED, report_time(json_member_text(m, "started")), 0},
        {W_FINISHED, report_time(json_member_text(m, "finished")), 0},
    };
    double yl = report_draw_rows(c, x, y, w - qr - 12, lw, srows, G_N_ELEMENTS(srows), A4_PT, draw);
    report_draw_rows_free(srows, G_N_ELEMENTS(srows));
    y = MAX(yl, yq) + 8;
    return y;
}

/* Two columns: the session details | the medium; returns the y under the longer. */
static double a4_details_and_medium(struct report_ctx *c, double x, double w, double lw, double y,
                                    bool draw)
{
    JsonObject *details = json_member_object(c->s->m, "details"),
               *src = json_member_object(c->s->m, "source");
    double colw = (w - 12) / 2;
    double yL = report_draw_heading(c, x, y, colw, W_DETAILS, 9.5, draw);
    struct report_row drows[] = {
        {W_VESSEL, report_detail(details, "vessel"), RS_BOLD},
        {W_IMO, report_detail(details, "imo"), 0},
        {W_VOYAGE, report_detail(details, "voyage"), 0},
        {W_COMPANY, report_detail(details, "company"), 0},
        {W_PERSON, report_detail(details, "person"), 0},
    };
    yL = report_draw_rows(c, x, yL, colw, lw, drows, G_N_ELEMENTS(drows), A4_PT, draw);
    report_draw_rows_free(drows, G_N_ELEMENTS(drows));
    double xr = x + colw + 12;
    double yR = report_draw_heading(c, xr, y, colw, W_DEVICE, 9.5, draw);
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
    yR = report_draw_rows(c, xr, yR, colw, lw, mrows, G_N_ELEMENTS(mrows), A4_PT, draw);
    report_draw_rows_free(mrows, G_N_ELEMENTS(mrows));
    y = MAX(yL, yR) + 8;
    return y;
}

/* The scanner and the policy: engine, database and its age, signatures, policy. */
static double a4_scanner(struct report_ctx *c, double x, double w, double lw, double y, bool draw)
{
    JsonObject *scanner = json_member_object(c->s->m, "scanner"),
               *policy = json_member_object(c->s->m, "policy");
    double yS = report_draw_heading(c, x, y, w, W_SCANNER, 9.5, draw);
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
    y = report_draw_rows(c, x, yS, w, lw, krows, G_N_ELEMENTS(krows), A4_PT, draw);
    report_draw_rows_free(krows, G_N_ELEMENTS(krows));
    return y;
}

/* Delivery: the hand-off, where it went, the manifest hash, the signature, the audit
 * anchor. */
static double a4_delivery(struct report_ctx *c, double x, double w, double lw, double y, bool draw)
{
    y = report_draw_heading(c, x, y, w, W_DELIVERY, 9.5, draw);
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
    y = report_draw_rows(c, x, y, w, lw, lrows, G_N_ELEMENTS(lrows) - (audit_text ? 0 : 1), A4_PT,
                         draw);
    report_draw_rows_free(lrows, G_N_ELEMENTS(lrows));
    return y;
}

/* Every file, held back first, in the table (its header repeated on each new page). */
static void a4_files(struct report_ctx *c, double x, double w, bool draw)
{
    char *all = report_word(c, W_ALL_FILES);
    c->y += report_draw_text(c, x, c->y, w, all, 9.5, RS_BOLD, PANGO_ALIGN_LEFT, draw) + 3;
    g_free(all);
    c->in_table = true;
    a4_table_header(c, draw);
    GPtrArray *files = report_files_sorted(c->s);
    for (guint i = 0; i < files->len; i++)
        a4_file_row(c, i + 1, g_ptr_array_index(files, i), draw);
    g_ptr_array_free(files, TRUE);
}

void report_a4_draw(struct report_ctx *c, bool draw)
{
    JsonObject *counts = json_member_object(c->s->m, "counts");
    double w = c->page_w - 2 * c->margin, x = c->margin;
    double cols[7];
    a4_columns(c, cols);
    c->cols = cols;
    c->page = 0;
    c->in_table = false;
    a4_page_begin(c, draw);

    double lw = c->o->lang == REPORT_LANG_BOTH ? 150 : 95;
    double y = a4_top(c, x, w, lw, draw);
    y = a4_details_and_medium(c, x, w, lw, y, draw);
    y = a4_counts_band(c, x, y, w, counts, draw) + 8;
    y = a4_scanner(c, x, w, lw, y, draw);
    y += 6;
    y = a4_delivery(c, x, w, lw, y, draw);
    c->y = y + 8;
    report_edifact(c, true, x, w, A4_PT, draw);
    a4_files(c, x, w, draw);
    c->in_table = false;
    c->cols = NULL;
}

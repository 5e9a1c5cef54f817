/* report-draw.c - the drawing helpers the A4 report and the receipt share: text laid out
 * by pango (measured, or drawn when DRAW), colours and rules, the QR code, the
 * "label  value" rows and section headings, and the coloured result banner. */
#include "report/report-private.h"
#include "report/report.h"
#include "common/i18n.h"
#include "common/kerr.h"
#include "common/json.h"

#include <qrencode.h>

/* ---- text, colour, rules, the QR code --------------------------------------------- */

/* Lay out TEXT at size PT in WIDTH (wrapped); draw it at (X, Y) unless DRAW is false.
 * Returns its height. */
double report_draw_text(struct report_ctx *c, double x, double y, double width, const char *text,
                        double pt, int style, PangoAlignment align, bool draw)
{
    PangoFontDescription *fd =
        pango_font_description_from_string((style & RS_MONO) ? REPORT_MONO : REPORT_FONT);
    pango_font_description_set_size(fd, (gint)(pt * PANGO_SCALE));
    pango_font_description_set_weight(fd,
                                      (style & RS_BOLD) ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
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

void report_draw_rgb(struct report_ctx *c, unsigned rgb)
{
    cairo_set_source_rgb(c->cr, ((rgb >> 16) & 255) / 255.0, ((rgb >> 8) & 255) / 255.0,
                         (rgb & 255) / 255.0);
}

void report_draw_hline(struct report_ctx *c, double y, double width_pt, unsigned rgb)
{
    report_draw_rgb(c, rgb);
    cairo_set_line_width(c->cr, width_pt);
    cairo_move_to(c->cr, c->margin, y);
    cairo_line_to(c->cr, c->page_w - c->margin, y);
    cairo_stroke(c->cr);
    report_draw_rgb(c, 0);
}

/* Draw the QR code of the session at (X, Y), SIZE points square including the quiet
 * zone.  Returns 0 or KERR_NOMEM. */
int report_draw_qr(struct report_ctx *c, double x, double y, double size)
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

/* ---- key/value rows -------------------------------------------------------------- */

/* One "label  value" row in a column at X of WIDTH; returns the new y. */
double report_draw_kv(struct report_ctx *c, double x, double y, double width, double label_w,
                      const char *label, const char *value, double pt, int vstyle, bool draw)
{
    report_draw_rgb(c, 0x555555);
    double h1 =
        report_draw_text(c, x, y, label_w - 4, label, pt, RS_NORMAL, PANGO_ALIGN_LEFT, draw);
    report_draw_rgb(c, 0);
    double h2 = report_draw_text(c, x + label_w, y, width - label_w, value ? value : "–", pt,
                                 vstyle, PANGO_ALIGN_LEFT, draw);
    return y + MAX(h1, h2) + 2;
}

double report_draw_heading(struct report_ctx *c, double x, double y, double width,
                           enum report_word w, double pt, bool draw)
{
    char *t = report_word(c, w);
    double h = report_draw_text(c, x, y, width, t, pt, RS_BOLD, PANGO_ALIGN_LEFT, draw);
    g_free(t);
    if (draw) {
        report_draw_rgb(c, 0x999999);
        cairo_set_line_width(c->cr, 0.5);
        cairo_move_to(c->cr, x, y + h + 1);
        cairo_line_to(c->cr, x + width, y + h + 1);
        cairo_stroke(c->cr);
        report_draw_rgb(c, 0);
    }
    return y + h + 4;
}

/* Rows of label/value pairs (value NULL = "–"), N of them. */
double report_draw_rows(struct report_ctx *c, double x, double y, double width, double label_w,
                        struct report_row *rows, size_t n, double pt, bool draw)
{
    for (size_t i = 0; i < n; i++) {
        char *l = report_word(c, rows[i].label);
        y = report_draw_kv(c, x, y, width, label_w, l, rows[i].value, pt, rows[i].style, draw);
        g_free(l);
    }
    return y;
}

void report_draw_rows_free(struct report_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        g_free(rows[i].value);
}

/* ---- the result banner ------------------------------------------------------------ */

/* The result banner: status in big letters and "N of M files delivered". */
double report_draw_banner(struct report_ctx *c, double x, double y, double width, double pt,
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
    double h1 = report_draw_text(c, x + pad, y + pad, width - 2 * pad, st, pt, RS_BOLD,
                                 PANGO_ALIGN_LEFT, false);
    double h2 = report_draw_text(c, x + pad, y + pad + h1, width - 2 * pad, line, pt * 0.62,
                                 RS_NORMAL, PANGO_ALIGN_LEFT, false);
    double h = h1 + h2 + 2 * pad;
    if (draw) {
        report_draw_rgb(c, report_status_color(status));
        cairo_rectangle(c->cr, x, y, width, h);
        cairo_fill(c->cr);
        cairo_set_source_rgb(c->cr, 1, 1, 1);
        report_draw_text(c, x + pad, y + pad, width - 2 * pad, st, pt, RS_BOLD, PANGO_ALIGN_LEFT,
                         true);
        report_draw_text(c, x + pad, y + pad + h1, width - 2 * pad, line, pt * 0.62, RS_NORMAL,
                         PANGO_ALIGN_LEFT, true);
        report_draw_rgb(c, 0);
    }
    g_free(st);
    g_free(en);
    g_free(ja);
    g_free(line);
    return y + h;
}

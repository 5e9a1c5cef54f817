/* report-private.h - what the report's files share (report.c, report-draw.c,
 * report-edifact.c, report-a4.c, report-receipt.c); not for use outside report/.
 *
 * A layout draws twice: once with DRAW false to measure (the receipt's height, the A4
 * report's page count), then with DRAW true on the real PDF surface; every helper that
 * takes DRAW returns the same sizes in both passes. */
#ifndef KIOSK_REPORT_PRIVATE_H
#define KIOSK_REPORT_PRIVATE_H

#include <cairo.h>
#include <json-glib/json-glib.h>
#include <pango/pangocairo.h>
#include <stdbool.h>

/* report/report.h; forward declarations only, so that report.c and this header are no
 * module cycle (tools/check-deps.py). */
struct report_session;
struct report_options;

#define REPORT_FONT "Noto Sans CJK JP"
#define REPORT_MONO "Noto Sans Mono CJK JP"
#define MM (72.0 / 25.4)

#define A4_W 595.276
#define A4_H 841.890
#define A4_PT 8.0
#define RECEIPT_W (80.0 * MM)

/* ---- words (report.c) --------------------------------------------------------------- */

enum report_word {
    W_TITLE,
    W_RECEIPT,
    W_SESSION,
    W_KIOSK,
    W_SITE,
    W_STARTED,
    W_FINISHED,
    W_RESULT,
    W_ST_DELIVERED,
    W_ST_PARTIAL,
    W_ST_FAILED,
    W_DETAILS,
    W_VESSEL,
    W_IMO,
    W_VOYAGE,
    W_COMPANY,
    W_PERSON,
    W_DEVICE,
    W_SOURCE,
    W_VENDOR,
    W_MODEL,
    W_SERIAL,
    W_SIZE,
    W_FS,
    W_LABEL,
    W_COUNTS,
    W_FILES,
    W_DELIVERED,
    W_INFECTED,
    W_BLOCKED,
    W_ERROR,
    W_SKIPPED,
    W_SCANNER,
    W_ENGINE,
    W_DATABASE,
    W_DB_AGE,
    W_SIGNATURES,
    W_POLICY,
    W_DELIVERY,
    W_DELIVERED_TO,
    W_MANIFEST_SHA,
    W_SIGNATURE,
    W_SIGNED,
    W_UNSIGNED,
    W_FILE,
    W_SHA,
    W_V_CLEAN,
    W_V_NOT_DELIVERED,
    W_V_INFECTED,
    W_V_BLOCKED,
    W_V_ERROR,
    W_V_SKIPPED,
    W_HELD_BACK,
    W_NONE_HELD,
    W_TEST_SIGS,
    W_QR,
    W_KEEP,
    W_MORE,
    W_UNKNOWN,
    W_ERROR_WHY,
    W_ALL_FILES,
    W_HANDOFF,
    W_PUBLISHED,
    W_WAITING,
    W_AUDIT,
    W_AUDIT_RECORD,
    W_V_SANITIZED,
    W_SANITIZED,
    W_SANITIZED_HEAD,
    W_ORIGINAL,
    W_EDIFACT,
    W_EDI_WARNING,
    W_EDI_HELD,
    W_MISMATCH,
    W_N,
};

/* The English msgids, indexed by enum report_word. */
extern const char *const report_words[W_N];

/* ---- the drawing context ------------------------------------------------------------ */

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

enum report_style { RS_NORMAL = 0, RS_BOLD = 1, RS_MONO = 2 };

/* One "label  value" row (value NULL = "–"), drawn by report_draw_rows. */
struct report_row {
    enum report_word label;
    char *value;
    int style;
};

/* ---- report.c: words in the report's language(s) ------------------------------------ */

/* MSGID in the report's one language (Japanese for "both" when ONE_JA, else English). */
const char *report_tr(const struct report_ctx *c, const char *msgid, bool one_ja)
    __attribute__((format_arg(2)));
/* The word in the chosen language(s): "日本語 / English" for both. */
char *report_word(const struct report_ctx *c, enum report_word w);
/* Two lines for both languages (table cells, banners). */
char *report_word2(const struct report_ctx *c, enum report_word w);
/* EN or JA text of the chosen language(s); both: Japanese over English. */
char *report_pick(const struct report_ctx *c, const char *en, const char *ja);

/* ---- report.c: what the manifest says, worded for the report ------------------------ */

char *report_detail(JsonObject *details, const char *key);
char *report_time(const char *rfc3339);
char *report_db_age(const struct report_ctx *c, JsonObject *scanner);
enum report_word report_status_word(const char *status);
unsigned report_status_color(const char *status);
enum report_word report_verdict_word(JsonObject *f);
bool report_file_delivered(JsonObject *f);
char *report_original(struct report_ctx *c, JsonObject *f);
char *report_reason(const struct report_ctx *c, JsonObject *f);
GPtrArray *report_files_sorted(const struct report_session *s);
char *report_size_text(gint64 bytes);
void report_volumes(JsonObject *source, char **fs, char **labels);

/* ---- report-draw.c ------------------------------------------------------------------ */

double report_draw_text(struct report_ctx *c, double x, double y, double width, const char *text,
                        double pt, int style, PangoAlignment align, bool draw);
void report_draw_rgb(struct report_ctx *c, unsigned rgb);
void report_draw_hline(struct report_ctx *c, double y, double width_pt, unsigned rgb);
int report_draw_qr(struct report_ctx *c, double x, double y, double size);
double report_draw_kv(struct report_ctx *c, double x, double y, double width, double label_w,
                      const char *label, const char *value, double pt, int vstyle, bool draw);
double report_draw_heading(struct report_ctx *c, double x, double y, double width,
                           enum report_word w, double pt, bool draw);
double report_draw_rows(struct report_ctx *c, double x, double y, double width, double label_w,
                        struct report_row *rows, size_t n, double pt, bool draw);
void report_draw_rows_free(struct report_row *rows, size_t n);
double report_draw_banner(struct report_ctx *c, double x, double y, double width, double pt,
                          bool draw);

/* ---- the sections and layouts ------------------------------------------------------- */

/* report-edifact.c: the EDIFACT section at c->y (A4 when A4, else the receipt's). */
void report_edifact(struct report_ctx *c, bool a4, double x, double width, double pt, bool draw);
/* report-a4.c: the next A4 page (header, footer, the table header when in the table). */
void report_a4_new_page(struct report_ctx *c, bool draw);
/* report-a4.c: every page of the A4 report; c->page is the page count after it. */
void report_a4_draw(struct report_ctx *c, bool draw);
/* report-receipt.c: the receipt; returns its height in points. */
double report_receipt_draw(struct report_ctx *c, bool draw);

#endif

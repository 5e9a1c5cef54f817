/* report-receipt.c - the 80 mm receipt: title, kiosk and site, the result banner, the
 * session and its details, the counts, the database and hand-off, the safe copies, the
 * EDIFACT section, the files held back (the first RECEIPT_MAX_HELD), then the QR code, the
 * manifest's SHA-256, the signature and the audit anchor.  Its height is measured first. */
#include "report/report-private.h"
#include "report/report.h"
#include "common/json.h"

#include <string.h>

#define RECEIPT_MAX_HELD 40

/* Title, kiosk and site, the test-signatures warning; returns the new y. */
static double receipt_title(struct report_ctx *c, double x, double w, double y, bool draw)
{
    char *t = report_word2(c, W_RECEIPT);
    y += report_draw_text(c, x, y, w, t, 12, RS_BOLD, PANGO_ALIGN_CENTER, draw) + 2;
    g_free(t);
    if (c->o->kiosk_name || (c->o->site && *c->o->site)) {
        t = g_strdup_printf("%s%s%s", c->o->kiosk_name ? c->o->kiosk_name : "",
                            c->o->site && *c->o->site ? "\n" : "", c->o->site ? c->o->site : "");
        y += report_draw_text(c, x, y, w, t, 7.5, RS_NORMAL, PANGO_ALIGN_CENTER, draw) + 4;
        g_free(t);
    }
    if (json_object_get_boolean_member_with_default(c->s->m, "test_signatures", FALSE)) {
        t = report_word(c, W_TEST_SIGS);
        y += report_draw_text(c, x, y, w, t, 7, RS_BOLD, PANGO_ALIGN_CENTER, draw) + 4;
        g_free(t);
    }
    return y;
}

/* The session, its times and the details entered (those left empty are left out). */
static double receipt_session(struct report_ctx *c, double x, double w, double lw, double y,
                              bool draw)
{
    JsonObject *m = c->s->m, *details = json_member_object(m, "details");
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
        y = report_draw_kv(c, x, y, w, lw, l, srows[i].value, 7.5, srows[i].style, draw);
        g_free(l);
    }
    report_draw_rows_free(srows, G_N_ELEMENTS(srows));
    return y;
}

/* The counts, one line each, the bad ones in red when not zero. */
static double receipt_counts(struct report_ctx *c, double x, double w, double y, bool draw)
{
    JsonObject *counts = json_member_object(c->s->m, "counts");
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
        double h1 = report_draw_text(c, x, y, w - 30, l, 7.5, RS_NORMAL, PANGO_ALIGN_LEFT, draw);
        report_draw_rgb(c, bad ? 0xb3261e : 0);
        report_draw_text(c, x + w - 30, y, 30, crows[i].value, 7.5, bad ? RS_BOLD : RS_NORMAL,
                         PANGO_ALIGN_RIGHT, draw);
        report_draw_rgb(c, 0);
        y += h1 + 1;
        g_free(l);
    }
    report_draw_rows_free(crows, G_N_ELEMENTS(crows));
    return y;
}

/* The engine and database, then whether the files are with the terminal yet. */
static double receipt_scanner(struct report_ctx *c, double x, double w, double lw, double y,
                              bool draw)
{
    JsonObject *counts = json_member_object(c->s->m, "counts"),
               *scanner = json_member_object(c->s->m, "scanner");
    const char *eng = json_member_text(scanner, "engine"),
               *dbv = json_member_text(scanner, "database");
    char *db = g_strdup_printf("ClamAV %s, %s", eng ? eng : "?", dbv ? dbv : "?");
    char *l = report_word(c, W_DATABASE);
    y = report_draw_kv(c, x, y + 3, w, lw, l, db, 7, RS_NORMAL, draw);
    g_free(l);
    g_free(db);
    if (json_member_int(counts, "delivered", 0) > 0) {
        /* Whether the files are with the terminal yet, in plain words. */
        l = report_word(c, W_HANDOFF);
        char *v = report_word(c, c->s->published ? W_PUBLISHED : W_WAITING);
        y = report_draw_kv(c, x, y + 2, w, lw, l, v, 7.5, RS_BOLD, draw);
        g_free(l);
        g_free(v);
    }
    return y;
}

/* Files delivered as safe copies: what was removed (the A4 report has the hashes). */
static double receipt_sanitized(struct report_ctx *c, GPtrArray *files, double x, double w,
                                double y, bool draw)
{
    y = report_draw_heading(c, x, y + 6, w, W_SANITIZED_HEAD, 8.5, draw);
    guint shown = 0;
    for (guint i = 0; i < files->len; i++) {
        JsonObject *f = g_ptr_array_index(files, i);
        if (report_verdict_word(f) != W_V_SANITIZED || ++shown > RECEIPT_MAX_HELD)
            continue;
        const char *path = json_member_text(f, "path"),
                   *staged = json_member_text(f, "staged_path");
        char *head = g_strdup_printf("%s → %s", path ? path : "?", staged ? staged : "?");
        y += report_draw_text(c, x, y, w, head, 7.5, RS_BOLD, PANGO_ALIGN_LEFT, draw);
        char *reason = report_reason(c, f);
        report_draw_rgb(c, 0x333333);
        y += report_draw_text(c, x + 8, y, w - 8, reason ? reason : "", 7, RS_NORMAL,
                              PANGO_ALIGN_LEFT, draw) +
             3;
        report_draw_rgb(c, 0);
        g_free(head);
        g_free(reason);
    }
    return y;
}

/* The files held back (the first RECEIPT_MAX_HELD, then how many more), or "none". */
static double receipt_held_back(struct report_ctx *c, GPtrArray *files, double x, double w,
                                double y, bool draw)
{
    y = report_draw_heading(c, x, y + 6, w, W_HELD_BACK, 8.5, draw);
    guint held = 0;
    for (guint i = 0; i < files->len; i++) {
        JsonObject *f = g_ptr_array_index(files, i);
        if (report_file_delivered(f))
            break;
        if (++held > RECEIPT_MAX_HELD)
            continue;
        const char *path = json_member_text(f, "path");
        y += report_draw_text(c, x, y, w, path ? path : "?", 7.5, RS_BOLD, PANGO_ALIGN_LEFT, draw);
        char *v = report_word(c, report_verdict_word(f));
        char *reason = report_reason(c, f);
        char *line = g_strdup_printf("%s%s%s", v, reason ? "\n" : "", reason ? reason : "");
        g_free(reason);
        report_draw_rgb(c, 0x333333);
        y += report_draw_text(c, x + 8, y, w - 8, line, 7, RS_NORMAL, PANGO_ALIGN_LEFT, draw) + 3;
        report_draw_rgb(c, 0);
        g_free(v);
        g_free(line);
    }
    if (held > RECEIPT_MAX_HELD) {
        char *more = g_strdup_printf("+ %u %s", held - RECEIPT_MAX_HELD,
                                     report_tr(c, report_words[W_MORE], false));
        y += report_draw_text(c, x, y, w, more, 7, RS_NORMAL, PANGO_ALIGN_LEFT, draw) + 3;
        g_free(more);
    }
    if (held == 0) {
        char *none = report_word(c, W_NONE_HELD);
        y += report_draw_text(c, x, y, w, none, 7.5, RS_NORMAL, PANGO_ALIGN_LEFT, draw) + 3;
        g_free(none);
    }
    return y;
}

/* The QR code and what it says, the signature, the audit anchor, "keep this receipt". */
static double receipt_verification(struct report_ctx *c, double x, double w, double y, bool draw)
{
    char *t;
    y += 8;
    double qr = 46 * MM;
    if (draw)
        report_draw_qr(c, x + (w - qr) / 2, y, qr);
    y += qr;
    t = report_word(c, W_QR);
    y += report_draw_text(c, x, y, w, t, 7, RS_NORMAL, PANGO_ALIGN_CENTER, draw);
    g_free(t);
    t = g_strdup_printf("%s\nSHA-256 %.32s\n%s", c->s->id, c->s->manifest_sha256,
                        c->s->manifest_sha256 + 32);
    y += report_draw_text(c, x, y, w, t, 6.5, RS_MONO, PANGO_ALIGN_CENTER, draw) + 6;
    g_free(t);
    if (c->s->sig_key_id) {
        char *sw = report_word(c, W_SIGNED);
        t = g_strdup_printf("%s %s", sw, c->s->sig_key_id);
        y += report_draw_text(c, x, y, w, t, 6.5, RS_NORMAL, PANGO_ALIGN_CENTER, draw) + 4;
        g_free(sw);
        g_free(t);
    }
    if (c->s->audit_seq) {
        /* The audit log's head when the session ended: checks the log is not cut. */
        char *aw = report_word2(c, W_AUDIT), *rw = report_word(c, W_AUDIT_RECORD);
        t = g_strdup_printf("%s: %s %" G_GUINT64_FORMAT "\nSHA-256 %.32s\n%s", aw, rw,
                            c->s->audit_seq, c->s->audit_hash, c->s->audit_hash + 32);
        y += report_draw_text(c, x, y, w, t, 6.5, RS_MONO, PANGO_ALIGN_CENTER, draw) + 4;
        g_free(aw);
        g_free(rw);
        g_free(t);
    }
    t = report_word2(c, W_KEEP);
    y += report_draw_text(c, x, y, w, t, 7.5, RS_BOLD, PANGO_ALIGN_CENTER, draw);
    g_free(t);
    return y;
}

double report_receipt_draw(struct report_ctx *c, bool draw)
{
    JsonObject *counts = json_member_object(c->s->m, "counts");
    double x = c->margin, w = c->page_w - 2 * c->margin, y = c->margin;
    double lw = c->o->lang == REPORT_LANG_BOTH ? 92 : 70;
    y = receipt_title(c, x, w, y, draw);
    y = report_draw_banner(c, x, y, w, 12, draw) + 6;
    y = receipt_session(c, x, w, lw, y, draw);
    y += 3;
    y = receipt_counts(c, x, w, y, draw);
    y = receipt_scanner(c, x, w, lw, y, draw);

    GPtrArray *files = report_files_sorted(c->s);
    if (json_member_int(counts, "sanitized", 0) > 0)
        y = receipt_sanitized(c, files, x, w, y, draw);

    /* What the EDIFACT files are, and details that disagree: before the held back. */
    c->y = y + 6;
    report_edifact(c, false, x, w, 7.5, draw);
    y = c->y - 6;

    y = receipt_held_back(c, files, x, w, y, draw);
    g_ptr_array_free(files, TRUE);

    y = receipt_verification(c, x, w, y, draw);
    return y + c->margin + 6 * MM; /* room for the cutter */
}

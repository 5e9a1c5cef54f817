/* report-edifact.c - the "Shipping messages (EDIFACT)" section of the A4 report and the
 * receipt (docs/edifact.md): each EDIFACT file with its headline and problem, then the
 * session details that disagree with a bay plan; the receipt shows the first
 * RECEIPT_MAX_EDIFACT, the A4 report all of them, starting new pages as it goes. */
#include "report/report-private.h"
#include "report/report.h"
#include "common/json.h"
#include "scanner/edifact.h"

#include <string.h>

/* EDIFACT files (and mismatches) on a receipt; the rest: see the A4 report. */
#define RECEIPT_MAX_EDIFACT 20

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
static void report_edifact_block(struct report_ctx *c, bool a4, double x, double width,
                                 const char *text, double pt, int style, unsigned rgb, bool draw)
{
    double h = report_draw_text(c, x, c->y, width, text, pt, style, PANGO_ALIGN_LEFT, false);
    if (a4 && c->y + h > c->bottom)
        report_a4_new_page(c, draw);
    report_draw_rgb(c, rgb);
    c->y += report_draw_text(c, x, c->y, width, text, pt, style, PANGO_ALIGN_LEFT, draw) + 1;
    report_draw_rgb(c, 0);
}

/* Every EDIFACT file (what it is, its problem), then the session details that disagree
 * with a bay plan.  Nothing when the session had neither. */
void report_edifact(struct report_ctx *c, bool a4, double x, double width, double pt, bool draw)
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
                report_a4_new_page(c, draw);
            c->y = report_draw_heading(c, x, c->y, width, W_EDIFACT, pt + 1.5, draw);
            heading = true;
        }
        char *head = report_edifact_headline(c, e);
        report_edifact_block(c, a4, x, width, head, pt, RS_BOLD, 0, draw);
        g_free(head);
        const char *path = json_member_text(f, "path");
        report_edifact_block(c, a4, x + 8, width - 8, path ? path : "?", pt - 0.5, RS_NORMAL,
                             0x555555, draw);
        JsonObject *pr = json_member_object(e, "problem");
        if (pr && json_member_text(pr, "text")) {
            bool delivered = report_file_delivered(f);
            char *label = report_word(c, delivered ? W_EDI_WARNING : W_EDI_HELD);
            char *why =
                report_pick(c, json_member_text(pr, "text"), json_member_text(pr, "text_ja"));
            char *line = g_strdup_printf("%s: %s", label, why);
            report_edifact_block(c, a4, x + 8, width - 8, line, pt - 0.5, RS_BOLD,
                                 delivered ? 0xb35c00 : 0xb3261e, draw);
            g_free(label);
            g_free(why);
            g_free(line);
        }
        c->y += 2;
    }
    if (more) {
        char *t = g_strdup_printf("+ %u %s", more, report_tr(c, report_words[W_MORE], false));
        report_edifact_block(c, a4, x, width, t, pt - 0.5, RS_NORMAL, 0, draw);
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
            report_edifact_block(c, a4, x, width, t, pt + 0.5, RS_BOLD, 0xb3261e, draw);
            g_free(t);
        }
        char *text = report_pick(c, json_member_text(o, "text"), json_member_text(o, "text_ja"));
        const char *path = json_member_text(o, "path");
        char *line = g_strdup_printf("%s\n(%s)", text, path ? path : "?");
        report_edifact_block(c, a4, x + 8, width - 8, line, pt, RS_BOLD, 0xb3261e, draw);
        g_free(text);
        g_free(line);
    }
    guint nmm = mm ? json_array_get_length(mm) : 0;
    if (!a4 && nmm > RECEIPT_MAX_EDIFACT) {
        char *t = g_strdup_printf("+ %u %s", nmm - RECEIPT_MAX_EDIFACT,
                                  report_tr(c, report_words[W_MORE], false));
        report_edifact_block(c, a4, x + 8, width - 8, t, pt - 0.5, RS_NORMAL, 0, draw);
        g_free(t);
    }
    if (heading || nmm)
        c->y += 6;
}

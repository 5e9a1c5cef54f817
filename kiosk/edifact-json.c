/* edifact-json.c - EDIFACT summaries as JSON, and the details comparison (edifact-json.h). */
#include "kiosk/edifact-json.h"
#include "common/json.h"
#include "kiosk/session-result.h"

#include <string.h>

#define EDIFACT_JSON_TEXT 512

/* V, or null when V is NULL or empty. */
static void edifact_json_opt(JsonObject *o, const char *key, const char *v)
{
    json_set_string_or_null(o, key, v && *v ? v : NULL);
}

static JsonObject *edifact_json_problem(const struct edifact_summary *s)
{
    char text[EDIFACT_JSON_TEXT];
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "code", edifact_problem_name(s->problem.code));
    edifact_problem_text(s, EDIFACT_EN, text, sizeof(text));
    json_object_set_string_member(o, "text", text);
    edifact_problem_text(s, EDIFACT_JA, text, sizeof(text));
    json_object_set_string_member(o, "text_ja", text);
    if (s->problem.segment)
        json_object_set_int_member(o, "segment", (gint64)s->problem.segment);
    if (s->problem.message)
        json_object_set_int_member(o, "message", s->problem.message);
    if (s->n_problems > 1)
        json_object_set_int_member(o, "more_problems", s->n_problems - 1);
    return o;
}

static JsonObject *edifact_json_message(const struct edifact_message *m)
{
    JsonObject *o = json_object_new();
    edifact_json_opt(o, "type", m->type);
    edifact_json_opt(o, "version", m->version);
    edifact_json_opt(o, "agency", m->agency);
    edifact_json_opt(o, "association", m->association);
    edifact_json_opt(o, "reference", m->reference);
    edifact_json_opt(o, "vessel", m->vessel);
    edifact_json_opt(o, "call_sign", m->call_sign);
    edifact_json_opt(o, "imo", m->imo);
    edifact_json_opt(o, "voyage", m->voyage);
    edifact_json_opt(o, "date", m->date);
    edifact_json_opt(o, "departure", m->departure);
    edifact_json_opt(o, "next_port", m->next_port);
    JsonArray *ports = json_array_new();
    for (uint32_t i = 0; i < m->n_ports && i < EDIFACT_PORTS_MAX; i++)
        json_array_add_string_element(ports, m->ports[i]);
    json_object_set_array_member(o, "ports", ports);
    if (m->more_ports)
        json_object_set_int_member(o, "more_ports", m->more_ports);
    json_object_set_int_member(o, "containers", m->containers);
    json_object_set_int_member(o, "segments", m->segments);
    if (m->complete)
        json_object_set_int_member(o, "declared_segments", m->declared_segments);
    else
        json_object_set_null_member(o, "declared_segments");
    json_object_set_boolean_member(o, "complete", m->complete != 0);
    return o;
}

JsonObject *edifact_json_summary(const struct edifact_summary *s)
{
    char headline[EDIFACT_JSON_TEXT];
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "status", s->status == EDIFACT_OK ? "ok" : "malformed");
    edifact_headline(s, EDIFACT_EN, headline, sizeof(headline));
    json_object_set_string_member(o, "headline", headline);
    edifact_json_opt(o, "syntax", s->syntax);
    if (s->syntax_version)
        json_object_set_int_member(o, "syntax_version", s->syntax_version);
    else
        json_object_set_null_member(o, "syntax_version");
    json_object_set_boolean_member(o, "una", s->una != 0);
    edifact_json_opt(o, "sender", s->sender);
    edifact_json_opt(o, "recipient", s->recipient);
    edifact_json_opt(o, "control_reference", s->control_ref);
    edifact_json_opt(o, "date", s->date);
    json_object_set_int_member(o, "segments", (gint64)s->segments);
    json_object_set_int_member(o, "message_count", s->n_messages);
    json_object_set_int_member(o, "groups", s->n_groups);
    json_object_set_int_member(o, "containers", (gint64)s->containers);
    if (s->status == EDIFACT_MALFORMED)
        json_object_set_object_member(o, "problem", edifact_json_problem(s));
    else
        json_object_set_null_member(o, "problem");
    JsonArray *msgs = json_array_new();
    for (uint32_t i = 0; i < s->n_summaries && i < EDIFACT_MSG_SUMMARIES; i++)
        json_array_add_object_element(msgs, edifact_json_message(&s->msg[i]));
    json_object_set_array_member(o, "messages", msgs);
    return o;
}

/* A detail as text: strings as they are, an IMO number typed as digits too. */
static char *edifact_json_detail(JsonObject *details, const char *key)
{
    if (!details || !json_object_has_member(details, key))
        return NULL;
    JsonNode *n = json_object_get_member(details, key);
    if (!JSON_NODE_HOLDS_VALUE(n))
        return NULL;
    if (json_node_get_value_type(n) == G_TYPE_STRING)
        return g_strdup(json_node_get_string(n));
    if (json_node_get_value_type(n) == G_TYPE_INT64)
        return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));
    return NULL;
}

JsonArray *edifact_json_mismatches(const struct session_result *r)
{
    JsonArray *a = NULL;
    if (!r->details || !r->files)
        return NULL;
    char *vessel = edifact_json_detail(r->details, "vessel");
    char *imo = edifact_json_detail(r->details, "imo");
    char *voyage = edifact_json_detail(r->details, "voyage");
    for (guint i = 0; i < r->files->len && (vessel || imo || voyage); i++) {
        const struct session_file *f = g_ptr_array_index(r->files, i);
        struct edifact_mismatch mm[3];
        if (!f->edifact)
            continue;
        int n = edifact_compare_details(f->edifact, vessel, imo, voyage, mm);
        for (int k = 0; k < n; k++) {
            char text[EDIFACT_JSON_TEXT];
            JsonObject *o = json_object_new();
            json_object_set_string_member(o, "path", f->display);
            json_object_set_string_member(o, "type", mm[k].type);
            json_object_set_string_member(o, "field", edifact_field_name(mm[k].field));
            json_object_set_string_member(o, "in_file", mm[k].in_file);
            json_object_set_string_member(o, "entered", mm[k].entered);
            edifact_mismatch_text(&mm[k], EDIFACT_EN, text, sizeof(text));
            json_object_set_string_member(o, "text", text);
            edifact_mismatch_text(&mm[k], EDIFACT_JA, text, sizeof(text));
            json_object_set_string_member(o, "text_ja", text);
            if (!a)
                a = json_array_new();
            json_array_add_object_element(a, o);
        }
    }
    g_free(vessel);
    g_free(imo);
    g_free(voyage);
    return a;
}

JsonArray *edifact_json_done(const struct session_result *r, guint max, guint *more)
{
    JsonArray *a = json_array_new();
    *more = 0;
    for (guint i = 0; r->files && i < r->files->len; i++) {
        const struct session_file *f = g_ptr_array_index(r->files, i);
        const struct edifact_summary *s = f->edifact;
        if (!s)
            continue;
        if (json_array_get_length(a) >= max) {
            (*more)++;
            continue;
        }
        const struct edifact_message *m = s->n_summaries ? &s->msg[0] : NULL;
        char text[EDIFACT_JSON_TEXT];
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "path", f->display);
        json_object_set_string_member(o, "status", s->status == EDIFACT_OK ? "ok" : "malformed");
        edifact_json_opt(o, "type", m ? m->type : NULL);
        edifact_json_opt(o, "vessel", m ? m->vessel : NULL);
        edifact_json_opt(o, "voyage", m ? m->voyage : NULL);
        edifact_json_opt(o, "imo", m ? m->imo : NULL);
        json_object_set_int_member(o, "containers", (gint64)s->containers);
        json_object_set_int_member(o, "messages", s->n_messages);
        edifact_headline(s, EDIFACT_EN, text, sizeof(text));
        json_object_set_string_member(o, "headline", text);
        if (s->status == EDIFACT_MALFORMED) {
            edifact_problem_text(s, EDIFACT_EN, text, sizeof(text));
            json_object_set_string_member(o, "problem", text);
            edifact_problem_text(s, EDIFACT_JA, text, sizeof(text));
            json_object_set_string_member(o, "problem_ja", text);
        }
        json_object_set_boolean_member(o, "delivered", verdict_deliverable(&f->verdict));
        json_array_add_object_element(a, o);
    }
    return a;
}

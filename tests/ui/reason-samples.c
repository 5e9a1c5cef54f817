/* reason-samples.c - every reason code (common/reason.c) with sample parameters and its
 * sentence in English and Japanese, as JSON on stdout, for the tests that look at the
 * screen and the reports (t_ui_reasons):
 *
 *     [{"code": "policy.type-not-allowed", "params": {"type": "...", "ext": "exe"},
 *       "reason": "type not allowed: ...", "en": "...", "ja": "..."}, ...]
 *
 * "reason" is what the service carries beside the code (English). */
#include "common/i18n.h"
#include "common/reason.h"

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

/* Realistic values: technical data that stays as it is in every language. */
static const struct {
    const char *name, *value;
} reason_samples[] = {
    {"signature", "Win.Test.EICAR_HDB-1"},
    {"type", "application/x-dosexec"},
    {"ext", "exe"},
    {"detail", "Input/output error"},
    {"code", "42"},
    {"class", "03"},
    {"fstype", "hfsplus"},
    {"size", "3.2 GB"},
    {"limit", "2147483648"},
    {"size_mb", "262144"},
    {"limit_mb", "131072"},
    {"days", "12"},
    {"max_days", "3"},
    {"pending", "48.0 GB"},
    {"ms", "60000"},
    {"bytes", "300"},
    {"expected", "1048576"},
    {"read", "524288"},
    {"path", "docs/plan.pdf"},
    {"name", "stowage_VOY123W.xlsx"},
    {"removed", "VBA macros"},
    {"rule", "no-exe"},
    {"text", "executables are not allowed at this terminal"},
    {"text_ja", "このターミナルには実行ファイルを持ち込めません"},
    {"problem", "the UNB segment is missing"},
    {"problem_ja", "UNBセグメントがありません"},
};

/* Per code where the generic value would mislead: "CODE:NAME". */
static const struct {
    const char *key, *value;
} reason_overrides[] = {
    {"scan.encrypted:signature", "Heuristics.Encrypted.Zip"},
    {"scan.macros:signature", "Heuristics.OLE2.ContainsMacros"},
    {"scan.limit-exceeded:signature", "Heuristics.Limits.Exceeded.MaxScanSize"},
    {"scan.limit-member:signature", "Heuristics.Limits.Exceeded.MaxFileSize"},
    {"scan.limit-files:signature", "Heuristics.Limits.Exceeded.MaxFiles"},
    {"scan.limit-recursion:signature", "Heuristics.Limits.Exceeded.MaxRecursion"},
    {"scan.limit-time:signature", "Heuristics.Limits.Exceeded.MaxScanTime"},
    {"policy.name-mismatch:ext", "pdf"},
    {"policy.name-mismatch-detail:ext", "pdf"},
};

static const char *reason_sample(const char *code, const char *name)
{
    g_autofree char *key = g_strconcat(code, ":", name, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(reason_overrides); i++)
        if (strcmp(reason_overrides[i].key, key) == 0)
            return reason_overrides[i].value;
    for (size_t i = 0; i < G_N_ELEMENTS(reason_samples); i++)
        if (strcmp(reason_samples[i].name, name) == 0)
            return reason_samples[i].value;
    return "X-123";
}

int main(void)
{
    size_t n = 0;
    const struct reason_def *t = reason_table(&n);
    JsonBuilder *b = json_builder_new();
    json_builder_begin_array(b);
    for (size_t i = 0; i < n; i++) {
        const char *vals[REASON_PARAMS_MAX] = {0};
        size_t np = reason_def_nparams(&t[i]);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "code");
        json_builder_add_string_value(b, t[i].code);
        json_builder_set_member_name(b, "params");
        json_builder_begin_object(b);
        for (size_t k = 0; k < np; k++) {
            vals[k] = reason_sample(t[i].code, t[i].params[k]);
            json_builder_set_member_name(b, t[i].params[k]);
            json_builder_add_string_value(b, vals[k]);
        }
        json_builder_end_object(b);
        char *en = reason_format(t[i].code, vals, np, NULL, "en", NULL);
        char *ja = reason_format(t[i].code, vals, np, i18n_translator("ja"), "ja", NULL);
        json_builder_set_member_name(b, "reason");
        json_builder_add_string_value(b, en);
        json_builder_set_member_name(b, "en");
        json_builder_add_string_value(b, en);
        json_builder_set_member_name(b, "ja");
        json_builder_add_string_value(b, ja);
        g_free(en);
        g_free(ja);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    JsonGenerator *g = json_generator_new();
    JsonNode *root = json_builder_get_root(b);
    json_generator_set_root(g, root);
    json_generator_set_pretty(g, TRUE);
    char *text = json_generator_to_data(g, NULL);
    puts(text);
    g_free(text);
    json_node_unref(root);
    g_object_unref(g);
    g_object_unref(b);
    return i18n_available("ja") ? 0 : 1;
}

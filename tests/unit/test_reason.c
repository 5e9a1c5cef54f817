/* test_reason.c - the reason code table, reason_format, reason_data_*, the JSON helpers,
 * and docs/protocol.md listing every code. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "common/reason.h"

/* Highest N of "%N$s" in FMT; -1 when FMT uses another conversion than %N$s and %%. */
static int max_positional(const char *fmt)
{
    int max = 0;
    for (const char *p = fmt; *p; p++) {
        if (*p != '%')
            continue;
        if (p[1] == '%') {
            p++;
            continue;
        }
        if (p[1] >= '1' && p[1] <= '9' && p[2] == '$' && p[3] == 's') {
            if (p[1] - '0' > max)
                max = p[1] - '0';
            p += 3;
            continue;
        }
        return -1;
    }
    return max;
}

static void test_codes_unique_and_well_formed(void **state)
{
    (void)state;
    size_t n;
    const struct reason_def *t = reason_table(&n);
    assert_true(n > 50);
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (size_t i = 0; i < n; i++) {
        const char *c = t[i].code;
        assert_true(strlen(c) > 0 && strlen(c) < REASON_CODE_MAX);
        assert_non_null(strchr(c, '.'));
        for (const char *p = c; *p; p++)
            assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
                        *p == '-');
        if (g_hash_table_contains(seen, c))
            fail_msg("duplicate code %s", c);
        g_hash_table_add(seen, (gpointer)c);
        assert_ptr_equal(reason_lookup(c), &t[i]);
    }
    g_hash_table_destroy(seen);
    assert_null(reason_lookup("no.such-code"));
    assert_null(reason_lookup(""));
    assert_null(reason_lookup(NULL));
}

/* Every format uses exactly its parameters (except "*_ja" ones, which replace their base
 * name), and no other conversion. */
static void test_params_match_formats(void **state)
{
    (void)state;
    size_t n;
    const struct reason_def *t = reason_table(&n);
    for (size_t i = 0; i < n; i++) {
        size_t np = reason_def_nparams(&t[i]);
        int max = max_positional(t[i].format);
        if (max < 0)
            fail_msg("%s: format uses a conversion other than %%N$s", t[i].code);
        size_t plain = 0;
        for (size_t k = 0; k < np; k++) {
            size_t len = strlen(t[i].params[k]);
            if (len > 3 && strcmp(t[i].params[k] + len - 3, "_ja") == 0) {
                /* its base name is a parameter too */
                bool base = false;
                for (size_t j = 0; j < np; j++)
                    base |= strlen(t[i].params[j]) == len - 3 &&
                            strncmp(t[i].params[j], t[i].params[k], len - 3) == 0;
                if (!base)
                    fail_msg("%s: %s has no base parameter", t[i].code, t[i].params[k]);
            }
            /* every parameter before the last referenced one is referenced */
            char ref[32];
            snprintf(ref, sizeof(ref), "%%%zu$s", k + 1);
            if (strstr(t[i].format, ref))
                plain = k + 1;
        }
        if ((size_t)max > np)
            fail_msg("%s: format refers to %%%d$s but has %zu parameters", t[i].code, max, np);
        assert_int_equal(plain, (size_t)max);
        for (size_t k = 0; k < np; k++)
            for (size_t j = k + 1; j < np; j++)
                if (strcmp(t[i].params[k], t[i].params[j]) == 0)
                    fail_msg("%s: parameter %s twice", t[i].code, t[i].params[k]);
    }
}

static void test_format_english(void **state)
{
    (void)state;
    const char *p[] = {"application/x-dosexec", "exe"};
    char *s = reason_format("policy.type-not-allowed", p, 2, NULL, NULL, NULL);
    assert_string_equal(s, "type not allowed: application/x-dosexec");
    g_free(s);
    const char *m[] = {"pdf", "text/plain"};
    s = reason_format("policy.name-mismatch", m, 2, NULL, "ja", NULL);
    assert_string_equal(s, "name does not match content: named .pdf but is text/plain");
    g_free(s);
    /* missing parameters are empty, never garbage */
    s = reason_format("policy.name-mismatch", m, 1, NULL, NULL, NULL);
    assert_string_equal(s, "name does not match content: named .pdf but is ");
    g_free(s);
    /* unknown code: a generic sentence around the English text */
    s = reason_format("future.thing", NULL, 0, NULL, NULL, "something new");
    assert_string_equal(s, "Not accepted: something new");
    g_free(s);
}

static const char *fake_ja(const char *msgid)
{
    if (strcmp(msgid, "name does not match content: named .%1$s but is %2$s") == 0)
        return "名前と中身が一致しません: %2$s なのに .%1$s という名前です";
    if (strcmp(msgid, "%2$s") == 0)
        return "ポリシーによりブロック: %2$s";
    if (strcmp(msgid, "Not accepted: %1$s") == 0)
        return "受け付けられません: %1$s";
    if (strcmp(msgid, "type not allowed: %1$s") == 0)
        return "100%% %3$s %9$s %d %1$s"; /* a broken translation */
    return msgid;
}

static void test_format_translated(void **state)
{
    (void)state;
    const char *m[] = {"pdf", "text/plain"};
    char *s = reason_format("policy.name-mismatch", m, 2, fake_ja, "ja", NULL);
    assert_string_equal(s, "名前と中身が一致しません: text/plain なのに .pdf という名前です");
    g_free(s);
    /* the rule's own text: text_ja replaces text in Japanese, not in English */
    const char *r[] = {"exe", "executables are not allowed", "実行ファイルは持ち込めません",
                       "application/x-dosexec"};
    s = reason_format("policy.rule-block", r, 4, fake_ja, "ja", NULL);
    assert_string_equal(s, "ポリシーによりブロック: 実行ファイルは持ち込めません");
    g_free(s);
    s = reason_format("policy.rule-block", r, 4, NULL, "en", NULL);
    assert_string_equal(s, "executables are not allowed");
    g_free(s);
    /* no text_ja: the English text stays */
    const char *r2[] = {"exe", "executables are not allowed", "", "application/x-dosexec"};
    s = reason_format("policy.rule-block", r2, 4, fake_ja, "ja", NULL);
    assert_string_equal(s, "ポリシーによりブロック: executables are not allowed");
    g_free(s);
    s = reason_format("future.thing", NULL, 0, fake_ja, "ja", "something new");
    assert_string_equal(s, "受け付けられません: something new");
    g_free(s);
    /* a broken translation loses words, never reads beyond the parameters */
    const char *t[] = {"application/x-dosexec", "exe"};
    s = reason_format("policy.type-not-allowed", t, 2, fake_ja, "ja", NULL);
    assert_string_equal(s, "100%   %d application/x-dosexec");
    g_free(s);
}

static void test_data_set_and_check(void **state)
{
    (void)state;
    struct reason_data d;
    const char *p[] = {"Win.Test.EICAR_HDB-1"};
    reason_data_set(&d, "scan.infected", p, 1);
    assert_null(reason_data_check(&d));
    char *s = reason_data_format(&d, NULL, NULL, NULL);
    assert_string_equal(s, "Win.Test.EICAR_HDB-1");
    g_free(s);

    /* long values are cut at a character boundary */
    GString *g = g_string_new(NULL);
    for (int i = 0; i < 100; i++)
        g_string_append(g, "あ"); /* 3 bytes each */
    const char *lp[] = {"r", g->str, g->str, "t"};
    reason_data_set(&d, "policy.rule-block", lp, 4);
    assert_true(strlen(d.params[1]) < REASON_PARAM_MAX);
    assert_int_equal(strlen(d.params[1]) % 3, 0);
    assert_true(g_utf8_validate(d.params[1], -1, NULL));
    assert_null(reason_data_check(&d));
    g_string_free(g, TRUE);

    /* what crosses a trust boundary */
    reason_data_set(&d, "no.such-code", NULL, 0);
    assert_non_null(reason_data_check(&d));
    reason_data_set(&d, "scan.infected-unnamed", p, 1); /* a value beyond its parameters */
    assert_non_null(reason_data_check(&d));
    reason_data_set(&d, "scan.infected", p, 1);
    d.params[0][0] = '\n';
    assert_non_null(reason_data_check(&d));
    reason_data_set(&d, "scan.infected", p, 1);
    memset(d.params[0], 'a', sizeof(d.params[0]));
    assert_non_null(reason_data_check(&d));
    reason_data_set(&d, "scan.infected", p, 1);
    memset(d.code, 'a', sizeof(d.code));
    assert_non_null(reason_data_check(&d));
    reason_data_set(&d, "scan.infected", p, 1);
    d.params[0][0] = (char)0xff; /* not UTF-8 */
    assert_non_null(reason_data_check(&d));
    memset(&d, 0, sizeof(d)); /* no code at all is well formed */
    assert_null(reason_data_check(&d));
}

static void test_json_round_trip(void **state)
{
    (void)state;
    struct reason_data d, back;
    const char *p[] = {"application/x-dosexec", "exe"};
    reason_data_set(&d, "policy.type-not-allowed", p, 2);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "reason", "type not allowed: application/x-dosexec");
    reason_json_add(o, &d);
    JsonNode *n = json_node_init_object(json_node_alloc(), o);
    char *text = json_to_string(n, FALSE);
    assert_string_equal(text, "{\"reason\":\"type not allowed: application/x-dosexec\","
                              "\"reason_code\":\"policy.type-not-allowed\","
                              "\"reason_params\":{\"type\":\"application/x-dosexec\","
                              "\"ext\":\"exe\"}}");
    g_free(text);
    assert_int_equal(reason_json_get(o, &back), 0);
    assert_memory_equal(&d, &back, sizeof(d));
    char *s = reason_json_format(o, NULL, NULL);
    assert_string_equal(s, "type not allowed: application/x-dosexec");
    g_free(s);
    /* an unknown code: generic sentence around "reason" */
    json_object_set_string_member(o, "reason_code", "future.thing");
    assert_int_equal(reason_json_get(o, &back), -1);
    s = reason_json_format(o, fake_ja, "ja");
    assert_string_equal(s, "受け付けられません: type not allowed: application/x-dosexec");
    g_free(s);
    json_node_unref(n);
    /* no code: nothing added */
    JsonObject *e = json_object_new();
    memset(&d, 0, sizeof(d));
    reason_json_add(e, &d);
    assert_int_equal(json_object_get_size(e), 0);
    json_object_unref(e);
}

/* docs/protocol.md lists every code with its parameters and English sentence. */
static void test_documented(void **state)
{
    (void)state;
    char *doc = NULL;
    assert_true(g_file_get_contents(KIOSK_SRCDIR "/docs/protocol.md", &doc, NULL, NULL));
    size_t n;
    const struct reason_def *t = reason_table(&n);
    for (size_t i = 0; i < n; i++) {
        GString *row = g_string_new(NULL);
        g_string_printf(row, "| `%s` |", t[i].code);
        for (size_t k = 0; k < reason_def_nparams(&t[i]); k++)
            g_string_append_printf(row, "%s`%s`", k ? ", " : " ", t[i].params[k]);
        g_string_append_printf(row, "%s| %s |", reason_def_nparams(&t[i]) ? " " : " ",
                               t[i].format);
        if (!strstr(doc, row->str))
            fail_msg("docs/protocol.md lacks the row:\n%s", row->str);
        g_string_free(row, TRUE);
    }
    g_free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes_unique_and_well_formed),
        cmocka_unit_test(test_params_match_formats),
        cmocka_unit_test(test_format_english),
        cmocka_unit_test(test_format_translated),
        cmocka_unit_test(test_data_set_and_check),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_documented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

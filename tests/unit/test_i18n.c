/* test_i18n.c - common/i18n.c: per-call lookups in the built catalogue
 * (BUILD/locale/ja/LC_MESSAGES/kiosk.mo, found next to the test binary), and the
 * reasons of common/reason.c worded through it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "common/i18n.h"
#include "common/reason.h"

static void test_i18n_lookup(void **state)
{
    (void)state;
    assert_true(i18n_available("ja"));
    assert_true(i18n_available("en"));
    assert_string_equal(i18n_text("ja", "Session"), "セッション");
    assert_string_equal(i18n_text("en", "Session"), "Session");
    assert_string_equal(i18n_text(NULL, "Session"), "Session");
    /* not in the catalogue: the msgid itself */
    assert_string_equal(i18n_text("ja", "no such message here"), "no such message here");
    /* a language without a catalogue, and names that are not language names */
    assert_string_equal(i18n_text("fr", "Session"), "Session");
    assert_false(i18n_available("fr"));
    assert_string_equal(i18n_text("../ja", "Session"), "Session");
    assert_string_equal(i18n_text("JA", "Session"), "Session");
    assert_string_equal(i18n_ctext("ja", "language code", "en"), "ja");
    assert_string_equal(i18n_ctext("en", "language code", "en"), "en");
    assert_string_equal(i18n_ntext("en", "missing argument: %s", "missing arguments: %s", 2),
                        "missing arguments: %s");
    assert_string_equal(i18n_ntext("ja", "missing argument: %s", "missing arguments: %s", 2),
                        "引数が足りません: %s");
}

/* Every reason code has a Japanese sentence that keeps its parameters and differs from
 * the English one (except the codes that are only their parameter). */
static void test_i18n_reasons(void **state)
{
    (void)state;
    size_t n = 0;
    const struct reason_def *t = reason_table(&n);
    assert_true(n > 50);
    for (size_t i = 0; i < n; i++) {
        const char *ja = i18n_text("ja", t[i].format);
        if (strcmp(t[i].format, "%1$s") && strcmp(t[i].format, "%2$s") &&
            strcmp(ja, t[i].format) == 0)
            fail_msg("%s: no Japanese for \"%s\"", t[i].code, t[i].format);
        /* a failed session's cause may leave the English detail out (reason.c) */
        bool may_omit = g_str_has_prefix(t[i].code, "medium.") ||
                        g_str_has_prefix(t[i].code, "session.");
        for (size_t k = 0; k < reason_def_nparams(&t[i]) && !may_omit; k++) {
            char ref[24];
            snprintf(ref, sizeof(ref), "%%%zu$s", k + 1);
            if (strstr(t[i].format, ref) && !strstr(ja, ref))
                fail_msg("%s: the Japanese lacks %s", t[i].code, ref);
        }
    }
    const char *p[] = {"application/x-dosexec", "exe"};
    char *s = reason_format("policy.type-not-allowed", p, 2, i18n_translator("ja"), "ja", NULL);
    assert_string_equal(s, "許可されていない種類のファイルです: application/x-dosexec");
    g_free(s);
    s = reason_format("policy.type-not-allowed", p, 2, i18n_translator("en"), "en", NULL);
    assert_string_equal(s, "type not allowed: application/x-dosexec");
    g_free(s);
    /* the policy's own reason, in both languages */
    const char *r[] = {"no-exe", "executables are not allowed", "実行ファイルは持ち込めません", ""};
    s = reason_format("policy.rule-block", r, 4, i18n_translator("ja"), "ja", NULL);
    assert_string_equal(s, "実行ファイルは持ち込めません");
    g_free(s);
    s = reason_format("policy.rule-block", r, 4, NULL, "en", NULL);
    assert_string_equal(s, "executables are not allowed");
    g_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_i18n_lookup),
        cmocka_unit_test(test_i18n_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests: scanner/verdict.c - every libclamav outcome maps to the right verdict, and
 * only CL_CLEAN is deliverable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <clamav.h>
#include <string.h>

#include "scanner/verdict.h"

static void test_clean_is_only_clean(void **state)
{
    (void)state;
    struct verdict v;
    verdict_from_clamav(CL_CLEAN, NULL, &v);
    assert_int_equal(v.kind, VERDICT_CLEAN);
    assert_true(verdict_deliverable(&v));
    assert_string_equal(v.reason, "");
    assert_string_equal(v.why.code, "");
    /* A stray name with CL_CLEAN changes nothing. */
    verdict_from_clamav(CL_CLEAN, "Whatever", &v);
    assert_int_equal(v.kind, VERDICT_CLEAN);
}

static void test_virus_with_name(void **state)
{
    (void)state;
    struct verdict v;
    verdict_from_clamav(CL_VIRUS, "Win.Test.EICAR_HDB-1", &v);
    assert_int_equal(v.kind, VERDICT_INFECTED);
    assert_string_equal(v.reason, "Win.Test.EICAR_HDB-1");
    assert_string_equal(v.why.code, "scan.infected");
    assert_string_equal(v.why.params[0], "Win.Test.EICAR_HDB-1");
    assert_false(verdict_deliverable(&v));
}

static void test_virus_without_name_is_blocked(void **state)
{
    (void)state;
    struct verdict v;
    verdict_from_clamav(CL_VIRUS, NULL, &v);
    assert_int_equal(v.kind, VERDICT_INFECTED);
    assert_false(verdict_deliverable(&v));
    verdict_from_clamav(CL_VIRUS, "", &v);
    assert_int_equal(v.kind, VERDICT_INFECTED);
    assert_false(verdict_deliverable(&v));
}

static void test_heuristics(void **state)
{
    (void)state;
    struct verdict v;
    verdict_from_clamav(CL_VIRUS, "Heuristics.OLE2.ContainsMacros", &v);
    assert_int_equal(v.kind, VERDICT_BLOCKED);
    assert_non_null(strstr(v.reason, "macros"));
    assert_string_equal(v.why.code, "scan.macros");
    assert_true(verdict_is_macros(&v));
    verdict_from_clamav(CL_VIRUS, "Heuristics.Encrypted.Zip", &v);
    assert_int_equal(v.kind, VERDICT_BLOCKED);
    assert_string_equal(v.reason, "encrypted archive or document: its contents cannot be "
                                  "checked (Heuristics.Encrypted.Zip)");
    assert_string_equal(v.why.code, "scan.encrypted");
    assert_string_equal(v.why.params[0], "Heuristics.Encrypted.Zip");
    assert_false(verdict_is_macros(&v));
    verdict_from_clamav(CL_VIRUS, "Heuristics.Encrypted.PDF", &v);
    assert_int_equal(v.kind, VERDICT_BLOCKED);
    verdict_from_clamav(CL_VIRUS, "Heuristics.Limits.Exceeded.MaxFileSize", &v);
    assert_int_equal(v.kind, VERDICT_ERROR);
    assert_non_null(strstr(v.reason, "could not be scanned completely"));
    assert_string_equal(v.why.code, "scan.limit-exceeded");
    verdict_from_clamav(CL_VIRUS, "Heuristics.Limits.Exceeded.MaxRecursion", &v);
    assert_int_equal(v.kind, VERDICT_ERROR);
    assert_non_null(strstr(v.reason, "nested"));
    verdict_from_clamav(CL_VIRUS, "Heuristics.Limits.Exceeded.MaxScanTime", &v);
    assert_int_equal(v.kind, VERDICT_ERROR);
    assert_non_null(strstr(v.reason, "time"));
    verdict_from_clamav(CL_VIRUS, "Detected.By.Callback", &v);
    assert_int_equal(v.kind, VERDICT_ERROR);
    assert_non_null(strstr(v.reason, "archive member"));
    /* Other heuristics are detections. */
    verdict_from_clamav(CL_VIRUS, "Heuristics.Phishing.Email.SpoofedDomain", &v);
    assert_int_equal(v.kind, VERDICT_INFECTED);
}

static void test_every_error_code_is_error(void **state)
{
    (void)state;
    struct verdict v;
    for (int code = CL_VIRUS + 1; code < CL_ELAST_ERROR; code++) {
        verdict_from_clamav(code, NULL, &v);
        assert_int_equal(v.kind, VERDICT_ERROR);
        assert_false(verdict_deliverable(&v));
        assert_true(strlen(v.reason) > 0);
    }
    verdict_from_clamav(CL_ETIMEOUT, NULL, &v);
    assert_non_null(strstr(v.reason, "time limit"));
    /* Codes libclamav does not define, negative or past the end, fail closed. */
    verdict_from_clamav(-1, NULL, &v);
    assert_int_equal(v.kind, VERDICT_ERROR);
    verdict_from_clamav(CL_ELAST_ERROR + 7, "Eicar", &v);
    assert_int_equal(v.kind, VERDICT_ERROR);
    /* CL_BREAK and CL_VERIFIED are never "clean" on their own. */
    verdict_from_clamav(CL_BREAK, NULL, &v);
    assert_int_equal(v.kind, VERDICT_ERROR);
    verdict_from_clamav(CL_VERIFIED, NULL, &v);
    assert_int_equal(v.kind, VERDICT_ERROR);
}

static void test_names_and_labels(void **state)
{
    (void)state;
    assert_string_equal(verdict_kind_str(VERDICT_CLEAN), "clean");
    assert_string_equal(verdict_kind_str(VERDICT_INFECTED), "infected");
    assert_string_equal(verdict_kind_str(VERDICT_BLOCKED), "blocked");
    assert_string_equal(verdict_kind_str(VERDICT_ERROR), "error");
    assert_string_equal(verdict_kind_str(VERDICT_SKIPPED), "skipped");
    assert_string_equal(verdict_kind_label(VERDICT_INFECTED), "Malware detected");
    assert_string_equal(verdict_kind_label(VERDICT_BLOCKED), "Blocked by policy");
    assert_string_equal(verdict_kind_label(VERDICT_ERROR), "Could not be scanned");
    assert_string_equal(verdict_kind_str((enum verdict_kind)42), "error");
}

static void test_reason_truncated_safely(void **state)
{
    (void)state;
    char name[1000];
    memset(name, 'A', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    struct verdict v;
    verdict_from_clamav(CL_VIRUS, name, &v);
    assert_int_equal(v.kind, VERDICT_INFECTED);
    /* the name is cut to a reason parameter's size, the sentence to the reason's */
    assert_int_equal(strlen(v.why.params[0]), REASON_PARAM_MAX - 1);
    assert_true(strlen(v.reason) < VERDICT_REASON_MAX);
    assert_int_equal(strncmp(v.reason, name, REASON_PARAM_MAX - 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_is_only_clean),
        cmocka_unit_test(test_virus_with_name),
        cmocka_unit_test(test_virus_without_name_is_blocked),
        cmocka_unit_test(test_heuristics),
        cmocka_unit_test(test_every_error_code_is_error),
        cmocka_unit_test(test_names_and_labels),
        cmocka_unit_test(test_reason_truncated_safely),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

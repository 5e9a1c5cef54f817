/* test_disarm.c - the service's side of content disarm (kiosk/disarm.c): which files go
 * to which sanitizer, the copy's name, the record of a sanitized file, and that nothing
 * is sanitized without a sandboxed worker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <clamav.h>

#include "kiosk/disarm.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

static void test_format(void **state)
{
    (void)state;
    assert_int_equal(disarm_format("application/pdf"), SANITIZE_PDF);
    assert_int_equal(
        disarm_format("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        SANITIZE_OOXML);
    assert_int_equal(disarm_format("application/vnd.ms-excel.sheet.macroEnabled.12"),
                     SANITIZE_OOXML);
    assert_int_equal(disarm_format("application/msword"), SANITIZE_NONE);
    assert_int_equal(disarm_format("text/plain"), SANITIZE_NONE);
    assert_int_equal(disarm_format(NULL), SANITIZE_NONE);
    assert_true(disarm_is_legacy_office("application/vnd.ms-excel"));
    assert_true(disarm_is_legacy_office("application/CDFV2"));
    assert_false(disarm_is_legacy_office("application/pdf"));
}

static void test_copy_name(void **state)
{
    (void)state;
    char *n = disarm_copy_name("stowage.xlsm", "xlsx");
    assert_string_equal(n, "stowage.xlsx");
    g_free(n);
    n = disarm_copy_name("plan.v2.docm", "docx");
    assert_string_equal(n, "plan.v2.docx");
    g_free(n);
    n = disarm_copy_name("README", "pptx");
    assert_string_equal(n, "README.pptx");
    g_free(n);
    n = disarm_copy_name(".hidden", "xlsx");
    assert_string_equal(n, ".hidden.xlsx");
    g_free(n);
}

static void test_info_json(void **state)
{
    (void)state;
    struct disarm_info *i = g_new0(struct disarm_info, 1);
    memset(i->original_sha256, 'a', 64);
    i->original_size = 1234;
    i->original_type = g_strdup("application/pdf");
    i->removed = SANITIZE_PDF_JAVASCRIPT | SANITIZE_PDF_LAUNCH;
    JsonObject *o = disarm_info_json(i);
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    char *text = util_json_text(n, false, NULL);
    assert_string_equal(
        text, "{\"removed\":[\"pdf-javascript\",\"pdf-launch\"],\"original\":{"
              "\"sha256\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
              "\"size\":1234,\"type\":\"application/pdf\"}}");
    g_free(text);
    json_node_unref(n);
    disarm_info_free(i);
    disarm_info_free(NULL);
}

/* No pool: a PDF that policy wants sanitized is held back, not passed unchecked; with
 * pdf=allow it passes; malware is never touched. */
static void test_no_worker(void **state)
{
    (void)state;
    struct policy *pol = NULL;
    const char *src = getenv("KIOSK_SRCDIR");
    char *path = g_build_filename(src && *src ? src : ".", "data", "policy.conf", NULL);
    assert_int_equal(policy_load(path, &pol, NULL), 0);
    g_free(path);
    struct disarm_ctx d = {.policy = pol, .pool = NULL, .spoolfd = -1, .timeout_ms = 1000};
    struct session_file f = {
        .path = "a.pdf", .display = "a.pdf", .type = "application/pdf", .spool_name = "0"};
    verdict_set(&f.verdict, VERDICT_CLEAN, NULL);
    disarm_file(&d, &f);
    assert_int_equal(f.verdict.kind, VERDICT_ERROR);
    assert_non_null(strstr(f.verdict.reason, "no sandboxed worker"));
    verdict_set(&f.verdict, VERDICT_INFECTED, "Eicar");
    disarm_file(&d, &f);
    assert_int_equal(f.verdict.kind, VERDICT_INFECTED);
    pol->pdf = POLICY_DISARM_ALLOW;
    verdict_set(&f.verdict, VERDICT_CLEAN, NULL);
    disarm_file(&d, &f);
    assert_int_equal(f.verdict.kind, VERDICT_CLEAN);
    /* Office 97-2003 with macros under macros=sanitize: held back, told why */
    struct session_file g = {
        .path = "a.xls", .display = "a.xls", .type = "application/vnd.ms-excel", .spool_name = "1"};
    verdict_from_clamav(CL_VIRUS, "Heuristics.OLE2.ContainsMacros", &g.verdict);
    disarm_file(&d, &g);
    assert_int_equal(g.verdict.kind, VERDICT_BLOCKED);
    assert_string_equal(g.verdict.why.code, "disarm.ole2-macros");
    assert_non_null(strstr(g.verdict.reason, "Office 97-2003"));
    policy_free(pol);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_copy_name),
        cmocka_unit_test(test_info_json),
        cmocka_unit_test(test_no_worker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_sanitize.c - what both sanitizers share (scanner/sanitize.c): the words for what
 * was removed, and the service's check of an answer from a worker that may lie. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common/kerr.h"
#include "scanner/sanitize.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void test_words(void **state)
{
    (void)state;
    char buf[256];
    assert_string_equal(sanitize_removed_id(SANITIZE_VBA), "vba-macros");
    assert_string_equal(sanitize_removed_id(SANITIZE_PDF_LAUNCH), "pdf-launch");
    assert_null(sanitize_removed_id(1u << 30));
    assert_null(sanitize_removed_text(0));
    sanitize_removed_describe(SANITIZE_VBA | SANITIZE_ACTIVEX, buf, sizeof(buf));
    assert_string_equal(buf, "VBA macros, ActiveX controls");
    sanitize_removed_describe(SANITIZE_VBA | SANITIZE_ACTIVEX, buf, 12); /* cut, terminated */
    assert_true(strlen(buf) < 12);
    assert_string_equal(sanitize_family_ext(SANITIZE_FAMILY_XLSX), "xlsx");
    assert_string_equal(sanitize_family_ext(SANITIZE_FAMILY_PDF), "pdf");
    assert_null(sanitize_family_ext(SANITIZE_FAMILY_NONE));
    assert_null(sanitize_family_ext(SANITIZE_FAMILY_COUNT));
    /* every bit of both masks has a word */
    for (uint32_t b = 1; b; b <<= 1)
        if (b & (SANITIZE_OOXML_MASK | SANITIZE_PDF_MASK))
            assert_non_null(sanitize_removed_text(b));
}

static void test_result_check(void **state)
{
    (void)state;
    struct sanitize_result r;
#define RESET() memset(&r, 0, sizeof(r))
    RESET();
    assert_null(sanitize_result_check(&r, SANITIZE_OOXML, SANITIZE_REWRITE)); /* nothing */
    r.removed = SANITIZE_VBA;
    assert_non_null(sanitize_result_check(&r, SANITIZE_OOXML, SANITIZE_REWRITE));
    r.status = SANITIZE_REWRITTEN;
    r.family = SANITIZE_FAMILY_XLSX;
    r.size = 100;
    assert_null(sanitize_result_check(&r, SANITIZE_OOXML, SANITIZE_REWRITE));
    assert_non_null(sanitize_result_check(&r, SANITIZE_OOXML, SANITIZE_CHECK)); /* not asked */
    r.family = SANITIZE_FAMILY_PDF;
    assert_non_null(sanitize_result_check(&r, SANITIZE_OOXML, SANITIZE_REWRITE));
    r.family = (enum sanitize_family)99;
    assert_non_null(sanitize_result_check(&r, SANITIZE_OOXML, SANITIZE_REWRITE));
    r.family = SANITIZE_FAMILY_XLSX;
    r.size = 0;
    assert_non_null(sanitize_result_check(&r, SANITIZE_OOXML, SANITIZE_REWRITE));
    r.size = 100;
    r.removed = SANITIZE_PDF_JAVASCRIPT; /* a PDF bit for an Office file */
    assert_non_null(sanitize_result_check(&r, SANITIZE_OOXML, SANITIZE_REWRITE));
    r.removed = 1u << 5; /* inside the mask, but no such thing */
    assert_non_null(sanitize_result_check(&r, SANITIZE_OOXML, SANITIZE_REWRITE));
    RESET();
    r.status = SANITIZE_FOUND;
    r.removed = SANITIZE_PDF_XFA;
    assert_null(sanitize_result_check(&r, SANITIZE_PDF, SANITIZE_CHECK));
    assert_non_null(sanitize_result_check(&r, SANITIZE_PDF, SANITIZE_REWRITE));
    RESET();
    r.status = SANITIZE_REFUSED;
    assert_non_null(sanitize_result_check(&r, SANITIZE_PDF, SANITIZE_REWRITE)); /* no reason */
    strcpy(r.reason, "damaged");
    assert_null(sanitize_result_check(&r, SANITIZE_PDF, SANITIZE_REWRITE));
    r.reason[2] = '\n';
    assert_non_null(sanitize_result_check(&r, SANITIZE_PDF, SANITIZE_REWRITE));
    memset(r.reason, 'a', sizeof(r.reason)); /* not terminated */
    assert_non_null(sanitize_result_check(&r, SANITIZE_PDF, SANITIZE_REWRITE));
    RESET();
    r.status = (enum sanitize_status)9;
    assert_non_null(sanitize_result_check(&r, SANITIZE_PDF, SANITIZE_REWRITE));
    RESET();
    strcpy(r.reason, "x"); /* nothing, with a reason */
    assert_non_null(sanitize_result_check(&r, SANITIZE_PDF, SANITIZE_REWRITE));
}

static void test_fd(void **state)
{
    (void)state;
    struct sanitize_limits lim;
    struct sanitize_result r;
    sanitize_limits_default(&lim, 1 << 20, 4 << 20, 100);
    assert_true(lim.max_output > lim.max_input);
    int in = memfd_create("in", MFD_CLOEXEC);
    assert_int_equal(sanitize_fd(SANITIZE_NONE, SANITIZE_CHECK, in, -1, &lim, &r), KERR_INVAL);
    assert_int_equal(r.status, SANITIZE_REFUSED);
    assert_int_equal(sanitize_fd(SANITIZE_PDF, SANITIZE_REWRITE, in, -1, &lim, &r), KERR_INVAL);
    assert_int_equal(sanitize_fd(SANITIZE_PDF, SANITIZE_CHECK, in, -1, &lim, &r), 0);
    assert_int_equal(r.status, SANITIZE_REFUSED); /* empty */
    assert_non_null(strstr(r.reason, "empty"));
    assert_int_equal(ftruncate(in, 2 << 20), 0);
    assert_int_equal(sanitize_fd(SANITIZE_OOXML, SANITIZE_CHECK, in, -1, &lim, &r), 0);
    assert_int_equal(r.status, SANITIZE_REFUSED);
    assert_non_null(strstr(r.reason, "too large"));
    close(in);
    /* the copy stops at max_output */
    int out = memfd_create("out", MFD_CLOEXEC);
    memset(&r, 0, sizeof(r));
    lim.max_output = 10;
    assert_true(sanitize_write(out, "0123456789", 10, &lim, &r));
    assert_false(sanitize_write(out, "x", 1, &lim, &r));
    assert_int_equal(r.status, SANITIZE_REFUSED);
    close(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_result_check),
        cmocka_unit_test(test_fd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

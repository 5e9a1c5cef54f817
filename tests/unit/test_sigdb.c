/* test_sigdb.c - the signature freshness gate (sigdb_too_old on scanner_db_describe):
 * what the age of a signature folder is measured from.  Official databases by the build
 * time in their header (daily's, as libclamav itself judges; without a daily, the oldest),
 * plain signature files by their own time, allow-lists never; the bundled test database
 * is exempt only by its exact bytes, not by a name. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "common/util.h"
#include "admin/sigdb.h"
#include "scanner/scanner.h"

#define DAY (24 * 60 * 60)
#define MAX_AGE 7

static char *dir;
static int64_t now;

static int setup(void **state)
{
    (void)state;
    dir = g_strdup("/tmp/test_sigdb.XXXXXX");
    now = (int64_t)time(NULL);
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    util_rm_rf(dir);
    g_clear_pointer(&dir, g_free);
    return 0;
}

/* NAME in the folder with TEXT, its mtime AGE_DAYS ago. */
static void put(const char *name, const char *text, int age_days)
{
    char *p = g_build_filename(dir, name, NULL);
    assert_true(g_file_set_contents(p, text, -1, NULL));
    struct timespec ts[2] = {{.tv_sec = now - (int64_t)age_days * DAY},
                             {.tv_sec = now - (int64_t)age_days * DAY}};
    assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
    g_free(p);
}

/* A .cvd/.cld header (what cl_cvdhead reads: 512 bytes of colon-separated fields, the
 * 9th the build time) built AGE_DAYS ago; the body does not matter here. */
static void put_cvd(const char *name, unsigned version, int age_days)
{
    char hdr[513];
    int n = snprintf(hdr, sizeof(hdr),
                     "ClamAV-VDB:01 Jan 2026 00-00 +0000:%u:1000:90:"
                     "00000000000000000000000000000000:x:kiosk-test:%lld",
                     version, (long long)(now - (int64_t)age_days * DAY));
    memset(hdr + n, ' ', sizeof(hdr) - 1 - (size_t)n);
    hdr[512] = '\0';
    put(name, hdr, 0);
}

/* The repository's test database, copied under NAME (same bytes). */
static void put_bundled(const char *file, const char *name, int age_days)
{
    const char *src = getenv("KIOSK_SRCDIR");
    char *p = g_build_filename(src ? src : ".", "tests", "data", "signatures", file, NULL);
    char *text = NULL;
    assert_true(g_file_get_contents(p, &text, NULL, NULL));
    put(name, text, age_days);
    g_free(text);
    g_free(p);
}

static bool too_old(int64_t *days, struct scanner_info *out)
{
    struct scanner_info si;
    memset(&si, 0, sizeof(si));
    assert_int_equal(scanner_db_describe(dir, &si), 0);
    if (out)
        *out = si;
    return sigdb_too_old(&si, MAX_AGE, now, days);
}

/* A fresh allow-list must not hide a months-old database. */
static void test_old_hdb_new_ign2_is_old(void **state)
{
    (void)state;
    int64_t days;
    put("site.hdb", "44d88612fea8a8f36de82e1278abb02f:68:Site.Test\n", 90);
    put("site.ign2", "Site.Test\n", 0);
    put("site.fp", "44d88612fea8a8f36de82e1278abb02f:68:ok\n", 0);
    put("site.sfp", "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f:68:ok\n", 0);
    assert_true(too_old(&days, NULL));
    assert_int_equal(days, 90);
}

/* Plain signature files count by their own time: the oldest decides. */
static void test_plain_oldest_decides(void **state)
{
    (void)state;
    int64_t days;
    put("new.ndb", "Site.New:0:*:414243\n", 1);
    put("old.hdb", "44d88612fea8a8f36de82e1278abb02f:68:Site.Old\n", 20);
    assert_true(too_old(&days, NULL));
    assert_int_equal(days, 20);
    put("old.hdb", "44d88612fea8a8f36de82e1278abb02f:68:Site.Old\n", 2);
    assert_false(too_old(&days, NULL));
    assert_int_equal(days, 2);
}

/* Allow-lists alone: no signature time at all, so the age is unknown (out of service). */
static void test_only_allow_lists_unknown(void **state)
{
    (void)state;
    int64_t days;
    put("site.ign2", "Site.Test\n", 0);
    assert_true(too_old(&days, NULL));
    assert_int_equal(days, -1);
}

/* A name is not an exemption: "kiosk-test*" files that are not the bundled bytes are
 * judged like any database, and are not TEST SIGNATURES. */
static void test_kiosk_test_name_not_exempt(void **state)
{
    (void)state;
    int64_t days;
    struct scanner_info si;
    put("kiosk-test.hdb", "44d88612fea8a8f36de82e1278abb02f:68:Not.The.Bundled.One\n", 30);
    put("kiosk-test-site.ndb", "Site.New:0:*:414243\n", 30);
    assert_true(too_old(&days, &si));
    assert_int_equal(days, 30);
    assert_false(si.test_signatures);
}

/* The bundled test database, byte for byte: TEST SIGNATURES, and exempt from the age. */
static void test_bundled_exempt_by_hash(void **state)
{
    (void)state;
    int64_t days;
    struct scanner_info si;
    put_bundled("kiosk-test.hdb", "kiosk-test.hdb", 30);
    put_bundled("kiosk-test.hsb", "kiosk-test.hsb", 30);
    put_bundled("kiosk-test.ndb", "kiosk-test.ndb", 30);
    assert_false(too_old(&days, &si));
    assert_true(si.test_signatures);
    /* ... but it exempts only itself: an old real database beside it is still old. */
    put("site.hdb", "44d88612fea8a8f36de82e1278abb02f:68:Site.Test\n", 30);
    assert_true(too_old(&days, &si));
    assert_int_equal(days, 30);
    assert_true(si.test_signatures);
}

/* The same bytes under another name are an ordinary plain database. */
static void test_bundled_bytes_renamed_not_exempt(void **state)
{
    (void)state;
    int64_t days;
    struct scanner_info si;
    put_bundled("kiosk-test.hdb", "site.hdb", 30);
    assert_true(too_old(&days, &si));
    assert_false(si.test_signatures);
}

/* Official databases: main.cvd is rebuilt rarely (months), daily several times a day;
 * the age is daily's, as libclamav judges it.  A fresh local file does not rejuvenate an
 * old daily, nor does an old local file age a fresh one. */
static void test_cvd_daily_decides(void **state)
{
    (void)state;
    int64_t days;
    put_cvd("main.cvd", 62, 400);
    put_cvd("bytecode.cvd", 335, 200);
    put_cvd("daily.cld", 27800, 1);
    put("local.hdb", "44d88612fea8a8f36de82e1278abb02f:68:Site.Test\n", 60);
    put("local.ign2", "Site.Test\n", 0);
    assert_false(too_old(&days, NULL));
    assert_int_equal(days, 1);
    put_cvd("daily.cld", 27700, 30);
    put("local.hdb", "44d88612fea8a8f36de82e1278abb02f:68:Site.Test\n", 0);
    assert_true(too_old(&days, NULL));
    assert_int_equal(days, 30);
}

/* Without a daily database, the oldest official database decides. */
static void test_cvd_without_daily_oldest(void **state)
{
    (void)state;
    int64_t days;
    put_cvd("main.cvd", 62, 400);
    put_cvd("bytecode.cvd", 335, 2);
    assert_true(too_old(&days, NULL));
    assert_int_equal(days, 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_old_hdb_new_ign2_is_old, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_oldest_decides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_only_allow_lists_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kiosk_test_name_not_exempt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bundled_exempt_by_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bundled_bytes_renamed_not_exempt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cvd_daily_decides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cvd_without_daily_oldest, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

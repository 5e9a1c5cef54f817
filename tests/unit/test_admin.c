/* test_admin.c - administrator password rules, Argon2id storage, lockout and its expiry,
 * the audit trail of failures, and the signature database freshness helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <valgrind/valgrind.h>

#include <glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/kerr.h"
#include "common/util.h"
#include "admin/admin.h"
#include "kiosk/audit.h"
#include "admin/sigdb.h"

#define GOOD "Quay-Crane#2024"

struct fixture {
    char *dir, *state, *log;
    struct audit *a;
};

static int setup(void **state)
{
    struct fixture *f = g_new0(struct fixture, 1);
    f->dir = g_dir_make_tmp("test_admin.XXXXXX", NULL);
    assert_non_null(f->dir);
    f->state = g_build_filename(f->dir, "state", "admin.state", NULL);
    f->log = g_build_filename(f->dir, "audit.jsonl", NULL);
    assert_int_equal(audit_open(f->log, &f->a), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    audit_close(f->a);
    util_rm_rf(f->dir);
    g_free(f->dir);
    g_free(f->state);
    g_free(f->log);
    g_free(f);
    return 0;
}

static void expect_rule(const char *pw, const char *missing)
{
    char *why = NULL;
    if (!missing) {
        assert_int_equal(admin_password_check(pw, &why), 0);
        assert_null(why);
        return;
    }
    assert_int_equal(admin_password_check(pw, &why), KERR_INVAL);
    assert_non_null(why);
    if (!strstr(why, missing))
        fail_msg("\"%s\": expected \"%s\" in \"%s\"", pw, missing, why);
    g_free(why);
}

static void test_password_rules(void **state)
{
    (void)state;
    expect_rule(GOOD, NULL);
    expect_rule("Aa1!Aa1!Aa1!", NULL);           /* exactly 12 */
    expect_rule("Aa1!Aa1!Aa1", "at least 12");   /* 11 */
    expect_rule("quay-crane#2024", "upper-case");
    expect_rule("QUAY-CRANE#2024", "lower-case");
    expect_rule("Quay-Crane#abcd", "a digit");
    expect_rule("QuayCrane20245", "a symbol");
    expect_rule("Quay Crane 2024", "a symbol");  /* a space is not a symbol */
    expect_rule("Quay-Crane#20\t24", "control");
    expect_rule("", "at least 12");
    expect_rule("Kaikyō-港湾#2024", NULL);       /* UTF-8 counts characters */
}

static void test_set_and_login(void **state)
{
    struct fixture *f = *state;
    struct admin_login_result r;
    char *why = NULL;
    /* no password yet */
    assert_int_equal(admin_login(f->state, 60, GOOD, f->a, "test", &r, &why), 0);
    assert_false(r.ok);
    assert_true(r.no_password);
    /* weak: refused, nothing stored */
    assert_int_equal(admin_set_password(f->state, "short", f->a, "test", &why), KERR_INVAL);
    g_clear_pointer(&why, g_free);
    assert_false(g_file_test(f->state, G_FILE_TEST_EXISTS));
    assert_int_equal(admin_set_password(f->state, GOOD, f->a, "test", &why), 0);
    struct stat st;
    assert_int_equal(stat(f->state, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *text = NULL;
    assert_true(g_file_get_contents(f->state, &text, NULL, NULL));
    assert_non_null(strstr(text, "$argon2id$"));
    assert_null(strstr(text, GOOD)); /* only the hash */
    g_free(text);
    assert_int_equal(admin_login(f->state, 60, GOOD, f->a, "test", &r, &why), 0);
    assert_true(r.ok);
    assert_int_equal(admin_login(f->state, 60, "Quay-Crane#2025", f->a, "test", &r, &why), 0);
    assert_false(r.ok);
    assert_int_equal(r.remaining, ADMIN_MAX_FAILURES - 1);
    /* a right password resets the count */
    assert_int_equal(admin_login(f->state, 60, GOOD, f->a, "test", &r, &why), 0);
    assert_true(r.ok);
    assert_int_equal(r.failures, 0);
}

static void test_lockout_and_expiry(void **state)
{
    struct fixture *f = *state;
    struct admin_login_result r;
    char *why = NULL;
    /* Argon2id under valgrind takes seconds per attempt: a longer lockout there, so it
     * has not already expired when the right password is tried during it. */
    int lock_s = RUNNING_ON_VALGRIND ? 30 : 5; /* a loaded machine hashes slowly too */
    assert_int_equal(admin_set_password(f->state, GOOD, f->a, "test", &why), 0);
    for (int i = 1; i <= ADMIN_MAX_FAILURES; i++) {
        assert_int_equal(admin_login(f->state, lock_s, "wrong", f->a, "test", &r, &why), 0);
        assert_false(r.ok);
        assert_int_equal(r.locked, i == ADMIN_MAX_FAILURES);
    }
    assert_true(r.retry_after > 0 && r.retry_after <= lock_s);
    char *msg = admin_login_message(&r);
    assert_non_null(strstr(msg, "locked"));
    g_free(msg);
    /* locked: even the right password is refused */
    assert_int_equal(admin_login(f->state, lock_s, GOOD, f->a, "test", &r, &why), 0);
    assert_false(r.ok);
    assert_true(r.locked);
    struct admin_login_result peek;
    assert_int_equal(admin_state_peek(f->state, &peek, &why), 0);
    assert_true(peek.locked);
    sleep((unsigned)lock_s + 1);
    assert_int_equal(admin_login(f->state, lock_s, GOOD, f->a, "test", &r, &why), 0);
    assert_true(r.ok);
    assert_false(r.locked);
    /* the audit log has every failure, and its chain holds */
    uint64_t records = 0, bad = 0;
    assert_int_equal(audit_verify(f->log, &records, &bad, &why), 0);
    char *log = NULL;
    assert_true(g_file_get_contents(f->log, &log, NULL, NULL));
    int failed = 0, locked = 0;
    for (char *p = log; (p = strstr(p, "\"type\":\"admin-login-failed\"")); p++) {
        failed++;
        char *eol = strchr(p, '\n');
        char *lk = strstr(p, "\"result\":\"locked\"");
        if (lk && (!eol || lk < eol))
            locked++;
    }
    assert_int_equal(failed, ADMIN_MAX_FAILURES + 1);
    assert_int_equal(locked, 1);
    assert_null(strstr(log, GOOD));
    g_free(log);
}

static void test_state_file_must_be_private(void **state)
{
    struct fixture *f = *state;
    struct admin_login_result r;
    char *why = NULL;
    assert_int_equal(admin_set_password(f->state, GOOD, f->a, "test", &why), 0);
    assert_int_equal(chmod(f->state, 0644), 0);
    assert_int_equal(admin_login(f->state, 60, GOOD, f->a, "test", &r, &why), KERR_INVAL);
    assert_false(r.ok);
    assert_non_null(why);
    g_free(why);
}

/* The rollback floor and the audit head live in the same root-only file and survive
 * everything the password side does to it (set-password, failed logins); both only move
 * forward. */
static void test_floor_and_head_kept(void **state)
{
    struct fixture *f = *state;
    struct admin_login_result r;
    char *why = NULL, hash[65];
    uint64_t v = 99, seq = 99;
    const char *h1 = "1111111111111111111111111111111111111111111111111111111111111111";
    const char *h2 = "2222222222222222222222222222222222222222222222222222222222222222";

    assert_int_equal(admin_state_policy_floor(f->state, &v, &why), 0); /* no file: none */
    assert_int_equal(v, 0);
    assert_int_equal(admin_state_raise_policy_floor(f->state, 5, &why), 0);
    assert_int_equal(admin_state_raise_policy_floor(f->state, 3, &why), 0); /* never lowered */
    assert_int_equal(admin_state_save_audit_head(f->state, 10, h1, &why), 0);
    assert_int_equal(admin_state_save_audit_head(f->state, 7, h2, &why), KERR_CORRUPT);
    assert_non_null(strstr(why, "cut or replaced"));
    g_clear_pointer(&why, g_free);
    assert_int_equal(admin_set_password(f->state, GOOD, f->a, "test", &why), 0);
    assert_int_equal(admin_login(f->state, 60, "wrong", f->a, "test", &r, &why), 0);
    assert_int_equal(admin_login(f->state, 60, GOOD, f->a, "test", &r, &why), 0);
    assert_true(r.ok);
    assert_int_equal(admin_state_policy_floor(f->state, &v, &why), 0);
    assert_int_equal(v, 5);
    assert_int_equal(admin_state_audit_head(f->state, &seq, hash, &why), 0);
    assert_int_equal(seq, 10);
    assert_string_equal(hash, h1);
    assert_int_equal(admin_state_save_audit_head(f->state, 11, h2, &why), 0);
    assert_int_equal(admin_state_audit_head(f->state, &seq, hash, &why), 0);
    assert_int_equal(seq, 11);
    assert_string_equal(hash, h2);
    struct stat st;
    assert_int_equal(stat(f->state, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_freshness(void **state)
{
    (void)state;
    struct scanner_info si = {0};
    int64_t now = 1800000000, days = 0;
    si.db_time = now - 10 * 86400 - 5;
    assert_int_equal(sigdb_age_days(&si, now), 10);
    assert_true(sigdb_too_old(&si, 7, now, &days));
    assert_int_equal(days, 10);
    assert_false(sigdb_too_old(&si, 10, now, &days));
    assert_false(sigdb_too_old(&si, 0, now, &days)); /* 0 = no check */
    si.db_time = 0;
    assert_true(sigdb_too_old(&si, 7, now, &days)); /* unknown age: fail closed */
    char *m = sigdb_old_message(12, 7);
    assert_string_equal(m, "The virus signatures are 12 days old (at most 7 allowed); call the "
                           "administrator.");
    g_free(m);
    assert_true(sigdb_is_db_name("daily.cvd"));
    assert_true(sigdb_is_db_name("extra.hdb"));
    assert_false(sigdb_is_db_name(".daily.cvd.kiosk-tmp"));
    assert_false(sigdb_is_db_name("notes.txt"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_rules),
        cmocka_unit_test_setup_teardown(test_set_and_login, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lockout_and_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_file_must_be_private, setup, teardown),
        cmocka_unit_test_setup_teardown(test_floor_and_head_kept, setup, teardown),
        cmocka_unit_test(test_freshness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_config_check.c - the table of kiosk.conf's keys (kiosk/config-check.c): every
 * problem found with its line, and the shipped data/kiosk.conf valid with every
 * commented key switched on; config_load() refuses a file with a problem. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "common/kerr.h"
#include "kiosk/config-check.h"
#include "kiosk/config.h"

/* The problems of TEXT as "LINE: message" lines. */
static char *check(const char *text)
{
    GPtrArray *p = g_ptr_array_new_with_free_func(config_problem_free);
    config_check_text(text, strlen(text), p);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < p->len; i++) {
        const struct config_problem *cp = g_ptr_array_index(p, i);
        g_string_append_printf(s, "%d: %s%s\n", cp->line, cp->warning ? "warning: " : "",
                               cp->message);
    }
    g_ptr_array_free(p, TRUE);
    return g_string_free(s, FALSE);
}

static void expect(const char *text, const char *want)
{
    char *got = check(text);
    assert_string_equal(got, want);
    g_free(got);
}

static void test_good_file(void **state)
{
    (void)state;
    expect("# comment\n\n[paths]\npolicy = /etc/kiosk/policy.conf\nsigning-key=\n"
           "[scan]\nworkers=4\nmax-signature-age-days=0\n[kiosk]\nlanguage=ja\n"
           "accept-loop-devices=false\n[devices]\nmax-size=256G\ndeny=0781:*;1234:5678:SER1\n"
           "[staging]\ntarget=smb://tos-files.example:445/quarantine/in\n"
           "outbox-max-bytes=20G\nkeep-days=0\ngroup=kiosk-tos\n[report]\nlanguage=both\n"
           "[access]\nscreen-users=kiosk-ui, 1001\n",
           "");
    expect("[staging]\ntarget=dir:/srv/kiosk/staging\r\n", "");
}

/* Typos are found, each with its line. */
static void test_problems_with_lines(void **state)
{
    (void)state;
    expect("[paths]\npolcy=/etc/kiosk/policy.conf\n[kiosk]\nlanguage=jp\n[scan]\n"
           "workers=abc\nworkers=2\n[foo]\nx=1\n",
           "2: unknown key [paths] polcy\n"
           "4: [kiosk] language: 'jp' is not one of: en, ja\n"
           "6: [scan] workers: 'abc' is not a whole number from 0 to 256\n"
           "7: [scan] workers is set twice (line 6 too)\n"
           "8: unknown section [foo]\n");
    expect("workers=2\n[scan]\nworkers=1\nworkers=3\n",
           "1: workers= comes before any [section]\n"
           "4: [scan] workers is set twice (line 3 too)\n");
    expect("[scan\n[scan]\njust words\n", "1: '[scan' is not a section header like [paths]\n"
                                          "3: 'just words' is neither a section, a key=value "
                                          "line nor a # comment\n");
}

/* One row per check kind: bad values are refused. */
static void test_bad_values(void **state)
{
    (void)state;
    expect("[scan]\nworkers=257\nmax-signature-age-days=-1\n",
           "2: [scan] workers: '257' is not a whole number from 0 to 256\n"
           "3: [scan] max-signature-age-days: '-1' is not a whole number of at least 0\n");
    expect("[paths]\nstaging=srv/kiosk\npolicy=\n",
           "2: [paths] staging: 'srv/kiosk' is not an absolute path (it must start with /)\n"
           "3: [paths] policy: needs a path, e.g. /srv/kiosk\n");
    expect("[kiosk]\naccept-loop-devices=yes\n",
           "2: [kiosk] accept-loop-devices: 'yes' is not true or false\n");
    expect("[devices]\nmax-size=lots\nallow=0781;12345:1\n",
           "2: [devices] max-size: 'lots' is not a size (a number with K, M, G or T, e.g. "
           "256G)\n"
           "3: [devices] allow: '0781' is not VID:PID or VID:PID:SERIAL (4 hex digits each, "
           "'*' for any), e.g. 0781:5567\n");
    expect("[media]\nreader-user=bad name\n[paths]\nsocket-group=-x\n",
           "2: [media] reader-user: 'bad name' is not a user name (letters, digits, '_', '-', "
           "'.')\n"
           "4: [paths] socket-group: '-x' is not a group name (letters, digits, '_', '-', '.')\n");
    expect("[media]\nreader-user=root\n",
           "2: [media] reader-user: must be an unprivileged user, not root\n");
    expect("[staging]\ntarget=ftp://x/y\n[staging2]\n",
           "2: [staging] target: 'ftp://x/y' is not dir:PATH or smb://HOST[:PORT]/SHARE/PATH\n"
           "3: unknown section [staging2]\n");
    expect("[staging]\ntarget=smb://host:99999/share\nkeep-days=x\noutbox-max-bytes=\n",
           "2: [staging] target: 'smb://host:99999/share' is not smb://HOST[:PORT]/SHARE/PATH\n"
           "3: [staging] keep-days: 'x' is not a whole number of at least 0\n"
           "4: [staging] outbox-max-bytes: '' is not a size (a number with K, M, G or T, e.g. "
           "256G)\n");
    expect("[admin]\nlockout-seconds=0\n",
           "2: [admin] lockout-seconds: '0' is not a whole number from 1 to 604800\n");
}

/* The shipped settings, with every commented-out key switched on, are valid. */
static void test_shipped_config(void **state)
{
    (void)state;
    char *text = NULL;
    assert_true(g_file_get_contents(KIOSK_SRCDIR "/data/kiosk.conf", &text, NULL, NULL));
    char *plain = check(text);
    assert_string_equal(plain, "");
    GRegex *re = g_regex_new("^#([a-z][a-z-]*=)", G_REGEX_MULTILINE, 0, NULL);
    char *on = g_regex_replace(re, text, -1, 0, "\\1", 0, NULL);
    char *all = check(on);
    assert_string_equal(all, "");
    g_free(all);
    g_free(on);
    g_regex_unref(re);
    g_free(plain);
    g_free(text);
}

/* An obsolete key is a warning: said with its line, not an error (the file stays valid,
 * config_check_text counts errors only); an error beside it still counts. */
static void test_obsolete_key_warns(void **state)
{
    (void)state;
    const char *text = "[media]\ndriver-user=kiosk-fuse\n";
    GPtrArray *p = g_ptr_array_new_with_free_func(config_problem_free);
    assert_int_equal(config_check_text(text, strlen(text), p), 0);
    assert_int_equal(p->len, 1);
    g_ptr_array_free(p, TRUE);
    expect(text, "2: warning: [media] driver-user is no longer used: filesystems are read by the "
                 "medium reader, which runs as [media] reader-user; remove this line\n");
    const char *two = "[media]\ndriver-user=kiosk-fuse\n[scan]\npolcy=x\n";
    p = g_ptr_array_new_with_free_func(config_problem_free);
    assert_int_equal(config_check_text(two, strlen(two), p), 1);
    assert_int_equal(p->len, 2);
    g_ptr_array_free(p, TRUE);
}

/* config_load() refuses a file with a problem, naming the line. */
static void test_load_refuses(void **state)
{
    (void)state;
    char *dir = g_dir_make_tmp("kiosk-cc-XXXXXX", NULL);
    char *path = g_build_filename(dir, "kiosk.conf", NULL);
    assert_true(g_file_set_contents(path, "[kiosk]\nname=Quay 2\n[scan]\npolcy=x\n", -1, NULL));
    struct kiosk_config *c = NULL;
    char *why = NULL;
    assert_int_equal(config_load(path, &c, &why), KERR_INVAL);
    assert_null(c);
    char *want = g_strdup_printf("%s:4: unknown key [scan] polcy", path);
    assert_string_equal(why, want);
    g_free(want);
    g_free(why);
    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file),    cmocka_unit_test(test_problems_with_lines),
        cmocka_unit_test(test_bad_values),   cmocka_unit_test(test_shipped_config),
        cmocka_unit_test(test_load_refuses), cmocka_unit_test(test_obsolete_key_warns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

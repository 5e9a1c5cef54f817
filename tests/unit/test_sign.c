/* test_sign.c - keys, signatures and their checks in minisign's formats. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/kerr.h"
#include "common/util.h"
#include "kiosk/sign.h"

struct fixture {
    char *dir, *sec, *pub, *file, *sig;
};

static int setup(void **state)
{
    struct fixture *f = g_new0(struct fixture, 1);
    f->dir = g_dir_make_tmp("test_sign.XXXXXX", NULL);
    assert_non_null(f->dir);
    f->sec = g_build_filename(f->dir, "k.key", NULL);
    f->pub = g_build_filename(f->dir, "k.pub", NULL);
    f->file = g_build_filename(f->dir, "MANIFEST.json", NULL);
    f->sig = g_strconcat(f->file, SIGN_SUFFIX, NULL);
    assert_true(g_file_set_contents(f->file, "{\"session\":\"x\"}\n", -1, NULL));
    char *why = NULL;
    char id[17];
    assert_int_equal(sign_keygen(f->sec, f->pub, id, &why), 0);
    assert_int_equal(strlen(id), 16);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    util_rm_rf(f->dir);
    g_free(f->dir);
    g_free(f->sec);
    g_free(f->pub);
    g_free(f->file);
    g_free(f->sig);
    g_free(f);
    return 0;
}

static void sign_it(struct fixture *f)
{
    char *why = NULL;
    assert_int_equal(sign_file_with_key_file(f->sec, f->file, &why), 0);
    assert_null(why);
}

static int verify_it(struct fixture *f, const char *pub, char **why)
{
    struct sign_pubkey pk;
    int rc = sign_key_load_public(pub, &pk, why);
    if (rc != 0)
        return rc;
    char *tc = NULL;
    rc = sign_verify_file(&pk, f->file, f->sig, &tc, why);
    if (rc == 0) {
        assert_non_null(strstr(tc, "file:MANIFEST.json"));
        g_free(tc);
    }
    return rc;
}

static void test_secret_key_is_private(void **state)
{
    struct fixture *f = *state;
    struct stat st;
    assert_int_equal(stat(f->sec, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *why = NULL;
    /* A second keygen never overwrites the key. */
    assert_int_not_equal(sign_keygen(f->sec, f->pub, NULL, &why), 0);
    assert_non_null(strstr(why, "already exists"));
    g_free(why);
    why = NULL;
    /* A key others may read is refused. */
    assert_int_equal(chmod(f->sec, 0640), 0);
    struct sign_seckey *k = NULL;
    assert_int_equal(sign_key_load_secret(f->sec, &k, &why), KERR_INVAL);
    assert_non_null(strstr(why, "chmod 600"));
    g_free(why);
    assert_int_equal(chmod(f->sec, 0600), 0);
}

static void test_sign_and_verify(void **state)
{
    struct fixture *f = *state;
    char *why = NULL;
    sign_it(f);
    assert_int_equal(verify_it(f, f->pub, &why), 0);
    /* Public key of the secret key equals the public key file. */
    struct sign_seckey *k = NULL;
    struct sign_pubkey a, b;
    assert_int_equal(sign_key_load_secret(f->sec, &k, &why), 0);
    sign_key_public_of(k, &a);
    sign_key_free(k);
    assert_int_equal(sign_key_load_public(f->pub, &b, &why), 0);
    assert_memory_equal(&a, &b, sizeof(a));
}

static void test_changed_file_fails(void **state)
{
    struct fixture *f = *state;
    char *why = NULL;
    sign_it(f);
    assert_true(g_file_set_contents(f->file, "{\"session\":\"y\"}\n", -1, NULL));
    assert_int_equal(verify_it(f, f->pub, &why), KERR_CORRUPT);
    assert_non_null(strstr(why, "does not match"));
    g_free(why);
}

/* sign_verify_data checks the bytes it is given, whatever the file holds by then. */
static void test_verify_data(void **state)
{
    struct fixture *f = *state;
    char *why = NULL;
    struct sign_pubkey pk;
    const char good[] = "{\"session\":\"x\"}\n", forged[] = "{\"session\":\"y\"}\n";
    sign_it(f);
    assert_int_equal(sign_key_load_public(f->pub, &pk, &why), 0);
    assert_int_equal(sign_verify_data(&pk, good, strlen(good), f->file, f->sig, NULL, &why), 0);
    assert_true(g_file_set_contents(f->file, forged, -1, NULL)); /* swapped after the read */
    assert_int_equal(sign_verify_data(&pk, good, strlen(good), f->file, f->sig, NULL, &why), 0);
    assert_int_equal(sign_verify_data(&pk, forged, strlen(forged), f->file, f->sig, NULL, &why),
                     KERR_CORRUPT);
    assert_non_null(strstr(why, "does not match"));
    g_free(why);
}

static void test_other_key_fails(void **state)
{
    struct fixture *f = *state;
    char *why = NULL;
    char *sec2 = g_build_filename(f->dir, "other.key", NULL);
    char *pub2 = g_build_filename(f->dir, "other.pub", NULL);
    assert_int_equal(sign_keygen(sec2, pub2, NULL, &why), 0);
    sign_it(f);
    assert_int_equal(verify_it(f, pub2, &why), KERR_CORRUPT);
    assert_non_null(strstr(why, "another key"));
    g_free(why);
    why = NULL;
    /* Same key id, other key: the signature itself must fail. */
    struct sign_pubkey real, forged;
    assert_int_equal(sign_key_load_public(f->pub, &real, &why), 0);
    assert_int_equal(sign_key_load_public(pub2, &forged, &why), 0);
    memcpy(forged.id, real.id, sizeof(forged.id));
    assert_int_equal(sign_verify_file(&forged, f->file, f->sig, NULL, &why), KERR_CORRUPT);
    g_free(why);
    g_free(sec2);
    g_free(pub2);
}

static void test_trusted_comment_protected(void **state)
{
    struct fixture *f = *state;
    char *why = NULL, *text = NULL;
    sign_it(f);
    assert_true(g_file_get_contents(f->sig, &text, NULL, NULL));
    char **parts = g_strsplit(text, "file:MANIFEST.json", 2);
    char *edited = g_strjoinv("file:EVIL.json", parts);
    g_strfreev(parts);
    assert_true(g_file_set_contents(f->sig, edited, -1, NULL));
    struct sign_pubkey pk;
    assert_int_equal(sign_key_load_public(f->pub, &pk, &why), 0);
    assert_int_equal(sign_verify_file(&pk, f->file, f->sig, NULL, &why), KERR_CORRUPT);
    assert_non_null(strstr(why, "trusted comment"));
    g_free(why);
    g_free(text);
    g_free(edited);
}

static void test_garbage_rejected(void **state)
{
    struct fixture *f = *state;
    char *why = NULL;
    struct sign_pubkey pk;
    assert_int_equal(sign_key_parse_public("hello\n", 6, &pk, &why), KERR_INVAL);
    g_free(why);
    why = NULL;
    assert_true(g_file_set_contents(f->sig, "untrusted comment: x\nAAAA\n", -1, NULL));
    assert_int_equal(sign_key_load_public(f->pub, &pk, &why), 0);
    assert_int_equal(sign_verify_file(&pk, f->file, f->sig, NULL, &why), KERR_INVAL);
    g_free(why);
    why = NULL;
    /* A bare base64 key line (as `minisign -P` takes it) is accepted. */
    char *text = NULL;
    assert_true(g_file_get_contents(f->pub, &text, NULL, NULL));
    char *line = strchr(text, '\n') + 1;
    assert_int_equal(sign_key_parse_public(line, strlen(line), &pk, &why), 0);
    g_free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_secret_key_is_private, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_and_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_file_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_key_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trusted_comment_protected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_rejected, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

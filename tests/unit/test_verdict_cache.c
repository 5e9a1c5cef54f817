/* Unit tests: scanner/verdict-cache.c - keys bind the bytes to the database and the
 * options, the LRU keeps the newest, the file survives a round trip and a damaged or
 * untrustworthy file is discarded, never trusted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/kerr.h"
#include "scanner/verdict-cache.h"

static const char *const SHA_A = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char *const SHA_B = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

struct fixture {
    char *dir, *path, *db;
};

static int setup(void **state)
{
    struct fixture *f = g_new0(struct fixture, 1);
    f->dir = g_dir_make_tmp("test-vcache-XXXXXX", NULL);
    f->path = g_build_filename(f->dir, VERDICT_CACHE_FILE, NULL);
    f->db = g_build_filename(f->dir, "db", NULL);
    g_mkdir(f->db, 0700);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    g_free(cmd);
    g_free(f->dir);
    g_free(f->path);
    g_free(f->db);
    g_free(f);
    return 0;
}

static void ctx_for(const struct scanner_info *info, const struct scanner_opts *o, unsigned char out[32])
{
    unsigned char dbid[32];
    memset(dbid, 7, sizeof(dbid));
    verdict_cache_context(dbid, info, o, out);
}

static void test_key_binds_everything(void **state)
{
    (void)state;
    struct scanner_info info = {.engine_version = "1.4.6", .db_version = "daily:1", .signatures = 10};
    struct scanner_opts o = {.max_filesize = 100, .max_scansize = 200, .max_recursion = 17,
                             .max_files = 10000, .max_scantime = 120000, .block_macros = true};
    unsigned char c0[32], c1[32], k0[32], k1[32];
    ctx_for(&info, &o, c0);
    assert_true(verdict_cache_key(c0, SHA_A, 5, k0));
    assert_true(verdict_cache_key(c0, SHA_A, 5, k1));
    assert_memory_equal(k0, k1, 32);
    assert_true(verdict_cache_key(c0, SHA_A, 6, k1)); /* size */
    assert_memory_not_equal(k0, k1, 32);
    assert_true(verdict_cache_key(c0, SHA_B, 5, k1)); /* digest */
    assert_memory_not_equal(k0, k1, 32);
    /* Each part of the context changes the key. */
    struct scanner_info i2 = info;
    g_strlcpy(i2.db_version, "daily:2", sizeof(i2.db_version));
    ctx_for(&i2, &o, c1);
    assert_memory_not_equal(c0, c1, 32);
    struct scanner_opts o2 = o;
    o2.max_scansize++;
    ctx_for(&info, &o2, c1);
    assert_memory_not_equal(c0, c1, 32);
    o2 = o;
    o2.block_encrypted = true;
    ctx_for(&info, &o2, c1);
    assert_memory_not_equal(c0, c1, 32);
    /* tmpdir is not part of it. */
    o2 = o;
    o2.tmpdir = "/elsewhere";
    ctx_for(&info, &o2, c1);
    assert_memory_equal(c0, c1, 32);
    /* Not a digest: no key. */
    assert_false(verdict_cache_key(c0, "xyz", 5, k1));
    assert_false(verdict_cache_key(c0, "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                                   5, k1));
}

static void key_n(unsigned n, unsigned char k[32])
{
    memset(k, 0, 32);
    memcpy(k, &n, sizeof(n));
    k[31] = 0x5a;
}

static void test_lru_and_round_trip(void **state)
{
    struct fixture *f = *state;
    struct verdict_cache *c = NULL;
    char *why = NULL;
    unsigned char k[32];
    assert_int_equal(verdict_cache_open(f->path, 3, &c, &why), 0);
    for (unsigned i = 1; i <= 3; i++) {
        key_n(i, k);
        verdict_cache_insert(c, k);
    }
    key_n(1, k);
    assert_true(verdict_cache_lookup(c, k)); /* 1 is now the newest: 2 goes first */
    key_n(4, k);
    verdict_cache_insert(c, k);
    key_n(2, k);
    assert_false(verdict_cache_lookup(c, k));
    struct verdict_cache_stats st;
    verdict_cache_get_stats(c, &st);
    assert_int_equal(st.entries, 3);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.lookups, 2);
    assert_int_equal(verdict_cache_save(c, &why), 0);
    verdict_cache_free(c);

    struct stat sb;
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(verdict_cache_describe(f->path, &st, &why), 0);
    assert_int_equal(st.entries, 3);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.lookups, 2);

    /* Reloaded with a smaller cap: the least recently used (3) goes, order kept. */
    assert_int_equal(verdict_cache_open(f->path, 2, &c, &why), 0);
    key_n(3, k);
    assert_false(verdict_cache_lookup(c, k));
    key_n(1, k);
    assert_true(verdict_cache_lookup(c, k));
    key_n(4, k);
    assert_true(verdict_cache_lookup(c, k));
    verdict_cache_free(c);
}

static void write_cache(struct fixture *f)
{
    struct verdict_cache *c = NULL;
    char *why = NULL;
    unsigned char k[32];
    assert_int_equal(verdict_cache_open(f->path, 10, &c, &why), 0);
    key_n(9, k);
    verdict_cache_insert(c, k);
    assert_int_equal(verdict_cache_save(c, &why), 0);
    verdict_cache_free(c);
}

static void expect_discarded(struct fixture *f)
{
    struct verdict_cache *c = NULL;
    struct verdict_cache_stats st;
    char *why = NULL;
    unsigned char k[32];
    assert_int_equal(verdict_cache_describe(f->path, &st, &why), KERR_CORRUPT);
    assert_non_null(why);
    g_free(why);
    why = NULL;
    assert_int_equal(verdict_cache_open(f->path, 10, &c, &why), 0); /* never fails for it */
    key_n(9, k);
    assert_false(verdict_cache_lookup(c, k));
    /* The next save replaces it with a good file. */
    assert_int_equal(verdict_cache_save(c, &why), 0);
    verdict_cache_free(c);
    assert_int_equal(verdict_cache_describe(f->path, &st, &why), 0);
}

static void test_flipped_byte_discarded(void **state)
{
    struct fixture *f = *state;
    char *buf = NULL;
    gsize len = 0;
    write_cache(f);
    assert_true(g_file_get_contents(f->path, &buf, &len, NULL));
    for (gsize pos = 0; pos < len; pos++) {
        buf[pos] ^= 0x01; /* every single position, header, key and checksum */
        assert_true(g_file_set_contents_full(f->path, buf, (gssize)len, G_FILE_SET_CONTENTS_NONE,
                                             0600, NULL));
        struct verdict_cache_stats st;
        char *why = NULL;
        assert_int_equal(verdict_cache_describe(f->path, &st, &why), KERR_CORRUPT);
        g_free(why);
        buf[pos] ^= 0x01;
    }
    assert_true(g_file_set_contents_full(f->path, buf, (gssize)len, G_FILE_SET_CONTENTS_NONE, 0600,
                                         NULL));
    buf[len / 2] ^= 0x80;
    assert_true(g_file_set_contents_full(f->path, buf, (gssize)len, G_FILE_SET_CONTENTS_NONE, 0600,
                                         NULL));
    expect_discarded(f);
    /* Truncated, and extended. */
    assert_true(g_file_set_contents_full(f->path, buf, (gssize)len - 1, G_FILE_SET_CONTENTS_NONE,
                                         0600, NULL));
    expect_discarded(f);
    g_free(buf);
}

static void test_untrusted_mode_discarded(void **state)
{
    struct fixture *f = *state;
    write_cache(f);
    assert_int_equal(chmod(f->path, 0666), 0);
    expect_discarded(f);
    /* A symlink is not followed. */
    char *other = g_build_filename(f->dir, "other", NULL);
    assert_int_equal(rename(f->path, other), 0);
    assert_int_equal(symlink(other, f->path), 0);
    struct verdict_cache_stats st;
    char *why = NULL;
    assert_int_equal(verdict_cache_describe(f->path, &st, &why), KERR_CORRUPT);
    g_free(why);
    unlink(f->path);
    assert_int_equal(verdict_cache_describe(f->path, &st, &why), KERR_NOT_FOUND);
    g_free(other);
}

static void test_db_identity(void **state)
{
    struct fixture *f = *state;
    unsigned char a[32], b[32], s0[32], s1[32];
    char *sig = g_build_filename(f->db, "x.ndb", NULL);
    assert_true(g_file_set_contents(sig, "Sig.A:0:*:41414141\n", -1, NULL));
    assert_int_equal(verdict_cache_db_identity(f->db, true, a), 0);
    assert_int_equal(verdict_cache_db_identity(f->db, false, s0), 0);
    assert_int_equal(verdict_cache_db_identity(f->db, true, b), 0);
    assert_memory_equal(a, b, 32);
    /* Same size, same mtime, other bytes: the content identity still changes. */
    struct stat st;
    assert_int_equal(stat(sig, &st), 0);
    int fd = open(sig, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "B", 1, 4), 1);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    assert_int_equal(futimens(fd, ts), 0);
    close(fd);
    assert_int_equal(verdict_cache_db_identity(f->db, true, b), 0);
    assert_memory_not_equal(a, b, 32);
    assert_int_equal(verdict_cache_db_identity(f->db, false, s1), 0);
    assert_memory_equal(s0, s1, 32); /* what the stat identity cannot see */
    /* A new file changes both. */
    char *sig2 = g_build_filename(f->db, "y.hdb", NULL);
    assert_true(g_file_set_contents(sig2, "", -1, NULL));
    assert_int_equal(verdict_cache_db_identity(f->db, false, s1), 0);
    assert_memory_not_equal(s0, s1, 32);
    assert_int_equal(verdict_cache_db_identity("/nonexistent/db", true, a), -1);
    g_free(sig);
    g_free(sig2);
}

static void test_bad_arguments(void **state)
{
    struct fixture *f = *state;
    struct verdict_cache *c = NULL;
    char *why = NULL;
    assert_int_equal(verdict_cache_open(f->path, 0, &c, &why), KERR_INVAL);
    assert_null(c);
    g_free(why);
    why = NULL;
    assert_int_equal(verdict_cache_open("", 10, &c, &why), KERR_INVAL);
    g_free(why);
    verdict_cache_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_binds_everything),
        cmocka_unit_test_setup_teardown(test_lru_and_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flipped_byte_discarded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_untrusted_mode_discarded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

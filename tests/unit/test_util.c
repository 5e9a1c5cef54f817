/* Unit tests: common/util.c - the folder listing and the copy loop the hand-off and the
 * signature install share (util_opendir_at, util_dir_names, util_copy_fd): the caller's
 * folder descriptor stays open, "." and ".." never listed, every byte copied and summed,
 * a failed read or write told apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/kerr.h"
#include "common/util.h"

static char *make_tree(void)
{
    char *dir = g_dir_make_tmp("test_util-XXXXXX", NULL);
    assert_non_null(dir);
    for (const char *const *n = (const char *const[]){"b", "a", ".hidden", NULL}; *n; n++) {
        char *p = g_build_filename(dir, *n, NULL);
        assert_true(g_file_set_contents(p, *n, -1, NULL));
        g_free(p);
    }
    char *sub = g_build_filename(dir, "sub", NULL);
    assert_int_equal(mkdir(sub, 0700), 0);
    g_free(sub);
    return dir;
}

static gint by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_dir_names(void **state)
{
    (void)state;
    char *dir = make_tree();
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    GPtrArray *names = util_dir_names(fd);
    assert_non_null(names);
    g_ptr_array_sort(names, by_name);
    assert_int_equal(names->len, 4);
    assert_string_equal(g_ptr_array_index(names, 0), ".hidden");
    assert_string_equal(g_ptr_array_index(names, 1), "a");
    assert_string_equal(g_ptr_array_index(names, 2), "b");
    assert_string_equal(g_ptr_array_index(names, 3), "sub");
    g_ptr_array_free(names, TRUE);
    /* The caller's descriptor is still open and still at the folder. */
    struct stat st;
    assert_int_equal(fstatat(fd, "a", &st, AT_SYMLINK_NOFOLLOW), 0);
    DIR *d = util_opendir_at(fd);
    assert_non_null(d);
    closedir(d);
    assert_int_equal(fstatat(fd, "sub", &st, AT_SYMLINK_NOFOLLOW), 0);
    close(fd);
    util_rm_rf(dir);
    g_free(dir);
}

static void test_dir_names_not_a_folder(void **state)
{
    (void)state;
    int fd = memfd_create("test_util", MFD_CLOEXEC);
    assert_true(fd >= 0);
    errno = 0;
    assert_null(util_dir_names(fd));
    assert_int_equal(errno, ENOTDIR);
    assert_null(util_opendir_at(-1));
    assert_int_equal(errno, EBADF);
    close(fd);
}

static void test_copy_fd(void **state)
{
    (void)state;
    int in = memfd_create("in", MFD_CLOEXEC), out = memfd_create("out", MFD_CLOEXEC);
    assert_true(in >= 0 && out >= 0);
    char data[10000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)(i * 7);
    assert_int_equal(util_write_all(in, data, sizeof(data)), 0);
    assert_int_equal(lseek(in, 0, SEEK_SET), 0);
    char buf[333]; /* smaller than the data: several rounds */
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    bool write_failed = true;
    assert_int_equal(util_copy_fd(in, out, buf, sizeof(buf), sum, &write_failed), 0);
    char want[65], back[65];
    util_sha256_hex(data, sizeof(data), want);
    assert_string_equal(g_checksum_get_string(sum), want);
    assert_int_equal(lseek(out, 0, SEEK_SET), 0);
    assert_int_equal(util_sha256_fd(out, back), 0);
    assert_string_equal(back, want);
    g_checksum_free(sum);

    /* Reading fails: a write-only descriptor; writing fails: a read-only one. */
    int wo = open("/dev/null", O_WRONLY | O_CLOEXEC), ro = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    assert_true(wo >= 0 && ro >= 0);
    assert_int_equal(util_copy_fd(wo, out, buf, sizeof(buf), NULL, &write_failed), KERR_SYSTEM);
    assert_false(write_failed);
    assert_int_equal(util_copy_fd(ro, ro, buf, sizeof(buf), NULL, &write_failed), KERR_SYSTEM);
    assert_true(write_failed);
    /* An empty source: nothing to copy, no failure. */
    int empty = memfd_create("empty", MFD_CLOEXEC);
    assert_true(empty >= 0);
    assert_int_equal(util_copy_fd(empty, out, buf, sizeof(buf), NULL, &write_failed), 0);
    assert_int_equal(util_read_retry(empty, buf, sizeof(buf)), 0);
    close(empty);
    close(wo);
    close(ro);
    close(in);
    close(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dir_names),
        cmocka_unit_test(test_dir_names_not_a_folder),
        cmocka_unit_test(test_copy_fd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

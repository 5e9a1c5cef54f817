/* test_bundle.c - bundle_reason: the administrator's stick's failure texts as reason codes
 * (the rest of bundle.c runs against real sticks: tests/integration/t_admin_stick.sh). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "common/reason.h"
#include "admin/bundle.h"

/* WHY gives CODE with parameters P0, P1 (NULL: none), and the code's sentence is WHY. */
static void expect(const char *why, const char *code, const char *p0, const char *p1)
{
    struct reason_data r;
    bundle_reason(why, &r);
    assert_string_equal(r.code, code);
    assert_string_equal(reason_data_param(&r, 0), p0 ? p0 : "");
    assert_string_equal(reason_data_param(&r, 1), p1 ? p1 : "");
    char *s = reason_data_format(&r, NULL, NULL, NULL);
    if (strcmp(code, "admin.failed") != 0)
        assert_string_equal(s, why);
    g_free(s);
}

static void test_bundle_reason(void **state)
{
    (void)state;
    expect("no update bundle on this medium: put the signed files in a folder named "
           "kiosk-update at the top of the stick",
           "admin.no-bundle", NULL, NULL);
    expect("the bundle is not signed: SHA256SUMS.minisig is missing (sign it with 'minisign "
           "-Sm SHA256SUMS')",
           "admin.not-signed", NULL, NULL);
    expect("the bundle was signed by key 1234ABCD5678EF90, which is not a trusted administrator "
           "key (in /etc/kiosk/admin-keys)",
           "admin.untrusted-key", "1234ABCD5678EF90", "/etc/kiosk/admin-keys");
    expect("policy.conf differs from the signed list (changed after signing, or damaged)",
           "admin.file-changed", "policy.conf", NULL);
    expect("1 of the bundle's updates was refused", "admin.item-refused", "1", NULL);
    expect("3 of the bundle's updates were refused", "admin.items-refused", "3", NULL);
    expect("the stick is too small: the export needs about 1.2 GB, the stick holds 512 MB",
           "admin.stick-too-small", "1.2 GB", "512 MB");
    expect("The stick was removed before the work was finished.", "admin.removed", NULL, NULL);
    expect("Not erased: the erase was not confirmed within 60 seconds.",
           "admin.erase-not-confirmed", NULL, NULL);
    /* anything else: the generic sentence around the text */
    expect("cannot run mkfs.vfat: No such file", "admin.failed",
           "cannot run mkfs.vfat: No such file", NULL);
    struct reason_data r;
    bundle_reason("x", &r);
    char *s = reason_data_format(&r, NULL, NULL, NULL);
    assert_string_equal(s, "The administrator's stick could not be used: x");
    g_free(s);
    bundle_reason(NULL, &r);
    assert_string_equal(r.code, "admin.failed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bundle_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_udev.c - detection and filtering of USB media with fake devices (umockdev):
 * a USB stick, a USB disk with partitions (one medium), a card reader's media change,
 * a non-USB disk (ignored), a USB "stick" with a keyboard interface (refused), the
 * device policy.  The test re-executes itself under libumockdev-preload so libudev sees
 * the fake sysfs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <libudev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <umockdev.h>
#include <unistd.h>

#include "service/udev.h"

static UMockdevTestbed *tb;

static int setup(void **state)
{
    (void)state;
    tb = umockdev_testbed_new();
    return tb ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    g_clear_object(&tb);
    return 0;
}

/* A USB device with one interface per class in CLASSES (e.g. "08", "03"); returns the
 * syspath of its first interface (the parent of the disk). */
static char *add_usb(const char *name, const char *vid, const char *pid, const char *const *classes)
{
    char *usb = umockdev_testbed_add_device(tb, "usb", name, NULL, "idVendor", vid, "idProduct",
                                            pid, "bDeviceClass", "00", NULL, "DEVTYPE",
                                            "usb_device", NULL);
    assert_non_null(usb);
    char *first = NULL;
    for (int i = 0; classes[i]; i++) {
        char *ifname = g_strdup_printf("%s:1.%d", name, i);
        char *itf = umockdev_testbed_add_device(tb, "usb", ifname, usb, "bInterfaceClass",
                                                classes[i], "bInterfaceSubClass", "01",
                                                "bInterfaceProtocol", "01", NULL, "DEVTYPE",
                                                "usb_interface", NULL);
        assert_non_null(itf);
        if (!first)
            first = itf;
        else
            g_free(itf);
        g_free(ifname);
    }
    g_free(usb);
    return first;
}

static char *add_usb_disk(const char *parent, const char *name, const char *size_sectors)
{
    char *devname = g_strdup_printf("/dev/%s", name);
    char *disk = umockdev_testbed_add_device(
        tb, "block", name, parent, "size", size_sectors, "removable", "1", NULL, "DEVTYPE", "disk",
        "DEVNAME", devname, "ID_BUS", "usb", "ID_VENDOR", "SanDisk", "ID_MODEL", "Cruzer_Blade",
        "ID_MODEL_ENC", "Cruzer\\x20Blade\\x20\\x20", "ID_SERIAL_SHORT", "4C530001",
        "ID_VENDOR_ID", "0781", "ID_MODEL_ID", "5567", NULL);
    g_free(devname);
    assert_non_null(disk);
    return disk;
}

static enum kudev_verdict classify(const char *syspath, const struct kudev_filter *f,
                                   struct kudev_device **d, char **why)
{
    struct udev *u = udev_new();
    struct udev_device *dev = udev_device_new_from_syspath(u, syspath);
    assert_non_null(dev);
    enum kudev_verdict v = kudev_classify(dev, f, d, why);
    udev_device_unref(dev);
    udev_unref(u);
    return v;
}

static const char *const storage[] = {"08", NULL};

static void test_usb_stick_accepted(void **state)
{
    (void)state;
    char *itf = add_usb("1-1", "0781", "5567", storage);
    char *disk = add_usb_disk(itf, "sdb", "2048000");
    struct kudev_filter f = {0};
    struct kudev_device *d = NULL;
    char *why = NULL;
    assert_int_equal(classify(disk, &f, &d, &why), KUDEV_ACCEPT);
    assert_null(why);
    assert_string_equal(d->devnode, "/dev/sdb");
    assert_string_equal(d->vendor, "SanDisk");
    assert_string_equal(d->model, "Cruzer Blade"); /* decoded, trimmed */
    assert_string_equal(d->serial, "4C530001");
    assert_string_equal(d->vid, "0781");
    assert_string_equal(d->pid, "5567");
    assert_true(d->size == 2048000ull * 512);
    assert_false(d->is_loop);
    kudev_device_free(d);
    g_free(itf);
    g_free(disk);
}

static void test_keyboard_interface_refused(void **state)
{
    (void)state;
    static const char *const kbd[] = {"08", "03", NULL};
    char *itf = add_usb("1-2", "05ac", "1234", kbd);
    char *disk = add_usb_disk(itf, "sdc", "2048000");
    struct kudev_filter f = {0};
    struct kudev_device *d = NULL;
    char *why = NULL;
    assert_int_equal(classify(disk, &f, &d, &why), KUDEV_REFUSE);
    assert_string_equal(why, "this USB device also acts as a keyboard or mouse (HID) function "
                             "(interface class 03); only plain USB storage is accepted");
    assert_string_equal(d->refusal.code, "device.hid-interface");
    assert_string_equal(reason_data_param(&d->refusal, 0), "03");
    /* the identity is kept for the screen and the audit log */
    assert_string_equal(d->serial, "4C530001");
    struct kudev_device *copy = kudev_device_copy(d);
    assert_string_equal(copy->refusal.code, "device.hid-interface");
    kudev_device_free(copy);
    kudev_device_free(d);
    g_free(why);
    g_free(itf);
    g_free(disk);
}

static void test_non_usb_ignored(void **state)
{
    (void)state;
    char *vda = umockdev_testbed_add_device(tb, "block", "vda", NULL, "size", "41943040", NULL,
                                            "DEVTYPE", "disk", "DEVNAME", "/dev/vda", NULL);
    char *sda = umockdev_testbed_add_device(tb, "block", "sda", NULL, "size", "41943040", NULL,
                                            "DEVTYPE", "disk", "DEVNAME", "/dev/sda", "ID_BUS",
                                            "ata", NULL);
    struct kudev_filter f = {.accept_loop = true};
    struct kudev_device *d = NULL;
    char *why = NULL;
    assert_int_equal(classify(vda, &f, &d, &why), KUDEV_IGNORE);
    assert_null(d);
    assert_non_null(strstr(why, "not a USB device"));
    g_free(why);
    why = NULL;
    assert_int_equal(classify(sda, &f, &d, &why), KUDEV_IGNORE);
    g_free(why);
    g_free(vda);
    g_free(sda);
}

static void test_interfaces_string(void **state)
{
    (void)state;
    char *w;
    assert_null(kudev_interfaces_refusal(":080650:"));
    assert_null(kudev_interfaces_refusal(":080650:080250:"));
    assert_null(kudev_interfaces_refusal(":ef0201:080650:")); /* IAD, not RNDIS */
    assert_null(kudev_interfaces_refusal(NULL));
    const char *bad[] = {":080650:030101:", ":080650:020600:", ":0a0000:080650:", ":e00101:",
                         ":ef0401:", ":ff0000:080650:"};
    const char *codes[] = {"device.hid-interface",     "device.network-interface",
                           "device.cdc-data-interface", "device.wireless-interface",
                           "device.rndis-interface",    "device.vendor-interface"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        struct reason_data c;
        w = kudev_interfaces_refusal_code(bad[i], &c);
        assert_non_null(w);
        assert_string_equal(c.code, codes[i]);
        char *again = reason_data_format(&c, NULL, NULL, NULL);
        assert_string_equal(again, w);
        g_free(again);
        g_free(w);
    }
}

static void test_device_policy(void **state)
{
    (void)state;
    char *itf = add_usb("1-3", "0781", "5567", storage);
    char *disk = add_usb_disk(itf, "sdd", "2048000");
    struct kudev_device *d = NULL;
    char *why = NULL;
    char *deny[] = {"0781:*", NULL};
    char *allow[] = {"1234:5678", "0781:5567:OTHERSERIAL", NULL};
    char *allow_ok[] = {"0781:5567:4c530001", NULL};
    struct kudev_filter f = {.deny = deny};
    assert_int_equal(classify(disk, &f, &d, &why), KUDEV_REFUSE);
    assert_non_null(strstr(why, "deny"));
    assert_string_equal(d->refusal.code, "device.denied");
    kudev_device_free(d);
    g_free(why);
    f = (struct kudev_filter){.allow = allow};
    assert_int_equal(classify(disk, &f, &d, &why), KUDEV_REFUSE);
    kudev_device_free(d);
    g_free(why);
    f = (struct kudev_filter){.allow = allow_ok};
    assert_int_equal(classify(disk, &f, &d, &why), KUDEV_ACCEPT);
    kudev_device_free(d);
    f = (struct kudev_filter){.max_size = 512ull * 1024 * 1024};
    assert_int_equal(classify(disk, &f, &d, &why), KUDEV_REFUSE);
    assert_non_null(strstr(why, "too large"));
    kudev_device_free(d);
    g_free(why);
    g_free(itf);
    g_free(disk);
}

/* ---- the monitor ------------------------------------------------------------------- */

struct seen {
    int inserted, refused, removed;
    char *last_key;
    uint64_t last_diskseq;
};

static void on_event(enum kudev_event ev, const struct kudev_device *d, const char *why,
                     void *data)
{
    struct seen *s = data;
    (void)why;
    if (ev == KUDEV_INSERTED)
        s->inserted++;
    else if (ev == KUDEV_REFUSED)
        s->refused++;
    else
        s->removed++;
    g_free(s->last_key);
    s->last_key = g_strdup(d->key);
    s->last_diskseq = d->diskseq;
}

/* Let the monitor deliver what umockdev sent. */
static void pump(void)
{
    gint64 end = g_get_monotonic_time() + 300000;
    while (g_get_monotonic_time() < end)
        g_main_context_iteration(NULL, FALSE), g_usleep(2000);
}

static void test_disk_with_partitions_is_one_medium(void **state)
{
    (void)state;
    struct kudev_filter f = {0};
    struct seen s = {0};
    char *why = NULL;
    struct kudev *u = kudev_new(&f, on_event, &s, &why);
    assert_non_null(u);
    char *itf = add_usb("1-4", "0781", "5567", storage);
    char *disk = add_usb_disk(itf, "sde", "4096000");
    char *p1 = umockdev_testbed_add_device(tb, "block", "sde1", disk, "size", "2048000",
                                           "partition", "1", NULL, "DEVTYPE", "partition",
                                           "DEVNAME", "/dev/sde1", "ID_BUS", "usb", NULL);
    char *p2 = umockdev_testbed_add_device(tb, "block", "sde2", disk, "size", "2046000",
                                           "partition", "2", NULL, "DEVTYPE", "partition",
                                           "DEVNAME", "/dev/sde2", "ID_BUS", "usb", NULL);
    /* (umockdev_testbed_add_device sent the "add" events) */
    umockdev_testbed_uevent(tb, p1, "change");
    pump();
    assert_int_equal(s.inserted, 1);
    assert_string_equal(s.last_key, disk);
    /* a partition going away is its medium going away */
    umockdev_testbed_uevent(tb, p2, "remove");
    pump();
    assert_int_equal(s.removed, 1);
    assert_string_equal(s.last_key, disk);
    kudev_free(u);
    g_free(s.last_key);
    g_free(itf);
    g_free(disk);
    g_free(p1);
    g_free(p2);
}

/* The card reader DISK reports a change: SIZE (sectors; "0" = empty) and, when not NULL,
 * the medium's DISKSEQ. */
static void card_change(const char *disk, const char *size, const char *diskseq)
{
    umockdev_testbed_set_attribute(tb, disk, "size", size);
    if (diskseq)
        umockdev_testbed_set_property(tb, disk, "DISKSEQ", diskseq);
    umockdev_testbed_uevent(tb, disk, "change");
    pump();
}

static void test_card_reader_media_change(void **state)
{
    (void)state;
    struct kudev_filter f = {0};
    struct seen s = {0};
    char *why = NULL;
    struct kudev *u = kudev_new(&f, on_event, &s, &why);
    assert_non_null(u);
    char *itf = add_usb("1-5", "05e3", "0749", storage);
    char *disk = add_usb_disk(itf, "sdf", "0"); /* empty slot; sends "add" */
    pump();
    assert_int_equal(s.inserted + s.refused + s.removed, 0);
    /* a card goes in: the event says which medium of the slot it is (DISKSEQ) */
    umockdev_testbed_set_property(tb, disk, "DISK_MEDIA_CHANGE", "1");
    card_change(disk, "62333952", "41");
    assert_int_equal(s.inserted, 1);
    assert_true(s.last_diskseq == 41);
    /* the same medium reported again is still one insertion for the service to dedupe;
     * the card comes out: removal, of that medium */
    card_change(disk, "0", NULL);
    assert_int_equal(s.removed, 1);
    assert_string_equal(s.last_key, disk);
    assert_true(s.last_diskseq == 41);
    /* the next card: another number */
    card_change(disk, "62333952", "42");
    assert_int_equal(s.inserted, 2);
    assert_true(s.last_diskseq == 42);
    kudev_free(u);
    g_free(s.last_key);
    g_free(itf);
    g_free(disk);
}

static void test_keyboard_stick_refused_on_insert(void **state)
{
    (void)state;
    struct kudev_filter f = {0};
    struct seen s = {0};
    char *why = NULL;
    struct kudev *u = kudev_new(&f, on_event, &s, &why);
    static const char *const kbd[] = {"08", "03", NULL};
    char *itf = add_usb("1-6", "1a86", "e026", kbd);
    char *disk = add_usb_disk(itf, "sdg", "2048000"); /* sends "add" */
    pump();
    assert_int_equal(s.refused, 1);
    assert_int_equal(s.inserted, 0);
    kudev_free(u);
    g_free(s.last_key);
    g_free(itf);
    g_free(disk);
}

int main(int argc, char **argv)
{
    (void)argc;
    if (!getenv("KIOSK_TEST_UMOCKDEV")) {
        /* libudev must see the fake sysfs: run again under umockdev's preload library. */
        const char *old = getenv("LD_PRELOAD");
        char *pre = old && *old ? g_strdup_printf("libumockdev-preload.so.0:%s", old)
                                : g_strdup("libumockdev-preload.so.0");
        setenv("LD_PRELOAD", pre, 1);
        setenv("KIOSK_TEST_UMOCKDEV", "1", 1);
        execv("/proc/self/exe", argv);
        perror("cannot re-execute under libumockdev-preload");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_usb_stick_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyboard_interface_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_usb_ignored, setup, teardown),
        cmocka_unit_test(test_interfaces_string),
        cmocka_unit_test_setup_teardown(test_device_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_with_partitions_is_one_medium, setup, teardown),
        cmocka_unit_test_setup_teardown(test_card_reader_media_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyboard_stick_refused_on_insert, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

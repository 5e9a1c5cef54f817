/* udev.c - block device monitor and filter (see udev.h). */
#include "service/udev.h"
#include "common/log.h"

#include <glib-unix.h>
#include <glib.h>
#include <libudev.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#define KUDEV_RCVBUF (4 * 1024 * 1024)

struct kudev {
    struct udev *udev;
    struct udev_monitor *mon;
    guint watch;
    const struct kudev_filter *filter;
    kudev_fn fn;
    void *data;
};

/* Interface classes that make a "stick" something else.  (class, subclass or -1) */
static const struct {
    int cls, sub;
    const char *code; /* common/reason.c: the sentence names the function; {class} */
} kudev_bad_interfaces[] = {
    {0x03, -1, "device.hid-interface"},
    {0x02, -1, "device.network-interface"},
    {0x0a, -1, "device.cdc-data-interface"},
    {0xe0, -1, "device.wireless-interface"},
    {0xef, 0x04, "device.rndis-interface"},
    {0xff, -1, "device.vendor-interface"},
};

/* D->refusal = CODE with its parameter values (then NULL); *WHY = its English sentence. */
static void kudev_refuse(struct kudev_device *d, char **why, const char *code, ...)
    __attribute__((sentinel));
static void kudev_refuse(struct kudev_device *d, char **why, const char *code, ...)
{
    const char *vals[REASON_PARAMS_MAX] = {0};
    size_t n = 0;
    va_list ap;
    va_start(ap, code);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
        if (n < REASON_PARAMS_MAX)
            vals[n++] = s;
    va_end(ap);
    reason_data_set(&d->refusal, code, vals, n);
    *why = reason_data_format(&d->refusal, NULL, NULL, NULL);
}

void kudev_device_free(struct kudev_device *d)
{
    if (!d)
        return;
    g_free(d->key);
    g_free(d->devnode);
    g_free(d->vendor);
    g_free(d->model);
    g_free(d->serial);
    g_free(d->vid);
    g_free(d->pid);
    g_free(d->fstype);
    g_free(d->backing_file);
    g_free(d);
}

struct kudev_device *kudev_device_copy(const struct kudev_device *d)
{
    struct kudev_device *c = g_new0(struct kudev_device, 1);
    c->key = g_strdup(d->key);
    c->devnode = g_strdup(d->devnode);
    c->vendor = g_strdup(d->vendor);
    c->model = g_strdup(d->model);
    c->serial = g_strdup(d->serial);
    c->vid = g_strdup(d->vid);
    c->pid = g_strdup(d->pid);
    c->size = d->size;
    c->fstype = g_strdup(d->fstype);
    c->backing_file = g_strdup(d->backing_file);
    c->is_loop = d->is_loop;
    c->diskseq = d->diskseq;
    c->refusal = d->refusal;
    return c;
}

char *kudev_interfaces_refusal(const char *interfaces)
{
    return kudev_interfaces_refusal_code(interfaces, NULL);
}

char *kudev_interfaces_refusal_code(const char *interfaces, struct reason_data *code)
{
    if (code)
        memset(code, 0, sizeof(*code));
    if (!interfaces)
        return NULL;
    char **items = g_strsplit(interfaces, ":", -1);
    char *why = NULL;
    for (char **i = items; *i && !why; i++) {
        if (strlen(*i) != 6 || !g_ascii_isxdigit((*i)[0]))
            continue;
        unsigned cls = 0, sub = 0, proto = 0;
        if (sscanf(*i, "%2x%2x%2x", &cls, &sub, &proto) != 3)
            continue;
        for (size_t k = 0; k < G_N_ELEMENTS(kudev_bad_interfaces); k++)
            if (!why && (int)cls == kudev_bad_interfaces[k].cls &&
                (kudev_bad_interfaces[k].sub < 0 || (int)sub == kudev_bad_interfaces[k].sub)) {
                struct reason_data d;
                char hex[8];
                snprintf(hex, sizeof(hex), "%02x", cls);
                const char *v[] = {hex};
                reason_data_set(&d, kudev_bad_interfaces[k].code, v, 1);
                why = reason_data_format(&d, NULL, NULL, NULL);
                if (code)
                    *code = d;
            }
    }
    g_strfreev(items);
    return why;
}

/* ID_USB_INTERFACES from the device or its USB parent; when udev did not set it, build it
 * from the interfaces' sysfs attributes. */
static char *kudev_usb_interfaces(struct udev_device *dev)
{
    const char *p = udev_device_get_property_value(dev, "ID_USB_INTERFACES");
    if (p)
        return g_strdup(p);
    struct udev_device *usb = udev_device_get_parent_with_subsystem_devtype(dev, "usb",
                                                                            "usb_device");
    if (!usb)
        return NULL;
    p = udev_device_get_property_value(usb, "ID_USB_INTERFACES");
    if (p)
        return g_strdup(p);
    struct udev_enumerate *en = udev_enumerate_new(udev_device_get_udev(usb));
    udev_enumerate_add_match_parent(en, usb);
    udev_enumerate_add_match_subsystem(en, "usb");
    udev_enumerate_scan_devices(en);
    GString *s = g_string_new(":");
    struct udev_list_entry *e;
    udev_list_entry_foreach(e, udev_enumerate_get_list_entry(en))
    {
        struct udev_device *i = udev_device_new_from_syspath(udev_device_get_udev(usb),
                                                             udev_list_entry_get_name(e));
        if (!i)
            continue;
        const char *c = udev_device_get_sysattr_value(i, "bInterfaceClass");
        const char *sc = udev_device_get_sysattr_value(i, "bInterfaceSubClass");
        const char *pr = udev_device_get_sysattr_value(i, "bInterfaceProtocol");
        if (c && strlen(c) >= 2)
            g_string_append_printf(s, "%.2s%.2s%.2s:", c, sc && strlen(sc) >= 2 ? sc : "00",
                                   pr && strlen(pr) >= 2 ? pr : "00");
        udev_device_unref(i);
    }
    udev_enumerate_unref(en);
    return g_string_free(s, FALSE);
}

static bool kudev_field_match(const char *pat, size_t len, const char *value)
{
    if (len == 1 && pat[0] == '*')
        return true;
    return value && strlen(value) == len && g_ascii_strncasecmp(pat, value, len) == 0;
}

bool kudev_pattern_match(const char *pat, const struct kudev_device *d)
{
    const char *c1 = strchr(pat, ':');
    if (!c1)
        return false;
    const char *c2 = strchr(c1 + 1, ':');
    size_t plen = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
    if (!kudev_field_match(pat, (size_t)(c1 - pat), d->vid) ||
        !kudev_field_match(c1 + 1, plen, d->pid))
        return false;
    return !c2 || kudev_field_match(c2 + 1, strlen(c2 + 1), d->serial);
}

static bool kudev_list_match(char *const *list, const struct kudev_device *d)
{
    for (size_t i = 0; list && list[i]; i++)
        if (kudev_pattern_match(list[i], d))
            return true;
    return false;
}

/* Is the device numbered DEV mounted anywhere (this mount namespace)? */
static bool kudev_devnum_mounted(dev_t dev)
{
    char *data = NULL;
    bool hit = false;
    if (!g_file_get_contents("/proc/self/mountinfo", &data, NULL, NULL))
        return false;
    char want[32];
    snprintf(want, sizeof(want), " %u:%u ", major(dev), minor(dev));
    for (char *line = data; line && *line && !hit;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        /* "36 35 98:0 / /mnt ..." : the third field is major:minor */
        char *sp = strchr(line, ' ');
        sp = sp ? strchr(sp + 1, ' ') : NULL;
        if (sp && strncmp(sp, want, strlen(want)) == 0)
            hit = true;
        line = nl ? nl + 1 : NULL;
    }
    g_free(data);
    return hit;
}

/* Is the disk or one of its partitions mounted or held by another driver (dm, md)? */
static const char *kudev_in_use(struct udev_device *disk)
{
    if (udev_device_get_devnum(disk) && kudev_devnum_mounted(udev_device_get_devnum(disk)))
        return "it is mounted by the system";
    const char *why = NULL;
    struct udev_enumerate *en = udev_enumerate_new(udev_device_get_udev(disk));
    udev_enumerate_add_match_parent(en, disk);
    udev_enumerate_add_match_subsystem(en, "block");
    udev_enumerate_scan_devices(en);
    struct udev_list_entry *e;
    udev_list_entry_foreach(e, udev_enumerate_get_list_entry(en))
    {
        struct udev_device *p = udev_device_new_from_syspath(udev_device_get_udev(disk),
                                                             udev_list_entry_get_name(e));
        if (!p)
            continue;
        if (!why && udev_device_get_devnum(p) && kudev_devnum_mounted(udev_device_get_devnum(p)))
            why = "one of its partitions is mounted by the system";
        char *holders = g_build_filename(udev_device_get_syspath(p), "holders", NULL);
        GDir *d = g_dir_open(holders, 0, NULL);
        if (d) {
            if (!why && g_dir_read_name(d))
                why = "it is held by another driver (device mapper or RAID)";
            g_dir_close(d);
        }
        g_free(holders);
        udev_device_unref(p);
    }
    udev_enumerate_unref(en);
    return why;
}

static char *kudev_prop_text(struct udev_device *dev, const char *enc_key, const char *key)
{
    const char *v = enc_key ? udev_device_get_property_value(dev, enc_key) : NULL;
    if (v) {
        /* udev's \x20 escapes of the raw identity strings */
        GString *s = g_string_new(NULL);
        for (const char *p = v; *p; p++) {
            unsigned x;
            if (p[0] == '\\' && p[1] == 'x' && sscanf(p + 2, "%2x", &x) == 1 &&
                g_ascii_isxdigit(p[2]) && g_ascii_isxdigit(p[3])) {
                g_string_append_c(s, (char)x);
                p += 3;
            } else {
                g_string_append_c(s, *p);
            }
        }
        char *t = g_strstrip(g_string_free(s, FALSE));
        if (*t && g_utf8_validate(t, -1, NULL)) {
            for (char *q = t; *q; q++)
                if ((unsigned char)*q < 0x20 || *q == 0x7f)
                    *q = '?';
            return t;
        }
        g_free(t);
    }
    v = udev_device_get_property_value(dev, key);
    if (!v || !*v)
        return NULL;
    char *t = g_utf8_make_valid(v, -1);
    for (char *q = t; *q; q++)
        if (*q == '_' || (unsigned char)*q < 0x20)
            *q = ' ';
    return t;
}

static uint64_t kudev_size(struct udev_device *dev)
{
    const char *s = udev_device_get_sysattr_value(dev, "size");
    return s ? g_ascii_strtoull(s, NULL, 10) * 512 : 0;
}

static bool kudev_sysattr_is(struct udev_device *dev, const char *attr, const char *value)
{
    const char *v = udev_device_get_sysattr_value(dev, attr);
    if (!v)
        return false;
    size_t n = strlen(value);
    return strncmp(v, value, n) == 0 && (v[n] == '\0' || v[n] == '\n');
}

static enum kudev_verdict kudev_classify_loop(struct udev_device *dev, const struct kudev_filter *f,
                                              struct kudev_device *d, char **why)
{
    if (!f->accept_loop) {
        *why = g_strdup("loop device (testing mode is off)");
        return KUDEV_IGNORE;
    }
    const char *bf = udev_device_get_sysattr_value(dev, "loop/backing_file");
    if (!bf || !*bf) {
        *why = g_strdup("loop device not attached");
        return KUDEV_IGNORE;
    }
    d->backing_file = g_strndup(bf, strcspn(bf, "\n"));
    if (kudev_sysattr_is(dev, "loop/autoclear", "1")) {
        *why = g_strdup("auto-clearing loop device (the kiosk's own)");
        return KUDEV_IGNORE;
    }
    if (!f->accept_rw_loop && !kudev_sysattr_is(dev, "ro", "1")) {
        *why = g_strdup("testing mode accepts only read-only loop devices (losetup -r)");
        return KUDEV_IGNORE;
    }
    if (f->loop_backing_dir && *f->loop_backing_dir) {
        size_t n = strlen(f->loop_backing_dir);
        if (strncmp(d->backing_file, f->loop_backing_dir, n) != 0 ||
            (d->backing_file[n] != '/' && f->loop_backing_dir[n - 1] != '/')) {
            *why = g_strdup_printf("backing file %s is not below loop-backing-dir",
                                   d->backing_file);
            return KUDEV_IGNORE;
        }
    }
    d->is_loop = true;
    d->vendor = g_strdup("Loop device (testing)");
    d->model = g_path_get_basename(d->backing_file);
    d->serial = g_strdup(udev_device_get_sysname(dev));
    return KUDEV_ACCEPT;
}

/* A disk on the USB bus: its identity (D), and refused when the device is more than mass
 * storage (a keyboard, a network adapter ...); a disk not on USB, or an optical drive, is
 * ignored. */
static enum kudev_verdict kudev_classify_usb(struct udev_device *dev, struct kudev_device *d,
                                             char **why)
{
    const char *bus = udev_device_get_property_value(dev, "ID_BUS");
    if (g_strcmp0(bus, "usb") != 0) {
        *why = g_strdup_printf("not a USB device (bus %s)", bus ? bus : "unknown");
        return KUDEV_IGNORE;
    }
    if (udev_device_get_property_value(dev, "ID_CDROM")) {
        *why = g_strdup("optical drive");
        return KUDEV_IGNORE;
    }
    d->vendor = kudev_prop_text(dev, "ID_VENDOR_ENC", "ID_VENDOR");
    d->model = kudev_prop_text(dev, "ID_MODEL_ENC", "ID_MODEL");
    d->serial = kudev_prop_text(dev, NULL, "ID_SERIAL_SHORT");
    d->vid = g_strdup(udev_device_get_property_value(dev, "ID_VENDOR_ID"));
    d->pid = g_strdup(udev_device_get_property_value(dev, "ID_MODEL_ID"));
    if (!d->vid || !d->pid) {
        struct udev_device *usb =
            udev_device_get_parent_with_subsystem_devtype(dev, "usb", "usb_device");
        if (usb && !d->vid)
            d->vid = g_strdup(udev_device_get_sysattr_value(usb, "idVendor"));
        if (usb && !d->pid)
            d->pid = g_strdup(udev_device_get_sysattr_value(usb, "idProduct"));
    }
    char *ifs = kudev_usb_interfaces(dev);
    *why = kudev_interfaces_refusal_code(ifs, &d->refusal);
    g_free(ifs);
    return *why ? KUDEV_REFUSE : KUDEV_ACCEPT;
}

/* The filter's rules for a medium that is in and free: deny, allow, maximum size and the
 * policy's filesystems.  KUDEV_REFUSE with the reason, or KUDEV_ACCEPT. */
static enum kudev_verdict kudev_classify_rules(const struct kudev_filter *f, struct kudev_device *d,
                                               char **why)
{
    if (!d->is_loop && kudev_list_match(f->deny, d)) {
        kudev_refuse(d, why, "device.denied", NULL);
        return KUDEV_REFUSE;
    }
    if (!d->is_loop && f->allow && f->allow[0] && !kudev_list_match(f->allow, d)) {
        kudev_refuse(d, why, "device.not-allowed", NULL);
        return KUDEV_REFUSE;
    }
    if (f->max_size && d->size > f->max_size) {
        char size[24], limit[24];
        snprintf(size, sizeof(size), "%" G_GUINT64_FORMAT, d->size / 1000000);
        snprintf(limit, sizeof(limit), "%" G_GUINT64_FORMAT, f->max_size / 1000000);
        kudev_refuse(d, why, "device.too-large", size, limit, NULL);
        return KUDEV_REFUSE;
    }
    /* Encrypted volumes go on to the session, which explains them properly. */
    if (f->policy && !f->any_filesystem && d->fstype && !g_str_has_prefix(d->fstype, "crypto_") &&
        g_strcmp0(d->fstype, "BitLocker") != 0 &&
        !policy_filesystem_allowed(f->policy, d->fstype)) {
        kudev_refuse(d, why, "device.filesystem", d->fstype, NULL);
        return KUDEV_REFUSE;
    }
    return KUDEV_ACCEPT;
}

/* The event's DISKSEQ (a property of the event, not read from sysfs now): the kernel
 * numbers every medium a block device gets, in increasing order, since Linux 5.15. */
static uint64_t kudev_diskseq(struct udev_device *dev)
{
    const char *v = udev_device_get_property_value(dev, "DISKSEQ");
    guint64 n = 0;
    if (!v || !g_ascii_string_to_unsigned(v, 10, 1, G_MAXUINT64, &n, NULL))
        return 0;
    return n;
}

enum kudev_verdict kudev_classify(struct udev_device *dev, const struct kudev_filter *f,
                                  struct kudev_device **out, char **why)
{
    struct kudev_device *d = g_new0(struct kudev_device, 1);
    enum kudev_verdict v = KUDEV_IGNORE;
    const char *sysname = udev_device_get_sysname(dev);
    *out = NULL;
    *why = NULL;

    d->key = g_strdup(udev_device_get_syspath(dev));
    d->devnode = g_strdup(udev_device_get_devnode(dev));
    d->diskseq = kudev_diskseq(dev);
    if (g_strcmp0(udev_device_get_subsystem(dev), "block") != 0 ||
        g_strcmp0(udev_device_get_devtype(dev), "disk") != 0) {
        *why = g_strdup("not a whole disk");
        goto out;
    }
    if (!d->devnode) {
        *why = g_strdup("no device node");
        goto out;
    }
    d->size = kudev_size(dev);
    d->fstype = g_strdup(udev_device_get_property_value(dev, "ID_FS_TYPE"));
    if (d->fstype && !*d->fstype)
        g_clear_pointer(&d->fstype, g_free);
    if (g_str_has_prefix(sysname, "loop"))
        v = kudev_classify_loop(dev, f, d, why);
    else
        v = kudev_classify_usb(dev, d, why);
    if (v != KUDEV_ACCEPT)
        goto out;
    if (d->size == 0) {
        *why = g_strdup("no medium");
        v = KUDEV_IGNORE;
        goto out;
    }
    const char *busy = kudev_in_use(dev);
    if (busy) {
        *why = g_strdup_printf("in use: %s", busy);
        v = KUDEV_IGNORE;
        goto out;
    }
    v = kudev_classify_rules(f, d, why);
out:
    if (v == KUDEV_IGNORE)
        kudev_device_free(d);
    else
        *out = d;
    return v;
}

/* The whole disk a block event is about: itself, or the parent of a partition. */
static char *kudev_disk_key(struct udev_device *dev)
{
    if (g_strcmp0(udev_device_get_devtype(dev), "partition") == 0)
        return g_path_get_dirname(udev_device_get_syspath(dev));
    return g_strdup(udev_device_get_syspath(dev));
}

static void kudev_report(struct kudev *u, struct udev_device *dev, bool from_change)
{
    struct kudev_device *d = NULL;
    char *why = NULL;
    enum kudev_verdict v = kudev_classify(dev, u->filter, &d, &why);
    if (v == KUDEV_ACCEPT) {
        log_debug("udev: %s (%s): medium accepted", d->devnode, d->key);
        u->fn(KUDEV_INSERTED, d, NULL, u->data);
    } else if (v == KUDEV_REFUSE) {
        log_info("udev: %s refused: %s", d->devnode, why);
        u->fn(KUDEV_REFUSED, d, why, u->data);
    } else {
        log_debug("udev: %s ignored: %s", udev_device_get_syspath(dev), why);
        if (from_change) {
            /* A medium that went away (card out, loop detached) or that the system now
             * uses: whatever the kiosk was doing with it ends. */
            struct kudev_device gone = {.key = (char *)udev_device_get_syspath(dev),
                                        .devnode = (char *)udev_device_get_devnode(dev),
                                        .diskseq = kudev_diskseq(dev)};
            u->fn(KUDEV_REMOVED, &gone, why, u->data);
        }
    }
    kudev_device_free(d);
    g_free(why);
}

static gboolean kudev_on_event(gint fd, GIOCondition cond, gpointer data)
{
    struct kudev *u = data;
    (void)fd;
    (void)cond;
    struct udev_device *dev;
    /* Drain what is queued; the socket is non-blocking. */
    while ((dev = udev_monitor_receive_device(u->mon)) != NULL) {
        const char *action = udev_device_get_action(dev);
        const char *devtype = udev_device_get_devtype(dev);
        log_debug("udev: %s %s", action ? action : "?", udev_device_get_syspath(dev));
        if (g_strcmp0(action, "remove") == 0) {
            char *key = kudev_disk_key(dev);
            struct kudev_device gone = {.key = key,
                                        .devnode = (char *)udev_device_get_devnode(dev)};
            u->fn(KUDEV_REMOVED, &gone, "removed", u->data);
            g_free(key);
        } else if (g_strcmp0(devtype, "disk") == 0 &&
                   (g_strcmp0(action, "add") == 0 || g_strcmp0(action, "change") == 0)) {
            kudev_report(u, dev, g_strcmp0(action, "change") == 0);
        }
        /* Partition add/change: part of its disk's medium, which has its own event. */
        udev_device_unref(dev);
    }
    return G_SOURCE_CONTINUE;
}

struct kudev *kudev_new(const struct kudev_filter *f, kudev_fn fn, void *data, char **why)
{
    struct kudev *u = g_new0(struct kudev, 1);
    u->filter = f;
    u->fn = fn;
    u->data = data;
    u->udev = udev_new();
    if (!u->udev) {
        *why = g_strdup("libudev: cannot create a context");
        goto fail;
    }
    u->mon = udev_monitor_new_from_netlink(u->udev, "udev");
    if (!u->mon) {
        *why = g_strdup("libudev: cannot listen to udev events (is systemd-udevd running?)");
        goto fail;
    }
    udev_monitor_filter_add_match_subsystem_devtype(u->mon, "block", NULL);
    (void)udev_monitor_set_receive_buffer_size(u->mon, KUDEV_RCVBUF);
    if (udev_monitor_enable_receiving(u->mon) < 0) {
        *why = g_strdup("libudev: cannot enable receiving udev events");
        goto fail;
    }
    u->watch = g_unix_fd_add(udev_monitor_get_fd(u->mon), G_IO_IN, kudev_on_event, u);
    return u;
fail:
    kudev_free(u);
    return NULL;
}

static void kudev_foreach_disk(struct udev *udev,
                               void (*fn)(struct udev_device *dev, void *data), void *data)
{
    struct udev_enumerate *en = udev_enumerate_new(udev);
    udev_enumerate_add_match_subsystem(en, "block");
    udev_enumerate_add_match_property(en, "DEVTYPE", "disk");
    udev_enumerate_scan_devices(en);
    struct udev_list_entry *e;
    udev_list_entry_foreach(e, udev_enumerate_get_list_entry(en))
    {
        struct udev_device *dev = udev_device_new_from_syspath(udev, udev_list_entry_get_name(e));
        if (dev) {
            fn(dev, data);
            udev_device_unref(dev);
        }
    }
    udev_enumerate_unref(en);
}

static void kudev_enumerate_one(struct udev_device *dev, void *data)
{
    kudev_report(data, dev, false);
}

void kudev_enumerate(struct kudev *u)
{
    kudev_foreach_disk(u->udev, kudev_enumerate_one, u);
}

struct kudev_describe {
    const struct kudev_filter *f;
    void (*fn)(const char *, enum kudev_verdict, const struct kudev_device *, const char *,
               void *);
    void *data;
};

static void kudev_describe_one(struct udev_device *dev, void *data)
{
    struct kudev_describe *k = data;
    struct kudev_device *d = NULL;
    char *why = NULL;
    enum kudev_verdict v = kudev_classify(dev, k->f, &d, &why);
    k->fn(udev_device_get_syspath(dev), v, d, why, k->data);
    kudev_device_free(d);
    g_free(why);
}

void kudev_describe_all(const struct kudev_filter *f,
                        void (*fn)(const char *syspath, enum kudev_verdict v,
                                   const struct kudev_device *d, const char *why, void *data),
                        void *data)
{
    struct udev *udev = udev_new();
    if (!udev)
        return;
    struct kudev_describe k = {.f = f, .fn = fn, .data = data};
    kudev_foreach_disk(udev, kudev_describe_one, &k);
    udev_unref(udev);
}

void kudev_free(struct kudev *u)
{
    if (!u)
        return;
    if (u->watch)
        g_source_remove(u->watch);
    if (u->mon)
        udev_monitor_unref(u->mon);
    if (u->udev)
        udev_unref(u->udev);
    g_free(u);
}

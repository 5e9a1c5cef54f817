/* udev.h - which block devices are USB media the kiosk may check (libudev monitor).
 *
 * The functions are named kudev_* because udev_* is libudev's own namespace.
 *
 * Grouping: a physical medium is its whole disk ("sdb"); partitions ("sdb1") are folded
 * into it (the session reads the partition table itself, see media.h), so the key of a
 * medium is the syspath of its disk.  An event on a partition is an event on its disk.
 *
 * Filtering (kudev_classify), in this order:
 *   - loop devices count only in testing mode (accept-loop-devices), only when attached
 *     read-only (losetup -r), not auto-clearing (the kiosk's own loops are), and, when
 *     loop-backing-dir is set, only when backed by a file below that folder;
 *   - otherwise only ID_BUS=usb; internal disks (ata, nvme, virtio ...) are ignored;
 *   - a USB device that also has a keyboard/mouse (HID, 03), network (CDC 02/0a,
 *     RNDIS ef/04, wireless e0) or vendor-specific (ff) interface is REFUSED: a stick
 *     that types or talks to a network is an attack, not a medium;
 *   - a disk without a medium (empty card reader, detached loop) is ignored;
 *   - a disk that is mounted, or one of whose partitions is mounted, or that is held by
 *     another driver (dm, md) is ignored: the system uses it;
 *   - the device policy ([devices] in kiosk.conf): deny list, allow list, maximum size,
 *     and a whole-disk filesystem udev already identified must be one the file policy
 *     allows; a failure is REFUSED with a reason for people. */
#ifndef KIOSK_UDEV_H
#define KIOSK_UDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "common/reason.h"
#include "policy/policy.h"

struct udev_device;

enum kudev_verdict { KUDEV_IGNORE, KUDEV_ACCEPT, KUDEV_REFUSE };

struct kudev_device {
    char *key;          /* syspath of the whole disk */
    char *devnode;      /* "/dev/sdb", "/dev/loop3" */
    char *vendor;       /* for people, may be NULL */
    char *model;
    char *serial;
    char *vid, *pid;    /* USB vendor and product id ("0781"), NULL for loop devices */
    uint64_t size;      /* bytes; 0 = no medium */
    char *fstype;       /* whole-disk filesystem as udev identified it, or NULL */
    char *backing_file; /* loop devices: the image file */
    bool is_loop;
    uint64_t diskseq;   /* the kernel's disk sequence number of the event (DISKSEQ): which
                         * medium in this slot it is about; 0 = not known (kernel < 5.15,
                         * a "remove" of the device itself) */
    struct reason_data refusal; /* REFUSE: why, as a code (device.*, common/reason.h) */
};

struct kudev_filter {
    bool accept_loop;
    bool accept_rw_loop;          /* testing mode: writable loop devices too (the service
                                   * sets it while an export waits for its stick) */
    const char *loop_backing_dir; /* may be NULL */
    char *const *allow;           /* VID:PID[:SERIAL] patterns, NULL = any */
    char *const *deny;
    uint64_t max_size;            /* 0 = no limit */
    const struct policy *policy;  /* allowed filesystems; may be NULL */
    bool any_filesystem;          /* skip that check: an export stick is erased, not read */
};

/* Decide about the whole disk DEV.  ACCEPT and REFUSE fill *out (identity for the screen
 * and the audit log); REFUSE and IGNORE set *why (for people / for the debug log). */
enum kudev_verdict kudev_classify(struct udev_device *dev, const struct kudev_filter *f,
                                  struct kudev_device **out, char **why);

struct kudev_device *kudev_device_copy(const struct kudev_device *d);
void kudev_device_free(struct kudev_device *d);

/* Does VID:PID[:SERIAL] pattern PAT (fields may be '*') match D? */
bool kudev_pattern_match(const char *pat, const struct kudev_device *d);

/* Parse ID_USB_INTERFACES (":080650:030101:") and return why it is refused, or NULL;
 * CODE (may be NULL) gets the same as a reason code (device.hid-interface ...). */
char *kudev_interfaces_refusal(const char *interfaces);
char *kudev_interfaces_refusal_code(const char *interfaces, struct reason_data *code);

/* Events are handled when udev has run its rules, and the device's attributes are read
 * then, not when the kernel sent the event: a card swapped in a reader, or two images
 * attached to the same loop device, can make the late "change" of the first medium's
 * removal look like the second medium.  Each event therefore carries the kernel's DISKSEQ
 * (d->diskseq), which numbers the media of a slot in increasing order: the receiver
 * treats an event with an older number than the medium it knows as stale, and one with a
 * newer number as "the known medium went away, this is another". */
enum kudev_event {
    KUDEV_INSERTED, /* a medium to check (add, change with a new medium) */
    KUDEV_REFUSED,  /* a medium refused by the filter (d and why set) */
    KUDEV_REMOVED,  /* the disk, one of its partitions or its medium went away (d->key) */
};

typedef void (*kudev_fn)(enum kudev_event ev, const struct kudev_device *d, const char *why,
                         void *data);

struct kudev;

/* Monitor block devices (udev events after rule processing) on the thread-default main
 * context.  F must outlive the monitor.  Returns NULL with *why on error. */
struct kudev *kudev_new(const struct kudev_filter *f, kudev_fn fn, void *data, char **why);

/* Report the block devices already present (as KUDEV_INSERTED / KUDEV_REFUSED). */
void kudev_enumerate(struct kudev *u);

/* Every block device with what the filter says about it, one line each, to FN
 * (for `kiosk daemon --list-devices`). */
void kudev_describe_all(const struct kudev_filter *f,
                        void (*fn)(const char *syspath, enum kudev_verdict v,
                                   const struct kudev_device *d, const char *why, void *data),
                        void *data);

void kudev_free(struct kudev *u);

#endif

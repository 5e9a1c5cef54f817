# daemon.mk - the hotplug service (kiosk daemon, kiosk watch): udev monitor, event socket.
LIB_SRCS += service/udev.c service/events.c service/daemon.c service/daemon-session.c \
            service/daemon-print.c service/daemon-publish.c service/daemon-admin.c \
            service/daemon-admin-media.c service/daemon-commands.c
CLI_SRCS += kiosk/cmd-daemon.c kiosk/cmd-watch.c
PKGS += libudev

# test_udev fakes USB devices with umockdev (libumockdev + its LD_PRELOAD library).
UMOCKDEV_CFLAGS := $(shell pkg-config --cflags umockdev-1.0 2>/dev/null)
UMOCKDEV_LIBS := $(shell pkg-config --libs umockdev-1.0 2>/dev/null)
$(BUILD)/tests/test_udev: override CFLAGS += $(UMOCKDEV_CFLAGS)
$(BUILD)/tests/test_udev: TEST_LDLIBS += $(UMOCKDEV_LIBS)

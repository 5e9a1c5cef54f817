# cli.mk - what every command shares (kiosk/cli.c: GOptionContext, --help, --json
# failures), `kiosk config check` (kiosk/config-check.c: the table of kiosk.conf's keys)
# and the version (the VERSION file: kiosk --version, MANIFEST.json "generator", the
# service-start audit record, kiosk status).
VERSION  := $(shell cat VERSION)
LIB_SRCS += common/version.c kiosk/config-check.c
CLI_SRCS += kiosk/cli.c kiosk/cli-settings.c kiosk/cmd-config.c

$(BUILD)/obj/common/version.o $(BUILD)/obj-verify/common/version.o: \
    override CFLAGS += -DKIOSK_VERSION='"$(VERSION)"'
$(BUILD)/obj/common/version.o $(BUILD)/obj-verify/common/version.o: VERSION

# The unit test of the key table reads data/kiosk.conf from the tree.
$(BUILD)/tests/test_config_check: override CFLAGS += -DKIOSK_SRCDIR='"$(CURDIR)"'

# Quarantine kiosk - build, test, demo.  See README.md.
CC      ?= gcc
BUILD   ?= build
PKGS    := glib-2.0 gio-2.0 json-glib-1.0 libclamav blkid libmagic
CFLAGS  ?= -O2 -g
WARN    := -std=c17 -Wall -Wextra -Wshadow -Wformat=2 -fstack-protector-strong \
           -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -I.
TEST_LDLIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

# Library-like modules (everything but the CLI front end), linked into the binary and
# into each unit test.
LIB_SRCS := common/kerr.c common/log.c common/util.c common/json.c common/i18n.c common/reason.c \
            common/confine.c common/sockmsg.c \
            policy/policy.c policy/policy-groups.c policy/policy-decide.c \
            scanner/verdict.c scanner/scanner.c \
            media/names.c kiosk/audit.c kiosk/manifest.c media/media.c media/walk.c \
            handoff/workarea.c handoff/outbox.c handoff/target.c kiosk/session.c kiosk/config.c \
            kiosk/session-file.c kiosk/session-scan.c kiosk/session-deliver.c kiosk/session-audit.c \
            kiosk/session-json.c kiosk/edifact-json.c
CLI_SRCS := kiosk/main.c kiosk/cmd-scan.c kiosk/cmd-policy.c kiosk/cmd-audit.c
EXTRA_BINS :=
# The one message catalogue (po/ja.po, mk/po.mk): screen, CLI, reports, reasons.
KIOSK_MO := $(BUILD)/locale/ja/LC_MESSAGES/kiosk.mo
EXTRA_CHECK_DEPS :=

# Each area (service, reports, screen, benchmark) adds its sources, packages and targets
# in its own fragment.
include $(sort $(wildcard mk/*.mk))

override CFLAGS += $(WARN) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps check check-unit check-integration check-deps demo bench format clean

all: $(BUILD)/kiosk $(EXTRA_BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libkiosk.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/kiosk: $(CLI_OBJS) $(BUILD)/libkiosk.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libkiosk.a $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libkiosk.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libkiosk.a $(LDLIBS) $(TEST_LDLIBS)

deps:
	tools/deps.sh

check: deps check-deps
	$(MAKE) all $(UNIT_BINS) $(EXTRA_CHECK_DEPS)
	tests/run.sh $(BUILD)

check-unit: check-deps all $(UNIT_BINS) $(EXTRA_CHECK_DEPS)
	tests/run.sh --unit-only $(BUILD)

# No module includes its way back to itself (docs/design.md, "Modules"), and no function
# of the kiosk's modules (not the screen's, nor the tests') is longer than 80 lines
# (tools/func-lengths.py lists the longest); cheap, so the first thing every check does.
check-deps:
	tools/check-deps.py
	tools/func-lengths.py --max 80 --fail

demo: deps
	$(MAKE) all
	tools/demo.sh $(BUILD)


# make install: mk/install.mk.

# make format: every C file of the tree (.clang-format), the screen (ui/), the separate
# programs, the tests and the fuzz targets included.  FILES='a.c b.h' formats only those,
# e.g. the files a change touched: make format FILES="$$(git diff --name-only main -- '*.[ch]')".
FORMAT_SRCS := $(sort $(wildcard common/*.[ch] kiosk/*.[ch] media/*.[ch] service/*.[ch] admin/*.[ch] \
               report/*.[ch] handoff/*.[ch] policy/*.[ch] reader/*.[ch] \
                                 scanner/*.[ch] ui/*.[ch] tests/unit/*.[ch] tests/fuzz/*.[ch] \
                                 tests/fuse/*.[ch]))
format:
	clang-format -i $(or $(FILES),$(FORMAT_SRCS))

clean:
	rm -rf $(BUILD)

# The unit test of the reason table checks that docs/protocol.md lists every code.
$(BUILD)/tests/test_reason: override CFLAGS += -DKIOSK_SRCDIR='"$(CURDIR)"'

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d)

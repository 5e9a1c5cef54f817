# handoff.mk - the hand-off to the TOS side (docs/handoff.md): publication states and
# order (handoff.c), starting the publisher (publish.c), `kiosk staging`, the publisher
# program itself, and kiosk-verify, the TOS side's checker.  The work area and the outbox
# are core (Makefile's LIB_SRCS): every session commits to them.
LIB_SRCS += handoff/handoff.c handoff/publish.c
CLI_SRCS += kiosk/cmd-staging.c

# kiosk-publish: the publisher (publish-worker.c and its two stores), a program of its own
# so that only it links libsmbclient (68 Samba libraries the kiosk need not load, and code
# the rest of the kiosk never runs).  Always built next to the kiosk binary, which starts
# it from there; install it beside it.
PUBLISH_SRCS := handoff/publish-worker.c handoff/publish-dir.c handoff/publish-smb.c handoff/target.c \
                common/util.c common/json.c common/log.c common/kerr.c
PUBLISH_PKGS := glib-2.0 json-glib-1.0 libseccomp smbclient libsystemd
PUBLISH_OBJS := $(PUBLISH_SRCS:%.c=$(BUILD)/obj-publish/%.o)
EXTRA_BINS   += $(BUILD)/kiosk-publish
# (check-asan builds the check dependencies under build-asan: the hand-off tests need both)
EXTRA_CHECK_DEPS += $(BUILD)/kiosk-publish $(BUILD)/kiosk-verify

$(BUILD)/obj-publish/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $$(pkg-config --cflags $(PUBLISH_PKGS)) -MMD -MP -c -o $@ $<

$(BUILD)/kiosk-publish: $(PUBLISH_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $$(pkg-config --libs $(PUBLISH_PKGS))

-include $(PUBLISH_OBJS:.o=.d)

# kiosk-verify: the delivery check for TOS machines, built from the same sources as
# `kiosk verify-batch` but linked with glib, json-glib and libsodium only (no libclamav,
# CUPS, GTK ...): what a TOS machine installs (the kiosk-verify package).
VERIFY_SRCS := handoff/kiosk-verify.c handoff/verify-batch.c handoff/verify-manifest.c kiosk/sign.c \
               media/names.c common/util.c common/json.c common/kerr.c kiosk/cli.c \
               common/version.c
VERIFY_PKGS := glib-2.0 json-glib-1.0 libsodium
VERIFY_OBJS := $(VERIFY_SRCS:%.c=$(BUILD)/obj-verify/%.o)
EXTRA_BINS  += $(BUILD)/kiosk-verify

$(BUILD)/obj-verify/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $$(pkg-config --cflags $(VERIFY_PKGS)) -MMD -MP -c -o $@ $<

$(BUILD)/kiosk-verify: $(VERIFY_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $$(pkg-config --libs $(VERIFY_PKGS))

-include $(VERIFY_OBJS:.o=.d)

# handoff.mk - the hand-off to the TOS side (docs/handoff.md): the publisher process and
# its stores (a local folder through descriptors, an SMB share through libsmbclient),
# `kiosk staging`, and kiosk-verify, the TOS side's checker.  The work area and the
# outbox are core (Makefile's LIB_SRCS): every session commits to them.
LIB_SRCS += kiosk/handoff.c kiosk/publish.c kiosk/publish-worker.c kiosk/publish-dir.c kiosk/publish-smb.c
CLI_SRCS += kiosk/cmd-staging.c
PKGS     += smbclient

# kiosk-verify: the delivery check for TOS machines, built from the same sources as
# `kiosk verify-batch` but linked with glib, json-glib and libsodium only (no libclamav,
# CUPS, GTK ...): what a TOS machine installs (the kiosk-verify package).
VERIFY_SRCS := kiosk/kiosk-verify.c kiosk/verify-batch.c kiosk/verify-manifest.c kiosk/sign.c \
               kiosk/names.c common/util.c common/kerr.c
VERIFY_PKGS := glib-2.0 json-glib-1.0 libsodium
VERIFY_OBJS := $(VERIFY_SRCS:%.c=$(BUILD)/obj-verify/%.o)
EXTRA_BINS  += $(BUILD)/kiosk-verify

$(BUILD)/obj-verify/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $$(pkg-config --cflags $(VERIFY_PKGS)) -MMD -MP -c -o $@ $<

$(BUILD)/kiosk-verify: $(VERIFY_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $$(pkg-config --libs $(VERIFY_PKGS))

-include $(VERIFY_OBJS:.o=.d)

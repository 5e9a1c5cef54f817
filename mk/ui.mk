# ui.mk - the kiosk screen (GTK 4): build/kiosk-ui, its GResource, and `make demo-ui`.
# The Japanese catalogue (po/, shared with the CLI and the reports) is mk/po.mk's.  The event -> screen state machine is plain C and lives in
# libkiosk.a so tests/unit/test_screen_state.c links like every other unit test.
LIB_SRCS += ui/screen-state.c

# The fragments are included before the Makefile's "all:", so the first target of the
# first fragment would become the default goal: keep `make` = `make all`.
.DEFAULT_GOAL := all

UI_PKGS    := gtk4 json-glib-1.0 gio-unix-2.0
UI_SRCS    := ui/main.c ui/kiosk-ui-application.c ui/kiosk-ui-admin.c ui/kiosk-ui-debug.c \
              ui/kiosk-window.c ui/kiosk-ui-format.c \
              ui/kiosk-waiting-page.c ui/kiosk-checking-page.c ui/kiosk-scanning-page.c \
              ui/kiosk-result-page.c ui/kiosk-remove-page.c ui/kiosk-refused-page.c \
              ui/kiosk-queued-page.c ui/kiosk-out-of-service-page.c \
              ui/kiosk-admin-login-page.c ui/kiosk-admin-page.c
UI_OBJS    := $(UI_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/ui/kiosk-resources.o
UI_GRES    := ui/kiosk-ui.gresource.xml
UI_RES_DEPS = $(shell glib-compile-resources --sourcedir=ui --generate-dependencies $(UI_GRES) 2>/dev/null)
UI_MO      := $(KIOSK_MO)
UI_CFLAGS   = $(shell pkg-config --cflags $(UI_PKGS)) -DKIOSK_UI_LOCALEDIR='"/usr/share/locale"'

EXTRA_BINS += $(BUILD)/kiosk-ui

.PHONY: demo-ui

$(BUILD)/ui/kiosk-resources.c: $(UI_GRES) $(UI_RES_DEPS)
	@mkdir -p $(dir $@)
	glib-compile-resources --sourcedir=ui --generate-source --target=$@ $(UI_GRES)

$(BUILD)/obj/ui/kiosk-resources.o: $(BUILD)/ui/kiosk-resources.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(UI_CFLAGS) -Wno-overlength-strings -c -o $@ $<

$(UI_SRCS:%.c=$(BUILD)/obj/%.o): $(BUILD)/obj/ui/%.o: ui/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(UI_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/kiosk-ui: $(UI_OBJS) $(BUILD)/libkiosk.a
	$(CC) $(LDFLAGS) -o $@ $(UI_OBJS) $(BUILD)/libkiosk.a $(shell pkg-config --libs $(UI_PKGS)) $(LDLIBS)

# Show the screen under Xvfb, driven by a scripted session (or the real daemon when
# built, see tests/ui/demo.sh); screenshots go to $(BUILD)/ui-screenshots/demo/.
demo-ui: $(BUILD)/kiosk-ui $(BUILD)/kiosk-ui-test $(UI_MO)
	tests/ui/demo.sh $(BUILD)

-include $(UI_SRCS:%.c=$(BUILD)/obj/%.d)

# kiosk-ui-test: kiosk-ui plus --test-control (simulated touches from a FIFO: Xvfb has no
# touch screen) for the tests and make demo-ui.  Never installed: the kiosk's own screen
# takes no input but touches.
# The files that differ with -DKIOSK_UI_TEST_CONTROL: the option, and the FIFO reader.
UI_TEST_SRCS := ui/kiosk-ui-application.c ui/kiosk-ui-debug.c
UI_TEST_OBJS := $(filter-out $(UI_TEST_SRCS:%.c=$(BUILD)/obj/%.o),$(UI_OBJS)) \
                $(UI_TEST_SRCS:ui/%.c=$(BUILD)/obj/ui-test/%.o)
$(UI_TEST_SRCS:ui/%.c=$(BUILD)/obj/ui-test/%.o): $(BUILD)/obj/ui-test/%.o: ui/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(UI_CFLAGS) -DKIOSK_UI_TEST_CONTROL -MMD -MP -c -o $@ $<
$(BUILD)/kiosk-ui-test: $(UI_TEST_OBJS) $(BUILD)/libkiosk.a
	$(CC) $(LDFLAGS) -o $@ $(UI_TEST_OBJS) $(BUILD)/libkiosk.a $(shell pkg-config --libs $(UI_PKGS)) $(LDLIBS)
EXTRA_CHECK_DEPS += $(BUILD)/kiosk-ui-test
-include $(UI_TEST_SRCS:ui/%.c=$(BUILD)/obj/ui-test/%.d)

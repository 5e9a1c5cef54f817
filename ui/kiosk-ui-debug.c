/* kiosk-ui-debug.c - the screen's debug outputs and, in the tests' build only, its
 * simulated touches.  --state-file and --screenshot-dir: after the frame that shows a new
 * state, the visible screen as JSON and a PNG named after the screen (tests/ui,
 * make demo-ui).  --test-control (build/kiosk-ui-test, -DKIOSK_UI_TEST_CONTROL): touches
 * read from a FIFO. */
#include "ui/kiosk-ui-application-private.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <stdio.h>
#include <string.h>

#include "ui/kiosk-window.h"
#include "ui/screen-state.h"

/* ---- debug outputs ------------------------------------------------------------------ */

static void write_file_atomic(const char *path, const char *data)
{
    g_autoptr(GError) err = NULL;
    if (!g_file_set_contents(path, data, -1, &err))
        g_warning("cannot write %s: %s", path, err->message);
}

static char *shot_name(KioskUiApplication *self)
{
    const struct screen_state *s = self->state;
    const char *variant = NULL;
    if (self->admin_mode == KIOSK_ADMIN_LOGIN)
        return g_strdup_printf("%s-admin-login%s", self->language,
                               !self->login_failed  ? ""
                               : self->login_locked ? "-locked"
                                                    : "-failed");
    if (self->admin_mode == KIOSK_ADMIN_STATUS) {
        static const char *const stick[] = {"", "-stick-confirm", "-stick-waiting",
                                            "-stick-working"};
        /* The stick's outcome is the note: one picture for success, one for a refusal. */
        const char *end = self->stick_phase != KIOSK_STICK_IDLE      ? stick[self->stick_phase]
                          : !self->stick_action || !self->admin_note ? ""
                          : self->admin_note_error                   ? "-stick-failed"
                                                                     : "-stick-done";
        return g_strdup_printf("%s-admin-status%s", self->language, end);
    }
    if (s->screen == SCREEN_RESULT && !s->failed && s->n_edifact > 0)
        /* Its own picture: a later plain result must not replace the EDIFACT one. */
        return g_strdup_printf("%s-result-%s-edifact", self->language,
                               screen_verdict_name(s->verdict));
    if (s->screen == SCREEN_RESULT)
        variant = s->failed ? "failed" : screen_verdict_name(s->verdict);
    else if (s->screen == SCREEN_OUT_OF_SERVICE)
        variant = screen_oos_code_name(s->oos_code);
    else if (s->screen == SCREEN_SCANNING && s->delivering)
        variant = "delivering";
    return g_strdup_printf("%s-%s%s%s", self->language, screen_id_name(s->screen),
                           variant ? "-" : "", variant ? variant : "");
}

/* After the frame that showed a new state: write what is visible, take the picture. */
static void on_after_paint(GdkFrameClock *clock, KioskUiApplication *self)
{
    (void)clock;
    if (!self->dump_pending || !self->window)
        return;
    self->dump_pending = FALSE;
    g_autofree char *desc = kiosk_window_describe(self->window, self->state, self->language);
    if (self->state_file)
        write_file_atomic(self->state_file, desc);
    if (self->screenshot_dir) {
        g_autofree char *name = shot_name(self);
        g_autofree char *png = g_strdup_printf("%s/%s.png", self->screenshot_dir, name);
        g_autofree char *json = g_strdup_printf("%s/%s.json", self->screenshot_dir, name);
        g_autoptr(GError) err = NULL;
        if (!kiosk_window_save_png(self->window, png, &err))
            g_warning("screenshot %s: %s", png, err->message);
        write_file_atomic(json, desc);
        g_autofree char *log = g_strdup_printf("%s/screens.log", self->screenshot_dir);
        g_autofree char *line = g_strdup_printf("%u %s\n", ++self->dump_seq, name);
        FILE *f = fopen(log, "a");
        if (f) {
            fputs(line, f);
            fclose(f);
        }
    }
}

void kiosk_ui_debug_request_dump(KioskUiApplication *self)
{
    if (!self->state_file && !self->screenshot_dir)
        return;
    self->dump_pending = TRUE;
    gtk_widget_queue_draw(GTK_WIDGET(self->window));
}

void kiosk_ui_debug_on_window_realize(GtkWidget *w, KioskUiApplication *self)
{
    GdkFrameClock *clock = gtk_widget_get_frame_clock(w);
    g_signal_connect(clock, "after-paint", G_CALLBACK(on_after_paint), self);
}

#ifdef KIOSK_UI_TEST_CONTROL
/* ---- debug: simulated touches (--test-control FIFO) ------------------------------------
 * Only in the tests' build (build/kiosk-ui-test, -DKIOSK_UI_TEST_CONTROL): the installed
 * screen takes no input but touches.
 * One command a line: "click NAME" (a button), "type NAME TEXT" (set an entry's text),
 * "activate NAME" (Enter in an entry).  NAME is a widget name (gtk_widget_set_name) that
 * must be on screen.  Xvfb has no touch screen; this is how tests press buttons. */

static void control_read(KioskUiApplication *self);

static void control_command(KioskUiApplication *self, const char *line)
{
    g_auto(GStrv) w = g_strsplit(line, " ", 3);
    if (!w[0] || !w[1])
        return;
    GtkWidget *target = kiosk_window_find_named(self->window, w[1]);
    if (!target) {
        g_warning("test-control: no widget named %s on screen", w[1]);
        return;
    }
    kiosk_ui_admin_touched(self);
    if (strcmp(w[0], "click") == 0 && GTK_IS_BUTTON(target))
        g_signal_emit_by_name(target, "clicked");
    else if (strcmp(w[0], "type") == 0 && GTK_IS_EDITABLE(target))
        gtk_editable_set_text(GTK_EDITABLE(target), w[2] ? w[2] : "");
    else if (strcmp(w[0], "activate") == 0)
        g_signal_emit_by_name(target, "activate");
    else
        g_warning("test-control: cannot %s %s", w[0], w[1]);
}

static void on_control_line(GObject *src, GAsyncResult *res, gpointer data)
{
    KioskUiApplication *self = data;
    g_autoptr(GError) err = NULL;
    g_autofree char *line =
        g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(src), res, NULL, &err);
    if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    if (!line) {
        g_warning("test-control: %s", err ? err->message : "end of input");
        return;
    }
    if (self->window)
        control_command(self, line);
    control_read(self);
}

static void control_read(KioskUiApplication *self)
{
    g_data_input_stream_read_line_async(self->control, G_PRIORITY_DEFAULT, self->cancel,
                                        on_control_line, self);
}

void kiosk_ui_debug_control_start(KioskUiApplication *self)
{
    /* O_RDWR: a FIFO opened so never reports end-of-file when a writer closes */
    int fd = open(self->control_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        g_warning("test-control %s: %s", self->control_path, g_strerror(errno));
        return;
    }
    GInputStream *in = g_unix_input_stream_new(fd, TRUE);
    self->control = g_data_input_stream_new(in);
    g_object_unref(in);
    g_data_input_stream_set_newline_type(self->control, G_DATA_STREAM_NEWLINE_TYPE_LF);
    control_read(self);
}
#endif

/* kiosk-ui-application-private.h - the screen application's instance and what its files
 * share (GNOME style: one class in several files): kiosk-ui-application.c (start-up,
 * language, the connection, the service's replies, showing the state), kiosk-ui-admin.c
 * (the administrator's pages) and kiosk-ui-debug.c (screenshots, the state file, the tests'
 * simulated touches).  Not for use outside these three files. */
#ifndef KIOSK_UI_APPLICATION_PRIVATE_H
#define KIOSK_UI_APPLICATION_PRIVATE_H

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

#include "ui/kiosk-admin-page.h"
#include "ui/kiosk-window.h"
#include "ui/screen-state.h"

G_BEGIN_DECLS

/* The same typedef as G_DECLARE_FINAL_TYPE's in kiosk-ui-application.h (C11 allows the
 * repetition): this header does not include that one, so that the two are no module cycle
 * (tools/check-deps.py). */
typedef struct _KioskUiApplication KioskUiApplication;

#define ADMIN_IDLE_SECONDS 180 /* the administrator pages log out after 3 minutes untouched */

struct _KioskUiApplication {
    GtkApplication parent_instance;

    /* options */
    char *socket_path;
    char *config_path;
    char *language_opt;
    char *screenshot_dir;
    char *state_file;
    char *windowed;
    char *localedir;

    char *config_language;    /* [kiosk] language */
    char *language;           /* shown now: "en" | "ja" */
    gboolean language_chosen; /* by the person at the kiosk (until the session ends) */

    struct screen_state *state;
    enum screen_id last_screen;
    KioskWindow *window;

    GSocketClient *client;
    GSocketConnection *conn;
    GDataInputStream *in;
    GCancellable *cancel;
    guint reconnect_id;

    gboolean dump_pending;
    unsigned dump_seq;

    /* The administrator's pages (UI-local, over the service's screen; the service decides
     * whether a password is right and what the status is). */
    enum kiosk_admin_mode admin_mode;
    gboolean admin_logged_in; /* the service said "Logged in." on this connection */
    gboolean login_busy, login_failed, login_locked;
    gint64 login_retry_after, login_remaining;
    char *login_message;
    JsonObject *admin_status; /* the last admin-status reply's "status" */
    char *admin_note;         /* about the last reprint */
    gboolean admin_note_error;
    int admin_timeout;                  /* seconds without a touch before the automatic logout */
    gboolean show_version;              /* --version */
    enum kiosk_stick_phase stick_phase; /* the administrator's stick (admin-media events) */
    char *stick_action;                 /* "update" | "export" */
    char *stick_device;                 /* the export stick awaiting "erase", for people */
    guint admin_idle_id, unlock_id;

    /* debug: simulated touches from a FIFO (--test-control) */
    char *control_path;
    GDataInputStream *control;
};

/* ---- kiosk-ui-application.c --------------------------------------------------------- */

/* Show the state (the service's screen, or an administrator's page over it), then ask for
 * the debug outputs of the frame that shows it. */
void kiosk_ui_application_render(KioskUiApplication *self);
/* The same without the debug outputs (a state too short-lived for a picture). */
void kiosk_ui_application_render_no_dump(KioskUiApplication *self);
/* Send one line (LEN bytes, with its newline) to the service; FALSE when not connected or
 * the write failed. */
gboolean kiosk_ui_application_send_text(KioskUiApplication *self, const char *line, size_t len);
/* Send B's object as one line. */
gboolean kiosk_ui_application_send_line(KioskUiApplication *self, JsonBuilder *b);
/* {"cmd":NAME} or {"cmd":NAME,"session":SESSION} */
gboolean kiosk_ui_application_send_cmd(KioskUiApplication *self, const char *name,
                                       const char *session);

/* ---- kiosk-ui-admin.c: the administrator's pages ------------------------------------ */

/* The app.admin-* actions (the pages' buttons). */
void kiosk_ui_admin_add_actions(KioskUiApplication *self);
/* The note under the status page (NOTE is taken; NULL clears it). */
void kiosk_ui_admin_set_note(KioskUiApplication *self, char *note, gboolean error);
/* Back to the service's screen: log out (when logged in) and forget everything shown. */
void kiosk_ui_admin_leave(KioskUiApplication *self);
/* A touch (or key) while an administrator page is shown: restart the idle clock. */
void kiosk_ui_admin_touched(KioskUiApplication *self);
/* The window's events (capture phase): every touch restarts the idle clock. */
gboolean kiosk_ui_admin_on_window_event(GtkEventControllerLegacy *c, GdkEvent *ev,
                                        KioskUiApplication *self);
/* The service's replies to admin-login and admin-status. */
void kiosk_ui_admin_login_reply(KioskUiApplication *self, JsonObject *o, gboolean ok,
                                const char *error);
void kiosk_ui_admin_status_reply(KioskUiApplication *self, JsonObject *o, gboolean ok,
                                 const char *error);
/* The "print" event for a reprint asked on the status page. */
void kiosk_ui_admin_print_event(KioskUiApplication *self, JsonObject *o);
/* "admin-media": the service's phases of the administrator's stick. */
void kiosk_ui_admin_stick_event(KioskUiApplication *self, JsonObject *o);

/* ---- kiosk-ui-debug.c: debug outputs, simulated touches ----------------------------- */

/* Write the state file and the screenshot after the next frame (when asked for). */
void kiosk_ui_debug_request_dump(KioskUiApplication *self);
/* The window's "realize": follow its frame clock for the debug outputs. */
void kiosk_ui_debug_on_window_realize(GtkWidget *w, KioskUiApplication *self);
#ifdef KIOSK_UI_TEST_CONTROL
/* Read simulated touches from the --test-control FIFO. */
void kiosk_ui_debug_control_start(KioskUiApplication *self);
#endif

G_END_DECLS

#endif

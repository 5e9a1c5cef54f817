/* daemon-print.c - the service's printing (docs/reports.md): a session's receipt or report
 * is printed in a thread (report_print_session prints, saves a copy and audits it) and a
 * "print" event tells the screen how it went, so the kiosk itself never waits for a
 * printer. */
#include "service/daemon-private.h"
#include "report/report.h"

struct daemon_print {
    struct daemon *d;
    char *session;
    int rc;
    char *saved, *why;
};

static void daemon_print_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancel)
{
    struct daemon_print *pr = data;
    const struct kiosk_config *cfg = pr->d->cfg;
    struct report_options o = {.kiosk_name = cfg->kiosk_name, .site = cfg->site};
    (void)src;
    (void)cancel;
    if (!report_parse_format(cfg->report_format, &o.format))
        o.format = REPORT_RECEIPT;
    if (!report_parse_lang(cfg->report_language, &o.lang))
        o.lang = REPORT_LANG_BOTH;
    o.follow_session = true; /* the visitor's language, when the session recorded it */
    /* Prints, saves a copy and records "print" or "print-failed" in the audit log. */
    pr->rc = report_print_session(cfg, pr->session, &o, NULL, 30, &pr->saved, &pr->why);
    g_task_return_boolean(task, TRUE);
}

static void daemon_print_done(GObject *src, GAsyncResult *res, gpointer data)
{
    struct daemon_print *pr = g_task_get_task_data(G_TASK(res));
    (void)src;
    (void)data;
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "status", pr->rc == 0 ? "printed" : "failed");
    if (pr->rc != 0)
        json_object_set_string_member(o, "reason", pr->why ? pr->why : "printing failed");
    if (pr->saved)
        json_object_set_string_member(o, "saved", pr->saved);
    if (!pr->d->stopping)
        events_emit(pr->d->events, "print", pr->session, o);
    else
        json_object_unref(o);
}

static void daemon_print_free(gpointer data)
{
    struct daemon_print *pr = data;
    g_free(pr->session);
    g_free(pr->saved);
    g_free(pr->why);
    g_free(pr);
}

/* Print SESSION's report ("last": the newest) in a thread; the result is a "print"
 * event.  The person waits at most the job's follow-up time, the kiosk not at all. */
void daemon_print(struct daemon *d, const char *session)
{
    struct daemon_print *pr = g_new0(struct daemon_print, 1);
    pr->d = d;
    pr->session = g_strdup(session);
    GTask *t = g_task_new(NULL, NULL, daemon_print_done, NULL);
    g_task_set_task_data(t, pr, daemon_print_free);
    g_task_run_in_thread(t, daemon_print_thread);
    g_object_unref(t);
}

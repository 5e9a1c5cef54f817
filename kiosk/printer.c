/* printer.c - print a PDF through CUPS and follow the job (see printer.h). */
#include "kiosk/printer.h"
#include "common/kerr.h"
#include "common/log.h"

#include <cups/cups.h>
#include <glib.h>
#include <string.h>

void printer_job_clear(struct printer_job *job)
{
    if (!job)
        return;
    g_free(job->printer);
    memset(job, 0, sizeof(*job));
}

/* "out of paper" etc. from printer-state-reasons (for people), or NULL. */
static const char *printer_reason_text(const char *reasons)
{
    static const struct {
        const char *keyword, *text;
    } map[] = {
        {"media-empty", "out of paper"},
        {"media-needed", "out of paper"},
        {"media-jam", "paper jam"},
        {"cover-open", "cover open"},
        {"door-open", "door open"},
        {"offline", "offline"},
        {"connecting-to-device", "cannot reach the printer"},
        {"toner-empty", "out of toner"},
        {"marker-supply-empty", "out of ink or toner"},
        {"paused", "paused by an administrator"},
    };
    for (size_t i = 0; reasons && i < G_N_ELEMENTS(map); i++)
        if (strstr(reasons, map[i].keyword))
            return map[i].text;
    return NULL;
}

static char *printer_state_text(cups_dest_t *d)
{
    const char *state = cupsGetOption("printer-state", d->num_options, d->options);
    const char *reasons = cupsGetOption("printer-state-reasons", d->num_options, d->options);
    const char *msg = cupsGetOption("printer-state-message", d->num_options, d->options);
    const char *r = printer_reason_text(reasons);
    GString *t = g_string_new(NULL);
    if (state && !strcmp(state, "5"))
        g_string_append(t, "stopped");
    else if (state && !strcmp(state, "4"))
        g_string_append(t, "printing");
    else
        g_string_append(t, "idle");
    if (r)
        g_string_append_printf(t, ", %s", r);
    else if (reasons && *reasons && strcmp(reasons, "none") != 0)
        g_string_append_printf(t, ", %s", reasons);
    if (msg && *msg)
        g_string_append_printf(t, ", \"%s\"", msg);
    return g_string_free(t, FALSE);
}

/* The dest's current state, queried again (NULL when it is gone). */
static cups_dest_t *printer_lookup(const char *name)
{
    return cupsGetNamedDest(CUPS_HTTP_DEFAULT, name && *name ? name : NULL, NULL);
}

static int printer_lookup_error(const char *name, char **why)
{
    ipp_status_t st = cupsLastError();
    /* libcups reports an unreachable server as "not found" too: ask the server. */
    http_t *h = httpConnect2(cupsServer(), ippPort(), NULL, AF_UNSPEC, cupsEncryption(), 1, 5000,
                             NULL);
    if (h)
        httpClose(h);
    if (!h || st == IPP_STATUS_ERROR_SERVICE_UNAVAILABLE || st == IPP_STATUS_ERROR_INTERNAL) {
        *why = g_strdup_printf("the print service (CUPS) is not reachable at %s (%s); the "
                               "report was not printed",
                               cupsServer(), h ? cupsLastErrorString() : "cannot connect");
        return KERR_SYSTEM;
    }
    if (name && *name)
        *why = g_strdup_printf("there is no printer named '%s'; check [report] printer in "
                               "kiosk.conf or 'lpstat -p'",
                               name);
    else
        *why = g_strdup("no default printer is set up; set [report] printer in kiosk.conf or "
                        "choose a default with 'lpoptions -d NAME'");
    return KERR_NOT_FOUND;
}

int printer_print(const char *name, const char *pdf_path, const char *title, int timeout_s,
                  struct printer_job *job, char **why)
{
    memset(job, 0, sizeof(*job));
    cups_dest_t *d = printer_lookup(name);
    if (!d)
        return printer_lookup_error(name, why);
    job->printer = g_strdup(d->name);
    const char *accepting = cupsGetOption("printer-is-accepting-jobs", d->num_options, d->options);
    const char *state = cupsGetOption("printer-state", d->num_options, d->options);
    if ((accepting && !strcmp(accepting, "false")) || (state && !strcmp(state, "5"))) {
        char *st = printer_state_text(d);
        *why = g_strdup_printf("the printer %s is not accepting jobs (%s); ask staff to check it",
                               d->name, st);
        g_free(st);
        cupsFreeDests(1, d);
        return KERR_MEDIUM;
    }
    int num_options = 0;
    cups_option_t *options = NULL;
    num_options = cupsAddOption("document-format", "application/pdf", num_options, &options);
    job->job_id = cupsPrintFile2(CUPS_HTTP_DEFAULT, d->name, pdf_path, title, num_options, options);
    cupsFreeOptions(num_options, options);
    if (job->job_id == 0) {
        *why = g_strdup_printf("the printer %s refused the job: %s", d->name,
                               cupsLastErrorString());
        cupsFreeDests(1, d);
        return KERR_MEDIUM;
    }
    log_info("print job %s-%d submitted", d->name, job->job_id);
    /* Follow the job so the person hears about a jam or an empty roll now. */
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;
    int rc = 0;
    for (;;) {
        cups_job_t *jobs = NULL;
        int n = cupsGetJobs2(CUPS_HTTP_DEFAULT, &jobs, d->name, 0, CUPS_WHICHJOBS_ALL);
        ipp_jstate_t js = IPP_JSTATE_PENDING;
        bool found = false;
        for (int i = 0; i < n; i++)
            if (jobs[i].id == job->job_id) {
                js = jobs[i].state;
                found = true;
            }
        cupsFreeJobs(n, jobs);
        if (found && js == IPP_JSTATE_COMPLETED) {
            job->done = true;
            break;
        }
        if (found && (js == IPP_JSTATE_ABORTED || js == IPP_JSTATE_CANCELED ||
                      js == IPP_JSTATE_STOPPED)) {
            cups_dest_t *now = printer_lookup(d->name);
            char *st = now ? printer_state_text(now) : g_strdup("unknown state");
            *why = g_strdup_printf("the printer %s did not print job %d (%s; %s); ask staff to "
                                   "check the printer",
                                   d->name, job->job_id,
                                   js == IPP_JSTATE_ABORTED    ? "aborted"
                                   : js == IPP_JSTATE_CANCELED ? "cancelled"
                                                               : "stopped",
                                   st);
            g_free(st);
            if (now)
                cupsFreeDests(1, now);
            rc = KERR_MEDIUM;
            break;
        }
        if (g_get_monotonic_time() > deadline) {
            log_warn("print job %s-%d is still queued after %d s", d->name, job->job_id,
                     timeout_s);
            break;
        }
        g_usleep(200 * 1000);
    }
    cupsFreeDests(1, d);
    return rc;
}

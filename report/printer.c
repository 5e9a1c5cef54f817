/* printer.c - print a PDF through CUPS and follow the job (see printer.h). */
#include "report/printer.h"
#include "common/kerr.h"
#include "common/log.h"

#include <cups/cups.h>
#include <errno.h>
#include <glib.h>
#include <stdio.h>
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

/* Why there is no printer to talk to, for people; the caller says what that means. */
static char *printer_missing_text(const char *name, bool reachable, const char *detail)
{
    if (!reachable)
        return g_strdup_printf("the print service (CUPS) is not reachable at %s (%s)", cupsServer(),
                               detail);
    if (name && *name)
        return g_strdup_printf("there is no printer named '%s'; check [report] printer in "
                               "kiosk.conf or 'lpstat -p'",
                               name);
    return g_strdup("no default printer is set up; set [report] printer in kiosk.conf or "
                    "choose a default with 'lpoptions -d NAME'");
}

static int printer_lookup_error(const char *name, char **why)
{
    ipp_status_t st = cupsLastError();
    /* libcups reports an unreachable server as "not found" too: ask the server. */
    http_t *h =
        httpConnect2(cupsServer(), ippPort(), NULL, AF_UNSPEC, cupsEncryption(), 1, 5000, NULL);
    if (h)
        httpClose(h);
    if (!h || st == IPP_STATUS_ERROR_SERVICE_UNAVAILABLE || st == IPP_STATUS_ERROR_INTERNAL) {
        char *t = printer_missing_text(name, false, h ? cupsLastErrorString() : "cannot connect");
        *why = g_strdup_printf("%s; the report was not printed", t);
        g_free(t);
        return KERR_SYSTEM;
    }
    *why = printer_missing_text(name, true, NULL);
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
        *why =
            g_strdup_printf("the printer %s refused the job: %s", d->name, cupsLastErrorString());
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
        if (found &&
            (js == IPP_JSTATE_ABORTED || js == IPP_JSTATE_CANCELED || js == IPP_JSTATE_STOPPED)) {
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
            log_warn("print job %s-%d is still queued after %d s", d->name, job->job_id, timeout_s);
            break;
        }
        g_usleep(200 * 1000);
    }
    cupsFreeDests(1, d);
    return rc;
}

/* ---- status for the administrator ------------------------------------------------------ */

void printer_status_clear(struct printer_status *st)
{
    if (!st)
        return;
    g_free(st->queue);
    g_free(st->text);
    memset(st, 0, sizeof(*st));
}

/* Does printer-state-reasons hold a reason that stops printing?  RFC 8011: a keyword
 * without "-report" or "-warning" is an error; CUPS sets a few that only say what it is
 * doing. */
static bool printer_reasons_block(const char *reasons)
{
    static const char *const harmless[] = {"none", "connecting-to-device",
                                           "cups-waiting-for-job-completed", "cups-remote-pending",
                                           "cups-remote-pending-held"};
    bool block = false;
    char **words = g_strsplit(reasons ? reasons : "", ",", -1);
    for (char **w = words; *w && !block; w++) {
        char *k = g_strstrip(*w);
        if (!*k || g_str_has_suffix(k, "-report") || g_str_has_suffix(k, "-warning"))
            continue;
        block = true;
        for (size_t i = 0; i < G_N_ELEMENTS(harmless); i++)
            if (!strcmp(k, harmless[i]))
                block = false;
    }
    g_strfreev(words);
    return block;
}

/* What went wrong on H, in words ("Success" is what libcups says after a timeout). */
static char *printer_error_detail(http_t *h, int timeout_ms)
{
    int e = httpError(h);
    if (e == ETIMEDOUT || e == EAGAIN)
        return g_strdup_printf("no answer within %.1f s", timeout_ms / 1000.0);
    if (e)
        return g_strdup(g_strerror(e));
    return g_strdup(cupsLastErrorString());
}

/* The queue printer_status asks about: NAME, else the default (lpoptions, then the
 * server's), without an instance; NULL when there is none. */
static char *printer_status_queue(http_t *h, const char *name)
{
    if (name && *name)
        return g_strdup(name);
    const char *def = cupsGetDefault2(h); /* lpoptions, then the server's default */
    if (def)
        return g_strndup(def, strcspn(def, "/")); /* without an instance */
    return NULL;
}

/* The same option strings a cups_dest_t carries, for printer_state_text(), from the
 * answer RESP to a request for ATTRS (the first is "printer-state"); *STATE is the
 * printer's state.  Returns the number of options in *OPTIONS. */
static int printer_status_options(ipp_t *resp, const char *const *attrs, size_t n_attrs,
                                  cups_option_t **options, int *state)
{
    int num_options = 0;
    ipp_attribute_t *a = ippFindAttribute(resp, "printer-state", IPP_TAG_ENUM);
    *state = a ? ippGetInteger(a, 0) : 0;
    char buf[1024];
    snprintf(buf, sizeof(buf), "%d", *state);
    num_options = cupsAddOption("printer-state", buf, num_options, options);
    for (size_t i = 1; i < n_attrs; i++)
        if ((a = ippFindAttribute(resp, attrs[i], IPP_TAG_ZERO))) {
            ippAttributeString(a, buf, sizeof(buf));
            num_options = cupsAddOption(attrs[i], buf, num_options, options);
        }
    return num_options;
}

/* ST's state, accepting, ok and text from the printer's STATE and OPTIONS. */
static void printer_status_fill(struct printer_status *st, int state, int num_options,
                                cups_option_t *options)
{
    cups_dest_t d = {.name = st->queue, .num_options = num_options, .options = options};
    const char *accepting = cupsGetOption("printer-is-accepting-jobs", num_options, options);
    const char *reasons = cupsGetOption("printer-state-reasons", num_options, options);
    st->state = state == IPP_PSTATE_IDLE         ? "idle"
                : state == IPP_PSTATE_PROCESSING ? "printing"
                : state == IPP_PSTATE_STOPPED    ? "stopped"
                                                 : NULL;
    st->accepting = !accepting || strcmp(accepting, "false") != 0;
    st->ok = st->state && state != IPP_PSTATE_STOPPED && st->accepting &&
             !printer_reasons_block(reasons);
    st->text = printer_state_text(&d);
    if (!st->accepting) {
        char *t = g_strconcat(st->text, ", not accepting jobs", NULL);
        g_free(st->text);
        st->text = t;
    }
}

int printer_status(const char *name, int timeout_ms, struct printer_status *st)
{
    static const char *const attrs[] = {"printer-state", "printer-state-reasons",
                                        "printer-state-message", "printer-is-accepting-jobs"};
    int rc = KERR_SYSTEM;
    ipp_t *resp = NULL;
    cups_option_t *options = NULL;
    int num_options = 0;
    memset(st, 0, sizeof(*st));

    /* Our own connection with our own timeouts: CUPS_HTTP_DEFAULT waits far longer, and
     * cupsGetNamedDest() falls back to browsing on another connection. */
    http_t *h = httpConnect2(cupsServer(), ippPort(), NULL, AF_UNSPEC, cupsEncryption(), 1,
                             timeout_ms, NULL);
    if (!h) {
        st->queue = name && *name ? g_strdup(name) : NULL;
        st->text = printer_missing_text(name, false, "cannot connect");
        return KERR_SYSTEM;
    }
    httpSetTimeout(h, timeout_ms / 1000.0, NULL, NULL);
    st->queue = printer_status_queue(h, name);
    if (!st->queue) {
        bool none = cupsLastError() == IPP_STATUS_ERROR_NOT_FOUND;
        char *detail = printer_error_detail(h, timeout_ms);
        st->text = printer_missing_text(NULL, none, detail);
        g_free(detail);
        rc = none ? KERR_NOT_FOUND : KERR_SYSTEM;
        goto out;
    }

    char uri[HTTP_MAX_URI];
    httpAssembleURIf(HTTP_URI_CODING_ALL, uri, sizeof(uri), "ipp", NULL, "localhost", ippPort(),
                     "/printers/%s", st->queue);
    ipp_t *req = ippNewRequest(IPP_OP_GET_PRINTER_ATTRIBUTES);
    ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, uri);
    ippAddStrings(req, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes",
                  (int)G_N_ELEMENTS(attrs), NULL, attrs);
    resp = cupsDoRequest(h, req, "/"); /* frees req */
    if (!resp || cupsLastError() > IPP_STATUS_OK_CONFLICTING) {
        bool missing = cupsLastError() == IPP_STATUS_ERROR_NOT_FOUND;
        char *detail = printer_error_detail(h, timeout_ms);
        st->text = printer_missing_text(st->queue, missing, detail);
        g_free(detail);
        rc = missing ? KERR_NOT_FOUND : KERR_SYSTEM;
        goto out;
    }

    int state = 0;
    num_options = printer_status_options(resp, attrs, G_N_ELEMENTS(attrs), &options, &state);
    printer_status_fill(st, state, num_options, options);
    rc = st->ok ? 0 : KERR_MEDIUM;
out:
    cupsFreeOptions(num_options, options);
    ippDelete(resp);
    httpClose(h);
    return rc;
}

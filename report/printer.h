/* printer.h - print a PDF through CUPS (libcups).
 *
 * The job goes to the named queue, or to the CUPS default destination when NAME is NULL
 * or "".  The server is libcups' usual choice (CUPS_SERVER, client.conf, the local
 * socket).  printer_print() then follows the job until it completes or TIMEOUT_S passes,
 * so a printer that is stopped, out of paper or refuses the job is reported while the
 * person is still at the kiosk. */
#ifndef KIOSK_PRINTER_H
#define KIOSK_PRINTER_H

#include <stdbool.h>

struct printer_job {
    char *printer; /* the destination used */
    int job_id;    /* 0 when no job was created */
    bool done;     /* completed within the timeout (false: still queued/printing) */
};

/* Print PDF_PATH with TITLE.  Returns 0, or KERR_NOT_FOUND (no such printer / no
 * default), KERR_SYSTEM (server unreachable), KERR_MEDIUM (the printer refused, stopped
 * or aborted the job), KERR_TIMEOUT is not an error: the job is left queued and
 * job->done is false.  *why is text for people (what happened, what to do). */
int printer_print(const char *name, const char *pdf_path, const char *title, int timeout_s,
                  struct printer_job *job, char **why);

void printer_job_clear(struct printer_job *job);

/* What an administrator needs to know about the printer (kiosk status, the admin screen). */
struct printer_status {
    char *queue;       /* the queue asked about, or the default's name; NULL: none known */
    const char *state; /* "idle", "printing", "stopped"; NULL when not known */
    bool accepting;    /* the queue accepts jobs */
    bool ok;           /* reachable, exists, not stopped, accepting, nothing blocking it */
    char *text;        /* for people: "idle", "stopped, out of paper", or why it is not known
                        * ("the print service (CUPS) is not reachable at ...") */
};

/* Ask CUPS about NAME (NULL or "": the default destination, as printer_print() chooses
 * it) on a connection of its own that gives up after about TIMEOUT_MS per step, so a
 * print service that is down or does not answer cannot hold up the caller.  Always fills
 * *st (free with printer_status_clear).  Returns 0 when the printer can print, else
 * KERR_SYSTEM (server unreachable or silent), KERR_NOT_FOUND (no such printer / no
 * default) or KERR_MEDIUM (stopped, not accepting jobs, or a blocking state reason). */
int printer_status(const char *name, int timeout_ms, struct printer_status *st);

void printer_status_clear(struct printer_status *st);

#endif

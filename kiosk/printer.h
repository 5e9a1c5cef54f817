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

#endif

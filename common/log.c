#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

/* journald's native socket: present when journald runs (systemd-journald.socket). */
#define LOG_JOURNAL_SOCKET "/run/systemd/journal/socket"

static const char *log_ident = "kiosk";
static bool log_syslog;
static bool log_quiet;
static bool log_testing;
static int log_journal = -1;       /* journald reachable: -1 not checked yet */
static bool log_stderr_is_journal; /* stderr is a journal stream (JOURNAL_STREAM) */
static enum log_level log_level_max = LOG_LEVEL_INFO;

/* systemd sets JOURNAL_STREAM=DEV:INODE when stdout/stderr are connected to the journal
 * (systemd.exec(5)); stderr is the journal if its device and inode match. */
static bool log_stderr_journal(void)
{
    const char *e = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static bool log_use_journal(void)
{
    if (log_journal < 0)
        log_journal = access(LOG_JOURNAL_SOCKET, W_OK) == 0;
    return log_journal == 1;
}

void log_init(const char *ident, bool to_syslog)
{
    log_ident = ident;
    log_syslog = to_syslog;
    log_stderr_is_journal = to_syslog && log_stderr_journal();
    log_journal = -1;
    openlog(ident, LOG_PID | (to_syslog ? LOG_NDELAY : 0), LOG_DAEMON);
}

void log_set_level(enum log_level level)
{
    log_level_max = level;
}

void log_set_quiet(bool quiet)
{
    log_quiet = quiet;
}

void log_set_testing_mode(bool on)
{
    log_testing = on;
}

/* Send MESSAGE with PRIORITY and FIELDS to journald natively.  false: not sent. */
static bool log_journal_send(int priority, const char *message, const char *const *fields)
{
    size_t n = 0;
    while (fields && fields[n])
        n++;
    struct iovec *iov = calloc(n + 5, sizeof(*iov));
    char prio[16], *msg = NULL, *ident = NULL;
    size_t k = 0;
    bool ok = false;
    if (!iov)
        return false;
    snprintf(prio, sizeof(prio), "PRIORITY=%d", priority);
    if (asprintf(&msg, "MESSAGE=%s", message) < 0)
        msg = NULL;
    if (asprintf(&ident, "SYSLOG_IDENTIFIER=%s", log_ident) < 0)
        ident = NULL;
    if (!msg || !ident)
        goto out;
    iov[k++] = (struct iovec){.iov_base = msg, .iov_len = strlen(msg)};
    iov[k++] = (struct iovec){.iov_base = prio, .iov_len = strlen(prio)};
    iov[k++] = (struct iovec){.iov_base = ident, .iov_len = strlen(ident)};
    iov[k++] = (struct iovec){.iov_base = (char *)"SYSLOG_FACILITY=3", .iov_len = 17};
    for (size_t i = 0; i < n; i++)
        iov[k++] = (struct iovec){.iov_base = (char *)fields[i], .iov_len = strlen(fields[i])};
    ok = sd_journal_sendv(iov, (int)k) >= 0;
out:
    free(msg);
    free(ident);
    free(iov);
    return ok;
}

void log_record(int priority, const char *message, const char *const *fields)
{
    if (log_use_journal() && log_journal_send(priority, message, fields))
        return;
    syslog(LOG_DAEMON | priority, "%s", message);
}

static void log_vemit(enum log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void log_vemit(enum log_level level, const char *fmt, va_list ap)
{
    static const char *names[] = {"error", "warning", "info", "debug"};
    static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    const char *testing = log_testing ? "[TESTING MODE] " : "";
    char *text = NULL;

    if (vasprintf(&text, fmt, ap) < 0)
        return;
    if (log_syslog && level <= LOG_LEVEL_INFO) {
        char *line = NULL;
        if (asprintf(&line, "%s%s", testing, text) >= 0) {
            static const char *const testing_fields[] = {"KIOSK_TESTING_MODE=1", NULL};
            log_record(prio[level], line, log_testing ? testing_fields : NULL);
            free(line);
        }
    }
    /* Under systemd stderr is the journal: the line is there already. */
    if (level > log_level_max || (log_quiet && level != LOG_LEVEL_ERROR) ||
        (log_stderr_is_journal && level <= LOG_LEVEL_INFO && log_use_journal())) {
        free(text);
        return;
    }
    flockfile(stderr);
    fprintf(stderr, "%s: %s: %s%s\n", log_ident, names[level], testing, text);
    funlockfile(stderr);
    free(text);
}

#define LOG_FN(fn, level)                                                                          \
    void fn(const char *fmt, ...)                                                                  \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        log_vemit(level, fmt, ap);                                                                 \
        va_end(ap);                                                                                \
    }

LOG_FN(log_error, LOG_LEVEL_ERROR)
LOG_FN(log_warn, LOG_LEVEL_WARN)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_debug, LOG_LEVEL_DEBUG)

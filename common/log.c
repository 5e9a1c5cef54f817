#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <unistd.h>

static const char *log_ident = "kiosk";
static bool log_syslog;
static bool log_quiet;
static enum log_level log_level_max = LOG_LEVEL_INFO;

void log_init(const char *ident, bool to_syslog)
{
    log_ident = ident;
    log_syslog = to_syslog;
    if (to_syslog)
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(enum log_level level)
{
    log_level_max = level;
}

void log_set_quiet(bool quiet)
{
    log_quiet = quiet;
}

static void log_vemit(enum log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void log_vemit(enum log_level level, const char *fmt, va_list ap)
{
    static const char *names[] = {"error", "warning", "info", "debug"};
    static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    va_list ap2;

    va_copy(ap2, ap);
    if (log_syslog && level <= LOG_LEVEL_INFO)
        vsyslog(prio[level], fmt, ap2);
    va_end(ap2);
    if (level > log_level_max || (log_quiet && level != LOG_LEVEL_ERROR))
        return;
    flockfile(stderr);
    fprintf(stderr, "%s: %s: ", log_ident, names[level]);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    funlockfile(stderr);
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

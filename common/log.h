/* log.h - diagnostics for logs (technical detail: errno text, libclamav codes, paths).
 * Messages for people are written by the front ends, not here. */
#ifndef KIOSK_LOG_H
#define KIOSK_LOG_H

#include <stdbool.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* ident: program name for stderr and syslog; to_syslog: also send to syslog(3). */
void log_init(const char *ident, bool to_syslog);
void log_set_level(enum log_level level);
/* Quiet mode: only errors reach stderr (syslog still gets everything from INFO up). */
void log_set_quiet(bool quiet);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

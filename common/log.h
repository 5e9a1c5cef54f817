/* log.h - diagnostics for logs (technical detail: errno text, libclamav codes, paths),
 * and the structured records a SIEM reads (the audit records, kiosk/audit-syslog.c).
 * Messages for people are written by the front ends, not here.
 *
 * Where lines go (docs/logging.md):
 *   - the system log, with the fixed identifier "kiosk" (SYSLOG_IDENTIFIER, the RFC 5424
 *     APP-NAME) and facility daemon: natively to journald when it runs (fields such as
 *     PRIORITY, KIOSK_TESTING_MODE travel as fields), else through syslog(3);
 *   - stderr, unless stderr is the journal itself (systemd's JOURNAL_STREAM): under
 *     systemd each line is in the journal once, not twice. */
#ifndef KIOSK_LOG_H
#define KIOSK_LOG_H

#include <stdbool.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* The identifier of every line ("kiosk"); to_syslog: diagnostics go to the system log too
 * (the service; the CLI's diagnostics stay on stderr).  Structured records (log_record)
 * go to the system log in both cases. */
void log_init(const char *ident, bool to_syslog);
void log_set_level(enum log_level level);
/* Quiet mode: only errors reach stderr (syslog still gets everything from INFO up). */
void log_set_quiet(bool quiet);
/* Testing/training mode: a field of every line (KIOSK_TESTING_MODE=1) and a "[TESTING
 * MODE]" prefix for people; never part of the identifier, which stays fixed. */
void log_set_testing_mode(bool on);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One structured record for the system log: MESSAGE with syslog PRIORITY (LOG_INFO ...),
 * and FIELDS, "NAME=value" strings (NULL-terminated; journald field names: upper case,
 * digits, '_').  journald stores the fields as such; syslog(3) carries the message only
 * (an audit record's JSON holds the same information).  Never to stderr. */
void log_record(int priority, const char *message, const char *const *fields);

#endif

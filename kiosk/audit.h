/* audit.h - the append-only, hash-chained audit log.
 *
 * One JSON object per line (JSON Lines).  Every record carries:
 *   "seq":  1, 2, 3 ... (one more than the previous record)
 *   "time": RFC 3339 UTC time with microseconds, e.g. "2026-11-22T02:15:00.123456Z"
 *   "host": the kiosk's host name
 *   "prev": lower-case hex SHA-256 of the previous line's bytes (without its '\n');
 *           64 zeros for the first record of the file
 *   "type": the event, e.g. "session-start", "file", "session-end"
 * plus the fields of the event.  Records are appended with O_APPEND under an exclusive
 * flock(2), so two processes never interleave; each record is also sent to the system log
 * with a severity by event and journald fields (audit-syslog.h). */
#ifndef KIOSK_AUDIT_H
#define KIOSK_AUDIT_H

#include <json-glib/json-glib.h>
#include <stdint.h>

struct audit;

/* Open (create with mode 0600, parent folder created 0700 if missing) the log at PATH.
 * Reads the last record to continue the chain; a last line that is not a complete JSON
 * record (a crash mid-write) is not trusted: the next record chains to the hash of the
 * bytes actually there, so verify reports the broken record. */
int audit_open(const char *path, struct audit **out);

/* Append one record.  FIELDS (not consumed, may be NULL) holds the event's fields;
 * "seq", "time", "host", "prev" and "type" are set by this function.  The line is
 * written with a single write(2) but not fsync'd: call audit_sync() before telling
 * anyone the event happened. */
int audit_append(struct audit *a, const char *type, JsonObject *fields);

/* fsync the log. */
int audit_sync(struct audit *a);

void audit_close(struct audit *a);

/* Check the chain of the log at PATH.  Returns 0 when every record parses, "seq" runs
 * 1, 2, 3 ... and every "prev" equals the SHA-256 of the previous line.  Otherwise
 * returns KERR_CORRUPT with *bad_line (1-based line number of the first broken record)
 * and *why (newly allocated text).  *records gets the number of good records read.
 * Returns KERR_SYSTEM if the file cannot be read. */
int audit_verify(const char *path, uint64_t *records, uint64_t *bad_line, char **why);

#endif

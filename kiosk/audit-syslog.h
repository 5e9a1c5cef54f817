/* audit-syslog.h - how each audit record reaches the system log, for a SIEM
 * (docs/logging.md):
 *
 *   - a severity by event (audit-syslog.c, one table row per record type): a clean file
 *     is info, malware found, a device refused, an administrator login failed are
 *     warning, out of service is err;
 *   - journald fields: MESSAGE (the record's JSON line), PRIORITY, SYSLOG_IDENTIFIER=kiosk,
 *     MESSAGE_ID (one per record type: the first 128 bits of SHA-256("kiosk-audit:" TYPE),
 *     as 32 hex digits), KIOSK_EVENT (the type), SESSION (when the record has one),
 *     KIOSK_SEQ (its "seq"), KIOSK_TESTING_MODE=1 in testing mode;
 *   - through syslog(3) (no journald): facility daemon, identifier "kiosk", the same
 *     severity, the JSON line as the message (it holds every field). */
#ifndef KIOSK_AUDIT_SYSLOG_H
#define KIOSK_AUDIT_SYSLOG_H

#include <json-glib/json-glib.h>

/* The syslog priority (LOG_INFO ...) of a record of TYPE with these fields (REC may be
 * NULL: the type's default). */
int audit_syslog_priority(const char *type, JsonObject *rec);

/* MESSAGE_ID of TYPE: 32 lower-case hex digits into out[33]. */
void audit_syslog_message_id(const char *type, char out[33]);

/* Send the record number SEQ of TYPE with the fields REC (may be NULL), written as LINE,
 * to the system log. */
void audit_syslog_send(const char *type, JsonObject *rec, guint64 seq, const char *line);

/* Every type the table knows, with its default priority (for `kiosk audit types`). */
void audit_syslog_each_type(void (*fn)(const char *type, int priority, const char *what,
                                       void *data),
                            void *data);

#endif

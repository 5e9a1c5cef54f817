/* edifact-json.h - what the service makes of the EDIFACT summaries the scanner workers
 * sent (scanner/edifact.h): the "edifact" object of each file in MANIFEST.json, the audit
 * log and `kiosk scan --json`; the visitor's session details compared with the bay plans
 * ("edifact_mismatch"); the short form the "done" event carries to the screen.
 * Field by field in docs/edifact.md. */
#ifndef KIOSK_EDIFACT_JSON_H
#define KIOSK_EDIFACT_JSON_H

#include <json-glib/json-glib.h>

#include "scanner/edifact.h"

struct session_result;

/* The "edifact" object of one file (new object). */
JsonObject *edifact_json_summary(const struct edifact_summary *s);

/* Each difference between the session details (R->details: vessel, imo, voyage) and the
 * BAPLIE / MOVINS files of R: [{path, display, type, field, in_file, entered, text,
 * text_ja}] (new array), or NULL when there is none or no details were given. */
JsonArray *edifact_json_mismatches(const struct session_result *r);

/* For the "done" event: one short entry per EDIFACT file, at most MAX ({path, status,
 * type, vessel, voyage, imo, containers, messages, headline, problem, problem_ja});
 * *MORE gets how many were left out. */
JsonArray *edifact_json_done(const struct session_result *r, guint max, guint *more);

#endif

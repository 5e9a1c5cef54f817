/* verdict.h - the outcome of checking one file, and how libclamav's answers map to it.
 *
 * Only VERDICT_CLEAN, and VERDICT_SANITIZED (a copy that is itself clean), are deliverable.
 * Everything else (and anything unknown) is held back: the fail-closed rule of
 * ARCHITECTURE.md, invariant 1. */
#ifndef KIOSK_VERDICT_H
#define KIOSK_VERDICT_H

#include <stdbool.h>

#include "common/reason.h"

enum verdict_kind {
    VERDICT_CLEAN = 0, /* read completely, allowed by policy, libclamav said CL_CLEAN */
    VERDICT_INFECTED,  /* a signature matched; reason = signature name */
    VERDICT_BLOCKED,   /* policy said no (type, macro, encrypted, limit); reason says which */
    VERDICT_ERROR,     /* could not be read or scanned; reason says why */
    VERDICT_SKIPPED,   /* not a regular file, or a name policy skips; never copied */
    VERDICT_SANITIZED, /* delivered as a copy without active content (kiosk/disarm.c): the
                        * copy was typed, allowed by policy and CL_CLEAN itself; reason
                        * says what was removed.  Never sent by a scanner worker. */
};

#define VERDICT_REASON_MAX 256

struct verdict {
    enum verdict_kind kind;
    char reason[VERDICT_REASON_MAX]; /* English, for people reading JSON and logs; empty
                                      * for clean */
    struct reason_data why;          /* the same as a code + parameters (common/reason.h):
                                      * reason is its English sentence; code "" for clean */
};

/* "clean", "infected", "blocked", "error", "skipped", "sanitized". */
const char *verdict_kind_str(enum verdict_kind kind);

/* Plain-language headline for people: "Clean (delivered)", "Malware detected",
 * "Blocked by policy", "Could not be scanned", "Skipped", "Delivered as a safe copy". */
const char *verdict_kind_label(enum verdict_kind kind);

/* Set KIND and the reason CODE (common/reason.h) with its parameter values (strings, as
 * many as the code has, then NULL); v->reason becomes the English sentence.  CODE NULL:
 * no reason (clean). */
void verdict_setr(struct verdict *v, enum verdict_kind kind, const char *code, ...)
    __attribute__((sentinel));

/* Set KIND and REASON data received from elsewhere (a worker, the verdict cache), after
 * reason_data_check(); v->reason becomes its English sentence. */
void verdict_set_data(struct verdict *v, enum verdict_kind kind, const struct reason_data *why);

/* Without a code (tests and old callers): the English text only. */
void verdict_set(struct verdict *v, enum verdict_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Map a libclamav result to a verdict.  CL_CLEAN is compared by name and is the only
 * clean outcome; CL_VIRUS without a name is still infected; ClamAV heuristics that are
 * policy decisions (macros, encryption) become BLOCKED, limit heuristics and timeouts
 * become ERROR ("could not be scanned completely"); every other code is ERROR with
 * cl_strerror() text. */
void verdict_from_clamav(int cl_result, const char *virname, struct verdict *out);

/* The scanner held the file back only because it holds OLE2 macros
 * (Heuristics.OLE2.ContainsMacros): content disarm may still deliver a copy. */
bool verdict_is_macros(const struct verdict *v);

static inline bool verdict_deliverable(const struct verdict *v)
{
    return v->kind == VERDICT_CLEAN || v->kind == VERDICT_SANITIZED;
}

#endif

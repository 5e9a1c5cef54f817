/* reason.h - every reason the kiosk gives for a file, a device, the service or an admin
 * stick, as ONE table of stable codes (issue 16).
 *
 * A reason travels as three things side by side (docs/protocol.md, "Reason codes"):
 *   reason_code    a stable dotted code: "policy.type-not-allowed"
 *   reason_params  its parameters by name: {"type": "application/x-dosexec", "ext": "exe"}
 *   reason         the English sentence, for people reading JSON and logs
 * Screens, reports and receipts build their sentence from code + parameters with gettext
 * (domain "kiosk"; the table's formats are the msgids, wrapped in N_() so xgettext finds
 * them: add common/reason.c to the catalogue's POTFILES).  The English sentence is
 * reason_format() of the same code with translate = NULL, so the two never disagree.
 *
 * Formats use positional parameters only: "%1$s" is the first name in params[], "%2$s"
 * the second; "%%" is a percent sign.  Nothing else is special: reason_format() does the
 * substitution itself (never printf with a translated format), so a wrong translation can
 * lose a word but never read memory.  A translation may reorder or omit parameters.
 *
 * Parameters whose name ends in "_ja" (e.g. "text_ja", the Japanese text of a policy
 * rule's own reason) are never referenced by a format: reason_format() with lang "ja"
 * uses "text_ja" instead of "text" when it is not empty.
 *
 * Parameter values are technical data that stay as they are in every language: MIME
 * types, extensions, signature names, rule names, numbers, file names; "detail" params
 * carry system text (strerror) for the administrator. */
#ifndef KIOSK_REASON_H
#define KIOSK_REASON_H

#include <stdbool.h>
#include <stddef.h>

#define REASON_CODE_MAX 48    /* bytes with the NUL; codes are [a-z0-9.-] */
#define REASON_PARAMS_MAX 4   /* parameters per code */
#define REASON_PARAM_MAX 160  /* bytes of one parameter value with the NUL (UTF-8) */

struct reason_def {
    const char *code;                           /* "policy.type-not-allowed" */
    const char *format;                         /* English msgid, "%1$s" positional */
    const char *params[REASON_PARAMS_MAX + 1];  /* ordered names, NULL-terminated */
};

/* A reason as it is carried: in struct verdict, the worker's reply, the verdict cache. */
struct reason_data {
    char code[REASON_CODE_MAX];                          /* "" = no code */
    char params[REASON_PARAMS_MAX][REASON_PARAM_MAX];    /* in the def's order; unused "" */
};

/* The table entry of CODE, or NULL when CODE is unknown (or NULL). */
const struct reason_def *reason_lookup(const char *code);

/* The whole table (for documentation and tests): *n entries. */
const struct reason_def *reason_table(size_t *n);

/* Number of parameters of DEF (names before the NULL). */
size_t reason_def_nparams(const struct reason_def *def);

/* The sentence for CODE with PARAMS (N values, in the def's order; missing ones are "")
 * in the language TRANSLATE gives (English when TRANSLATE is NULL).  LANG ("ja", "en",
 * or NULL) chooses "*_ja" parameters as described above.  An unknown code gives a
 * generic sentence around ENGLISH (the text carried beside the code; may be NULL).
 * Returns a newly allocated string (g_free). */
char *reason_format(const char *code, const char *const *params, size_t n,
                    const char *(*translate)(const char *msgid), const char *lang,
                    const char *english);

/* Fill D with CODE and N parameter values (NULL = ""); values longer than
 * REASON_PARAM_MAX - 1 bytes are cut at a UTF-8 character boundary. */
void reason_data_set(struct reason_data *d, const char *code, const char *const *params,
                     size_t n);

/* reason_format() of D. */
char *reason_data_format(const struct reason_data *d, const char *(*translate)(const char *),
                         const char *lang, const char *english);

/* NULL when D is well formed for its code (a known code or "", every string terminated,
 * valid UTF-8 without control characters, no value beyond the code's parameter count),
 * else what is wrong.  Used on everything that crossed a trust boundary. */
const char *reason_data_check(const struct reason_data *d);

/* JSON (json-glib; the JsonObject type is declared by <json-glib/json-glib.h>):
 * reason_json_add() sets "reason_code" and "reason_params" {name: value} on O when D has
 * a code (nothing otherwise); reason_json_get() reads them back into D (0, or -1 when
 * absent or malformed: D is then cleared). */
struct _JsonObject;
void reason_json_add(struct _JsonObject *o, const struct reason_data *d);
int reason_json_get(struct _JsonObject *o, struct reason_data *d);

/* The sentence for a JSON object carrying "reason_code", "reason_params" and "reason"
 * (an event, a manifest entry, a scan --json file), as reason_format() does. */
char *reason_json_format(struct _JsonObject *o, const char *(*translate)(const char *),
                         const char *lang);

#endif

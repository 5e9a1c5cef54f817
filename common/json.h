/* json.h - reading and writing JSON (json-glib) the one way the kiosk does it.
 *
 * Typed getters: each reads member KEY of object O and returns it only when it has the
 * type asked for; anything else (O NULL, no such member, null, another type) gives the
 * default DFLT (or NULL).  They never fail and never warn, so they suit input that may be
 * hostile or from another version: the service's events (ui/), manifests (report.c),
 * audit records.  Where a wrong type must be an error (a policy, a wire message), check
 * the node yourself and say what is wrong.
 *
 *   json_member_string  a string, as it is ("" included)
 *   json_member_text    a string that is not empty ("" counts as absent)
 *   json_member_int     an integer; a number with a fraction is truncated toward zero,
 *                       one out of gint64's range counts as absent
 *   json_member_bool    true or false
 *   json_member_object, json_member_array   the object or array itself (borrowed)
 *
 * Strings, objects and arrays returned are borrowed from O: valid while O lives. */
#ifndef KIOSK_JSON_H
#define KIOSK_JSON_H

#include <json-glib/json-glib.h>
#include <stdbool.h>

const char *json_member_string(JsonObject *o, const char *key, const char *dflt);
const char *json_member_text(JsonObject *o, const char *key);
gint64 json_member_int(JsonObject *o, const char *key, gint64 dflt);
/* The same as json_member_int, saying whether there was one: true and *OUT set, or false. */
bool json_member_lookup_int(JsonObject *o, const char *key, gint64 *out);
bool json_member_bool(JsonObject *o, const char *key, bool dflt);
JsonObject *json_member_object(JsonObject *o, const char *key);
JsonArray *json_member_array(JsonObject *o, const char *key);

/* Member KEY of O: the string V, or null when V is NULL (the manifest's and the
 * protocol's way of saying "none"). */
void json_set_string_or_null(JsonObject *o, const char *key, const char *v);

/* Serialize NODE as JSON text (newly allocated; *len may be NULL).  Unlike a bare
 * JsonGenerator it escapes every control character (json-glib 1.6 leaves U+0001-U+001F
 * raw, which makes invalid JSON of a hostile file name or volume label). */
char *json_text(JsonNode *node, bool pretty, gsize *len);

#endif

/* json.c - typed JSON getters and the kiosk's JSON text (json.h). */
#include "common/json.h"

#include <math.h>

/* The member KEY of O when it holds a plain value (not null, not an object or array). */
static JsonNode *json_member_value(JsonObject *o, const char *key, GType type)
{
    JsonNode *n = o ? json_object_get_member(o, key) : NULL;
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != type)
        return NULL;
    return n;
}

const char *json_member_string(JsonObject *o, const char *key, const char *dflt)
{
    JsonNode *n = json_member_value(o, key, G_TYPE_STRING);
    return n ? json_node_get_string(n) : dflt;
}

const char *json_member_text(JsonObject *o, const char *key)
{
    const char *v = json_member_string(o, key, NULL);
    return v && *v ? v : NULL;
}

bool json_member_lookup_int(JsonObject *o, const char *key, gint64 *out)
{
    JsonNode *n = json_member_value(o, key, G_TYPE_INT64);
    if (n) {
        *out = json_node_get_int(n);
        return true;
    }
    n = json_member_value(o, key, G_TYPE_DOUBLE);
    if (!n)
        return false;
    double d = json_node_get_double(n);
    /* (gint64) of a double out of range is undefined: such a number is no integer here */
    if (!isfinite(d) || d <= -9223372036854775808.0 || d >= 9223372036854775808.0)
        return false;
    *out = (gint64)d;
    return true;
}

gint64 json_member_int(JsonObject *o, const char *key, gint64 dflt)
{
    gint64 v;
    return json_member_lookup_int(o, key, &v) ? v : dflt;
}

bool json_member_bool(JsonObject *o, const char *key, bool dflt)
{
    JsonNode *n = json_member_value(o, key, G_TYPE_BOOLEAN);
    return n ? json_node_get_boolean(n) : dflt;
}

JsonObject *json_member_object(JsonObject *o, const char *key)
{
    JsonNode *n = o ? json_object_get_member(o, key) : NULL;
    return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

JsonArray *json_member_array(JsonObject *o, const char *key)
{
    JsonNode *n = o ? json_object_get_member(o, key) : NULL;
    return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

char *json_text(JsonNode *node, bool pretty, gsize *len)
{
    JsonGenerator *gen = json_generator_new();
    json_generator_set_pretty(gen, pretty);
    if (pretty)
        json_generator_set_indent(gen, 2);
    json_generator_set_root(gen, node);
    gsize n = 0;
    char *raw = json_generator_to_data(gen, &n);
    g_object_unref(gen);
    /* Structural white space is only ' ' and '\n' (pretty); json-glib escapes '\n' in
     * strings, so any other control byte is inside a string and gets \u00XX. */
    GString *out = g_string_sized_new(n + 16);
    for (gsize i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)raw[i];
        if (ch < 0x20 && ch != '\n')
            g_string_append_printf(out, "\\u%04x", ch);
        else if (ch == 0x7f)
            g_string_append(out, "\\u007f");
        else
            g_string_append_c(out, (char)ch);
    }
    g_free(raw);
    if (len)
        *len = out->len;
    return g_string_free(out, FALSE);
}

void json_set_string_or_null(JsonObject *o, const char *key, const char *v)
{
    if (v)
        json_object_set_string_member(o, key, v);
    else
        json_object_set_null_member(o, key);
}

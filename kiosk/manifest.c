#include "kiosk/manifest.h"
#include "common/json.h"
#include "common/kerr.h"
#include "common/util.h"
#include "common/version.h"

#include <string.h>

JsonNode *manifest_build(JsonObject *session, JsonNode *files)
{
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "format", MANIFEST_FORMAT);
    json_object_set_string_member(o, "generator", version_generator()); /* "kiosk 0.9.0" */
    GList *members = json_object_get_members(session);
    for (GList *l = members; l; l = l->next)
        json_object_set_member(o, l->data,
                               json_node_copy(json_object_get_member(session, l->data)));
    g_list_free(members);
    json_object_unref(session);
    json_object_set_member(o, "files", files);
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    return n;
}

char *manifest_text(JsonNode *doc, gsize *len)
{
    gsize n = 0;
    char *text = json_text(doc, true, &n);
    char *out = g_realloc(text, n + 2);
    out[n] = '\n';
    out[n + 1] = '\0';
    *len = n + 1;
    return out;
}

char *manifest_sums_text(JsonNode *doc, const char *manifest_sha256)
{
    GString *s = g_string_new(NULL);
    JsonArray *files = json_member_array(json_node_get_object(doc), "files");
    for (guint i = 0; files && i < json_array_get_length(files); i++) {
        JsonNode *e = json_array_get_element(files, i);
        JsonObject *f = JSON_NODE_HOLDS_OBJECT(e) ? json_node_get_object(e) : NULL;
        const char *staged = json_member_string(f, "staged_path", NULL);
        const char *sha256 = json_member_text(f, "sha256");
        if (staged && sha256)
            g_string_append_printf(s, "%s  %s\n", sha256, staged);
    }
    g_string_append_printf(s, "%s  %s\n", manifest_sha256, MANIFEST_NAME);
    return g_string_free(s, FALSE);
}

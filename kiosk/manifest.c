#include "kiosk/manifest.h"
#include "common/json.h"
#include "common/kerr.h"
#include "common/util.h"
#include "common/version.h"

#include <string.h>

JsonNode *manifest_build(const struct session_result *r)
{
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "format", MANIFEST_FORMAT);
    json_object_set_string_member(o, "generator", version_generator()); /* "kiosk 0.9.0" */
    JsonObject *common = session_result_common_json(r);
    GList *members = json_object_get_members(common);
    for (GList *l = members; l; l = l->next)
        json_object_set_member(o, l->data, json_node_copy(json_object_get_member(common, l->data)));
    g_list_free(members);
    json_object_unref(common);
    json_object_set_member(o, "files", session_files_to_json(r));
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    return n;
}

char *manifest_text(const struct session_result *r, gsize *len)
{
    JsonNode *doc = manifest_build(r);
    gsize n = 0;
    char *text = json_text(doc, true, &n);
    json_node_unref(doc);
    char *out = g_realloc(text, n + 2);
    out[n] = '\n';
    out[n + 1] = '\0';
    *len = n + 1;
    return out;
}

char *manifest_sums_text(const struct session_result *r, const char *manifest_sha256)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < r->files->len; i++) {
        const struct session_file *f = g_ptr_array_index(r->files, i);
        if (f->staged_path && f->sha256[0])
            g_string_append_printf(s, "%s  %s\n", f->sha256, f->staged_path);
    }
    g_string_append_printf(s, "%s  %s\n", manifest_sha256, MANIFEST_NAME);
    return g_string_free(s, FALSE);
}

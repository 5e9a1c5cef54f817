#include "kiosk/manifest.h"
#include "common/kerr.h"
#include "common/util.h"
#include "common/version.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

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

int manifest_write(const struct session_result *r, const char *dir, char sha256_out[65],
                   char **why)
{
    JsonNode *doc = manifest_build(r);
    gsize len = 0;
    char *text = util_json_text(doc, true, &len);
    char *path = g_build_filename(dir, MANIFEST_NAME, NULL);
    int rc = KERR_STAGING;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        *why = g_strdup_printf("cannot write %s: %s", path, g_strerror(errno));
        goto out;
    }
    if (util_write_all(fd, text, len) != 0 || util_write_all(fd, "\n", 1) != 0 || fsync(fd) != 0) {
        *why = g_strdup_printf("cannot write %s: %s", path, g_strerror(errno));
        close(fd);
        goto out;
    }
    close(fd);
    /* The hash covers the file exactly as written (receipts and verify-batch use it). */
    if (util_sha256_file(path, sha256_out) != 0) {
        *why = g_strdup_printf("cannot read back %s: %s", path, g_strerror(errno));
        goto out;
    }
    rc = 0;
out:
    g_free(path);
    g_free(text);
    json_node_unref(doc);
    return rc;
}

/* libFuzzer target: the service's socket protocol (any local client, e.g. a subverted
 * screen process, may send anything).  Every line gets an answer or a refusal, never a
 * crash; operator details that pass validation are bounded and clean. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "service/events.h"

static char *fuzz_details(JsonObject *details, void *data)
{
    (void)data;
    GList *members = json_object_get_members(details);
    for (GList *l = members; l; l = l->next) {
        const char *v = json_object_get_string_member(details, l->data);
        if (!v || strlen(v) > 4096)
            abort(); /* validation let through something unbounded */
        for (const char *c = v; *c; c++)
            if ((unsigned char)*c < 0x20)
                abort();
    }
    g_list_free(members);
    return NULL;
}

static char *fuzz_cancel(void *data)
{
    (void)data;
    return g_strdup("nothing to cancel");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct events *ev;
    if (!ev) {
        struct events_info info = {.kiosk_name = "fuzz", .site = "", .language = "en"};
        struct events_handlers h = {.details = fuzz_details, .cancel = fuzz_cancel};
        char *why = NULL;
        ev = events_new(NULL, NULL, &info, &h, &why);
        if (!ev)
            abort();
    }
    bool bad = false;
    JsonArray *out = events_handle_line(ev, (const char *)data, size, &bad);
    if (out) {
        for (guint i = 0; i < json_array_get_length(out); i++) {
            char *line = events_to_line(json_array_get_object_element(out, i));
            size_t n = strlen(line);
            /* one event = one line */
            if (n == 0 || line[n - 1] != '\n' || memchr(line, '\n', n - 1))
                abort();
            g_free(line);
        }
        json_array_unref(out);
    }
    return 0;
}

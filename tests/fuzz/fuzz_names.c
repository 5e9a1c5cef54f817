/* libFuzzer target: names from a hostile medium.  The sanitized name must be valid UTF-8,
 * non-empty, within the length limit and free of the characters Windows refuses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *raw = g_strndup((const char *)data, size); /* names cannot hold NUL */
    char *clean = names_sanitize(raw);
    size_t n = strlen(clean);
    if (n == 0 || n > NAMES_MAX_COMPONENT || !g_utf8_validate(clean, -1, NULL) ||
        strpbrk(clean, "<>:\"/\\|?*") || !strcmp(clean, ".") || !strcmp(clean, ".."))
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)clean[i] < 0x20 || clean[i] == 0x7f)
            abort();
    if (clean[n - 1] == '.' || clean[n - 1] == ' ')
        abort();
    names_dir *d = names_dir_new();
    char *a = names_dir_claim(d, clean);
    char *b = names_dir_claim(d, clean);
    if (!strcmp(a, b) || strlen(b) > NAMES_MAX_COMPONENT)
        abort();
    char *disp = names_display(raw);
    if (!g_utf8_validate(disp, -1, NULL))
        abort();
    g_free(disp);
    g_free(a);
    g_free(b);
    names_dir_free(d);
    g_free(clean);
    g_free(raw);
    return 0;
}

/* libFuzzer target: a reason as a worker sends it (struct reason_data in the reply, checked
 * by reason_data_check before anything uses it), and a translated format (a catalogue is
 * data too).  A reason that passes the check must format to valid UTF-8 in English and
 * with a hostile "translation"; nothing may read outside the parameters. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "common/reason.h"

static const char *fuzz_fmt;

static const char *fuzz_translate(const char *msgid)
{
    (void)msgid;
    return fuzz_fmt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reason_data d;
    memset(&d, 0, sizeof(d));
    memcpy(&d, data, size < sizeof(d) ? size : sizeof(d));
    /* the rest of the input is the "translation" */
    char *fmt = g_strndup(size > sizeof(d) ? (const char *)data + sizeof(d) : "",
                          size > sizeof(d) ? size - sizeof(d) : 0);
    fuzz_fmt = fmt;
    /* a known code half the time, so the check's deeper branches are reached */
    if (size > 0 && (data[0] & 1)) {
        size_t n;
        const struct reason_def *t = reason_table(&n);
        const struct reason_def *def = &t[data[0] % n];
        memset(d.code, 0, sizeof(d.code));
        strcpy(d.code, def->code);
    }
    if (reason_data_check(&d) == NULL) {
        char *en = reason_data_format(&d, NULL, NULL, NULL);
        if (!g_utf8_validate(en, -1, NULL))
            abort();
        g_free(en);
        char *ja = reason_data_format(&d, fuzz_translate, "ja", "english");
        if (g_utf8_validate(fmt, -1, NULL) && !g_utf8_validate(ja, -1, NULL))
            abort();
        g_free(ja);
    }
    g_free(fmt);
    return 0;
}

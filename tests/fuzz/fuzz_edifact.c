/* libFuzzer target: the EDIFACT reader (scanner/edifact.c) on bytes from a hostile medium.
 * Whatever the input, and however it is cut into pieces: the summary passes the service's
 * own re-check (edifact_summary_check), is the same for every way of feeding it, and its
 * words (problem, headline, comparison) are NUL-terminated UTF-8.  Seeds: the test
 * messages of tests/data/edifact/ (tests/fuzz/corpus/edifact/). */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/edifact.h"

static void fuzz_feed(const uint8_t *data, size_t size, unsigned flags, size_t step,
                      struct edifact_summary *out)
{
    struct edifact_reader *r = edifact_reader_new(flags);
    if (!r)
        abort();
    for (size_t done = 0; done < size;) {
        size_t n = step && size - done > step ? step : size - done;
        if (!edifact_reader_feed(r, data + done, n))
            break;
        done += n;
    }
    *out = *edifact_reader_finish(r);
    edifact_reader_free(r);
}

static void fuzz_text_ok(const char *s, size_t size)
{
    if (strnlen(s, size) == size || !g_utf8_validate(s, -1, NULL))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct edifact_summary a, b;
    char text[1024];
    /* The first byte picks the flags and how the rest is cut into pieces. */
    unsigned flags = size && (data[0] & 1) ? EDIFACT_BY_NAME : 0;
    size_t step = size ? (size_t)(data[0] >> 1) + 1 : 1;
    if (size) {
        data++;
        size--;
    }
    fuzz_feed(data, size, flags, 0, &a);
    fuzz_feed(data, size, flags, step, &b);
    if (edifact_summary_check(&a) != NULL || memcmp(&a, &b, sizeof(a)) != 0)
        abort();
    for (int lang = EDIFACT_EN; lang <= EDIFACT_JA; lang++) {
        edifact_problem_text(&a, (enum edifact_lang)lang, text, sizeof(text));
        fuzz_text_ok(text, sizeof(text));
        edifact_headline(&a, (enum edifact_lang)lang, text, sizeof(text));
        fuzz_text_ok(text, sizeof(text));
        /* Words cut short (a small buffer) are still terminated. */
        edifact_problem_text(&a, (enum edifact_lang)lang, text, 7);
        if (strnlen(text, 7) == 7)
            abort();
    }
    struct edifact_mismatch mm[3];
    int n = edifact_compare_details(&a, "MSC AURORA", "9321483", "123W", mm);
    if (n < 0 || n > 3)
        abort();
    for (int i = 0; i < n; i++) {
        edifact_mismatch_text(&mm[i], EDIFACT_JA, text, sizeof(text));
        fuzz_text_ok(text, sizeof(text));
    }
    return 0;
}

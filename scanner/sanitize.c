/* sanitize.c - what the two sanitizers share: the table of what can be removed, limits,
 * writing the copy, the dispatch from an fd, and the service's check of a result. */
#include "scanner/sanitize.h"
#include "common/kerr.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    uint32_t bit;
    const char *id;
    const char *text;
} sanitize_removed_table[] = {
    {SANITIZE_VBA, "vba-macros", "VBA macros"},
    {SANITIZE_ACTIVEX, "activex-controls", "ActiveX controls"},
    {SANITIZE_CUSTOM_UI, "custom-ui-callbacks", "ribbon callbacks to macros"},
    {SANITIZE_EXT_LINKS, "external-links", "links updated or fetched when the file opens"},
    {SANITIZE_PDF_JAVASCRIPT, "pdf-javascript", "JavaScript"},
    {SANITIZE_PDF_OPEN_ACTION, "pdf-open-action", "an action run when the file opens"},
    {SANITIZE_PDF_AA, "pdf-additional-actions", "actions run by page, field or document events"},
    {SANITIZE_PDF_LAUNCH, "pdf-launch", "actions that start programs"},
    {SANITIZE_PDF_EMBEDDED, "pdf-embedded-files", "embedded files"},
    {SANITIZE_PDF_RICH_MEDIA, "pdf-rich-media", "multimedia and 3D content"},
    {SANITIZE_PDF_XFA, "pdf-xfa", "XFA forms"},
    {SANITIZE_PDF_URI_ON_OPEN, "pdf-uri-on-open", "web links opened by themselves"},
    {SANITIZE_PDF_ACTIONS, "pdf-actions", "actions that open other files or send data"},
    {SANITIZE_PDF_REBUILT, "pdf-rebuilt", "a damaged file structure (rebuilt)"},
};

static const char *const sanitize_family_exts[SANITIZE_FAMILY_COUNT] = {
    [SANITIZE_FAMILY_DOCX] = "docx", [SANITIZE_FAMILY_DOTX] = "dotx",
    [SANITIZE_FAMILY_XLSX] = "xlsx", [SANITIZE_FAMILY_XLTX] = "xltx",
    [SANITIZE_FAMILY_PPTX] = "pptx", [SANITIZE_FAMILY_POTX] = "potx",
    [SANITIZE_FAMILY_PPSX] = "ppsx", [SANITIZE_FAMILY_PDF] = "pdf",
};

#define SANITIZE_N(a) (sizeof(a) / sizeof((a)[0]))

const char *sanitize_removed_id(uint32_t bit)
{
    for (size_t i = 0; i < SANITIZE_N(sanitize_removed_table); i++)
        if (sanitize_removed_table[i].bit == bit)
            return sanitize_removed_table[i].id;
    return NULL;
}

const char *sanitize_removed_text(uint32_t bit)
{
    for (size_t i = 0; i < SANITIZE_N(sanitize_removed_table); i++)
        if (sanitize_removed_table[i].bit == bit)
            return sanitize_removed_table[i].text;
    return NULL;
}

void sanitize_removed_describe(uint32_t removed, char *buf, size_t len)
{
    size_t at = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < SANITIZE_N(sanitize_removed_table); i++) {
        if (!(removed & sanitize_removed_table[i].bit))
            continue;
        int n =
            snprintf(buf + at, len - at, "%s%s", at ? ", " : "", sanitize_removed_table[i].text);
        if (n < 0 || (size_t)n >= len - at)
            return;
        at += (size_t)n;
    }
}

const char *sanitize_family_ext(enum sanitize_family f)
{
    if ((int)f <= SANITIZE_FAMILY_NONE || f >= SANITIZE_FAMILY_COUNT)
        return NULL;
    return sanitize_family_exts[f];
}

void sanitize_limits_default(struct sanitize_limits *l, uint64_t max_file, uint64_t max_total,
                             uint32_t max_files)
{
    l->max_input = max_file;
    /* A copy may be a little larger than its original (recompressed, rewritten XML). */
    l->max_output = max_file + max_file / 4 + 65536;
    l->max_part = max_file;
    l->max_total = max_total;
    l->max_parts = max_files;
    l->max_objects = 1000000;
}

void sanitize_refuse(struct sanitize_result *r, const char *fmt, ...)
{
    va_list ap;
    r->status = SANITIZE_REFUSED;
    r->removed = 0;
    r->family = SANITIZE_FAMILY_NONE;
    r->size = 0;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
    va_end(ap);
    /* Printable ASCII only: the service refuses anything else as nonsense. */
    for (char *c = r->reason; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            *c = '?';
    if (!r->reason[0])
        snprintf(r->reason, sizeof(r->reason), "could not be sanitized");
}

bool sanitize_write(int out, const void *buf, size_t len, const struct sanitize_limits *lim,
                    struct sanitize_result *r)
{
    const char *p = buf;
    if (r->size + len > lim->max_output) {
        sanitize_refuse(r, "the sanitized copy would be larger than %llu bytes",
                        (unsigned long long)lim->max_output);
        return false;
    }
    while (len > 0) {
        ssize_t n = write(out, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            sanitize_refuse(r, "the sanitized copy could not be written (%s)",
                            n < 0 ? strerror(errno) : "no space");
            return false;
        }
        p += n;
        len -= (size_t)n;
        r->size += (uint64_t)n;
    }
    return true;
}

int sanitize_fd(enum sanitize_format format, enum sanitize_mode mode, int in, int out,
                const struct sanitize_limits *lim, struct sanitize_result *r)
{
    struct stat st;
    void *map = NULL;

    memset(r, 0, sizeof(*r));
    if ((format != SANITIZE_OOXML && format != SANITIZE_PDF) ||
        (mode != SANITIZE_CHECK && mode != SANITIZE_REWRITE) ||
        (mode == SANITIZE_REWRITE && out < 0)) {
        sanitize_refuse(r, "the sanitizer was asked for something it does not do");
        return KERR_INVAL;
    }
    if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
        sanitize_refuse(r, "the file could not be read for sanitizing");
        return 0;
    }
    if ((uint64_t)st.st_size > lim->max_input) {
        sanitize_refuse(r, "too large to sanitize (%llu bytes; the limit is %llu)",
                        (unsigned long long)st.st_size, (unsigned long long)lim->max_input);
        return 0;
    }
    if (st.st_size == 0) {
        sanitize_refuse(r, "damaged: the file is empty");
        return 0;
    }
    map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, in, 0);
    if (map == MAP_FAILED) {
        sanitize_refuse(r, "the file could not be read for sanitizing (%s)", strerror(errno));
        return 0;
    }
    if (format == SANITIZE_OOXML)
        sanitize_ooxml(map, (size_t)st.st_size, mode, out, lim, r);
    else
        sanitize_pdf(map, (size_t)st.st_size, mode, out, lim, r);
    munmap(map, (size_t)st.st_size);
    return 0;
}

const char *sanitize_result_check(const struct sanitize_result *r, enum sanitize_format format,
                                  enum sanitize_mode mode)
{
    uint32_t mask = format == SANITIZE_OOXML ? SANITIZE_OOXML_MASK : SANITIZE_PDF_MASK;
    size_t len = strnlen(r->reason, sizeof(r->reason));

    if (len == sizeof(r->reason))
        return "reason not terminated";
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)r->reason[i] < 0x20 || (unsigned char)r->reason[i] >= 0x7f)
            return "reason not printable";
    if (r->removed & ~mask)
        return "removed something this format does not have";
    for (uint32_t b = 1; b; b <<= 1)
        if ((r->removed & b) && !sanitize_removed_id(b))
            return "removed something unknown";
    switch (r->status) {
    case SANITIZE_NOTHING:
        if (r->removed || len || r->family != SANITIZE_FAMILY_NONE || r->size)
            return "nothing found, but details given";
        return NULL;
    case SANITIZE_FOUND:
        if (mode != SANITIZE_CHECK)
            return "found (a check answer) to a rewrite request";
        if (!r->removed || len || r->size)
            return "found without saying what";
        return NULL;
    case SANITIZE_REWRITTEN:
        if (mode != SANITIZE_REWRITE)
            return "rewritten in a check";
        if (!r->removed || len || r->size == 0)
            return "rewritten without saying what";
        if (format == SANITIZE_PDF
                ? r->family != SANITIZE_FAMILY_PDF
                : (!sanitize_family_ext(r->family) || r->family == SANITIZE_FAMILY_PDF))
            return "rewritten into an unknown kind of document";
        return NULL;
    case SANITIZE_REFUSED:
        if (!len || r->removed)
            return "refused without a reason";
        return NULL;
    default:
        return "status out of range";
    }
}

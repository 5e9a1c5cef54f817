/* sanitize.h - content disarm: a copy of an Office document without macros, ActiveX
 * controls, macro-bound ribbon callbacks and self-updating external links
 * (sanitize-ooxml.c: libzip + libxml2), or of a PDF without JavaScript, automatic and
 * launching actions, embedded files, rich media and XFA forms (sanitize-pdf.c: libqpdf's
 * C API).  Both read hostile bytes: they run only in a confined scanner worker
 * (worker.c), never in the service; the service (kiosk/disarm.c) scans the copy again
 * before it delivers it.  docs/privsep.md has the protocol, docs/policy.md the modes.
 *
 * One entry point, fd in, fd out, no paths:
 *
 *     sanitize_fd(SANITIZE_OOXML, SANITIZE_REWRITE, in, out, &limits, &result)
 *
 * result.status says what happened: NOTHING (no active content: the original may be
 * delivered, nothing was written), FOUND (CHECK mode: active content, nothing written),
 * REWRITTEN (the copy is in OUT, result.removed says what was taken out) or REFUSED (no
 * copy can be made: damaged, encrypted, too big, a kind of document without a macro-free
 * form; result.reason says which, in words for people). */
#ifndef KIOSK_SCANNER_SANITIZE_H
#define KIOSK_SCANNER_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/verdict.h"

enum sanitize_format {
    SANITIZE_NONE = 0,
    SANITIZE_OOXML = 1, /* .docx .docm .dotx .dotm .xlsx .xlsm .xltx .xltm .pptx .pptm ... */
    SANITIZE_PDF = 2,
};

enum sanitize_mode {
    SANITIZE_CHECK = 1,   /* look only: NOTHING, FOUND or REFUSED; OUT is not used */
    SANITIZE_REWRITE = 2, /* NOTHING, REWRITTEN or REFUSED */
};

enum sanitize_status {
    SANITIZE_NOTHING = 0,
    SANITIZE_FOUND = 1,
    SANITIZE_REWRITTEN = 2,
    SANITIZE_REFUSED = 3,
};

/* What was (or, in CHECK mode, would be) removed.  One bit each; the table in
 * sanitize.c gives each an identifier for MANIFEST.json and a text for people. */
enum sanitize_removed {
    /* Office (OOXML) */
    SANITIZE_VBA = 1u << 0,       /* VBA project (vbaProject.bin, vbaData.xml, key bindings) */
    SANITIZE_ACTIVEX = 1u << 1,   /* ActiveX controls */
    SANITIZE_CUSTOM_UI = 1u << 2, /* ribbon customisations with macro callbacks */
    SANITIZE_EXT_LINKS = 1u << 3, /* links fetched or updated when the file opens */
    /* PDF */
    SANITIZE_PDF_JAVASCRIPT = 1u << 8, /* /JavaScript name tree, /JS actions */
    SANITIZE_PDF_OPEN_ACTION = 1u << 9,
    SANITIZE_PDF_AA = 1u << 10,         /* /AA: actions on page, field or document events */
    SANITIZE_PDF_LAUNCH = 1u << 11,     /* /Launch actions */
    SANITIZE_PDF_EMBEDDED = 1u << 12,   /* /EmbeddedFiles, file attachments, /EF, /AF */
    SANITIZE_PDF_RICH_MEDIA = 1u << 13, /* /RichMedia, Screen, Movie, Sound, 3D annotations */
    SANITIZE_PDF_XFA = 1u << 14,
    SANITIZE_PDF_URI_ON_OPEN = 1u << 15, /* /URI actions run by /OpenAction or /AA */
    SANITIZE_PDF_ACTIONS = 1u << 16,     /* other actions that open or send: SubmitForm,
                                          * ImportData, GoToR, GoToE, Rendition ... */
    SANITIZE_PDF_REBUILT = 1u << 17,     /* a damaged file structure was rebuilt */
};

#define SANITIZE_OOXML_MASK 0x0000000fu
#define SANITIZE_PDF_MASK 0x0003ff00u

/* The kind of document a rewritten OOXML copy is (its extension, without the dot). */
enum sanitize_family {
    SANITIZE_FAMILY_NONE = 0, /* PDF, or nothing written */
    SANITIZE_FAMILY_DOCX,
    SANITIZE_FAMILY_DOTX,
    SANITIZE_FAMILY_XLSX,
    SANITIZE_FAMILY_XLTX,
    SANITIZE_FAMILY_PPTX,
    SANITIZE_FAMILY_POTX,
    SANITIZE_FAMILY_PPSX,
    SANITIZE_FAMILY_PDF,
    SANITIZE_FAMILY_COUNT
};

struct sanitize_limits {
    uint64_t max_input;   /* bytes of the original */
    uint64_t max_output;  /* bytes of the copy */
    uint64_t max_part;    /* OOXML: bytes of one part once inflated */
    uint64_t max_total;   /* OOXML: bytes of all parts once inflated */
    uint32_t max_parts;   /* OOXML: entries in the archive */
    uint32_t max_objects; /* PDF: objects visited */
};

struct sanitize_result {
    enum sanitize_status status;
    uint32_t removed;                /* enum sanitize_removed bits */
    enum sanitize_family family;     /* REWRITTEN: what the copy is */
    uint64_t size;                   /* REWRITTEN: bytes written to OUT */
    char reason[VERDICT_REASON_MAX]; /* REFUSED: why, printable ASCII */
};

/* Defaults for the limits from the policy's scan limits (the same the scanner has). */
void sanitize_limits_default(struct sanitize_limits *l, uint64_t max_file, uint64_t max_total,
                             uint32_t max_files);

/* Sanitize the open file IN (read from offset 0 with pread/mmap) into OUT (empty, written
 * from its current offset; -1 in CHECK mode).  Always fills *R; returns 0, or a negative
 * KERR_* only for a wrong call (bad format or mode). */
int sanitize_fd(enum sanitize_format format, enum sanitize_mode mode, int in, int out,
                const struct sanitize_limits *lim, struct sanitize_result *r);

/* The two sanitizers, on bytes in memory (the fuzz targets call these).  OUT may be -1 in
 * CHECK mode. */
void sanitize_ooxml(const uint8_t *data, size_t len, enum sanitize_mode mode, int out,
                    const struct sanitize_limits *lim, struct sanitize_result *r);
void sanitize_pdf(const uint8_t *data, size_t len, enum sanitize_mode mode, int out,
                  const struct sanitize_limits *lim, struct sanitize_result *r);

/* Set *R to REFUSED with a reason (printf format). */
void sanitize_refuse(struct sanitize_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Write LEN bytes to OUT and account them in R->size against LIM->max_output; false (and
 * R refused) when it cannot. */
bool sanitize_write(int out, const void *buf, size_t len, const struct sanitize_limits *lim,
                    struct sanitize_result *r);

/* Identifier ("vba-macros", "pdf-javascript" ...) and English text of one bit; NULL for
 * an unknown bit. */
const char *sanitize_removed_id(uint32_t bit);
const char *sanitize_removed_text(uint32_t bit);

/* "VBA macros, ActiveX controls": every bit of REMOVED in words, into BUF. */
void sanitize_removed_describe(uint32_t removed, char *buf, size_t len);

/* Extension (no dot) of a family: "xlsx"; NULL for NONE or out of range. */
const char *sanitize_family_ext(enum sanitize_family f);

/* The trusted side's check of a result a worker sent (pool.c): NULL when well-formed for
 * FORMAT and MODE, else what is wrong. */
const char *sanitize_result_check(const struct sanitize_result *r, enum sanitize_format format,
                                  enum sanitize_mode mode);

#endif

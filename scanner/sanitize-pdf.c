/* sanitize-pdf.c - a copy of a PDF without active content (libqpdf's C API, object
 * handles).
 *
 * qpdf reads the file (repairing a damaged cross-reference table if it must, decrypting
 * one that opens without a password); then every object reachable from the trailer is
 * visited once and, wherever they are:
 *
 *   /OpenAction                        removed (whatever it does)
 *   /AA (document, page, annotation,   removed: actions run by events (open, close,
 *       field)                         page visible, keystroke, calculate ...)
 *   /Names /JavaScript                 removed: document-level scripts
 *   an action dictionary whose /S is   removed from where it hangs (/A of a link, a
 *   JavaScript, Launch, SubmitForm,    widget, an outline item; /Next chains): what runs
 *   ImportData, GoToR, GoToE, Rendition, scripts, starts programs, opens other files or
 *   RichMediaExecute, Sound, Movie     sends data.  GoTo, URI (on a click), Named ... stay
 *   /Names /EmbeddedFiles, /EF, /AF,   removed: embedded files and portfolios
 *   /Collection, FileAttachment annots
 *   RichMedia, Screen, Movie, Sound,   removed from /Annots; /RichMediaContent,
 *   3D annotations                     /AlternatePresentations too
 *   /AcroForm /XFA, /NeedsRendering    removed: XFA forms (the AcroForm stays)
 *
 * Content streams, fonts, images and the page tree are not touched: text and pages stay
 * as they were.  The copy is written by qpdf with stream data as it is (no recompression),
 * without encryption, with a deterministic /ID; unreachable objects are not written.
 *
 * NOTHING only when the walk found nothing, qpdf needed no repair, and no name in the raw
 * bytes says otherwise (an object qpdf's reading did not reach may be what another reader
 * finds); otherwise the copy is written and delivered instead of the original. */
#include "scanner/sanitize.h"

#include <glib.h>
#include <qpdf/qpdf-c.h>
#include <string.h>

/* Action types that run code, start programs, open other files or send data. */
static const struct {
    const char *s;
    uint32_t removed;
} pdf_unsafe_actions[] = {
    {"/JavaScript", SANITIZE_PDF_JAVASCRIPT}, {"/Launch", SANITIZE_PDF_LAUNCH},
    {"/SubmitForm", SANITIZE_PDF_ACTIONS},    {"/ImportData", SANITIZE_PDF_ACTIONS},
    {"/GoToR", SANITIZE_PDF_ACTIONS},         {"/GoToE", SANITIZE_PDF_EMBEDDED},
    {"/Rendition", SANITIZE_PDF_RICH_MEDIA},  {"/RichMediaExecute", SANITIZE_PDF_RICH_MEDIA},
    {"/Sound", SANITIZE_PDF_RICH_MEDIA},      {"/Movie", SANITIZE_PDF_RICH_MEDIA},
    {"/GoTo3DView", SANITIZE_PDF_RICH_MEDIA},
};

/* Keys removed wherever they are. */
static const struct {
    const char *key;
    uint32_t removed; /* 0: removed without counting (goes with another) */
} pdf_removed_keys[] = {
    {"/JavaScript", SANITIZE_PDF_JAVASCRIPT},
    {"/EmbeddedFiles", SANITIZE_PDF_EMBEDDED},
    {"/EF", SANITIZE_PDF_EMBEDDED},
    {"/AF", SANITIZE_PDF_EMBEDDED},
    {"/Collection", SANITIZE_PDF_EMBEDDED},
    {"/XFA", SANITIZE_PDF_XFA},
    {"/NeedsRendering", 0},
    {"/RichMediaContent", SANITIZE_PDF_RICH_MEDIA},
    {"/RichMediaSettings", SANITIZE_PDF_RICH_MEDIA},
    {"/AlternatePresentations", SANITIZE_PDF_RICH_MEDIA},
};

/* Annotations removed from /Annots. */
static const struct {
    const char *subtype;
    uint32_t removed;
} pdf_removed_annots[] = {
    {"/FileAttachment", SANITIZE_PDF_EMBEDDED}, {"/RichMedia", SANITIZE_PDF_RICH_MEDIA},
    {"/Screen", SANITIZE_PDF_RICH_MEDIA},       {"/Movie", SANITIZE_PDF_RICH_MEDIA},
    {"/Sound", SANITIZE_PDF_RICH_MEDIA},        {"/3D", SANITIZE_PDF_RICH_MEDIA},
};

/* Names that, anywhere in the raw bytes, mean a rewrite is due. */
static const struct {
    const char *name;
    uint32_t removed;
} pdf_raw_names[] = {
    {"JavaScript", SANITIZE_PDF_JAVASCRIPT},
    {"OpenAction", SANITIZE_PDF_OPEN_ACTION},
    {"Launch", SANITIZE_PDF_LAUNCH},
    {"EmbeddedFiles", SANITIZE_PDF_EMBEDDED},
    {"EmbeddedFile", SANITIZE_PDF_EMBEDDED},
    {"RichMedia", SANITIZE_PDF_RICH_MEDIA},
    {"RichMediaContent", SANITIZE_PDF_RICH_MEDIA},
    {"XFA", SANITIZE_PDF_XFA},
};

struct pdf {
    qpdf_data q;
    const struct sanitize_limits *lim;
    struct sanitize_result *r;
    GHashTable *seen; /* indirect objects visited: (id << 16) | generation */
    GArray *stack;    /* qpdf_oh still to visit */
    uint32_t removed;
    uint32_t visited;
};

/* ---- raw bytes ------------------------------------------------------------------------ */

static bool pdf_delim(unsigned char c)
{
    return c <= ' ' || strchr("()<>[]{}/%", c) != NULL;
}

/* Every name token in the bytes (with #xx escapes decoded) that is one of pdf_raw_names. */
static uint32_t pdf_raw_scan(const uint8_t *d, size_t len)
{
    uint32_t found = 0;
    char name[32];
    for (size_t i = 0; i < len; i++) {
        if (d[i] != '/')
            continue;
        size_t n = 0, j = i + 1;
        while (j < len && !pdf_delim(d[j]) && n < sizeof(name) - 1) {
            if (d[j] == '#' && j + 2 < len && g_ascii_isxdigit(d[j + 1]) &&
                g_ascii_isxdigit(d[j + 2])) {
                name[n++] =
                    (char)(g_ascii_xdigit_value(d[j + 1]) * 16 + g_ascii_xdigit_value(d[j + 2]));
                j += 3;
            } else {
                name[n++] = (char)d[j++];
            }
        }
        name[n] = '\0';
        if (j < len && !pdf_delim(d[j]))
            continue; /* longer than any name we look for */
        for (size_t k = 0; k < G_N_ELEMENTS(pdf_raw_names); k++)
            if (strcmp(name, pdf_raw_names[k].name) == 0)
                found |= pdf_raw_names[k].removed;
        i = j - 1;
    }
    return found;
}

/* ---- objects -------------------------------------------------------------------------- */

static bool pdf_is_container(struct pdf *p, qpdf_oh h)
{
    enum qpdf_object_type_e t = qpdf_oh_get_type_code(p->q, h);
    return t == ot_dictionary || t == ot_array || t == ot_stream;
}

/* The value of the name key KEY of dictionary H ("/JavaScript"), or NULL; copied into BUF. */
static const char *pdf_name_of(struct pdf *p, qpdf_oh h, const char *key, char *buf, size_t len)
{
    const char *out = NULL;
    if (!qpdf_oh_is_dictionary(p->q, h) || !qpdf_oh_has_key(p->q, h, key))
        return NULL;
    qpdf_oh v = qpdf_oh_get_key(p->q, h, key);
    if (qpdf_oh_is_name(p->q, v)) {
        g_strlcpy(buf, qpdf_oh_get_name(p->q, v), len);
        out = buf;
    }
    qpdf_oh_release(p->q, v);
    return out;
}

/* What running the action (or /AA dictionary, or array of actions) H would do, as bits;
 * DEPTH bounds /Next chains. */
static uint32_t pdf_action_bits(struct pdf *p, qpdf_oh h, int depth)
{
    char s[64];
    uint32_t bits = 0;
    if (depth > 32)
        return 0;
    if (qpdf_oh_is_array(p->q, h)) {
        int n = qpdf_oh_get_array_n_items(p->q, h);
        for (int i = 0; i < n && i < 256; i++) {
            qpdf_oh item = qpdf_oh_get_array_item(p->q, h, i);
            bits |= pdf_action_bits(p, item, depth + 1);
            qpdf_oh_release(p->q, item);
        }
        return bits;
    }
    if (!qpdf_oh_is_dictionary(p->q, h))
        return 0;
    if (pdf_name_of(p, h, "/S", s, sizeof(s))) {
        for (size_t i = 0; i < G_N_ELEMENTS(pdf_unsafe_actions); i++)
            if (strcmp(s, pdf_unsafe_actions[i].s) == 0)
                bits |= pdf_unsafe_actions[i].removed;
        if (strcmp(s, "/URI") == 0)
            bits |= SANITIZE_PDF_URI_ON_OPEN;
        if (qpdf_oh_has_key(p->q, h, "/JS"))
            bits |= SANITIZE_PDF_JAVASCRIPT;
        if (qpdf_oh_has_key(p->q, h, "/Next")) {
            qpdf_oh next = qpdf_oh_get_key(p->q, h, "/Next");
            bits |= pdf_action_bits(p, next, depth + 1);
            qpdf_oh_release(p->q, next);
        }
        return bits;
    }
    /* an /AA dictionary: its values are actions */
    GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
    qpdf_oh_begin_dict_key_iter(p->q, h);
    while (qpdf_oh_dict_more_keys(p->q))
        g_ptr_array_add(keys, g_strdup(qpdf_oh_dict_next_key(p->q)));
    for (guint i = 0; i < keys->len && i < 64; i++) {
        qpdf_oh v = qpdf_oh_get_key(p->q, h, g_ptr_array_index(keys, i));
        if (qpdf_oh_is_dictionary(p->q, v) && qpdf_oh_has_key(p->q, v, "/S"))
            bits |= pdf_action_bits(p, v, depth + 1);
        qpdf_oh_release(p->q, v);
    }
    g_ptr_array_free(keys, TRUE);
    return bits;
}

/* Bits of an action H that must go wherever it hangs (not GoTo, URI on a click, Named ...). */
static uint32_t pdf_unsafe_action(struct pdf *p, qpdf_oh h)
{
    char s[64];
    if (!pdf_name_of(p, h, "/S", s, sizeof(s)))
        return qpdf_oh_is_dictionary(p->q, h) && qpdf_oh_has_key(p->q, h, "/JS")
                   ? SANITIZE_PDF_JAVASCRIPT
                   : 0;
    for (size_t i = 0; i < G_N_ELEMENTS(pdf_unsafe_actions); i++)
        if (strcmp(s, pdf_unsafe_actions[i].s) == 0)
            return pdf_unsafe_actions[i].removed;
    return 0;
}

static uint32_t pdf_removed_annot(struct pdf *p, qpdf_oh h)
{
    char s[64];
    if (!pdf_name_of(p, h, "/Subtype", s, sizeof(s)))
        return 0;
    for (size_t i = 0; i < G_N_ELEMENTS(pdf_removed_annots); i++)
        if (strcmp(s, pdf_removed_annots[i].subtype) == 0)
            return pdf_removed_annots[i].removed;
    return 0;
}

/* Push H to be visited (once, for indirect objects); releases it otherwise. */
static void pdf_push(struct pdf *p, qpdf_oh h)
{
    if (!pdf_is_container(p, h)) {
        qpdf_oh_release(p->q, h);
        return;
    }
    if (qpdf_oh_is_indirect(p->q, h)) {
        guint64 id = ((guint64)(unsigned)qpdf_oh_get_object_id(p->q, h) << 16) |
                     (guint64)(qpdf_oh_get_generation(p->q, h) & 0xffff);
        gpointer key = g_memdup2(&id, sizeof(id));
        if (g_hash_table_contains(p->seen, key)) {
            g_free(key);
            qpdf_oh_release(p->q, h);
            return;
        }
        g_hash_table_add(p->seen, key);
    }
    g_array_append_val(p->stack, h);
}

static void pdf_visit_array(struct pdf *p, qpdf_oh a)
{
    int n = qpdf_oh_get_array_n_items(p->q, a);
    for (int i = n - 1; i >= 0; i--) {
        qpdf_oh item = qpdf_oh_get_array_item(p->q, a, i);
        uint32_t bits = pdf_unsafe_action(p, item); /* /Next arrays */
        if (!bits && qpdf_oh_is_dictionary(p->q, item))
            bits = pdf_removed_annot(p, item); /* /Annots */
        if (bits) {
            p->removed |= bits;
            qpdf_oh_erase_item(p->q, a, i);
            qpdf_oh_release(p->q, item);
            continue;
        }
        pdf_push(p, item);
    }
}

static void pdf_visit_dict(struct pdf *p, qpdf_oh d)
{
    GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
    qpdf_oh_begin_dict_key_iter(p->q, d);
    while (qpdf_oh_dict_more_keys(p->q))
        g_ptr_array_add(keys, g_strdup(qpdf_oh_dict_next_key(p->q)));
    for (guint i = 0; i < keys->len; i++) {
        const char *k = g_ptr_array_index(keys, i);
        uint32_t bits = 0;
        bool drop = false;
        if (strcmp(k, "/Encrypt") == 0)
            continue; /* the writer drops it */
        qpdf_oh v = qpdf_oh_get_key(p->q, d, k);
        if (strcmp(k, "/OpenAction") == 0) {
            bits = SANITIZE_PDF_OPEN_ACTION | pdf_action_bits(p, v, 0);
            drop = true;
        } else if (strcmp(k, "/AA") == 0) {
            bits = SANITIZE_PDF_AA | pdf_action_bits(p, v, 0);
            drop = true;
        } else {
            for (size_t j = 0; j < G_N_ELEMENTS(pdf_removed_keys); j++)
                if (strcmp(k, pdf_removed_keys[j].key) == 0) {
                    bits = pdf_removed_keys[j].removed;
                    drop = true;
                }
            if (!drop && (bits = pdf_unsafe_action(p, v)) != 0)
                drop = true; /* /A, /PA, /Next ... */
        }
        if (drop) {
            p->removed |= bits;
            qpdf_oh_remove_key(p->q, d, k);
            qpdf_oh_release(p->q, v);
            continue;
        }
        pdf_push(p, v);
    }
    g_ptr_array_free(keys, TRUE);
}

static bool pdf_walk(struct pdf *p)
{
    pdf_push(p, qpdf_get_trailer(p->q));
    while (p->stack->len) {
        qpdf_oh h = g_array_index(p->stack, qpdf_oh, p->stack->len - 1);
        g_array_set_size(p->stack, p->stack->len - 1);
        if (++p->visited > p->lim->max_objects) {
            qpdf_oh_release(p->q, h);
            sanitize_refuse(p->r, "too complex to sanitize (more than %u objects)",
                            p->lim->max_objects);
            return false;
        }
        enum qpdf_object_type_e t = qpdf_oh_get_type_code(p->q, h);
        if (t == ot_array) {
            pdf_visit_array(p, h);
        } else if (t == ot_dictionary) {
            pdf_visit_dict(p, h);
        } else if (t == ot_stream) {
            qpdf_oh d = qpdf_oh_get_dict(p->q, h);
            pdf_visit_dict(p, d);
            qpdf_oh_release(p->q, d);
        }
        qpdf_oh_release(p->q, h);
    }
    return true;
}

/* ---- the whole ------------------------------------------------------------------------ */

static void pdf_error(struct pdf *p, const char *what)
{
    qpdf_error e = qpdf_get_error(p->q);
    enum qpdf_error_code_e code = e ? qpdf_get_error_code(p->q, e) : qpdf_e_internal;
    const char *detail = e ? qpdf_get_error_message_detail(p->q, e) : NULL;
    if (code == qpdf_e_password)
        sanitize_refuse(p->r, "encrypted PDF (it needs a password): its contents cannot be "
                              "checked");
    else if (code == qpdf_e_damaged_pdf || code == qpdf_e_pages || code == qpdf_e_object)
        sanitize_refuse(p->r, "damaged PDF (%.150s)", detail ? detail : what);
    else if (code == qpdf_e_unsupported)
        sanitize_refuse(p->r, "a PDF feature the sanitizer does not support (%.150s)",
                        detail ? detail : what);
    else
        sanitize_refuse(p->r, "the PDF could not be %s (%.150s)", what, detail ? detail : "error");
}

void sanitize_pdf(const uint8_t *data, size_t len, enum sanitize_mode mode, int out,
                  const struct sanitize_limits *lim, struct sanitize_result *r)
{
    struct pdf p = {.lim = lim, .r = r};
    bool damaged = false;

    memset(r, 0, sizeof(*r));
    p.q = qpdf_init();
    qpdf_silence_errors(p.q);
    qpdf_set_suppress_warnings(p.q, QPDF_TRUE);
    p.seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    p.stack = g_array_new(FALSE, FALSE, sizeof(qpdf_oh));

    if (qpdf_read_memory(p.q, "document", (const char *)data, (unsigned long long)len, "") &
        QPDF_ERRORS) {
        pdf_error(&p, "read");
        goto out;
    }
    while (qpdf_more_warnings(p.q)) {
        qpdf_next_warning(p.q);
        damaged = true; /* qpdf repaired something */
    }
    if (!pdf_walk(&p))
        goto out;
    if (qpdf_has_error(p.q)) {
        pdf_error(&p, "read");
        goto out;
    }
    while (qpdf_more_warnings(p.q)) {
        qpdf_next_warning(p.q);
        damaged = true;
    }
    uint32_t raw = pdf_raw_scan(data, len);
    if (mode == SANITIZE_CHECK) {
        r->removed = p.removed | raw;
        r->status = r->removed ? SANITIZE_FOUND : SANITIZE_NOTHING;
        goto out;
    }
    if (!p.removed && !raw && !damaged) {
        r->status = SANITIZE_NOTHING;
        goto out;
    }
    /* Raw names the walk did not reach are in objects the copy will not have. */
    p.removed |= raw;
    if (damaged)
        p.removed |= SANITIZE_PDF_REBUILT;

    qpdf_init_write_memory(p.q);
    qpdf_set_object_stream_mode(p.q, qpdf_o_preserve);
    qpdf_set_decode_level(p.q, qpdf_dl_none);
    qpdf_set_compress_streams(p.q, QPDF_FALSE);
    qpdf_set_preserve_encryption(p.q, QPDF_FALSE);
    qpdf_set_deterministic_ID(p.q, QPDF_TRUE);
    qpdf_set_linearization(p.q, QPDF_FALSE);
    if (qpdf_write(p.q) & QPDF_ERRORS) {
        pdf_error(&p, "written");
        goto out;
    }
    size_t n = qpdf_get_buffer_length(p.q);
    const unsigned char *buf = qpdf_get_buffer(p.q);
    if (!buf || n == 0) {
        sanitize_refuse(r, "the sanitized copy could not be made");
        goto out;
    }
    if (!sanitize_write(out, buf, n, lim, r))
        goto out;
    r->status = SANITIZE_REWRITTEN;
    r->removed = p.removed;
    r->family = SANITIZE_FAMILY_PDF;
out:
    for (guint i = 0; i < p.stack->len; i++)
        qpdf_oh_release(p.q, g_array_index(p.stack, qpdf_oh, i));
    g_array_free(p.stack, TRUE);
    g_hash_table_destroy(p.seen);
    qpdf_cleanup(&p.q);
}

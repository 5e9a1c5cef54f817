/* test_sanitize_pdf.c - the PDF sanitizer (scanner/sanitize-pdf.c) on PDFs written here:
 * every kind of active content goes, text and pages stay, what cannot be read is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "scanner/sanitize.h"

#include <glib.h>
#include <qpdf/qpdf-c.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static struct sanitize_limits lim;
static struct sanitize_result res;

/* A PDF of OBJS (bodies of objects 1..n; 1 is the catalog), with a correct xref unless
 * BAD_XREF. */
static GString *pdf_build(const char *const *objs, bool bad_xref)
{
    GString *s = g_string_new("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n");
    GArray *off = g_array_new(FALSE, FALSE, sizeof(gsize));
    guint n = 0;
    for (; objs[n]; n++) {
        gsize at = s->len;
        g_array_append_val(off, at);
        g_string_append_printf(s, "%u 0 obj\n%s\nendobj\n", n + 1, objs[n]);
    }
    gsize xref = s->len;
    g_string_append_printf(s, "xref\n0 %u\n0000000000 65535 f \n", n + 1);
    for (guint i = 0; i < n; i++)
        g_string_append_printf(s, "%010zu 00000 n \n",
                               g_array_index(off, gsize, i) + (bad_xref ? 7 : 0));
    g_string_append_printf(s, "trailer\n<< /Size %u /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
                           n + 1, xref);
    g_array_free(off, TRUE);
    return s;
}

#define CONTENT "BT /F1 12 Tf 72 720 Td (Stowage plan voyage 042E) Tj ET"
#define PAGES "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
#define FONT "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"

static char *page(const char *extra)
{
    return g_strdup_printf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                           "/Resources << /Font << /F1 5 0 R >> >> %s >>",
                           extra);
}

static char *content(void)
{
    return g_strdup_printf("<< /Length %zu >>\nstream\n" CONTENT "\nendstream", strlen(CONTENT));
}

static void run(GString *pdf, enum sanitize_mode mode, int out)
{
    sanitize_pdf((const uint8_t *)pdf->str, pdf->len, mode, out, &lim, &res);
    assert_null(sanitize_result_check(&res, SANITIZE_PDF, mode));
}

static int setup(void **state)
{
    (void)state;
    sanitize_limits_default(&lim, 10 << 20, 40 << 20, 1000);
    return 0;
}

/* The copy, read back with qpdf: unparse of object ID (the catalog is 1 in our files,
 * but qpdf renumbers: use the root and the first page). */
struct copy {
    qpdf_data q;
    char *data;
};

static void copy_open(int fd, struct copy *c)
{
    off_t size = lseek(fd, 0, SEEK_END);
    assert_true(size > 0);
    c->data = g_malloc((size_t)size);
    assert_int_equal(pread(fd, c->data, (size_t)size, 0), size);
    c->q = qpdf_init();
    qpdf_silence_errors(c->q);
    assert_false(qpdf_read_memory(c->q, "copy", c->data, (unsigned long long)size, "") &
                 QPDF_ERRORS);
    assert_false(qpdf_more_warnings(c->q)); /* the copy is sound */
}

static char *copy_unparse(struct copy *c, qpdf_oh h)
{
    return g_strdup(qpdf_oh_unparse_resolved(c->q, h));
}

static void copy_close(struct copy *c)
{
    qpdf_cleanup(&c->q);
    g_free(c->data);
}

static void test_everything_removed(void **state)
{
    (void)state;
    char *p =
        page("/Annots [6 0 R 7 0 R 8 0 R] /AA << /O << /S /URI /URI (http://203.0.113.9/) >> >>");
    char *c = content();
    const char *objs[] = {
        "<< /Type /Catalog /Pages 2 0 R /OpenAction 9 0 R "
        "/Names << /JavaScript 10 0 R /EmbeddedFiles 11 0 R >> /AcroForm << /Fields [] /XFA 13 0 R "
        ">> >>",
        PAGES,
        p,
        c,
        FONT,
        "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /Launch /F (cmd.exe) >> >>",
        "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI "
        "(https://example.org/) "
        "/Next << /S /JavaScript /JS (x\\(\\)) >> >> >>",
        "<< /Type /Annot /Subtype /RichMedia /Rect [0 0 10 10] /RichMediaContent << >> >>",
        "<< /S /JavaScript /JS (app.alert\\(1\\)) >>",
        "<< /Names [(a) << /S /JavaScript /JS (b) >>] >>",
        "<< /Names [(f.txt) 12 0 R] >>",
        "<< /Type /Filespec /F (f.txt) /EF << /F 14 0 R >> >>",
        "[(template) 15 0 R]",
        "<< /Length 4 /Type /EmbeddedFile >>\nstream\nDATA\nendstream",
        "<< /Length 4 >>\nstream\n<x/>\nendstream",
        NULL,
    };
    GString *pdf = pdf_build(objs, false);
    run(pdf, SANITIZE_CHECK, -1);
    assert_int_equal(res.status, SANITIZE_FOUND);

    int fd = memfd_create("copy", MFD_CLOEXEC);
    run(pdf, SANITIZE_REWRITE, fd);
    assert_int_equal(res.status, SANITIZE_REWRITTEN);
    assert_int_equal(res.family, SANITIZE_FAMILY_PDF);
    uint32_t want = SANITIZE_PDF_JAVASCRIPT | SANITIZE_PDF_OPEN_ACTION | SANITIZE_PDF_AA |
                    SANITIZE_PDF_LAUNCH | SANITIZE_PDF_EMBEDDED | SANITIZE_PDF_RICH_MEDIA |
                    SANITIZE_PDF_XFA | SANITIZE_PDF_URI_ON_OPEN;
    assert_int_equal(res.removed & want, want);
    assert_int_equal(res.removed & SANITIZE_PDF_REBUILT, 0);

    struct copy cp;
    copy_open(fd, &cp);
    assert_int_equal(res.size, (uint64_t)lseek(fd, 0, SEEK_END));
    char *root = copy_unparse(&cp, qpdf_get_root(cp.q));
    assert_null(strstr(root, "/OpenAction"));
    assert_null(strstr(root, "/JavaScript"));
    assert_null(strstr(root, "/EmbeddedFiles"));
    assert_null(strstr(root, "/XFA"));
    assert_non_null(strstr(root, "/AcroForm"));
    assert_int_equal(qpdf_get_num_pages(cp.q), 1);
    /* the page and its annotations, each resolved */
    qpdf_oh ph = qpdf_get_page_n(cp.q, 0);
    GString *all = g_string_new(qpdf_oh_unparse_resolved(cp.q, ph));
    qpdf_oh annots = qpdf_oh_get_key(cp.q, ph, "/Annots");
    int na = qpdf_oh_get_array_n_items(cp.q, annots);
    assert_int_equal(
        na, 2); /* the RichMedia annotation is gone; the links stay (one without its Launch) */
    for (int i = 0; i < na; i++)
        g_string_append(all,
                        qpdf_oh_unparse_resolved(cp.q, qpdf_oh_get_array_item(cp.q, annots, i)));
    char *pg = g_string_free(all, FALSE);
    assert_null(strstr(pg, "/AA"));
    assert_null(strstr(pg, "/Launch"));
    assert_null(strstr(pg, "/RichMedia"));
    assert_null(strstr(pg, "/JavaScript"));
    assert_non_null(strstr(pg, "https://example.org/")); /* a link on a click stays */
    assert_non_null(strstr(pg, "/Font"));
    g_free(root);
    g_free(pg);
    /* the page's text is byte for byte the same */
    qpdf_oh contents = qpdf_oh_get_key(cp.q, qpdf_get_page_n(cp.q, 0), "/Contents");
    unsigned char *data = NULL;
    size_t len = 0;
    assert_int_equal(
        qpdf_oh_get_stream_data(cp.q, contents, qpdf_dl_all, NULL, &data, &len) & QPDF_ERRORS, 0);
    assert_int_equal(len, strlen(CONTENT));
    assert_memory_equal(data, CONTENT, len);
    free(data);
    copy_close(&cp);
    close(fd);
    g_string_free(pdf, TRUE);
    g_free(p);
    g_free(c);
}

static void test_plain_and_unreachable(void **state)
{
    (void)state;
    char *p = page(""), *c = content();
    const char *plain[] = {"<< /Type /Catalog /Pages 2 0 R >>", PAGES, p, c, FONT, NULL};
    GString *pdf = pdf_build(plain, false);
    run(pdf, SANITIZE_REWRITE, -1);
    assert_int_equal(res.status, SANITIZE_NOTHING);
    run(pdf, SANITIZE_CHECK, -1);
    assert_int_equal(res.status, SANITIZE_NOTHING);
    g_string_free(pdf, TRUE);

    /* A script in an object nothing points at (another reader might find it): rewritten,
     * and the copy does not have it. */
    const char *hidden[] = {"<< /Type /Catalog /Pages 2 0 R >>", PAGES, p, c, FONT,
                            "<< /S /Java#53cript /JS (x) >>",    NULL};
    pdf = pdf_build(hidden, false);
    int fd = memfd_create("copy", MFD_CLOEXEC);
    run(pdf, SANITIZE_REWRITE, fd);
    assert_int_equal(res.status, SANITIZE_REWRITTEN);
    assert_int_equal(res.removed, SANITIZE_PDF_JAVASCRIPT);
    struct copy cp;
    copy_open(fd, &cp);
    assert_null(memmem(cp.data, (size_t)lseek(fd, 0, SEEK_END), "Java", 4));
    copy_close(&cp);
    close(fd);
    g_string_free(pdf, TRUE);

    /* A damaged cross-reference table: rebuilt into a sound copy. */
    pdf = pdf_build(plain, true);
    fd = memfd_create("copy", MFD_CLOEXEC);
    run(pdf, SANITIZE_REWRITE, fd);
    assert_int_equal(res.status, SANITIZE_REWRITTEN);
    assert_int_equal(res.removed, SANITIZE_PDF_REBUILT);
    copy_open(fd, &cp);
    assert_int_equal(qpdf_get_num_pages(cp.q), 1);
    copy_close(&cp);
    close(fd);
    g_string_free(pdf, TRUE);
    g_free(p);
    g_free(c);
}

static void test_refused(void **state)
{
    (void)state;
    static const uint8_t junk[] = "this is not a PDF at all";
    sanitize_pdf(junk, sizeof(junk), SANITIZE_REWRITE, -1, &lim, &res);
    assert_int_equal(res.status, SANITIZE_REFUSED);
    assert_non_null(strstr(res.reason, "PDF"));

    /* encrypted with a user password (made here with qpdf) */
    char *p = page(""), *c = content();
    const char *plain[] = {"<< /Type /Catalog /Pages 2 0 R >>", PAGES, p, c, FONT, NULL};
    GString *pdf = pdf_build(plain, false);
    qpdf_data q = qpdf_init();
    qpdf_silence_errors(q);
    assert_false(qpdf_read_memory(q, "p", pdf->str, pdf->len, "") & QPDF_ERRORS);
    qpdf_init_write_memory(q);
    qpdf_set_r6_encryption_parameters2(q, "user", "owner", QPDF_TRUE, QPDF_TRUE, QPDF_TRUE,
                                       QPDF_TRUE, QPDF_TRUE, QPDF_TRUE, qpdf_r3p_full, QPDF_TRUE);
    assert_false(qpdf_write(q) & QPDF_ERRORS);
    sanitize_pdf(qpdf_get_buffer(q), qpdf_get_buffer_length(q), SANITIZE_REWRITE, -1, &lim, &res);
    assert_int_equal(res.status, SANITIZE_REFUSED);
    assert_non_null(strstr(res.reason, "encrypted"));
    qpdf_cleanup(&q);

    /* too many objects */
    struct sanitize_limits keep = lim;
    lim.max_objects = 3;
    run(pdf, SANITIZE_REWRITE, -1);
    assert_int_equal(res.status, SANITIZE_REFUSED);
    assert_non_null(strstr(res.reason, "too complex"));
    lim = keep;
    g_string_free(pdf, TRUE);
    g_free(p);
    g_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_everything_removed),
        cmocka_unit_test(test_plain_and_unreachable),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

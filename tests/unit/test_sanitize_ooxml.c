/* test_sanitize_ooxml.c - the Office sanitizer (scanner/sanitize-ooxml.c) on packages built
 * here with libzip: what goes, what stays, what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "scanner/sanitize.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zip.h>

#define R "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define MS "http://schemas.microsoft.com/office/2006/relationships"
#define PKG "http://schemas.openxmlformats.org/package/2006/relationships"
#define CT "http://schemas.openxmlformats.org/package/2006/content-types"
#define XLSM "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
#define XLSX "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"

struct part {
    const char *name, *data;
};

/* A ZIP package of PARTS (NULL-terminated), in memory. */
static GBytes *zip_build(const struct part *parts)
{
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t *buf = zip_source_buffer_create(NULL, 0, 0, &err);
    zip_t *z = zip_open_from_source(buf, ZIP_TRUNCATE, &err);
    assert_non_null(z);
    zip_source_keep(buf);
    for (const struct part *p = parts; p->name; p++) {
        zip_source_t *s = zip_source_buffer(z, p->data, strlen(p->data), 0);
        assert_true(zip_file_add(z, p->name, s, 0) >= 0);
    }
    assert_int_equal(zip_close(z), 0);
    zip_stat_t st;
    assert_int_equal(zip_source_open(buf), 0);
    assert_int_equal(zip_source_stat(buf, &st), 0);
    char *data = g_malloc(st.size);
    assert_int_equal(zip_source_read(buf, data, st.size), (zip_int64_t)st.size);
    zip_source_close(buf);
    zip_source_free(buf);
    return g_bytes_new_take(data, st.size);
}

static const char *types(bool macro, const char *extra)
{
    static char buf[4096];
    snprintf(
        buf, sizeof(buf),
        "<?xml version=\"1.0\"?><Types xmlns=\"" CT "\">"
        "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package."
        "relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/>"
        "%s<Override PartName=\"/xl/workbook.xml\" ContentType=\"%s\"/>%s</Types>",
        macro ? "<Default Extension=\"bin\" ContentType=\"application/vnd.ms-office.vbaProject\"/>"
              : "",
        macro ? XLSM : XLSX, extra ? extra : "");
    return buf;
}

#define ROOT_RELS                                                                                  \
    "<Relationships xmlns=\"" PKG "\"><Relationship Id=\"rId1\" Type=\"" R "/officeDocument\" "    \
    "Target=\"xl/workbook.xml\"/></Relationships>"
#define WORKBOOK                                                                                   \
    "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "               \
    "xmlns:r=\"" R                                                                                 \
    "\"><sheets><sheet name=\"A\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
#define SHEET                                                                                      \
    "<worksheet "                                                                                  \
    "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData><row "         \
    "r=\"1\"><c r=\"A1\"><v>42</v></c></row></sheetData></worksheet>"
#define WB_RELS_VBA                                                                                \
    "<Relationships xmlns=\"" PKG "\"><Relationship Id=\"rId1\" Type=\"" R "/worksheet\" "         \
    "Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Type=\"" MS "/vbaProject\" "      \
    "Target=\"vbaProject.bin\"/></Relationships>"
#define WB_RELS                                                                                    \
    "<Relationships xmlns=\"" PKG "\"><Relationship Id=\"rId1\" Type=\"" R "/worksheet\" "         \
    "Target=\"worksheets/sheet1.xml\"/></Relationships>"

static struct sanitize_limits lim;
static struct sanitize_result res;

static void run(GBytes *b, enum sanitize_mode mode, int out)
{
    gsize n;
    const uint8_t *d = g_bytes_get_data(b, &n);
    sanitize_ooxml(d, n, mode, out, &lim, &res);
    assert_null(sanitize_result_check(&res, SANITIZE_OOXML, mode));
}

static int setup(void **state)
{
    (void)state;
    sanitize_limits_default(&lim, 10 << 20, 40 << 20, 1000);
    return 0;
}

/* The copy (memfd) as a zip. */
static zip_t *copy_open(int fd, GBytes **keep)
{
    off_t size = lseek(fd, 0, SEEK_END);
    assert_true(size > 0);
    char *data = g_malloc((size_t)size);
    assert_int_equal(pread(fd, data, (size_t)size, 0), size);
    *keep = g_bytes_new_take(data, (gsize)size);
    zip_error_t err;
    zip_source_t *src =
        zip_source_buffer_create(g_bytes_get_data(*keep, NULL), (zip_uint64_t)size, 0, &err);
    zip_t *z = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err);
    assert_non_null(z);
    return z;
}

static char *copy_read(zip_t *z, const char *name)
{
    zip_stat_t st;
    if (zip_stat(z, name, 0, &st) != 0)
        return NULL;
    zip_file_t *f = zip_fopen(z, name, 0);
    char *buf = g_malloc0(st.size + 1);
    assert_int_equal(zip_fread(f, buf, st.size), (zip_int64_t)st.size);
    zip_fclose(f);
    return buf;
}

static void test_vba_removed(void **state)
{
    (void)state;
    const struct part parts[] = {
        {"[Content_Types].xml", types(true, NULL)},
        {"_rels/.rels", ROOT_RELS},
        {"xl/workbook.xml", WORKBOOK},
        {"xl/_rels/workbook.xml.rels", WB_RELS_VBA},
        {"xl/worksheets/sheet1.xml", SHEET},
        {"xl/vbaProject.bin", "not really ole2"},
        {NULL, NULL},
    };
    GBytes *b = zip_build(parts);
    run(b, SANITIZE_CHECK, -1);
    assert_int_equal(res.status, SANITIZE_FOUND);
    assert_int_equal(res.removed, SANITIZE_VBA);

    int fd = memfd_create("copy", MFD_CLOEXEC);
    run(b, SANITIZE_REWRITE, fd);
    assert_int_equal(res.status, SANITIZE_REWRITTEN);
    assert_int_equal(res.removed, SANITIZE_VBA);
    assert_int_equal(res.family, SANITIZE_FAMILY_XLSX);
    assert_string_equal(sanitize_family_ext(res.family), "xlsx");
    GBytes *keep = NULL;
    zip_t *z = copy_open(fd, &keep);
    assert_int_equal(res.size, g_bytes_get_size(keep));
    assert_string_equal(zip_get_name(z, 0, 0), "[Content_Types].xml");
    assert_true(zip_name_locate(z, "xl/vbaProject.bin", 0) < 0);
    char *ct = copy_read(z, "[Content_Types].xml");
    assert_non_null(strstr(ct, XLSX));
    assert_null(strstr(ct, "macroEnabled"));
    assert_null(strstr(ct, "vbaProject"));
    char *rels = copy_read(z, "xl/_rels/workbook.xml.rels");
    assert_null(strstr(rels, "vbaProject"));
    assert_non_null(strstr(rels, "worksheets/sheet1.xml"));
    char *sheet = copy_read(z, "xl/worksheets/sheet1.xml");
    assert_string_equal(sheet, SHEET); /* untouched */
    g_free(ct);
    g_free(rels);
    g_free(sheet);
    zip_discard(z);
    g_bytes_unref(keep);
    close(fd);
    g_bytes_unref(b);
}

static void test_plain_nothing(void **state)
{
    (void)state;
    const struct part parts[] = {
        {"[Content_Types].xml", types(false, NULL)},
        {"_rels/.rels", ROOT_RELS},
        {"xl/workbook.xml", WORKBOOK},
        {"xl/_rels/workbook.xml.rels", WB_RELS},
        {"xl/worksheets/sheet1.xml", SHEET},
        {"customUI/customUI.xml",
         "<customUI xmlns=\"x\"><ribbon startFromScratch=\"false\"/></customUI>"},
        {NULL, NULL},
    };
    GBytes *b = zip_build(parts);
    run(b, SANITIZE_REWRITE, -1);
    assert_int_equal(res.status, SANITIZE_NOTHING);
    run(b, SANITIZE_CHECK, -1);
    assert_int_equal(res.status, SANITIZE_NOTHING);
    g_bytes_unref(b);
}

/* ActiveX on a sheet (the <control> element and its empty containers go), a ribbon with a
 * callback, a remote template: all removed; a hyperlink to the web stays. */
static void test_activex_customui_links(void **state)
{
    (void)state;
    const struct part parts[] = {
        {"[Content_Types].xml",
         types(false, "<Override PartName=\"/xl/activeX/activeX1.xml\" "
                      "ContentType=\"application/vnd.ms-office.activeX+xml\"/>")},
        {"_rels/.rels",
         "<Relationships xmlns=\"" PKG "\"><Relationship Id=\"rId1\" Type=\"" R
         "/officeDocument\" Target=\"xl/workbook.xml\"/><Relationship Id=\"rId2\" "
         "Type=\"http://schemas.microsoft.com/office/2007/relationships/ui/extensibility\" "
         "Target=\"customUI/customUI14.xml\"/></Relationships>"},
        {"customUI/customUI14.xml", "<customUI xmlns=\"x\" onLoad=\"Go\"/>"},
        {"xl/workbook.xml",
         "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
         "xmlns:r=\"" R "\"><workbookPr updateLinks=\"always\"/><sheets><sheet name=\"A\" "
         "sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"},
        {"xl/_rels/workbook.xml.rels", WB_RELS},
        {"xl/worksheets/sheet1.xml",
         "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
         "xmlns:r=\"" R "\"><sheetData/><hyperlinks><hyperlink ref=\"A1\" r:id=\"rId3\"/>"
         "</hyperlinks><controls><control shapeId=\"1\" r:id=\"rId2\"/></controls></worksheet>"},
        {"xl/worksheets/_rels/sheet1.xml.rels",
         "<Relationships xmlns=\"" PKG "\"><Relationship Id=\"rId2\" Type=\"" R "/control\" "
         "Target=\"../activeX/activeX1.xml\"/><Relationship Id=\"rId3\" Type=\"" R
         "/hyperlink\" Target=\"https://example.org/\" TargetMode=\"External\"/>"
         "<Relationship Id=\"rId4\" Type=\"" R "/image\" Target=\"\\\\203.0.113.9\\x.png\" "
         "TargetMode=\"External\"/></Relationships>"},
        {"xl/activeX/activeX1.xml", "<ax:ocx xmlns:ax=\"a\"/>"},
        {NULL, NULL},
    };
    GBytes *b = zip_build(parts);
    int fd = memfd_create("copy", MFD_CLOEXEC);
    run(b, SANITIZE_REWRITE, fd);
    assert_int_equal(res.status, SANITIZE_REWRITTEN);
    assert_int_equal(res.removed, SANITIZE_ACTIVEX | SANITIZE_CUSTOM_UI | SANITIZE_EXT_LINKS);
    GBytes *keep = NULL;
    zip_t *z = copy_open(fd, &keep);
    assert_true(zip_name_locate(z, "xl/activeX/activeX1.xml", 0) < 0);
    assert_true(zip_name_locate(z, "customUI/customUI14.xml", 0) < 0);
    char *sheet = copy_read(z, "xl/worksheets/sheet1.xml");
    assert_null(strstr(sheet, "control"));
    assert_non_null(strstr(sheet, "<hyperlink ref=\"A1\""));
    char *srels = copy_read(z, "xl/worksheets/_rels/sheet1.xml.rels");
    assert_non_null(strstr(srels, "https://example.org/"));
    assert_null(strstr(srels, "203.0.113.9"));
    char *wb = copy_read(z, "xl/workbook.xml");
    assert_non_null(strstr(wb, "updateLinks=\"never\""));
    char *root = copy_read(z, "_rels/.rels");
    assert_null(strstr(root, "extensibility"));
    g_free(sheet);
    g_free(srels);
    g_free(wb);
    g_free(root);
    zip_discard(z);
    g_bytes_unref(keep);
    close(fd);
    g_bytes_unref(b);
}

static void expect_refused(const struct part *parts, const char *why)
{
    GBytes *b = zip_build(parts);
    run(b, SANITIZE_REWRITE, -1);
    assert_int_equal(res.status, SANITIZE_REFUSED);
    if (!strstr(res.reason, why))
        fail_msg("reason '%s' does not contain '%s'", res.reason, why);
    g_bytes_unref(b);
}

static void test_refused(void **state)
{
    (void)state;
    const struct part no_types[] = {{"_rels/.rels", ROOT_RELS}, {NULL, NULL}};
    expect_refused(no_types, "[Content_Types].xml is missing");
    const struct part twice[] = {{"[Content_Types].xml", types(false, NULL)},
                                 {"_rels/.rels", ROOT_RELS},
                                 {"xl/workbook.xml", WORKBOOK},
                                 {"XL/Workbook.xml", WORKBOOK},
                                 {NULL, NULL}};
    expect_refused(twice, "two parts named");
    const struct part dtd[] = {{"[Content_Types].xml",
                                "<?xml version=\"1.0\"?><!DOCTYPE Types [<!ENTITY a \"aaaa\">]>"
                                "<Types xmlns=\"" CT "\"/>"},
                               {NULL, NULL}};
    expect_refused(dtd, "document type declaration");
    const struct part broken[] = {{"[Content_Types].xml", "<Types xmlns=\"" CT "\">"},
                                  {NULL, NULL}};
    expect_refused(broken, "not well-formed");
    const struct part nomain[] = {{"[Content_Types].xml", types(false, NULL)}, {NULL, NULL}};
    expect_refused(nomain, "no main document");
    const struct part macrosheet[] = {
        {"[Content_Types].xml",
         types(true, "<Override PartName=\"/xl/macrosheets/sheet1.xml\" "
                     "ContentType=\"application/vnd.ms-excel.macrosheet+xml\"/>")},
        {"_rels/.rels", ROOT_RELS},
        {"xl/workbook.xml", WORKBOOK},
        {"xl/macrosheets/sheet1.xml", "<xm:macrosheet xmlns:xm=\"m\"/>"},
        {NULL, NULL}};
    expect_refused(macrosheet, "Excel 4.0 macro sheets");
    const struct part addin[] = {
        {"[Content_Types].xml",
         "<Types xmlns=\"" CT "\"><Override PartName=\"/xl/workbook.xml\" "
         "ContentType=\"application/vnd.ms-excel.addin.macroEnabled.main+xml\"/></Types>"},
        {"_rels/.rels", ROOT_RELS},
        {"xl/workbook.xml", WORKBOOK},
        {NULL, NULL}};
    expect_refused(addin, "add-in");

    /* not a zip at all, and a zip cut short */
    static const uint8_t junk[] = "PK\3\4 this is not a package";
    sanitize_ooxml(junk, sizeof(junk), SANITIZE_REWRITE, -1, &lim, &res);
    assert_int_equal(res.status, SANITIZE_REFUSED);
    assert_non_null(strstr(res.reason, "damaged"));
    const struct part ok[] = {{"[Content_Types].xml", types(true, NULL)},
                              {"_rels/.rels", ROOT_RELS},
                              {"xl/workbook.xml", WORKBOOK},
                              {"xl/_rels/workbook.xml.rels", WB_RELS_VBA},
                              {"xl/vbaProject.bin", "x"},
                              {NULL, NULL}};
    GBytes *b = zip_build(ok);
    gsize n;
    const uint8_t *d = g_bytes_get_data(b, &n);
    sanitize_ooxml(d, n / 2, SANITIZE_REWRITE, -1, &lim, &res);
    assert_int_equal(res.status, SANITIZE_REFUSED);
    assert_non_null(strstr(res.reason, "damaged"));
    g_bytes_unref(b);
}

static void test_limits(void **state)
{
    (void)state;
    const struct part parts[] = {{"[Content_Types].xml", types(true, NULL)},
                                 {"_rels/.rels", ROOT_RELS},
                                 {"xl/workbook.xml", WORKBOOK},
                                 {"xl/_rels/workbook.xml.rels", WB_RELS_VBA},
                                 {"xl/worksheets/sheet1.xml", SHEET},
                                 {"xl/vbaProject.bin", "x"},
                                 {NULL, NULL}};
    struct sanitize_limits keep = lim;
    lim.max_parts = 3;
    expect_refused(parts, "too many parts");
    lim = keep;
    lim.max_part = 100;
    expect_refused(parts, "too large");
    lim = keep;
    lim.max_total = 600;
    expect_refused(parts, "too large");
    lim = keep;
    lim.max_output = 300;
    GBytes *b = zip_build(parts);
    int fd = memfd_create("copy", MFD_CLOEXEC);
    run(b, SANITIZE_REWRITE, fd);
    assert_int_equal(res.status, SANITIZE_REFUSED);
    assert_non_null(strstr(res.reason, "larger than"));
    close(fd);
    g_bytes_unref(b);
    lim = keep;
}

/* Word: DDE and DDEAUTO fields lose their code (the text shown stays), other fields stay. */
static void test_dde(void **state)
{
    (void)state;
#define W "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    const struct part parts[] = {
        {"[Content_Types].xml",
         "<Types xmlns=\"" CT "\"><Default Extension=\"rels\" ContentType=\"application/"
         "vnd.openxmlformats-package.relationships+xml\"/><Override "
         "PartName=\"/word/document.xml\" "
         "ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document."
         "main+xml\"/></Types>"},
        {"_rels/.rels", "<Relationships xmlns=\"" PKG "\"><Relationship Id=\"rId1\" Type=\"" R
                        "/officeDocument\" Target=\"word/document.xml\"/></Relationships>"},
        {"word/document.xml",
         "<w:document xmlns:w=\"" W "\"><w:body><w:p>"
         "<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r><w:r><w:instrText> dde</w:instrText></w:r>"
         "<w:r><w:instrText>auto cmd \"/c calc\"</w:instrText></w:r>"
         "<w:r><w:fldChar w:fldCharType=\"separate\"/></w:r><w:r><w:t>shown</w:t></w:r>"
         "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r></w:p>"
         "<w:p><w:fldSimple w:instr=\"DDE Excel x\"><w:r><w:t>simple</w:t></w:r></w:fldSimple>"
         "<w:fldSimple w:instr=\" PAGE \"><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p>"
         "<w:p><w:r><w:fldChar w:fldCharType=\"begin\"/></w:r><w:r><w:instrText>DATE</w:instrText>"
         "</w:r><w:r><w:fldChar w:fldCharType=\"end\"/></w:r></w:p></w:body></w:document>"},
        {NULL, NULL},
    };
#undef W
    GBytes *b = zip_build(parts);
    int fd = memfd_create("copy", MFD_CLOEXEC);
    run(b, SANITIZE_REWRITE, fd);
    assert_int_equal(res.status, SANITIZE_REWRITTEN);
    assert_int_equal(res.removed, SANITIZE_EXT_LINKS);
    assert_int_equal(res.family, SANITIZE_FAMILY_DOCX);
    GBytes *keep = NULL;
    zip_t *z = copy_open(fd, &keep);
    char *doc = copy_read(z, "word/document.xml");
    assert_null(strcasestr(doc, "dde"));
    assert_non_null(strstr(doc, "shown"));
    assert_non_null(strstr(doc, "simple"));
    assert_non_null(strstr(doc, "PAGE"));
    assert_non_null(strstr(doc, "DATE"));
    g_free(doc);
    zip_discard(z);
    g_bytes_unref(keep);
    close(fd);
    g_bytes_unref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vba_removed),
        cmocka_unit_test(test_plain_nothing),
        cmocka_unit_test(test_activex_customui_links),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_dde),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

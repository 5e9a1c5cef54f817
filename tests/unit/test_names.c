/* test_names.c - names_sanitize, names_dir_claim, names_display. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "media/names.h"

/* names_sanitize(RAW) must equal WANT, and every result must satisfy the invariants. */
static void check_sanitize(const char *raw, const char *want)
{
    char *got = names_sanitize(raw);
    assert_non_null(got);
    assert_true(g_utf8_validate(got, -1, NULL));
    assert_true(strlen(got) > 0 && strlen(got) <= NAMES_MAX_COMPONENT);
    if (want)
        assert_string_equal(got, want);
    g_free(got);
}

static void test_plain_names_unchanged(void **state)
{
    (void)state;
    check_sanitize("report.pdf", "report.pdf");
    check_sanitize("Übersicht 2026.xlsx", "Übersicht 2026.xlsx");
    check_sanitize("日本語のファイル.txt", "日本語のファイル.txt");
    check_sanitize(".bashrc", ".bashrc");
    check_sanitize("emoji \xf0\x9f\x98\x80.png", "emoji \xf0\x9f\x98\x80.png");
    check_sanitize("a..b", "a..b");
    check_sanitize(" leading space", " leading space");
}

static void test_empty_and_dots(void **state)
{
    (void)state;
    check_sanitize("", "_");
    check_sanitize(NULL, "_");
    check_sanitize(".", "_");
    check_sanitize("..", "_");
    check_sanitize("...", "___");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    /* Each invalid byte becomes one '_'. */
    check_sanitize("a\xff"
                   "b",
                   "a_b");
    check_sanitize("\xc3\x28", "_(");           /* lead byte without continuation */
    check_sanitize("\xc0\xaf", "__");           /* overlong '/' */
    check_sanitize("\xe0\x80\xaf", "___");      /* overlong '/', 3 bytes */
    check_sanitize("\xed\xa0\x80x", "___x");    /* UTF-16 surrogate */
    check_sanitize("\xf4\x90\x80\x80", "____"); /* above U+10FFFF */
    check_sanitize("\xf8\x88\x80\x80\x80", "_____");
    check_sanitize("ab\xe2\x82", "ab__"); /* truncated sequence at the end */
    check_sanitize("\x80\xbf.txt", "__.txt");
    check_sanitize("caf\xe9.txt", "caf_.txt"); /* Latin-1 */
}

static void test_control_characters(void **state)
{
    (void)state;
    check_sanitize("a\x01"
                   "b\x1f"
                   "c",
                   "a_b_c");
    check_sanitize("line\nbreak\r.txt", "line_break_.txt");
    check_sanitize("tab\there", "tab_here");
    check_sanitize("del\x7f", "del_");
    check_sanitize("c1\xc2\x85"
                   "x\xc2\x9f"
                   "y",
                   "c1_x_y");                       /* U+0085, U+009F */
    check_sanitize("\xc2\xa0nbsp", "\xc2\xa0nbsp"); /* U+00A0 is not a control */
}

static void test_bidi_controls(void **state)
{
    (void)state;
    /* "invoice<RLO>txt.exe" shows as "invoiceexe.txt" on screen. */
    check_sanitize("invoice\xe2\x80\xaetxt.exe", "invoice_txt.exe");
    check_sanitize("\xd8\x9c"
                   "a",
                   "_a");                             /* U+061C */
    check_sanitize("\xe2\x80\x8e\xe2\x80\x8f", "__"); /* U+200E, U+200F */
    check_sanitize("\xe2\x80\xaa\xe2\x80\xac"
                   "x",
                   "__x"); /* U+202A, U+202C */
    check_sanitize("\xe2\x81\xa6"
                   "x\xe2\x81\xa9",
                   "_x_");                          /* U+2066, U+2069 */
    check_sanitize("\xe2\x80\x8d", "\xe2\x80\x8d"); /* ZWJ is not bidi */
}

static void test_windows_forbidden_characters(void **state)
{
    (void)state;
    const char *chars = "<>:\"/\\|?*";
    for (const char *c = chars; *c; c++) {
        char raw[8];
        g_snprintf(raw, sizeof(raw), "a%cb", *c);
        check_sanitize(raw, "a_b");
    }
    check_sanitize("what?.txt", "what_.txt");
    check_sanitize("C:\\evil", "C__evil");
    check_sanitize("..\\..\\x", ".._.._x");
}

static void test_trailing_dots_and_spaces(void **state)
{
    (void)state;
    check_sanitize("name.", "name_");
    check_sanitize("name ", "name_");
    check_sanitize("name. .", "name___");
    check_sanitize("a.txt  ", "a.txt__");
    check_sanitize("a b.c", "a b.c");
}

static void test_reserved_names(void **state)
{
    (void)state;
    static const char *const reserved[] = {
        "CON",
        "con",
        "Con",
        "PRN",
        "aux",
        "NUL",
        "Nul",
        "nUl",
        "COM0",
        "COM1",
        "com9",
        "LPT0",
        "lpt5",
        "LPT9",
        "COM\xc2\xb9",
        "com\xc2\xb2",
        "LPT\xc2\xb3",
        "LPT\xc2\xb9",
        "con.txt",
        "CON.TXT",
        "nul.tar.gz",
        "COM1.tar.gz",
        "LPT\xc2\xb9.doc",
        "prn.x.",
        "aux .c",
        "CONIN$",
        "conout$.x",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(reserved); i++) {
        char *got = names_sanitize(reserved[i]);
        assert_int_equal(got[0], '_');
        /* The rest is the original, trailing dots fixed. */
        char *fixed = g_strdup(reserved[i]);
        for (size_t n = strlen(fixed); n > 0 && (fixed[n - 1] == '.' || fixed[n - 1] == ' '); n--)
            fixed[n - 1] = '_';
        assert_string_equal(got + 1, fixed);
        g_free(fixed);
        g_free(got);
    }
    check_sanitize("con.txt", "_con.txt");
    check_sanitize("COM1.tar.gz", "_COM1.tar.gz");
    check_sanitize("LPT\xc2\xb9", "_LPT\xc2\xb9");
    /* The trailing dot becomes '_' first, and "prn_" is no device. */
    check_sanitize("prn.", "prn_");

    /* Close but not reserved. */
    static const char *const fine[] = {
        "CONSOLE",     "console.txt",         "COM10", "COM",   "LPT",  "xCON",  "NULL.txt",
        "COM\xc2\xb4", "LPT\xc2\xb9\xc2\xb9", ".con",  "a.con", "CO N", "COM1a", "COM\xe2\x81\xb4",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(fine); i++)
        check_sanitize(fine[i], fine[i]);
}

static void test_long_ascii_name_keeps_extension(void **state)
{
    (void)state;
    char raw[401];
    memset(raw, 'a', 396);
    memcpy(raw + 396, ".pdf", 5);
    char *got = names_sanitize(raw);
    assert_int_equal(strlen(got), NAMES_MAX_COMPONENT);
    assert_true(g_str_has_suffix(got, ".pdf"));
    g_free(got);

    /* Exactly 255 bytes: unchanged. */
    char exact[256];
    memset(exact, 'b', 255);
    exact[255] = '\0';
    check_sanitize(exact, exact);
}

static void test_long_multibyte_name(void **state)
{
    (void)state;
    /* 100 x "é" (2 bytes) + 100 x "€" (3 bytes) = 500 bytes, then ".docx". */
    GString *raw = g_string_new(NULL);
    for (int i = 0; i < 100; i++)
        g_string_append(raw, "\xc3\xa9");
    for (int i = 0; i < 100; i++)
        g_string_append(raw, "\xe2\x82\xac");
    g_string_append(raw, ".docx");
    char *got = names_sanitize(raw->str);
    size_t len = strlen(got);
    assert_true(len <= NAMES_MAX_COMPONENT);
    assert_true(len >= NAMES_MAX_COMPONENT - 3); /* cut at most one char short */
    assert_true(g_utf8_validate(got, -1, NULL));
    assert_true(g_str_has_suffix(got, ".docx"));
    /* The stem is a prefix of the original stem. */
    assert_memory_equal(got, raw->str, len - 5);
    g_free(got);
    g_string_free(raw, TRUE);

    /* 300 bytes of 4-byte chars, no extension: cut on a boundary. */
    raw = g_string_new(NULL);
    for (int i = 0; i < 75; i++)
        g_string_append(raw, "\xf0\x9f\x98\x80");
    got = names_sanitize(raw->str);
    assert_int_equal(strlen(got), 252);
    assert_true(g_utf8_validate(got, -1, NULL));
    g_free(got);
    g_string_free(raw, TRUE);

    /* Each 3-byte start offset: the result is always valid and <= 255. */
    for (int pad = 0; pad < 3; pad++) {
        raw = g_string_new(NULL);
        for (int i = 0; i < pad; i++)
            g_string_append_c(raw, 'x');
        for (int i = 0; i < 100; i++)
            g_string_append(raw, "\xe2\x82\xac");
        g_string_append(raw, ".tar.gz");
        check_sanitize(raw->str, NULL);
        got = names_sanitize(raw->str);
        assert_true(g_str_has_suffix(got, ".gz"));
        g_free(got);
        g_string_free(raw, TRUE);
    }
}

static void test_long_name_long_extension(void **state)
{
    (void)state;
    /* An "extension" longer than 16 bytes is not kept: plain cut. */
    GString *raw = g_string_new("x.");
    for (int i = 0; i < 300; i++)
        g_string_append_c(raw, 'e');
    char *got = names_sanitize(raw->str);
    assert_int_equal(strlen(got), NAMES_MAX_COMPONENT);
    assert_memory_equal(got, raw->str, NAMES_MAX_COMPONENT);
    g_free(got);
    g_string_free(raw, TRUE);

    /* A cut that ends in a space must not leave a trailing space. */
    raw = g_string_new(NULL);
    for (int i = 0; i < 254; i++)
        g_string_append_c(raw, 'a');
    g_string_append(raw, "  bbbb");
    got = names_sanitize(raw->str);
    assert_int_equal(strlen(got), NAMES_MAX_COMPONENT);
    assert_int_equal(got[254], '_');
    g_free(got);
    g_string_free(raw, TRUE);
}

/* A name shortened for length keeps its real final extension, also one longer than 16
 * bytes: cutting it off would make an earlier one the extension Windows acts on
 * ("A...A.lnk.<17 chars>" must not become "A...A.lnk"). */
static void test_long_name_keeps_long_final_extension(void **state)
{
    (void)state;
    const char *ext = ".abcdefghijklmnopq"; /* 18 bytes */
    GString *raw = g_string_new(NULL);
    for (int i = 0; i < 251; i++)
        g_string_append_c(raw, 'A');
    g_string_append(raw, ".lnk");
    g_string_append(raw, ext);
    char *got = names_sanitize(raw->str);
    assert_int_equal(strlen(got), NAMES_MAX_COMPONENT);
    assert_true(g_str_has_suffix(got, ext));
    assert_null(strstr(got, ".lnk"));
    g_free(got);
    g_string_free(raw, TRUE);

    /* The same with a multi-byte stem: cut on a character boundary, extension whole. */
    raw = g_string_new(NULL);
    for (int i = 0; i < 100; i++)
        g_string_append(raw, "\xe6\xbc\xa2"); /* 300 bytes */
    g_string_append(raw, ".pdf.exe-and-more-text");
    got = names_sanitize(raw->str);
    assert_true(strlen(got) <= NAMES_MAX_COMPONENT);
    assert_true(g_utf8_validate(got, -1, NULL));
    assert_true(g_str_has_suffix(got, ".exe-and-more-text"));
    g_free(got);
    g_string_free(raw, TRUE);
}

static void test_reserved_long_stays_in_limit(void **state)
{
    (void)state;
    GString *raw = g_string_new("con.");
    for (int i = 0; i < 251; i++)
        g_string_append_c(raw, 'z');
    assert_int_equal(raw->len, 255);
    char *got = names_sanitize(raw->str);
    assert_int_equal(got[0], '_');
    assert_int_equal(strlen(got), NAMES_MAX_COMPONENT);
    g_free(got);
    g_string_free(raw, TRUE);
}

static void test_sanitize_is_idempotent(void **state)
{
    (void)state;
    static const char *const raws[] = {"con.txt", "a.", "\xff\xfe", "..", "x<y>", "LPT1 .a"};
    for (size_t i = 0; i < G_N_ELEMENTS(raws); i++) {
        char *once = names_sanitize(raws[i]);
        char *twice = names_sanitize(once);
        assert_string_equal(once, twice);
        g_free(once);
        g_free(twice);
    }
}

/* ---- collisions ---- */

static void claim(names_dir *d, const char *name, const char *want)
{
    char *got = names_dir_claim(d, name);
    assert_non_null(got);
    assert_string_equal(got, want);
    g_free(got);
}

static void test_claim_case_insensitive(void **state)
{
    (void)state;
    names_dir *d = names_dir_new();
    claim(d, "a.txt", "a.txt");
    claim(d, "A.TXT", "A (2).TXT");
    claim(d, "a.TXT", "a (3).TXT");
    claim(d, "b.txt", "b.txt");
    claim(d, "a (2).txt", "a (2) (2).txt"); /* "A (2).TXT" holds it */
    names_dir_free(d);
}

static void test_claim_numbered_name_already_taken(void **state)
{
    (void)state;
    names_dir *d = names_dir_new();
    claim(d, "a (2).txt", "a (2).txt");
    claim(d, "A (3).txt", "A (3).txt");
    claim(d, "a.txt", "a.txt");
    claim(d, "A.TXT", "A (4).TXT"); /* (2) and (3) are taken */
    claim(d, "a.txt", "a (5).txt");
    names_dir_free(d);
}

/* Collisions are what the share's readers see: NTFS (and Samba) compare names through an
 * upper-case table, one UTF-16 code unit at a time, with Unicode's simple upper-case
 * mapping; no normalization, no case folding, nothing beyond the BMP. */
static void test_claim_ntfs_upcase(void **state)
{
    (void)state;
    names_dir *d = names_dir_new();
    /* dotless i upper-cases to I: one name on NTFS (case folding keeps them apart). */
    claim(d, "i.txt", "i.txt");
    claim(d, "\xc4\xb1.txt", "\xc4\xb1 (2).txt");
    claim(d, "I.TXT", "I (3).TXT");
    /* long s upper-cases to S. */
    claim(d, "s.csv", "s.csv");
    claim(d, "\xc5\xbf.csv", "\xc5\xbf (2).csv");
    /* Final and medial sigma both upper-case to capital sigma. */
    claim(d, "\xce\xa3\xce\x99\xce\xa3", "\xce\xa3\xce\x99\xce\xa3");
    claim(d, "\xcf\x83\xce\xb9\xcf\x82", "\xcf\x83\xce\xb9\xcf\x82 (2)");
    /* Title-case dz and small dz share the capital. */
    claim(d, "\xc7\x85", "\xc7\x85");
    claim(d, "\xc7\x86", "\xc7\x86 (2)");
    /* Distinct on NTFS, so delivered under their own names: sharp s has no simple
     * upper case, decomposed and precomposed e-acute differ, the fi ligature and the
     * Kelvin sign stay themselves, and characters beyond the BMP are not mapped. */
    claim(d, "Stra\xc3\x9f" "e", "Stra\xc3\x9f" "e");
    claim(d, "STRASSE", "STRASSE");
    claim(d, "caf\xc3\xa9", "caf\xc3\xa9");
    claim(d, "CAFE\xcc\x81", "CAFE\xcc\x81");
    claim(d, "\xef\xac\x81le", "\xef\xac\x81le");
    claim(d, "FILE", "FILE");
    claim(d, "\xe2\x84\xaa", "\xe2\x84\xaa");
    claim(d, "k", "k");
    claim(d, "\xf0\x90\x90\xa8", "\xf0\x90\x90\xa8");
    claim(d, "\xf0\x90\x90\x80", "\xf0\x90\x90\x80");
    claim(d, "no-ext", "no-ext");
    claim(d, "NO-EXT", "NO-EXT (2)");
    claim(d, ".bashrc", ".bashrc");
    claim(d, ".BASHRC", ".BASHRC (2)");
    names_dir_free(d);
}

/* Numbering keeps the real final extension, however long. */
static void test_claim_long_extension(void **state)
{
    (void)state;
    names_dir *d = names_dir_new();
    claim(d, "plan.baplie-voyage123w", "plan.baplie-voyage123w");
    claim(d, "PLAN.BAPLIE-VOYAGE123W", "PLAN (2).BAPLIE-VOYAGE123W");
    names_dir_free(d);
}

static void test_claim_long_name_stays_in_limit(void **state)
{
    (void)state;
    GString *raw = g_string_new(NULL);
    for (int i = 0; i < 83; i++)
        g_string_append(raw, "\xe2\x82\xac"); /* 249 bytes */
    g_string_append(raw, ".txt");             /* 253 */
    names_dir *d = names_dir_new();
    char *first = names_dir_claim(d, raw->str);
    assert_string_equal(first, raw->str);
    for (int i = 2; i <= 12; i++) {
        char *got = names_dir_claim(d, raw->str);
        assert_true(strlen(got) <= NAMES_MAX_COMPONENT);
        assert_true(g_utf8_validate(got, -1, NULL));
        assert_true(g_str_has_suffix(got, ".txt"));
        char *suffix = g_strdup_printf(" (%d).txt", i);
        assert_true(g_str_has_suffix(got, suffix));
        g_free(suffix);
        g_free(got);
    }
    g_free(first);
    names_dir_free(d);
    g_string_free(raw, TRUE);
}

static void test_claim_resanitizes(void **state)
{
    (void)state;
    names_dir *d = names_dir_new();
    claim(d, "con", "_con");
    claim(d, "_CON", "_CON (2)");
    assert_null(names_dir_claim(d, NULL));
    assert_null(names_dir_claim(NULL, "x"));
    names_dir_free(d);
    names_dir_free(NULL);
}

/* ---- display ---- */

static void check_display(const char *raw, const char *want)
{
    char *got = names_display(raw);
    assert_true(g_utf8_validate(got, -1, NULL));
    assert_string_equal(got, want);
    g_free(got);
}

static void test_display(void **state)
{
    (void)state;
    check_display("plain.txt", "plain.txt");
    check_display("a<b>:c?.txt ", "a<b>:c?.txt "); /* nothing else changed */
    check_display("caf\xc3\xa9", "caf\xc3\xa9");
    check_display("tab\there\n", "tab\\x09here\\x0A");
    check_display("del\x7f", "del\\x7F");
    check_display("c1\xc2\x85", "c1\\u{0085}");
    check_display("invoice\xe2\x80\xaetxt.exe", "invoice\\u{202E}txt.exe");
    check_display("\xd8\x9c\xe2\x81\xa6", "\\u{061C}\\u{2066}");
    check_display("bad\xff\xc3", "bad\\xFF\\xC3");
    check_display("\xed\xa0\x80", "\\xED\\xA0\\x80");
    check_display("", "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_names_unchanged),
        cmocka_unit_test(test_empty_and_dots),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_bidi_controls),
        cmocka_unit_test(test_windows_forbidden_characters),
        cmocka_unit_test(test_trailing_dots_and_spaces),
        cmocka_unit_test(test_reserved_names),
        cmocka_unit_test(test_long_ascii_name_keeps_extension),
        cmocka_unit_test(test_long_multibyte_name),
        cmocka_unit_test(test_long_name_long_extension),
        cmocka_unit_test(test_long_name_keeps_long_final_extension),
        cmocka_unit_test(test_reserved_long_stays_in_limit),
        cmocka_unit_test(test_sanitize_is_idempotent),
        cmocka_unit_test(test_claim_case_insensitive),
        cmocka_unit_test(test_claim_numbered_name_already_taken),
        cmocka_unit_test(test_claim_ntfs_upcase),
        cmocka_unit_test(test_claim_long_extension),
        cmocka_unit_test(test_claim_long_name_stays_in_limit),
        cmocka_unit_test(test_claim_resanitizes),
        cmocka_unit_test(test_display),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

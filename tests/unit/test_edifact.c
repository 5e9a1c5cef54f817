/* Unit tests: scanner/edifact.c - the EDIFACT reader.
 *
 * The messages of tests/data/edifact/ (written for these tests by make-samples.py; found
 * through KIOSK_SRCDIR or the current folder): every summary field exactly; the broken
 * ones and a 10 MB segment made here: the right problem in the right words; the same
 * summary whatever the pieces the bytes come in; the service's re-check; the comparison
 * with the visitor's details. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanner/edifact.h"

static char *sample_path(const char *name)
{
    const char *src = getenv("KIOSK_SRCDIR");
    return g_build_filename(src ? src : ".", "tests", "data", "edifact", name, NULL);
}

static char *sample(const char *name, gsize *len)
{
    char *path = sample_path(name), *data = NULL;
    assert_true(g_file_get_contents(path, &data, len, NULL));
    g_free(path);
    return data;
}

/* The summary of DATA fed in pieces of STEP bytes (0 = all at once). */
static struct edifact_summary parse_step(const void *data, size_t len, unsigned flags, size_t step)
{
    struct edifact_reader *r = edifact_reader_new(flags);
    assert_non_null(r);
    const char *p = data;
    size_t done = 0;
    while (done < len) {
        size_t n = step && len - done > step ? step : len - done;
        if (!edifact_reader_feed(r, p + done, n))
            break;
        done += n;
    }
    struct edifact_summary s = *edifact_reader_finish(r);
    edifact_reader_free(r);
    assert_null(edifact_summary_check(&s));
    return s;
}

static struct edifact_summary parse(const char *text, unsigned flags)
{
    return parse_step(text, strlen(text), flags, 0);
}

static struct edifact_summary parse_sample(const char *name)
{
    gsize len;
    char *data = sample(name, &len);
    struct edifact_summary s = parse_step(data, len, EDIFACT_BY_NAME, 0);
    g_free(data);
    return s;
}

static void assert_problem(const struct edifact_summary *s, const char *code, const char *en)
{
    char text[512];
    assert_int_equal(s->status, EDIFACT_MALFORMED);
    assert_string_equal(edifact_problem_name(s->problem.code), code);
    edifact_problem_text(s, EDIFACT_EN, text, sizeof(text));
    assert_string_equal(text, en);
}

/* ---- the good messages ------------------------------------------------------------- */

static void test_baplie_95b(void **state)
{
    (void)state;
    struct edifact_summary s = parse_sample("baplie-d95b-smdg22.edi");
    const struct edifact_message *m = &s.msg[0];
    char h[256];
    assert_int_equal(s.status, EDIFACT_OK);
    assert_int_equal(s.n_problems, 0);
    assert_int_equal(s.una, 1);
    assert_string_equal(s.syntax, "UNOA");
    assert_int_equal(s.syntax_version, 2);
    assert_string_equal(s.sender, "MSCU");
    assert_string_equal(s.recipient, "JPNGOTOS");
    assert_string_equal(s.control_ref, "BAP0611093001");
    assert_string_equal(s.date, "2024-06-11 09:30");
    assert_int_equal(s.segments, 300);
    assert_int_equal(s.n_messages, 1);
    assert_int_equal(s.n_summaries, 1);
    assert_int_equal(s.n_groups, 0);
    assert_int_equal(s.containers, 36);
    assert_string_equal(m->type, "BAPLIE");
    assert_string_equal(m->version, "D:95B");
    assert_string_equal(m->agency, "UN");
    assert_string_equal(m->association, "SMDG22");
    assert_string_equal(m->reference, "1");
    assert_string_equal(m->vessel, "MSC AURORA");
    assert_string_equal(m->call_sign, "3FZA9");
    assert_string_equal(m->imo, "");
    assert_string_equal(m->voyage, "123W");
    assert_string_equal(m->date, "2024-06-11 09:30");
    assert_string_equal(m->departure, "CNSHA");
    assert_string_equal(m->next_port, "JPNGO");
    assert_int_equal(m->n_ports, 5);
    assert_string_equal(m->ports[0], "CNSHA");
    assert_string_equal(m->ports[1], "JPNGO");
    assert_string_equal(m->ports[2], "KRPUS");
    assert_string_equal(m->ports[3], "JPTYO");
    assert_string_equal(m->ports[4], "USLAX");
    assert_int_equal(m->containers, 36);
    assert_int_equal(m->segments, 298);
    assert_int_equal(m->declared_segments, 298);
    assert_int_equal(m->complete, 1);
    edifact_headline(&s, EDIFACT_EN, h, sizeof(h));
    assert_string_equal(h, "BAPLIE · MSC AURORA · voyage 123W · 36 containers");
    edifact_headline(&s, EDIFACT_JA, h, sizeof(h));
    assert_string_equal(h, "BAPLIE · MSC AURORA · 航海番号 123W · コンテナ 36個");
}

static void test_baplie_13b(void **state)
{
    (void)state;
    struct edifact_summary s = parse_sample("baplie-d13b-smdg31.edi");
    const struct edifact_message *m = &s.msg[0];
    assert_int_equal(s.status, EDIFACT_OK);
    assert_int_equal(s.una, 0);
    assert_string_equal(s.syntax, "UNOC");
    assert_int_equal(s.syntax_version, 3);
    assert_string_equal(s.sender, "ONEY");
    assert_string_equal(s.control_ref, "B3000042");
    assert_string_equal(s.date, "2024-06-12 14:15");
    assert_int_equal(s.segments, 308);
    assert_int_equal(s.containers, 42);
    assert_string_equal(m->type, "BAPLIE");
    assert_string_equal(m->version, "D:13B");
    assert_string_equal(m->association, "SMDG31");
    assert_string_equal(m->reference, "B3-1");
    /* O?'HARA?+SONS?: GLORY: the release character makes ' + : data */
    assert_string_equal(m->vessel, "O'HARA+SONS: GLORY");
    assert_string_equal(m->imo, "9876543");
    assert_string_equal(m->call_sign, "");
    assert_string_equal(m->voyage, "0042E");
    assert_string_equal(m->departure, "SGSIN");
    assert_string_equal(m->next_port, "JPNGO");
    assert_int_equal(m->n_ports, 3);
    assert_string_equal(m->ports[2], "CNNGB");
    assert_int_equal(m->segments, 306);
    assert_int_equal(m->declared_segments, 306);
}

static void test_movins(void **state)
{
    (void)state;
    struct edifact_summary s = parse_sample("movins-d95b.edi");
    const struct edifact_message *m = &s.msg[0];
    char h[256];
    assert_int_equal(s.status, EDIFACT_OK); /* CR LF between segments */
    assert_int_equal(s.una, 1);
    assert_string_equal(m->type, "MOVINS");
    assert_string_equal(m->association, "SMDG20");
    assert_string_equal(m->reference, "M1");
    assert_string_equal(m->vessel, "MSC AURORA");
    assert_string_equal(m->voyage, "123W");
    assert_string_equal(m->departure, "JPNGO");
    assert_string_equal(m->next_port, "KRPUS");
    assert_int_equal(m->containers, 8);
    assert_int_equal(m->segments, 49);
    edifact_headline(&s, EDIFACT_EN, h, sizeof(h));
    assert_string_equal(h, "MOVINS · MSC AURORA · voyage 123W · 8 containers");
}

static void test_coprar(void **state)
{
    (void)state;
    struct edifact_summary s = parse_sample("coprar-d00b.edi"); /* one line, no UNA */
    const struct edifact_message *m = &s.msg[0];
    assert_int_equal(s.status, EDIFACT_OK);
    assert_int_equal(s.una, 0);
    assert_string_equal(m->type, "COPRAR");
    assert_string_equal(m->version, "D:00B");
    assert_string_equal(m->association, "SMDG21");
    assert_string_equal(m->date, "2024-06-10"); /* DTM format 102 */
    assert_string_equal(m->voyage, "123W");
    assert_string_equal(m->departure, "");
    assert_int_equal(m->containers, 12);
    assert_int_equal(m->n_ports, 3);
    assert_string_equal(m->ports[0], "JPNGO");
    assert_string_equal(m->ports[1], "MYPKG");
    assert_string_equal(m->ports[2], "SGSIN");
    assert_int_equal(m->segments, 69);
}

static void test_vermas_group_utf8(void **state)
{
    (void)state;
    struct edifact_summary s = parse_sample("vermas-group-unoy.edi");
    const struct edifact_message *m = &s.msg[0];
    assert_int_equal(s.status, EDIFACT_OK); /* UNA^|.# ~ : other separators */
    assert_string_equal(s.syntax, "UNOY");
    assert_int_equal(s.n_groups, 1);
    assert_int_equal(s.n_messages, 1);
    assert_string_equal(s.sender, "SHIPPERX");
    assert_string_equal(m->type, "VERMAS");
    assert_string_equal(m->version, "D:16A");
    assert_string_equal(m->vessel, "SAKURA MARU 桜丸");
    assert_string_equal(m->imo, "9000003");
    assert_string_equal(m->voyage, "7E");
    assert_int_equal(m->containers, 3);
}

static void test_several_messages(void **state)
{
    (void)state;
    GString *t = g_string_new("UNB+UNOA:2+A+B+240101:0000+R1'");
    for (int i = 1; i <= 10; i++)
        g_string_append_printf(t, "UNH+%d+CODECO:D:95B:UN:ITG14'TDT+20+V%d'EQD+CN+X'UNT+4+%d'", i,
                               i, i);
    g_string_append(t, "UNZ+10+R1'");
    struct edifact_summary s = parse(t->str, 0);
    char h[256];
    assert_int_equal(s.status, EDIFACT_OK);
    assert_int_equal(s.n_messages, 10);
    assert_int_equal(s.n_summaries, EDIFACT_MSG_SUMMARIES);
    assert_int_equal(s.containers, 10);
    assert_string_equal(s.msg[7].voyage, "V8");
    edifact_headline(&s, EDIFACT_EN, h, sizeof(h));
    assert_string_equal(h, "CODECO · voyage V1 · 10 containers · 10 messages");
    g_string_free(t, TRUE);
}

/* ---- the broken ones ----------------------------------------------------------------- */

static void test_unt_count(void **state)
{
    (void)state;
    struct edifact_summary s = parse_sample("broken-unt-count.edi");
    char ja[512];
    assert_problem(&s, "segment-count", "bay plan says it has 299 segments (UNT) but has 298");
    assert_int_equal(s.problem.segment, 299);
    assert_int_equal(s.problem.message, 1);
    assert_int_equal(s.problem.declared, 299);
    assert_int_equal(s.problem.actual, 298);
    edifact_problem_text(&s, EDIFACT_JA, ja, sizeof(ja));
    assert_string_equal(ja, "ベイプランのセグメント数が合いません：UNTでは299、実際は298");
    /* the facts are still there */
    assert_string_equal(s.msg[0].vessel, "MSC AURORA");
    assert_int_equal(s.containers, 36);
}

static void test_unz_count(void **state)
{
    (void)state;
    struct edifact_summary s = parse_sample("broken-unz-count.edi");
    assert_problem(&s, "message-count",
                   "the interchange says it holds 2 messages (UNZ) but holds 1");
}

static void test_cut(void **state)
{
    (void)state;
    struct edifact_summary s = parse_sample("broken-cut.edi");
    assert_problem(&s, "cut-in-segment",
                   "bay plan is cut off in the middle of segment 185 (EQD), after 184 complete "
                   "segments");
    assert_int_equal(s.msg[0].complete, 0);
    assert_int_equal(s.msg[0].segments, 183);
    assert_int_equal(s.containers, 21);

    /* Cut between segments: the trailers are missing. */
    s = parse("UNB+UNOA:2+A+B+240101:0000+R1'UNH+1+BAPLIE:D:95B:UN:SMDG22'TDT+20+1W'\n", 0);
    assert_problem(&s, "cut-in-message",
                   "bay plan is cut off after 3 segments: the end of the message (UNT) and of the "
                   "interchange (UNZ) are missing");
    s = parse("UNB+UNOA:2+A+B+240101:0000+R1'UNH+1+BAPLIE:D:95B:UN:SMDG22'UNT+2+1'", 0);
    assert_problem(&s, "cut-before-unz",
                   "the interchange is cut off after 3 segments: its end (UNZ) is missing");
    /* A release character at the very end is half a segment. */
    s = parse("UNB+UNOA:2+A+B+240101:0000+R1'UNH+1+X'UNT+2+1'UNZ+1+R1?", 0);
    assert_string_equal(edifact_problem_name(s.problem.code), "cut-in-segment");
}

static void test_unoa_lowercase(void **state)
{
    (void)state;
    struct edifact_summary s = parse_sample("broken-unoa-lowercase.edi");
    char ja[512];
    assert_problem(&s, "character-set",
                   "loading/discharge order has lowercase letters, which syntax level UNOA does "
                   "not allow: the first is 's' in segment 5 (TDT)");
    edifact_problem_text(&s, EDIFACT_JA, ja, sizeof(ja));
    assert_string_equal(ja, "積揚指示に構文レベルUNOAでは使えない小文字があります（最初："
                            "セグメント5（TDT）の's'）");
    /* Lowercase is fine in UNOB; other characters of UNOA are not. */
    s = parse("UNB+UNOB:2+A+B+240101:0000+R1'UNH+1+X'FTX+AAA+++Lower case'UNT+3+1'UNZ+1+R1'", 0);
    assert_int_equal(s.status, EDIFACT_OK);
    s = parse("UNB+UNOA:2+A+B+240101:0000+R1'UNH+1+X'FTX+AAA+++A_B'UNT+3+1'UNZ+1+R1'", 0);
    assert_problem(&s, "character-set",
                   "EDIFACT message has a character that syntax level UNOA does not allow: '_' in "
                   "segment 3 (FTX)");
}

static void test_huge_segment(void **state)
{
    (void)state;
    static const char head[] =
        "UNB+UNOA:2+A+B+240101:0000+R1'UNH+1+BAPLIE:D:95B:UN:SMDG22'FTX+AAA+++";
    size_t len = 10u << 20;
    char *buf = g_malloc(len);
    memset(buf, 'X', len);
    memcpy(buf, head, sizeof(head) - 1);
    /* Whatever the pieces; the reader stops long before the end: the rest need not be
     * read. */
    for (size_t step = 1; step <= len; step *= 8) {
        struct edifact_reader *r = edifact_reader_new(0);
        size_t done = 0;
        while (done < len && edifact_reader_feed(r, buf + done, MIN(step, len - done)))
            done += step;
        assert_true(done < 64 * 1024);
        struct edifact_summary s = *edifact_reader_finish(r);
        edifact_reader_free(r);
        assert_problem(&s, "segment-too-long",
                       "segment 3 (FTX) is longer than 16,384 bytes: this is not a usable "
                       "EDIFACT file");
        assert_int_equal(s.problem.declared, EDIFACT_SEGMENT_MAX);
    }
    g_free(buf);
}

static void test_envelope(void **state)
{
    (void)state;
    static const struct {
        const char *text, *code, *en;
    } cases[] = {
        {"UNB+UNOA:2+A+B+240101:0000+R1'UNH+1+X'UNH+2+X'UNT+2+2'UNZ+2+R1'", "message-not-ended",
         "a message has no end (UNT) before the next one starts at segment 3 (UNH)"},
        {"UNB+UNOA:2+A+B+240101:0000+R1'LOC+5+JPNGO'UNZ+0+R1'", "outside-message",
         "segment 2 (LOC) is outside any message (UNH ... UNT)"},
        {"UNB+UNOA:2+A+B+240101:0000+R1'UNH+1+X'UNT+2+9'UNZ+1+R1'", "message-reference",
         "EDIFACT message ends with reference '9' (UNT) but started with '1' (UNH)"},
        {"UNB+UNOA:2+A+B+240101:0000+R1'UNH+1+X'UNT+2+1'UNZ+1+R2'", "control-reference",
         "the interchange ends with control reference 'R2' (UNZ) but started with 'R1' (UNB)"},
        {"UNB+UNOA:2+A+B+240101:0000+R1'UNH+1+X'UNT+2+1'UNZ+1+R1'UNB+UNOA:2+A+B+240101:0000+R2'",
         "data-after-end", "the file goes on after the end of the interchange (UNZ)"},
        {"UNB+UNOA:2+A+B+240101:0000+R1'UNG+X+A+B+240101:0000+G1+UN+D:95B'UNH+1+X'UNT+2+1'UNE+2+G1'"
         "UNZ+1+R1'",
         "group-count", "a group says it holds 2 messages (UNE) but holds 1"},
        {"UNB+UNOA:2+A+B+240101:0000+R1'UNT+1+1'UNZ+0+R1'", "out-of-place",
         "segment 2 (UNT) is out of place (no message has started)"},
        {"UNB+UNOZ:2+A+B+240101:0000+R1'UNH+1+X'UNT+2+1'UNZ+1+R1'", "syntax-identifier",
         "the interchange header (UNB) names an unknown syntax level 'UNOZ'"},
        {"UNB+UNOA:2+A+B+240101:0000'UNH+1+X'UNT+2+1'UNZ+1'", "missing-element",
         "segment 1 (UNB) has no control reference"},
        {"UNB+UNOA:2+A+B+240101:0000+R1'UNH+1+X'LOC+5+JP\nNGO'UNT+3+1'UNZ+1+R1'",
         "control-character", "EDIFACT message has a line break inside segment 3 (LOC)"},
        {"UNB+UNOA:2+A+B+240101:0000+R1'UNH+1+X'lo+1'UNT+3+1'UNZ+1+R1'", "segment-tag",
         "segment 3 does not start with a segment tag ('lo')"},
        {"UNA:+.? 'LOC+5+X'", "no-interchange-header",
         "the interchange header (UNB) is missing: the file starts with LOC"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct edifact_summary s = parse(cases[i].text, EDIFACT_BY_NAME);
        assert_problem(&s, cases[i].code, cases[i].en);
    }
}

static void test_not_edifact(void **state)
{
    (void)state;
    struct edifact_summary s;
    /* Not EDIFACT and not named like it: nothing to say. */
    s = parse("UNBELIEVABLE, said the captain.\n", 0);
    assert_int_equal(s.status, EDIFACT_NONE);
    s = parse("", 0);
    assert_int_equal(s.status, EDIFACT_NONE);
    /* Named like it. */
    s = parse("container,iso,pol\nMSCU1234565,22G1,JPNGO\n", EDIFACT_BY_NAME);
    assert_problem(&s, "not-interchange",
                   "the file is named like an EDIFACT file but is not an EDIFACT interchange (it "
                   "does not start with UNA or UNB)");
    s = parse("", EDIFACT_BY_NAME);
    assert_problem(&s, "empty", "the file is named like an EDIFACT file but is empty");
    s = parse("ISA*00*          *00*          *ZZ*SENDER~", EDIFACT_BY_NAME); /* ANSI X12 */
    assert_int_equal(s.status, EDIFACT_NONE);
    s = parse("UNA:::::'UNB+UNOA:2+A+B+240101:0000+R1'", EDIFACT_BY_NAME);
    assert_problem(&s, "service-string",
                   "the service string advice (UNA) at the start is not usable: its separators "
                   "must be different punctuation characters");
    /* Found by content whatever the name; a byte order mark and blank lines first. */
    s = parse("\xef\xbb\xbf\r\nUNB+UNOA:2+A+B+240101:0000+R1'UNH+1+X'UNT+2+1'UNZ+1+R1'\r\n", 0);
    assert_int_equal(s.status, EDIFACT_OK);
}

static void test_latin1(void **state)
{
    (void)state;
    /* UNOC: ISO 8859-1 becomes UTF-8; a C1 control is not a character of the level. */
    struct edifact_summary s =
        parse("UNB+UNOC:3+A+B+240101:0000+R1'UNH+1+BAPLIE:D:95B:UN:SMDG22'"
              "TDT+20+1W+++X:172:20+++CS1:103::S\xc3O PAULO'UNT+3+1'UNZ+1+R1'",
              0);
    assert_int_equal(s.status, EDIFACT_OK);
    assert_string_equal(s.msg[0].vessel, "S\xc3\x83O PAULO");
    s = parse("UNB+UNOC:3+A+B+240101:0000+R1'UNH+1+X'FTX+AAA+++\x85'UNT+3+1'UNZ+1+R1'", 0);
    assert_string_equal(edifact_problem_name(s.problem.code), "character-set");
    /* UNOY: invalid UTF-8 is a problem, and never reaches a text field. */
    s = parse("UNB+UNOY:3+A+B+240101:0000+R1'UNH+1+X'TDT+20+1W+++X+++CS:103::\xff\xfe'UNT+3+1'"
              "UNZ+1+R1'",
              0);
    assert_string_equal(edifact_problem_name(s.problem.code), "character-set");
    assert_string_equal(s.msg[0].vessel, "??");
}

/* Whatever pieces the bytes come in, the summary is the same. */
static void test_pieces(void **state)
{
    (void)state;
    static const char *const names[] = {"baplie-d95b-smdg22.edi", "vermas-group-unoy.edi",
                                        "broken-cut.edi", "movins-d95b.edi"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        gsize len;
        char *data = sample(names[i], &len);
        struct edifact_summary all = parse_step(data, len, EDIFACT_BY_NAME, 0);
        struct edifact_summary one = parse_step(data, len, EDIFACT_BY_NAME, 1);
        struct edifact_summary odd = parse_step(data, len, EDIFACT_BY_NAME, 63);
        assert_memory_equal(&all, &one, sizeof(all));
        assert_memory_equal(&all, &odd, sizeof(all));
        g_free(data);
    }
}

static void test_examine_fd(void **state)
{
    (void)state;
    char *path = sample_path("coprar-d00b.edi");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(lseek(fd, 100, SEEK_SET), 100); /* pread: the offset does not matter */
    struct edifact_summary s;
    assert_int_equal(edifact_examine_fd(fd, 0, &s), 0);
    assert_int_equal(s.status, EDIFACT_OK);
    assert_int_equal(s.containers, 12);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 100);
    close(fd);
    assert_int_equal(edifact_examine_fd(-1, 0, &s), -1);
    assert_int_equal(s.status, EDIFACT_NONE);
    g_free(path);
}

/* ---- the service's re-check ------------------------------------------------------------ */

static void test_check(void **state)
{
    (void)state;
    struct edifact_summary good = parse_sample("baplie-d13b-smdg31.edi"), s;
    struct edifact_summary none;
    memset(&none, 0, sizeof(none));
    assert_null(edifact_summary_check(&none));
    assert_null(edifact_summary_check(&good));

    s = good;
    memset(s.msg[0].vessel, 'A', sizeof(s.msg[0].vessel));
    assert_non_null(edifact_summary_check(&s)); /* not terminated */
    s = good;
    s.msg[0].vessel[0] = '\n';
    assert_non_null(edifact_summary_check(&s)); /* control character */
    s = good;
    memcpy(s.sender, "\xc3\x28", 3);
    assert_non_null(edifact_summary_check(&s)); /* not UTF-8 */
    s = good;
    memcpy(s.recipient, "\xc2\x85", 3);
    assert_non_null(edifact_summary_check(&s)); /* C1 control */
    s = good;
    s.status = 7;
    assert_non_null(edifact_summary_check(&s));
    s = good;
    s.status = EDIFACT_MALFORMED; /* without a problem */
    assert_non_null(edifact_summary_check(&s));
    s = good;
    s.problem.code = EDIFACT_P_COUNT;
    assert_non_null(edifact_summary_check(&s));
    s = good;
    s.n_summaries = 2;
    assert_non_null(edifact_summary_check(&s));
    s = good;
    s.msg[3].containers = 1; /* beyond the messages */
    assert_non_null(edifact_summary_check(&s));
    s = good;
    memcpy(s.msg[0].imo, "9876544", 8); /* wrong check digit */
    assert_non_null(edifact_summary_check(&s));
    s = good;
    s.msg[0].containers = 43;
    assert_non_null(edifact_summary_check(&s)); /* more than the file's total */
    s = good;
    s.msg[0].n_ports = EDIFACT_PORTS_MAX + 1;
    assert_non_null(edifact_summary_check(&s));
    s = good;
    s.segments = (uint64_t)EDIFACT_SEGMENTS_MAX + 1;
    assert_non_null(edifact_summary_check(&s));
}

/* ---- the visitor's details --------------------------------------------------------------- */

static void test_compare(void **state)
{
    (void)state;
    struct edifact_summary b95 = parse_sample("baplie-d95b-smdg22.edi");
    struct edifact_summary b13 = parse_sample("baplie-d13b-smdg31.edi");
    struct edifact_summary cop = parse_sample("coprar-d00b.edi");
    struct edifact_mismatch mm[3];
    char text[512];

    /* The same, written differently. */
    assert_int_equal(edifact_compare_details(&b95, "msc  aurora", NULL, "123 w", mm), 0);
    assert_int_equal(edifact_compare_details(&b95, "M.S.C. Aurora", "9321483", "123W", mm), 0);
    assert_int_equal(edifact_compare_details(&b13, "O'Hara Sons Glory", "IMO 9876543", "0042e", mm),
                     0);
    /* Nothing entered: nothing compared. */
    assert_int_equal(edifact_compare_details(&b95, NULL, "", NULL, mm), 0);

    assert_int_equal(edifact_compare_details(&b95, NULL, NULL, "124E", mm), 1);
    assert_int_equal(mm[0].field, EDIFACT_FIELD_VOYAGE);
    assert_string_equal(edifact_field_name(mm[0].field), "voyage");
    assert_string_equal(mm[0].type, "BAPLIE");
    assert_string_equal(mm[0].in_file, "123W");
    assert_string_equal(mm[0].entered, "124E");
    edifact_mismatch_text(&mm[0], EDIFACT_EN, text, sizeof(text));
    assert_string_equal(text, "this bay plan is for voyage 123W; you entered 124E");
    edifact_mismatch_text(&mm[0], EDIFACT_JA, text, sizeof(text));
    assert_string_equal(
        text, "このベイプランは航海番号「123W」のものです（入力された航海番号：「124E」）");

    assert_int_equal(edifact_compare_details(&b13, "MSC AURORA", "9321483", "0042E", mm), 2);
    edifact_mismatch_text(&mm[0], EDIFACT_EN, text, sizeof(text));
    assert_string_equal(text,
                        "this bay plan is for vessel O'HARA+SONS: GLORY; you entered MSC AURORA");
    edifact_mismatch_text(&mm[1], EDIFACT_EN, text, sizeof(text));
    assert_string_equal(text, "this bay plan is for IMO number 9876543; you entered 9321483");

    /* A COPRAR may name other transport: not compared. */
    assert_int_equal(edifact_compare_details(&cop, "OTHER SHIP", NULL, "999X", mm), 0);
}

static void test_count_format(void **state)
{
    (void)state;
    char b[32];
    edifact_format_count(0, b, sizeof(b));
    assert_string_equal(b, "0");
    edifact_format_count(999, b, sizeof(b));
    assert_string_equal(b, "999");
    edifact_format_count(1834, b, sizeof(b));
    assert_string_equal(b, "1,834");
    edifact_format_count(2000000, b, sizeof(b));
    assert_string_equal(b, "2,000,000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baplie_95b),
        cmocka_unit_test(test_baplie_13b),
        cmocka_unit_test(test_movins),
        cmocka_unit_test(test_coprar),
        cmocka_unit_test(test_vermas_group_utf8),
        cmocka_unit_test(test_several_messages),
        cmocka_unit_test(test_unt_count),
        cmocka_unit_test(test_unz_count),
        cmocka_unit_test(test_cut),
        cmocka_unit_test(test_unoa_lowercase),
        cmocka_unit_test(test_huge_segment),
        cmocka_unit_test(test_envelope),
        cmocka_unit_test(test_not_edifact),
        cmocka_unit_test(test_latin1),
        cmocka_unit_test(test_pieces),
        cmocka_unit_test(test_examine_fd),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_count_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

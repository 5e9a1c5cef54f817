/* edifact.c - the EDIFACT reader (contract in edifact.h, what is checked in
 * docs/edifact.md).  Three layers, top to bottom:
 *   bytes    -> sniffing (BOM, UNA/UNB), segments (terminator, release character,
 *               CR/LF between segments), with the length limit;
 *   segments -> the envelope (UNB/UNG/UNH ... UNT/UNE/UNZ: nesting, counts, references),
 *               the syntax level's character set, and the facts of the port messages;
 *   summary  -> words for people (problems, headline, mismatches) and the service's
 *               re-check of a summary that crossed from the worker. */
#include "scanner/edifact.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))
#define EDIFACT_HEAD 64   /* bytes looked at before deciding whether this is EDIFACT */
#define EDIFACT_VALUE 256 /* longest element value kept while reading a segment */

/* Character sets of the syntax levels (ISO 9735 part 1, annex; ISO 9735-10 for W/Y). */
enum edifact_charset {
    CS_NONE = 0, /* before UNB: not yet known */
    CS_A,        /* UNOA: capitals, digits, space and . , - ( ) / = ' + : ? ! " % & * ; < > */
    CS_B,        /* UNOB: ISO 646 printable (adds lowercase) */
    CS_LATIN1,   /* UNOC: ISO 8859-1 */
    CS_8BIT,     /* UNOD..UNOK: other ISO 8859 parts (shown as '?' beyond ASCII) */
    CS_ISO2022,  /* UNOX: ISO 2022 with escape sequences */
    CS_UTF8,     /* UNOW, UNOY: UTF-8 */
    CS_ANY,      /* an unknown syntax identifier (already a problem): not checked */
};

static const struct {
    const char *id;
    enum edifact_charset cs;
} edifact_syntaxes[] = {
    {"UNOA", CS_A},    {"UNOB", CS_B},    {"UNOC", CS_LATIN1}, {"UNOD", CS_8BIT},
    {"UNOE", CS_8BIT}, {"UNOF", CS_8BIT}, {"UNOG", CS_8BIT},   {"UNOH", CS_8BIT},
    {"UNOI", CS_8BIT}, {"UNOJ", CS_8BIT}, {"UNOK", CS_8BIT},   {"UNOX", CS_ISO2022},
    {"UNOW", CS_UTF8}, {"UNOY", CS_UTF8},
};

struct edifact_reader {
    unsigned flags;
    struct edifact_summary out;
    bool decided; /* sniffing is over */
    bool stopped; /* enough seen: feed returns false */
    uint8_t head[EDIFACT_HEAD];
    size_t head_len;
    /* service characters */
    uint8_t comp, elem, release, rep, term;
    bool has_release, rep_active;
    enum edifact_charset cs;
    uint8_t cls[256];     /* enum edifact_class of each byte for the syntax level */
    uint8_t special[256]; /* 1: ends a run of plain bytes (terminator, release) */
    /* the segment being read */
    bool in_seg, released;
    size_t seg_len;
    char tag[4];
    /* the envelope */
    uint64_t seg_no;
    bool seen_unb, ended, in_group, in_message, tdt_seen;
    uint32_t msgs, groups, msgs_in_group, ungrouped, msg_segs;
    char unb_ref[16], ung_ref[16], unh_ref[16];
    struct edifact_message *cur;
    struct edifact_message spare;   /* messages past EDIFACT_MSG_SUMMARIES */
    struct edifact_problem discard; /* problems after the first */
    uint8_t seg[EDIFACT_SEGMENT_MAX];
};

/* ---- small helpers ------------------------------------------------------------------ */

static bool edifact_is_upper(uint8_t b)
{
    return b >= 'A' && b <= 'Z';
}

static bool edifact_is_digit(uint8_t b)
{
    return b >= '0' && b <= '9';
}

/* Length of the valid UTF-8 sequence at P (1..4), 0 when it is not one. */
static size_t edifact_utf8_seq(const uint8_t *p, size_t n)
{
    uint8_t b = p[0];
    if (b < 0x80)
        return 1;
    size_t len = b >= 0xc2 && b <= 0xdf   ? 2
                 : b >= 0xe0 && b <= 0xef ? 3
                 : b >= 0xf0 && b <= 0xf4 ? 4
                                          : 0;
    if (len == 0 || len > n)
        return 0;
    uint8_t lo = 0x80, hi = 0xbf;
    if (b == 0xe0)
        lo = 0xa0;
    else if (b == 0xed)
        hi = 0x9f;
    else if (b == 0xf0)
        lo = 0x90;
    else if (b == 0xf4)
        hi = 0x8f;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return len;
}

/* A C1 control character (U+0080..U+009F) as UTF-8. */
static bool edifact_utf8_c1(const uint8_t *p, size_t len)
{
    return len == 2 && p[0] == 0xc2 && p[1] < 0xa0;
}

/* Copy printable ASCII of SRC into DST (SIZE > 0), others as '?'. */
static void edifact_ascii(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < size; i++)
        dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
    dst[i] = '\0';
}

static bool edifact_parse_count(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    for (; s[i]; i++) {
        if (!edifact_is_digit((uint8_t)s[i]) || i >= 18)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return i > 0;
}

void edifact_format_count(uint64_t n, char *buf, size_t size)
{
    char digits[24], out[32];
    int len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n);
    size_t o = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    snprintf(buf, size, "%s", out);
}

/* What a byte is at the syntax level in force (edifact_reader.cls). */
enum edifact_class {
    CL_OK = 0,  /* a character of the level */
    CL_SERVICE, /* a separator or the release character */
    CL_BAD,     /* not a character of the level */
    CL_CONTROL, /* a control character */
    CL_UTF8,    /* the first byte of a UTF-8 sequence: checked as a sequence */
};

/* The class table for the level of the interchange (after UNB). */
static void edifact_classes(struct edifact_reader *r)
{
    for (unsigned b = 0; b < 256; b++) {
        enum edifact_class c;
        if (b < 0x20 || b == 0x7f)
            c = r->cs == CS_ISO2022 && b == 0x1b ? CL_OK : CL_CONTROL;
        else if (b < 0x7f)
            c = r->cs != CS_A || edifact_is_upper((uint8_t)b) || edifact_is_digit((uint8_t)b) ||
                        strchr(" .,-()/='+:?!\"%&*;<>", (int)b)
                    ? CL_OK
                    : CL_BAD;
        else if (r->cs == CS_UTF8)
            c = CL_UTF8;
        else if (r->cs == CS_LATIN1 || r->cs == CS_8BIT || r->cs == CS_ISO2022)
            c = b >= 0xa0 || (r->cs == CS_ISO2022) ? CL_OK : CL_BAD;
        else
            c = CL_BAD;
        r->cls[b] = (uint8_t)c;
    }
    r->cls[r->elem] = r->cls[r->comp] = CL_SERVICE;
    if (r->has_release)
        r->cls[r->release] = CL_SERVICE;
    if (r->rep_active)
        r->cls[r->rep] = CL_SERVICE;
}

/* ---- segments: values ------------------------------------------------------------------ */

/* The raw value (release characters removed) of component COMP of element ELEM of the
 * current segment (element 0 is the tag), into OUT (SIZE > 0, cut to fit).  Only the
 * first repetition of a repeated element.  Returns its length (0 = absent or empty). */
static size_t edifact_value(const struct edifact_reader *r, unsigned elem, unsigned comp, char *out,
                            size_t size)
{
    unsigned e = 0, c = 0;
    bool rel = false;
    size_t n = 0;
    for (size_t i = 0; i < r->seg_len; i++) {
        uint8_t b = r->seg[i];
        if (!rel && r->has_release && b == r->release) {
            rel = true;
            continue;
        }
        if (!rel) {
            if (b == r->elem) {
                if (e == elem)
                    break;
                e++;
                c = 0;
                continue;
            }
            if (b == r->comp) {
                if (e == elem && c == comp)
                    break;
                c++;
                continue;
            }
            if (r->rep_active && b == r->rep) {
                if (e == elem)
                    break;
                continue;
            }
        }
        rel = false;
        if (e == elem && c == comp && n + 1 < size)
            out[n++] = (char)b;
        else if (e > elem)
            break;
    }
    out[n] = '\0';
    return n;
}

/* RAW (a value in character set CS) as UTF-8 without control characters into DST
 * (SIZE > 0), cut at a character boundary. */
static void edifact_text_cs(enum edifact_charset cs, char *dst, size_t size, const char *raw)
{
    const uint8_t *s = (const uint8_t *)raw;
    size_t n = strlen(raw), o = 0;
    for (size_t i = 0; i < n;) {
        uint8_t b = s[i];
        char enc[4];
        size_t len = 1, adv = 1;
        if (b >= 0x20 && b < 0x7f) {
            enc[0] = (char)b;
        } else if (b >= 0x80 && cs == CS_UTF8) {
            adv = edifact_utf8_seq(s + i, n - i);
            if (adv == 0 || edifact_utf8_c1(s + i, adv)) {
                enc[0] = '?';
                adv = adv ? adv : 1;
            } else {
                memcpy(enc, s + i, adv);
                len = adv;
            }
        } else if (b >= 0xa0 && cs == CS_LATIN1) {
            enc[0] = (char)(0xc0 | (b >> 6));
            enc[1] = (char)(0x80 | (b & 0x3f));
            len = 2;
        } else {
            enc[0] = '?';
        }
        if (o + len + 1 > size)
            break;
        memcpy(dst + o, enc, len);
        o += len;
        i += adv;
    }
    dst[o] = '\0';
}

/* RAW in the interchange's character set as text. */
static void edifact_text(const struct edifact_reader *r, char *dst, size_t size, const char *raw)
{
    edifact_text_cs(r->cs, dst, size, raw);
}

/* A value as text into DST: 0 when absent or empty. */
static size_t edifact_get(const struct edifact_reader *r, unsigned elem, unsigned comp, char *dst,
                          size_t size)
{
    char raw[EDIFACT_VALUE];
    if (edifact_value(r, elem, comp, raw, sizeof(raw)) == 0) {
        dst[0] = '\0';
        return 0;
    }
    edifact_text(r, dst, size, raw);
    return strlen(dst);
}

static bool edifact_value_is(const struct edifact_reader *r, unsigned elem, unsigned comp,
                             const char *want)
{
    char v[16];
    edifact_value(r, elem, comp, v, sizeof(v));
    return strcmp(v, want) == 0;
}

/* ---- problems ------------------------------------------------------------------------ */

/* Count a problem; the first one is described in the summary, the others go to a
 * scratch record so callers fill fields without asking. */
static struct edifact_problem *edifact_problem(struct edifact_reader *r,
                                               enum edifact_problem_code code)
{
    struct edifact_problem *p = &r->out.problem;
    r->out.n_problems++;
    if (p->code != EDIFACT_P_NONE)
        p = &r->discard;
    memset(p, 0, sizeof(*p));
    p->code = code;
    p->segment = r->seg_no;
    memcpy(p->tag, r->tag, sizeof(p->tag));
    memcpy(p->syntax, r->out.syntax, sizeof(p->syntax));
    if (r->in_message && r->cur) {
        p->message = r->msgs;
        memcpy(p->type, r->cur->type, sizeof(p->type));
    }
    return p;
}

static void edifact_stop(struct edifact_reader *r)
{
    r->stopped = true;
}

/* ---- dates --------------------------------------------------------------------------- */

/* DTM 2379 format codes: digits of the year, and of the time after the date. */
static const struct {
    const char *code;
    int year_digits, time_digits;
} edifact_date_formats[] = {
    {"101", 2, 0}, {"102", 4, 0}, {"201", 2, 4}, {"202", 2, 6}, {"203", 4, 4},
    {"204", 4, 6}, {"301", 2, 4}, {"303", 4, 4}, {"304", 4, 6},
};

/* "2024-06-11 09:30" from VALUE in FORMAT (NULL or unknown: guessed from the length);
 * the value itself (as text) when it is not a date in that format. */
static void edifact_date(const struct edifact_reader *r, char *dst, size_t size, const char *value,
                         const char *format)
{
    int yd = -1, td = 0;
    size_t n = strlen(value), digits = 0;
    while (digits < n && edifact_is_digit((uint8_t)value[digits]))
        digits++;
    for (size_t i = 0; format && i < N_ELEMENTS(edifact_date_formats); i++)
        if (strcmp(format, edifact_date_formats[i].code) == 0) {
            yd = edifact_date_formats[i].year_digits;
            td = edifact_date_formats[i].time_digits;
        }
    if (yd < 0) {
        static const struct {
            size_t len;
            int yd, td;
        } guess[] = {{6, 2, 0}, {8, 4, 0}, {10, 2, 4}, {12, 4, 4}, {14, 4, 6}};
        for (size_t i = 0; i < N_ELEMENTS(guess); i++)
            if (digits == n && n == guess[i].len) {
                yd = guess[i].yd;
                td = guess[i].td;
            }
    }
    size_t need = (size_t)(yd + 4 + td);
    if (yd < 0 || digits < need) {
        edifact_text(r, dst, size, value);
        return;
    }
    const char *v = value;
    char year[5];
    if (yd == 2)
        snprintf(year, sizeof(year), "20%.2s", v);
    else
        snprintf(year, sizeof(year), "%.4s", v);
    v += yd;
    if (td == 0)
        snprintf(dst, size, "%s-%.2s-%.2s", year, v, v + 2);
    else if (td == 4)
        snprintf(dst, size, "%s-%.2s-%.2s %.2s:%.2s", year, v, v + 2, v + 4, v + 6);
    else
        snprintf(dst, size, "%s-%.2s-%.2s %.2s:%.2s:%.2s", year, v, v + 2, v + 4, v + 6, v + 8);
}

/* ---- the envelope -------------------------------------------------------------------- */

static void edifact_missing(struct edifact_reader *r, const char *what)
{
    struct edifact_problem *p = edifact_problem(r, EDIFACT_P_MISSING);
    snprintf(p->expected, sizeof(p->expected), "%s", what);
}

static void edifact_unexpected(struct edifact_reader *r, const char *hint)
{
    struct edifact_problem *p = edifact_problem(r, EDIFACT_P_UNEXPECTED);
    snprintf(p->expected, sizeof(p->expected), "%s", hint);
}

/* The current message ends here (with or without its UNT): keep its segment count. */
static void edifact_end_message(struct edifact_reader *r)
{
    if (r->in_message && r->cur)
        r->cur->segments = r->msg_segs;
    r->in_message = false;
}

static void edifact_on_unb(struct edifact_reader *r)
{
    struct edifact_summary *s = &r->out;
    char syntax[16], v[24];
    if (r->seen_unb) {
        edifact_problem(r, EDIFACT_P_SECOND_UNB);
        edifact_stop(r);
        return;
    }
    r->seen_unb = true;
    edifact_value(r, 1, 0, syntax, sizeof(syntax));
    edifact_ascii(s->syntax, sizeof(s->syntax), syntax);
    r->cs = CS_ANY;
    for (size_t i = 0; i < N_ELEMENTS(edifact_syntaxes); i++)
        if (strcmp(syntax, edifact_syntaxes[i].id) == 0)
            r->cs = edifact_syntaxes[i].cs;
    uint64_t version = 0;
    edifact_value(r, 1, 1, v, sizeof(v));
    if (edifact_parse_count(v, &version) && version < 100)
        s->syntax_version = (uint32_t)version;
    /* Syntax version 4 separates repetitions ('*' unless UNA says otherwise). */
    if (s->syntax_version >= 4) {
        if (!s->una)
            r->rep = '*';
        r->rep_active = r->rep != ' ' && r->rep != r->comp && r->rep != r->elem &&
                        r->rep != r->term && !(r->has_release && r->rep == r->release);
    }
    edifact_classes(r);
    if (!syntax[0])
        edifact_missing(r, "syntax identifier");
    else if (r->cs == CS_ANY) {
        struct edifact_problem *p = edifact_problem(r, EDIFACT_P_SYNTAX);
        snprintf(p->found, sizeof(p->found), "%s", s->syntax);
    }
    if (!edifact_get(r, 2, 0, s->sender, sizeof(s->sender)))
        edifact_missing(r, "sender");
    if (!edifact_get(r, 3, 0, s->recipient, sizeof(s->recipient)))
        edifact_missing(r, "recipient");
    char date[24], time[24];
    edifact_value(r, 4, 0, date, sizeof(date));
    edifact_value(r, 4, 1, time, sizeof(time));
    if (!date[0]) {
        edifact_missing(r, "date");
    } else {
        char both[48];
        snprintf(both, sizeof(both), "%s%s", date, time);
        const char *fmt = strlen(date) == 8 ? (time[0] ? "203" : "102") : (time[0] ? "201" : "101");
        edifact_date(r, s->date, sizeof(s->date), both, fmt);
    }
    if (!edifact_value(r, 5, 0, r->unb_ref, sizeof(r->unb_ref)))
        edifact_missing(r, "control reference");
    edifact_text(r, s->control_ref, sizeof(s->control_ref), r->unb_ref);
}

static void edifact_on_ung(struct edifact_reader *r)
{
    if (r->in_message || r->in_group || r->ungrouped > 0) {
        edifact_unexpected(r, r->in_message ? "UNT" : r->in_group ? "UNE" : "mixed");
        return;
    }
    r->in_group = true;
    r->groups++;
    r->out.n_groups = r->groups;
    r->msgs_in_group = 0;
    if (!edifact_value(r, 5, 0, r->ung_ref, sizeof(r->ung_ref)))
        edifact_missing(r, "group reference");
}

static void edifact_on_une(struct edifact_reader *r)
{
    char v[24], ref[16];
    uint64_t n;
    if (!r->in_group || r->in_message) {
        edifact_unexpected(r, r->in_message ? "UNT" : "UNG");
        return;
    }
    r->in_group = false;
    edifact_value(r, 1, 0, v, sizeof(v));
    if (!edifact_parse_count(v, &n)) {
        edifact_missing(r, "message count");
    } else if (n != r->msgs_in_group) {
        struct edifact_problem *p = edifact_problem(r, EDIFACT_P_UNE_COUNT);
        p->declared = n;
        p->actual = r->msgs_in_group;
    }
    edifact_value(r, 2, 0, ref, sizeof(ref));
    if (strcmp(ref, r->ung_ref) != 0) {
        struct edifact_problem *p = edifact_problem(r, EDIFACT_P_UNE_REF);
        edifact_text(r, p->found, sizeof(p->found), ref);
        edifact_text(r, p->expected, sizeof(p->expected), r->ung_ref);
    }
}

static void edifact_on_unh(struct edifact_reader *r)
{
    if (r->in_message) {
        /* The previous message never ended: count it as it is and start the next. */
        edifact_problem(r, EDIFACT_P_UNH_IN_MESSAGE);
        edifact_end_message(r);
    }
    if (r->groups > 0 && !r->in_group) {
        edifact_unexpected(r, "mixed");
    }
    if (r->msgs >= EDIFACT_MESSAGES_MAX) {
        struct edifact_problem *p = edifact_problem(r, EDIFACT_P_TOO_MANY_MESSAGES);
        p->declared = EDIFACT_MESSAGES_MAX;
        edifact_stop(r);
        return;
    }
    r->msgs++;
    r->out.n_messages = r->msgs;
    if (r->in_group)
        r->msgs_in_group++;
    else
        r->ungrouped++;
    if (r->msgs <= EDIFACT_MSG_SUMMARIES) {
        r->cur = &r->out.msg[r->msgs - 1];
        r->out.n_summaries = r->msgs;
    } else {
        r->cur = &r->spare;
    }
    struct edifact_message *m = r->cur;
    memset(m, 0, sizeof(*m));
    r->in_message = true;
    r->tdt_seen = false;
    r->msg_segs = 1;
    char ver[8], rel[8];
    edifact_get(r, 2, 0, m->type, sizeof(m->type));
    edifact_value(r, 2, 1, ver, sizeof(ver));
    edifact_value(r, 2, 2, rel, sizeof(rel));
    if (ver[0] || rel[0]) {
        char both[24];
        snprintf(both, sizeof(both), "%s:%s", ver, rel);
        edifact_text(r, m->version, sizeof(m->version), both);
    }
    edifact_get(r, 2, 3, m->agency, sizeof(m->agency));
    edifact_get(r, 2, 4, m->association, sizeof(m->association));
    edifact_value(r, 1, 0, r->unh_ref, sizeof(r->unh_ref));
    edifact_text(r, m->reference, sizeof(m->reference), r->unh_ref);
    if (!r->unh_ref[0])
        edifact_missing(r, "message reference");
    if (!m->type[0])
        edifact_missing(r, "message type");
}

static void edifact_on_unt(struct edifact_reader *r)
{
    char v[24], ref[16];
    uint64_t n;
    if (!r->in_message) {
        edifact_unexpected(r, "UNH");
        return;
    }
    struct edifact_message *m = r->cur;
    r->msg_segs++;
    m->segments = r->msg_segs;
    m->complete = 1;
    edifact_value(r, 1, 0, v, sizeof(v));
    if (!edifact_parse_count(v, &n)) {
        edifact_missing(r, "segment count");
    } else {
        m->declared_segments = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
        if (n != r->msg_segs) {
            struct edifact_problem *p = edifact_problem(r, EDIFACT_P_UNT_COUNT);
            p->declared = n;
            p->actual = r->msg_segs;
        }
    }
    edifact_value(r, 2, 0, ref, sizeof(ref));
    if (strcmp(ref, r->unh_ref) != 0) {
        struct edifact_problem *p = edifact_problem(r, EDIFACT_P_UNT_REF);
        edifact_text(r, p->found, sizeof(p->found), ref);
        edifact_text(r, p->expected, sizeof(p->expected), r->unh_ref);
    }
    r->in_message = false;
}

static void edifact_on_unz(struct edifact_reader *r)
{
    char v[24], ref[16];
    uint64_t n;
    if (r->in_message || r->in_group) {
        edifact_unexpected(r, r->in_message ? "UNT" : "UNE");
        edifact_end_message(r);
        r->in_group = false;
    }
    r->ended = true;
    uint64_t actual = r->groups > 0 ? r->groups : r->msgs;
    edifact_value(r, 1, 0, v, sizeof(v));
    if (!edifact_parse_count(v, &n)) {
        edifact_missing(r, "message count");
    } else if (n != actual) {
        struct edifact_problem *p = edifact_problem(r, EDIFACT_P_UNZ_COUNT);
        p->declared = n;
        p->actual = actual;
        p->groups = r->groups > 0;
    }
    edifact_value(r, 2, 0, ref, sizeof(ref));
    if (strcmp(ref, r->unb_ref) != 0) {
        struct edifact_problem *p = edifact_problem(r, EDIFACT_P_UNZ_REF);
        edifact_text(r, p->found, sizeof(p->found), ref);
        edifact_text(r, p->expected, sizeof(p->expected), r->unb_ref);
    }
}

/* ---- the port messages' facts ---------------------------------------------------------- */

/* IMO ship identification number: 7 digits, the last the check digit of the six
 * before (weights 7..2).  An "IMO" prefix and spaces are allowed.  *OUT gets the digits. */
static bool edifact_imo(const char *v, char out[8])
{
    char d[8];
    size_t n = 0;
    if ((v[0] == 'I' || v[0] == 'i') && (v[1] == 'M' || v[1] == 'm') &&
        (v[2] == 'O' || v[2] == 'o'))
        v += 3;
    for (; *v; v++) {
        if (*v == ' ')
            continue;
        if (!edifact_is_digit((uint8_t)*v) || n >= 7)
            return false;
        d[n++] = *v;
    }
    if (n != 7)
        return false;
    unsigned sum = 0;
    for (int i = 0; i < 6; i++)
        sum += (unsigned)(d[i] - '0') * (unsigned)(7 - i);
    if (sum % 10 != (unsigned)(d[6] - '0'))
        return false;
    memcpy(out, d, 7);
    out[7] = '\0';
    return true;
}

/* TDT+20 (main carriage): the vessel.  C222 is element 8: 8213 id (call sign or IMO
 * number), 1131 code list (103 = call sign directory, 146 / IMO = IMO number), 3055,
 * 8212 the vessel's name. */
static void edifact_on_tdt(struct edifact_reader *r, struct edifact_message *m)
{
    char id[48], qual[16], voyage[sizeof(m->voyage)];
    if (r->tdt_seen || !edifact_value_is(r, 1, 0, "20"))
        return;
    r->tdt_seen = true;
    if (edifact_get(r, 2, 0, voyage, sizeof(voyage)))
        memcpy(m->voyage, voyage, strlen(voyage) + 1); /* not the stack bytes after it */
    edifact_get(r, 8, 3, m->vessel, sizeof(m->vessel));
    edifact_value(r, 8, 1, qual, sizeof(qual));
    if (!edifact_get(r, 8, 0, id, sizeof(id)))
        return;
    if (strcmp(qual, "103") == 0 || !edifact_imo(id, m->imo)) {
        m->imo[0] = '\0';
        edifact_get(r, 8, 0, m->call_sign, sizeof(m->call_sign));
    }
}

static void edifact_on_rff(struct edifact_reader *r, struct edifact_message *m)
{
    if (!m->voyage[0] && edifact_value_is(r, 1, 0, "VON"))
        edifact_get(r, 1, 1, m->voyage, sizeof(m->voyage));
}

/* UN/LOCODE: country (2 letters) + place (3 letters or digits 2-9). */
static bool edifact_is_locode(const char *v)
{
    if (strlen(v) != 5 || !edifact_is_upper((uint8_t)v[0]) || !edifact_is_upper((uint8_t)v[1]))
        return false;
    for (int i = 2; i < 5; i++)
        if (!edifact_is_upper((uint8_t)v[i]) && !(v[i] >= '2' && v[i] <= '9'))
            return false;
    return true;
}

static void edifact_on_loc(struct edifact_reader *r, struct edifact_message *m)
{
    char q[8], code[8];
    edifact_value(r, 1, 0, q, sizeof(q));
    edifact_value(r, 2, 0, code, sizeof(code));
    if (strcmp(q, "147") == 0 || !edifact_is_locode(code)) /* 147: a stowage cell */
        return;
    if (strcmp(q, "5") == 0 && !m->departure[0])
        memcpy(m->departure, code, 6);
    if (strcmp(q, "61") == 0 && !m->next_port[0])
        memcpy(m->next_port, code, 6);
    for (uint32_t i = 0; i < m->n_ports; i++)
        if (strcmp(m->ports[i], code) == 0)
            return;
    if (m->n_ports < EDIFACT_PORTS_MAX)
        memcpy(m->ports[m->n_ports++], code, 6);
    else if (m->more_ports < UINT32_MAX)
        m->more_ports++; /* may count a port twice: "more" is a hint, not a list */
}

static void edifact_on_eqd(struct edifact_reader *r, struct edifact_message *m)
{
    if (edifact_value_is(r, 1, 0, "CN")) {
        m->containers++;
        r->out.containers++;
    }
}

static void edifact_on_dtm(struct edifact_reader *r, struct edifact_message *m)
{
    char value[40], format[8];
    if (m->date[0] || !edifact_value_is(r, 1, 0, "137"))
        return;
    edifact_value(r, 1, 1, value, sizeof(value));
    edifact_value(r, 1, 2, format, sizeof(format));
    if (value[0])
        edifact_date(r, m->date, sizeof(m->date), value, format[0] ? format : NULL);
}

/* ---- segments: dispatch ---------------------------------------------------------------- */

static const struct {
    const char tag[4];
    void (*fn)(struct edifact_reader *r);
} edifact_service_segments[] = {
    {"UNB", edifact_on_unb}, {"UNG", edifact_on_ung}, {"UNE", edifact_on_une},
    {"UNH", edifact_on_unh}, {"UNT", edifact_on_unt}, {"UNZ", edifact_on_unz},
};

static const struct {
    const char tag[4];
    void (*fn)(struct edifact_reader *r, struct edifact_message *m);
} edifact_data_segments[] = {
    {"TDT", edifact_on_tdt}, {"RFF", edifact_on_rff}, {"LOC", edifact_on_loc},
    {"EQD", edifact_on_eqd}, {"DTM", edifact_on_dtm},
};

/* Is every byte of the segment allowed by the syntax level?  The first one that is not
 * becomes the problem. */
static void edifact_check_chars(struct edifact_reader *r)
{
    bool rel = false;
    if (r->cs == CS_NONE || r->cs == CS_ANY)
        return;
    for (size_t i = 0; i < r->seg_len; i++) {
        uint8_t b = r->seg[i];
        enum edifact_class c = (enum edifact_class)r->cls[b];
        if (c == CL_OK) {
            rel = false;
            continue;
        }
        if (c == CL_SERVICE) { /* data after the release character, else a separator */
            rel = !rel && r->has_release && b == r->release;
            continue;
        }
        rel = false;
        if (c == CL_UTF8) {
            size_t len = edifact_utf8_seq(r->seg + i, r->seg_len - i);
            if (len > 0 && !edifact_utf8_c1(r->seg + i, len)) {
                i += len - 1;
                continue;
            }
        }
        struct edifact_problem *p =
            edifact_problem(r, c == CL_CONTROL ? EDIFACT_P_CONTROL : EDIFACT_P_CHARSET);
        if (b >= 0x20 && b < 0x7f)
            snprintf(p->found, sizeof(p->found), "'%c'", b);
        else
            snprintf(p->found, sizeof(p->found), "0x%02X", b);
        return;
    }
}

static void edifact_segment(struct edifact_reader *r)
{
    char tag[8];
    r->seg_no++;
    r->out.segments = r->seg_no;
    memset(r->tag, 0, sizeof(r->tag));
    if (r->seg_no > EDIFACT_SEGMENTS_MAX) {
        struct edifact_problem *p = edifact_problem(r, EDIFACT_P_TOO_MANY_SEGMENTS);
        p->declared = EDIFACT_SEGMENTS_MAX;
        edifact_stop(r);
        return;
    }
    size_t n = edifact_value(r, 0, 0, tag, sizeof(tag));
    bool tag_ok = n == 3 && edifact_is_upper((uint8_t)tag[0]) &&
                  (edifact_is_upper((uint8_t)tag[1]) || edifact_is_digit((uint8_t)tag[1])) &&
                  (edifact_is_upper((uint8_t)tag[2]) || edifact_is_digit((uint8_t)tag[2]));
    if (tag_ok)
        memcpy(r->tag, tag, 4);
    if (r->seg_no == 1 && memcmp(r->tag, "UNB", 4) != 0) {
        struct edifact_problem *p = edifact_problem(r, tag_ok ? EDIFACT_P_NO_UNB : EDIFACT_P_TAG);
        edifact_text(r, p->found, sizeof(p->found), tag);
        edifact_stop(r);
        return;
    }
    if (!tag_ok) {
        struct edifact_problem *p = edifact_problem(r, EDIFACT_P_TAG);
        edifact_text(r, p->found, sizeof(p->found), tag);
        if (r->in_message)
            r->msg_segs++;
        edifact_check_chars(r);
        return;
    }
    for (size_t i = 0; i < N_ELEMENTS(edifact_service_segments); i++) {
        if (memcmp(r->tag, edifact_service_segments[i].tag, 4) == 0) {
            edifact_service_segments[i].fn(r);
            edifact_check_chars(r);
            return;
        }
    }
    edifact_check_chars(r);
    if (memcmp(r->tag, "UNA", 4) == 0) {
        edifact_unexpected(r, "UNA");
        return;
    }
    if (!r->in_message) {
        edifact_problem(r, EDIFACT_P_OUTSIDE_MESSAGE);
        return;
    }
    r->msg_segs++;
    for (size_t i = 0; i < N_ELEMENTS(edifact_data_segments); i++)
        if (memcmp(r->tag, edifact_data_segments[i].tag, 4) == 0)
            edifact_data_segments[i].fn(r, r->cur);
}

/* ---- bytes ----------------------------------------------------------------------------- */

static bool edifact_punct(uint8_t b)
{
    return (b > 0x20 && b < 0x7f && !edifact_is_upper(b) && !edifact_is_digit(b) &&
            !(b >= 'a' && b <= 'z')) ||
           (b >= 0x1c && b <= 0x1f);
}

static void edifact_defaults(struct edifact_reader *r)
{
    r->comp = ':';
    r->elem = '+';
    r->release = '?';
    r->has_release = true;
    r->rep = ' ';
    r->term = '\'';
}

static void edifact_feed_segments(struct edifact_reader *r, const uint8_t *p, size_t n);

/* The separators are known: the bytes that end a run of plain bytes. */
static void edifact_specials(struct edifact_reader *r)
{
    memset(r->special, 0, sizeof(r->special));
    r->special[r->term] = 1;
    if (r->has_release)
        r->special[r->release] = 1;
}

/* Decide from the first bytes (HEAD) whether this is an interchange, set the service
 * characters, and read what was held back. */
static void edifact_sniff(struct edifact_reader *r)
{
    const uint8_t *h = r->head;
    size_t n = r->head_len, i = 0;
    bool by_name = r->flags & EDIFACT_BY_NAME;
    r->decided = true;
    if (n >= 3 && h[0] == 0xef && h[1] == 0xbb && h[2] == 0xbf)
        i = 3;
    while (i < n && (h[i] == ' ' || h[i] == '\t' || h[i] == '\r' || h[i] == '\n'))
        i++;
    size_t rest = n - i;
    const uint8_t *s = h + i;
    edifact_defaults(r);
    if (rest >= 3 && memcmp(s, "UNA", 3) == 0) {
        const uint8_t *c = s + 3;
        bool ok =
            rest >= 9 && edifact_punct(c[0]) && edifact_punct(c[1]) && edifact_punct(c[5]) &&
            c[0] != c[1] && c[0] != c[5] && c[1] != c[5] && c[2] >= 0x20 &&
            (c[3] == ' ' || (edifact_punct(c[3]) && c[3] != c[0] && c[3] != c[1] && c[3] != c[5]));
        if (!ok) {
            if (by_name) {
                r->out.status = EDIFACT_MALFORMED;
                edifact_problem(r, EDIFACT_P_UNA);
            }
            edifact_stop(r);
            return;
        }
        r->out.status = EDIFACT_OK;
        r->out.una = 1;
        r->comp = c[0];
        r->elem = c[1];
        r->release = c[3];
        r->has_release = c[3] != ' ';
        r->rep = c[4];
        r->term = c[5];
        edifact_specials(r);
        edifact_feed_segments(r, s + 9, rest - 9);
        return;
    }
    if (rest >= 4 && memcmp(s, "UNB", 3) == 0) {
        bool word = rest >= 8;
        for (size_t k = 4; k < 8 && k < rest; k++)
            word = word && (edifact_is_upper(s[k]) || edifact_is_digit(s[k]));
        if (s[3] == 0x1d) {
            /* Syntax level B's default separators: IS4, IS3, IS1; no release character. */
            r->term = 0x1c;
            r->elem = 0x1d;
            r->comp = 0x1f;
            r->has_release = false;
        } else if (s[3] != '+') {
            word = false;
        }
        if (word || by_name) {
            r->out.status = EDIFACT_OK;
            edifact_specials(r);
            edifact_feed_segments(r, s, rest);
            return;
        }
    }
    if (by_name && !(rest >= 3 && memcmp(s, "ISA", 3) == 0)) { /* ISA: ANSI X12, not ours */
        r->out.status = EDIFACT_MALFORMED;
        struct edifact_problem *p =
            edifact_problem(r, rest == 0 ? EDIFACT_P_EMPTY : EDIFACT_P_NOT_INTERCHANGE);
        p->segment = 0;
    }
    edifact_stop(r);
}

/* The segment being read is longer than the limit: say so and stop. */
static void edifact_too_long(struct edifact_reader *r)
{
    char tag[4] = "";
    bool tag_ok = r->seg_len >= 3;
    for (int k = 0; k < 3 && tag_ok; k++)
        tag_ok = edifact_is_upper(r->seg[k]) || edifact_is_digit(r->seg[k]);
    if (tag_ok)
        memcpy(tag, r->seg, 3);
    struct edifact_problem *pr = edifact_problem(r, EDIFACT_P_SEGMENT_TOO_LONG);
    pr->segment = r->seg_no + 1;
    pr->declared = EDIFACT_SEGMENT_MAX;
    memcpy(pr->tag, tag, sizeof(tag));
    edifact_stop(r);
}

static void edifact_feed_segments(struct edifact_reader *r, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && !r->stopped) {
        uint8_t b = p[i];
        if (r->ended && !r->in_seg) {
            if (b == '\r' || b == '\n' || b == ' ' || b == '\t') {
                i++;
                continue;
            }
            struct edifact_problem *pr = edifact_problem(r, EDIFACT_P_AFTER_UNZ);
            pr->segment = r->seg_no + 1;
            memset(pr->tag, 0, sizeof(pr->tag));
            edifact_stop(r);
            return;
        }
        if (!r->in_seg) {
            if (b == '\r' || b == '\n') {
                i++;
                continue;
            }
            r->in_seg = true;
            r->released = false;
            r->seg_len = 0;
        }
        if (!r->released && !r->special[b]) {
            /* A run of plain bytes: copied at once. */
            size_t j = i + 1;
            while (j < n && !r->special[p[j]])
                j++;
            if (j - i > EDIFACT_SEGMENT_MAX - r->seg_len) {
                /* Keep what fits, so the problem can name the segment's tag. */
                memcpy(r->seg + r->seg_len, p + i, EDIFACT_SEGMENT_MAX - r->seg_len);
                r->seg_len = EDIFACT_SEGMENT_MAX;
                edifact_too_long(r);
                return;
            }
            memcpy(r->seg + r->seg_len, p + i, j - i);
            r->seg_len += j - i;
            i = j;
            continue;
        }
        i++;
        if (r->released) {
            r->released = false;
        } else if (r->has_release && b == r->release) {
            r->released = true;
        } else if (b == r->term) {
            r->in_seg = false;
            edifact_segment(r);
            continue;
        }
        if (r->seg_len == EDIFACT_SEGMENT_MAX) {
            edifact_too_long(r);
            return;
        }
        r->seg[r->seg_len++] = b;
    }
}

struct edifact_reader *edifact_reader_new(unsigned flags)
{
    struct edifact_reader *r = calloc(1, sizeof(*r));
    if (r)
        r->flags = flags;
    return r;
}

void edifact_reader_free(struct edifact_reader *r)
{
    free(r);
}

bool edifact_reader_feed(struct edifact_reader *r, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    if (!r->decided) {
        size_t take = EDIFACT_HEAD - r->head_len;
        if (take > len)
            take = len;
        memcpy(r->head + r->head_len, p, take);
        r->head_len += take;
        p += take;
        len -= take;
        if (r->head_len < EDIFACT_HEAD)
            return true;
        edifact_sniff(r);
    }
    if (!r->stopped)
        edifact_feed_segments(r, p, len);
    return !r->stopped;
}

const struct edifact_summary *edifact_reader_finish(struct edifact_reader *r)
{
    struct edifact_summary *s = &r->out;
    if (!r->decided)
        edifact_sniff(r);
    if (s->status == EDIFACT_NONE)
        return s;
    if (!r->stopped) {
        memset(r->tag, 0, sizeof(r->tag));
        if (r->in_seg && r->seg_len > 0) {
            struct edifact_problem *p = edifact_problem(r, EDIFACT_P_CUT_SEGMENT);
            p->segment = r->seg_no + 1;
            p->actual = r->seg_no;
            if (r->seg_len >= 3 && edifact_is_upper(r->seg[0]))
                snprintf(p->tag, sizeof(p->tag), "%.3s", (const char *)r->seg);
            for (int k = 0; k < 3; k++)
                if (!edifact_is_upper((uint8_t)p->tag[k]) && !edifact_is_digit((uint8_t)p->tag[k]))
                    memset(p->tag, 0, sizeof(p->tag));
        } else if (r->in_message) {
            struct edifact_problem *p = edifact_problem(r, EDIFACT_P_CUT_MESSAGE);
            p->actual = r->seg_no;
        } else if (!r->ended) {
            struct edifact_problem *p = edifact_problem(r, EDIFACT_P_CUT_INTERCHANGE);
            p->actual = r->seg_no;
        }
    }
    edifact_end_message(r);
    r->stopped = true;
    s->status = s->problem.code != EDIFACT_P_NONE ? EDIFACT_MALFORMED : EDIFACT_OK;
    return s;
}

int edifact_examine_fd(int fd, unsigned flags, struct edifact_summary *out)
{
    enum { CHUNK = 65536 };
    struct edifact_reader *r = edifact_reader_new(flags);
    uint8_t *buf = malloc(CHUNK);
    off_t off = 0;
    int rc = -1;
    memset(out, 0, sizeof(*out));
    if (!r || !buf) {
        errno = ENOMEM;
        goto out;
    }
    for (;;) {
        ssize_t n = pread(fd, buf, CHUNK, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto out;
        if (n == 0)
            break;
        off += n;
        if (!edifact_reader_feed(r, buf, (size_t)n))
            break;
    }
    *out = *edifact_reader_finish(r);
    rc = 0;
out:
    free(buf);
    edifact_reader_free(r);
    return rc;
}

/* ---- the service's re-check ----------------------------------------------------------- */

/* A NUL-terminated UTF-8 string without control characters in S (SIZE bytes)? */
static bool edifact_check_str(const char *s, size_t size)
{
    size_t n = strnlen(s, size);
    const uint8_t *p = (const uint8_t *)s;
    if (n == size)
        return false;
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x20 || p[i] == 0x7f)
            return false;
        size_t len = edifact_utf8_seq(p + i, n - i);
        if (len == 0 || edifact_utf8_c1(p + i, len))
            return false;
        i += len;
    }
    return true;
}

#define EDIFACT_CHECK_STR(field)                                                                   \
    do {                                                                                           \
        if (!edifact_check_str((field), sizeof(field)))                                            \
            return "a text field is not terminated or not printable UTF-8";                        \
    } while (0)

const char *edifact_summary_check(const struct edifact_summary *s)
{
    const struct edifact_problem *p = &s->problem;
    if (s->status >= EDIFACT_STATUS_COUNT)
        return "status out of range";
    if (p->code >= EDIFACT_P_COUNT)
        return "problem code out of range";
    if ((s->status == EDIFACT_MALFORMED) != (p->code != EDIFACT_P_NONE))
        return "status and problem disagree";
    if (s->una > 1 || s->syntax_version > 99 || p->groups > 1)
        return "flag out of range";
    if (s->n_messages > EDIFACT_MESSAGES_MAX || s->segments > EDIFACT_SEGMENTS_MAX ||
        s->n_groups > s->segments || s->n_messages > s->segments || s->containers > s->segments)
        return "count out of range";
    uint32_t want = s->n_messages < EDIFACT_MSG_SUMMARIES ? s->n_messages : EDIFACT_MSG_SUMMARIES;
    if (s->n_summaries != want)
        return "number of message summaries out of range";
    if (s->status == EDIFACT_NONE && (s->segments || s->n_messages))
        return "counts for a file that is not EDIFACT";
    if (p->message > s->n_messages || p->segment > (uint64_t)EDIFACT_SEGMENTS_MAX + 1)
        return "problem position out of range";
    EDIFACT_CHECK_STR(s->syntax);
    EDIFACT_CHECK_STR(s->sender);
    EDIFACT_CHECK_STR(s->recipient);
    EDIFACT_CHECK_STR(s->control_ref);
    EDIFACT_CHECK_STR(s->date);
    EDIFACT_CHECK_STR(p->tag);
    EDIFACT_CHECK_STR(p->type);
    EDIFACT_CHECK_STR(p->syntax);
    EDIFACT_CHECK_STR(p->expected);
    EDIFACT_CHECK_STR(p->found);
    uint64_t containers = 0;
    for (int i = 0; i < EDIFACT_MSG_SUMMARIES; i++) {
        const struct edifact_message *m = &s->msg[i];
        EDIFACT_CHECK_STR(m->type);
        EDIFACT_CHECK_STR(m->version);
        EDIFACT_CHECK_STR(m->agency);
        EDIFACT_CHECK_STR(m->association);
        EDIFACT_CHECK_STR(m->reference);
        EDIFACT_CHECK_STR(m->vessel);
        EDIFACT_CHECK_STR(m->call_sign);
        EDIFACT_CHECK_STR(m->imo);
        EDIFACT_CHECK_STR(m->voyage);
        EDIFACT_CHECK_STR(m->date);
        EDIFACT_CHECK_STR(m->departure);
        EDIFACT_CHECK_STR(m->next_port);
        if (m->n_ports > EDIFACT_PORTS_MAX || m->complete > 1)
            return "message field out of range";
        for (int k = 0; k < EDIFACT_PORTS_MAX; k++)
            EDIFACT_CHECK_STR(m->ports[k]);
        char imo[8];
        if (m->imo[0] && !edifact_imo(m->imo, imo))
            return "IMO number without a valid check digit";
        if (m->segments > s->segments || m->containers > m->segments)
            return "message count out of range";
        if ((uint32_t)i >= s->n_summaries && (m->type[0] || m->segments || m->containers))
            return "message summary beyond the number of messages";
        containers += m->containers;
    }
    if (containers > s->containers)
        return "containers do not add up";
    return NULL;
}

/* ---- words for people ------------------------------------------------------------------ */

static const struct {
    const char *type;
    const char *noun[2];
} edifact_nouns[] = {
    {"BAPLIE", {"bay plan", "ベイプラン"}},
    {"MOVINS", {"stowage instruction", "積付指示"}},
    {"COPRAR", {"loading/discharge order", "積揚指示"}},
    {"COARRI", {"loading/discharge report", "積揚報告"}},
    {"CODECO", {"gate-in/gate-out report", "搬出入報告"}},
    {"VERMAS", {"verified gross mass message", "VGM通知"}},
};

const char *edifact_type_noun(const char *type, enum edifact_lang lang)
{
    for (size_t i = 0; type && i < N_ELEMENTS(edifact_nouns); i++)
        if (strcmp(type, edifact_nouns[i].type) == 0)
            return edifact_nouns[i].noun[lang];
    return lang == EDIFACT_JA ? "EDIFACTメッセージ" : "EDIFACT message";
}

static const char *const edifact_problem_names[EDIFACT_P_COUNT] = {
    [EDIFACT_P_NONE] = "none",
    [EDIFACT_P_EMPTY] = "empty",
    [EDIFACT_P_NOT_INTERCHANGE] = "not-interchange",
    [EDIFACT_P_UNA] = "service-string",
    [EDIFACT_P_SYNTAX] = "syntax-identifier",
    [EDIFACT_P_MISSING] = "missing-element",
    [EDIFACT_P_CHARSET] = "character-set",
    [EDIFACT_P_CONTROL] = "control-character",
    [EDIFACT_P_TAG] = "segment-tag",
    [EDIFACT_P_SEGMENT_TOO_LONG] = "segment-too-long",
    [EDIFACT_P_TOO_MANY_SEGMENTS] = "too-many-segments",
    [EDIFACT_P_TOO_MANY_MESSAGES] = "too-many-messages",
    [EDIFACT_P_CUT_SEGMENT] = "cut-in-segment",
    [EDIFACT_P_CUT_MESSAGE] = "cut-in-message",
    [EDIFACT_P_CUT_INTERCHANGE] = "cut-before-unz",
    [EDIFACT_P_NO_UNB] = "no-interchange-header",
    [EDIFACT_P_SECOND_UNB] = "second-interchange-header",
    [EDIFACT_P_UNH_IN_MESSAGE] = "message-not-ended",
    [EDIFACT_P_OUTSIDE_MESSAGE] = "outside-message",
    [EDIFACT_P_UNEXPECTED] = "out-of-place",
    [EDIFACT_P_UNT_COUNT] = "segment-count",
    [EDIFACT_P_UNT_REF] = "message-reference",
    [EDIFACT_P_UNE_COUNT] = "group-count",
    [EDIFACT_P_UNE_REF] = "group-reference",
    [EDIFACT_P_UNZ_COUNT] = "message-count",
    [EDIFACT_P_UNZ_REF] = "control-reference",
    [EDIFACT_P_AFTER_UNZ] = "data-after-end",
};

const char *edifact_problem_name(uint32_t code)
{
    return code < EDIFACT_P_COUNT ? edifact_problem_names[code] : "unknown";
}

/* Names of required elements (edifact_missing) in Japanese. */
static const char *edifact_element_ja(const char *en)
{
    static const char *const names[][2] = {
        {"syntax identifier", "構文識別子"},
        {"sender", "送信者"},
        {"recipient", "受信者"},
        {"date", "日付"},
        {"control reference", "管理参照番号"},
        {"group reference", "グループ参照番号"},
        {"message reference", "メッセージ参照番号"},
        {"message type", "メッセージ種別"},
        {"segment count", "セグメント数"},
        {"message count", "メッセージ数"},
    };
    for (size_t i = 0; i < N_ELEMENTS(names); i++)
        if (strcmp(en, names[i][0]) == 0)
            return names[i][1];
    return en;
}

/* Why a service segment is out of place (edifact_unexpected's hint). */
static const char *edifact_hint(const char *hint, enum edifact_lang lang)
{
    static const char *const hints[][3] = {
        {"UNT", " (a message before it has not ended)", "（前のメッセージが終わっていません）"},
        {"UNE", " (a group before it has not ended)", "（前のグループが終わっていません）"},
        {"UNH", " (no message has started)", "（メッセージが始まっていません）"},
        {"UNG", " (no group has started)", "（グループが始まっていません）"},
        {"UNA", " (a service string advice is only allowed at the start)",
         "（UNAはファイルの先頭にしか置けません）"},
        {"mixed", " (messages inside and outside groups)", "（グループ内外のメッセージが混在）"},
    };
    for (size_t i = 0; i < N_ELEMENTS(hints); i++)
        if (strcmp(hint, hints[i][0]) == 0)
            return hints[i][1 + lang];
    return "";
}

/* What the words of a problem are filled in with, in the order of their "%s". */
enum edifact_arg {
    EDIFACT_ARG_NONE,
    EDIFACT_ARG_WHAT,     /* "bay plan (message 2)", or the interchange */
    EDIFACT_ARG_AT,       /* "segment 5 (TDT)" */
    EDIFACT_ARG_DECLARED, /* the count the file says, or the limit reached */
    EDIFACT_ARG_ACTUAL,   /* the count found */
    EDIFACT_ARG_FOUND,
    EDIFACT_ARG_EXPECTED,
    EDIFACT_ARG_ELEMENT, /* the missing element's name, in the language */
    EDIFACT_ARG_SYNTAX,
    EDIFACT_ARG_HINT, /* why a service segment is out of place (edifact_hint) */
    EDIFACT_ARG_UNIT, /* what UNZ counts: groups or messages */
};

#define EDIFACT_FORM_ARGS 4

/* The words of one problem in English and Japanese; a variant is the second form of a
 * code (edifact_problem_variant). */
struct edifact_problem_form {
    uint32_t code;
    bool variant;
    const char *text[2];                      /* by enum edifact_lang */
    unsigned char args[2][EDIFACT_FORM_ARGS]; /* enum edifact_arg, by language */
};

static const struct edifact_problem_form edifact_problem_forms[] = {
    {EDIFACT_P_EMPTY,
     false,
     {"the file is named like an EDIFACT file but is empty",
      "EDIFACTファイルの名前ですが、中身が空です"},
     {{0}, {0}}},
    {EDIFACT_P_NOT_INTERCHANGE,
     false,
     {"the file is named like an EDIFACT file but is not an EDIFACT "
      "interchange (it does not start with UNA or UNB)",
      "EDIFACTファイルの名前ですが、EDIFACTのインターチェンジではありません（UNAま"
      "たはUNBで始まっていません）"},
     {{0}, {0}}},
    {EDIFACT_P_UNA,
     false,
     {"the service string advice (UNA) at the start is not usable: "
      "its separators must be different punctuation characters",
      "先頭のサービス文字列通知（UNA）が使えません：区切り文字は互いに異なる記号で"
      "なければなりません"},
     {{0}, {0}}},
    {EDIFACT_P_SYNTAX,
     false,
     {"the interchange header (UNB) names an unknown syntax level '%s'",
      "インターチェンジヘッダ（UNB）の構文レベル「%s」は不明です"},
     {{EDIFACT_ARG_FOUND}, {EDIFACT_ARG_FOUND}}},
    {EDIFACT_P_MISSING,
     false,
     {"%s has no %s", "%sに%sがありません"},
     {{EDIFACT_ARG_AT, EDIFACT_ARG_ELEMENT}, {EDIFACT_ARG_AT, EDIFACT_ARG_ELEMENT}}},
    /* lowercase letters, which UNOA does not allow */
    {EDIFACT_P_CHARSET,
     true,
     {"%s has lowercase letters, which syntax level UNOA does not "
      "allow: the first is %s in %s",
      "%sに構文レベルUNOAでは使えない小文字があります（最初：%sの%s）"},
     {{EDIFACT_ARG_WHAT, EDIFACT_ARG_FOUND, EDIFACT_ARG_AT},
      {EDIFACT_ARG_WHAT, EDIFACT_ARG_AT, EDIFACT_ARG_FOUND}}},
    {EDIFACT_P_CHARSET,
     false,
     {"%s has a character that syntax level %s does not allow: %s "
      "in %s",
      "%sに構文レベル%sで使えない文字があります（%sの%s）"},
     {{EDIFACT_ARG_WHAT, EDIFACT_ARG_SYNTAX, EDIFACT_ARG_FOUND, EDIFACT_ARG_AT},
      {EDIFACT_ARG_WHAT, EDIFACT_ARG_SYNTAX, EDIFACT_ARG_AT, EDIFACT_ARG_FOUND}}},
    /* a line break */
    {EDIFACT_P_CONTROL,
     true,
     {"%s has a line break inside %s", "%sの%sの中に改行があります"},
     {{EDIFACT_ARG_WHAT, EDIFACT_ARG_AT}, {EDIFACT_ARG_WHAT, EDIFACT_ARG_AT}}},
    {EDIFACT_P_CONTROL,
     false,
     {"%s has a control character (%s) inside %s", "%sの%sの中に制御文字（%s）があります"},
     {{EDIFACT_ARG_WHAT, EDIFACT_ARG_FOUND, EDIFACT_ARG_AT},
      {EDIFACT_ARG_WHAT, EDIFACT_ARG_AT, EDIFACT_ARG_FOUND}}},
    {EDIFACT_P_TAG,
     false,
     {"%s does not start with a segment tag ('%s')",
      "%sがセグメントタグで始まっていません（「%s」）"},
     {{EDIFACT_ARG_AT, EDIFACT_ARG_FOUND}, {EDIFACT_ARG_AT, EDIFACT_ARG_FOUND}}},
    {EDIFACT_P_SEGMENT_TOO_LONG,
     false,
     {"%s is longer than %s bytes: this is not a usable EDIFACT file",
      "%sが%sバイトを超えています：正しいEDIFACTファイルではありません"},
     {{EDIFACT_ARG_AT, EDIFACT_ARG_DECLARED}, {EDIFACT_ARG_AT, EDIFACT_ARG_DECLARED}}},
    {EDIFACT_P_TOO_MANY_SEGMENTS,
     false,
     {"the file has more than %s segments: too large to check",
      "セグメントが%s個を超えています：大きすぎて検査できません"},
     {{EDIFACT_ARG_DECLARED}, {EDIFACT_ARG_DECLARED}}},
    {EDIFACT_P_TOO_MANY_MESSAGES,
     false,
     {"the file has more than %s messages: too large to check",
      "メッセージが%s件を超えています：大きすぎて検査できません"},
     {{EDIFACT_ARG_DECLARED}, {EDIFACT_ARG_DECLARED}}},
    {EDIFACT_P_CUT_SEGMENT,
     false,
     {"%s is cut off in the middle of %s, after %s complete segments",
      "%sが途中で切れています（%s個の完全なセグメントの後、%sの途中）"},
     {{EDIFACT_ARG_WHAT, EDIFACT_ARG_AT, EDIFACT_ARG_ACTUAL},
      {EDIFACT_ARG_WHAT, EDIFACT_ARG_ACTUAL, EDIFACT_ARG_AT}}},
    {EDIFACT_P_CUT_MESSAGE,
     false,
     {"%s is cut off after %s segments: the end of the message (UNT) "
      "and of the interchange (UNZ) are missing",
      "%sが%s個のセグメントの後で切れています：メッセージの終わり（UNT）とインターチェン"
      "ジの終わり（UNZ）がありません"},
     {{EDIFACT_ARG_WHAT, EDIFACT_ARG_ACTUAL}, {EDIFACT_ARG_WHAT, EDIFACT_ARG_ACTUAL}}},
    {EDIFACT_P_CUT_INTERCHANGE,
     false,
     {"the interchange is cut off after %s segments: its end (UNZ) is "
      "missing",
      "インターチェンジが%s個のセグメントの後で切れています：終わり（UNZ）がありません"},
     {{EDIFACT_ARG_ACTUAL}, {EDIFACT_ARG_ACTUAL}}},
    {EDIFACT_P_NO_UNB,
     false,
     {"the interchange header (UNB) is missing: the file starts with %s",
      "インターチェンジヘッダ（UNB）がありません：ファイルは%sで始まっています"},
     {{EDIFACT_ARG_FOUND}, {EDIFACT_ARG_FOUND}}},
    {EDIFACT_P_SECOND_UNB,
     false,
     {"a second interchange header (UNB) at %s",
      "%sに2つ目のインターチェンジヘッダ（UNB）があります"},
     {{EDIFACT_ARG_AT}, {EDIFACT_ARG_AT}}},
    {EDIFACT_P_UNH_IN_MESSAGE,
     false,
     {"a message has no end (UNT) before the next one starts at %s",
      "%sの前のメッセージが終わらない（UNTがない）まま、次のメッセージが始まっています"},
     {{EDIFACT_ARG_AT}, {EDIFACT_ARG_AT}}},
    {EDIFACT_P_OUTSIDE_MESSAGE,
     false,
     {"%s is outside any message (UNH ... UNT)", "%sがメッセージ（UNH～UNT）の外にあります"},
     {{EDIFACT_ARG_AT}, {EDIFACT_ARG_AT}}},
    {EDIFACT_P_UNEXPECTED,
     false,
     {"%s is out of place%s", "%sの位置が正しくありません%s"},
     {{EDIFACT_ARG_AT, EDIFACT_ARG_HINT}, {EDIFACT_ARG_AT, EDIFACT_ARG_HINT}}},
    {EDIFACT_P_UNT_COUNT,
     false,
     {"%s says it has %s segments (UNT) but has %s",
      "%sのセグメント数が合いません：UNTでは%s、実際は%s"},
     {{EDIFACT_ARG_WHAT, EDIFACT_ARG_DECLARED, EDIFACT_ARG_ACTUAL},
      {EDIFACT_ARG_WHAT, EDIFACT_ARG_DECLARED, EDIFACT_ARG_ACTUAL}}},
    {EDIFACT_P_UNT_REF,
     false,
     {"%s ends with reference '%s' (UNT) but started with '%s' (UNH)",
      "%sの参照番号が合いません：UNTは「%s」、UNHは「%s」"},
     {{EDIFACT_ARG_WHAT, EDIFACT_ARG_FOUND, EDIFACT_ARG_EXPECTED},
      {EDIFACT_ARG_WHAT, EDIFACT_ARG_FOUND, EDIFACT_ARG_EXPECTED}}},
    {EDIFACT_P_UNE_COUNT,
     false,
     {"a group says it holds %s messages (UNE) but holds %s",
      "グループのメッセージ数が合いません：UNEでは%s、実際は%s"},
     {{EDIFACT_ARG_DECLARED, EDIFACT_ARG_ACTUAL}, {EDIFACT_ARG_DECLARED, EDIFACT_ARG_ACTUAL}}},
    {EDIFACT_P_UNE_REF,
     false,
     {"a group ends with reference '%s' (UNE) but started with '%s' "
      "(UNG)",
      "グループの参照番号が合いません：UNEは「%s」、UNGは「%s」"},
     {{EDIFACT_ARG_FOUND, EDIFACT_ARG_EXPECTED}, {EDIFACT_ARG_FOUND, EDIFACT_ARG_EXPECTED}}},
    {EDIFACT_P_UNZ_COUNT,
     false,
     {"the interchange says it holds %s %s (UNZ) but holds %s",
      "インターチェンジの%s数が合いません：UNZでは%s、実際は%s"},
     {{EDIFACT_ARG_DECLARED, EDIFACT_ARG_UNIT, EDIFACT_ARG_ACTUAL},
      {EDIFACT_ARG_UNIT, EDIFACT_ARG_DECLARED, EDIFACT_ARG_ACTUAL}}},
    {EDIFACT_P_UNZ_REF,
     false,
     {"the interchange ends with control reference '%s' (UNZ) but "
      "started with '%s' (UNB)",
      "インターチェンジの管理参照番号が合いません：UNZは「%s」、UNBは「%s」"},
     {{EDIFACT_ARG_FOUND, EDIFACT_ARG_EXPECTED}, {EDIFACT_ARG_FOUND, EDIFACT_ARG_EXPECTED}}},
    {EDIFACT_P_AFTER_UNZ,
     false,
     {"the file goes on after the end of the interchange (UNZ)",
      "インターチェンジの終わり（UNZ）の後にもデータがあります"},
     {{0}, {0}}},
};

/* The second form of a code: a lowercase letter where UNOA allows none (CHARSET), a line
 * break (CONTROL). */
static bool edifact_problem_variant(const struct edifact_problem *p)
{
    if (p->code == EDIFACT_P_CHARSET)
        return strcmp(p->syntax, "UNOA") == 0 && strlen(p->found) == 3 && p->found[1] >= 'a' &&
               p->found[1] <= 'z';
    if (p->code == EDIFACT_P_CONTROL)
        return strcmp(p->found, "0x0A") == 0 || strcmp(p->found, "0x0D") == 0;
    return false;
}

/* P's words, or NULL when it has none (no problem). */
static const struct edifact_problem_form *edifact_problem_form_of(const struct edifact_problem *p)
{
    bool variant = edifact_problem_variant(p);
    for (size_t i = 0; i < N_ELEMENTS(edifact_problem_forms); i++)
        if (edifact_problem_forms[i].code == p->code && edifact_problem_forms[i].variant == variant)
            return &edifact_problem_forms[i];
    return NULL;
}

/* What the problem is in: "bay plan (message 2)", or the interchange. */
static void edifact_problem_what(const struct edifact_summary *s, enum edifact_lang lang,
                                 char *what, size_t size)
{
    const struct edifact_problem *p = &s->problem;
    bool ja = lang == EDIFACT_JA;
    if (p->message > 0 && p->type[0]) {
        const char *noun = edifact_type_noun(p->type, lang);
        if (s->n_messages > 1)
            snprintf(what, size, ja ? "%s（メッセージ%u）" : "%s (message %u)", noun, p->message);
        else
            snprintf(what, size, "%s", noun);
    } else if (s->n_summaries > 0 && s->n_messages == 1 && s->msg[0].type[0]) {
        snprintf(what, size, "%s", edifact_type_noun(s->msg[0].type, lang));
    } else {
        snprintf(what, size, "%s", ja ? "EDIFACTファイル" : "EDIFACT file");
    }
}

/* Where: "segment 5 (TDT)". */
static void edifact_problem_at(const struct edifact_problem *p, enum edifact_lang lang, char *at,
                               size_t size)
{
    char seg[32];
    bool ja = lang == EDIFACT_JA;
    edifact_format_count(p->segment, seg, sizeof(seg));
    if (p->tag[0])
        snprintf(at, size, ja ? "セグメント%s（%s）" : "segment %s (%s)", seg, p->tag);
    else
        snprintf(at, size, ja ? "セグメント%s" : "segment %s", seg);
}

/* The words that fill a problem's "%s": WORDS holds what, where and the counts. */
struct edifact_problem_words {
    const struct edifact_problem *p;
    enum edifact_lang lang;
    char what[96], at[64], dec[32], act[32];
};

static const char *edifact_problem_arg(const struct edifact_problem_words *w, enum edifact_arg arg)
{
    const struct edifact_problem *p = w->p;
    bool ja = w->lang == EDIFACT_JA;
    switch (arg) {
    case EDIFACT_ARG_NONE:
        return "";
    case EDIFACT_ARG_WHAT:
        return w->what;
    case EDIFACT_ARG_AT:
        return w->at;
    case EDIFACT_ARG_DECLARED:
        return w->dec;
    case EDIFACT_ARG_ACTUAL:
        return w->act;
    case EDIFACT_ARG_FOUND:
        return p->found;
    case EDIFACT_ARG_EXPECTED:
        return p->expected;
    case EDIFACT_ARG_ELEMENT:
        return ja ? edifact_element_ja(p->expected) : p->expected;
    case EDIFACT_ARG_SYNTAX:
        return p->syntax;
    case EDIFACT_ARG_HINT:
        return edifact_hint(p->expected, w->lang);
    case EDIFACT_ARG_UNIT:
        return ja ? (p->groups ? "グループ" : "メッセージ") : (p->groups ? "groups" : "messages");
    }
    return "";
}

/* BUF (SIZE > 0) = TEXT with each "%s" replaced by the next of ARGS, cut as snprintf
 * cuts. */
static void edifact_problem_fill(char *buf, size_t size, const char *text,
                                 const char *const args[EDIFACT_FORM_ARGS])
{
    size_t len = 0, next = 0;
    for (const char *t = text; *t && len < size - 1; t++) {
        const char *piece = t;
        size_t n = 1;
        if (t[0] == '%' && t[1] == 's' && next < EDIFACT_FORM_ARGS) {
            piece = args[next++];
            n = strlen(piece);
            t++;
        }
        if (n > size - 1 - len)
            n = size - 1 - len;
        memcpy(buf + len, piece, n);
        len += n;
    }
    buf[len] = '\0';
}

void edifact_problem_text(const struct edifact_summary *s, enum edifact_lang lang, char *buf,
                          size_t size)
{
    enum edifact_lang l = lang == EDIFACT_JA ? EDIFACT_JA : EDIFACT_EN;
    struct edifact_problem_words w = {.p = &s->problem, .lang = l};
    edifact_format_count(s->problem.declared, w.dec, sizeof(w.dec));
    edifact_format_count(s->problem.actual, w.act, sizeof(w.act));
    edifact_problem_what(s, l, w.what, sizeof(w.what));
    edifact_problem_at(&s->problem, l, w.at, sizeof(w.at));
    buf[0] = '\0';
    const struct edifact_problem_form *form = edifact_problem_form_of(&s->problem);
    if (form && size > 0) {
        const char *args[EDIFACT_FORM_ARGS];
        for (size_t i = 0; i < EDIFACT_FORM_ARGS; i++)
            args[i] = edifact_problem_arg(&w, form->args[l][i]);
        edifact_problem_fill(buf, size, form->text[l], args);
    }
    if (size > 0)
        buf[size - 1] = '\0';
}

/* Append printf output to BUF (SIZE) at *LEN, never past the end. */
static void edifact_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void edifact_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    va_list ap;
    if (*len + 1 >= size)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = *len + (size_t)n < size ? *len + (size_t)n : size - 1;
}

void edifact_headline(const struct edifact_summary *s, enum edifact_lang lang, char *buf,
                      size_t size)
{
    size_t len = 0;
    bool ja = lang == EDIFACT_JA;
    char n[32];
    buf[0] = '\0';
    if (s->status == EDIFACT_NONE || size == 0)
        return;
    const struct edifact_message *m = s->n_summaries > 0 ? &s->msg[0] : NULL;
    edifact_append(buf, size, &len, "%s", m && m->type[0] ? m->type : "EDIFACT");
    if (m && m->vessel[0])
        edifact_append(buf, size, &len, " · %s", m->vessel);
    if (m && m->voyage[0])
        edifact_append(buf, size, &len, ja ? " · 航海番号 %s" : " · voyage %s", m->voyage);
    if (s->containers > 0) {
        edifact_format_count(s->containers, n, sizeof(n));
        if (ja)
            edifact_append(buf, size, &len, " · コンテナ %s個", n);
        else
            edifact_append(buf, size, &len, " · %s container%s", n, s->containers == 1 ? "" : "s");
    }
    if (s->n_messages > 1) {
        edifact_format_count(s->n_messages, n, sizeof(n));
        edifact_append(buf, size, &len, ja ? " · メッセージ %s件" : " · %s messages", n);
    }
}

/* ---- the visitor's session details ------------------------------------------------------ */

const char *edifact_field_name(uint32_t field)
{
    static const char *const names[] = {"vessel", "imo", "voyage"};
    return field < N_ELEMENTS(names) ? names[field] : "unknown";
}

bool edifact_type_compared(const char *type)
{
    return strcmp(type, "BAPLIE") == 0 || strcmp(type, "MOVINS") == 0;
}

/* Compare form of a name: ASCII letters upper case, digits, other UTF-8 as it is; runs
 * of spaces and punctuation dropped.  "M.S.C. Aurora" and "MSC  AURORA" are the same. */
static void edifact_fold(const char *in, char *out, size_t size, bool keep_punct)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 1 < size; p++) {
        unsigned char c = *p;
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        bool word = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
        if (!word && !(keep_punct && c != ' '))
            continue;
        out[o++] = (char)c;
    }
    out[o] = '\0';
}

int edifact_compare_details(const struct edifact_summary *s, const char *vessel, const char *imo,
                            const char *voyage, struct edifact_mismatch out[3])
{
    const char *entered[3] = {vessel, imo, voyage};
    int n = 0;
    if (s->status == EDIFACT_NONE)
        return 0;
    for (uint32_t f = 0; f < 3; f++) {
        if (!entered[f] || !entered[f][0])
            continue;
        for (uint32_t i = 0; i < s->n_summaries && i < EDIFACT_MSG_SUMMARIES; i++) {
            const struct edifact_message *m = &s->msg[i];
            const char *have = f == EDIFACT_FIELD_VESSEL ? m->vessel
                               : f == EDIFACT_FIELD_IMO  ? m->imo
                                                         : m->voyage;
            if (!edifact_type_compared(m->type) || !have[0])
                continue;
            char a[80], b[80];
            if (f == EDIFACT_FIELD_IMO) {
                char digits[8];
                snprintf(a, sizeof(a), "%s", have);
                if (!edifact_imo(entered[f], digits))
                    edifact_fold(entered[f], b, sizeof(b), false);
                else
                    snprintf(b, sizeof(b), "%s", digits);
            } else {
                edifact_fold(have, a, sizeof(a), f == EDIFACT_FIELD_VOYAGE);
                edifact_fold(entered[f], b, sizeof(b), f == EDIFACT_FIELD_VOYAGE);
            }
            if (strcmp(a, b) != 0) {
                struct edifact_mismatch *mm = &out[n++];
                memset(mm, 0, sizeof(*mm));
                mm->field = f;
                memcpy(mm->type, m->type, sizeof(mm->type));
                snprintf(mm->in_file, sizeof(mm->in_file), "%s", have);
                edifact_text_cs(CS_UTF8, mm->entered, sizeof(mm->entered), entered[f]);
            }
            break; /* the first message that has the field decides */
        }
    }
    return n;
}

void edifact_mismatch_text(const struct edifact_mismatch *m, enum edifact_lang lang, char *buf,
                           size_t size)
{
    static const char *const en_field[] = {"vessel", "IMO number", "voyage"};
    static const char *const ja_field[] = {"本船名", "IMO番号", "航海番号"};
    uint32_t f = m->field < 3 ? m->field : 0;
    const char *noun = edifact_type_noun(m->type, lang);
    if (lang == EDIFACT_JA)
        snprintf(buf, size, "この%sは%s「%s」のものです（入力された%s：「%s」）", noun, ja_field[f],
                 m->in_file, ja_field[f], m->entered);
    else
        snprintf(buf, size, "this %s is for %s %s; you entered %s", noun, en_field[f], m->in_file,
                 m->entered);
}

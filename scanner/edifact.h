/* edifact.h - a reader for UN/EDIFACT interchanges (ISO 9735) as ships and terminals hand
 * them over: BAPLIE bay plans, MOVINS stowage instructions, COPRAR, COARRI, CODECO,
 * VERMAS.  It checks the envelope and says in a few facts what each message is about.
 * What is checked and why, with the references: docs/edifact.md.
 *
 * Contract
 *   - Input: untrusted bytes (a file from a USB medium), fed in pieces of any size
 *     (edifact_reader_feed) and ended by edifact_reader_finish(), or a whole file
 *     descriptor read with pread (edifact_examine_fd).
 *   - It runs where the bytes may be parsed: inside the sandboxed scanner worker
 *     (worker.c), never in the root service (docs/design.md invariant 7).  libc only, no
 *     regular expressions, no I/O but pread, one allocation (the reader).
 *   - Bounded: one segment buffer of EDIFACT_SEGMENT_MAX bytes, at most
 *     EDIFACT_SEGMENTS_MAX segments and EDIFACT_MESSAGES_MAX messages; work linear in the
 *     input.  The envelope nests at most interchange > group > message; anything else is
 *     a problem, never a deeper state.  Past a limit the reader stops and says so.
 *   - Output: struct edifact_summary, fixed size, plain data (no pointers).  Its strings
 *     are NUL-terminated UTF-8 without control characters, cut at a character boundary.
 *     It crosses the process boundary as it is (worker.h); the service re-checks it with
 *     edifact_summary_check() before believing a byte of it.
 *   - The FIRST problem found is reported (struct edifact_problem: what, where, the
 *     numbers); edifact_problem_text() words it for people in English or Japanese.
 *     Reading goes on after a problem that leaves the structure readable (a wrong count,
 *     a character outside the syntax level) and stops after one that does not (a segment
 *     too long, data after the end). */
#ifndef KIOSK_SCANNER_EDIFACT_H
#define KIOSK_SCANNER_EDIFACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits.  Real segments are short (the longest standard one, FTX, is under 2,600
 * bytes); a bay plan for the largest ships has a few hundred thousand segments. */
#define EDIFACT_SEGMENT_MAX 16384u
#define EDIFACT_SEGMENTS_MAX 2000000u
#define EDIFACT_MESSAGES_MAX 100000u
/* Messages summarised one by one; the others are only counted. */
#define EDIFACT_MSG_SUMMARIES 8
/* Distinct ports (UN/LOCODE) listed per message. */
#define EDIFACT_PORTS_MAX 12

/* edifact_reader_new() / edifact_examine_fd() flags. */
enum edifact_flags {
    /* The file's name says EDIFACT (policy [edifact] extensions): read it even when it
     * does not start like an interchange, and say so as a problem. */
    EDIFACT_BY_NAME = 1u << 0,
};

enum edifact_status {
    EDIFACT_NONE = 0,  /* not an EDIFACT interchange (and not named like one), or not read */
    EDIFACT_OK,        /* a well-formed interchange */
    EDIFACT_MALFORMED, /* problem says what is wrong */
    EDIFACT_STATUS_COUNT
};

enum edifact_problem_code {
    EDIFACT_P_NONE = 0,
    EDIFACT_P_EMPTY,             /* named like EDIFACT, but empty */
    EDIFACT_P_NOT_INTERCHANGE,   /* named like EDIFACT, does not start with UNA or UNB */
    EDIFACT_P_UNA,               /* the service string advice is unusable */
    EDIFACT_P_SYNTAX,            /* unknown syntax identifier in UNB (found) */
    EDIFACT_P_MISSING,           /* a required element (found) is missing from tag */
    EDIFACT_P_CHARSET,           /* character (found) not in the syntax level's set */
    EDIFACT_P_CONTROL,           /* a control character (found) inside a segment */
    EDIFACT_P_TAG,               /* the segment does not start with a tag (found) */
    EDIFACT_P_SEGMENT_TOO_LONG,  /* segment longer than declared (the limit) */
    EDIFACT_P_TOO_MANY_SEGMENTS, /* more than declared (the limit) segments */
    EDIFACT_P_TOO_MANY_MESSAGES, /* more than declared (the limit) messages */
    EDIFACT_P_CUT_SEGMENT,       /* the file ends inside segment, after actual segments */
    EDIFACT_P_CUT_MESSAGE,       /* ends after actual segments inside a message: no UNT */
    EDIFACT_P_CUT_INTERCHANGE,   /* ends after actual segments without UNZ */
    EDIFACT_P_NO_UNB,            /* the first segment (tag) is not UNB */
    EDIFACT_P_SECOND_UNB,        /* a second interchange header */
    EDIFACT_P_UNH_IN_MESSAGE,    /* a message starts before the previous one ended */
    EDIFACT_P_OUTSIDE_MESSAGE,   /* a data segment (tag) outside any message */
    EDIFACT_P_UNEXPECTED,        /* a service segment (tag) where it cannot be */
    EDIFACT_P_UNT_COUNT,         /* UNT says declared segments, the message has actual */
    EDIFACT_P_UNT_REF,           /* UNT reference (found) is not UNH's (expected) */
    EDIFACT_P_UNE_COUNT,         /* UNE says declared messages, the group has actual */
    EDIFACT_P_UNE_REF,           /* UNE reference (found) is not UNG's (expected) */
    EDIFACT_P_UNZ_COUNT,         /* UNZ says declared messages (or groups), actual */
    EDIFACT_P_UNZ_REF,           /* UNZ reference (found) is not UNB's (expected) */
    EDIFACT_P_AFTER_UNZ,         /* data (tag) after the end of the interchange */
    EDIFACT_P_COUNT
};

struct edifact_problem {
    uint32_t code;     /* enum edifact_problem_code */
    uint32_t message;  /* 1-based number of the message concerned, 0 = the interchange */
    uint64_t segment;  /* 1-based number in the file of the segment concerned, 0 = none */
    uint64_t declared; /* what the file says (a count), or the limit that was reached */
    uint64_t actual;   /* what the reader found */
    uint32_t groups;   /* EDIFACT_P_UNZ_COUNT: 1 when the count is of groups */
    char tag[4];       /* the segment's tag ("UNT"), "" when unknown */
    char type[8];      /* the message's type ("BAPLIE"), "" for the interchange */
    char syntax[8];    /* the syntax level in force ("UNOA"), "" before UNB */
    char expected[24]; /* references that should match; a required element's name */
    char found[24];    /* what was there instead; the character, as 'x' or 0xNN */
};

struct edifact_message {
    char type[8];        /* UNH 0065: "BAPLIE" */
    char version[8];     /* UNH 0052:0054: "D:95B" */
    char agency[4];      /* UNH 0051: "UN" */
    char association[8]; /* UNH 0057: "SMDG22" */
    char reference[16];  /* UNH 0062 */
    char vessel[72];     /* TDT+20 C222 8212: "MSC AURORA" */
    char call_sign[24];  /* TDT+20 C222 8213 when it is not an IMO number */
    char imo[8];         /* TDT+20 C222 8213: 7 digits with a valid check digit, or "" */
    char voyage[24];     /* TDT+20 8028, else RFF+VON */
    char date[20];       /* DTM+137: "2024-06-11 09:30" or "2024-06-11" */
    char departure[8];   /* LOC+5 (place of departure) */
    char next_port[8];   /* LOC+61 (next port of call) */
    char ports[EDIFACT_PORTS_MAX][8]; /* distinct UN/LOCODEs of the other LOCs, in order */
    uint32_t n_ports;
    uint32_t more_ports;        /* distinct ports not listed */
    uint32_t containers;        /* EQD+CN segments */
    uint32_t segments;          /* counted, UNH to UNT */
    uint32_t declared_segments; /* UNT 0074 (0 when there is no UNT) */
    uint32_t complete;          /* 1 when its UNT was read */
};

struct edifact_summary {
    uint32_t status;         /* enum edifact_status */
    uint32_t una;            /* 1 when the file starts with a service string advice */
    char syntax[8];          /* UNB 0001: "UNOA" */
    uint32_t syntax_version; /* UNB 0002 */
    char sender[40];         /* UNB S002 0004 */
    char recipient[40];      /* UNB S003 0010 */
    char control_ref[16];    /* UNB 0020 */
    char date[20];           /* UNB S004 */
    uint64_t segments;       /* segments read (the whole file) */
    uint64_t containers;     /* EQD+CN in all messages */
    uint32_t n_messages;     /* all messages (UNH) */
    uint32_t n_groups;       /* functional groups (UNG) */
    uint32_t n_summaries;    /* msg[] entries in use: min(n_messages, EDIFACT_MSG_SUMMARIES) */
    uint32_t n_problems;     /* problems seen (only the first is described) */
    struct edifact_problem problem;
    struct edifact_message msg[EDIFACT_MSG_SUMMARIES];
};

struct edifact_reader;

/* A reader for one file (FLAGS: enum edifact_flags).  NULL when out of memory. */
struct edifact_reader *edifact_reader_new(unsigned flags);
/* NULL is a no-op. */
void edifact_reader_free(struct edifact_reader *r);

/* Feed the next LEN bytes.  Returns false once the reader has seen enough (not EDIFACT,
 * or a problem that stops it): the rest of the file need not be read. */
bool edifact_reader_feed(struct edifact_reader *r, const void *buf, size_t len);

/* The end of the file: the summary (valid until edifact_reader_free). */
const struct edifact_summary *edifact_reader_finish(struct edifact_reader *r);

/* Read the open file FD from offset 0 (pread: its offset is not used) and fill *OUT.
 * Returns 0, or -1 with errno (read error, no memory; then *OUT says EDIFACT_NONE). */
int edifact_examine_fd(int fd, unsigned flags, struct edifact_summary *out);

/* The service's re-check of a summary from a worker: NULL when it is well-formed, else
 * what is wrong ("string not terminated", "count out of range" ...). */
const char *edifact_summary_check(const struct edifact_summary *s);

enum edifact_lang { EDIFACT_EN = 0, EDIFACT_JA = 1 };

/* "bay plan", "stowage instruction" ... for a message type ("ベイプラン" ... in Japanese);
 * a generic word for other types. */
const char *edifact_type_noun(const char *type, enum edifact_lang lang);

/* The summary's problem in plain words, e.g. "bay plan (message 1) says it has 1,834
 * segments (UNT) but has 1,833"; "" when there is none.  Always NUL-terminates BUF. */
void edifact_problem_text(const struct edifact_summary *s, enum edifact_lang lang, char *buf,
                          size_t size);

/* A short stable name for a problem code ("segment-count" ...), for JSON. */
const char *edifact_problem_name(uint32_t code);

/* "BAPLIE · MSC AURORA · voyage 123W · 1,834 containers" (the first message; " +2
 * messages" when there are more); "" for EDIFACT_NONE.  Always NUL-terminates BUF. */
void edifact_headline(const struct edifact_summary *s, enum edifact_lang lang, char *buf,
                      size_t size);

/* "1,834" */
void edifact_format_count(uint64_t n, char *buf, size_t size);

/* ---- the visitor's session details against the bay plan ---------------------------- */

enum edifact_field { EDIFACT_FIELD_VESSEL = 0, EDIFACT_FIELD_IMO, EDIFACT_FIELD_VOYAGE };

struct edifact_mismatch {
    uint32_t field;   /* enum edifact_field */
    char type[8];     /* the message type that says otherwise ("BAPLIE") */
    char in_file[72]; /* what the file says */
    char entered[72]; /* what the visitor entered */
};

/* "vessel", "imo", "voyage" */
const char *edifact_field_name(uint32_t field);

/* True for the message types the details are compared with: BAPLIE and MOVINS. */
bool edifact_type_compared(const char *type);

/* Compare the details entered at the kiosk (each may be NULL or "": not compared) with
 * the first BAPLIE or MOVINS message of S that has the field.  Vessel names compare
 * without regard to case, spacing and punctuation; voyages without regard to case and
 * spaces; IMO numbers by their 7 digits.  Fills up to 3 entries of OUT; returns how many. */
int edifact_compare_details(const struct edifact_summary *s, const char *vessel, const char *imo,
                            const char *voyage, struct edifact_mismatch out[3]);

/* "this bay plan is for voyage 124E; you entered 123W" (or in Japanese). */
void edifact_mismatch_text(const struct edifact_mismatch *m, enum edifact_lang lang, char *buf,
                           size_t size);

#endif

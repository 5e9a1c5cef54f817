/* screen-state.h - the kiosk screen's state machine: service events in, one screen and
 * the facts it shows out.  Plain C (GLib + json-glib for parsing, no GTK), so it is unit
 * tested without a display (tests/unit/test_screen_state.c).
 *
 * The screen holds no decision logic: it only shows what the service reported.  The
 * rules here are about trust and ordering, not about verdicts:
 *   - an event of a finished session, or an older phase of the current session, is
 *     ignored (a late "scanning" never replaces a "done");
 *   - unknown event types and malformed lines are ignored and counted;
 *   - "status" (the snapshot sent on connect) is authoritative and replaces everything;
 *   - a lost connection forgets the session and shows "service not running";
 *   - the result verdict is DELIVERED only for a "done" with status "delivered" and
 *     nothing held back; otherwise SOME_HELD_BACK (files delivered) or NOTHING;
 *   - "passed to the terminal" only after a "publication" event with state "published"
 *     for the session shown (checked files wait in the kiosk's outbox until then). */
#ifndef KIOSK_UI_SCREEN_STATE_H
#define KIOSK_UI_SCREEN_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/reason.h"

enum screen_id {
    SCREEN_OUT_OF_SERVICE = 0, /* also "service not running" (code SERVICE_DOWN) */
    SCREEN_WAITING,            /* insert USB media (+ optional session details) */
    SCREEN_CHECKING,           /* device detected / being checked */
    SCREEN_SCANNING,           /* progress; also the "delivering" phase */
    SCREEN_RESULT,             /* done or failed */
    SCREEN_REMOVE,             /* remove USB media */
    SCREEN_REFUSED,            /* device refused */
    SCREEN_QUEUED,             /* waiting for another USB media to finish */
    SCREEN_COUNT
};

enum screen_verdict {
    VERDICT_NONE = 0,
    VERDICT_DELIVERED,      /* green: done, status delivered, nothing held back */
    VERDICT_SOME_HELD_BACK, /* amber: some files delivered, some held back */
    VERDICT_NOTHING,        /* red: nothing delivered (all held back, or failed) */
};

enum screen_oos_code {
    OOS_SERVICE_DOWN = 0, /* no connection to the service */
    OOS_NO_SIGNATURES,
    OOS_SIGNATURES_OLD,
    OOS_STAGING,
    OOS_POLICY,
    OOS_AUDIT,
    OOS_OUTBOX_FULL, /* too many checked files wait for the terminal's share */
    OOS_UNKNOWN,
};

/* Where the delivered files of the shown session are (the service's "publication"). */
enum screen_publication {
    PUB_NONE = 0,  /* nothing to pass on, or not said */
    PUB_PENDING,   /* checked, committed; on its way to the terminal's share */
    PUB_RETRYING,  /* the share could not be reached yet; it is retried by itself */
    PUB_PUBLISHED, /* passed to the terminal */
};

enum screen_held_verdict { HELD_INFECTED, HELD_BLOCKED, HELD_ERROR };

struct screen_device {
    char *vendor, *model, *serial, *devnode;
    int64_t size; /* bytes, -1 unknown */
};

struct screen_held {
    char *path;
    enum screen_held_verdict verdict;
    char *reason; /* signature name, policy rule, or why it could not be scanned */
    struct reason_data rd; /* its reason_code + reason_params (code "" = none) */
};

/* A file delivered as a safe copy (content disarm): what was removed, as the service's
 * identifiers ("vba-macros", "pdf-javascript" ...; kiosk-ui-format.c words them). */
struct screen_sanitized {
    char *path;         /* as on the medium */
    char *delivered_as; /* the copy's name in the delivery, or NULL */
    char **removed;     /* NULL-terminated identifiers */
    char *reason;       /* the service's text (English) */
    struct reason_data rd; /* its reason_code + reason_params (code "" = none) */
};

/* One EDIFACT file of the result ("done" event, "edifact"): what it is, in the service's
 * words, and its problem in English and Japanese (NULL when well-formed). */
struct screen_edifact {
    char *path;
    char *type, *vessel, *voyage, *imo; /* NULL when the file does not say */
    int64_t containers, messages;
    bool malformed, delivered;
    char *problem, *problem_ja;
};

/* The visitor's details against a bay plan ("edifact_mismatch"): made by the service. */
struct screen_mismatch {
    char *path, *field, *in_file, *entered;
    char *text, *text_ja;
};

struct screen_counts {
    int64_t files, delivered, infected, blocked, error, skipped;
    int64_t sanitized; /* of the delivered: safe copies */
};

/* Everything the screens show.  Strings are owned by the state (NULL when absent). */
struct screen_state {
    enum screen_id screen;
    bool connected;
    bool testing_mode;
    /* from hello */
    int version;
    char *kiosk_name, *site, *language; /* language: "en" | "ja" | NULL */
    bool can_print;
    /* current session */
    char *session;
    int phase; /* ordering rank of the last accepted event of this session */
    struct screen_device device;
    int64_t position; /* queued: position in line */
    int64_t queue;    /* devices waiting besides the current one */
    /* scanning */
    bool delivering;
    int64_t files_done, files_total, bytes_done, bytes_total, eta_seconds;
    char *current;
    /* result */
    enum screen_verdict verdict;
    bool failed;
    struct screen_counts counts;
    char *delivery, *manifest_sha256;
    enum screen_publication publication;
    struct screen_held *held;
    unsigned n_held;
    struct screen_sanitized *sanitized;
    unsigned n_sanitized;
    struct screen_edifact *edifact; /* EDIFACT files (docs/edifact.md) */
    unsigned n_edifact;
    struct screen_mismatch *mismatch; /* details that disagree with a bay plan */
    unsigned n_mismatch;
    bool test_signatures;
    /* refused, failed, out-of-service: the service's English text, and the code and
     * parameters the screen words in its own language (common/reason.h) */
    char *reason;
    struct reason_data reason_rd;
    enum screen_oos_code oos_code;
    /* bookkeeping */
    unsigned ignored;     /* events ignored (unknown, malformed, stale) */
    char *finished[8];    /* recently finished sessions (ring) */
    unsigned finished_at; /* next ring slot */
    unsigned generation;  /* bumped on every accepted change */
};

struct screen_state *screen_state_new(void);
void screen_state_free(struct screen_state *s);

/* Feed one line from the service.  Returns true when the state changed (the screen
 * should be redrawn), false when the line was ignored. */
bool screen_state_feed_line(struct screen_state *s, const char *line);

/* The connection is up (before hello) / was lost. */
void screen_state_connected(struct screen_state *s);
void screen_state_disconnected(struct screen_state *s);

const char *screen_id_name(enum screen_id id);
const char *screen_verdict_name(enum screen_verdict v);
const char *screen_oos_code_name(enum screen_oos_code c);
const char *screen_publication_name(enum screen_publication p);

#endif

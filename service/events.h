/* events.h - the service's event protocol: newline-delimited JSON over a UNIX socket.
 *
 * The protocol itself (every event, field and command) is written down in
 * docs/protocol.md; this module is its only implementation on the service side.
 *
 * The service calls events_emit() for each state change; the module stamps "time",
 * "session" and "testing_mode", sends the line to every client, and keeps the last state
 * event so a client connecting mid-session gets {"type":"hello"} then a "status"
 * snapshot of where things are.  Clients send commands, one JSON object per line
 * ({"cmd":"status"|"details"|...}); every command the socket knows is in one table in
 * events.c (events_cmds) with the role a peer needs and whether it needs an
 * administrator's login, checked there in one place; the service carries out its own
 * commands (events_handlers.service).  Input is untrusted: lines are capped at
 * EVENTS_MAX_LINE bytes, a client that sends a longer line, keeps sending invalid
 * commands or does not read its events is disconnected. */
#ifndef KIOSK_EVENTS_H
#define KIOSK_EVENTS_H

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#define EVENTS_PROTOCOL_VERSION 1
#define EVENTS_MAX_LINE (64 * 1024)
#define EVENTS_MAX_BACKLOG (4 * 1024 * 1024) /* unread output before a client is dropped */
#define EVENTS_MAX_CLIENTS 32
#define EVENTS_MAX_BAD_COMMANDS 16 /* invalid commands in a row before a disconnect */
/* An administrator's login on a connection lasts this long after its last use. */
#define EVENTS_ADMIN_LOGIN_US ((gint64)15 * 60 * G_USEC_PER_SEC)

struct events_info {
    const char *kiosk_name;
    const char *site;
    const char *language; /* "en" | "ja" */
    bool testing_mode;
    bool can_print;       /* hello "can_print": the screen shows its print button */
    /* Who operates the kiosk ([access] screen-users): only these user ids (and root) may
     * send details, cancel, print and the administrator's commands; any other peer that
     * can connect may only watch and ask for the status.  NULL or none: only root
     * operates (until the screen's user is configured, nobody else may cancel a session
     * or try administrator passwords). */
    const int *screen_uids;
    int n_screen_uids;
};

/* What a peer may do, from its SO_PEERCRED user id (docs/protocol.md "Who may send what"). */
enum events_role {
    EVENTS_ROLE_OBSERVER = 1, /* watch, status */
    EVENTS_ROLE_SCREEN = 2,   /* + details, cancel, print, administrator's login */
    EVENTS_ROLE_ROOT = 4,     /* + reload */
};

/* The connection a command came from (administration commands need to know). */
struct events_peer {
    uint64_t conn;       /* this connection's number (1, 2, ...; never reused; 0 = none) */
    int uid;             /* SO_PEERCRED user id; -1 when unknown */
    unsigned roles;      /* enum events_role bits, set on connect */
    bool admin;          /* an administrator logged in on this connection */
    gint64 admin_until;  /* monotonic time (us) when that login expires */
};

/* The commands the service itself carries out (daemon-commands.c; docs/protocol.md). */
enum events_service_cmd {
    EVENTS_SVC_RELOAD,
    EVENTS_SVC_STAGING_RETRY,
    EVENTS_SVC_STAGING_STATUS,
    EVENTS_SVC_PRINT,
    EVENTS_SVC_ADMIN_LOGIN,
    EVENTS_SVC_ADMIN_STATUS,
    EVENTS_SVC_ADMIN_MEDIA,
    EVENTS_SVC_ADMIN_LOGOUT,
    EVENTS_SVC_N
};

typedef char *(*events_service_fn)(JsonObject *msg, struct events_peer *peer, JsonObject *reply,
                                   void *data);

struct events_handlers {
    /* {"cmd":"details"}: DETAILS is validated (only known, non-empty fields; may be empty
     * = clear).  Return NULL when accepted, or an error text (newly allocated). */
    char *(*details)(JsonObject *details, void *data);
    /* {"cmd":"cancel"}: NULL when a running session was told to stop, or an error. */
    char *(*cancel)(void *data);
    /* {"cmd":"language","language":"en"|"ja"}: the visitor's language on the screen now
     * (LANG validated); the session records it for its report and receipt.  Optional. */
    char *(*language)(const char *lang, void *data);
    /* The commands the service carries out (enum events_service_cmd; NULL: the command
     * is unknown here).  events.c has already checked the peer's role and, for those that
     * need one, its administrator's login (and extended it).  Return NULL, or an error
     * text (newly allocated) to refuse; members set in REPLY go into the "reply" object.
     * PEER is the connection's own state. */
    events_service_fn service[EVENTS_SVC_N];
    /* Optional: a state event (idle, scanning, out-of-service ...) was emitted; EVENT is
     * the whole event (systemd's STATUS=, service/notify.h). */
    void (*state)(const char *state, JsonObject *event, void *data);
    void *data;
};

struct events;

/* Listen on PATH (mode 0660, group GROUP when it exists; a stale socket file is replaced,
 * a live one means another service runs: error).  PATH NULL: no socket (unit tests).
 * INFO's strings are copied. */
struct events *events_new(const char *path, const char *group, const struct events_info *info,
                          const struct events_handlers *h, char **why);
void events_free(struct events *ev);

/* True when PEER holds ROLE; otherwise *error says who may (for a reply). */
bool events_peer_may(const struct events_peer *peer, enum events_role role, char **error);

/* Publish an event of TYPE for SESSION (NULL = none); FIELDS (consumed, may be NULL)
 * holds its own fields. */
void events_emit(struct events *ev, const char *type, const char *session, JsonObject *fields);

/* Sticks waiting for their turn (the "queue" of the status snapshot). */
void events_set_queue(struct events *ev, int queue);

/* The current "status" snapshot (new object). */
JsonObject *events_status(struct events *ev);

/* Handle one command line from a client as the socket does; returns the objects to send
 * back (a JSON array of event objects; new reference).  *bad is set for invalid input. */
JsonArray *events_handle_line(struct events *ev, const char *line, size_t len, bool *bad);

/* The same for a command from PEER (a connection; events_handle_line uses an unknown
 * peer, uid -1). */
JsonArray *events_handle_line_peer(struct events *ev, struct events_peer *peer, const char *line,
                                   size_t len, bool *bad);

/* One event object as a line of text with its '\n' (newly allocated). */
char *events_to_line(JsonObject *o);

/* Validate {"cmd":"details",...}: strings only, bounded lengths, no control characters,
 * IMO number = 7 digits with a valid check digit (an "IMO" prefix is accepted).
 * Returns 0 with *out (new object, only non-empty fields), or -1 with *why. */
int events_validate_details(JsonObject *in, JsonObject **out, char **why);
bool events_imo_valid(const char *digits);

#endif

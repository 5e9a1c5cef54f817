/* screen-state.c - service events -> screen (see screen-state.h for the rules). */
#include "ui/screen-state.h"
#include "common/json.h"

#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

/* Ordering rank of session events: within one session an event of a lower rank than the
 * last accepted one is stale and ignored. */
enum {
    PHASE_NONE = 0,
    PHASE_DETECTED = 1,
    PHASE_CHECKING = 2,
    PHASE_SCANNING = 3,
    PHASE_DELIVERING = 4,
    PHASE_FINISHED = 5,
    PHASE_REMOVE = 6,
};

#define HELD_MAX 5000 /* the screen lists at most this many held-back files */

typedef void (*event_apply_fn)(struct screen_state *s, JsonObject *o);

struct event_entry {
    const char *type;
    int phase; /* PHASE_NONE: not tied to a session (always accepted) */
    event_apply_fn apply;
};

/* ---- small helpers ------------------------------------------------------------------ */

static void set_str(char **dst, const char *src)
{
    g_free(*dst);
    *dst = g_strdup(src);
}

static void device_clear(struct screen_device *d)
{
    g_clear_pointer(&d->vendor, g_free);
    g_clear_pointer(&d->model, g_free);
    g_clear_pointer(&d->serial, g_free);
    g_clear_pointer(&d->devnode, g_free);
    d->size = -1;
}

static void held_clear(struct screen_state *s)
{
    for (unsigned i = 0; i < s->n_held; i++) {
        g_free(s->held[i].path);
        g_free(s->held[i].reason);
    }
    g_clear_pointer(&s->held, g_free);
    s->n_held = 0;
    for (unsigned i = 0; i < s->n_sanitized; i++) {
        g_free(s->sanitized[i].path);
        g_free(s->sanitized[i].delivered_as);
        g_strfreev(s->sanitized[i].removed);
        g_free(s->sanitized[i].reason);
    }
    g_clear_pointer(&s->sanitized, g_free);
    s->n_sanitized = 0;
}

/* done's "sanitized": [{path, delivered_as, removed: [ids], reason}] */
static void sanitized_parse(struct screen_state *s, JsonObject *o)
{
    JsonNode *sn = json_object_get_member(o, "sanitized");
    JsonArray *sa = sn && JSON_NODE_HOLDS_ARRAY(sn) ? json_node_get_array(sn) : NULL;
    unsigned n = sa ? MIN(json_array_get_length(sa), HELD_MAX) : 0;
    s->sanitized = g_new0(struct screen_sanitized, n ? n : 1);
    for (unsigned i = 0; i < n; i++) {
        JsonNode *en = json_array_get_element(sa, i);
        JsonObject *e = JSON_NODE_HOLDS_OBJECT(en) ? json_node_get_object(en) : NULL;
        if (!e)
            continue;
        struct screen_sanitized *x = &s->sanitized[s->n_sanitized++];
        x->path = g_strdup(json_member_string(e, "path", "?"));
        x->delivered_as = g_strdup(json_member_string(e, "delivered_as", NULL));
        x->reason = g_strdup(json_member_string(e, "reason", NULL));
        reason_json_get(e, &x->rd);
        JsonNode *rn = json_object_get_member(e, "removed");
        JsonArray *ra = rn && JSON_NODE_HOLDS_ARRAY(rn) ? json_node_get_array(rn) : NULL;
        GPtrArray *ids = g_ptr_array_new();
        for (guint k = 0; ra && k < json_array_get_length(ra) && k < 32; k++) {
            JsonNode *id = json_array_get_element(ra, k);
            if (JSON_NODE_HOLDS_VALUE(id) && json_node_get_value_type(id) == G_TYPE_STRING)
                g_ptr_array_add(ids, g_strdup(json_node_get_string(id)));
        }
        g_ptr_array_add(ids, NULL);
        x->removed = (char **)g_ptr_array_free(ids, FALSE);
    }
}

static void edifact_clear(struct screen_state *s)
{
    for (unsigned i = 0; i < s->n_edifact; i++) {
        struct screen_edifact *e = &s->edifact[i];
        g_free(e->path);
        g_free(e->type);
        g_free(e->vessel);
        g_free(e->voyage);
        g_free(e->imo);
        g_free(e->problem);
        g_free(e->problem_ja);
    }
    g_clear_pointer(&s->edifact, g_free);
    s->n_edifact = 0;
}

static void mismatch_clear(struct screen_state *s)
{
    for (unsigned i = 0; i < s->n_mismatch; i++) {
        struct screen_mismatch *m = &s->mismatch[i];
        g_free(m->path);
        g_free(m->field);
        g_free(m->in_file);
        g_free(m->entered);
        g_free(m->text);
        g_free(m->text_ja);
    }
    g_clear_pointer(&s->mismatch, g_free);
    s->n_mismatch = 0;
}

/* Forget everything about the current session (not the connection or hello facts). */
static void session_clear(struct screen_state *s)
{
    g_clear_pointer(&s->session, g_free);
    s->phase = PHASE_NONE;
    device_clear(&s->device);
    s->position = 0;
    s->delivering = false;
    s->files_done = s->files_total = s->bytes_done = s->bytes_total = 0;
    s->eta_seconds = -1;
    g_clear_pointer(&s->current, g_free);
    s->verdict = VERDICT_NONE;
    s->failed = false;
    memset(&s->counts, 0, sizeof s->counts);
    g_clear_pointer(&s->delivery, g_free);
    g_clear_pointer(&s->manifest_sha256, g_free);
    s->publication = PUB_NONE;
    held_clear(s);
    edifact_clear(s);
    mismatch_clear(s);
    s->test_signatures = false;
    g_clear_pointer(&s->reason, g_free);
    memset(&s->reason_rd, 0, sizeof(s->reason_rd));
}

static bool finished_has(const struct screen_state *s, const char *session)
{
    if (!session)
        return false;
    for (unsigned i = 0; i < G_N_ELEMENTS(s->finished); i++)
        if (s->finished[i] && strcmp(s->finished[i], session) == 0)
            return true;
    return false;
}

static void finished_add(struct screen_state *s, const char *session)
{
    if (!session || finished_has(s, session))
        return;
    unsigned i = s->finished_at++ % G_N_ELEMENTS(s->finished);
    set_str(&s->finished[i], session);
}

static void read_device(struct screen_state *s, JsonObject *o)
{
    JsonObject *d = json_member_object(o, "device");
    if (!d)
        return;
    set_str(&s->device.vendor, json_member_string(d, "vendor", NULL));
    set_str(&s->device.model, json_member_string(d, "model", NULL));
    set_str(&s->device.serial, json_member_string(d, "serial", NULL));
    set_str(&s->device.devnode, json_member_string(d, "devnode", NULL));
    s->device.size = json_member_int(d, "size", -1);
}

/* ---- event handlers ----------------------------------------------------------------- */

static void apply_idle(struct screen_state *s, JsonObject *o)
{
    (void)o;
    s->screen = SCREEN_WAITING;
}

static void apply_detected(struct screen_state *s, JsonObject *o)
{
    read_device(s, o);
    s->screen = SCREEN_CHECKING;
}

/* The event's reason: English text, code and parameters (both cleared when absent). */
static void set_reason(struct screen_state *s, JsonObject *o)
{
    set_str(&s->reason, json_member_string(o, "reason", NULL));
    reason_json_get(o, &s->reason_rd);
}

static void apply_waiting(struct screen_state *s, JsonObject *o)
{
    read_device(s, o);
    s->position = json_member_int(o, "position", 0);
    s->screen = SCREEN_QUEUED;
}

static void apply_refused(struct screen_state *s, JsonObject *o)
{
    read_device(s, o);
    set_reason(s, o);
    s->screen = SCREEN_REFUSED;
}

static void apply_checking(struct screen_state *s, JsonObject *o)
{
    read_device(s, o);
    s->screen = SCREEN_CHECKING;
}

static void apply_scanning(struct screen_state *s, JsonObject *o)
{
    s->files_done = json_member_int(o, "files_done", 0);
    s->files_total = json_member_int(o, "files_total", 0);
    s->bytes_done = json_member_int(o, "bytes_done", 0);
    s->bytes_total = json_member_int(o, "bytes_total", 0);
    s->eta_seconds = json_member_int(o, "eta_seconds", -1);
    set_str(&s->current, json_member_string(o, "current", NULL));
    s->delivering = false;
    s->screen = SCREEN_SCANNING;
}

static void apply_delivering(struct screen_state *s, JsonObject *o)
{
    (void)o;
    s->delivering = true;
    g_clear_pointer(&s->current, g_free);
    s->eta_seconds = -1;
    s->screen = SCREEN_SCANNING;
}

static enum screen_held_verdict held_verdict(const char *v)
{
    if (v && strcmp(v, "infected") == 0)
        return HELD_INFECTED;
    if (v && strcmp(v, "blocked") == 0)
        return HELD_BLOCKED;
    return HELD_ERROR; /* "error" and anything unknown: not scanned, not delivered */
}

static JsonObject *array_obj(JsonArray *a, unsigned i)
{
    JsonNode *n = json_array_get_element(a, i);
    return JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

/* "edifact_mismatch" of "done", or "mismatches" of "edifact-mismatch". */
static void mismatch_set(struct screen_state *s, JsonArray *a)
{
    mismatch_clear(s);
    unsigned n = a ? MIN(json_array_get_length(a), HELD_MAX) : 0;
    s->mismatch = g_new0(struct screen_mismatch, n ? n : 1);
    for (unsigned i = 0; i < n; i++) {
        JsonObject *e = array_obj(a, i);
        if (!e || !json_member_string(e, "text", NULL))
            continue;
        struct screen_mismatch *m = &s->mismatch[s->n_mismatch++];
        m->path = g_strdup(json_member_string(e, "path", NULL));
        m->field = g_strdup(json_member_string(e, "field", NULL));
        m->in_file = g_strdup(json_member_string(e, "in_file", NULL));
        m->entered = g_strdup(json_member_string(e, "entered", NULL));
        m->text = g_strdup(json_member_string(e, "text", NULL));
        m->text_ja = g_strdup(json_member_string(e, "text_ja", NULL));
    }
}

static void edifact_set(struct screen_state *s, JsonArray *a)
{
    edifact_clear(s);
    unsigned n = a ? MIN(json_array_get_length(a), HELD_MAX) : 0;
    s->edifact = g_new0(struct screen_edifact, n ? n : 1);
    for (unsigned i = 0; i < n; i++) {
        JsonObject *e = array_obj(a, i);
        if (!e)
            continue;
        struct screen_edifact *f = &s->edifact[s->n_edifact++];
        f->path = g_strdup(json_member_string(e, "path", "?"));
        f->type = g_strdup(json_member_string(e, "type", NULL));
        f->vessel = g_strdup(json_member_string(e, "vessel", NULL));
        f->voyage = g_strdup(json_member_string(e, "voyage", NULL));
        f->imo = g_strdup(json_member_string(e, "imo", NULL));
        f->containers = json_member_int(e, "containers", 0);
        f->messages = json_member_int(e, "messages", 0);
        /* Anything but "ok" is a problem: never show a file as sound unless the service
         * said so. */
        f->malformed = g_strcmp0(json_member_string(e, "status", NULL), "ok") != 0;
        f->delivered = json_member_bool(e, "delivered", false);
        f->problem = g_strdup(json_member_string(e, "problem", NULL));
        f->problem_ja = g_strdup(json_member_string(e, "problem_ja", NULL));
    }
}

static void apply_edifact_mismatch(struct screen_state *s, JsonObject *o)
{
    mismatch_set(s, json_member_array(o, "mismatches"));
}

static void apply_done(struct screen_state *s, JsonObject *o)
{
    JsonObject *c = json_member_object(o, "counts");
    s->counts.files = json_member_int(c, "files", 0);
    s->counts.delivered = json_member_int(c, "delivered", 0);
    s->counts.infected = json_member_int(c, "infected", 0);
    s->counts.blocked = json_member_int(c, "blocked", 0);
    s->counts.error = json_member_int(c, "error", 0);
    s->counts.skipped = json_member_int(c, "skipped", 0);
    s->counts.sanitized = json_member_int(c, "sanitized", 0);
    set_str(&s->delivery, json_member_string(o, "delivery", NULL));
    set_str(&s->manifest_sha256, json_member_string(o, "manifest_sha256", NULL));
    s->test_signatures = json_member_bool(o, "test_signatures", false);
    /* Committed to the outbox; "publication" events say when it reaches the share. */
    s->publication = json_member_object(o, "publication") ? PUB_PENDING : PUB_NONE;

    held_clear(s);
    JsonNode *hn = json_object_get_member(o, "held_back");
    JsonArray *ha = hn && JSON_NODE_HOLDS_ARRAY(hn) ? json_node_get_array(hn) : NULL;
    unsigned n = ha ? MIN(json_array_get_length(ha), HELD_MAX) : 0;
    s->held = g_new0(struct screen_held, n ? n : 1);
    for (unsigned i = 0; i < n; i++) {
        JsonNode *en = json_array_get_element(ha, i);
        JsonObject *e = JSON_NODE_HOLDS_OBJECT(en) ? json_node_get_object(en) : NULL;
        if (!e)
            continue;
        struct screen_held *h = &s->held[s->n_held++];
        h->path = g_strdup(json_member_string(e, "path", "?"));
        h->verdict = held_verdict(json_member_string(e, "verdict", NULL));
        h->reason = g_strdup(json_member_string(e, "reason", NULL));
        reason_json_get(e, &h->rd);
    }
    sanitized_parse(s, o);

    edifact_set(s, json_member_array(o, "edifact"));
    JsonArray *mm = json_member_array(o, "edifact_mismatch");
    if (mm || !s->n_mismatch)
        mismatch_set(s, mm);

    /* Never claim more than the service said: "all delivered" needs status "delivered"
     * and nothing held back by any count. */
    const char *status = json_member_string(o, "status", NULL);
    bool held_any = s->n_held > 0 || s->counts.infected > 0 || s->counts.blocked > 0 ||
                    s->counts.error > 0;
    if (status && strcmp(status, "delivered") == 0 && !held_any)
        s->verdict = VERDICT_DELIVERED;
    else if (s->counts.delivered > 0 && s->delivery)
        s->verdict = VERDICT_SOME_HELD_BACK;
    else
        s->verdict = VERDICT_NOTHING;
    s->failed = false;
    s->screen = SCREEN_RESULT;
}

static void apply_failed(struct screen_state *s, JsonObject *o)
{
    set_reason(s, o);
    s->verdict = VERDICT_NOTHING;
    s->failed = true;
    s->screen = SCREEN_RESULT;
}

static void apply_remove(struct screen_state *s, JsonObject *o)
{
    (void)o; /* the result (if any) stays: the remove screen repeats the verdict */
    s->screen = SCREEN_REMOVE;
}

static const struct {
    const char *name;
    enum screen_oos_code code;
} oos_codes[] = {
    {"service-down", OOS_SERVICE_DOWN},   {"no-signatures", OOS_NO_SIGNATURES},
    {"signatures-old", OOS_SIGNATURES_OLD}, {"staging", OOS_STAGING},
    {"policy", OOS_POLICY},               {"audit", OOS_AUDIT},
    {"outbox-full", OOS_OUTBOX_FULL},     {"unknown", OOS_UNKNOWN},
};

static void apply_out_of_service(struct screen_state *s, JsonObject *o)
{
    const char *code = json_member_string(o, "code", NULL);
    s->oos_code = OOS_UNKNOWN;
    for (unsigned i = 0; code && i < G_N_ELEMENTS(oos_codes); i++)
        if (strcmp(code, oos_codes[i].name) == 0 && oos_codes[i].code != OOS_SERVICE_DOWN)
            s->oos_code = oos_codes[i].code;
    set_reason(s, o);
    s->screen = SCREEN_OUT_OF_SERVICE;
}

static const struct event_entry event_table[] = {
    {"idle", PHASE_NONE, apply_idle},
    {"out-of-service", PHASE_NONE, apply_out_of_service},
    {"detected", PHASE_DETECTED, apply_detected},
    {"waiting", PHASE_DETECTED, apply_waiting},
    {"checking", PHASE_CHECKING, apply_checking},
    {"scanning", PHASE_SCANNING, apply_scanning},
    {"delivering", PHASE_DELIVERING, apply_delivering},
    {"edifact-mismatch", PHASE_DELIVERING, apply_edifact_mismatch},
    {"done", PHASE_FINISHED, apply_done},
    {"failed", PHASE_FINISHED, apply_failed},
    {"refused", PHASE_FINISHED, apply_refused},
    {"remove-media", PHASE_REMOVE, apply_remove},
};

static const struct event_entry *event_find(const char *type)
{
    for (unsigned i = 0; type && i < G_N_ELEMENTS(event_table); i++)
        if (strcmp(event_table[i].type, type) == 0)
            return &event_table[i];
    return NULL;
}

static bool session_active(const struct screen_state *s)
{
    return s->phase >= PHASE_CHECKING && s->phase < PHASE_FINISHED;
}

/* Apply a session-less event (idle, out-of-service): the current session is over. */
static bool apply_global(struct screen_state *s, const struct event_entry *e, JsonObject *o)
{
    finished_add(s, s->session);
    session_clear(s);
    e->apply(s, o);
    return true;
}

/* Decide whether a session event is current, then apply it. */
static bool apply_session_event(struct screen_state *s, const struct event_entry *e,
                                JsonObject *o)
{
    const char *session = json_member_string(o, "session", NULL);

    if (finished_has(s, session))
        return false; /* a session already over (or superseded) */

    bool same;
    if (s->phase == PHASE_NONE)
        same = false;
    else if (session == NULL) /* after a result, a session-less device event is new */
        same = s->phase < PHASE_FINISHED || e->phase >= PHASE_FINISHED;
    else if (s->session)
        same = strcmp(s->session, session) == 0;
    else /* the current session had no id yet: this event names it */
        same = e->phase > s->phase && s->phase < PHASE_FINISHED;

    if (same) {
        if (e->phase < s->phase)
            return false; /* out of order: an older phase of this session */
        if (e->phase == PHASE_SCANNING && s->phase == PHASE_SCANNING &&
            json_member_int(o, "files_done", 0) < s->files_done)
            return false; /* progress never goes backwards */
        if (e->phase == s->phase && e->phase >= PHASE_FINISHED)
            return false; /* a second result for one session: keep the first */
        if (!s->session && session)
            s->session = g_strdup(session);
    } else {
        /* Another stick queued behind the one being checked: keep the screen, note it. */
        if (e->apply == apply_waiting && session_active(s)) {
            int64_t pos = json_member_int(o, "position", 1);
            s->queue = MAX(s->queue, pos);
            return true;
        }
        /* A new session: whatever was on screen is over. */
        finished_add(s, s->session);
        session_clear(s);
        s->session = g_strdup(session);
    }
    s->phase = e->phase;
    e->apply(s, o);
    return true;
}

/* "publication": news about where a session's files are.  Not a phase: it only changes
 * the shown session's result, whenever it comes (before or after "remove-media"). */
static bool apply_publication(struct screen_state *s, JsonObject *o)
{
    const char *session = json_member_string(o, "session", NULL),
               *state = json_member_string(o, "state", NULL);
    if (!session || !s->session || strcmp(session, s->session) != 0 || !state ||
        s->publication == PUB_NONE)
        return false;
    enum screen_publication p = !strcmp(state, "published") ? PUB_PUBLISHED
                                : !strcmp(state, "failed")  ? PUB_RETRYING
                                                            : PUB_PENDING;
    if (s->publication == PUB_PUBLISHED || p == s->publication)
        return false; /* published is final */
    s->publication = p;
    return true;
}

static bool apply_hello(struct screen_state *s, JsonObject *o)
{
    s->version = (int)json_member_int(o, "version", 0);
    set_str(&s->kiosk_name, json_member_string(o, "kiosk_name", NULL));
    set_str(&s->site, json_member_string(o, "site", NULL));
    const char *lang = json_member_string(o, "language", NULL);
    set_str(&s->language, lang && (strcmp(lang, "ja") == 0 || strcmp(lang, "en") == 0)
                              ? lang
                              : NULL);
    s->can_print = json_member_bool(o, "can_print", false);
    return true;
}

/* The snapshot sent on connect: authoritative, replaces the session. */
static bool apply_status(struct screen_state *s, JsonObject *o)
{
    const char *state = json_member_string(o, "state", NULL);
    const struct event_entry *e = event_find(state);
    s->queue = json_member_int(o, "queue", 0);
    if (!e)
        return false;
    session_clear(s);
    s->session = g_strdup(json_member_string(o, "session", NULL));
    s->phase = e->phase;
    e->apply(s, o);
    return true;
}

/* ---- public ------------------------------------------------------------------------- */

struct screen_state *screen_state_new(void)
{
    struct screen_state *s = g_new0(struct screen_state, 1);
    s->screen = SCREEN_OUT_OF_SERVICE;
    s->oos_code = OOS_SERVICE_DOWN;
    s->device.size = -1;
    s->eta_seconds = -1;
    return s;
}

void screen_state_free(struct screen_state *s)
{
    if (!s)
        return;
    session_clear(s);
    g_free(s->kiosk_name);
    g_free(s->site);
    g_free(s->language);
    for (unsigned i = 0; i < G_N_ELEMENTS(s->finished); i++)
        g_free(s->finished[i]);
    g_free(s);
}

bool screen_state_feed_line(struct screen_state *s, const char *line)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    bool changed = false;

    if (!line || !json_parser_load_from_data(parser, line, -1, NULL)) {
        s->ignored++;
        return false;
    }
    JsonNode *root = json_parser_get_root(parser);
    JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    const char *type = json_member_string(o, "type", NULL);
    if (!type) {
        s->ignored++;
        return false;
    }
    if (strcmp(type, "reply") == 0)
        return false; /* command replies are the application's business */

    bool testing = json_member_bool(o, "testing_mode", false);
    if (strcmp(type, "hello") == 0) {
        changed = apply_hello(s, o);
    } else if (strcmp(type, "status") == 0) {
        changed = apply_status(s, o);
    } else if (strcmp(type, "publication") == 0) {
        changed = apply_publication(s, o);
    } else {
        const struct event_entry *e = event_find(type);
        if (!e)
            changed = false;
        else if (e->phase == PHASE_NONE)
            changed = apply_global(s, e, o);
        else
            changed = apply_session_event(s, e, o);
    }
    if (!changed) {
        s->ignored++;
        return false;
    }
    s->testing_mode = testing;
    s->generation++;
    return true;
}

void screen_state_connected(struct screen_state *s)
{
    s->connected = true; /* the screen changes with the status snapshot, not before */
}

void screen_state_disconnected(struct screen_state *s)
{
    s->connected = false;
    session_clear(s);
    s->queue = 0;
    s->screen = SCREEN_OUT_OF_SERVICE;
    s->oos_code = OOS_SERVICE_DOWN;
    s->generation++;
}

static const char *const screen_names[SCREEN_COUNT] = {
    [SCREEN_OUT_OF_SERVICE] = "out-of-service",
    [SCREEN_WAITING] = "waiting",
    [SCREEN_CHECKING] = "checking",
    [SCREEN_SCANNING] = "scanning",
    [SCREEN_RESULT] = "result",
    [SCREEN_REMOVE] = "remove-media",
    [SCREEN_REFUSED] = "refused",
    [SCREEN_QUEUED] = "queued",
};

const char *screen_id_name(enum screen_id id)
{
    return (unsigned)id < SCREEN_COUNT ? screen_names[id] : "?";
}

const char *screen_verdict_name(enum screen_verdict v)
{
    static const char *const names[] = {"none", "delivered", "some-held-back", "nothing"};
    return (unsigned)v < G_N_ELEMENTS(names) ? names[v] : "?";
}

const char *screen_publication_name(enum screen_publication p)
{
    static const char *const names[] = {"none", "pending", "retrying", "published"};
    return (unsigned)p < G_N_ELEMENTS(names) ? names[p] : "?";
}

const char *screen_oos_code_name(enum screen_oos_code c)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(oos_codes); i++)
        if (oos_codes[i].code == c)
            return oos_codes[i].name;
    return "?";
}

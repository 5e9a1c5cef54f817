/* audit-syslog.c - severities and journald fields of the audit records (audit-syslog.h). */
#include "kiosk/audit-syslog.h"
#include "common/json.h"
#include "common/log.h"
#include "common/util.h"

#include <string.h>
#include <syslog.h>

/* A refinement by the record's fields: returns the priority (DEF when nothing special). */
typedef int (*audit_syslog_refine_fn)(JsonObject *rec, int def);

/* file: by verdict. */
static int audit_syslog_file(JsonObject *rec, int def)
{
    static const struct {
        const char *verdict;
        int priority;
    } verdicts[] = {
        {"clean", LOG_INFO},   {"skipped", LOG_INFO},     {"blocked", LOG_NOTICE},
        {"error", LOG_NOTICE}, {"infected", LOG_WARNING},
    };
    const char *v = json_member_string(rec, "verdict", NULL);
    for (size_t i = 0; v && i < G_N_ELEMENTS(verdicts); i++)
        if (!strcmp(v, verdicts[i].verdict))
            return verdicts[i].priority;
    return def;
}

/* session-end: malware found is a warning; files held back or nothing delivered a notice. */
static int audit_syslog_session_end(JsonObject *rec, int def)
{
    if (json_member_int(rec, "infected", 0) > 0)
        return LOG_WARNING;
    if (json_member_int(rec, "blocked", 0) > 0 || json_member_int(rec, "errors", 0) > 0 ||
        g_strcmp0(json_member_string(rec, "status", NULL), "delivered") != 0)
        return LOG_NOTICE;
    return def;
}

/* Installs and updates: refused ones are warnings. */
static int audit_syslog_ok(JsonObject *rec, int def)
{
    return !json_member_bool(rec, "ok", true) ||
                   !g_strcmp0(json_member_string(rec, "result", NULL), "refused") ||
                   !g_strcmp0(json_member_string(rec, "result", NULL), "failed")
               ? LOG_WARNING
               : def;
}

/* admin-login-failed: a lockout (repeated failures) is an error. */
static int audit_syslog_login_failed(JsonObject *rec, int def)
{
    return json_member_int(rec, "locked_until", 0) > 0 ? LOG_ERR : def;
}

/* media-removed: a stick pulled during its check. */
static int audit_syslog_removed(JsonObject *rec, int def)
{
    JsonNode *n = rec ? json_object_get_member(rec, "aborted") : NULL;
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN &&
                   json_node_get_boolean(n)
               ? LOG_NOTICE
               : def;
}

/* publication: a delivery that cannot reach the share (retried later) is a warning. */
static int audit_syslog_publication(JsonObject *rec, int def)
{
    return !g_strcmp0(json_member_string(rec, "state", NULL), "failed") ? LOG_WARNING : def;
}

/* One row per record type (docs/logging.md lists them).  A type not here is notice. */
static const struct audit_syslog_type {
    const char *type;
    int priority;
    audit_syslog_refine_fn refine;
    const char *what;
} audit_syslog_types[] = {
    {"session-start", LOG_INFO, NULL, "a check starts"},
    {"media", LOG_INFO, NULL, "what the medium holds (partitions, filesystems)"},
    {"file", LOG_INFO, audit_syslog_file,
     "one file's verdict: clean/skipped info, blocked/error notice, infected warning"},
    {"session-end", LOG_INFO, audit_syslog_session_end,
     "a check ends: all delivered info, held back notice, malware warning"},
    {"session-interrupted", LOG_WARNING, NULL, "a check the service never finished"},
    {"media-removed", LOG_INFO, audit_syslog_removed,
     "a medium removed (notice: during its check)"},
    {"device-refused", LOG_WARNING, NULL, "a device refused (not plain USB storage, lists)"},
    {"out-of-service", LOG_ERR, NULL, "the kiosk checks nothing until an administrator acts"},
    {"back-in-service", LOG_NOTICE, NULL, "the kiosk checks again"},
    {"service-start", LOG_NOTICE, NULL, "the service started (version, engine, policy)"},
    {"service-stop", LOG_NOTICE, NULL, "the service stopped"},
    {"recovery", LOG_WARNING, NULL, "leftovers of a crash removed at start"},
    {"reload", LOG_NOTICE, NULL, "new signatures or policy in use"},
    {"signatures-refused", LOG_WARNING, NULL, "a signature database that does not load"},
    {"policy-refused", LOG_WARNING, NULL, "a policy file that is not valid"},
    {"policy-install", LOG_NOTICE, audit_syslog_ok, "a signed policy installed (refused: warning)"},
    {"signatures-install", LOG_NOTICE, audit_syslog_ok,
     "signature databases installed (refused: warning)"},
    {"admin-login", LOG_NOTICE, NULL, "an administrator logged in"},
    {"admin-login-failed", LOG_WARNING, audit_syslog_login_failed,
     "an administrator login failed (locked out: err)"},
    {"admin-logout", LOG_INFO, NULL, "the administrator pages closed"},
    {"admin-password-set", LOG_NOTICE, NULL, "the administrator password changed"},
    {"admin-media", LOG_NOTICE, NULL, "the administrator's stick inserted"},
    {"admin-update", LOG_NOTICE, audit_syslog_ok, "an update from the administrator's stick"},
    {"admin-export", LOG_NOTICE, audit_syslog_ok, "the logs exported (failed: warning)"},
    {"publication", LOG_INFO, audit_syslog_publication,
     "a delivery queued or published (failed to reach the share: warning)"},
    {"pruned", LOG_INFO, NULL, "an old delivery removed ([staging] keep-days)"},
    {"staging-refused", LOG_ERR, NULL, "the staging target cannot be used"},
    {"signing-key-created", LOG_NOTICE, NULL, "the delivery signing key was made"},
    {"checkpoint", LOG_INFO, NULL, "the chain's head signed with the kiosk's key (session end)"},
    {"print", LOG_INFO, NULL, "a report or receipt printed"},
    {"print-failed", LOG_WARNING, NULL, "a report or receipt not printed"},
};

static const struct audit_syslog_type *audit_syslog_find(const char *type)
{
    for (size_t i = 0; i < G_N_ELEMENTS(audit_syslog_types); i++)
        if (!strcmp(audit_syslog_types[i].type, type))
            return &audit_syslog_types[i];
    return NULL;
}

int audit_syslog_priority(const char *type, JsonObject *rec)
{
    const struct audit_syslog_type *t = audit_syslog_find(type);
    if (!t)
        return LOG_NOTICE;
    return t->refine && rec ? t->refine(rec, t->priority) : t->priority;
}

void audit_syslog_message_id(const char *type, char out[33])
{
    char hex[65];
    char *in = g_strconcat("kiosk-audit:", type, NULL);
    util_sha256_hex(in, strlen(in), hex);
    memcpy(out, hex, 32);
    out[32] = '\0';
    g_free(in);
}

void audit_syslog_send(const char *type, JsonObject *rec, guint64 seq, const char *line)
{
    char id[33];
    audit_syslog_message_id(type, id);
    char *f_id = g_strconcat("MESSAGE_ID=", id, NULL);
    char *f_event = g_strconcat("KIOSK_EVENT=", type, NULL);
    const char *session = json_member_string(rec, "session", NULL);
    char *f_session = session ? g_strconcat("SESSION=", session, NULL) : NULL;
    char *f_seq = g_strdup_printf("KIOSK_SEQ=%" G_GUINT64_FORMAT, seq);
    JsonNode *tm = rec ? json_object_get_member(rec, "testing_mode") : NULL;
    bool testing = tm && JSON_NODE_HOLDS_VALUE(tm) &&
                   json_node_get_value_type(tm) == G_TYPE_BOOLEAN && json_node_get_boolean(tm);
    const char *fields[7];
    size_t n = 0;
    fields[n++] = f_id;
    fields[n++] = f_event;
    fields[n++] = f_seq;
    if (f_session)
        fields[n++] = f_session;
    if (testing)
        fields[n++] = "KIOSK_TESTING_MODE=1";
    fields[n] = NULL;
    log_record(audit_syslog_priority(type, rec), line, fields);
    g_free(f_id);
    g_free(f_event);
    g_free(f_session);
    g_free(f_seq);
}

void audit_syslog_each_type(void (*fn)(const char *type, int priority, const char *what,
                                       void *data),
                            void *data)
{
    for (size_t i = 0; i < G_N_ELEMENTS(audit_syslog_types); i++)
        fn(audit_syslog_types[i].type, audit_syslog_types[i].priority, audit_syslog_types[i].what,
           data);
}

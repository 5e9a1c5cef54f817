/* session-audit.c - a session's records in the audit log: the fields every record of a
 * session carries, each file's verdict, the session's end, and the anchor of the log's
 * head outside itself (a signed checkpoint, syslog, the admin state) at the end. */
#include "kiosk/session.h"
#include "kiosk/session-private.h"
#include "common/kerr.h"
#include "common/log.h"
#include "admin/admin.h"
#include "kiosk/audit.h"

#include <unistd.h>

/* ---- audit records ---------------------------------------------------------------- */

JsonObject *session_audit_base(const struct session_result *r)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "session", r->id);
    if (r->scanner.test_signatures)
        json_object_set_boolean_member(o, "test_signatures", TRUE);
    if (r->accept_loop)
        json_object_set_boolean_member(o, "testing_mode", TRUE);
    return o;
}

int session_audit_file(struct audit *a, const struct session_result *r,
                       const struct session_file *f)
{
    JsonObject *o = session_audit_base(r);
    session_json_set_file(o, r, f);
    /* "type" names the record in the audit log; the file's type goes by "mime" there. */
    JsonNode *mime = json_object_dup_member(o, "type");
    json_object_remove_member(o, "type");
    json_object_set_member(o, "mime", mime);
    int rc = audit_append(a, "file", o);
    json_object_unref(o);
    return rc;
}

/* Anchor the audit log outside itself at the end of a session (audit.h): a checkpoint
 * signed with the kiosk's key, the head to syslog, saved in the root-only admin state,
 * and in the result (--json, reports). */
void session_audit_anchor(struct audit *audit, struct session_result *r,
                          const struct session_params *p)
{
    struct audit_head head;
    char *why = NULL;
    JsonObject *base = session_audit_base(r); /* testing mode, test signatures */
    int rc = audit_checkpoint(audit, r->id, p->signing_key, base, &head, &why);
    json_object_unref(base);
    if (rc != 0) {
        log_error("session %s: the audit log's head could not be anchored: %s", r->id,
                  why ? why : "?");
        g_free(why);
        return;
    }
    r->audit_seq = head.seq;
    g_strlcpy(r->audit_hash, head.hash, sizeof(r->audit_hash));
    if (!p->admin_state || !*p->admin_state || geteuid() != 0)
        return;
    if (admin_state_save_audit_head(p->admin_state, head.seq, head.hash, &why) != 0) {
        log_error("session %s: the audit head was not saved in %s: %s", r->id, p->admin_state, why);
        g_free(why);
    }
}

/* The end of the session on the record: status, counts, and where the delivery goes. */
int session_audit_end_record(struct audit *audit, struct session_result *r)
{
    session_count(r);
    if (r->exit_code == 2) {
        r->counts.delivered = 0;
        r->counts.sanitized = 0; /* of the delivered files */
    }
    if (!r->end_us)
        r->end_us = g_get_real_time();
    if (!audit)
        return KERR_AUDIT;
    JsonObject *o = session_audit_base(r);
    json_object_set_string_member(o, "status", r->status ? r->status : "failed");
    if (r->error)
        json_object_set_string_member(o, "error", r->error);
    reason_json_add(o, &r->error_why); /* the error as a code (docs/protocol.md) */
    if (r->delivery)
        json_object_set_string_member(o, "delivery", r->delivery);
    if (r->manifest_sha256[0])
        json_object_set_string_member(o, "manifest_sha256", r->manifest_sha256);
    if (r->outbox) {
        json_object_set_string_member(o, "publication", "queued");
        json_object_set_string_member(o, "target", r->target);
    }
    if (r->sign_key_id[0])
        json_object_set_string_member(o, "signed_by", r->sign_key_id);
    json_object_set_int_member(o, "files", (gint64)r->counts.files);
    json_object_set_int_member(o, "engine_scans", (gint64)r->scans.engine);
    json_object_set_int_member(o, "cache_hits", (gint64)r->scans.cache_hits);
    json_object_set_int_member(o, "delivered", (gint64)r->counts.delivered);
    json_object_set_int_member(o, "sanitized", (gint64)r->counts.sanitized);
    json_object_set_int_member(o, "infected", (gint64)r->counts.infected);
    json_object_set_int_member(o, "blocked", (gint64)r->counts.blocked);
    json_object_set_int_member(o, "errors", (gint64)r->counts.error);
    json_object_set_int_member(o, "skipped", (gint64)r->counts.skipped);
    int rc = audit_append(audit, "session-end", o);
    if (rc == 0)
        rc = audit_sync(audit);
    json_object_unref(o);
    return rc == 0 ? 0 : KERR_AUDIT;
}

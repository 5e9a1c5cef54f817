/* session-json.c - JSON views of a session's result: one file (as --json, the manifest and
 * the audit log give it), the counts, the parts --json and MANIFEST.json share, the
 * manifest and the whole result. */
#include "kiosk/session.h"
#include "common/json.h"
#include "kiosk/session-private.h"
#include "common/util.h"
#include "kiosk/disarm.h"
#include "kiosk/edifact-json.h"
#include "kiosk/manifest.h"

static void session_json_set_file_time(JsonObject *o, const char *key, bool has, int64_t t)
{
    /* Years 1..9999 only (what ISO 8601 text and GDateTime hold). */
    if (has && t > -62135596800LL && t < 253402300800LL) {
        char *text = util_time_rfc3339(t * G_USEC_PER_SEC, false);
        json_object_set_string_member(o, key, text);
        g_free(text);
    } else {
        json_object_set_null_member(o, key);
    }
}

void session_json_set_file(JsonObject *o, const struct session_result *r,
                           const struct session_file *f)
{
    /* "path" is the name as it is on the medium (JSON carries any valid UTF-8, bidi
     * controls included); names that are not UTF-8 are given escaped, with their exact
     * bytes in "path_hex".  "display" is the escaped form screens and reports show. */
    if (g_utf8_validate(f->path, -1, NULL)) {
        json_object_set_string_member(o, "path", f->path);
    } else {
        json_object_set_string_member(o, "path", f->display);
        GString *hex = g_string_new(NULL);
        for (const unsigned char *c = (const unsigned char *)f->path; *c; c++)
            g_string_append_printf(hex, "%02x", *c);
        json_object_set_string_member(o, "path_hex", hex->str);
        g_string_free(hex, TRUE);
    }
    json_object_set_string_member(o, "display", f->display);
    json_object_set_int_member(o, "partition", f->volume);
    json_object_set_int_member(o, "size", (gint64)f->size);
    /* Times as the medium holds them, in UTC ("created" where the filesystem has it). */
    session_json_set_file_time(o, "mtime", f->has_mtime, f->mtime);
    session_json_set_file_time(o, "created", f->has_crtime, f->crtime);
    if (f->sha256[0])
        json_object_set_string_member(o, "sha256", f->sha256);
    else
        json_object_set_null_member(o, "sha256");
    if (f->type)
        json_object_set_string_member(o, "type", f->type);
    else
        json_object_set_null_member(o, "type");
    json_object_set_string_member(o, "verdict", verdict_kind_str(f->verdict.kind));
    if (f->verdict.reason[0])
        json_object_set_string_member(o, "reason", f->verdict.reason);
    else
        json_object_set_null_member(o, "reason");
    reason_json_add(o, &f->verdict.why); /* reason_code, reason_params (docs/protocol.md) */
    if (f->staged_path)
        json_object_set_string_member(o, "staged_path", f->staged_path);
    else
        json_object_set_null_member(o, "staged_path");
    /* Whether the engine's verdict is this file's own scan, a copy's, or the verdict
     * cache's, and under which database (the cache only serves its own database's). */
    if (f->verdict_from) {
        json_object_set_string_member(o, "verdict_from", f->verdict_from);
        json_object_set_string_member(o, "verdict_database", r->scanner.db_version);
    } else {
        json_object_set_null_member(o, "verdict_from");
        json_object_set_null_member(o, "verdict_database");
    }
    /* A sanitized copy: size, sha256 and type above are the copy's; the original's here. */
    if (f->disarm && f->verdict.kind == VERDICT_SANITIZED)
        json_object_set_object_member(o, "sanitized", disarm_info_json(f->disarm));
    if (f->edifact)
        json_object_set_object_member(o, "edifact", edifact_json_summary(f->edifact));
}

/* ---- JSON views of a result ------------------------------------------------------- */

JsonNode *session_files_to_json(const struct session_result *r)
{
    JsonArray *a = json_array_sized_new(r->files->len);
    for (guint i = 0; i < r->files->len; i++) {
        JsonObject *o = json_object_new();
        session_json_set_file(o, r, g_ptr_array_index(r->files, i));
        json_array_add_object_element(a, o);
    }
    JsonNode *n = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(n, a);
    return n;
}

static void session_json_set_time(JsonObject *o, const char *key, gint64 us)
{
    char *t = util_time_rfc3339(us, false);
    json_object_set_string_member(o, key, t);
    g_free(t);
}

JsonObject *session_counts_to_json(const struct session_counts *c)
{
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "files", (gint64)c->files);
    json_object_set_int_member(o, "delivered", (gint64)c->delivered);
    json_object_set_int_member(o, "sanitized", (gint64)c->sanitized);
    json_object_set_int_member(o, "infected", (gint64)c->infected);
    json_object_set_int_member(o, "blocked", (gint64)c->blocked);
    json_object_set_int_member(o, "error", (gint64)c->error);
    json_object_set_int_member(o, "skipped", (gint64)c->skipped);
    return o;
}

/* The parts --json and the manifest share. */
JsonObject *session_result_common_json(const struct session_result *r)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "session", r->id);
    json_object_set_string_member(o, "status", r->status);
    session_json_set_time(o, "started", r->start_us);
    session_json_set_time(o, "finished", r->end_us);
    json_object_set_string_member(o, "kiosk_host", r->host);
    json_object_set_boolean_member(o, "test_signatures", r->scanner.test_signatures);
    if (r->language[0]) /* the screen's language: the report's and receipt's (report.c) */
        json_object_set_string_member(o, "language", r->language);
    if (r->scanner.test_signatures)
        json_object_set_string_member(o, "warning",
                                      "TEST SIGNATURES: this kiosk scanned with "
                                      "the test database, not real signatures");
    if (r->accept_loop)
        json_object_set_boolean_member(o, "testing_mode", TRUE);

    JsonObject *src = json_object_new();
    json_set_string_or_null(src, "path", r->source);
    json_set_string_or_null(src, "kind", r->source_kind);
    json_object_set_int_member(src, "size", (gint64)r->source_size);
    json_set_string_or_null(src, "partition_table", r->pttype);
    json_set_string_or_null(src, "vendor", r->vendor);
    json_set_string_or_null(src, "model", r->model);
    json_set_string_or_null(src, "serial", r->serial);
    JsonArray *vols = json_array_new();
    for (size_t i = 0; i < r->n_volumes; i++) {
        const struct session_volume *v = &r->volumes[i];
        JsonObject *vo = json_object_new();
        json_object_set_int_member(vo, "index", v->index);
        json_object_set_int_member(vo, "partition", v->partno);
        json_object_set_int_member(vo, "offset", (gint64)v->offset);
        json_object_set_int_member(vo, "size", (gint64)v->size);
        json_set_string_or_null(vo, "filesystem", v->fstype);
        json_set_string_or_null(vo, "version", v->fsversion);
        json_set_string_or_null(vo, "label", v->label);
        json_set_string_or_null(vo, "uuid", v->uuid);
        json_object_set_boolean_member(vo, "scanned", v->scanned);
        json_set_string_or_null(vo, "problem", v->problem);
        json_array_add_object_element(vols, vo);
    }
    json_object_set_array_member(src, "volumes", vols);
    json_object_set_object_member(o, "source", src);

    JsonObject *pol = json_object_new();
    json_set_string_or_null(pol, "name", r->policy_name);
    json_object_set_int_member(pol, "version", (gint64)r->policy_version);
    json_set_string_or_null(pol, "sha256", r->policy_sha256);
    json_object_set_object_member(o, "policy", pol);

    JsonObject *sc = json_object_new();
    json_object_set_string_member(sc, "engine", r->scanner.engine_version);
    json_object_set_string_member(sc, "database", r->scanner.db_version);
    if (r->scanner.db_time > 0)
        session_json_set_time(sc, "database_time", r->scanner.db_time * G_USEC_PER_SEC);
    json_object_set_int_member(sc, "signatures", r->scanner.signatures);
    json_object_set_object_member(o, "scanner", sc);

    if (r->details)
        json_object_set_object_member(o, "details", json_object_ref(r->details));
    if (r->edifact_mismatch)
        json_object_set_array_member(o, "edifact_mismatch", json_array_ref(r->edifact_mismatch));

    json_object_set_object_member(o, "counts", session_counts_to_json(&r->counts));
    return o;
}

JsonNode *session_manifest_json(const struct session_result *r)
{
    return manifest_build(session_result_common_json(r), session_files_to_json(r));
}

JsonNode *session_result_to_json(const struct session_result *r)
{
    JsonObject *o = session_result_common_json(r);
    json_object_set_int_member(o, "exit_code", r->exit_code);
    json_set_string_or_null(o, "delivery", r->delivery);
    json_set_string_or_null(o, "manifest", r->manifest_path);
    if (r->manifest_sha256[0])
        json_object_set_string_member(o, "manifest_sha256", r->manifest_sha256);
    if (r->error)
        json_object_set_string_member(o, "error", r->error);
    reason_json_add(o, &r->error_why); /* the error as a code (docs/protocol.md) */
    if (r->audit_seq > 0) {
        JsonObject *a = json_object_new();
        json_object_set_int_member(a, "seq", (gint64)r->audit_seq);
        json_object_set_string_member(a, "hash", r->audit_hash);
        json_object_set_object_member(o, "audit", a);
    }
    JsonObject *sc = json_object_new();
    json_object_set_int_member(sc, "engine", (gint64)r->scans.engine);
    json_object_set_int_member(sc, "cache_hits", (gint64)r->scans.cache_hits);
    json_object_set_int_member(sc, "duplicates", (gint64)r->scans.duplicates);
    json_object_set_boolean_member(sc, "cache", r->scans.cache);
    json_object_set_object_member(o, "scans", sc);
    json_object_set_member(o, "files", session_files_to_json(r));
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    return n;
}

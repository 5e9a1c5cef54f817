/* Unit tests: kiosk/manifest.c - MANIFEST.json holds what the TOS side needs, and its
 * hash is the hash of the bytes on disk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "kiosk/manifest.h"
#include "kiosk/session.h"
#include "kiosk/session.h"

static struct session_file *file_new(const char *path, enum verdict_kind k, const char *reason,
                                     const char *staged)
{
    struct session_file *f = g_new0(struct session_file, 1);
    f->path = g_strdup(path);
    f->display = g_strdup(path);
    f->volume = 1;
    f->candidate = k != VERDICT_SKIPPED;
    f->size = 42;
    if (f->candidate)
        g_strlcpy(f->sha256, "ab" "0000000000000000000000000000000000000000000000000000000000cd",
                  sizeof(f->sha256));
    f->type = f->candidate ? g_strdup("text/plain") : NULL;
    verdict_set(&f->verdict, k, reason ? "%s" : NULL, reason);
    f->staged_path = staged ? g_strdup(staged) : NULL;
    return f;
}

static void file_free(gpointer p)
{
    struct session_file *f = p;
    g_free(f->path);
    g_free(f->display);
    g_free(f->type);
    g_free(f->staged_path);
    g_free(f);
}

static struct session_result *result_new(bool test_sigs)
{
    struct session_result *r = g_new0(struct session_result, 1);
    r->id = g_strdup("20261122-021500-0badf00d");
    r->host = g_strdup("kiosk-1");
    r->start_us = 1795313700LL * G_USEC_PER_SEC;
    r->end_us = r->start_us + 3 * G_USEC_PER_SEC;
    r->status = "partial";
    r->exit_code = 1;
    r->source = g_strdup("/dev/sdb");
    r->source_kind = g_strdup("block-device");
    r->vendor = g_strdup("SanDisk");
    r->serial = g_strdup("4C530001");
    r->source_size = 1 << 30;
    r->n_volumes = 1;
    r->volumes = g_new0(struct session_volume, 1);
    r->volumes[0].index = 1;
    r->volumes[0].fstype = g_strdup("vfat");
    r->volumes[0].label = g_strdup("BAYPLAN");
    r->volumes[0].uuid = g_strdup("1234-ABCD");
    r->volumes[0].scanned = true;
    r->policy_name = g_strdup("Quayside");
    r->policy_version = 7;
    r->policy_sha256 = g_strdup("ff");
    g_strlcpy(r->scanner.engine_version, "1.4.6", sizeof(r->scanner.engine_version));
    g_strlcpy(r->scanner.db_version, "daily:27000", sizeof(r->scanner.db_version));
    r->scanner.signatures = 99;
    r->scanner.test_signatures = test_sigs;
    r->details = json_object_new();
    json_object_set_string_member(r->details, "vessel", "EVER GIVEN");
    r->files = g_ptr_array_new_with_free_func(file_free);
    g_ptr_array_add(r->files, file_new("BAPLIE.edi", VERDICT_CLEAN, NULL, "BAPLIE.edi"));
    g_ptr_array_add(r->files, file_new("eicar.com", VERDICT_INFECTED, "Kiosk.Test.EICAR", NULL));
    g_ptr_array_add(r->files, file_new("link", VERDICT_SKIPPED, "symbolic link", NULL));
    r->counts.files = 2;
    r->counts.delivered = 1;
    r->counts.infected = 1;
    r->counts.skipped = 1;
    return r;
}

static JsonObject *read_manifest(const char *text, gsize len, JsonParser **parser_out)
{
    JsonParser *p = json_parser_new();
    assert_true(json_parser_load_from_data(p, text, (gssize)len, NULL));
    *parser_out = p;
    return json_node_get_object(json_parser_get_root(p));
}

/* MANIFEST.json of R, as the session writes it; *DOC for manifest_sums_text. */
static char *manifest_of(const struct session_result *r, gsize *len, JsonNode **doc)
{
    JsonNode *d = session_manifest_json(r);
    char *text = manifest_text(d, len);
    if (doc)
        *doc = d;
    else
        json_node_unref(d);
    return text;
}

static void test_manifest_fields(void **state)
{
    (void)state;
    struct session_result *r = result_new(false);
    gsize len = 0;
    JsonNode *doc = NULL;
    char *text = manifest_of(r, &len, &doc);
    assert_int_equal(strlen(text), len);
    assert_int_equal(text[len - 1], '\n');

    JsonParser *p;
    JsonObject *m = read_manifest(text, len, &p);
    assert_int_equal(json_object_get_int_member(m, "format"), MANIFEST_FORMAT);
    assert_string_equal(json_object_get_string_member(m, "session"), r->id);
    assert_string_equal(json_object_get_string_member(m, "started"), "2026-11-22T02:15:00Z");
    assert_string_equal(json_object_get_string_member(m, "kiosk_host"), "kiosk-1");
    assert_false(json_object_get_boolean_member(m, "test_signatures"));
    assert_false(json_object_has_member(m, "warning"));
    JsonObject *src = json_object_get_object_member(m, "source");
    assert_string_equal(json_object_get_string_member(src, "vendor"), "SanDisk");
    assert_string_equal(json_object_get_string_member(src, "serial"), "4C530001");
    JsonObject *vol = json_array_get_object_element(json_object_get_array_member(src, "volumes"), 0);
    assert_string_equal(json_object_get_string_member(vol, "filesystem"), "vfat");
    assert_string_equal(json_object_get_string_member(vol, "label"), "BAYPLAN");
    assert_string_equal(json_object_get_string_member(vol, "uuid"), "1234-ABCD");
    JsonObject *pol = json_object_get_object_member(m, "policy");
    assert_int_equal(json_object_get_int_member(pol, "version"), 7);
    JsonObject *sc = json_object_get_object_member(m, "scanner");
    assert_string_equal(json_object_get_string_member(sc, "database"), "daily:27000");
    JsonObject *det = json_object_get_object_member(m, "details");
    assert_string_equal(json_object_get_string_member(det, "vessel"), "EVER GIVEN");

    JsonArray *files = json_object_get_array_member(m, "files");
    assert_int_equal(json_array_get_length(files), 3);
    JsonObject *f0 = json_array_get_object_element(files, 0);
    assert_string_equal(json_object_get_string_member(f0, "verdict"), "clean");
    assert_string_equal(json_object_get_string_member(f0, "staged_path"), "BAPLIE.edi");
    assert_true(json_object_get_null_member(f0, "reason"));
    JsonObject *f1 = json_array_get_object_element(files, 1);
    assert_string_equal(json_object_get_string_member(f1, "verdict"), "infected");
    assert_string_equal(json_object_get_string_member(f1, "reason"), "Kiosk.Test.EICAR");
    assert_true(json_object_get_null_member(f1, "staged_path"));
    JsonObject *f2 = json_array_get_object_element(files, 2);
    assert_string_equal(json_object_get_string_member(f2, "verdict"), "skipped");
    assert_true(json_object_get_null_member(f2, "sha256"));
    JsonObject *cnt = json_object_get_object_member(m, "counts");
    assert_int_equal(json_object_get_int_member(cnt, "delivered"), 1);
    assert_int_equal(json_object_get_int_member(cnt, "infected"), 1);

    /* SHA256SUMS: each delivered file, then the manifest, in sha256sum's format. */
    char sha[65];
    util_sha256_hex(text, len, sha);
    char *sums = manifest_sums_text(doc, sha);
    json_node_unref(doc);
    const struct session_file *f0f = g_ptr_array_index(r->files, 0);
    char *want = g_strdup_printf("%s  BAPLIE.edi\n%s  MANIFEST.json\n", f0f->sha256, sha);
    assert_string_equal(sums, want);

    g_object_unref(p);
    g_free(sums);
    g_free(want);
    g_free(text);
    session_result_free(r);
}

static void test_manifest_test_signatures_warns(void **state)
{
    (void)state;
    struct session_result *r = result_new(true);
    gsize len = 0;
    char *text = manifest_of(r, &len, NULL);
    JsonParser *p;
    JsonObject *m = read_manifest(text, len, &p);
    assert_true(json_object_get_boolean_member(m, "test_signatures"));
    assert_non_null(strstr(json_object_get_string_member(m, "warning"), "TEST SIGNATURES"));
    g_object_unref(p);
    g_free(text);
    session_result_free(r);
}

static void test_result_json_has_contract_fields(void **state)
{
    (void)state;
    struct session_result *r = result_new(false);
    r->delivery = g_strdup("/srv/kiosk/staging/x");
    JsonNode *n = session_result_to_json(r);
    JsonObject *o = json_node_get_object(n);
    assert_string_equal(json_object_get_string_member(o, "session"), r->id);
    assert_string_equal(json_object_get_string_member(o, "status"), "partial");
    assert_string_equal(json_object_get_string_member(o, "delivery"), "/srv/kiosk/staging/x");
    JsonArray *files = json_object_get_array_member(o, "files");
    static const char *keys[] = {"path", "size", "sha256", "type", "verdict", "reason",
                                 "staged_path"};
    for (guint i = 0; i < json_array_get_length(files); i++)
        for (size_t k = 0; k < G_N_ELEMENTS(keys); k++)
            assert_true(json_object_has_member(json_array_get_object_element(files, i), keys[k]));
    json_node_unref(n);
    session_result_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_fields),
        cmocka_unit_test(test_manifest_test_signatures_warns),
        cmocka_unit_test(test_result_json_has_contract_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

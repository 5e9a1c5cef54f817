/* test_audit.c - the hash-chained audit log: append, reopen, verify, tampering, torn
 * writes, concurrent handles. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/kerr.h"
#include "common/util.h"
#include "kiosk/audit.h"
#include "kiosk/sign.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

struct fixture {
    char *dir;
    char *log;
};

static int setup(void **state)
{
    struct fixture *f = g_new0(struct fixture, 1);
    f->dir = g_strdup("/tmp/test_audit.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    f->log = g_build_filename(f->dir, "audit.jsonl", NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    util_rm_rf(f->dir);
    g_free(f->dir);
    g_free(f->log);
    g_free(f);
    return 0;
}

static char *read_all(const char *path)
{
    char *text = NULL;
    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

static void write_all(const char *path, const char *text)
{
    assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* Lines of the file, without their '\n' (a final empty element is dropped). */
static char **read_lines(const char *path)
{
    char *text = read_all(path);
    char **lines = g_strsplit(text, "\n", -1);
    guint n = g_strv_length(lines);
    if (n > 0 && lines[n - 1][0] == '\0') {
        g_free(lines[n - 1]);
        lines[n - 1] = NULL;
    }
    g_free(text);
    return lines;
}

static void append_file_event(struct audit *a, const char *name)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "name", name);
    json_object_set_int_member(o, "size", 1234);
    assert_int_equal(audit_append(a, "file", o), 0);
    json_object_unref(o);
}

static void append_n(const char *path, int n)
{
    struct audit *a = NULL;
    assert_int_equal(audit_open(path, &a), 0);
    for (int i = 0; i < n; i++) {
        char name[32];
        g_snprintf(name, sizeof(name), "file-%d.txt", i);
        append_file_event(a, name);
    }
    assert_int_equal(audit_sync(a), 0);
    audit_close(a);
}

/* Verify PATH and check the outcome: BAD_LINE 0 means "must be intact". */
static void expect_verify(const char *path, uint64_t records, uint64_t bad_line,
                          const char *why_prefix)
{
    uint64_t got_records = 99, got_line = 99;
    char *why = NULL;
    int r = audit_verify(path, &got_records, &got_line, &why);
    if (bad_line == 0) {
        if (r != 0)
            fail_msg("verify failed at line %llu: %s", (unsigned long long)got_line, why);
        assert_null(why);
        assert_int_equal(got_line, 0);
    } else {
        assert_int_equal(r, KERR_CORRUPT);
        assert_non_null(why);
        assert_int_equal(got_line, bad_line);
        if (!g_str_has_prefix(why, why_prefix))
            fail_msg("why: \"%s\", expected \"%s...\"", why, why_prefix);
    }
    assert_int_equal(got_records, records);
    g_free(why);
}

static JsonObject *parse_object(const char *line, JsonParser **parser)
{
    *parser = json_parser_new();
    assert_true(json_parser_load_from_data(*parser, line, -1, NULL));
    JsonNode *root = json_parser_get_root(*parser);
    assert_true(JSON_NODE_HOLDS_OBJECT(root));
    return json_node_get_object(root);
}

static void test_new_log_three_records(void **state)
{
    struct fixture *f = *state;
    char *log = g_build_filename(f->dir, "sub", "dir", "audit.jsonl", NULL);
    append_n(log, 3);

    struct stat st;
    assert_int_equal(stat(log, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *sub = g_path_get_dirname(log);
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    g_free(sub);

    expect_verify(log, 3, 0, NULL);

    /* Format: compact, key order seq, time, host, prev, type, then the fields. */
    char **lines = read_lines(log);
    assert_int_equal(g_strv_length(lines), 3);
    assert_true(g_str_has_prefix(lines[0], "{\"seq\":1,\"time\":\""));
    char *want = g_strdup_printf("\",\"host\":\"%s\",\"prev\":\"" ZERO_HASH
                                 "\",\"type\":\"file\",\"name\":\"file-0.txt\",\"size\":1234}",
                                 g_get_host_name());
    assert_non_null(strstr(lines[0], want));
    assert_true(g_str_has_suffix(lines[0], want));
    g_free(want);

    for (int i = 0; i < 3; i++) {
        JsonParser *p;
        JsonObject *o = parse_object(lines[i], &p);
        assert_int_equal(json_object_get_int_member(o, "seq"), i + 1);
        const char *t = json_object_get_string_member(o, "time");
        /* "2026-11-22T02:15:00.123456Z" */
        assert_int_equal(strlen(t), 27);
        assert_int_equal(t[19], '.');
        assert_int_equal(t[26], 'Z');
        if (i > 0) {
            char h[65];
            util_sha256_hex(lines[i - 1], strlen(lines[i - 1]), h);
            assert_string_equal(json_object_get_string_member(o, "prev"), h);
        }
        g_object_unref(p);
    }
    g_strfreev(lines);
    g_free(log);
}

static void test_reopen_continues_chain(void **state)
{
    struct fixture *f = *state;
    append_n(f->log, 3);
    append_n(f->log, 2);
    expect_verify(f->log, 5, 0, NULL);

    char **lines = read_lines(f->log);
    JsonParser *p;
    JsonObject *o = parse_object(lines[3], &p);
    assert_int_equal(json_object_get_int_member(o, "seq"), 4);
    char h[65];
    util_sha256_hex(lines[2], strlen(lines[2]), h);
    assert_string_equal(json_object_get_string_member(o, "prev"), h);
    g_object_unref(p);
    g_strfreev(lines);
}

static void test_empty_file(void **state)
{
    struct fixture *f = *state;
    write_all(f->log, "");
    expect_verify(f->log, 0, 0, NULL);
    append_n(f->log, 1);
    expect_verify(f->log, 1, 0, NULL);
    char *text = read_all(f->log);
    assert_true(g_str_has_prefix(text, "{\"seq\":1,"));
    assert_non_null(strstr(text, "\"prev\":\"" ZERO_HASH "\""));
    g_free(text);
}

/* Replace the first occurrence of FROM in line LINENO (1-based) of the file. */
static void edit_line(const char *path, int lineno, const char *from, const char *to)
{
    char **lines = read_lines(path);
    char *at = strstr(lines[lineno - 1], from);
    assert_non_null(at);
    char *edited = g_strdup_printf("%.*s%s%s", (int)(at - lines[lineno - 1]), lines[lineno - 1], to,
                                   at + strlen(from));
    g_free(lines[lineno - 1]);
    lines[lineno - 1] = edited;
    char *body = g_strjoinv("\n", lines);
    char *text = g_strconcat(body, "\n", NULL);
    write_all(path, text);
    g_free(text);
    g_free(body);
    g_strfreev(lines);
}

/* The record whose bytes changed is blamed, not the next one: record 4's prev no longer
 * matches record 3, but record 5 vouches for record 4's bytes, so record 3 changed. */
static void test_tamper_content_blames_changed_record(void **state)
{
    struct fixture *f = *state;
    append_n(f->log, 5);
    edit_line(f->log, 3, "file-2.txt", "file-7.txt");
    expect_verify(f->log, 2, 3,
                  "record changed: its SHA-256 is not what the next record "
                  "(line 4) says");
}

/* With nothing after the next record to vouch for it, the changed record is still the
 * one blamed (the other possibility is named). */
static void test_tamper_content_before_last(void **state)
{
    struct fixture *f = *state;
    append_n(f->log, 3);
    edit_line(f->log, 2, "file-1.txt", "file-7.txt");
    expect_verify(f->log, 1, 2,
                  "record changed: its SHA-256 is not what the next record "
                  "(line 3) says (or that record's prev was changed)");
}

static void test_tamper_last_record_undetectable_by_chain(void **state)
{
    struct fixture *f = *state;
    append_n(f->log, 3);
    /* The chain cannot see an edit of the newest record until the next one is
     * appended; then it does. */
    edit_line(f->log, 3, "file-2.txt", "file-9.txt");
    expect_verify(f->log, 3, 0, NULL);
    append_n(f->log, 1);
    expect_verify(f->log, 4, 0, NULL); /* the new record chains to the edited bytes */
}

static void test_tamper_seq(void **state)
{
    struct fixture *f = *state;
    append_n(f->log, 3);
    edit_line(f->log, 2, "\"seq\":2", "\"seq\":7");
    expect_verify(f->log, 1, 2, "seq 7 expected 2");
}

static void test_tamper_structure(void **state)
{
    struct fixture *f = *state;
    append_n(f->log, 3);
    edit_line(f->log, 2, "{", "x");
    expect_verify(f->log, 1, 2, "not valid JSON");

    write_all(f->log, "[1,2]\n");
    expect_verify(f->log, 0, 1, "not a JSON object");
}

static void test_delete_line(void **state)
{
    struct fixture *f = *state;
    append_n(f->log, 4);
    char **lines = read_lines(f->log);
    char *text = g_strdup_printf("%s\n%s\n%s\n", lines[0], lines[2], lines[3]);
    write_all(f->log, text);
    g_free(text);
    expect_verify(f->log, 1, 2, "seq 3 expected 2");

    /* Deleting the first line. */
    text = g_strdup_printf("%s\n%s\n%s\n", lines[1], lines[2], lines[3]);
    write_all(f->log, text);
    g_free(text);
    expect_verify(f->log, 0, 1, "seq 2 expected 1");
    g_strfreev(lines);
}

static void test_missing_and_bad_fields(void **state)
{
    struct fixture *f = *state;
    append_n(f->log, 2);
    edit_line(f->log, 2, "\"time\"", "\"tame\"");
    expect_verify(f->log, 1, 2, "missing field time");

    write_all(f->log, "{\"seq\":\"1\"}\n");
    expect_verify(f->log, 0, 1, "field seq is not an integer");

    write_all(f->log, "\n");
    expect_verify(f->log, 0, 1, "empty line");
}

/* A write cut in the middle of record 3 (power loss, full disk): verify notes it and
 * passes; the next append records a "recovery" naming the torn bytes (chained to them),
 * then its own record; verify reports the recovery and passes; the chain goes on. */
static void test_torn_last_line(void **state)
{
    struct fixture *f = *state;
    append_n(f->log, 3);
    char *text = read_all(f->log);
    size_t len = strlen(text);
    size_t cut = len - 40;
    assert_int_equal(truncate(f->log, (off_t)cut), 0);
    expect_verify(f->log, 2, 0, NULL);
    struct audit_verify_result res;
    assert_int_equal(audit_verify_log(f->log, NULL, &res), 0);
    assert_int_equal(res.notes->len, 1);
    assert_non_null(strstr(g_ptr_array_index(res.notes, 0), "line 3: the last line is incomplete"));
    assert_int_equal(res.head.seq, 2);
    audit_verify_result_clear(&res);

    append_n(f->log, 1);
    char **lines = read_lines(f->log);
    assert_int_equal(g_strv_length(lines), 5);
    size_t torn_len = cut - (strlen(lines[0]) + strlen(lines[1]) + 2);
    assert_int_equal(strlen(lines[2]), torn_len);
    char torn[65];
    util_sha256_hex(lines[2], torn_len, torn);
    JsonParser *p;
    JsonObject *o = parse_object(lines[3], &p);
    assert_string_equal(json_object_get_string_member(o, "type"), "recovery");
    assert_int_equal(json_object_get_int_member(o, "seq"), 3);
    assert_string_equal(json_object_get_string_member(o, "prev"), torn);
    assert_string_equal(json_object_get_string_member(o, "torn_sha256"), torn);
    assert_int_equal(json_object_get_int_member(o, "torn_offset"),
                     (gint64)(strlen(lines[0]) + strlen(lines[1]) + 2));
    assert_int_equal(json_object_get_int_member(o, "torn_bytes"), (gint64)torn_len);
    g_object_unref(p);
    o = parse_object(lines[4], &p);
    assert_int_equal(json_object_get_int_member(o, "seq"), 4);
    char h[65];
    util_sha256_hex(lines[3], strlen(lines[3]), h);
    assert_string_equal(json_object_get_string_member(o, "prev"), h);
    g_object_unref(p);
    g_strfreev(lines);
    g_free(text);

    assert_int_equal(audit_verify_log(f->log, NULL, &res), 0);
    assert_int_equal(res.records, 4);
    assert_int_equal(res.notes->len, 1);
    assert_non_null(strstr(g_ptr_array_index(res.notes, 0), "line 3: an incomplete record"));
    assert_non_null(strstr(g_ptr_array_index(res.notes, 0), "recovered by record 3 (line 4)"));
    audit_verify_result_clear(&res);

    /* Appending again continues from record 4; no second recovery. */
    append_n(f->log, 1);
    lines = read_lines(f->log);
    assert_int_equal(g_strv_length(lines), 6);
    o = parse_object(lines[5], &p);
    assert_int_equal(json_object_get_int_member(o, "seq"), 5);
    assert_string_equal(json_object_get_string_member(o, "type"), "file");
    g_object_unref(p);
    g_strfreev(lines);
    expect_verify(f->log, 5, 0, NULL);
}

/* A whole line that is not a record is damage, not a torn write: a recovery record is
 * accepted only for the line it names, at the offset and with the hash it names. */
static void test_recovery_must_name_the_line(void **state)
{
    struct fixture *f = *state;
    append_n(f->log, 2);
    char *text = read_all(f->log);
    char *with = g_strconcat(text, "garbage", NULL);
    write_all(f->log, with);
    append_n(f->log, 1); /* recovery of "garbage", then a file record */
    expect_verify(f->log, 4, 0, NULL);
    edit_line(f->log, 3, "garbage", "garbagE");
    expect_verify(f->log, 2, 3, "not valid JSON");
    g_free(with);
    g_free(text);
}

/* The crash cut only the final '\n': the record is whole, and counts. */
static void test_torn_newline_only(void **state)
{
    struct fixture *f = *state;
    append_n(f->log, 2);
    char *text = read_all(f->log);
    assert_int_equal(truncate(f->log, (off_t)strlen(text) - 1), 0);
    expect_verify(f->log, 2, 0, NULL);
    append_n(f->log, 1);
    expect_verify(f->log, 3, 0, NULL);
    char **lines = read_lines(f->log);
    assert_int_equal(g_strv_length(lines), 3); /* no recovery: nothing was lost */
    g_strfreev(lines);
    g_free(text);
}

/* Anchors outside the file: a cut tail chains perfectly, but the saved head (or one
 * given on the command line) is no longer in it. */
static void test_anchor_catches_cut_tail(void **state)
{
    struct fixture *f = *state;
    append_n(f->log, 10);
    struct audit *a = NULL;
    struct audit_head head;
    assert_int_equal(audit_open(f->log, &a), 0);
    assert_int_equal(audit_head(a, &head), 0);
    audit_close(a);
    assert_int_equal(head.seq, 10);
    char **lines = read_lines(f->log);
    char h[65];
    util_sha256_hex(lines[9], strlen(lines[9]), h);
    assert_string_equal(head.hash, h);
    struct audit_head ph;
    assert_int_equal(audit_path_head(f->log, &ph), 0);
    assert_int_equal(ph.seq, 10);
    assert_string_equal(ph.hash, h);

    struct audit_anchor an = {.seq = 10, .what = "saved head"};
    g_strlcpy(an.hash, h, sizeof(an.hash));
    struct audit_verify_opts o = {.anchors = &an, .n_anchors = 1};
    struct audit_verify_result res;
    assert_int_equal(audit_verify_log(f->log, &o, &res), 0);
    audit_verify_result_clear(&res);

    /* The last 3 records dropped: still a perfect chain, but not the anchored one. */
    char *body = g_strjoinv("\n", lines);
    char *cut = g_strdup(body);
    char *p = cut;
    for (int i = 0; i < 7; i++)
        p = strchr(p, '\n') + 1;
    *p = '\0';
    write_all(f->log, cut);
    expect_verify(f->log, 7, 0, NULL);
    assert_int_equal(audit_verify_log(f->log, &o, &res), KERR_CORRUPT);
    assert_int_equal(res.bad_line, 8);
    assert_non_null(strstr(res.why, "the log ends at record 7, before record 10 that the saved "
                                    "head names"));
    audit_verify_result_clear(&res);

    /* A changed anchored record. */
    g_strlcpy(an.hash, ZERO_HASH, sizeof(an.hash));
    an.seq = 5;
    assert_int_equal(audit_verify_log(f->log, &o, &res), KERR_CORRUPT);
    assert_int_equal(res.bad_line, 5);
    assert_non_null(strstr(res.why, "record 5 is not the one the saved head names"));
    audit_verify_result_clear(&res);
    g_free(cut);
    g_free(body);
    g_strfreev(lines);
}

/* A checkpoint signs the head with the kiosk's key; a copy verifies offline with the
 * public key alone; another key, or a changed signature, does not. */
static void test_checkpoint_signed(void **state)
{
    struct fixture *f = *state;
    char *sec = g_build_filename(f->dir, "signing.key", NULL);
    char *pub = g_build_filename(f->dir, "signing.pub", NULL);
    char *sec2 = g_build_filename(f->dir, "other.key", NULL);
    char *pub2 = g_build_filename(f->dir, "other.pub", NULL);
    char *why = NULL;
    assert_int_equal(sign_keygen(sec, pub, NULL, &why), 0);
    assert_int_equal(sign_keygen(sec2, pub2, NULL, &why), 0);

    append_n(f->log, 3);
    struct audit *a = NULL;
    struct audit_head head;
    assert_int_equal(audit_open(f->log, &a), 0);
    assert_int_equal(audit_checkpoint(a, "20261205-000000-00000001", sec, NULL, &head, &why), 0);
    append_file_event(a, "after");
    assert_int_equal(audit_checkpoint(a, "20261205-000000-00000002", sec, NULL, &head, &why), 0);
    struct audit_head plain;
    assert_int_equal(audit_checkpoint(a, "no-key", NULL, NULL, &plain, &why), 0); /* head only */
    audit_close(a);
    assert_int_equal(head.seq, 6);
    assert_int_equal(plain.seq, 6);
    assert_string_equal(plain.hash, head.hash);

    char **lines = read_lines(f->log);
    assert_int_equal(g_strv_length(lines), 6);
    JsonParser *p;
    JsonObject *o = parse_object(lines[3], &p);
    assert_string_equal(json_object_get_string_member(o, "type"), "checkpoint");
    assert_int_equal(json_object_get_int_member(o, "covers_seq"), 3);
    char h[65];
    util_sha256_hex(lines[2], strlen(lines[2]), h);
    assert_string_equal(json_object_get_string_member(o, "covers_sha256"), h);
    g_object_unref(p);

    struct sign_pubkey k1, k2;
    assert_int_equal(sign_key_load_public(pub, &k1, &why), 0);
    assert_int_equal(sign_key_load_public(pub2, &k2, &why), 0);
    struct audit_verify_opts o1 = {.key = &k1, .key_required = true},
                             o2 = {.key = &k2, .key_required = true};
    struct audit_verify_result res;
    assert_int_equal(audit_verify_log(f->log, &o1, &res), 0);
    assert_int_equal(res.checkpoints, 2);
    assert_int_equal(res.checkpoints_verified, 2);
    assert_int_equal(res.last_checkpoint, 6);
    audit_verify_result_clear(&res);
    assert_int_equal(audit_verify_log(f->log, NULL, &res), 0); /* unchecked without a key */
    assert_int_equal(res.checkpoints, 2);
    assert_int_equal(res.checkpoints_verified, 0);
    audit_verify_result_clear(&res);
    assert_int_equal(audit_verify_log(f->log, &o2, &res), KERR_CORRUPT);
    assert_int_equal(res.bad_line, 4);
    assert_non_null(strstr(res.why, "checkpoint signed by key"));
    audit_verify_result_clear(&res);
    struct audit_verify_opts o3 = {.key = &k2}; /* a default key: left unchecked, no error */
    assert_int_equal(audit_verify_log(f->log, &o3, &res), 0);
    assert_int_equal(res.checkpoints_verified, 0);
    audit_verify_result_clear(&res);

    /* The last checkpoint's session changed (its signature no longer covers it). */
    edit_line(f->log, 6, "00000002", "00000003");
    assert_int_equal(audit_verify_log(f->log, &o1, &res), KERR_CORRUPT);
    assert_int_equal(res.bad_line, 6);
    assert_string_equal(res.why, "checkpoint signature does not verify");
    audit_verify_result_clear(&res);
    g_strfreev(lines);
    g_free(sec);
    g_free(pub);
    g_free(sec2);
    g_free(pub2);
}

static void test_two_handles_interleave(void **state)
{
    struct fixture *f = *state;
    struct audit *a1 = NULL, *a2 = NULL;
    assert_int_equal(audit_open(f->log, &a1), 0);
    assert_int_equal(audit_open(f->log, &a2), 0);
    append_file_event(a1, "one");
    append_file_event(a2, "two");
    append_file_event(a1, "three");
    append_file_event(a2, "four");
    audit_close(a1);
    audit_close(a2);
    expect_verify(f->log, 4, 0, NULL);
}

static void test_long_records_tail_scan(void **state)
{
    struct fixture *f = *state;
    struct audit *a = NULL;
    /* Records longer than the 64 KiB read-back chunk. */
    char *big = g_malloc(200001);
    memset(big, 'q', 200000);
    big[200000] = '\0';
    assert_int_equal(audit_open(f->log, &a), 0);
    for (int i = 0; i < 3; i++) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "blob", big);
        assert_int_equal(audit_append(a, "big", o), 0);
        json_object_unref(o);
    }
    audit_close(a);
    append_n(f->log, 1);
    expect_verify(f->log, 4, 0, NULL);

    /* And a torn big record. */
    struct stat st;
    assert_int_equal(stat(f->log, &st), 0);
    assert_int_equal(audit_open(f->log, &a), 0);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "blob", big);
    assert_int_equal(audit_append(a, "big", o), 0);
    json_object_unref(o);
    audit_close(a);
    assert_int_equal(truncate(f->log, st.st_size + 150000), 0);
    expect_verify(f->log, 4, 0, NULL); /* torn, not yet recovered: noted */
    append_n(f->log, 1);
    expect_verify(f->log, 6, 0, NULL); /* recovery + the new record */
    char **lines = read_lines(f->log);
    JsonParser *p;
    JsonObject *last = parse_object(lines[6], &p);
    assert_int_equal(json_object_get_int_member(last, "seq"), 6);
    g_object_unref(p);
    g_strfreev(lines);
    g_free(big);
}

static void test_reserved_field_rejected(void **state)
{
    struct fixture *f = *state;
    struct audit *a = NULL;
    assert_int_equal(audit_open(f->log, &a), 0);
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "seq", 42);
    assert_int_equal(audit_append(a, "file", o), KERR_INVAL);
    json_object_unref(o);
    assert_int_equal(audit_append(a, "", NULL), KERR_INVAL);
    assert_int_equal(audit_append(a, "session-start", NULL), 0);
    audit_close(a);
    expect_verify(f->log, 1, 0, NULL);
}

static void test_strings_escaped(void **state)
{
    struct fixture *f = *state;
    struct audit *a = NULL;
    assert_int_equal(audit_open(f->log, &a), 0);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "name", "line\nbreak \"quoted\" \xe2\x80\xae tab\t");
    assert_int_equal(audit_append(a, "file", o), 0);
    json_object_unref(o);
    audit_close(a);
    expect_verify(f->log, 1, 0, NULL);
    char **lines = read_lines(f->log);
    assert_int_equal(g_strv_length(lines), 1);
    g_strfreev(lines);
}

static void test_unreadable(void **state)
{
    struct fixture *f = *state;
    uint64_t records = 9, line = 9;
    char *why = NULL;
    char *missing = g_build_filename(f->dir, "nope.jsonl", NULL);
    assert_int_equal(audit_verify(missing, &records, &line, &why), KERR_SYSTEM);
    assert_null(why);
    g_free(missing);

    /* A folder where the log should be. */
    struct audit *a = NULL;
    assert_int_not_equal(audit_open(f->dir, &a), 0);
    assert_null(a);
    audit_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_log_three_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_continues_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_content_blames_changed_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_content_before_last, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_last_record_undetectable_by_chain, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tamper_seq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_structure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_bad_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_last_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_newline_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recovery_must_name_the_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_anchor_catches_cut_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_signed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_handles_interleave, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_records_tail_scan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserved_field_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strings_escaped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_events.c - the event protocol without a socket: commands, validation of operator
 * details, the status snapshot, hostile input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "service/events.h"

struct fake {
    int details_calls, cancel_calls;
    JsonObject *last;
    bool running;
};

static char *fake_details(JsonObject *d, void *data)
{
    struct fake *f = data;
    f->details_calls++;
    if (f->last)
        json_object_unref(f->last);
    f->last = json_object_ref(d);
    return NULL;
}

static char *fake_cancel(void *data)
{
    struct fake *f = data;
    f->cancel_calls++;
    return f->running ? NULL : g_strdup("no check is running");
}

static struct fake fk;

static struct events *new_events(void)
{
    memset(&fk, 0, sizeof(fk));
    struct events_info info = {.kiosk_name = "Kiosk 1", .site = "Nagoya", .language = "ja",
                               .testing_mode = true};
    struct events_handlers h = {.details = fake_details, .cancel = fake_cancel, .data = &fk};
    char *why = NULL;
    struct events *ev = events_new(NULL, NULL, &info, &h, &why);
    assert_non_null(ev);
    return ev;
}

/* Send LINE; return the single object answered (caller unrefs) and check its type. */
static JsonObject *one(struct events *ev, const char *line, const char *type, bool want_bad)
{
    bool bad = false;
    JsonArray *a = events_handle_line(ev, line, strlen(line), &bad);
    assert_int_equal(json_array_get_length(a), 1);
    JsonObject *o = json_object_ref(json_array_get_object_element(a, 0));
    json_array_unref(a);
    assert_string_equal(json_object_get_string_member(o, "type"), type);
    assert_int_equal(bad, want_bad);
    assert_true(json_object_has_member(o, "time"));
    assert_true(json_object_has_member(o, "session"));
    assert_true(json_object_get_boolean_member(o, "testing_mode"));
    return o;
}

static void expect_reply(struct events *ev, const char *line, bool ok, bool bad)
{
    JsonObject *o = one(ev, line, "reply", bad);
    assert_int_equal(json_object_get_boolean_member(o, "ok"), ok);
    if (!ok)
        assert_non_null(json_object_get_string_member(o, "error"));
    json_object_unref(o);
}

static void test_imo_check_digit(void **state)
{
    (void)state;
    assert_true(events_imo_valid("9321483"));
    assert_true(events_imo_valid("9074729"));
    assert_false(events_imo_valid("9321484"));
    assert_false(events_imo_valid("932148"));
    assert_false(events_imo_valid("93214830"));
    assert_false(events_imo_valid("93a1483"));
    assert_false(events_imo_valid(""));
    assert_false(events_imo_valid(NULL));
}

static void test_details(void **state)
{
    (void)state;
    struct events *ev = new_events();
    expect_reply(ev, "{\"cmd\":\"details\",\"vessel\":\"  MSC AURORA \",\"imo\":\"IMO 9321483\","
                     "\"voyage\":\"123W\",\"company\":\"MSC\",\"person\":\"山田 太郎\"}",
                 true, false);
    assert_int_equal(fk.details_calls, 1);
    assert_string_equal(json_object_get_string_member(fk.last, "vessel"), "MSC AURORA");
    assert_string_equal(json_object_get_string_member(fk.last, "imo"), "9321483");
    assert_string_equal(json_object_get_string_member(fk.last, "person"), "山田 太郎");
    /* refused: bad check digit, wrong types, unknown field, too long, control chars */
    expect_reply(ev, "{\"cmd\":\"details\",\"imo\":\"9321484\"}", false, false);
    expect_reply(ev, "{\"cmd\":\"details\",\"vessel\":42}", false, false);
    expect_reply(ev, "{\"cmd\":\"details\",\"vessel\":[\"x\"]}", false, false);
    expect_reply(ev, "{\"cmd\":\"details\",\"captain\":\"x\"}", false, false);
    expect_reply(ev, "{\"cmd\":\"details\",\"vessel\":\"a\\nb\"}", false, false);
    GString *s = g_string_new("{\"cmd\":\"details\",\"voyage\":\"");
    for (int i = 0; i < 33; i++)
        g_string_append_c(s, 'V');
    g_string_append(s, "\"}");
    expect_reply(ev, s->str, false, false);
    g_string_free(s, TRUE);
    assert_int_equal(fk.details_calls, 1);
    /* empty = clear; null fields are skipped */
    expect_reply(ev, "{\"cmd\":\"details\",\"vessel\":\"\",\"imo\":null}", true, false);
    assert_int_equal(fk.details_calls, 2);
    assert_int_equal(json_object_get_size(fk.last), 0);
    json_object_unref(fk.last);
    events_free(ev);
}

static void test_bad_input(void **state)
{
    (void)state;
    struct events *ev = new_events();
    expect_reply(ev, "not json", false, true);
    expect_reply(ev, "[1,2]", false, true);
    expect_reply(ev, "{\"cmd\":5}", false, true);
    expect_reply(ev, "{\"nocmd\":true}", false, true);
    expect_reply(ev, "{\"cmd\":\"reboot\"}", false, true);
    expect_reply(ev, "{\"cmd\":\"status\"", false, true);
    expect_reply(ev, "\xff\xfe{}", false, true);
    /* blank lines are keep-alives: no answer */
    bool bad = true;
    JsonArray *a = events_handle_line(ev, "  \r", 3, &bad);
    assert_int_equal(json_array_get_length(a), 0);
    assert_false(bad);
    json_array_unref(a);
    /* a huge line is refused without parsing it */
    size_t n = EVENTS_MAX_LINE + 10;
    char *big = g_malloc(n + 1);
    memset(big, '[', n);
    big[n] = '\0';
    expect_reply(ev, big, false, true);
    /* deep nesting within the cap: refused, no crash */
    memset(big, '[', 5000);
    big[5000] = '\0';
    expect_reply(ev, big, false, true);
    g_free(big);
    events_free(ev);
}

static void test_cancel(void **state)
{
    (void)state;
    struct events *ev = new_events();
    expect_reply(ev, "{\"cmd\":\"cancel\"}", false, false);
    fk.running = true;
    expect_reply(ev, "{\"cmd\":\"cancel\"}", true, false);
    assert_int_equal(fk.cancel_calls, 2);
    events_free(ev);
}

static void test_status_snapshot(void **state)
{
    (void)state;
    struct events *ev = new_events();
    JsonObject *o = one(ev, "{\"cmd\":\"status\"}", "status", false);
    assert_string_equal(json_object_get_string_member(o, "state"), "idle");
    assert_int_equal(json_object_get_int_member(o, "queue"), 0);
    json_object_unref(o);

    JsonObject *f = json_object_new();
    json_object_set_int_member(f, "files_done", 3);
    json_object_set_int_member(f, "files_total", 10);
    events_emit(ev, "scanning", "S1", f);
    /* "waiting" is not a state: the snapshot still says scanning, with the queue */
    events_set_queue(ev, 1);
    events_emit(ev, "waiting", "S1", NULL);
    o = one(ev, "{\"cmd\":\"status\"}", "status", false);
    assert_string_equal(json_object_get_string_member(o, "state"), "scanning");
    assert_string_equal(json_object_get_string_member(o, "session"), "S1");
    assert_int_equal(json_object_get_int_member(o, "files_done"), 3);
    assert_int_equal(json_object_get_int_member(o, "queue"), 1);
    assert_true(json_object_has_member(o, "since"));
    json_object_unref(o);

    events_emit(ev, "remove-media", "S1", NULL);
    o = events_status(ev);
    assert_string_equal(json_object_get_string_member(o, "state"), "remove-media");
    assert_false(json_object_has_member(o, "files_done"));
    json_object_unref(o);
    events_emit(ev, "idle", NULL, NULL);
    o = events_status(ev);
    assert_true(json_object_get_null_member(o, "session"));
    json_object_unref(o);
    events_free(ev);
}

static void test_line_format(void **state)
{
    (void)state;
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "type", "scanning");
    json_object_set_string_member(o, "current", "evil\nname\"\\");
    char *line = events_to_line(o);
    size_t n = strlen(line);
    assert_true(n > 1 && line[n - 1] == '\n');
    assert_null(memchr(line, '\n', n - 1)); /* one event = one line */
    g_free(line);
    json_object_unref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_imo_check_digit), cmocka_unit_test(test_details),
        cmocka_unit_test(test_bad_input),       cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_status_snapshot), cmocka_unit_test(test_line_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

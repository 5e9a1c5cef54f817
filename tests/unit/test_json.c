/* Unit tests: common/json.c - the typed getters give the member only when it has the type
 * asked for, the default otherwise (hostile or other-version input never crashes them), and
 * json_text escapes every control character. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/json.h"

static JsonObject *parse(JsonParser **p, const char *text)
{
    *p = json_parser_new();
    assert_true(json_parser_load_from_data(*p, text, -1, NULL));
    return json_node_get_object(json_parser_get_root(*p));
}

static void test_types(void **state)
{
    (void)state;
    JsonParser *p;
    JsonObject *o = parse(&p, "{\"s\":\"x\",\"e\":\"\",\"i\":42,\"d\":-2.9,\"b\":false,"
                              "\"n\":null,\"o\":{\"k\":1},\"a\":[1,2],\"big\":1e300}");
    assert_string_equal(json_member_string(o, "s", "dflt"), "x");
    assert_string_equal(json_member_string(o, "e", "dflt"), "");
    assert_null(json_member_text(o, "e"));
    assert_string_equal(json_member_text(o, "s"), "x");
    assert_string_equal(json_member_string(o, "i", "dflt"), "dflt");
    assert_string_equal(json_member_string(o, "n", "dflt"), "dflt");
    assert_string_equal(json_member_string(o, "o", "dflt"), "dflt");
    assert_string_equal(json_member_string(o, "missing", "dflt"), "dflt");
    assert_int_equal(json_member_int(o, "i", -1), 42);
    assert_int_equal(json_member_int(o, "d", -1), -2);
    assert_int_equal(json_member_int(o, "big", -1), -1);
    assert_int_equal(json_member_int(o, "s", -1), -1);
    assert_int_equal(json_member_int(o, "b", -1), -1);
    gint64 v = 7;
    assert_false(json_member_lookup_int(o, "n", &v));
    assert_int_equal(v, 7);
    assert_true(json_member_lookup_int(o, "i", &v));
    assert_int_equal(v, 42);
    assert_false(json_member_bool(o, "b", true));
    assert_true(json_member_bool(o, "i", true));
    assert_non_null(json_member_object(o, "o"));
    assert_null(json_member_object(o, "a"));
    assert_int_equal(json_array_get_length(json_member_array(o, "a")), 2);
    assert_null(json_member_array(o, "o"));
    g_object_unref(p);
}

static void test_null_object(void **state)
{
    (void)state;
    assert_null(json_member_string(NULL, "k", NULL));
    assert_null(json_member_text(NULL, "k"));
    assert_int_equal(json_member_int(NULL, "k", 5), 5);
    assert_true(json_member_bool(NULL, "k", true));
    assert_null(json_member_object(NULL, "k"));
    assert_null(json_member_array(NULL, "k"));
}

static void test_text_escapes_controls(void **state)
{
    (void)state;
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "name", "a\001b\177c");
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    gsize len = 0;
    char *text = json_text(n, false, &len);
    assert_string_equal(text, "{\"name\":\"a\\u0001b\\u007fc\"}");
    assert_int_equal(len, strlen(text));
    g_free(text);
    json_node_unref(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_null_object),
        cmocka_unit_test(test_text_escapes_controls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

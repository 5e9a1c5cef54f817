/* verify-manifest.c - read a delivery's MANIFEST.json, untrusted (see verify-manifest.h). */
#include "handoff/verify-manifest.h"
#include "common/json.h"
#include "common/kerr.h"
#include "kiosk/manifest.h"
#include "media/names.h"
#include "kiosk/sign.h"

#include <json-glib/json-glib.h>
#include <stdarg.h>
#include <string.h>

static void verify_manifest_problem(struct verify_manifest *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void verify_manifest_problem(struct verify_manifest *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_ptr_array_add(m->problems, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

static void verify_manifest_file_free(gpointer p)
{
    struct verify_manifest_file *f = p;
    g_free(f->path);
    g_free(f);
}

void verify_manifest_free(struct verify_manifest *m)
{
    if (!m)
        return;
    g_free(m->session);
    g_free(m->status);
    g_hash_table_destroy(m->listed);
    g_hash_table_destroy(m->tree);
    g_ptr_array_free(m->problems, TRUE);
    g_free(m);
}

/* ---- strict JSON ------------------------------------------------------------------------ */

/* The string at S[*I] (its opening quote), strictly: *I moves past the closing quote.
 * NULL, or what is wrong (*AT at the escape concerned). */
static const char *verify_manifest_strict_string(const char *s, size_t len, size_t *pi, size_t *at)
{
    size_t i = *pi;
    for (i++;; i++) {
        if (i >= len)
            return "unterminated string";
        unsigned char u = (unsigned char)s[i];
        if (u == '"')
            break;
        if (u < 0x20)
            return "control character in a string";
        if (u != '\\')
            continue;
        *at = i;
        if (++i >= len)
            return "unterminated string";
        if (s[i] && strchr("\"\\/bfnrt", s[i]))
            continue;
        if (s[i] != 'u' || len - i < 5)
            return "invalid escape in a string";
        unsigned v = 0;
        for (int k = 1; k <= 4; k++) {
            int h = g_ascii_xdigit_value(s[i + k]);
            if (h < 0)
                return "invalid escape in a string";
            v = v * 16 + (unsigned)h;
        }
        if (v == 0)
            return "NUL character (\\u0000) in a string";
        i += 4;
    }
    *pi = i + 1; /* the closing quote */
    return NULL;
}

/* The number at S[*I] (RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?): *I moves
 * past it.  False when it is not one. */
static bool verify_manifest_strict_number(const char *s, size_t len, size_t *pi)
{
    size_t i = *pi;
    if (s[i] == '-')
        i++;
    if (i < len && s[i] == '0')
        i++;
    else if (i < len && g_ascii_isdigit(s[i]))
        while (i < len && g_ascii_isdigit(s[i]))
            i++;
    else
        return false;
    if (i < len && s[i] == '.') {
        if (++i >= len || !g_ascii_isdigit(s[i]))
            return false;
        while (i < len && g_ascii_isdigit(s[i]))
            i++;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= len || !g_ascii_isdigit(s[i]))
            return false;
        while (i < len && g_ascii_isdigit(s[i]))
            i++;
    }
    *pi = i;
    return true;
}

/* true, false or null at S[*I]: *I moves past it.  False when it is none of them. */
static bool verify_manifest_strict_word(const char *s, size_t len, size_t *pi)
{
    static const char *const words[] = {"true", "false", "null"};
    for (size_t k = 0; k < G_N_ELEMENTS(words); k++) {
        size_t n = strlen(words[k]);
        if (len - *pi >= n && !memcmp(s + *pi, words[k], n)) {
            *pi += n;
            return true;
        }
    }
    return false;
}

/* What the strict check expects next. */
enum verify_manifest_want {
    WANT_VALUE,
    WANT_VALUE_OR_CLOSE,
    WANT_KEY,
    WANT_KEY_OR_CLOSE,
    WANT_COLON,
    WANT_COMMA_OR_CLOSE,
    WANT_END
};

/* The value (or name) that starts at S[*I], WANT what was expected: an object or array
 * opened on STACK, a string, number or word read past; *WANT what comes after it.  NULL
 * or what is wrong (static text). */
static const char *verify_manifest_strict_value(const char *s, size_t len, size_t *i, size_t *at,
                                                char *stack, size_t *depth,
                                                enum verify_manifest_want *want)
{
    char c = s[*i];
    bool key = *want == WANT_KEY || *want == WANT_KEY_OR_CLOSE;
    if (c == '{' || c == '[') {
        if (key)
            return "a name in quotes expected";
        if (*depth == VERIFY_MANIFEST_MAX_DEPTH)
            return "nested too deep";
        stack[(*depth)++] = c;
        (*i)++;
        *want = c == '{' ? WANT_KEY_OR_CLOSE : WANT_VALUE_OR_CLOSE;
        return NULL;
    }
    if (c == '"') {
        const char *bad = verify_manifest_strict_string(s, len, i, at);
        if (bad)
            return bad;
        if (key) {
            *want = WANT_COLON;
            return NULL;
        }
    } else if (c == '-' || g_ascii_isdigit(c)) {
        if (!verify_manifest_strict_number(s, len, i))
            return "invalid number";
    } else if (!verify_manifest_strict_word(s, len, i)) {
        return "unexpected character";
    }
    *want = *depth == 0 ? WANT_END : WANT_COMMA_OR_CLOSE;
    return NULL;
}

/* json-glib 1.6 also takes single-quoted strings, comments and raw control characters,
 * turns "\u0000" into the end of a string and recurses once per nesting level (a deep
 * enough file overflows the stack).  The manifest is checked against RFC 8259, without
 * recursion, before json-glib sees it.  Returns NULL or what is wrong (static text);
 * *at gets the byte offset. */
static const char *verify_manifest_strict(const char *s, size_t len, size_t *at)
{
    enum verify_manifest_want want = WANT_VALUE;
    char stack[VERIFY_MANIFEST_MAX_DEPTH];
    size_t depth = 0, i = 0;
    for (;;) {
        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
            i++;
        *at = i;
        if (i == len)
            return want == WANT_END ? NULL : "unexpected end";
        char c = s[i];
        switch (want) {
        case WANT_END:
            return "text after the end";
        case WANT_COLON:
            if (c != ':')
                return "':' expected";
            i++;
            want = WANT_VALUE;
            continue;
        case WANT_COMMA_OR_CLOSE:
            if (c == ',') {
                i++;
                want = stack[depth - 1] == '{' ? WANT_KEY : WANT_VALUE;
                continue;
            }
            if (c != (stack[depth - 1] == '{' ? '}' : ']'))
                return "',' or the end of the object or array expected";
            i++;
            depth--;
            want = depth == 0 ? WANT_END : WANT_COMMA_OR_CLOSE;
            continue;
        case WANT_KEY_OR_CLOSE:
        case WANT_VALUE_OR_CLOSE:
            if (c == (want == WANT_KEY_OR_CLOSE ? '}' : ']')) {
                i++;
                depth--;
                want = depth == 0 ? WANT_END : WANT_COMMA_OR_CLOSE;
                continue;
            }
            if (want == WANT_KEY_OR_CLOSE && c != '"')
                return "a name in quotes expected";
            break;
        case WANT_KEY:
            if (c != '"')
                return "a name in quotes expected";
            break;
        case WANT_VALUE:
            break;
        }
        const char *bad = verify_manifest_strict_value(s, len, &i, at, stack, &depth, &want);
        if (bad)
            return bad;
    }
}

/* ---- fields ----------------------------------------------------------------------------- */

bool verify_manifest_path_ok(const char *p)
{
    if (!p || !*p || strlen(p) > VERIFY_MANIFEST_MAX_PATH || !g_utf8_validate(p, -1, NULL))
        return false;
    if (!g_ascii_strcasecmp(p, MANIFEST_NAME) ||
        !g_ascii_strcasecmp(p, MANIFEST_NAME SIGN_SUFFIX) ||
        !g_ascii_strcasecmp(p, MANIFEST_SUMS_NAME) ||
        !g_ascii_strcasecmp(p, MANIFEST_SUMS_NAME SIGN_SUFFIX))
        return false; /* the kiosk keeps these names for itself, in any case */
    char **parts = g_strsplit(p, "/", VERIFY_MANIFEST_MAX_PARTS + 1);
    bool ok = g_strv_length(parts) <= VERIFY_MANIFEST_MAX_PARTS;
    for (char **q = parts; *q && ok; q++) {
        /* names_sanitize() refuses "", "." and "..", so this also keeps the path inside. */
        char *clean = names_sanitize(*q);
        ok = strcmp(clean, *q) == 0;
        g_free(clean);
    }
    g_strfreev(parts);
    return ok;
}

/* An RFC 3339 time as unix seconds, or -1. */
static gint64 verify_manifest_time(const char *t)
{
    GDateTime *dt = t ? g_date_time_new_from_iso8601(t, NULL) : NULL;
    if (!dt)
        return -1;
    gint64 v = g_date_time_to_unix(dt);
    g_date_time_unref(dt);
    return v;
}

/* The tree of listed names.  Each name is a node keyed by its folder's id and the name as
 * Windows readers compare it (names_compare_key, the kiosk's names_dir rule), so looking
 * up or adding a path costs its length. */
struct verify_manifest_node {
    guint id;   /* > 0 */
    bool dir;   /* a folder on the way to listed files (else a listed file) */
    char *name; /* the name as listed */
};

static void verify_manifest_node_free(gpointer p)
{
    struct verify_manifest_node *n = p;
    g_free(n->name);
    g_free(n);
}

static char *verify_manifest_key(guint folder, const char *name)
{
    char *k = names_compare_key(name);
    char *key = g_strdup_printf("%u/%s", folder, k ? k : name);
    g_free(k);
    return key;
}

guint verify_manifest_folder(const struct verify_manifest *m, guint folder, const char *name)
{
    char *key = verify_manifest_key(folder, name);
    const struct verify_manifest_node *n = g_hash_table_lookup(m->tree, key);
    g_free(key);
    return n && n->dir && !strcmp(n->name, name) ? n->id : 0;
}

/* Add the path PARTS (a file in its folders) to the tree, or return the listed name it
 * clashes with: one that differs only in case, or a file where a folder is (or the other
 * way round).  Nothing is added on a clash. */
static const char *verify_manifest_add(struct verify_manifest *m, char **parts)
{
    guint n = g_strv_length(parts), folder = 0;
    for (int pass = 0; pass < 2; pass++) { /* 0: look for a clash, 1: add */
        folder = 0;
        for (guint k = 0; k < n; k++) {
            bool dir = k + 1 < n;
            char *key = verify_manifest_key(folder, parts[k]);
            struct verify_manifest_node *node = g_hash_table_lookup(m->tree, key);
            if (node && (node->dir != dir || strcmp(node->name, parts[k]) != 0 || !dir)) {
                g_free(key);
                return node->name; /* (!dir: the same file twice; the caller checks first) */
            }
            if (!node && pass == 0) {
                g_free(key);
                break; /* the rest is new */
            }
            if (!node) {
                node = g_new0(struct verify_manifest_node, 1);
                node->id = g_hash_table_size(m->tree) + 1;
                node->dir = dir;
                node->name = g_strdup(parts[k]);
                g_hash_table_insert(m->tree, key, node); /* key transferred */
            } else {
                g_free(key);
            }
            folder = node->id;
        }
    }
    return NULL;
}

/* "sanitized": {"removed": [strings, at least one], "original": {"sha256": hex, "size": >= 0}} */
static bool verify_manifest_sanitized_ok(JsonObject *f)
{
    JsonNode *n = json_object_get_member(f, "sanitized");
    if (!n || !JSON_NODE_HOLDS_OBJECT(n))
        return false;
    JsonObject *s = json_node_get_object(n);
    JsonNode *rn = json_object_get_member(s, "removed");
    JsonNode *on = json_object_get_member(s, "original");
    if (!rn || !JSON_NODE_HOLDS_ARRAY(rn) || !on || !JSON_NODE_HOLDS_OBJECT(on))
        return false;
    JsonArray *ra = json_node_get_array(rn);
    if (json_array_get_length(ra) == 0)
        return false;
    for (guint k = 0; k < json_array_get_length(ra); k++) {
        JsonNode *e = json_array_get_element(ra, k);
        if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING)
            return false;
    }
    JsonObject *o = json_node_get_object(on);
    const char *sha = json_member_string(o, "sha256", NULL);
    JsonNode *sz = json_object_get_member(o, "size");
    return sha && strlen(sha) == 64 && strspn(sha, "0123456789abcdefABCDEF") == 64 && sz &&
           JSON_NODE_HOLDS_VALUE(sz) && json_node_get_value_type(sz) == G_TYPE_INT64 &&
           json_node_get_int(sz) >= 0;
}

static void verify_manifest_file(struct verify_manifest *m, guint i, JsonObject *f)
{
    JsonNode *sp = json_object_get_member(f, "staged_path");
    if (!sp || JSON_NODE_HOLDS_NULL(sp))
        return; /* held back: must not be in the folder (the unlisted check catches it) */
    const char *rel = json_member_string(f, "staged_path", NULL);
    if (!rel) {
        verify_manifest_problem(m,
                                "MANIFEST.json: files[%u] has a staged_path that is not a "
                                "string",
                                i);
        return;
    }
    char *shown = names_display(rel);
    char **parts = NULL;
    const char *clash = NULL;
    if (!verify_manifest_path_ok(rel)) {
        verify_manifest_problem(m, "MANIFEST.json: files[%u] has an unsafe staged_path '%s'", i,
                                shown);
        goto out;
    }
    if (g_hash_table_contains(m->listed, rel)) {
        verify_manifest_problem(m, "MANIFEST.json lists %s twice", shown);
        goto out;
    }
    parts = g_strsplit(rel, "/", -1);
    clash = verify_manifest_add(m, parts);
    if (clash) {
        char *c = names_display(clash);
        verify_manifest_problem(m,
                                "MANIFEST.json lists %s, which clashes with the listed name %s "
                                "(names that differ only in case, or a file and a folder)",
                                shown, c);
        g_free(c);
        goto out;
    }

    const char *verdict = json_member_string(f, "verdict", NULL);
    bool sanitized = g_strcmp0(verdict, "sanitized") == 0;
    if (!sanitized && g_strcmp0(verdict, "clean") != 0) {
        char *v = names_display(verdict ? verdict : "?");
        verify_manifest_problem(m, "MANIFEST.json: files[%u] (%s) is delivered with verdict '%s'",
                                i, shown, v);
        g_free(v);
    }
    if (sanitized && !verify_manifest_sanitized_ok(f))
        verify_manifest_problem(m,
                                "MANIFEST.json: files[%u] (%s) is a sanitized copy without what "
                                "was removed or the original's SHA-256 and size",
                                i, shown);

    struct verify_manifest_file *e = g_new0(struct verify_manifest_file, 1);
    e->index = i;
    e->sanitized = sanitized;
    m->sanitized += sanitized;
    e->path = g_strdup(rel);
    e->size = -1;
    JsonNode *sz = json_object_get_member(f, "size");
    if (sz && JSON_NODE_HOLDS_VALUE(sz) && json_node_get_value_type(sz) == G_TYPE_INT64 &&
        json_node_get_int(sz) >= 0)
        e->size = json_node_get_int(sz);
    else
        verify_manifest_problem(m, "MANIFEST.json: files[%u] (%s) has no valid size", i, shown);
    const char *sha = json_member_string(f, "sha256", NULL);
    if (sha && strlen(sha) == 64 && strspn(sha, "0123456789abcdefABCDEF") == 64) {
        for (int k = 0; k < 64; k++)
            e->sha256[k] = g_ascii_tolower(sha[k]);
    } else {
        verify_manifest_problem(m, "MANIFEST.json: files[%u] (%s) has no valid sha256", i, shown);
    }
    g_hash_table_insert(m->listed, e->path, e);
out:
    g_strfreev(parts);
    g_free(shown);
}

int verify_manifest_parse(const char *json, size_t len, struct verify_manifest **out)
{
    struct verify_manifest *m = g_new0(struct verify_manifest, 1);
    m->listed = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, verify_manifest_file_free);
    m->tree = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, verify_manifest_node_free);
    m->problems = g_ptr_array_new_with_free_func(g_free);
    m->started = m->finished = -1;
    *out = m;

    size_t at = 0;
    const char *bad = NULL;
    const char *end = json;
    if (len > G_MAXSSIZE || !g_utf8_validate_len(json, len, &end)) {
        bad = "it is not UTF-8 text";
        at = (size_t)(end - json);
    } else {
        bad = verify_manifest_strict(json, len, &at);
    }
    if (bad) {
        verify_manifest_problem(m, "MANIFEST.json is not valid JSON: %s (at byte %zu)", bad, at);
        return KERR_CORRUPT;
    }
    JsonParser *parser = json_parser_new_immutable();
    GError *err = NULL;
    int rc = KERR_CORRUPT;
    if (!json_parser_load_from_data(parser, json, (gssize)len, &err) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        char *shown = names_display(err ? err->message : "not an object");
        verify_manifest_problem(m, "MANIFEST.json is not valid JSON: %s", shown);
        g_free(shown);
        g_clear_error(&err);
        goto out;
    }
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    m->session = g_strdup(json_member_string(o, "session", NULL));
    m->status = g_strdup(json_member_string(o, "status", NULL));
    m->started = verify_manifest_time(json_member_string(o, "started", NULL));
    m->finished = verify_manifest_time(json_member_string(o, "finished", NULL));
    if (g_strcmp0(m->status, "delivered") != 0 && g_strcmp0(m->status, "partial") != 0) {
        char *shown = names_display(m->status ? m->status : "?");
        verify_manifest_problem(m, "MANIFEST.json: status is '%s', not a delivery", shown);
        g_free(shown);
    }
    JsonNode *fn = json_object_get_member(o, "files");
    if (!fn || !JSON_NODE_HOLDS_ARRAY(fn)) {
        verify_manifest_problem(m, "MANIFEST.json has no file list");
    } else {
        JsonArray *files = json_node_get_array(fn);
        for (guint i = 0; i < json_array_get_length(files); i++) {
            JsonNode *n = json_array_get_element(files, i);
            if (JSON_NODE_HOLDS_OBJECT(n))
                verify_manifest_file(m, i, json_node_get_object(n));
            else
                verify_manifest_problem(m, "MANIFEST.json: files[%u] is not an object", i);
        }
    }
    rc = 0;
out:
    g_object_unref(parser);
    return rc;
}

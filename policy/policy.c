/* policy.c - load, validate and apply the kiosk's file policy (see policy.h and
 * docs/policy.md).
 *
 * Loading is two passes over the text.  A small pre-pass of our own reads it line by
 * line: it reports syntax errors, duplicate groups and duplicate keys with their line
 * numbers (GKeyFile keeps no line numbers and silently merges duplicates) and records the
 * line of every [group] and key=.  The lines it accepted are then handed to GKeyFile,
 * which does value unescaping and list splitting; each value is validated with the line
 * found by the pre-pass.  Every problem is collected; a policy with any problem is never
 * returned (fail closed). */
#include "policy/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/kerr.h"
#include "common/util.h"

/* A policy file is a few kilobytes; anything much larger is not a policy. */
#define POLICY_FILE_MAX (1024 * 1024)
#define POLICY_NAME_MAX 200

/* ---- pre-pass index ---------------------------------------------------------------- */

struct policy_key_ref {
    char *key;
    int line;
};

struct policy_group_ref {
    char *name;
    int line;
    GPtrArray *keys; /* struct policy_key_ref * */
};

/* State of one load. */
struct policy_ctx {
    GPtrArray *groups; /* struct policy_group_ref *, file order, duplicates left out */
    GKeyFile *kf;
    GPtrArray *errors; /* caller's; may be NULL */
    unsigned n_errors;
};

static void policy_key_ref_free(gpointer data)
{
    struct policy_key_ref *k = data;

    if (!k)
        return;
    g_free(k->key);
    g_free(k);
}

static void policy_group_ref_free(gpointer data)
{
    struct policy_group_ref *g = data;

    if (!g)
        return;
    g_free(g->name);
    if (g->keys)
        g_ptr_array_unref(g->keys);
    g_free(g);
}

static void policy_error_add(struct policy_ctx *ctx, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void policy_error_add(struct policy_ctx *ctx, int line, const char *fmt, ...)
{
    va_list ap;

    ctx->n_errors++;
    if (!ctx->errors)
        return;
    struct policy_error *e = g_new0(struct policy_error, 1);
    e->line = line;
    va_start(ap, fmt);
    e->message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(ctx->errors, e);
}

void policy_error_free(gpointer data)
{
    struct policy_error *e = data;

    if (!e)
        return;
    g_free(e->message);
    g_free(e);
}

static struct policy_group_ref *policy_index_group(const struct policy_ctx *ctx, const char *name)
{
    for (guint i = 0; i < ctx->groups->len; i++) {
        struct policy_group_ref *g = g_ptr_array_index(ctx->groups, i);
        if (strcmp(g->name, name) == 0)
            return g;
    }
    return NULL;
}

static const struct policy_key_ref *policy_index_key(const struct policy_group_ref *g,
                                                     const char *key)
{
    for (guint i = 0; i < g->keys->len; i++) {
        const struct policy_key_ref *k = g_ptr_array_index(g->keys, i);
        if (strcmp(k->key, key) == 0)
            return k;
    }
    return NULL;
}

/* Line of KEY in G, or of the group header when the key is absent. */
static int policy_key_line(const struct policy_group_ref *g, const char *key)
{
    const struct policy_key_ref *k = g ? policy_index_key(g, key) : NULL;

    if (k)
        return k->line;
    return g ? g->line : 0;
}

static bool policy_is_key_name(const char *s, size_t len)
{
    if (len == 0)
        return false;
    /* a GKeyFile locale key: name[locale], e.g. reason[ja] (the known-key check decides
     * which ones a group takes) */
    if (s[len - 1] == ']') {
        const char *open = memchr(s, '[', len);
        if (!open || open == s || open + 2 >= s + len)
            return false;
        for (const char *c = open + 1; c < s + len - 1; c++)
            if (!g_ascii_isalnum(*c) && *c != '_' && *c != '-' && *c != '@')
                return false;
        len = (size_t)(open - s);
    }
    for (size_t i = 0; i < len; i++) {
        if (!g_ascii_isalnum(s[i]) && s[i] != '-')
            return false;
    }
    return true;
}

static bool policy_is_group_name(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '[' || c == ']')
            return false;
    }
    return true;
}

/* A [group] header line of the pre-pass (trimmed, LEN > 0): a new group in ctx->groups
 * and *CUR, or an error (malformed, or a group seen before) and *CUR NULL. */
static void policy_prepass_group(struct policy_ctx *ctx, int lineno, const char *line, size_t len,
                                 GString *clean, struct policy_group_ref **cur, bool *in_group)
{
    if (line[len - 1] != ']' || !policy_is_group_name(line + 1, len - 2)) {
        policy_error_add(ctx, lineno,
                         "malformed group header '%.*s': write it as [name] on a line "
                         "of its own",
                         (int)len, line);
        *cur = NULL;
        *in_group = true;
        return;
    }
    char *name = g_strndup(line + 1, len - 2);
    struct policy_group_ref *prev = policy_index_group(ctx, name);
    *in_group = true;
    if (prev) {
        policy_error_add(ctx, lineno, "group [%s] appears twice (first at line %d); merge the two",
                         name, prev->line);
        g_free(name);
        *cur = NULL;
        return;
    }
    struct policy_group_ref *g = g_new0(struct policy_group_ref, 1);
    g->name = name;
    g->line = lineno;
    g->keys = g_ptr_array_new_with_free_func(policy_key_ref_free);
    g_ptr_array_add(ctx->groups, g);
    *cur = g;
    g_string_append_printf(clean, "[%s]\n", name);
}

/* A key=value line of the pre-pass (trimmed, LEN > 0): indexed in *CUR and appended to
 * CLEAN as key=value, or an error. */
static void policy_prepass_key(struct policy_ctx *ctx, int lineno, const char *line, size_t len,
                               GString *clean, struct policy_group_ref **cur, bool *in_group)
{
    const char *eq = memchr(line, '=', len);
    if (!eq) {
        policy_error_add(ctx, lineno,
                         "'%.*s' is not a key=value line, a [group] header or a # comment",
                         (int)len, line);
        return;
    }
    size_t klen = (size_t)(eq - line);
    while (klen > 0 && (line[klen - 1] == ' ' || line[klen - 1] == '\t'))
        klen--;
    if (!policy_is_key_name(line, klen)) {
        policy_error_add(ctx, lineno,
                         "'%.*s' is not a valid key name (letters, digits and '-' only)", (int)klen,
                         line);
        return;
    }
    if (!*in_group) {
        policy_error_add(ctx, lineno, "key '%.*s' comes before the first [group] header", (int)klen,
                         line);
        return;
    }
    if (!*cur)
        return; /* inside a malformed or duplicate group: already reported */

    char *key = g_strndup(line, klen);
    const struct policy_key_ref *prev = policy_index_key(*cur, key);
    if (prev) {
        policy_error_add(ctx, lineno, "key '%s' appears twice in [%s] (first at line %d)", key,
                         (*cur)->name, prev->line);
        g_free(key);
        return;
    }
    struct policy_key_ref *k = g_new0(struct policy_key_ref, 1);
    k->key = key;
    k->line = lineno;
    g_ptr_array_add((*cur)->keys, k);
    /* normalized as key=value: GKeyFile sees exactly the key name we indexed */
    g_string_append(clean, key);
    g_string_append_len(clean, eq, (gssize)(len - (size_t)(eq - line)));
    g_string_append_c(clean, '\n');
}

/* One line of the pre-pass (LINE is not NUL-terminated, without its '\n').  Appends what
 * GKeyFile should see to CLEAN.  *cur is the group keys belong to (NULL before the first
 * group or inside a duplicate group), *in_group whether any group header was seen. */
static void policy_prepass_line(struct policy_ctx *ctx, int lineno, const char *line, size_t len,
                                GString *clean, struct policy_group_ref **cur, bool *in_group)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (memchr(line, '\0', len)) {
        policy_error_add(ctx, lineno, "the line contains a NUL byte; the file is not text");
        return;
    }
    if (!g_utf8_validate_len(line, len, NULL)) {
        policy_error_add(ctx, lineno, "the line is not valid UTF-8 text");
        return;
    }
    while (len > 0 && (*line == ' ' || *line == '\t')) {
        line++;
        len--;
    }
    while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    if (len == 0 || line[0] == '#')
        return;

    if (line[0] == '[')
        policy_prepass_group(ctx, lineno, line, len, clean, cur, in_group);
    else
        policy_prepass_key(ctx, lineno, line, len, clean, cur, in_group);
}

/* Fills ctx->groups and returns the accepted lines as text for GKeyFile. */
static GString *policy_prepass(struct policy_ctx *ctx, const char *data, size_t len)
{
    GString *clean = g_string_sized_new(len + 1);
    struct policy_group_ref *cur = NULL;
    bool in_group = false;
    size_t pos = 0;
    int lineno = 0;

    const unsigned char *u = (const unsigned char *)data;
    if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
        pos = 3; /* UTF-8 byte order mark, as some Windows editors write it */
    while (pos < len) {
        const char *start = data + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t llen = nl ? (size_t)(nl - start) : len - pos;
        lineno++;
        policy_prepass_line(ctx, lineno, start, llen, clean, &cur, &in_group);
        pos += llen + (nl ? 1 : 0);
    }
    return clean;
}

/* ---- value helpers ---------------------------------------------------------------- */

/* Report keys of G that are not in KNOWN (NULL-terminated). */
static void policy_check_keys(struct policy_ctx *ctx, const struct policy_group_ref *g,
                              const char *const *known)
{
    for (guint i = 0; i < g->keys->len; i++) {
        const struct policy_key_ref *k = g_ptr_array_index(g->keys, i);
        bool ok = false;
        for (size_t j = 0; known[j]; j++) {
            if (strcmp(k->key, known[j]) == 0) {
                ok = true;
                break;
            }
        }
        if (!ok) {
            char *list = g_strjoinv(", ", (char **)known);
            policy_error_add(ctx, k->line, "unknown key '%s' in [%s] (known keys: %s)", k->key,
                             g->name, list);
            g_free(list);
        }
    }
}

/* *out = the unescaped, trimmed value of KEY.  Returns 1 when present, 0 when absent,
 * -1 when present but unreadable (reported). */
static int policy_get_string(struct policy_ctx *ctx, const struct policy_group_ref *g,
                             const char *key, char **out)
{
    GError *err = NULL;

    *out = NULL;
    if (!policy_index_key(g, key))
        return 0;
    char *s;
    const char *open = strchr(key, '[');
    if (open) { /* a locale key, name[locale]: present (indexed), so no fallback happens */
        char *base = g_strndup(key, (size_t)(open - key));
        char *locale = g_strndup(open + 1, strlen(open + 1) - 1);
        s = g_key_file_get_locale_string(ctx->kf, g->name, base, locale, &err);
        g_free(base);
        g_free(locale);
    } else {
        s = g_key_file_get_string(ctx->kf, g->name, key, &err);
    }
    if (!s || err) { /* GLib may return the raw text and an error for a bad escape */
        g_free(s);
        policy_error_add(ctx, policy_key_line(g, key),
                         "%s: the value cannot be read (%s); check backslash escapes", key,
                         err ? err->message : "unknown error");
        g_clear_error(&err);
        return -1;
    }
    *out = g_strstrip(s);
    return 1;
}

/* The same for a ';'-separated list; entries are trimmed. */
static int policy_get_list(struct policy_ctx *ctx, const struct policy_group_ref *g,
                           const char *key, char ***out)
{
    GError *err = NULL;
    gsize n = 0;

    *out = NULL;
    if (!policy_index_key(g, key))
        return 0;
    char **l = g_key_file_get_string_list(ctx->kf, g->name, key, &n, &err);
    if (!l || err) {
        if (g_error_matches(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE)) {
            g_strfreev(l);
            policy_error_add(ctx, policy_key_line(g, key),
                             "%s: the value cannot be read (%s); check backslash escapes", key,
                             err->message);
            g_clear_error(&err);
            return -1;
        }
        g_clear_error(&err);
        g_strfreev(l);
        l = g_new0(char *, 1); /* an empty value is an empty list */
    }
    for (gsize i = 0; l[i]; i++)
        g_strstrip(l[i]);
    *out = l;
    return 1;
}

/* Find VALUE among NAMES; returns its index or -1 after reporting. */
static int policy_get_choice(struct policy_ctx *ctx, const struct policy_group_ref *g,
                             const char *key, const char *const *names, int def)
{
    char *s = NULL;
    int r = policy_get_string(ctx, g, key, &s);
    int ret = def;

    if (r <= 0)
        goto out;
    for (int i = 0; names[i]; i++) {
        if (strcmp(s, names[i]) == 0) {
            ret = i;
            goto out;
        }
    }
    char *list = g_strjoinv(" or ", (char **)names);
    policy_error_add(ctx, policy_key_line(g, key), "%s must be %s, not '%s'", key, list, s);
    g_free(list);
    ret = -1;
out:
    g_free(s);
    return ret;
}

static bool policy_strv_contains(char *const *v, const char *s)
{
    for (size_t i = 0; v && v[i]; i++) {
        if (strcmp(v[i], s) == 0)
            return true;
    }
    return false;
}

/* ---- [policy] --------------------------------------------------------------------- */

static void policy_parse_header(struct policy_ctx *ctx, const struct policy_group_ref *g,
                                struct policy *p)
{
    static const char *const known[] = {"name", "version", NULL};
    char *s = NULL;
    int r;

    policy_check_keys(ctx, g, known);

    r = policy_get_string(ctx, g, "name", &s);
    if (r == 0) {
        policy_error_add(ctx, g->line, "[policy] has no name=; give the policy a name");
    } else if (r > 0) {
        bool ok = s[0] != '\0' && strlen(s) <= POLICY_NAME_MAX;
        for (const char *c = s; ok && *c; c++)
            ok = (unsigned char)*c >= 0x20 && *c != 0x7f;
        if (ok)
            p->name = g_steal_pointer(&s);
        else
            policy_error_add(ctx, policy_key_line(g, "name"),
                             "name must be 1 to %d printable characters", POLICY_NAME_MAX);
    }
    g_clear_pointer(&s, g_free);

    r = policy_get_string(ctx, g, "version", &s);
    if (r == 0) {
        policy_error_add(ctx, g->line,
                         "[policy] has no version=; number each edition (1, 2, 3 ...)");
    } else if (r > 0) {
        guint64 v = 0;
        if (g_ascii_string_to_unsigned(s, 10, 1, G_MAXUINT64, &v, NULL))
            p->version = v;
        else
            policy_error_add(ctx, policy_key_line(g, "version"),
                             "version must be a positive whole number, not '%s'", s);
    }
    g_free(s);
}

/* ---- [type:NAME] ------------------------------------------------------------------ */

static bool policy_mime_pattern_ok(const char *s)
{
    if (!*s || !strchr(s, '/'))
        return false;
    for (const char *c = s; *c; c++) {
        if ((unsigned char)*c <= 0x20 || *c == 0x7f || *c == ';')
            return false;
    }
    return true;
}

static bool policy_extension_ok(const char *s)
{
    if (strcmp(s, "*") == 0) /* any extension (for content that is harmless whatever its name) */
        return true;
    for (const char *c = s; *c; c++) {
        if ((unsigned char)*c <= 0x20 || *c == 0x7f || *c == '.' || *c == '/' || *c == '\\' ||
            g_ascii_isupper(*c))
            return false;
    }
    return true;
}

static void policy_rule_clear(struct policy_type_rule *r)
{
    g_free(r->name);
    g_strfreev(r->mime);
    g_strfreev(r->extensions);
    g_free(r->reason);
    g_free(r->reason_ja);
    memset(r, 0, sizeof(*r));
}

/* A type rule's mime= (into R): at least one pattern, each type/subtype. */
static void policy_parse_rule_mime(struct policy_ctx *ctx, const struct policy_group_ref *g,
                                   struct policy_type_rule *r)
{
    int n = policy_get_list(ctx, g, "mime", &r->mime);
    if (n == 0 || (n > 0 && !r->mime[0])) {
        policy_error_add(ctx, policy_key_line(g, "mime"),
                         "[%s] needs mime= with at least one MIME type pattern", g->name);
    } else if (n > 0) {
        for (size_t i = 0; r->mime[i]; i++) {
            if (!policy_mime_pattern_ok(r->mime[i]))
                policy_error_add(ctx, policy_key_line(g, "mime"),
                                 "'%s' is not a MIME type pattern (type/subtype, "
                                 "e.g. application/pdf or image/*)",
                                 r->mime[i]);
        }
    }
}

/* A type rule's extensions= (into R), ACT its action (0 allow, 1 block, -2 none): required
 * by allow rules, refused in block rules, each lower case without the dot. */
static void policy_parse_rule_extensions(struct policy_ctx *ctx, const struct policy_group_ref *g,
                                         int act, struct policy_type_rule *r)
{
    int n = policy_get_list(ctx, g, "extensions", &r->extensions);
    if (act == 1 && n != 0) {
        policy_error_add(ctx, policy_key_line(g, "extensions"),
                         "extensions= is only used by allow rules; a block rule matches by "
                         "content (mime=) whatever the name");
    } else if (act == 0 && (n == 0 || (n > 0 && !r->extensions[0]))) {
        policy_error_add(ctx, policy_key_line(g, "extensions"),
                         "allow rule [%s] needs extensions= listing the file name extensions "
                         "it accepts",
                         g->name);
    } else if (n > 0) {
        for (size_t i = 0; r->extensions[i]; i++) {
            if (!policy_extension_ok(r->extensions[i]))
                policy_error_add(ctx, policy_key_line(g, "extensions"),
                                 "extension '%s' must be written in lower case, without the "
                                 "dot (e.g. pdf)",
                                 r->extensions[i]);
        }
    }
}

static void policy_parse_rule(struct policy_ctx *ctx, const struct policy_group_ref *g,
                              GArray *rules)
{
    static const char *const known[] = {"mime",   "extensions", "action", "archive",
                                        "reason", "reason[ja]", NULL};
    static const char *const actions[] = {"allow", "block", NULL};
    static const char *const bools[] = {"true", "false", NULL};
    struct policy_type_rule r = {0};
    unsigned before = ctx->n_errors;
    const char *rname = g->name + strlen("type:");

    policy_check_keys(ctx, g, known);
    r.line = g->line;
    r.name = g_strdup(rname);
    if (!*rname)
        policy_error_add(ctx, g->line, "a type rule needs a name: write [type:NAME]");

    int act = policy_get_choice(ctx, g, "action", actions, -2);
    if (act == -2)
        policy_error_add(ctx, g->line, "[%s] has no action=; write action=allow or action=block",
                         g->name);
    r.action = act == 0 ? POLICY_ALLOW : POLICY_BLOCK;

    policy_parse_rule_mime(ctx, g, &r);
    policy_parse_rule_extensions(ctx, g, act, &r);

    int arch = policy_get_choice(ctx, g, "archive", bools, -2);
    if (arch != -2 && act == 1)
        policy_error_add(ctx, policy_key_line(g, "archive"),
                         "archive= is only used by allow rules");
    r.archive = arch == 0;

    int n = policy_get_string(ctx, g, "reason", &r.reason);
    if (n > 0 && act == 0)
        policy_error_add(ctx, policy_key_line(g, "reason"),
                         "reason= is only shown for block rules; remove it from allow rule [%s]",
                         g->name);
    else if (n > 0 && !r.reason[0])
        g_clear_pointer(&r.reason, g_free);
    n = policy_get_string(ctx, g, "reason[ja]", &r.reason_ja);
    if (n > 0 && act == 0)
        policy_error_add(ctx, policy_key_line(g, "reason[ja]"),
                         "reason[ja]= is only shown for block rules; remove it from allow rule "
                         "[%s]",
                         g->name);
    else if (n > 0 && !r.reason_ja[0])
        g_clear_pointer(&r.reason_ja, g_free);

    if (ctx->n_errors == before)
        g_array_append_val(rules, r);
    else
        policy_rule_clear(&r);
}

/* ---- [limits] --------------------------------------------------------------------- */

struct policy_limit_def {
    const char *key;
    bool size;    /* accepts K/M/G suffixes */
    uint64_t max; /* largest value allowed (min is 1) */
    uint64_t def; /* built-in default */
    size_t offset;
    size_t width; /* 4 or 8 bytes */
    const char *unit;
};

#define POLICY_LIMIT(k, sz, mx, df, field, u)                                                      \
    {                                                                                              \
        .key = k, .size = sz, .max = mx, .def = df,                                                \
        .offset = offsetof(struct policy_limits, field),                                           \
        .width = sizeof(((struct policy_limits *)0)->field), .unit = u                             \
    }

#define KiB ((uint64_t)1 << 10)
#define MiB ((uint64_t)1 << 20)
#define GiB ((uint64_t)1 << 30)

static const struct policy_limit_def policy_limit_defs[] = {
    POLICY_LIMIT("max-file-size", true, POLICY_CLAMAV_LIMIT_MAX - 1, 100 * MiB, max_file_size,
                 "bytes"),
    POLICY_LIMIT("max-session-bytes", true, 16 * 1024 * GiB, 4 * GiB, max_session_bytes, "bytes"),
    POLICY_LIMIT("max-files", false, 1000000, 10000, max_files, "files"),
    POLICY_LIMIT("max-depth", false, 256, 32, max_depth, "folder levels"),
    POLICY_LIMIT("max-session-time", false, 24 * 3600, 1800, max_session_time, "seconds"),
    POLICY_LIMIT("scan-max-filesize", true, POLICY_CLAMAV_LIMIT_MAX - 1, 100 * MiB,
                 scan_max_filesize, "bytes"),
    POLICY_LIMIT("scan-max-scansize", true, POLICY_CLAMAV_LIMIT_MAX - 1, 400 * MiB,
                 scan_max_scansize, "bytes"),
    POLICY_LIMIT("scan-max-recursion", false, 100, 17, scan_max_recursion, "levels"),
    POLICY_LIMIT("scan-max-files", false, 1000000, 10000, scan_max_files, "files"),
    POLICY_LIMIT("scan-max-time", false, 3600 * 1000, 120000, scan_max_time, "milliseconds"),
};

static void policy_limit_store(struct policy_limits *l, const struct policy_limit_def *d,
                               uint64_t v)
{
    char *field = (char *)l + d->offset;

    if (d->width == sizeof(uint32_t)) {
        uint32_t v32 = (uint32_t)v;
        memcpy(field, &v32, sizeof(v32));
    } else {
        memcpy(field, &v, sizeof(v));
    }
}

static void policy_limits_defaults(struct policy_limits *l)
{
    for (size_t i = 0; i < G_N_ELEMENTS(policy_limit_defs); i++)
        policy_limit_store(l, &policy_limit_defs[i], policy_limit_defs[i].def);
}

static void policy_parse_limits(struct policy_ctx *ctx, const struct policy_group_ref *g,
                                struct policy_limits *l)
{
    const char *known[G_N_ELEMENTS(policy_limit_defs) + 1];

    for (size_t i = 0; i < G_N_ELEMENTS(policy_limit_defs); i++)
        known[i] = policy_limit_defs[i].key;
    known[G_N_ELEMENTS(policy_limit_defs)] = NULL;
    policy_check_keys(ctx, g, known);

    for (size_t i = 0; i < G_N_ELEMENTS(policy_limit_defs); i++) {
        const struct policy_limit_def *d = &policy_limit_defs[i];
        int line = policy_key_line(g, d->key);
        char *s = NULL;
        uint64_t v = 0;
        bool ok;

        if (policy_get_string(ctx, g, d->key, &s) <= 0)
            continue;
        if (d->size)
            ok = util_parse_size(s, &v);
        else
            ok = g_ascii_string_to_unsigned(s, 10, 0, G_MAXUINT64, &v, NULL);
        if (!ok) {
            policy_error_add(ctx, line,
                             d->size ? "%s: '%s' is not a size (a whole number of bytes, or "
                                       "with K, M or G, e.g. 64M)"
                                     : "%s: '%s' is not a whole number",
                             d->key, s);
        } else if (v == 0) {
            policy_error_add(ctx, line, "%s must be greater than 0", d->key);
        } else if (d->size && d->max == POLICY_CLAMAV_LIMIT_MAX - 1 &&
                   v >= POLICY_CLAMAV_LIMIT_MAX) {
            policy_error_add(ctx, line,
                             "%s: %s is too large; it must be below 1G (1073741824 bytes), "
                             "the most the virus scanner handles safely",
                             d->key, s);
        } else if (v > d->max) {
            policy_error_add(ctx, line, "%s: %s is too large; at most %" G_GUINT64_FORMAT " %s",
                             d->key, s, d->max, d->unit);
        } else {
            policy_limit_store(l, d, v);
        }
        g_free(s);
    }
}

/* Relations between limits, checked once all of them are known. */
static void policy_check_limits(struct policy_ctx *ctx, const struct policy_group_ref *g,
                                const struct policy_limits *l)
{
    if (l->max_file_size > l->scan_max_filesize) {
        int line = policy_key_line(g, "max-file-size");
        if (g && !policy_index_key(g, "max-file-size"))
            line = policy_key_line(g, "scan-max-filesize");
        policy_error_add(ctx, line,
                         "max-file-size (%" G_GUINT64_FORMAT " bytes) is larger than "
                         "scan-max-filesize (%" G_GUINT64_FORMAT " bytes): larger files could "
                         "not be scanned completely; make max-file-size <= scan-max-filesize",
                         l->max_file_size, l->scan_max_filesize);
    }
    if (l->scan_max_scansize < l->scan_max_filesize) {
        int line = policy_key_line(g, "scan-max-scansize");
        if (g && !policy_index_key(g, "scan-max-scansize"))
            line = policy_key_line(g, "scan-max-filesize");
        policy_error_add(ctx, line,
                         "scan-max-scansize (%" G_GUINT64_FORMAT " bytes) is smaller than "
                         "scan-max-filesize (%" G_GUINT64_FORMAT " bytes): such files would "
                         "not be scanned completely; make scan-max-scansize >= "
                         "scan-max-filesize",
                         l->scan_max_scansize, l->scan_max_filesize);
    }
}

/* ---- [scan], [walk], [media] ------------------------------------------------------ */

static void policy_parse_scan(struct policy_ctx *ctx, const struct policy_group_ref *g,
                              struct policy *p)
{
    static const char *const known[] = {"archives", "macros", "encrypted", "pdf", NULL};
    static const char *const archives[] = {"scan", "block", NULL};
    static const char *const block_allow[] = {"block", "allow", NULL};
    /* in enum policy_disarm order */
    static const char *const macros[] = {"block", "sanitize", "allow", NULL};
    static const char *const pdf[] = {"block-active", "sanitize", "allow", NULL};

    policy_check_keys(ctx, g, known);
    p->scan_archives = policy_get_choice(ctx, g, "archives", archives, 0) == 0;
    /* -1 (invalid) is reported and keeps the secure value: block */
    int m = policy_get_choice(ctx, g, "macros", macros, POLICY_DISARM_SANITIZE);
    p->macros = m < 0 ? POLICY_DISARM_BLOCK : (enum policy_disarm)m;
    p->block_macros = p->macros != POLICY_DISARM_ALLOW;
    int d = policy_get_choice(ctx, g, "pdf", pdf, POLICY_DISARM_SANITIZE);
    p->pdf = d < 0 ? POLICY_DISARM_BLOCK : (enum policy_disarm)d;
    p->block_encrypted = policy_get_choice(ctx, g, "encrypted", block_allow, 0) != 1;
}

static void policy_parse_walk(struct policy_ctx *ctx, const struct policy_group_ref *g,
                              struct policy *p)
{
    static const char *const known[] = {"skip", NULL};
    char **skip = NULL;

    policy_check_keys(ctx, g, known);
    if (policy_get_list(ctx, g, "skip", &skip) <= 0)
        return;
    for (size_t i = 0; skip[i]; i++) {
        if (!skip[i][0] || strchr(skip[i], '/') || strcmp(skip[i], ".") == 0 ||
            strcmp(skip[i], "..") == 0) {
            policy_error_add(ctx, policy_key_line(g, "skip"),
                             "skip: '%s' is not a file or folder name", skip[i]);
        }
    }
    g_strfreev(p->skip_names);
    p->skip_names = skip;
}

/* blkid TYPE names of filesystems the kiosk reads (udf with driver=kernel only). */
static const char *const policy_known_filesystems[] = {
    "vfat", "exfat", "ntfs", "ext2", "ext3", "ext4", "hfsplus", "iso9660", "udf", NULL,
};

static void policy_parse_media(struct policy_ctx *ctx, const struct policy_group_ref *g,
                               struct policy *p)
{
    static const char *const known[] = {"driver", "filesystems", NULL};
    /* "fuse" was the default's name while FUSE drivers read the media: it still means the
     * default, so policies written then keep their meaning. */
    static const char *const drivers[] = {"reader", "kernel", "fuse", NULL};
    char **fs = NULL;

    policy_check_keys(ctx, g, known);
    p->driver = policy_get_choice(ctx, g, "driver", drivers, 0) == 1 ? POLICY_DRIVER_KERNEL
                                                                     : POLICY_DRIVER_READER;
    int r = policy_get_list(ctx, g, "filesystems", &fs);
    if (r <= 0)
        return;
    if (!fs[0])
        policy_error_add(ctx, policy_key_line(g, "filesystems"),
                         "filesystems= is empty: no medium could be read; list at least one");
    for (size_t i = 0; fs[i]; i++) {
        if (!policy_strv_contains((char **)policy_known_filesystems, fs[i])) {
            char *list = g_strjoinv(", ", (char **)policy_known_filesystems);
            policy_error_add(ctx, policy_key_line(g, "filesystems"),
                             "unknown filesystem type '%s' (use blkid names: %s)", fs[i], list);
            g_free(list);
        }
    }
    g_strfreev(p->filesystems);
    p->filesystems = fs;
}

/* ---- [edifact] ------------------------------------------------------------------------ */

static const char *const policy_edifact_checks[] = {"off", "warn", "block", NULL};

const char *policy_edifact_check_str(enum policy_edifact_check c)
{
    return (unsigned)c < 3 ? policy_edifact_checks[c] : "?";
}

static void policy_parse_edifact(struct policy_ctx *ctx, const struct policy_group_ref *g,
                                 struct policy *p)
{
    static const char *const known[] = {"check", "extensions", NULL};
    char **ext = NULL;

    policy_check_keys(ctx, g, known);
    int c = policy_get_choice(ctx, g, "check", policy_edifact_checks, POLICY_EDIFACT_WARN);
    /* -1 (invalid) is reported; the policy is then not used at all */
    p->edifact_check = c < 0 ? POLICY_EDIFACT_BLOCK : (enum policy_edifact_check)c;
    if (policy_get_list(ctx, g, "extensions", &ext) <= 0)
        return;
    for (size_t i = 0; ext[i]; i++) {
        if (!ext[i][0] || !policy_extension_ok(ext[i]) || strcmp(ext[i], "*") == 0)
            policy_error_add(ctx, policy_key_line(g, "extensions"),
                             "extension '%s' must be written in lower case, without the dot "
                             "(e.g. edi)",
                             ext[i]);
    }
    g_strfreev(p->edifact_extensions);
    p->edifact_extensions = ext;
}

/* ---- load ------------------------------------------------------------------------- */

void policy_free(struct policy *p)
{
    if (!p)
        return;
    g_free(p->path);
    g_free(p->name);
    for (size_t i = 0; i < p->n_rules; i++)
        policy_rule_clear(&p->rules[i]);
    g_free(p->rules);
    g_strfreev(p->skip_names);
    g_strfreev(p->filesystems);
    g_strfreev(p->edifact_extensions);
    g_free(p);
}

static struct policy *policy_new_defaults(const char *path)
{
    static const char *const skip[] = {
        "System Volume Information", "$RECYCLE.BIN", ".Trashes", ".Spotlight-V100", ".fseventsd",
        ".TemporaryItems",           NULL,
    };
    static const char *const fs[] = {"vfat", "exfat",   "ntfs",    "ext2", "ext3",
                                     "ext4", "hfsplus", "iso9660", NULL};
    static const char *const edi[] = {"edi",    "edifact", "baplie", "bap",    "movins",
                                      "coprar", "coarri",  "codeco", "vermas", NULL};
    struct policy *p = g_new0(struct policy, 1);

    p->path = g_strdup(path ? path : "(policy)");
    policy_limits_defaults(&p->limits);
    p->scan_archives = true;
    p->block_macros = true;
    p->macros = POLICY_DISARM_SANITIZE;
    p->pdf = POLICY_DISARM_SANITIZE;
    p->block_encrypted = true;
    p->skip_names = g_strdupv((char **)skip);
    p->driver = POLICY_DRIVER_READER;
    p->filesystems = g_strdupv((char **)fs);
    p->edifact_check = POLICY_EDIFACT_WARN;
    p->edifact_extensions = g_strdupv((char **)edi);
    return p;
}

static gint policy_error_cmp(gconstpointer a, gconstpointer b)
{
    const struct policy_error *ea = *(struct policy_error *const *)a;
    const struct policy_error *eb = *(struct policy_error *const *)b;
    int la = ea->line > 0 ? ea->line : G_MAXINT;
    int lb = eb->line > 0 ? eb->line : G_MAXINT;

    return (la > lb) - (la < lb);
}

/* Sort the errors appended from index FIRST on by line (stable; line 0 last), so that
 * an administrator reads them top to bottom. */
static void policy_errors_sort(GPtrArray *errors, guint first)
{
    if (!errors || errors->len <= first + 1)
        return;
    GPtrArray *tail = g_ptr_array_sized_new(errors->len - first);
    for (guint i = first; i < errors->len; i++)
        g_ptr_array_add(tail, g_ptr_array_index(errors, i));
    g_ptr_array_sort(tail, policy_error_cmp);
    for (guint i = 0; i < tail->len; i++)
        errors->pdata[first + i] = g_ptr_array_index(tail, i);
    g_ptr_array_unref(tail);
}

/* The groups that fill a part of the policy, each with its parser ([type:NAME] and
 * [limits] are parsed apart: into the rules, into the limits). */
static const struct policy_group_def {
    const char *name;
    void (*parse)(struct policy_ctx *ctx, const struct policy_group_ref *g, struct policy *p);
} policy_group_defs[] = {
    {"policy", policy_parse_header}, {"scan", policy_parse_scan},       {"walk", policy_parse_walk},
    {"media", policy_parse_media},   {"edifact", policy_parse_edifact},
};

/* Every group of ctx->groups parsed in file order into P and RULES, an unknown one
 * reported.  Returns the [limits] group (NULL when there is none). */
static const struct policy_group_ref *policy_parse_groups(struct policy_ctx *ctx, struct policy *p,
                                                          GArray *rules)
{
    const struct policy_group_ref *limits = NULL;
    for (guint i = 0; i < ctx->groups->len; i++) {
        const struct policy_group_ref *g = g_ptr_array_index(ctx->groups, i);
        const struct policy_group_def *def = NULL;
        for (size_t j = 0; j < G_N_ELEMENTS(policy_group_defs) && !def; j++)
            if (strcmp(g->name, policy_group_defs[j].name) == 0)
                def = &policy_group_defs[j];
        if (def) {
            def->parse(ctx, g, p);
        } else if (g_str_has_prefix(g->name, "type:")) {
            policy_parse_rule(ctx, g, rules);
        } else if (strcmp(g->name, "limits") == 0) {
            limits = g;
            policy_parse_limits(ctx, g, &p->limits);
        } else {
            policy_error_add(ctx, g->line,
                             "unknown group [%s] (known: [policy], [type:NAME], [limits], "
                             "[scan], [walk], [media], [edifact])",
                             g->name);
        }
    }
    return limits;
}

int policy_load_data(const char *data, size_t len, const char *path, struct policy **out,
                     GPtrArray *errors)
{
    struct policy_ctx ctx = {.errors = errors};
    guint first_error = errors ? errors->len : 0;
    const struct policy_group_ref *limits = NULL;
    struct policy *p = NULL;
    GString *clean = NULL;
    GArray *rules = NULL;
    GError *err = NULL;
    int ret = KERR_POLICY;

    if (out)
        *out = NULL;
    if (!data && len > 0) {
        policy_error_add(&ctx, 0, "no policy data");
        goto out;
    }
    if (len > POLICY_FILE_MAX) {
        policy_error_add(&ctx, 0, "the file is larger than %d bytes; it is not a policy",
                         POLICY_FILE_MAX);
        goto out;
    }

    p = policy_new_defaults(path);
    util_sha256_hex(data ? data : "", len, p->sha256);
    ctx.groups = g_ptr_array_new_with_free_func(policy_group_ref_free);
    clean = policy_prepass(&ctx, data ? data : "", len);

    ctx.kf = g_key_file_new();
    /* KEEP_TRANSLATIONS: reason[ja]= whatever the locale the kiosk runs in */
    if (!g_key_file_load_from_data(ctx.kf, clean->str, clean->len, G_KEY_FILE_KEEP_TRANSLATIONS,
                                   &err)) {
        policy_error_add(&ctx, 0, "the file cannot be parsed: %s", err->message);
        goto out;
    }

    rules = g_array_new(FALSE, TRUE, sizeof(struct policy_type_rule));
    limits = policy_parse_groups(&ctx, p, rules);
    if (!policy_index_group(&ctx, "policy"))
        policy_error_add(&ctx, 0, "the [policy] group with name= and version= is missing");
    policy_check_limits(&ctx, limits, &p->limits);

    if (ctx.n_errors > 0)
        goto out;
    p->n_rules = rules->len;
    p->rules = (struct policy_type_rule *)g_array_free(rules, FALSE);
    rules = NULL; /* transferred */
    if (out) {
        *out = p;
        p = NULL; /* transferred */
    }
    ret = 0;
out:
    if (rules) {
        for (guint i = 0; i < rules->len; i++)
            policy_rule_clear(&g_array_index(rules, struct policy_type_rule, i));
        g_array_free(rules, TRUE);
    }
    g_clear_error(&err);
    if (ctx.kf)
        g_key_file_free(ctx.kf);
    if (clean)
        g_string_free(clean, TRUE);
    if (ctx.groups)
        g_ptr_array_unref(ctx.groups);
    policy_free(p);
    policy_errors_sort(errors, first_error);
    return ret;
}

static void policy_error_add_plain(GPtrArray *errors, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void policy_error_add_plain(GPtrArray *errors, const char *fmt, ...)
{
    va_list ap;

    if (!errors)
        return;
    struct policy_error *e = g_new0(struct policy_error, 1);
    va_start(ap, fmt);
    e->message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(errors, e);
}

int policy_load(const char *path, struct policy **out, GPtrArray *errors)
{
    char *buf = NULL;
    size_t len = 0;
    struct stat st;
    int ret = KERR_SYSTEM;
    int fd = -1;
    int saved;

    if (out)
        *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0 || fstat(fd, &st) < 0) {
        saved = errno;
        policy_error_add_plain(errors, "cannot read the policy: %s", g_strerror(saved));
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > POLICY_FILE_MAX) {
        policy_error_add_plain(errors, "%s",
                               S_ISREG(st.st_mode) ? "the file is too large to be a policy"
                                                   : "not a regular file");
        ret = KERR_POLICY;
        goto out;
    }
    /* Read up to one byte more than allowed to notice a file that grew meanwhile. */
    buf = g_malloc(POLICY_FILE_MAX + 2);
    while (len <= POLICY_FILE_MAX) {
        ssize_t n = read(fd, buf + len, POLICY_FILE_MAX + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            saved = errno;
            policy_error_add_plain(errors, "cannot read the policy: %s", g_strerror(saved));
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    ret = policy_load_data(buf, len, path, out, errors);
out:
    saved = errno;
    if (fd >= 0)
        close(fd);
    g_free(buf);
    errno = saved; /* KERR_SYSTEM keeps errno */
    return ret;
}

/* ---- decisions -------------------------------------------------------------------- */

static bool policy_rule_matches_mime(const struct policy_type_rule *r, const char *mime)
{
    for (size_t i = 0; r->mime && r->mime[i]; i++) {
        if (fnmatch(r->mime[i], mime, FNM_CASEFOLD) == 0)
            return true;
    }
    return false;
}

/* Lower-case extension of NAME (newly allocated): the text after the last dot, "" when
 * there is none.  A leading dot alone (".profile") is a hidden name, not an extension. */
static char *policy_extension_of(const char *name)
{
    const char *dot = strrchr(name, '.');

    if (!dot || dot == name)
        return g_strdup("");
    return g_ascii_strdown(dot + 1, -1);
}

static bool policy_extension_allowed_somewhere(const struct policy *p, const char *ext)
{
    for (size_t i = 0; i < p->n_rules; i++) {
        if (p->rules[i].action == POLICY_ALLOW && policy_strv_contains(p->rules[i].extensions, ext))
            return true;
    }
    return false;
}

/* *WHY = CODE with up to four parameter values. */
static void policy_why(struct reason_data *why, const char *code, const char *a, const char *b,
                       const char *c, const char *d)
{
    const char *v[] = {a, b, c, d};
    reason_data_set(why, code, v, 4);
}

bool policy_decide(const struct policy *p, const char *name, const char *mime, const char **rule,
                   struct reason_data *why)
{
    const struct policy_type_rule *mismatch = NULL;
    const char *decided = "default";
    struct reason_data w;
    char *ext = NULL;
    bool allowed = false;

    memset(&w, 0, sizeof(w));
    if (!p || !mime || !*mime) {
        policy_why(&w, "policy.type-unknown", NULL, NULL, NULL, NULL);
        goto out;
    }
    ext = policy_extension_of(name ? name : "");

    for (size_t i = 0; i < p->n_rules; i++) {
        const struct policy_type_rule *r = &p->rules[i];
        if (!policy_rule_matches_mime(r, mime))
            continue;
        if (r->action == POLICY_BLOCK) {
            decided = r->name;
            /* reason[ja]= alone: the English text is the general one */
            char *en =
                r->reason || !r->reason_ja ? NULL : g_strdup_printf("type not allowed: %s", mime);
            const char *text = r->reason ? r->reason : en;
            if (*ext && policy_extension_allowed_somewhere(p, ext))
                policy_why(&w, text ? "policy.name-mismatch-rule" : "policy.name-mismatch", ext,
                           mime, text, r->reason_ja);
            else if (text)
                policy_why(&w, "policy.rule-block", r->name, text, r->reason_ja, mime);
            else
                policy_why(&w, "policy.type-not-allowed", mime, ext, NULL, NULL);
            g_free(en);
            goto out;
        }
        if (!policy_strv_contains(r->extensions, ext) &&
            !policy_strv_contains(r->extensions, "*")) {
            if (!mismatch)
                mismatch = r;
            continue; /* a later allow rule may list this extension for this type */
        }
        decided = r->name;
        if (r->archive && !p->scan_archives) {
            policy_why(&w, "policy.archive", mime, NULL, NULL, NULL);
            goto out;
        }
        allowed = true;
        goto out;
    }

    /* default deny */
    if (mismatch)
        decided = mismatch->name;
    if (*ext && (mismatch || policy_extension_allowed_somewhere(p, ext)))
        policy_why(&w, "policy.name-mismatch", ext, mime, NULL, NULL);
    else if (mismatch)
        policy_why(&w, "policy.no-extension", mime, NULL, NULL, NULL);
    else
        policy_why(&w, "policy.type-not-allowed", mime, ext, NULL, NULL);
out:
    g_free(ext);
    if (rule)
        *rule = decided;
    if (why)
        *why = w;
    return allowed;
}

bool policy_decide_file(const struct policy *p, const char *name, const char *mime,
                        const char **rule, char **reason)
{
    struct reason_data why;
    bool allowed = policy_decide(p, name, mime, rule, &why);
    if (reason)
        *reason = allowed ? NULL : reason_data_format(&why, NULL, NULL, NULL);
    return allowed;
}

void policy_warnings(const struct policy *p, GPtrArray *warnings)
{
    for (size_t i = 0; p && i < p->n_rules; i++) {
        const struct policy_type_rule *r = &p->rules[i];
        if (r->action != POLICY_BLOCK || (!r->reason && !r->reason_ja) ||
            (r->reason && r->reason_ja))
            continue;
        struct policy_error *e = g_new0(struct policy_error, 1);
        e->line = r->line;
        e->message = r->reason ? g_strdup_printf("[type:%s] gives reason= but no reason[ja]=: "
                                                 "Japanese screens show the English text",
                                                 r->name)
                               : g_strdup_printf("[type:%s] gives reason[ja]= but no reason=: "
                                                 "English screens show the general sentence",
                                                 r->name);
        g_ptr_array_add(warnings, e);
    }
}

static bool policy_name_equal_fold(const char *a, const char *b)
{
    if (g_utf8_validate(a, -1, NULL) && g_utf8_validate(b, -1, NULL)) {
        char *fa = g_utf8_casefold(a, -1);
        char *fb = g_utf8_casefold(b, -1);
        bool eq = strcmp(fa, fb) == 0;
        g_free(fa);
        g_free(fb);
        return eq;
    }
    return g_ascii_strcasecmp(a, b) == 0;
}

bool policy_skip_name(const struct policy *p, const char *name)
{
    if (!p || !name)
        return false;
    for (size_t i = 0; p->skip_names && p->skip_names[i]; i++) {
        if (policy_name_equal_fold(p->skip_names[i], name))
            return true;
    }
    return false;
}

bool policy_edifact_named(const struct policy *p, const char *name)
{
    if (!p || !name || !p->edifact_extensions)
        return false;
    char *ext = policy_extension_of(name);
    bool hit = ext[0] && policy_strv_contains(p->edifact_extensions, ext);
    g_free(ext);
    return hit;
}

bool policy_filesystem_allowed(const struct policy *p, const char *fstype)
{
    if (!p || !fstype)
        return false;
    return policy_strv_contains(p->filesystems, fstype);
}

void policy_errors_print(FILE *out, const char *indent, const char *path, const GPtrArray *errors)
{
    for (guint i = 0; errors && i < errors->len; i++) {
        const struct policy_error *e = g_ptr_array_index(errors, i);
        if (e->line > 0)
            fprintf(out, "%s%s:%d: %s\n", indent, path, e->line, e->message);
        else
            fprintf(out, "%s%s: %s\n", indent, path, e->message);
    }
}

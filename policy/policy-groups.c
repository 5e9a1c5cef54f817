/* policy-groups.c - the second pass of loading a policy (policy.c): each group's keys
 * read from GKeyFile with the line the pre-pass found, checked and stored in the policy:
 * [policy], [type:NAME] (the rules), [limits], [scan], [walk], [media] and [edifact],
 * with the value helpers they share.  Every problem is reported with its line
 * (policy_error_add); none stops the others being found. */
#include "policy/policy.h"
#include "policy/policy-private.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "common/kerr.h"
#include "common/util.h"

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

/* ---- [policy] --------------------------------------------------------------------- */

void policy_groups_header(struct policy_ctx *ctx, const struct policy_group_ref *g,
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

void policy_groups_rule_clear(struct policy_type_rule *r)
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

void policy_groups_rule(struct policy_ctx *ctx, const struct policy_group_ref *g, GArray *rules)
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
        policy_groups_rule_clear(&r);
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

void policy_groups_limits_defaults(struct policy_limits *l)
{
    for (size_t i = 0; i < G_N_ELEMENTS(policy_limit_defs); i++)
        policy_limit_store(l, &policy_limit_defs[i], policy_limit_defs[i].def);
}

void policy_groups_limits(struct policy_ctx *ctx, const struct policy_group_ref *g,
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
void policy_groups_check_limits(struct policy_ctx *ctx, const struct policy_group_ref *g,
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

void policy_groups_scan(struct policy_ctx *ctx, const struct policy_group_ref *g, struct policy *p)
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

void policy_groups_walk(struct policy_ctx *ctx, const struct policy_group_ref *g, struct policy *p)
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

void policy_groups_media(struct policy_ctx *ctx, const struct policy_group_ref *g, struct policy *p)
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

void policy_groups_edifact(struct policy_ctx *ctx, const struct policy_group_ref *g,
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

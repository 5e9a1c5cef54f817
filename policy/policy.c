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
#include "policy/policy-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/kerr.h"
#include "common/util.h"

/* A policy file is a few kilobytes; anything much larger is not a policy. */
#define POLICY_FILE_MAX (1024 * 1024)

/* ---- pre-pass index ---------------------------------------------------------------- */

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

void policy_error_add(struct policy_ctx *ctx, int line, const char *fmt, ...)
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

struct policy_group_ref *policy_index_group(const struct policy_ctx *ctx, const char *name)
{
    for (guint i = 0; i < ctx->groups->len; i++) {
        struct policy_group_ref *g = g_ptr_array_index(ctx->groups, i);
        if (strcmp(g->name, name) == 0)
            return g;
    }
    return NULL;
}

const struct policy_key_ref *policy_index_key(const struct policy_group_ref *g, const char *key)
{
    for (guint i = 0; i < g->keys->len; i++) {
        const struct policy_key_ref *k = g_ptr_array_index(g->keys, i);
        if (strcmp(k->key, key) == 0)
            return k;
    }
    return NULL;
}

/* Line of KEY in G, or of the group header when the key is absent. */
int policy_key_line(const struct policy_group_ref *g, const char *key)
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

/* ---- load ------------------------------------------------------------------------- */

void policy_free(struct policy *p)
{
    if (!p)
        return;
    g_free(p->path);
    g_free(p->name);
    for (size_t i = 0; i < p->n_rules; i++)
        policy_groups_rule_clear(&p->rules[i]);
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
    policy_groups_limits_defaults(&p->limits);
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
    {"policy", policy_groups_header},   {"scan", policy_groups_scan},
    {"walk", policy_groups_walk},       {"media", policy_groups_media},
    {"edifact", policy_groups_edifact},
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
            policy_groups_rule(ctx, g, rules);
        } else if (strcmp(g->name, "limits") == 0) {
            limits = g;
            policy_groups_limits(ctx, g, &p->limits);
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
    policy_groups_check_limits(&ctx, limits, &p->limits);

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
            policy_groups_rule_clear(&g_array_index(rules, struct policy_type_rule, i));
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

/* config-check.c - the table of kiosk.conf's keys and their checks (config-check.h). */
#include "kiosk/config-check.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>

/* A check returns NULL when VALUE is good, else what is wrong (newly allocated).  ARG is
 * the table row's argument (allowed words, a range). */
typedef char *(*config_check_fn)(const char *value, const char *arg);

/* ---- value checks ----------------------------------------------------------------------- */

static char *config_check_string(const char *value, const char *arg)
{
    (void)arg;
    if (!g_utf8_validate(value, -1, NULL))
        return g_strdup("not valid UTF-8 text");
    return NULL;
}

/* An absolute path.  ARG "empty": "" is allowed too (the feature is off). */
static char *config_check_path(const char *value, const char *arg)
{
    if (!*value)
        return arg && !strcmp(arg, "empty") ? NULL : g_strdup("needs a path, e.g. /srv/kiosk");
    if (value[0] != '/')
        return g_strdup_printf("'%s' is not an absolute path (it must start with /)", value);
    return config_check_string(value, NULL);
}

static char *config_check_bool(const char *value, const char *arg)
{
    (void)arg;
    if (!strcmp(value, "true") || !strcmp(value, "false"))
        return NULL;
    return g_strdup_printf("'%s' is not true or false", value);
}

/* ARG: "MIN..MAX" (MAX may be empty: no upper bound). */
static char *config_check_int(const char *value, const char *arg)
{
    gint64 min = 0, max = G_MAXINT32, v;
    const char *dots = strstr(arg, "..");
    min = g_ascii_strtoll(arg, NULL, 10);
    if (dots && dots[2])
        max = g_ascii_strtoll(dots + 2, NULL, 10);
    if ((min >= 0 && value[0] == '-') || !g_ascii_string_to_signed(value, 10, min, max, &v, NULL)) {
        if (max == G_MAXINT32)
            return g_strdup_printf("'%s' is not a whole number of at least %" G_GINT64_FORMAT,
                                   value, min);
        return g_strdup_printf("'%s' is not a whole number from %" G_GINT64_FORMAT
                               " to %" G_GINT64_FORMAT,
                               value, min, max);
    }
    return NULL;
}

/* A size with K/M/G/T suffix; ARG "empty": "" = no limit. */
static char *config_check_size(const char *value, const char *arg)
{
    uint64_t v;
    if (!*value && arg && !strcmp(arg, "empty"))
        return NULL;
    if (!util_parse_size(value, &v))
        return g_strdup_printf("'%s' is not a size (a number with K, M, G or T, e.g. 256G)", value);
    return NULL;
}

/* ARG: the allowed words, separated by '|'. */
static char *config_check_enum(const char *value, const char *arg)
{
    char **words = g_strsplit(arg, "|", -1);
    bool ok = g_strv_contains((const char *const *)words, value);
    g_strfreev(words);
    if (ok)
        return NULL;
    char **w = g_strsplit(arg, "|", -1);
    char *list = g_strjoinv(", ", w);
    char *msg = g_strdup_printf("'%s' is not one of: %s", value, list);
    g_strfreev(w);
    g_free(list);
    return msg;
}

/* A user or group name as useradd/groupadd accept it (whether it exists is checked where
 * it is used: a kiosk may be configured before the package made its users). */
static bool config_check_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 32 || s[0] == '-')
        return false;
    for (const char *p = s; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-' && *p != '.')
            return false;
    return true;
}

static char *config_check_name(const char *value, const char *arg)
{
    if (!config_check_name_ok(value))
        return g_strdup_printf("'%s' is not a %s name (letters, digits, '_', '-', '.')", value,
                               arg);
    return NULL;
}

/* [media] reader-user: an unprivileged user's name (never root: the reader parses what is
 * on the medium). */
static char *config_check_reader_user(const char *value, const char *arg)
{
    (void)arg;
    if (!strcmp(value, "root"))
        return g_strdup("must be an unprivileged user, not root");
    return config_check_name(value, "user");
}

/* [access] screen-users: names or numeric ids, separated by ',', ';' or blanks. */
static char *config_check_users(const char *value, const char *arg)
{
    char **names = g_strsplit_set(value, ", ;\t", -1);
    char *msg = NULL;
    (void)arg;
    for (int i = 0; names[i] && !msg; i++)
        if (*names[i] && !config_check_name_ok(names[i]))
            msg = g_strdup_printf("'%s' is not a user name or id", names[i]);
    g_strfreev(names);
    return msg;
}

/* [devices] allow/deny: VID:PID or VID:PID:SERIAL items separated by ';', '*' = any. */
static char *config_check_usb_ids(const char *value, const char *arg)
{
    char **items = g_strsplit(value, ";", -1);
    char *msg = NULL;
    (void)arg;
    for (int i = 0; items[i] && !msg; i++) {
        char *it = g_strstrip(items[i]);
        if (!*it)
            continue;
        char **f = g_strsplit(it, ":", 3);
        guint n = g_strv_length(f);
        bool ok = n >= 2;
        for (guint k = 0; ok && k < 2; k++) {
            ok = !strcmp(f[k], "*") || strlen(f[k]) == 4;
            for (const char *p = f[k]; ok && strcmp(f[k], "*") && *p; p++)
                ok = g_ascii_isxdigit(*p);
        }
        if (ok && n == 3)
            ok = *f[2] != '\0';
        g_strfreev(f);
        if (!ok)
            msg = g_strdup_printf("'%s' is not VID:PID or VID:PID:SERIAL (4 hex digits each, "
                                  "'*' for any), e.g. 0781:5567",
                                  it);
    }
    g_strfreev(items);
    return msg;
}

/* [staging] target: dir:PATH or smb://HOST[:PORT]/SHARE[/PATH]. */
static char *config_check_target(const char *value, const char *arg)
{
    (void)arg;
    if (!*value)
        return NULL; /* [paths] staging, as dir: */
    if (g_str_has_prefix(value, "dir:")) {
        if (value[4] != '/')
            return g_strdup_printf("'%s': dir: needs an absolute path, e.g. dir:/srv/kiosk/staging",
                                   value);
        return NULL;
    }
    if (g_str_has_prefix(value, "smb://")) {
        const char *host = value + 6, *slash = strchr(host, '/');
        const char *colon = memchr(host, ':', slash ? (size_t)(slash - host) : strlen(host));
        const char *host_end = colon ? colon : slash;
        bool ok = slash && host_end > host && slash[1] != '\0' && slash[1] != '/';
        for (const char *p = host; ok && p < host_end; p++)
            ok = g_ascii_isalnum(*p) || *p == '-' || *p == '.' || *p == '_';
        if (ok && colon) {
            char *port = g_strndup(colon + 1, (size_t)(slash - colon - 1));
            gint64 v;
            ok = *port && g_ascii_string_to_signed(port, 10, 1, 65535, &v, NULL);
            g_free(port);
        }
        if (!ok)
            return g_strdup_printf("'%s' is not smb://HOST[:PORT]/SHARE/PATH", value);
        return NULL;
    }
    return g_strdup_printf("'%s' is not dir:PATH or smb://HOST[:PORT]/SHARE/PATH", value);
}

/* ---- the table: one row per key ---------------------------------------------------------- */

static const struct config_key {
    const char *group, *key;
    config_check_fn check;
    const char *arg;
    const char *what; /* for people: kiosk.conf(5), kiosk config check --keys */
} config_keys[] = {
    {"paths", "policy", config_check_path, NULL, "path"},
    {"paths", "staging", config_check_path, NULL, "path"},
    {"paths", "work-dir", config_check_path, NULL, "path"},
    {"paths", "signatures", config_check_path, NULL, "path"},
    {"paths", "audit-log", config_check_path, NULL, "path"},
    {"paths", "run-dir", config_check_path, NULL, "path"},
    {"paths", "socket", config_check_path, NULL, "path"},
    {"paths", "socket-group", config_check_name, "group", "group name"},
    {"paths", "signing-key", config_check_path, "empty", "path, or empty (unsigned)"},
    {"paths", "public-key", config_check_path, NULL, "path"},
    {"paths", "admin-keys", config_check_path, NULL, "path"},
    {"paths", "admin-state", config_check_path, NULL, "path"},
    {"access", "screen-users", config_check_users, NULL, "user names or ids"},
    {"kiosk", "name", config_check_string, NULL, "text"},
    {"kiosk", "site", config_check_string, NULL, "text"},
    {"kiosk", "language", config_check_enum, "en|ja", "en | ja"},
    {"kiosk", "accept-loop-devices", config_check_bool, NULL, "true | false"},
    {"kiosk", "loop-backing-dir", config_check_path, NULL, "path"},
    {"scan", "workers", config_check_int, "0..256", "0 to 256"},
    {"scan", "max-signature-age-days", config_check_int, "0..", "whole number >= 0"},
    {"scan", "cache", config_check_enum, "on|off", "on | off"},
    {"scan", "cache-max-entries", config_check_int, "1..10000000", "1 to 10000000"},
    {"media", "reader-user", config_check_reader_user, NULL, "user name (not root)"},
    /* Obsolete (the FUSE drivers' user): accepted so that an older kiosk.conf still
     * starts; config_load() says to remove it. */
    {"media", "driver-user", config_check_name, "user", "user name (obsolete, ignored)"},
    {"devices", "allow", config_check_usb_ids, NULL, "VID:PID[:SERIAL];..."},
    {"devices", "deny", config_check_usb_ids, NULL, "VID:PID[:SERIAL];..."},
    {"devices", "max-size", config_check_size, "empty", "size (K, M, G, T), or empty"},
    {"report", "printer", config_check_string, NULL, "CUPS queue name, or empty"},
    {"report", "language", config_check_enum, "ja|en|both", "ja | en | both"},
    {"report", "print-format", config_check_enum, "receipt|a4", "receipt | a4"},
    {"report", "folder", config_check_path, "empty", "path, or empty"},
    {"report", "auto-print", config_check_bool, NULL, "true | false"},
    {"admin", "lockout-seconds", config_check_int, "1..604800", "1 to 604800"},
    {"staging", "target", config_check_target, NULL,
     "dir:PATH | smb://HOST[:PORT]/SHARE/PATH, or empty ([paths] staging)"},
    {"staging", "group", config_check_name, "group", "group name"},
    {"staging", "credentials", config_check_path, "empty", "path, or empty"},
    {"staging", "outbox-max-bytes", config_check_size, NULL, "size (K, M, G, T)"},
    {"staging", "keep-days", config_check_int, "0..", "whole number >= 0"},
    {"ui", "contact", config_check_string, NULL, "text"},
};

/* Keys still accepted but no longer used: a warning each, the file stays valid. */
static const struct config_obsolete {
    const char *group, *key, *warning;
} config_obsolete[] = {
    {"media", "driver-user",
     "no longer used: filesystems are read by the medium reader, which runs as [media] "
     "reader-user; remove this line"},
};

static const char *config_check_obsolete(const char *group, const char *key)
{
    for (size_t i = 0; i < G_N_ELEMENTS(config_obsolete); i++)
        if (!strcmp(config_obsolete[i].group, group) && !strcmp(config_obsolete[i].key, key))
            return config_obsolete[i].warning;
    return NULL;
}

/* ---- the file ------------------------------------------------------------------------- */

static void config_check_add(GPtrArray *problems, int line, char *message)
{
    struct config_problem *p = g_new0(struct config_problem, 1);
    p->line = line;
    p->message = message; /* transferred */
    g_ptr_array_add(problems, p);
}

static void config_check_warn(GPtrArray *problems, int line, char *message)
{
    config_check_add(problems, line, message);
    ((struct config_problem *)g_ptr_array_index(problems, problems->len - 1))->warning = true;
}

void config_problem_free(void *p)
{
    struct config_problem *cp = p;
    if (!cp)
        return;
    g_free(cp->message);
    g_free(cp);
}

static bool config_check_group_known(const char *group)
{
    for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++)
        if (!strcmp(config_keys[i].group, group))
            return true;
    return false;
}

static const struct config_key *config_check_find(const char *group, const char *key)
{
    for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++)
        if (!strcmp(config_keys[i].group, group) && !strcmp(config_keys[i].key, key))
            return &config_keys[i];
    return NULL;
}

/* The value as GKeyFile reads it: leading blanks dropped, \s \n \t \r \\ unescaped. */
static char *config_check_unescape(const char *raw)
{
    GString *s = g_string_new(NULL);
    while (*raw == ' ' || *raw == '\t')
        raw++;
    for (const char *p = raw; *p; p++) {
        if (*p != '\\' || !p[1]) {
            g_string_append_c(s, *p);
            continue;
        }
        p++;
        switch (*p) {
        case 's':
            g_string_append_c(s, ' ');
            break;
        case 'n':
            g_string_append_c(s, '\n');
            break;
        case 't':
            g_string_append_c(s, '\t');
            break;
        case 'r':
            g_string_append_c(s, '\r');
            break;
        default:
            g_string_append_c(s, *p);
            break;
        }
    }
    return g_string_free(s, FALSE);
}

/* Line LN is a section header L ("[paths]"): its name, or NULL when it is not one;
 * *KNOWN says whether kiosk.conf has that section. */
static char *config_check_section(GPtrArray *problems, int ln, const char *l, bool *known)
{
    const char *end = strchr(l, ']');
    *known = false;
    if (!end || end == l + 1 || end[1] != '\0') {
        config_check_add(problems, ln,
                         g_strdup_printf("'%s' is not a section header "
                                         "like [paths]",
                                         l));
        return NULL;
    }
    char *group = g_strndup(l + 1, (size_t)(end - l - 1));
    *known = config_check_group_known(group);
    if (!*known)
        config_check_add(problems, ln, g_strdup_printf("unknown section [%s]", group));
    return group;
}

/* Line LN sets KEY of the known section GROUP to RAW (still escaped): a known key, set
 * once (SEEN: "[group] key" -> line), with a valid value, and not obsolete. */
static void config_check_key(GPtrArray *problems, int ln, const char *group, const char *key,
                             const char *raw, GHashTable *seen)
{
    const struct config_key *k = config_check_find(group, key);
    char *id = g_strdup_printf("[%s] %s", group, key);
    if (!k) {
        config_check_add(problems, ln, g_strdup_printf("unknown key %s", id));
    } else if (g_hash_table_contains(seen, id)) {
        config_check_add(problems, ln,
                         g_strdup_printf("%s is set twice (line %d too)", id,
                                         GPOINTER_TO_INT(g_hash_table_lookup(seen, id))));
    } else {
        char *value = config_check_unescape(raw);
        char *why = k->check(value, k->arg);
        if (why)
            config_check_add(problems, ln, g_strdup_printf("%s: %s", id, why));
        else if (config_check_obsolete(group, key))
            config_check_warn(problems, ln,
                              g_strdup_printf("%s is %s", id, config_check_obsolete(group, key)));
        g_free(why);
        g_free(value);
        g_hash_table_insert(seen, g_strdup(id), GINT_TO_POINTER(ln));
    }
    g_free(id);
}

unsigned config_check_text(const char *text, size_t len, GPtrArray *problems)
{
    guint before = problems->len;
    char *copy = g_strndup(text, len);
    char **lines = g_strsplit(copy, "\n", -1);
    char *group = NULL;
    bool group_known = false;
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    if (strlen(copy) != len)
        config_check_add(problems, 0, g_strdup("the file holds a NUL byte"));
    for (int i = 0; lines[i]; i++) {
        int ln = i + 1;
        char *l = lines[i];
        size_t n = strlen(l);
        if (n && l[n - 1] == '\r')
            l[--n] = '\0';
        while (*l == ' ' || *l == '\t')
            l++;
        if (!*l || *l == '#')
            continue;
        if (*l == '[') {
            g_free(group);
            group = config_check_section(problems, ln, l, &group_known);
            continue;
        }
        char *eq = strchr(l, '=');
        if (!eq) {
            config_check_add(problems, ln,
                             g_strdup_printf("'%s' is neither a section, a "
                                             "key=value line nor a # comment",
                                             l));
            continue;
        }
        char *key = g_strstrip(g_strndup(l, (size_t)(eq - l)));
        if (!group) {
            config_check_add(problems, ln, g_strdup_printf("%s= comes before any [section]", key));
        } else if (group_known) {
            config_check_key(problems, ln, group, key, eq + 1, seen);
        }
        g_free(key);
    }
    g_hash_table_destroy(seen);
    g_free(group);
    g_strfreev(lines);
    g_free(copy);
    unsigned errors = 0; /* warnings (obsolete keys) do not count */
    for (guint i = before; i < problems->len; i++)
        errors += !((const struct config_problem *)g_ptr_array_index(problems, i))->warning;
    return errors;
}

unsigned config_check_file(const char *path, GPtrArray *problems)
{
    char *text = NULL;
    gsize len = 0;
    GError *err = NULL;
    if (!g_file_get_contents(path, &text, &len, &err)) {
        config_check_add(problems, 0, g_strdup(err->message));
        g_error_free(err);
        return 1;
    }
    unsigned n = config_check_text(text, len, problems);
    g_free(text);
    return n;
}

void config_problems_print(FILE *out, const char *path, const GPtrArray *problems)
{
    for (guint i = 0; problems && i < problems->len; i++) {
        const struct config_problem *p = g_ptr_array_index(problems, i);
        const char *w = p->warning ? "warning: " : "";
        if (p->line > 0)
            fprintf(out, "%s:%d: %s%s\n", path, p->line, w, p->message);
        else
            fprintf(out, "%s: %s%s\n", path, w, p->message);
    }
}

void config_check_each_key(void (*fn)(const char *group, const char *key, const char *what,
                                      void *data),
                           void *data)
{
    for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++)
        fn(config_keys[i].group, config_keys[i].key, config_keys[i].what, data);
}

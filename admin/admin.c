/* admin.c - administrator password (Argon2id) and lockout (admin.h). */
#include "admin/admin.h"
#include "common/kerr.h"
#include "common/log.h"
#include "scanner/verdict-cache.h"
#include "common/util.h"
#include "kiosk/audit.h"
#include "handoff/handoff.h"
#include "report/printer.h"
#include "admin/sigdb.h"
#include "policy/policy.h"
#include "scanner/scanner.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sodium.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Argon2id cost: libsodium's "moderate" passes with its "interactive" memory: about a
 * quarter of a second on the kiosk's hardware, small enough to run beside a full ClamAV
 * engine. */
#define ADMIN_PWHASH_OPS crypto_pwhash_OPSLIMIT_MODERATE
#define ADMIN_PWHASH_MEM crypto_pwhash_MEMLIMIT_INTERACTIVE

#define ADMIN_GROUP "admin"

/* How long the status may wait for CUPS per step (connect, answer). */
#define ADMIN_PRINTER_TIMEOUT_MS 1500

struct admin_state {
    char *hash; /* crypto_pwhash_str text, or NULL */
    int failures;
    int64_t locked_until;
    int64_t last_failure;
    int64_t last_login;
    GKeyFile *kf; /* the whole file as read: other groups are written back as they
                     were ([policy] floor, [audit] head: admin.h) */
};

#define ADMIN_POLICY_GROUP "policy"
#define ADMIN_AUDIT_GROUP "audit"

int admin_password_check(const char *pw, char **why)
{
    bool upper = false, lower = false, digit = false, symbol = false, ctrl = false;
    glong n = 0;
    if (!pw || !g_utf8_validate(pw, -1, NULL)) {
        *why = g_strdup("the password is not valid text");
        return KERR_INVAL;
    }
    for (const char *p = pw; *p; p = g_utf8_next_char(p), n++) {
        gunichar u = g_utf8_get_char(p);
        if (g_unichar_iscntrl(u))
            ctrl = true;
        else if (g_unichar_isupper(u))
            upper = true;
        else if (g_unichar_islower(u))
            lower = true;
        else if (g_unichar_isdigit(u))
            digit = true;
        else if (!g_unichar_isspace(u))
            symbol = true;
    }
    GString *w = g_string_new(NULL);
    if (n < ADMIN_PASSWORD_MIN)
        g_string_append_printf(w, "; at least %d characters", ADMIN_PASSWORD_MIN);
    if (strlen(pw) > ADMIN_PASSWORD_MAX)
        g_string_append_printf(w, "; at most %d bytes", ADMIN_PASSWORD_MAX);
    if (!upper)
        g_string_append(w, "; an upper-case letter");
    if (!lower)
        g_string_append(w, "; a lower-case letter");
    if (!digit)
        g_string_append(w, "; a digit");
    if (!symbol)
        g_string_append(w, "; a symbol (e.g. ! # % - _ .)");
    if (ctrl)
        g_string_append(w, "; no control characters");
    if (w->len == 0) {
        g_string_free(w, TRUE);
        return 0;
    }
    *why = g_strdup_printf("the password needs%s", w->str + 1);
    g_string_free(w, TRUE);
    return KERR_INVAL;
}

/* ---- the state file ------------------------------------------------------------------- */

static void admin_state_clear(struct admin_state *s)
{
    if (s->hash) {
        sodium_memzero(s->hash, strlen(s->hash));
        g_free(s->hash);
    }
    if (s->kf) {
        /* The key file holds the hash too: scrub its copy before letting go. */
        char *h = g_key_file_get_string(s->kf, ADMIN_GROUP, "hash", NULL);
        if (h) {
            g_key_file_set_string(s->kf, ADMIN_GROUP, "hash", "");
            sodium_memzero(h, strlen(h));
            g_free(h);
        }
        g_key_file_free(s->kf);
    }
    memset(s, 0, sizeof(*s));
}

/* Open (with CREATE: creating it and its folder) and lock the state file; refuse one that
 * is not root-only.  Only reading it creates nothing: a missing one is KERR_NOT_FOUND. */
static int admin_state_lock(const char *path, bool create, int *fdp, char **why)
{
    char *dir = create ? g_path_get_dirname(path) : NULL;
    int rc = dir ? util_mkdir_p(dir, 0700) : 0;
    g_free(dir);
    if (rc != 0) {
        *why = g_strdup_printf("%s: cannot create its folder: %s", path, g_strerror(errno));
        return KERR_SYSTEM;
    }
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
    if (fd < 0) {
        *why = g_strdup_printf("%s: %s", path, g_strerror(errno));
        return errno == ENOENT ? KERR_NOT_FOUND : KERR_SYSTEM;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 077) != 0) {
        *why = g_strdup_printf("%s must be a regular file owned by uid %u with mode 0600; "
                               "refusing to use it",
                               path, (unsigned)geteuid());
        close(fd);
        return KERR_INVAL;
    }
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            *why = g_strdup_printf("%s: flock: %s", path, g_strerror(errno));
            close(fd);
            return KERR_SYSTEM;
        }
    }
    *fdp = fd;
    return 0;
}

static int admin_state_read(int fd, const char *path, struct admin_state *s, char **why)
{
    struct stat st;
    memset(s, 0, sizeof(*s));
    s->kf = g_key_file_new();
    if (fstat(fd, &st) != 0 || st.st_size > 64 * 1024) {
        *why = g_strdup_printf("%s: unreadable or too large", path);
        return KERR_INVAL;
    }
    if (st.st_size == 0)
        return 0;
    char *buf = g_malloc((gsize)st.st_size + 1);
    ssize_t n = pread(fd, buf, (size_t)st.st_size, 0);
    if (n != st.st_size) {
        *why = g_strdup_printf("%s: read: %s", path, n < 0 ? g_strerror(errno) : "short read");
        g_free(buf);
        return KERR_SYSTEM;
    }
    buf[n] = '\0';
    GKeyFile *kf = s->kf;
    GError *err = NULL;
    int rc = 0;
    if (!g_key_file_load_from_data(kf, buf, (gsize)n, G_KEY_FILE_NONE, &err)) {
        *why = g_strdup_printf("%s: %s", path, err->message);
        rc = KERR_CORRUPT;
        goto out;
    }
    s->hash = g_key_file_get_string(kf, ADMIN_GROUP, "hash", NULL);
    if (s->hash && !*s->hash)
        g_clear_pointer(&s->hash, g_free);
    s->failures = g_key_file_get_integer(kf, ADMIN_GROUP, "failures", NULL);
    s->locked_until = g_key_file_get_int64(kf, ADMIN_GROUP, "locked-until", NULL);
    s->last_failure = g_key_file_get_int64(kf, ADMIN_GROUP, "last-failure", NULL);
    s->last_login = g_key_file_get_int64(kf, ADMIN_GROUP, "last-login", NULL);
    if (s->failures < 0)
        s->failures = ADMIN_MAX_FAILURES; /* tampered: treat as the worst case */
out:
    g_clear_error(&err);
    sodium_memzero(buf, (size_t)n);
    g_free(buf);
    return rc;
}

/* Replace the state file: temp + fsync + rename, under the lock held on the old one. */
static int admin_state_write(const char *path, struct admin_state *s, char **why)
{
    if (!s->kf)
        s->kf = g_key_file_new();
    GKeyFile *kf = s->kf;
    g_key_file_remove_group(kf, ADMIN_GROUP, NULL);
    if (s->hash)
        g_key_file_set_string(kf, ADMIN_GROUP, "hash", s->hash);
    g_key_file_set_integer(kf, ADMIN_GROUP, "failures", s->failures);
    g_key_file_set_int64(kf, ADMIN_GROUP, "locked-until", s->locked_until);
    g_key_file_set_int64(kf, ADMIN_GROUP, "last-failure", s->last_failure);
    g_key_file_set_int64(kf, ADMIN_GROUP, "last-login", s->last_login);
    gsize len = 0;
    char *data = g_key_file_to_data(kf, &len, NULL);
    char *tmp = g_strdup_printf("%s.XXXXXX", path);
    int rc = KERR_SYSTEM;
    int fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        *why = g_strdup_printf("%s: %s", tmp, g_strerror(errno));
        goto out;
    }
    if (util_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        *why = g_strdup_printf("%s: write: %s", tmp, g_strerror(errno));
        close(fd);
        unlink(tmp);
        goto out;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        *why = g_strdup_printf("%s: rename: %s", path, g_strerror(errno));
        unlink(tmp);
        goto out;
    }
    char *dir = g_path_get_dirname(path);
    util_fsync_dir(dir);
    g_free(dir);
    rc = 0;
out:
    sodium_memzero(data, len);
    g_free(data);
    g_free(tmp);
    return rc;
}

static void admin_audit(struct audit *a, const char *type, JsonObject *o)
{
    if (a && (audit_append(a, type, o) != 0 || audit_sync(a) != 0))
        log_error("audit: cannot record \"%s\"", type);
    json_object_unref(o);
}

/* ---- password and login ------------------------------------------------------------------ */

int admin_set_password(const char *state_path, const char *password, struct audit *a,
                       const char *where, char **why)
{
    struct admin_state s = {0};
    char hash[crypto_pwhash_STRBYTES];
    int fd = -1, rc;

    if ((rc = admin_password_check(password, why)) != 0)
        return rc;
    if (sodium_init() < 0) {
        *why = g_strdup("libsodium cannot be initialised");
        return KERR_SYSTEM;
    }
    if (crypto_pwhash_str_alg(hash, password, strlen(password), ADMIN_PWHASH_OPS, ADMIN_PWHASH_MEM,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        *why = g_strdup("not enough memory to hash the password");
        return KERR_NOMEM;
    }
    if ((rc = admin_state_lock(state_path, true, &fd, why)) != 0)
        return rc;
    char *ignored = NULL;
    if (admin_state_read(fd, state_path, &s, &ignored) != 0)
        log_warn("%s was unreadable (%s); writing a new one", state_path, ignored);
    g_free(ignored);
    /* A new password, a fresh count; the file's other groups (floor, audit head) stay. */
    GKeyFile *keep = g_steal_pointer(&s.kf);
    admin_state_clear(&s);
    s.kf = keep;
    s.hash = g_strdup(hash);
    rc = admin_state_write(state_path, &s, why);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "where", where ? where : "console");
    json_object_set_boolean_member(o, "ok", rc == 0);
    if (rc != 0)
        json_object_set_string_member(o, "error", *why);
    admin_audit(a, "admin-password-set", o);
    admin_state_clear(&s);
    sodium_memzero(hash, sizeof(hash));
    close(fd); /* releases the lock */
    return rc;
}

static void admin_fill(const struct admin_state *s, int64_t now, struct admin_login_result *r)
{
    r->failures = s->failures;
    r->remaining = ADMIN_MAX_FAILURES - s->failures;
    if (r->remaining < 0)
        r->remaining = 0;
    r->locked_until = s->locked_until > now ? s->locked_until : 0;
    r->retry_after = r->locked_until ? r->locked_until - now : 0;
    r->no_password = s->hash == NULL;
}

int admin_state_peek(const char *state_path, struct admin_login_result *res, char **why)
{
    struct admin_state s = {0};
    int fd = -1;
    memset(res, 0, sizeof(*res));
    int rc = admin_state_lock(state_path, false, &fd, why);
    if (rc == KERR_NOT_FOUND) {
        g_clear_pointer(why, g_free);
        res->no_password = true;
        res->remaining = ADMIN_MAX_FAILURES;
        return 0;
    }
    if (rc != 0)
        return rc;
    rc = admin_state_read(fd, state_path, &s, why);
    if (rc == 0) {
        admin_fill(&s, g_get_real_time() / G_USEC_PER_SEC, res);
        res->locked = res->locked_until != 0;
    }
    admin_state_clear(&s);
    close(fd);
    return rc;
}

/* A login attempt's audit record and log line (OUTCOME: "ok", "failed", "locked", ...;
 * WHY: the error when RC is not 0). */
static void admin_login_record(struct audit *a, const char *where, const char *outcome,
                               const struct admin_login_result *res, int rc, const char *why)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "where", where ? where : "console");
    json_object_set_string_member(o, "result", outcome);
    json_object_set_boolean_member(o, "ok", res->ok);
    json_object_set_int_member(o, "failures", res->failures);
    if (res->locked_until)
        json_object_set_int_member(o, "locked_until", res->locked_until);
    if (rc != 0 && why)
        json_object_set_string_member(o, "error", why);
    if (!res->ok)
        log_warn("administrator login refused (%s, from %s, %d failure%s in a row%s)", outcome,
                 where ? where : "console", res->failures, res->failures == 1 ? "" : "s",
                 res->locked ? ", locked" : "");
    else
        log_info("administrator logged in (from %s)", where ? where : "console");
    admin_audit(a, res->ok ? "admin-login" : "admin-login-failed", o);
}

int admin_login(const char *state_path, int lockout_seconds, const char *password, struct audit *a,
                const char *where, struct admin_login_result *res, char **why)
{
    struct admin_state s = {0};
    int fd = -1, rc;
    int64_t now = g_get_real_time() / G_USEC_PER_SEC;
    const char *outcome = "failed";

    memset(res, 0, sizeof(*res));
    rc = admin_state_lock(state_path, false, &fd, why);
    if (rc == KERR_NOT_FOUND) {
        g_clear_pointer(why, g_free);
        res->no_password = true;
        outcome = "no-password";
        rc = 0;
        goto record;
    }
    if (rc != 0 || (rc = admin_state_read(fd, state_path, &s, why)) != 0) {
        outcome = "error";
        goto record;
    }
    if (s.locked_until > now) {
        /* Locked: the password is not even looked at, and the lockout is not extended. */
        admin_fill(&s, now, res);
        res->locked = true;
        outcome = "locked";
        goto record;
    }
    if (s.locked_until) /* a lockout that ended: a fresh count */
        s.locked_until = 0;
    if (!s.hash) {
        res->no_password = true;
        outcome = "no-password";
        admin_fill(&s, now, res);
        goto record;
    }
    if (sodium_init() < 0) {
        *why = g_strdup("libsodium cannot be initialised");
        rc = KERR_SYSTEM;
        outcome = "error";
        goto record;
    }
    if (password && strlen(password) <= ADMIN_PASSWORD_MAX &&
        crypto_pwhash_str_verify(s.hash, password, strlen(password)) == 0) {
        res->ok = true;
        outcome = "ok";
        s.failures = 0;
        s.last_login = now;
    } else {
        /* The lockout runs from when the failure is known: Argon2id took a while. */
        now = g_get_real_time() / G_USEC_PER_SEC;
        s.failures++;
        s.last_failure = now;
        if (s.failures >= ADMIN_MAX_FAILURES) {
            s.locked_until = now + lockout_seconds;
            res->locked = true;
            outcome = "failed-locked";
        }
    }
    admin_fill(&s, now, res);
    if (res->locked)
        s.failures = 0; /* after the lockout, ADMIN_MAX_FAILURES more tries */
    if ((rc = admin_state_write(state_path, &s, why)) != 0) {
        /* A failure that cannot be counted must not let anyone in either. */
        res->ok = false;
        outcome = "error";
    }
record:
    admin_login_record(a, where, outcome, res, rc, *why);
    admin_state_clear(&s);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* ---- what else the state file keeps (admin.h) ------------------------------------------ */

/* Lock and read STATE_PATH (created when CREATE), for one of the functions below. */
static int admin_state_open(const char *state_path, bool create, int *fd, struct admin_state *s,
                            char **why)
{
    memset(s, 0, sizeof(*s));
    int rc = admin_state_lock(state_path, create, fd, why);
    if (rc != 0)
        return rc;
    if ((rc = admin_state_read(*fd, state_path, s, why)) != 0) {
        admin_state_clear(s);
        close(*fd);
        *fd = -1;
    }
    return rc;
}

int admin_state_policy_floor(const char *state_path, uint64_t *floor, char **why)
{
    struct admin_state s;
    int fd = -1;
    *floor = 0;
    int rc = admin_state_open(state_path, false, &fd, &s, why);
    if (rc == KERR_NOT_FOUND) {
        g_clear_pointer(why, g_free);
        return 0; /* nothing was ever installed through the kiosk */
    }
    if (rc != 0)
        return rc;
    guint64 v = g_key_file_get_uint64(s.kf, ADMIN_POLICY_GROUP, "policy-floor", NULL);
    *floor = v;
    admin_state_clear(&s);
    close(fd);
    return 0;
}

int admin_state_raise_policy_floor(const char *state_path, uint64_t version, char **why)
{
    struct admin_state s;
    int fd = -1;
    int rc = admin_state_open(state_path, true, &fd, &s, why);
    if (rc != 0)
        return rc;
    if (g_key_file_get_uint64(s.kf, ADMIN_POLICY_GROUP, "policy-floor", NULL) < version) {
        g_key_file_set_uint64(s.kf, ADMIN_POLICY_GROUP, "policy-floor", version);
        rc = admin_state_write(state_path, &s, why);
    }
    admin_state_clear(&s);
    close(fd);
    return rc;
}

int admin_state_audit_head(const char *state_path, uint64_t *seq, char hash[65], char **why)
{
    struct admin_state s;
    int fd = -1;
    *seq = 0;
    hash[0] = '\0';
    int rc = admin_state_open(state_path, false, &fd, &s, why);
    if (rc == KERR_NOT_FOUND) {
        g_clear_pointer(why, g_free);
        return 0;
    }
    if (rc != 0)
        return rc;
    guint64 v = g_key_file_get_uint64(s.kf, ADMIN_AUDIT_GROUP, "head-seq", NULL);
    char *h = g_key_file_get_string(s.kf, ADMIN_AUDIT_GROUP, "head-sha256", NULL);
    if (v > 0 && h && strlen(h) == 64 && strspn(h, "0123456789abcdef") == 64) {
        *seq = v;
        g_strlcpy(hash, h, 65);
    }
    g_free(h);
    admin_state_clear(&s);
    close(fd);
    return 0;
}

int admin_state_save_audit_head(const char *state_path, uint64_t seq, const char *hash, char **why)
{
    struct admin_state s;
    int fd = -1;
    int rc = admin_state_open(state_path, true, &fd, &s, why);
    if (rc != 0)
        return rc;
    guint64 old = g_key_file_get_uint64(s.kf, ADMIN_AUDIT_GROUP, "head-seq", NULL);
    if (seq > old) {
        g_key_file_set_uint64(s.kf, ADMIN_AUDIT_GROUP, "head-seq", seq);
        g_key_file_set_string(s.kf, ADMIN_AUDIT_GROUP, "head-sha256", hash);
        rc = admin_state_write(state_path, &s, why);
    } else {
        /* Only ever forward: a log that is now shorter than its saved head was cut (or
         * replaced); `kiosk audit verify` says so, and the saved head keeps saying it. */
        *why = g_strdup_printf("the audit log's head (record %" G_GUINT64_FORMAT ") is not after "
                               "the saved head (record %" G_GUINT64_FORMAT "): the log was cut "
                               "or replaced",
                               seq, (uint64_t)old);
        rc = KERR_CORRUPT;
    }
    admin_state_clear(&s);
    close(fd);
    return rc;
}

char *admin_login_message(const struct admin_login_result *r)
{
    if (r->ok)
        return g_strdup("Logged in.");
    if (r->no_password)
        return g_strdup("No administrator password is set. Set one on the console with "
                        "'kiosk admin set-password'.");
    if (r->locked) {
        int64_t min = (r->retry_after + 59) / 60;
        return g_strdup_printf("Too many wrong passwords. Administrator login is locked for "
                               "%" G_GINT64_FORMAT " more minute%s.",
                               min, min == 1 ? "" : "s");
    }
    return g_strdup_printf("Wrong password. %d attempt%s left before a lockout.", r->remaining,
                           r->remaining == 1 ? "" : "s");
}

/* ---- status ------------------------------------------------------------------------------- */

/* The last N "session-end" records of the audit log (read from its last 1 MiB). */
static JsonArray *admin_last_sessions(const char *audit_log, int n)
{
    JsonArray *out = json_array_new();
    int fd = open(audit_log, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return out;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return out;
    }
    off_t from = st.st_size > (1 << 20) ? st.st_size - (1 << 20) : 0;
    size_t len = (size_t)(st.st_size - from);
    char *buf = g_malloc(len + 1);
    ssize_t got = pread(fd, buf, len, from);
    close(fd);
    if (got < 0)
        got = 0;
    buf[got] = '\0';
    char **lines = g_strsplit(buf, "\n", -1);
    guint nl = g_strv_length(lines);
    JsonParser *p = json_parser_new();
    for (guint i = nl; i-- > 0 && (int)json_array_get_length(out) < n;) {
        if (!strstr(lines[i], "\"type\":\"session-end\"") ||
            !json_parser_load_from_data(p, lines[i], -1, NULL))
            continue;
        JsonNode *root = json_parser_get_root(p);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
            continue;
        JsonObject *r = json_node_get_object(root);
        JsonObject *o = json_object_new();
        static const char *const keys[] = {"session",  "time",    "status", "files",   "delivered",
                                           "infected", "blocked", "errors", "delivery"};
        for (size_t k = 0; k < G_N_ELEMENTS(keys); k++)
            if (json_object_has_member(r, keys[k]))
                json_object_set_member(o, keys[k],
                                       json_node_copy(json_object_get_member(r, keys[k])));
        json_array_add_object_element(out, o);
    }
    g_object_unref(p);
    g_strfreev(lines);
    g_free(buf);
    return out;
}

/* The verdict cache as its file says (scanner/verdict-cache.h): size and hit rate. */
static JsonObject *admin_cache_json(const struct kiosk_config *cfg)
{
    JsonObject *o = json_object_new();
    struct verdict_cache_stats st;
    char *path = config_cache_path(cfg), *why = NULL;
    json_object_set_boolean_member(o, "enabled", cfg->cache);
    json_object_set_string_member(o, "file", path);
    json_object_set_int_member(o, "max_entries", cfg->cache_max_entries);
    int rc = verdict_cache_describe(path, &st, &why);
    if (rc == 0 || rc == KERR_NOT_FOUND) {
        json_object_set_int_member(o, "entries", (gint64)st.entries);
        json_object_set_int_member(o, "bytes", (gint64)st.file_bytes);
        json_object_set_int_member(o, "hits", (gint64)st.hits);
        json_object_set_int_member(o, "lookups", (gint64)st.lookups);
        json_object_set_double_member(o, "hit_rate",
                                      st.lookups ? (double)st.hits / (double)st.lookups : 0.0);
    } else {
        json_object_set_string_member(o, "error", why);
    }
    g_free(why);
    g_free(path);
    return o;
}

/* The status's "policy": the installed policy file and whether it loads. */
static JsonObject *admin_status_policy(const struct kiosk_config *cfg)
{
    JsonObject *po = json_object_new();
    struct policy *pol = NULL;
    json_object_set_string_member(po, "file", cfg->policy);
    json_object_set_boolean_member(po, "valid", policy_load(cfg->policy, &pol, NULL) == 0);
    if (pol) {
        json_object_set_string_member(po, "name", pol->name);
        json_object_set_int_member(po, "version", (gint64)pol->version);
        json_object_set_string_member(po, "sha256", pol->sha256);
        policy_free(pol);
    }
    return po;
}

/* The status's "signatures": the databases' version, build time and age at NOW. */
static JsonObject *admin_status_signatures(const struct kiosk_config *cfg, int64_t now)
{
    JsonObject *so = json_object_new();
    struct scanner_info si = {0};
    json_object_set_string_member(so, "folder", cfg->signatures);
    if (scanner_db_describe(cfg->signatures, &si) == 0) {
        int64_t days = -1;
        bool old = sigdb_too_old(&si, cfg->max_signature_age_days, now, &days);
        /* Unknown values are null, never a placeholder ("none", -1). */
        if (strcmp(si.db_version, "none") != 0)
            json_object_set_string_member(so, "db_version", si.db_version);
        else
            json_object_set_null_member(so, "db_version");
        if (si.db_time > 0) {
            char *t = util_time_rfc3339(si.db_time * G_USEC_PER_SEC, false);
            json_object_set_string_member(so, "build_time", t);
            g_free(t);
        } else {
            json_object_set_null_member(so, "build_time");
        }
        if (days >= 0)
            json_object_set_int_member(so, "age_days", days);
        else
            json_object_set_null_member(so, "age_days");
        json_object_set_boolean_member(so, "too_old", old);
        json_object_set_boolean_member(so, "test_signatures", si.test_signatures);
    } else {
        json_object_set_string_member(so, "error", g_strerror(errno));
    }
    json_object_set_int_member(so, "max_age_days", cfg->max_signature_age_days);
    return so;
}

/* The status's "staging" (the target and its free space) and "publication" into O. */
static void admin_status_staging(const struct kiosk_config *cfg, JsonObject *o)
{
    JsonObject *st = json_object_new();
    struct statvfs vfs;
    /* The target, and the free space where deliveries pile up if it is unreachable: a
     * local target's folder, else the kiosk's own work area (its outbox). */
    json_object_set_string_member(st, "folder", cfg->target);
    const char *space = g_str_has_prefix(cfg->target, "dir:") ? cfg->target + 4 : cfg->work_dir;
    json_object_set_string_member(st, "space_of", space);
    if (statvfs(space, &vfs) == 0) {
        json_object_set_int_member(st, "free_bytes",
                                   (gint64)((uint64_t)vfs.f_bavail * vfs.f_frsize));
        json_object_set_int_member(st, "total_bytes",
                                   (gint64)((uint64_t)vfs.f_blocks * vfs.f_frsize));
    } else {
        json_object_set_string_member(st, "error", g_strerror(errno));
    }
    json_object_set_object_member(o, "staging", st);
    struct handoff *h = NULL;
    char *hwhy = NULL;
    if (handoff_peek(cfg, &h, &hwhy) == 0)
        json_object_set_object_member(o, "publication", handoff_status_json(h));
    else
        json_object_set_string_member(st, "error", hwhy);
    handoff_free(h);
    g_free(hwhy);
}

/* The status's "printer". */
static JsonObject *admin_status_printer(const struct kiosk_config *cfg)
{
    /* Asked now, briefly: a print service that is down must not hold up the screen. */
    JsonObject *pr = json_object_new();
    struct printer_status ps;
    (void)printer_status(cfg->printer, ADMIN_PRINTER_TIMEOUT_MS, &ps);
    if (ps.queue)
        json_object_set_string_member(pr, "queue", ps.queue);
    else
        json_object_set_null_member(pr, "queue");
    json_object_set_boolean_member(pr, "ok", ps.ok);
    if (ps.state)
        json_object_set_string_member(pr, "state", ps.state);
    else
        json_object_set_null_member(pr, "state");
    json_object_set_boolean_member(pr, "accepting", ps.accepting);
    json_object_set_string_member(pr, "text", ps.text);
    printer_status_clear(&ps);
    return pr;
}

/* The status's "admin": password set, locked, retry after. */
static JsonObject *admin_status_admin(const struct kiosk_config *cfg)
{
    JsonObject *ad = json_object_new();
    struct admin_login_result lr;
    char *why = NULL;
    if (admin_state_peek(cfg->admin_state, &lr, &why) == 0) {
        json_object_set_boolean_member(ad, "password_set", !lr.no_password);
        json_object_set_boolean_member(ad, "locked", lr.locked);
        json_object_set_int_member(ad, "retry_after", lr.retry_after);
    } else {
        json_object_set_string_member(ad, "error", why);
    }
    g_free(why);
    return ad;
}

/* The status's "audit": the log's head as it is, and as saved at the last session end. */
static JsonObject *admin_status_audit(const struct kiosk_config *cfg)
{
    char *why = NULL;
    /* The audit log's head as it is, and as saved at the last session end (audit.h). */
    JsonObject *au = json_object_new();
    struct audit_head head;
    uint64_t saved = 0;
    char saved_hash[65];
    json_object_set_string_member(au, "log", cfg->audit_log);
    if (audit_path_head(cfg->audit_log, &head) == 0) {
        json_object_set_int_member(au, "head_seq", (gint64)head.seq);
        json_object_set_string_member(au, "head_sha256", head.hash);
    } else {
        json_object_set_string_member(au, "error", g_strerror(errno));
    }
    if (admin_state_audit_head(cfg->admin_state, &saved, saved_hash, &why) == 0 && saved) {
        json_object_set_int_member(au, "saved_seq", (gint64)saved);
        json_object_set_string_member(au, "saved_sha256", saved_hash);
    }
    g_clear_pointer(&why, g_free);
    return au;
}

JsonObject *admin_status_json(const struct kiosk_config *cfg, int last_sessions)
{
    JsonObject *o = json_object_new();
    int64_t now = g_get_real_time() / G_USEC_PER_SEC;

    json_object_set_object_member(o, "policy", admin_status_policy(cfg));
    json_object_set_object_member(o, "signatures", admin_status_signatures(cfg, now));
    json_object_set_object_member(o, "verdict_cache", admin_cache_json(cfg));
    admin_status_staging(cfg, o);
    json_object_set_object_member(o, "printer", admin_status_printer(cfg));
    json_object_set_object_member(o, "admin", admin_status_admin(cfg));
    json_object_set_array_member(o, "last_sessions",
                                 admin_last_sessions(cfg->audit_log, last_sessions));
    json_object_set_object_member(o, "audit", admin_status_audit(cfg));
    return o;
}

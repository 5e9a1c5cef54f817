/* target.c - parse and check delivery targets (see target.h). */
#include "handoff/target.h"
#include "common/kerr.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void target_free(struct target *t)
{
    if (!t)
        return;
    g_free(t->spec);
    g_free(t->path);
    g_free(t->host);
    g_free(t->share);
    g_free(t);
}

/* A '/'-separated path without "", "." or ".." components and without control bytes. */
static bool target_path_ok(const char *p)
{
    if (!*p)
        return true;
    char **parts = g_strsplit(p, "/", -1);
    bool ok = true;
    for (char **q = parts; *q && ok; q++) {
        if (!**q || !strcmp(*q, ".") || !strcmp(*q, ".."))
            ok = false;
        for (const char *c = *q; *c && ok; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '\\')
                ok = false;
    }
    g_strfreev(parts);
    return ok;
}

static int target_parse_smb(struct target *t, const char *rest, char **why)
{
    /* rest = HOST[:PORT]/SHARE[/PATH] */
    const char *slash = strchr(rest, '/');
    if (!slash || slash == rest) {
        *why =
            g_strdup("an smb:// target needs a host and a share: smb://HOST[:PORT]/SHARE[/PATH]");
        return KERR_INVAL;
    }
    char *hostport = g_strndup(rest, (gsize)(slash - rest));
    if (strchr(hostport, '@') || strchr(hostport, ';')) {
        *why = g_strdup("the smb:// target must not hold a user name or password: put them in "
                        "the [staging] credentials file");
        g_free(hostport);
        return KERR_INVAL;
    }
    char *colon = hostport[0] == '[' ? NULL : strrchr(hostport, ':');
    if (hostport[0] == '[') { /* [IPv6]:port */
        char *end = strchr(hostport, ']');
        if (end && end[1] == ':')
            colon = end + 1;
    }
    if (colon) {
        char *e = NULL;
        errno = 0;
        unsigned long port = strtoul(colon + 1, &e, 10);
        if (errno || !e || *e || colon[1] == '\0' || port == 0 || port > 65535) {
            *why = g_strdup_printf("the smb:// target's port '%s' is not a port number", colon + 1);
            g_free(hostport);
            return KERR_INVAL;
        }
        t->port = (uint16_t)port;
        *colon = '\0';
    }
    t->host = hostport;
    for (const char *c = t->host; *c; c++)
        if (!g_ascii_isalnum(*c) && !strchr(".-_[]:", *c)) {
            *why = g_strdup_printf("'%s' is not a host name or address", t->host);
            return KERR_INVAL;
        }
    if (!*t->host) {
        *why = g_strdup("the smb:// target has no host");
        return KERR_INVAL;
    }
    const char *share = slash + 1;
    const char *pslash = strchr(share, '/');
    t->share = pslash ? g_strndup(share, (gsize)(pslash - share)) : g_strdup(share);
    char *path = g_strdup(pslash ? pslash + 1 : "");
    while (*path && path[strlen(path) - 1] == '/')
        path[strlen(path) - 1] = '\0';
    t->path = path;
    if (!*t->share || !target_path_ok(t->share) || !target_path_ok(t->path)) {
        *why = g_strdup_printf("'%s' is not a usable share and folder (no empty, '.' or '..' "
                               "parts, no control characters or backslashes)",
                               share);
        return KERR_INVAL;
    }
    return 0;
}

int target_parse(const char *spec, struct target **out, char **why)
{
    struct target *t = g_new0(struct target, 1);
    int rc = KERR_INVAL;
    t->spec = g_strdup(spec ? spec : "");
    g_strstrip(t->spec);
    if (g_str_has_prefix(t->spec, "dir:")) {
        t->kind = TARGET_DIR;
        char *p = g_strdup(t->spec + 4);
        while (strlen(p) > 1 && p[strlen(p) - 1] == '/')
            p[strlen(p) - 1] = '\0';
        t->path = p;
        if (p[0] != '/' || !target_path_ok(p + 1)) {
            *why = g_strdup_printf("the target folder '%s' must be an absolute path without '.' "
                                   "or '..' parts",
                                   p);
            goto out;
        }
    } else if (g_str_has_prefix(t->spec, "smb://")) {
        t->kind = TARGET_SMB;
        if (target_parse_smb(t, t->spec + 6, why) != 0)
            goto out;
    } else {
        *why = g_strdup_printf("'%s' is not a delivery target: use dir:/FOLDER or "
                               "smb://HOST[:PORT]/SHARE/FOLDER",
                               t->spec);
        goto out;
    }
    *out = t;
    t = NULL; /* transferred */
    rc = 0;
out:
    target_free(t);
    return rc;
}

char *target_session_location(const struct target *t, const char *session)
{
    if (t->kind == TARGET_DIR)
        return g_build_filename(t->path, session, NULL);
    GString *s = g_string_new("smb://");
    g_string_append(s, t->host);
    if (t->port)
        g_string_append_printf(s, ":%u", t->port);
    g_string_append_printf(s, "/%s/", t->share);
    if (*t->path)
        g_string_append_printf(s, "%s/", t->path);
    g_string_append(s, session);
    return g_string_free(s, FALSE);
}

int target_open_dir(const struct target *t, uid_t owner, gid_t group, char **why)
{
    if (t->kind != TARGET_DIR) {
        *why = g_strdup("not a local folder target");
        return -1;
    }
    /* Component by component from "/": created when missing, never through a link. */
    int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char **parts = g_strsplit(t->path + 1, "/", -1);
    char *so_far = g_strdup("");
    for (char **q = parts; fd >= 0 && *q && **q; q++) {
        char *next_path = g_strconcat(so_far, "/", *q, NULL);
        g_free(so_far);
        so_far = next_path;
        if (mkdirat(fd, *q, 0755) != 0 && errno != EEXIST) {
            *why = g_strdup_printf("cannot create the staging folder %s: %s", so_far,
                                   g_strerror(errno));
            close(fd);
            fd = -1;
            break;
        }
        int next = openat(fd, *q, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) {
            struct stat st;
            if (fstatat(fd, *q, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                *why = g_strdup_printf("the staging folder %s is a symbolic link; the kiosk does "
                                       "not follow links (make it a real folder)",
                                       so_far);
            else if (errno == ENOTDIR)
                *why = g_strdup_printf("the staging folder %s is not a folder", so_far);
            else
                *why = g_strdup_printf("cannot open the staging folder %s: %s", so_far,
                                       g_strerror(errno));
            close(fd);
            fd = -1;
            break;
        }
        close(fd);
        fd = next;
    }
    g_strfreev(parts);
    if (fd >= 0) {
        struct stat st;
        if (fstat(fd, &st) != 0) {
            *why = g_strdup_printf("cannot examine %s: %s", t->path, g_strerror(errno));
            goto fail;
        }
        if ((owner != (uid_t)-1 && st.st_uid != owner) ||
            (group != (gid_t)-1 && st.st_gid != group)) {
            if (fchown(fd, owner, group) != 0) {
                *why = g_strdup_printf("cannot give the staging folder %s to the publisher: %s",
                                       t->path, g_strerror(errno));
                goto fail;
            }
        }
        /* Keep what the site gave the group (write, setgid), never "other". */
        mode_t want = (st.st_mode & 02070) | 0750;
        if ((st.st_mode & 07777) != want && fchmod(fd, want) != 0) {
            *why = g_strdup_printf("cannot set the mode of %s: %s", t->path, g_strerror(errno));
            goto fail;
        }
    }
    g_free(so_far);
    return fd;
fail:
    close(fd);
    g_free(so_far);
    return -1;
}

void target_secret_free(char *s)
{
    if (!s)
        return;
    explicit_bzero(s, strlen(s));
    g_free(s);
}

/* The whole credentials file PATH (a small regular file only its owner reads), newly
 * allocated and NUL-terminated (free with target_secret_free); NULL with *RC and *WHY. */
static char *target_read_secret_file(const char *path, int *rc, char **why)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        *why = g_strdup_printf("cannot read the credentials file %s: %s", path, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        *rc = KERR_SYSTEM;
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || (st.st_mode & 077) || st.st_size > 65536) {
        *why = g_strdup_printf("the credentials file %s must be a small regular file readable "
                               "by its owner only (chmod 600)",
                               path);
        close(fd);
        *rc = KERR_INVAL;
        return NULL;
    }
    char *buf = g_malloc0((gsize)st.st_size + 1);
    ssize_t n = read(fd, buf, (size_t)st.st_size);
    close(fd);
    if (n != st.st_size) {
        *why = g_strdup_printf("cannot read the credentials file %s", path);
        target_secret_free(buf);
        *rc = KERR_SYSTEM;
        return NULL;
    }
    return buf;
}

int target_read_credentials(const char *path, char **user, char **password, char **domain,
                            char **why)
{
    *user = *password = *domain = NULL;
    if (!path || !*path) {
        *why = g_strdup("an smb:// target needs [staging] credentials (a root-only file with "
                        "username=, password= and domain= lines)");
        return KERR_INVAL;
    }
    int rc = 0;
    char *buf = target_read_secret_file(path, &rc, why);
    if (!buf)
        return rc;
    char **lines = g_strsplit(buf, "\n", -1);
    target_secret_free(buf);
    for (char **l = lines; *l && rc == 0; l++) {
        char *line = g_strstrip(*l);
        if (!*line || line[0] == '#' || line[0] == ';')
            continue;
        char *eq = strchr(line, '=');
        if (!eq) {
            *why = g_strdup_printf("%s: a line without '=' (expected username=, password=, "
                                   "domain=)",
                                   path);
            rc = KERR_INVAL;
            break;
        }
        *eq = '\0';
        char *key = g_strstrip(line), *val = g_strstrip(eq + 1);
        char **slot = !strcmp(key, "username")                              ? user
                      : !strcmp(key, "password")                            ? password
                      : !strcmp(key, "domain") || !strcmp(key, "workgroup") ? domain
                                                                            : NULL;
        if (!slot) {
            *why = g_strdup_printf("%s: unknown key '%s' (expected username, password, domain)",
                                   path, key);
            rc = KERR_INVAL;
            break;
        }
        target_secret_free(*slot);
        *slot = g_strdup(val);
    }
    for (char **l = lines; *l; l++)
        explicit_bzero(*l, strlen(*l));
    g_strfreev(lines);
    if (rc == 0 && (!*user || !**user)) {
        *why = g_strdup_printf("%s: no username=", path);
        rc = KERR_INVAL;
    }
    if (rc != 0) {
        target_secret_free(*user);
        target_secret_free(*password);
        target_secret_free(*domain);
        *user = *password = *domain = NULL;
        return rc;
    }
    if (!*password)
        *password = g_strdup("");
    if (!*domain)
        *domain = g_strdup("");
    return 0;
}

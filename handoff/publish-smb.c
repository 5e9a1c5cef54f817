/* publish-smb.c - the publisher's store for an SMB share (publish-store.h), with Samba's
 * client library.  SMB3 only, message signing required, no Kerberos, no anonymous
 * fallback: a private client configuration (a memfd) says so, whatever the machine's
 * smb.conf holds.  Names are percent-encoded into the URLs libsmbclient takes. */
#include "handoff/publish-store.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libsmbclient.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PUBLISH_SMB_BUF (1024 * 1024)
#define PUBLISH_SMB_TIMEOUT_MS 20000

struct publish_smb {
    SMBCCTX *ctx;
    char *base;  /* smb://host:port/share[/path] (encoded) */
    char *where; /* host:port, for messages */
    char *user, *password, *domain;
    char *tmpdir; /* libsmbclient's private state and cache folder */
    int conffd;
};

static char *publish_smb_encode(const char *s)
{
    GString *o = g_string_new(NULL);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (g_ascii_isalnum(*p) || strchr("-._~/", *p))
            g_string_append_c(o, (char)*p);
        else
            g_string_append_printf(o, "%%%02X", *p);
    }
    return g_string_free(o, FALSE);
}

static char *publish_smb_url(struct publish_smb *m, const char *rel)
{
    char *enc = publish_smb_encode(rel);
    char *u = g_strconcat(m->base, "/", enc, NULL);
    g_free(enc);
    return u;
}

/* An errno from libsmbclient in words for the person who must fix it. */
static char *publish_smb_err(struct publish_smb *m, const char *what, const char *rel, int e)
{
    switch (e) {
    case ECONNREFUSED:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ETIMEDOUT:
    case ECONNRESET:
    case EHOSTDOWN:
    case ECONNABORTED:
    case EPIPE:
        return g_strdup_printf("cannot reach the share at %s (%s)", m->where, g_strerror(e));
    case EACCES:
    case EPERM:
        return g_strdup_printf("the share at %s refused to %s %s: check the user name and "
                               "password in the credentials file and the share's permissions",
                               m->where, what, rel);
    case EROFS:
        return g_strdup_printf("the share at %s is read-only: cannot %s %s", m->where, what, rel);
    case ENOSPC:
    case EDQUOT:
        return g_strdup_printf("the share at %s is full: cannot %s %s", m->where, what, rel);
    case ENOENT:
    case ENODEV:
        return g_strdup_printf("cannot %s %s: no such share or folder at %s", what, rel, m->where);
    default:
        return g_strdup_printf("cannot %s %s on the share at %s: %s", what, rel, m->where,
                               g_strerror(e));
    }
}

static void publish_smb_auth(SMBCCTX *c, const char *srv, const char *shr, char *wg, int wglen,
                             char *un, int unlen, char *pw, int pwlen)
{
    struct publish_smb *m = smbc_getOptionUserData(c);
    (void)srv;
    (void)shr;
    g_strlcpy(wg, m->domain, (gsize)wglen);
    g_strlcpy(un, m->user, (gsize)unlen);
    g_strlcpy(pw, m->password, (gsize)pwlen);
}

static int publish_smb_kind(struct publish_store *s, const char *rel, enum store_kind *out,
                            char **why)
{
    struct publish_smb *m = s->priv;
    struct stat st;
    char *u = publish_smb_url(m, rel);
    int r = smbc_getFunctionStat(m->ctx)(m->ctx, u, &st);
    int e = errno;
    g_free(u);
    if (publish_store_kind_of(r, e, &st, out))
        return 0;
    *why = publish_smb_err(m, "examine", rel, e);
    return -1;
}

static int publish_smb_mkdir(struct publish_store *s, const char *rel, bool private_dir, char **why)
{
    struct publish_smb *m = s->priv;
    char *u = publish_smb_url(m, rel);
    int r = smbc_getFunctionMkdir(m->ctx)(m->ctx, u, 0750);
    int e = errno;
    g_free(u);
    if (r != 0 && !(private_dir && e == EEXIST)) {
        *why = publish_smb_err(m, "create the folder", rel, e);
        return -1;
    }
    return 0;
}

static int publish_smb_put(struct publish_store *s, const char *rel, int src_fd, GChecksum *sum,
                           char **why)
{
    struct publish_smb *m = s->priv;
    char *u = publish_smb_url(m, rel);
    int r = -1;
    char *buf = g_malloc(PUBLISH_SMB_BUF);
    SMBCFILE *f = smbc_getFunctionOpen(m->ctx)(m->ctx, u, O_WRONLY | O_CREAT | O_EXCL, 0640);
    if (!f) {
        *why = publish_smb_err(m, "create", rel, errno);
        goto out;
    }
    for (;;) {
        ssize_t n = util_read_retry(src_fd, buf, PUBLISH_SMB_BUF);
        if (n < 0) {
            *why = g_strdup_printf("cannot read the outbox copy of %s: %s", rel, g_strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        if (sum)
            g_checksum_update(sum, (const guchar *)buf, (gssize)n);
        for (ssize_t off = 0; off < n;) {
            ssize_t w = smbc_getFunctionWrite(m->ctx)(m->ctx, f, buf + off, (size_t)(n - off));
            if (w <= 0) {
                *why = publish_smb_err(m, "write", rel, w < 0 ? errno : EIO);
                goto out;
            }
            off += w;
        }
    }
    r = 0;
out:
    if (f && smbc_getFunctionClose(m->ctx)(m->ctx, f) != 0 && r == 0) {
        *why = publish_smb_err(m, "finish", rel, errno);
        r = -1;
    }
    g_free(buf);
    g_free(u);
    return r;
}

/* Each file was closed on the server (SMB2 CLOSE): nothing is left to flush here. */
static int publish_smb_flush(struct publish_store *s, char **why)
{
    (void)s;
    (void)why;
    return 0;
}

static int publish_smb_hash(struct publish_store *s, const char *rel, char hex[65], uint64_t *size,
                            char **why)
{
    struct publish_smb *m = s->priv;
    char *u = publish_smb_url(m, rel);
    int r = -1;
    char *buf = g_malloc(PUBLISH_SMB_BUF);
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    uint64_t total = 0;
    SMBCFILE *f = smbc_getFunctionOpen(m->ctx)(m->ctx, u, O_RDONLY, 0);
    if (!f) {
        *why = publish_smb_err(m, "read back", rel, errno);
        goto out;
    }
    for (;;) {
        ssize_t n = smbc_getFunctionRead(m->ctx)(m->ctx, f, buf, PUBLISH_SMB_BUF);
        if (n < 0) {
            *why = publish_smb_err(m, "read back", rel, errno);
            goto out;
        }
        if (n == 0)
            break;
        g_checksum_update(c, (const guchar *)buf, n);
        total += (uint64_t)n;
    }
    g_strlcpy(hex, g_checksum_get_string(c), 65);
    *size = total;
    r = 0;
out:
    if (f)
        smbc_getFunctionClose(m->ctx)(m->ctx, f);
    g_checksum_free(c);
    g_free(buf);
    g_free(u);
    return r;
}

static int publish_smb_rm(struct publish_smb *m, const char *rel, int depth, char **why)
{
    char *u = publish_smb_url(m, rel);
    int r = 0;
    if (depth > 256) {
        *why = g_strdup_printf("%s is nested too deeply to remove", rel);
        g_free(u);
        return -1;
    }
    SMBCFILE *d = smbc_getFunctionOpendir(m->ctx)(m->ctx, u);
    if (!d) {
        int e = errno;
        if (e == ENOTDIR && smbc_getFunctionUnlink(m->ctx)(m->ctx, u) == 0) {
            g_free(u);
            return 0;
        }
        if (e == ENOENT) {
            g_free(u);
            return 0;
        }
        *why = publish_smb_err(m, "remove", rel, e);
        g_free(u);
        return -1;
    }
    GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    struct smbc_dirent *de;
    while ((de = smbc_getFunctionReaddir(m->ctx)(m->ctx, d)) != NULL) {
        if (!strcmp(de->name, ".") || !strcmp(de->name, ".."))
            continue;
        char *child = g_strconcat(rel, "/", de->name, NULL);
        g_ptr_array_add(de->smbc_type == SMBC_DIR ? dirs : files, child);
    }
    smbc_getFunctionClosedir(m->ctx)(m->ctx, d);
    for (guint i = 0; i < files->len && r == 0; i++) {
        char *fu = publish_smb_url(m, g_ptr_array_index(files, i));
        if (smbc_getFunctionUnlink(m->ctx)(m->ctx, fu) != 0 && errno != ENOENT) {
            *why = publish_smb_err(m, "remove", g_ptr_array_index(files, i), errno);
            r = -1;
        }
        g_free(fu);
    }
    for (guint i = 0; i < dirs->len && r == 0; i++)
        r = publish_smb_rm(m, g_ptr_array_index(dirs, i), depth + 1, why);
    if (r == 0 && smbc_getFunctionRmdir(m->ctx)(m->ctx, u) != 0 && errno != ENOENT) {
        *why = publish_smb_err(m, "remove", rel, errno);
        r = -1;
    }
    g_ptr_array_free(dirs, TRUE);
    g_ptr_array_free(files, TRUE);
    g_free(u);
    return r;
}

static int publish_smb_remove_tree(struct publish_store *s, const char *rel, char **why)
{
    return publish_smb_rm(s->priv, rel, 0, why);
}

static int publish_smb_rename(struct publish_store *s, const char *from, const char *to, char **why)
{
    struct publish_smb *m = s->priv;
    enum store_kind k;
    /* libsmbclient replaces an existing file on rename: make sure nothing is there. */
    if (publish_smb_kind(s, to, &k, why) != 0)
        return -1;
    if (k != STORE_NONE) {
        *why = g_strdup_printf("%s already exists on the share", to);
        return -1;
    }
    char *uf = publish_smb_url(m, from), *ut = publish_smb_url(m, to);
    int r = smbc_getFunctionRename(m->ctx)(m->ctx, uf, m->ctx, ut);
    if (r != 0)
        *why = publish_smb_err(m, "rename", from, errno);
    g_free(uf);
    g_free(ut);
    return r == 0 ? 0 : -1;
}

static void publish_smb_rmdir_local(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        char *p = g_build_filename(dir, n, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR))
            publish_smb_rmdir_local(p);
        else
            unlink(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    rmdir(dir);
}

static void publish_smb_close(struct publish_store *s)
{
    struct publish_smb *m = s->priv;
    if (!m)
        return;
    if (m->ctx)
        smbc_free_context(m->ctx, 1);
    if (m->conffd >= 0)
        close(m->conffd);
    if (m->tmpdir)
        publish_smb_rmdir_local(m->tmpdir);
    g_free(m->tmpdir);
    g_free(m->base);
    g_free(m->where);
    if (m->password)
        explicit_bzero(m->password, strlen(m->password));
    g_free(m->password);
    g_free(m->user);
    g_free(m->domain);
    g_free(m);
    s->priv = NULL;
}

static const struct publish_store_ops publish_smb_ops = {
    .name = "smb",
    .kind = publish_smb_kind,
    .mkdir = publish_smb_mkdir,
    .put = publish_smb_put,
    .flush = publish_smb_flush,
    .hash = publish_smb_hash,
    .remove_tree = publish_smb_remove_tree,
    .rename = publish_smb_rename,
    .close = publish_smb_close,
};

/* The client configuration: SMB3, signing required, nothing from the machine's smb.conf,
 * libsmbclient's state in a private folder. */
static int publish_smb_config(struct publish_smb *m, char **why)
{
    GError *err = NULL;
    m->tmpdir = g_dir_make_tmp("kiosk-publish-XXXXXX", &err);
    if (!m->tmpdir) {
        *why = g_strdup_printf("cannot make a private folder for the SMB client: %s", err->message);
        g_error_free(err);
        return -1;
    }
    char *conf = g_strdup_printf("[global]\n"
                                 "client min protocol = SMB3\n"
                                 "client max protocol = SMB3\n"
                                 "client signing = required\n"
                                 "client ipc signing = required\n"
                                 "client smb encrypt = desired\n"
                                 "client use kerberos = off\n"
                                 "client ntlmv2 auth = yes\n"
                                 "name resolve order = host\n"
                                 "disable netbios = yes\n"
                                 "lock directory = %s\n"
                                 "state directory = %s\n"
                                 "cache directory = %s\n"
                                 "private dir = %s\n"
                                 "ncalrpc dir = %s\n"
                                 "log level = 0\n",
                                 m->tmpdir, m->tmpdir, m->tmpdir, m->tmpdir, m->tmpdir);
    m->conffd = memfd_create("kiosk-smb.conf", MFD_CLOEXEC);
    int ok = m->conffd >= 0 && write(m->conffd, conf, strlen(conf)) == (ssize_t)strlen(conf);
    g_free(conf);
    if (!ok) {
        *why = g_strdup_printf("cannot write the SMB client configuration: %s", g_strerror(errno));
        return -1;
    }
    return 0;
}

/* M's client context: our configuration (publish_smb_config) over the machine's, no
 * Kerberos, no anonymous fallback, SMB3 only, the timeout and PORT (0 = 445). */
static int publish_smb_context(struct publish_smb *m, unsigned port, char **why)
{
    m->ctx = smbc_new_context();
    if (!m->ctx) {
        *why = g_strdup("cannot start the SMB client (libsmbclient)");
        return -1;
    }
    char confpath[64];
    snprintf(confpath, sizeof(confpath), "/proc/self/fd/%d", m->conffd);
    smbc_setDebug(m->ctx, 0);
    smbc_setOptionDebugToStderr(m->ctx, 1);
    smbc_setOptionUserData(m->ctx, m);
    smbc_setFunctionAuthDataWithContext(m->ctx, publish_smb_auth);
    smbc_setOptionUseKerberos(m->ctx, 0);
    smbc_setOptionFallbackAfterKerberos(m->ctx, 0);
    smbc_setOptionNoAutoAnonymousLogin(m->ctx, 1);
    smbc_setOptionUseCCache(m->ctx, 0);
    smbc_setOptionProtocols(m->ctx, "SMB3", "SMB3");
    smbc_setTimeout(m->ctx, PUBLISH_SMB_TIMEOUT_MS);
    if (port)
        smbc_setPort(m->ctx, (uint16_t)port);
    if (!smbc_init_context(m->ctx)) {
        *why = g_strdup_printf("cannot start the SMB client: %s", g_strerror(errno));
        smbc_free_context(m->ctx, 1);
        m->ctx = NULL;
        return -1;
    }
    /* After the init, which loads the machine's smb.conf: ours replaces it (the
     * configuration is process-wide in libsmbclient). */
    if (smbc_setConfiguration(m->ctx, confpath) != 0) {
        *why = g_strdup("cannot load the SMB client configuration");
        return -1;
    }
    return 0;
}

/* The folder PATH of SHARE with its parents, made where missing (private, as .incoming is
 * made): each must be a folder. */
static int publish_smb_make_path(struct publish_store *s, const char *share, const char *path,
                                 char **why)
{
    struct publish_smb *m = s->priv;
    char **parts = g_strsplit(path, "/", -1);
    GString *sofar = g_string_new(NULL);
    char *saved = m->base;
    char *eshare = publish_smb_encode(share);
    m->base = g_strdup_printf("smb://%s/%s", m->where, eshare);
    g_free(eshare);
    int r = 0;
    for (char **q = parts; *q && r == 0; q++) {
        if (sofar->len)
            g_string_append_c(sofar, '/');
        g_string_append(sofar, *q);
        enum store_kind k;
        if ((r = publish_smb_kind(s, sofar->str, &k, why)) == 0 && k == STORE_NONE)
            r = publish_smb_mkdir(s, sofar->str, true, why);
        else if (r == 0 && k != STORE_DIR) {
            *why = g_strdup_printf("%s on the share is not a folder", sofar->str);
            r = -1;
        }
    }
    g_free(m->base);
    m->base = saved;
    g_string_free(sofar, TRUE);
    g_strfreev(parts);
    return r != 0 ? -1 : 0;
}

int publish_smb_open(struct publish_store *s, const char *host, unsigned port, const char *share,
                     const char *path, const char *user, const char *password, const char *domain,
                     char **why)
{
    struct publish_smb *m = g_new0(struct publish_smb, 1);
    m->conffd = -1;
    m->user = g_strdup(user);
    m->password = g_strdup(password);
    m->domain = g_strdup(domain);
    m->where = port ? g_strdup_printf("%s:%u", host, port) : g_strdup(host);
    char *eshare = publish_smb_encode(share), *epath = publish_smb_encode(path);
    m->base = *path ? g_strdup_printf("smb://%s/%s/%s", m->where, eshare, epath)
                    : g_strdup_printf("smb://%s/%s", m->where, eshare);
    g_free(eshare);
    g_free(epath);
    s->ops = &publish_smb_ops;
    s->priv = m;
    s->group = (gid_t)-1;
    if (publish_smb_config(m, why) != 0)
        return -1;
    if (publish_smb_context(m, port, why) != 0)
        return -1;
    /* Reach the share and make the folder (and its parents) when missing. */
    if (*path) {
        if (publish_smb_make_path(s, share, path, why) != 0)
            return -1;
    } else {
        struct stat st;
        if (smbc_getFunctionStat(m->ctx)(m->ctx, m->base, &st) != 0) {
            *why = publish_smb_err(m, "open", share, errno);
            return -1;
        }
    }
    return 0;
}

/* disarm.c - content disarm, the service's side (see disarm.h).  The bytes are parsed and
 * rewritten only in scanner workers (scanner/sanitize*.c through scanner/pool.c); this
 * file decides, re-checks and records. */
#include "kiosk/disarm.h"
#include "common/log.h"
#include "common/util.h"
#include "scanner/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* MIME types (as libmagic names them) and the sanitizer each goes to.  A trailing '*'
 * matches any rest. */
static const struct {
    const char *mime;
    enum sanitize_format format;
} disarm_formats[] = {
    {"application/vnd.openxmlformats-officedocument.*", SANITIZE_OOXML},
    {"application/vnd.ms-excel.sheet.macroEnabled*", SANITIZE_OOXML},
    {"application/vnd.ms-excel.template.macroEnabled*", SANITIZE_OOXML},
    {"application/vnd.ms-word.document.macroEnabled*", SANITIZE_OOXML},
    {"application/vnd.ms-word.template.macroEnabled*", SANITIZE_OOXML},
    {"application/vnd.ms-powerpoint.presentation.macroEnabled*", SANITIZE_OOXML},
    {"application/vnd.ms-powerpoint.template.macroEnabled*", SANITIZE_OOXML},
    {"application/vnd.ms-powerpoint.slideshow.macroEnabled*", SANITIZE_OOXML},
    {"application/pdf", SANITIZE_PDF},
};

static const char *const disarm_legacy[] = {
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.ms-office",
    "application/CDFV2",
    "application/x-ole-storage",
    NULL,
};

static bool disarm_match(const char *pattern, const char *s)
{
    size_t n = strlen(pattern);
    if (n && pattern[n - 1] == '*')
        return g_ascii_strncasecmp(pattern, s, n - 1) == 0;
    return g_ascii_strcasecmp(pattern, s) == 0;
}

enum sanitize_format disarm_format(const char *mime)
{
    for (size_t i = 0; mime && i < G_N_ELEMENTS(disarm_formats); i++)
        if (disarm_match(disarm_formats[i].mime, mime))
            return disarm_formats[i].format;
    return SANITIZE_NONE;
}

bool disarm_is_legacy_office(const char *mime)
{
    for (const char *const *l = disarm_legacy; mime && *l; l++)
        if (g_ascii_strcasecmp(*l, mime) == 0)
            return true;
    return false;
}

char *disarm_copy_name(const char *name, const char *ext)
{
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name)
        return g_strconcat(name, ".", ext, NULL);
    return g_strdup_printf("%.*s.%s", (int)(dot - name), name, ext);
}

void disarm_info_free(struct disarm_info *i)
{
    if (!i)
        return;
    g_free(i->original_type);
    g_free(i->name);
    g_free(i);
}

JsonArray *disarm_removed_json(uint32_t removed)
{
    JsonArray *a = json_array_new();
    for (uint32_t b = 1; b; b <<= 1)
        if ((removed & b) && sanitize_removed_id(b))
            json_array_add_string_element(a, sanitize_removed_id(b));
    return a;
}

JsonObject *disarm_info_json(const struct disarm_info *i)
{
    JsonObject *o = json_object_new();
    json_object_set_array_member(o, "removed", disarm_removed_json(i->removed));
    JsonObject *orig = json_object_new();
    json_object_set_string_member(orig, "sha256", i->original_sha256);
    json_object_set_int_member(orig, "size", (gint64)i->original_size);
    if (i->original_type)
        json_object_set_string_member(orig, "type", i->original_type);
    else
        json_object_set_null_member(orig, "type");
    json_object_set_object_member(o, "original", orig);
    return o;
}

static const char *disarm_base(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The second look at a copy in spool file COPY: hash; type and scan (a fresh worker);
 * policy on its new name and type.  On success fill F for delivery and return true; else set F's
 * verdict. */
static bool disarm_second_look(const struct disarm_ctx *d, struct session_file *f, const char *copy,
                               const struct sanitize_result *r, pid_t writer)
{
    struct stat st;
    char sha[65];
    struct verdict v;
    char *type = NULL, *name = NULL, *why = NULL;
    const char *rule = NULL;
    bool ok = false;
    int fd = openat(d->spoolfd, copy, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != r->size ||
        util_sha256_fd(fd, sha) != 0) {
        verdict_setr(&f->verdict, VERDICT_ERROR, "disarm.read-back", g_strerror(errno), NULL);
        goto out;
    }
    if ((uint64_t)st.st_size > d->policy->limits.max_file_size) {
        verdict_setr(&f->verdict, VERDICT_BLOCKED, "disarm.copy-too-large", NULL);
        goto out;
    }
    /* A worker that did not write the copy types and scans it, as the original was:
     * libmagic never runs in the service. */
    char mime[SCANNER_POOL_MIME_MAX] = "";
    scanner_pool_scan_copy(d->pool, fd, f->display, d->timeout_ms, writer, &v, mime, sizeof(mime));
    if (v.kind != VERDICT_CLEAN) {
        if (v.kind == VERDICT_INFECTED)
            verdict_setr(&f->verdict, VERDICT_INFECTED, "disarm.copy-infected",
                         strcmp(v.why.code, "scan.infected") == 0 ? reason_data_param(&v.why, 0)
                                                                  : v.reason,
                         NULL);
        else if (v.kind == VERDICT_BLOCKED)
            verdict_setr(&f->verdict, VERDICT_BLOCKED, "disarm.copy-refused", v.reason, NULL);
        else
            verdict_setr(&f->verdict, VERDICT_ERROR, "disarm.copy-error", v.reason, NULL);
        goto out;
    }
    if (!mime[0]) {
        verdict_setr(&f->verdict, VERDICT_ERROR, "disarm.copy-untyped", NULL);
        goto out;
    }
    type = g_strdup(mime);
    const char *ext = sanitize_family_ext(r->family);
    const char *base = disarm_base(f->path);
    name = r->family == SANITIZE_FAMILY_PDF ? g_strdup(base) : disarm_copy_name(base, ext);
    if (!policy_decide_file(d->policy, name, type, &rule, &why)) {
        verdict_setr(&f->verdict, VERDICT_BLOCKED, "disarm.copy-not-allowed",
                     why ? why : "not allowed by policy", NULL);
        goto out;
    }
    struct disarm_info *info = g_new0(struct disarm_info, 1);
    memcpy(info->original_sha256, f->sha256, sizeof(info->original_sha256));
    info->original_size = f->size;
    info->original_type = f->type; /* transferred */
    info->removed = r->removed;
    info->name = name;
    name = NULL;
    f->type = type;
    type = NULL;
    f->size = (uint64_t)st.st_size;
    memcpy(f->sha256, sha, sizeof(f->sha256));
    disarm_info_free(f->disarm);
    f->disarm = info;
    char what[VERDICT_REASON_MAX];
    sanitize_removed_describe(r->removed, what, sizeof(what));
    if (r->family == SANITIZE_FAMILY_PDF)
        verdict_setr(&f->verdict, VERDICT_SANITIZED, "disarm.sanitized", what, NULL);
    else
        verdict_setr(&f->verdict, VERDICT_SANITIZED, "disarm.sanitized-as", f->disarm->name, what,
                     NULL);
    ok = true;
out:
    if (fd >= 0)
        close(fd);
    g_free(type);
    g_free(name);
    g_free(why);
    return ok;
}

/* The worker that wrote the copy WNAME stays in the pool and may still hold its
 * descriptor: the service copies exactly SIZE bytes into a spool file of its own (NAME,
 * which no worker can write), with the original ORIG's times (the delivered file keeps
 * the medium's modification time).  What is hashed, scanned and delivered is that file;
 * the writer's is removed by the caller.  0, or -1 with F's verdict set. */
static int disarm_take(const struct disarm_ctx *d, struct session_file *f, const char *wname,
                       const char *name, int orig, uint64_t size)
{
    char buf[65536];
    struct stat st;
    uint64_t total = 0;
    int rc = -1, err = 0;
    int src = openat(d->spoolfd, wname, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    int dst = openat(d->spoolfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (src < 0 || dst < 0) {
        err = errno;
        goto out;
    }
    for (;;) {
        ssize_t n = read(src, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = errno;
            goto out;
        }
        if (n == 0)
            break;
        total += (uint64_t)n;
        if (total > size)
            break;
        if (util_write_all(dst, buf, (size_t)n) != 0) {
            err = errno;
            goto out;
        }
    }
    if (total != size) {
        verdict_setr(&f->verdict, VERDICT_ERROR, "disarm.copy-changed", NULL);
        goto out;
    }
    if (fstat(orig, &st) == 0) {
        struct timespec ts[2] = {st.st_atim, st.st_mtim};
        if (futimens(dst, ts) != 0)
            log_warn("disarm: cannot set the time of a sanitized copy: %s", g_strerror(errno));
    }
    rc = 0;
out:
    if (rc != 0 && err)
        verdict_setr(&f->verdict, VERDICT_ERROR, "disarm.read-back", g_strerror(err), NULL);
    if (src >= 0)
        close(src);
    if (dst >= 0)
        close(dst);
    if (rc != 0)
        unlinkat(d->spoolfd, name, 0);
    return rc;
}

static void disarm_legacy_macros(struct session_file *f)
{
    verdict_setr(&f->verdict, VERDICT_BLOCKED, "disarm.ole2-macros", NULL);
}

/* Check mode ([disarm] ... = block): F is held back when the sanitizer finds active content
 * in IN (the spooled copy, closed here) or cannot check it. */
static void disarm_check(const struct disarm_ctx *d, struct session_file *f, int in,
                         enum sanitize_format format, const struct sanitize_limits *lim)
{
    struct sanitize_result r;
    scanner_pool_sanitize(d->pool, in, -1, f->display, format, SANITIZE_CHECK, lim, d->timeout_ms,
                          &r, NULL);
    close(in);
    char what[VERDICT_REASON_MAX];
    sanitize_removed_describe(r.removed, what, sizeof(what));
    if (r.status == SANITIZE_FOUND)
        verdict_setr(&f->verdict, VERDICT_BLOCKED,
                     format == SANITIZE_PDF ? "disarm.pdf-active" : "disarm.active-content", what,
                     NULL);
    else if (r.status == SANITIZE_REFUSED)
        verdict_setr(&f->verdict, VERDICT_BLOCKED, "disarm.check-refused", r.reason, NULL);
}

/* Sanitize mode: a worker writes a copy of IN (the spooled copy, closed here) without the
 * active content; taken back, looked at again, it replaces the original in the spool.
 * Nothing to remove leaves the original; a refusal holds F back. */
static void disarm_rewrite(const struct disarm_ctx *d, struct session_file *f, int in,
                           enum sanitize_format format, const struct sanitize_limits *lim)
{
    struct sanitize_result r;
    char *copy = NULL, *taken = NULL;
    int out = -1;

    copy = g_strconcat(f->spool_name, ".sanitized", NULL);
    out = openat(d->spoolfd, copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (out < 0) {
        verdict_setr(&f->verdict, VERDICT_ERROR, "disarm.spool", g_strerror(errno), NULL);
        goto out;
    }
    pid_t writer = 0;
    scanner_pool_sanitize(d->pool, in, out, f->display, format, SANITIZE_REWRITE, lim,
                          d->timeout_ms, &r, &writer);
    close(out);
    out = -1;
    switch (r.status) {
    case SANITIZE_NOTHING:
        /* Nothing to remove: the original stands (held back still if ClamAV saw macros
         * the sanitizer did not find, e.g. inside an embedded object). */
        break;
    case SANITIZE_REWRITTEN:
        taken = g_strconcat(f->spool_name, ".copy", NULL);
        if (disarm_take(d, f, copy, taken, in, r.size) != 0)
            break;
        if (disarm_second_look(d, f, taken, &r, writer)) {
            unlinkat(d->spoolfd, f->spool_name, 0); /* the original is never delivered */
            g_free(f->spool_name);
            f->spool_name = taken;
            taken = NULL;
            log_info("disarm: %s: sanitized (%s -> %s)", f->display, f->disarm->original_sha256,
                     f->sha256);
        }
        break;
    case SANITIZE_REFUSED:
    default:
        verdict_setr(&f->verdict, VERDICT_BLOCKED, "disarm.refused", r.reason, NULL);
        break;
    }
out:
    if (in >= 0)
        close(in);
    if (copy) {
        unlinkat(d->spoolfd, copy, 0);
        g_free(copy);
    }
    if (taken) {
        unlinkat(d->spoolfd, taken, 0);
        g_free(taken);
    }
}

void disarm_file(const struct disarm_ctx *d, struct session_file *f)
{
    enum sanitize_format format = disarm_format(f->type);
    enum policy_disarm mode = format == SANITIZE_OOXML ? d->policy->macros
                              : format == SANITIZE_PDF ? d->policy->pdf
                                                       : POLICY_DISARM_ALLOW;
    struct sanitize_limits lim;
    int in = -1;

    if (format == SANITIZE_NONE) {
        if (d->policy->macros == POLICY_DISARM_SANITIZE && verdict_is_macros(&f->verdict) &&
            disarm_is_legacy_office(f->type))
            disarm_legacy_macros(f);
        return;
    }
    if (mode == POLICY_DISARM_ALLOW || !f->spool_name)
        return;
    /* Only what would be delivered, or Office held back only for its macros; malware and
     * every other refusal stand. */
    if (f->verdict.kind != VERDICT_CLEAN &&
        !(format == SANITIZE_OOXML && mode == POLICY_DISARM_SANITIZE &&
          verdict_is_macros(&f->verdict)))
        return;
    if (!d->pool) {
        verdict_setr(&f->verdict, VERDICT_ERROR, "disarm.no-worker", NULL);
        return;
    }
    const struct policy_limits *pl = &d->policy->limits;
    sanitize_limits_default(&lim, pl->max_file_size, pl->scan_max_scansize, pl->scan_max_files);
    in = openat(d->spoolfd, f->spool_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (in < 0) {
        verdict_setr(&f->verdict, VERDICT_ERROR, "scan.error-spool-read", g_strerror(errno), NULL);
        return;
    }
    if (mode == POLICY_DISARM_BLOCK)
        disarm_check(d, f, in, format, &lim);
    else
        disarm_rewrite(d, f, in, format, &lim);
}

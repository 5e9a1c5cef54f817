/* sigdb.c - signature database install, reload and freshness (sigdb.h). */
#include "admin/sigdb.h"
#include "common/reason.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"
#include "kiosk/audit.h"
#include "scanner/pool.h"

#include <clamav.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIGDB_MAX_FILE ((off_t)2 << 30) /* a .cvd larger than 2 GiB is not a ClamAV file */

/* ---- engines and pools under a policy ---------------------------------------------- */

/* The scan options a policy asks for (limits, archive/macro/encryption handling). */
static struct scanner_opts sigdb_scanner_opts(const struct policy *pol)
{
    return (struct scanner_opts){
        .max_filesize = pol->limits.scan_max_filesize,
        .max_scansize = pol->limits.scan_max_scansize,
        .max_recursion = pol->limits.scan_max_recursion,
        .max_files = pol->limits.scan_max_files,
        .max_scantime = pol->limits.scan_max_time,
        .block_macros = pol->block_macros,
        .block_encrypted = pol->block_encrypted,
    };
}

int sigdb_pool_new(const struct policy *pol, const char *dbdir, int nworkers, const char *user,
                   const char *run_dir, struct scanner_pool **out, char **why)
{
    struct scanner_opts o = sigdb_scanner_opts(pol);
    return scanner_pool_new(dbdir, &o, nworkers, user, run_dir, out, why);
}

int sigdb_engine_load(const struct policy *pol, const char *dbdir, const char *tmpdir,
                      struct scanner_engine **out, char **why)
{
    struct scanner_opts o = sigdb_scanner_opts(pol);
    o.tmpdir = tmpdir;
    return scanner_engine_load(dbdir, &o, out, why);
}

bool sigdb_is_db_name(const char *name)
{
    static const char *const exts[] = {
        ".cvd",  ".cld",  ".cud", ".hdb",  ".hsb", ".hdu", ".hsu",  ".mdb", ".msb",
        ".ndb",  ".ndu",  ".ldb", ".ldu",  ".db",  ".fp",  ".sfp",  ".cbc", ".cdb",
        ".crb",  ".idb",  ".ign", ".ign2", ".pdb", ".gdb", ".wdb",  ".ftm", ".yar",
        ".yara", ".pwdb", ".imp", ".info", ".cat", ".crt", ".sign",
    };
    const char *dot = strrchr(name, '.');
    if (!dot || name[0] == '.')
        return false;
    for (size_t i = 0; i < G_N_ELEMENTS(exts); i++)
        if (g_ascii_strcasecmp(dot, exts[i]) == 0)
            return true;
    return false;
}

static bool sigdb_is_cvd(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (!g_ascii_strcasecmp(dot, ".cvd") || !g_ascii_strcasecmp(dot, ".cld"));
}

/* ---- freshness ----------------------------------------------------------------------- */

int64_t sigdb_age_days(const struct scanner_info *info, int64_t now)
{
    if (!info || info->db_time <= 0)
        return -1;
    int64_t age = now - info->db_time;
    return age < 0 ? 0 : age / 86400;
}

bool sigdb_too_old(const struct scanner_info *info, int max_days, int64_t now, int64_t *days)
{
    int64_t d = sigdb_age_days(info, now);
    if (days)
        *days = d;
    if (max_days <= 0)
        return false;
    /* Nothing dated but the bundled test database (its exact bytes): every output says
     * TEST SIGNATURES; anything else in the folder is judged. */
    if (d < 0 && info && info->test_signatures)
        return false;
    return d < 0 || d > max_days;
}

void sigdb_old_reason(int64_t days, int max_days, struct reason_data *out)
{
    char d[24], m[24];
    snprintf(d, sizeof(d), "%" G_GINT64_FORMAT, days);
    snprintf(m, sizeof(m), "%d", max_days);
    if (days < 0) {
        const char *v[] = {m};
        reason_data_set(out, "service.signatures-age-unknown", v, 1);
        return;
    }
    const char *v[] = {d, m};
    reason_data_set(out, days == 1 ? "service.signatures-old-day" : "service.signatures-old", v, 2);
}

char *sigdb_old_message(int64_t days, int max_days)
{
    struct reason_data why;
    sigdb_old_reason(days, max_days, &why);
    return reason_data_format(&why, NULL, NULL, NULL);
}

static gint sigdb_name_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *sigdb_fingerprint(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return g_strdup("");
    GPtrArray *items = g_ptr_array_new_with_free_func(g_free);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        if (!sigdb_is_db_name(de->d_name) || fstatat(dirfd(d), de->d_name, &st, 0) != 0)
            continue;
        g_ptr_array_add(items, g_strdup_printf("%s:%lld:%lld.%09ld:%llu", de->d_name,
                                               (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                                               st.st_mtim.tv_nsec, (unsigned long long)st.st_ino));
    }
    closedir(d);
    g_ptr_array_sort(items, sigdb_name_cmp);
    g_ptr_array_add(items, NULL);
    char *out = g_strjoinv("\n", (char **)items->pdata);
    g_ptr_array_free(items, TRUE);
    return out;
}

/* ---- a new pool, built in a thread ----------------------------------------------------
 * The zygote is forked by the spawner (scanner/spawner.h), so building a pool forks
 * nothing here: a thread may wait for it to load, however long the database takes,
 * while the service's main loop goes on (removals, cancel, the screen). */

struct sigdb_build {
    const struct policy *pol;
    char *dbdir, *user, *run_dir;
    int nworkers;
    struct scanner_pool *pool;
    char *why;
    int rc;
};

static void sigdb_build_free(gpointer p)
{
    struct sigdb_build *b = p;
    scanner_pool_free(b->pool);
    g_free(b->dbdir);
    g_free(b->user);
    g_free(b->run_dir);
    g_free(b->why);
    g_free(b);
}

static void sigdb_build_thread(GTask *task, gpointer src, gpointer data, GCancellable *c)
{
    struct sigdb_build *b = data;
    (void)src;
    (void)c;
    b->rc = sigdb_pool_new(b->pol, b->dbdir, b->nworkers, b->user, b->run_dir, &b->pool, &b->why);
    g_task_return_boolean(task, TRUE);
}

void sigdb_pool_build_async(const struct policy *pol, const char *dbdir, int nworkers,
                            const char *user, const char *run_dir, GAsyncReadyCallback cb,
                            gpointer data)
{
    struct sigdb_build *b = g_new0(struct sigdb_build, 1);
    b->pol = pol;
    b->dbdir = g_strdup(dbdir);
    b->user = g_strdup(user);
    b->run_dir = g_strdup(run_dir);
    b->nworkers = nworkers;
    GTask *t = g_task_new(NULL, NULL, cb, data);
    g_task_set_task_data(t, b, sigdb_build_free);
    g_task_run_in_thread(t, sigdb_build_thread);
    g_object_unref(t);
}

int sigdb_pool_build_finish(GAsyncResult *res, struct scanner_pool **out, char **why)
{
    struct sigdb_build *b = g_task_get_task_data(G_TASK(res));
    *out = NULL;
    if (b->rc != 0) {
        *why = g_strdup(b->why ? b->why : kerr_str(b->rc));
        return b->rc;
    }
    *out = b->pool;
    b->pool = NULL; /* transferred */
    return 0;
}

/* ---- install ---------------------------------------------------------------------------- */

struct sigdb_item {
    char *src;  /* as given */
    char *name; /* base name */
    char *copy; /* private copy */
    char sha256[65];
    unsigned version; /* .cvd/.cld */
    int64_t build_time;
    char *result;
};

static void sigdb_item_clear(struct sigdb_item *it)
{
    g_free(it->src);
    g_free(it->name);
    g_free(it->copy);
    g_free(it->result);
}

/* Copy SRC (read once, regular file, bounded) to DST (new, 0644) with fsync. */
static int sigdb_copy(const char *src, const char *dst, char **why)
{
    int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), out = -1, rc = KERR_SYSTEM;
    struct stat st;
    char buf[1 << 16];
    if (in < 0) {
        *why = g_strdup_printf("%s: %s", src, g_strerror(errno));
        return KERR_SYSTEM;
    }
    if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > SIGDB_MAX_FILE) {
        *why = g_strdup_printf("%s: not a regular file of a sensible size", src);
        rc = KERR_INVAL;
        goto out;
    }
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (out < 0) {
        *why = g_strdup_printf("%s: %s", dst, g_strerror(errno));
        goto out;
    }
    bool write_failed;
    if (util_copy_fd(in, out, buf, sizeof(buf), NULL, &write_failed) != 0) {
        *why = g_strdup_printf("%s: %s: %s", write_failed ? dst : src,
                               write_failed ? "write" : "read", g_strerror(errno));
        goto out;
    }
    if (fsync(out) != 0) {
        *why = g_strdup_printf("%s: fsync: %s", dst, g_strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (out >= 0)
        close(out);
    close(in);
    return rc;
}

/* Installed .cvd/.cld version of the database BASE ("daily"), 0 if none. */
static unsigned sigdb_installed_version(const char *sigdir, const char *base)
{
    unsigned best = 0;
    static const char *const exts[] = {".cvd", ".cld"};
    for (size_t i = 0; i < G_N_ELEMENTS(exts); i++) {
        char *p = g_strdup_printf("%s/%s%s", sigdir, base, exts[i]);
        struct cl_cvd *cvd = g_file_test(p, G_FILE_TEST_IS_REGULAR) ? cl_cvdhead(p) : NULL;
        if (cvd) {
            if (cvd->version > best)
                best = cvd->version;
            cl_cvdfree(cvd);
        }
        g_free(p);
    }
    return best;
}

/* Link the installed databases the new set does not replace into TMP. */
static int sigdb_link_installed(const char *sigdir, const char *tmp, struct sigdb_item *items,
                                int n, char **why)
{
    DIR *d = opendir(sigdir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        *why = g_strdup_printf("%s: %s", sigdir, g_strerror(errno));
        return KERR_SYSTEM;
    }
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
        if (!sigdb_is_db_name(de->d_name))
            continue;
        bool replaced = false;
        for (int i = 0; i < n && !replaced; i++) {
            if (!strcmp(items[i].name, de->d_name))
                replaced = true;
            /* daily.cvd replaces daily.cld and the other way round */
            if (sigdb_is_cvd(de->d_name) && sigdb_is_cvd(items[i].name)) {
                size_t a = strlen(de->d_name) - 4, b = strlen(items[i].name) - 4;
                if (a == b && !strncmp(de->d_name, items[i].name, a))
                    replaced = true;
            }
        }
        if (replaced)
            continue;
        char *target = g_build_filename(sigdir, de->d_name, NULL);
        char *link = g_build_filename(tmp, de->d_name, NULL);
        if (symlink(target, link) != 0) {
            *why = g_strdup_printf("%s: %s", link, g_strerror(errno));
            rc = KERR_SYSTEM;
        }
        g_free(target);
        g_free(link);
        if (rc)
            break;
    }
    closedir(d);
    return rc;
}

static void sigdb_remove_counterpart(const char *sigdir, const char *name)
{
    if (!sigdb_is_cvd(name))
        return;
    size_t n = strlen(name) - 4;
    char *other = g_strdup_printf("%s/%.*s%s", sigdir, (int)n, name,
                                  g_ascii_strcasecmp(name + n, ".cvd") ? ".cvd" : ".cld");
    if (unlink(other) == 0)
        log_info("signatures: removed %s (replaced by %s)", other, name);
    g_free(other);
}

/* FILE, the I-th of ITEMS, read once into TMP and checked on that copy: a database name,
 * given once, ClamAV's signature of a .cvd/.cld, no older than the installed version.
 * 0, or a KERR_* with *why and the item's result. */
static int sigdb_check_item(const char *sigdir, const char *tmp, struct sigdb_item *items, int i,
                            const char *file, char **why)
{
    struct sigdb_item *it = &items[i];
    it->src = g_strdup(file);
    it->name = g_path_get_basename(file);
    if (!sigdb_is_db_name(it->name)) {
        *why = g_strdup_printf("%s: not a ClamAV database (expected .cvd, .cld or another "
                               "database extension)",
                               file);
        it->result = g_strdup("not a database");
        return KERR_INVAL;
    }
    for (int k = 0; k < i; k++)
        if (!strcmp(items[k].name, it->name)) {
            *why = g_strdup_printf("%s is given twice", it->name);
            return KERR_INVAL;
        }
    /* Read once: every check and the install use this copy. */
    it->copy = g_build_filename(tmp, it->name, NULL);
    int rc = sigdb_copy(file, it->copy, why);
    if (rc != 0) {
        it->result = g_strdup("unreadable");
        return rc;
    }
    util_sha256_file(it->copy, it->sha256);
    if (!sigdb_is_cvd(it->name))
        return 0;
    cl_error_t cr = cl_cvdverify(it->copy);
    if (cr != CL_SUCCESS) {
        *why = g_strdup_printf("%s: ClamAV's signature check failed (%s): the file is "
                               "damaged or not from ClamAV",
                               it->name, cl_strerror(cr));
        it->result = g_strdup("bad signature");
        return KERR_CORRUPT;
    }
    struct cl_cvd *cvd = cl_cvdhead(it->copy);
    if (cvd) {
        it->version = cvd->version;
        it->build_time = (int64_t)cvd->stime;
        cl_cvdfree(cvd);
    }
    char *base = g_strndup(it->name, strlen(it->name) - 4);
    unsigned have = sigdb_installed_version(sigdir, base);
    g_free(base);
    if (have > it->version) {
        *why = g_strdup_printf("%s: version %u is older than the installed version %u "
                               "(rollback refused)",
                               it->name, it->version, have);
        it->result = g_strdup("rollback");
        return KERR_INVAL;
    }
    return 0;
}

/* The whole set in TMP must load and compile with what stays installed (POL's options,
 * or none).  0, or a KERR_* with *why. */
static int sigdb_check_loads(const char *sigdir, const char *tmp, const struct policy *pol,
                             struct sigdb_item *items, int n, char **why)
{
    struct scanner_engine *engine = NULL;
    char *ewhy = NULL;
    int rc = sigdb_link_installed(sigdir, tmp, items, n, why);
    if (rc != 0)
        return rc;
    if (pol)
        rc = sigdb_engine_load(pol, tmp, NULL, &engine, &ewhy);
    else
        rc = scanner_engine_load(tmp, &(struct scanner_opts){0}, &engine, &ewhy);
    if (rc != 0) {
        *why = g_strdup_printf("the databases do not load: %s", ewhy ? ewhy : kerr_str(rc));
        for (int i = 0; i < n; i++)
            items[i].result = g_strdup("does not load");
    }
    scanner_engine_unref(engine);
    g_free(ewhy);
    return rc;
}

/* Each checked copy into SIGDIR under a temporary name, then renamed over the old one
 * (its .cvd/.cld counterpart removed).  0, or a KERR_* with *why; *INSTALLED counts. */
static int sigdb_put(const char *sigdir, struct sigdb_item *items, int n, int *installed,
                     char **why)
{
    int rc = util_mkdir_p(sigdir, 0755);
    if (rc != 0) {
        *why = g_strdup_printf("%s: %s", sigdir, g_strerror(errno));
        return rc;
    }
    for (int i = 0; i < n; i++) {
        struct sigdb_item *it = &items[i];
        char *part = g_strdup_printf("%s/.%s.kiosk-tmp", sigdir, it->name);
        char *dst = g_build_filename(sigdir, it->name, NULL);
        unlink(part);
        rc = sigdb_copy(it->copy, part, why);
        if (rc == 0 && rename(part, dst) != 0) {
            *why = g_strdup_printf("%s: %s", dst, g_strerror(errno));
            rc = KERR_SYSTEM;
        }
        if (rc != 0)
            unlink(part);
        else
            sigdb_remove_counterpart(sigdir, it->name);
        g_free(part);
        g_free(dst);
        if (rc != 0) {
            it->result = g_strdup("not installed");
            return rc;
        }
        it->result = g_strdup("installed");
        (*installed)++;
    }
    util_fsync_dir(sigdir);
    return 0;
}

/* The "signatures-install" audit record: each file with its result, and why not (RC). */
static void sigdb_record(struct audit *a, const char *sigdir, char *const *files,
                         const struct sigdb_item *items, int n, int rc, int installed,
                         const char *why)
{
    JsonObject *o = json_object_new();
    JsonArray *arr = json_array_new();
    for (int i = 0; i < n; i++) {
        JsonObject *f = json_object_new();
        json_object_set_string_member(f, "file", files[i]);
        if (items[i].sha256[0])
            json_object_set_string_member(f, "sha256", items[i].sha256);
        if (items[i].version)
            json_object_set_int_member(f, "version", items[i].version);
        if (items[i].build_time)
            json_object_set_int_member(f, "build_time", items[i].build_time);
        json_object_set_string_member(
            f, "result", items[i].result ? items[i].result : (rc ? "not installed" : "installed"));
        json_array_add_object_element(arr, f);
    }
    json_object_set_array_member(o, "files", arr);
    json_object_set_string_member(o, "signatures", sigdir);
    json_object_set_boolean_member(o, "ok", rc == 0);
    json_object_set_int_member(o, "installed", installed);
    if (rc != 0)
        json_object_set_string_member(o, "reason", why);
    if (a && (audit_append(a, "signatures-install", o) != 0 || audit_sync(a) != 0))
        log_error("audit: cannot record the signature install");
    json_object_unref(o);
}

int sigdb_install(const char *sigdir, const struct policy *pol, char *const *files, int n,
                  struct audit *a, char **why)
{
    struct sigdb_item *items = g_new0(struct sigdb_item, n > 0 ? n : 1);
    char *tmp = g_build_filename(g_get_tmp_dir(), "kiosk-sigdb.XXXXXX", NULL);
    bool have_tmp = false;
    int rc = KERR_INVAL, installed = 0;

    if (n <= 0) {
        *why = g_strdup("no database file given");
    } else if (!g_mkdtemp_full(tmp, 0700)) {
        *why = g_strdup_printf("%s: %s", tmp, g_strerror(errno));
        rc = KERR_SYSTEM;
    } else {
        have_tmp = true;
        rc = 0;
        for (int i = 0; i < n && rc == 0; i++)
            rc = sigdb_check_item(sigdir, tmp, items, i, files[i], why);
        if (rc == 0)
            rc = sigdb_check_loads(sigdir, tmp, pol, items, n, why);
        if (rc == 0)
            rc = sigdb_put(sigdir, items, n, &installed, why);
    }
    sigdb_record(a, sigdir, files, items, n, rc, installed, *why);
    if (have_tmp)
        util_rm_rf(tmp);
    for (int i = 0; i < n; i++)
        sigdb_item_clear(&items[i]);
    g_free(items);
    g_free(tmp);
    return rc;
}

#include "scanner/scanner.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"

#include <clamav.h>
#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct scanner_engine {
    gint refcount;
    uint64_t max_filesize;      /* for scanner_meta_cb */
    struct cl_engine *engine;
    struct cl_scan_options scanopts;
    struct scanner_info info;
};

/* libclamav's own messages go to the debug log: what it means for people is said by the
 * verdict or by the error this module returns. */
static void scanner_clamav_msg(enum cl_msg severity, const char *fullmsg, const char *msg,
                               void *context)
{
    (void)fullmsg;
    (void)context;
    char *m = g_strchomp(g_strdup(msg));
    log_debug("libclamav%s: %s", severity == CL_MSG_ERROR ? " error" : "", m);
    g_free(m);
}

int scanner_init(void)
{
    static gsize done;
    static int result;
    if (g_once_init_enter(&done)) {
        cl_set_clcb_msg(scanner_clamav_msg);
        cl_error_t r = cl_init(CL_INIT_DEFAULT);
        if (r != CL_SUCCESS) {
            log_error("cl_init: %s", cl_strerror(r));
            result = KERR_ENGINE;
        }
        g_once_init_leave(&done, 1);
    }
    return result;
}

/* The repository's test database (tests/data/signatures), by name AND exact content.
 * Only these bytes are TEST SIGNATURES and exempt from the age gate; a file merely named
 * kiosk-test* is an ordinary database.  tests/unit/test_sigdb.c checks that these hashes
 * are the files' (update them with the files). */
static const struct {
    const char *name;
    const char *sha256;
} scanner_test_db[] = {
    {"kiosk-test.hdb", "b1e408a594b99327decd5c528cf48ba49e60c95116fbd3356104f4bf73927a48"},
    {"kiosk-test.hsb", "2cbb3371fd17e2286d39ea865aefa76a1d6f615e2472650d3a022944a0e0a098"},
    {"kiosk-test.ndb", "03bad71eda4b366a678f8fee9355af3e4a8060b394606e4bb8a73d606e8634c7"},
};

/* What a database file says about the age of the signatures. */
enum scanner_db_role {
    SCANNER_DB_OFFICIAL, /* .cvd/.cld/.cud: build time in its header */
    SCANNER_DB_PLAIN,    /* plain signatures (.hdb, .ndb, .ldb, ...): their own mtime */
    SCANNER_DB_NO_AGE,   /* allow-lists and metadata: never rejuvenate anything */
};

struct scanner_db_ext {
    const char *ext;
    enum scanner_db_role role;
};

/* Every extension libclamav loads from a database folder.  Allow-lists (.fp, .sfp, .ign,
 * .ign2, .wdb), the trusted/revoked certificate list (.crb) and metadata (.info, .cat,
 * .crt, .sign, .cfg) say nothing about how current the signatures are. */
static const struct scanner_db_ext scanner_db_exts[] = {
    {".cvd", SCANNER_DB_OFFICIAL},  {".cld", SCANNER_DB_OFFICIAL},  {".cud", SCANNER_DB_OFFICIAL},
    {".hdb", SCANNER_DB_PLAIN},     {".hsb", SCANNER_DB_PLAIN},     {".hdu", SCANNER_DB_PLAIN},
    {".hsu", SCANNER_DB_PLAIN},     {".mdb", SCANNER_DB_PLAIN},     {".msb", SCANNER_DB_PLAIN},
    {".mdu", SCANNER_DB_PLAIN},     {".msu", SCANNER_DB_PLAIN},     {".ndb", SCANNER_DB_PLAIN},
    {".ndu", SCANNER_DB_PLAIN},     {".ldb", SCANNER_DB_PLAIN},     {".ldu", SCANNER_DB_PLAIN},
    {".db", SCANNER_DB_PLAIN},      {".cbc", SCANNER_DB_PLAIN},     {".cdb", SCANNER_DB_PLAIN},
    {".idb", SCANNER_DB_PLAIN},     {".pdb", SCANNER_DB_PLAIN},     {".gdb", SCANNER_DB_PLAIN},
    {".ftm", SCANNER_DB_PLAIN},     {".yar", SCANNER_DB_PLAIN},     {".yara", SCANNER_DB_PLAIN},
    {".pwdb", SCANNER_DB_PLAIN},    {".imp", SCANNER_DB_PLAIN},     {".crb", SCANNER_DB_NO_AGE},
    {".fp", SCANNER_DB_NO_AGE},     {".sfp", SCANNER_DB_NO_AGE},    {".ign", SCANNER_DB_NO_AGE},
    {".ign2", SCANNER_DB_NO_AGE},   {".wdb", SCANNER_DB_NO_AGE},    {".info", SCANNER_DB_NO_AGE},
    {".cat", SCANNER_DB_NO_AGE},    {".crt", SCANNER_DB_NO_AGE},    {".sign", SCANNER_DB_NO_AGE},
    {".cfg", SCANNER_DB_NO_AGE},
};

/* The entry for NAME's extension, or NULL when libclamav does not load it. */
static const struct scanner_db_ext *scanner_db_ext_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(scanner_db_exts); i++)
        if (g_ascii_strcasecmp(dot, scanner_db_exts[i].ext) == 0)
            return &scanner_db_exts[i];
    return NULL;
}

static int scanner_name_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Is PATH (named NAME) one of the bundled test database files, byte for byte? */
static bool scanner_is_test_db(const char *path, const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(scanner_test_db); i++) {
        if (strcmp(name, scanner_test_db[i].name) != 0)
            continue;
        char sha[65] = "";
        return util_sha256_file(path, sha) == 0 && strcmp(sha, scanner_test_db[i].sha256) == 0;
    }
    return false;
}

/* Oldest of A and B, where 0 means "none yet". */
static int64_t scanner_oldest(int64_t a, int64_t b)
{
    return a == 0 || (b > 0 && b < a) ? b : a;
}

int scanner_db_describe(const char *dbdir, struct scanner_info *info)
{
    DIR *d = opendir(dbdir);
    if (!d)
        return KERR_SYSTEM;
    GString *ver = g_string_new(NULL);
    /* The age (docs/admin.md, "Freshness"): official databases by the build time in
     * their header, daily's when there is one (the database ClamAV rebuilds several
     * times a day, and the one libclamav itself warns about; main.cvd is rebuilt every
     * few months), else the oldest; only without official databases, plain signature
     * files by the oldest of their own times; allow-lists and metadata never.  The
     * bundled test database is left out (exempt), by its exact bytes. */
    int64_t daily = 0, official = 0, plain_time = 0;
    bool plain = false;
    struct dirent *de;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

    info->test_signatures = false;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.' && scanner_db_ext_of(de->d_name))
            g_ptr_array_add(names, g_strdup(de->d_name));
    closedir(d);
    g_ptr_array_sort(names, scanner_name_cmp);
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        const struct scanner_db_ext *x = scanner_db_ext_of(name);
        char *path = g_build_filename(dbdir, name, NULL);
        const char *dot = strrchr(name, '.');
        if (x->role == SCANNER_DB_OFFICIAL) {
            struct cl_cvd *cvd = cl_cvdhead(path);
            if (cvd) {
                g_string_append_printf(ver, "%s%.*s:%u", ver->len ? " " : "", (int)(dot - name),
                                       name, cvd->version);
                official = scanner_oldest(official, (int64_t)cvd->stime);
                if ((size_t)(dot - name) == 5 && !g_ascii_strncasecmp(name, "daily", 5))
                    daily = (int64_t)cvd->stime;
                cl_cvdfree(cvd);
            }
        } else if (scanner_is_test_db(path, name)) {
            info->test_signatures = true;
        } else {
            struct stat st;
            plain = true;
            if (x->role == SCANNER_DB_PLAIN && stat(path, &st) == 0)
                plain_time = scanner_oldest(plain_time, (int64_t)st.st_mtime);
        }
        g_free(path);
    }
    if (plain || info->test_signatures)
        g_string_append_printf(ver, "%slocal", ver->len ? " " : "");
    if (info->test_signatures)
        g_string_append(ver, " (TEST SIGNATURES)");
    g_strlcpy(info->db_version, ver->len ? ver->str : "none", sizeof(info->db_version));
    info->db_time = daily ? daily : official ? official : plain_time;
    g_strlcpy(info->db_dir, dbdir, sizeof(info->db_dir));
    g_strlcpy(info->engine_version, cl_retver(), sizeof(info->engine_version));
    g_string_free(ver, TRUE);
    g_ptr_array_free(names, TRUE);
    return 0;
}

/* An archive member larger than the file-size limit: libclamav 1.4 scans only its first
 * max-filesize bytes and says nothing (CL_SCAN_HEURISTIC_EXCEEDS_MAX does not fire for a
 * trimmed zip member), so such an archive would pass as clean.  The metadata callback
 * sees every member's declared size before extraction; a member over the limit is an
 * alert, which verdict.c maps to "could not be scanned completely". */
static cl_error_t scanner_meta_cb(const char *container_type, unsigned long fsize_container,
                                  const char *filename, unsigned long fsize_real, int is_encrypted,
                                  unsigned int filepos_container, void *context)
{
    const struct scanner_engine *s = context;
    (void)container_type;
    (void)fsize_container;
    (void)filename;
    (void)is_encrypted;
    (void)filepos_container;
    if (s && (uint64_t)fsize_real > s->max_filesize)
        return CL_VIRUS;
    return CL_CLEAN;
}

static int scanner_set_limits(struct cl_engine *e, const struct scanner_opts *o, char **errmsg)
{
    struct {
        enum cl_engine_field field;
        long long value;
    } limits[] = {
        {CL_ENGINE_MAX_FILESIZE, (long long)o->max_filesize},
        {CL_ENGINE_MAX_SCANSIZE, (long long)o->max_scansize},
        {CL_ENGINE_MAX_RECURSION, (long long)o->max_recursion},
        {CL_ENGINE_MAX_FILES, (long long)o->max_files},
        {CL_ENGINE_MAX_SCANTIME, (long long)o->max_scantime},
    };
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        if (limits[i].value <= 0 || limits[i].value >= (1LL << 30)) {
            *errmsg = g_strdup_printf("scan limit %d out of range: %lld", (int)limits[i].field,
                                      limits[i].value);
            return KERR_INVAL;
        }
        cl_error_t r = cl_engine_set_num(e, limits[i].field, limits[i].value);
        if (r != CL_SUCCESS) {
            *errmsg = g_strdup_printf("cl_engine_set_num: %s", cl_strerror(r));
            return KERR_ENGINE;
        }
    }
    if (o->tmpdir) {
        cl_error_t r = cl_engine_set_str(e, CL_ENGINE_TMPDIR, o->tmpdir);
        if (r != CL_SUCCESS) {
            *errmsg = g_strdup_printf("cl_engine_set_str(TMPDIR): %s", cl_strerror(r));
            return KERR_ENGINE;
        }
    }
    return 0;
}

int scanner_engine_load(const char *dbdir, const struct scanner_opts *opts,
                        struct scanner_engine **out, char **errmsg)
{
    struct scanner_engine *s = NULL;
    unsigned int sigs = 0;
    int r;
    cl_error_t cr;

    *out = NULL;
    *errmsg = NULL;
    if ((r = scanner_init()) != 0) {
        *errmsg = g_strdup("libclamav could not be initialised");
        return r;
    }
    s = g_new0(struct scanner_engine, 1);
    s->refcount = 1;
    if (scanner_db_describe(dbdir, &s->info) != 0) {
        *errmsg = g_strdup_printf("cannot read signature folder %s: %s", dbdir, g_strerror(errno));
        r = KERR_NO_SIGNATURES;
        goto out;
    }
    if (!strcmp(s->info.db_version, "none")) {
        *errmsg = g_strdup_printf("no signatures: %s holds no ClamAV database files", dbdir);
        r = KERR_NO_SIGNATURES;
        goto out;
    }
    s->engine = cl_engine_new();
    if (!s->engine) {
        *errmsg = g_strdup("cl_engine_new failed");
        r = KERR_NOMEM;
        goto out;
    }
    if ((r = scanner_set_limits(s->engine, opts, errmsg)) != 0)
        goto out;
    cr = cl_load(dbdir, s->engine, &sigs, CL_DB_STDOPT);
    if (cr != CL_SUCCESS) {
        *errmsg = g_strdup_printf("cannot load signatures from %s: %s", dbdir, cl_strerror(cr));
        r = KERR_NO_SIGNATURES;
        goto out;
    }
    if (sigs == 0) {
        *errmsg = g_strdup_printf("no signatures: the databases in %s hold none", dbdir);
        r = KERR_NO_SIGNATURES;
        goto out;
    }
    s->max_filesize = opts->max_filesize;
    cl_engine_set_clcb_meta(s->engine, scanner_meta_cb);
    cr = cl_engine_compile(s->engine);
    if (cr != CL_SUCCESS) {
        *errmsg = g_strdup_printf("cannot compile signatures: %s", cl_strerror(cr));
        r = KERR_ENGINE;
        goto out;
    }
    s->info.signatures = sigs;

    memset(&s->scanopts, 0, sizeof(s->scanopts));
    s->scanopts.general = CL_SCAN_GENERAL_HEURISTICS;
    /* Every parser, archives included, whatever the policy says about archive types:
     * Office documents, PDFs and installers are containers too, and a macro or an
     * embedded object is only seen by parsing them.  [scan] archives=block refuses
     * archive *types* through the policy decision (policy_decide_file), never by
     * blinding the scanner. */
    s->scanopts.parse = ~0u;
    /* Invariant 1: limits always alert, so a file libclamav stopped looking into is never
     * reported clean. */
    s->scanopts.heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX;
    if (opts->block_macros)
        s->scanopts.heuristic |= CL_SCAN_HEURISTIC_MACROS;
    if (opts->block_encrypted)
        s->scanopts.heuristic |= CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE |
                                 CL_SCAN_HEURISTIC_ENCRYPTED_DOC;
    *out = s;
    s = NULL; /* transferred */
    r = 0;
out:
    scanner_engine_unref(s);
    return r;
}

struct scanner_engine *scanner_engine_ref(struct scanner_engine *e)
{
    g_atomic_int_inc(&e->refcount);
    return e;
}

void scanner_engine_unref(struct scanner_engine *e)
{
    if (!e)
        return;
    if (!g_atomic_int_dec_and_test(&e->refcount))
        return;
    if (e->engine)
        cl_engine_free(e->engine);
    g_free(e);
}

const struct scanner_info *scanner_engine_info(const struct scanner_engine *e)
{
    return &e->info;
}

int scanner_scan_fd(struct scanner_engine *e, int fd, const char *name, struct verdict *out)
{
    const char *virname = NULL;
    unsigned long scanned = 0;
    struct cl_scan_options opts = e->scanopts; /* libclamav wants a non-const copy */

    if (lseek(fd, 0, SEEK_SET) != 0) {
        verdict_setr(out, VERDICT_ERROR, "scan.error-rewind", g_strerror(errno), NULL);
        return 0;
    }
    cl_error_t r = cl_scandesc_callback(fd, name, &virname, &scanned, e->engine, &opts, e);
    verdict_from_clamav((int)r, virname, out);
    return 0;
}

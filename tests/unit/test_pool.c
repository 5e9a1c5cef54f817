/* Unit tests: scanner/pool.c, worker.c, sandbox.c - sandboxed scanner workers.
 *
 * Real workers on the repository's test database (tests/data/signatures, found through
 * KIOSK_SRCDIR or the current folder): verdicts, concurrency, confinement as /proc shows
 * it (seccomp mode 2, no_new_privs, the scan user, own network namespace, chroot), and
 * what happens when a worker crashes, hangs, lies or makes a forbidden system call.
 * As root the user kiosk-scan is created if missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "scanner/edifact.h"
#include "scanner/pool.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#define SCAN_USER "kiosk-scan"
#define TIMEOUT_MS 30000

/* EICAR, reversed and base64-encoded so no scanner flags this source file. */
static const char eicar_r[] = "=oCSrgEJhUETJZULUNVRU1yUVJVSWlEVOFULEJVQE5UQUNVLSF0QJVEJ9dTKDN0Np4FU"
                              "oQTNYpFUcRzWQFEQlAVIPVDW";

static char *tmp_root; /* the pools' TMP_ROOT; must be empty after each scanner_pool_free */
static char *files_dir;

static const struct scanner_opts test_opts = {
    .max_filesize = 100u << 20,
    .max_scansize = 200u << 20,
    .max_recursion = 16,
    .max_files = 10000,
    .max_scantime = 120000,
    .block_macros = true,
    .block_encrypted = true,
};

static bool is_root(void)
{
    return geteuid() == 0;
}

static char *db_dir(void)
{
    const char *src = getenv("KIOSK_SRCDIR");
    return g_build_filename(src ? src : ".", "tests", "data", "signatures", NULL);
}

/* A file with CONTENT (LEN bytes), opened read-write as the session's spool copy is. */
static int make_file(const char *name, const void *content, size_t len)
{
    char *path = g_build_filename(files_dir, name, NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    g_free(path);
    assert_true(fd >= 0);
    assert_int_equal(util_write_all(fd, content, len), 0);
    return fd;
}

static int make_eicar_named(const char *name)
{
    char *rev = g_strreverse(g_strdup(eicar_r));
    gsize len = 0;
    guchar *eicar = g_base64_decode(rev, &len);
    assert_int_equal(len, 68);
    int fd = make_file(name, eicar, len);
    g_free(eicar);
    g_free(rev);
    return fd;
}

static int make_eicar(void)
{
    return make_eicar_named("eicar.com");
}

static int make_clean(void)
{
    static const char text[] = "Minutes of the meeting: nothing to see here.\n";
    return make_file("clean.txt", text, sizeof(text) - 1);
}

static char *pool_root; /* this pool's TMP_ROOT inside tmp_root: one per pool, so a
                         * failed test leaves nothing that fails the next one */

static void new_pool_root(void)
{
    g_free(pool_root);
    pool_root = g_build_filename(tmp_root, "pool.XXXXXX", NULL);
    assert_non_null(mkdtemp(pool_root));
}

static struct scanner_pool *new_pool(int n)
{
    struct scanner_pool *p = NULL;
    char *why = NULL;
    char *db = db_dir();
    new_pool_root();
    int r = scanner_pool_new(db, &test_opts, n, is_root() ? SCAN_USER : NULL, pool_root, &p, &why);
    if (r != 0)
        fail_msg("scanner_pool_new: %s", why);
    g_free(db);
    return p;
}

static void free_pool(struct scanner_pool *p)
{
    scanner_pool_free(p);
    /* No temp folder, no worker left behind. */
    GDir *d = g_dir_open(pool_root, 0, NULL);
    assert_non_null(d);
    const char *left = g_dir_read_name(d);
    if (left)
        fail_msg("left in the pool's temp root: %s", left);
    g_dir_close(d);
    assert_int_equal(rmdir(pool_root), 0);
}

static void assert_infected(struct scanner_pool *p, int fd)
{
    struct verdict v;
    assert_int_equal(scanner_pool_scan_fd(p, fd, "eicar.com", TIMEOUT_MS, &v), 0);
    if (v.kind != VERDICT_INFECTED || !strstr(v.reason, "Kiosk.Test.EICAR"))
        fail_msg("EICAR: %s: %s", verdict_kind_str(v.kind), v.reason);
}

static void assert_clean(struct scanner_pool *p, int fd)
{
    struct verdict v;
    assert_int_equal(scanner_pool_scan_fd(p, fd, "clean.txt", TIMEOUT_MS, &v), 0);
    if (v.kind != VERDICT_CLEAN)
        fail_msg("clean file: %s: %s", verdict_kind_str(v.kind), v.reason);
    assert_string_equal(v.reason, "");
}

/* Under AddressSanitizer a crashing worker first runs ASan's SEGV handler, whose report
 * makes system calls the seccomp filter forbids: the worker then dies of SIGSYS.  Either
 * way the file is an error; only the signal differs. */
#ifdef __SANITIZE_ADDRESS__
#define TEST_POOL_CRASH "crashed (killed by SIG"
#else
#define TEST_POOL_CRASH "crashed (killed by SIGSEGV)"
#endif

/* Scan FD with the worker test hook HOOK; the verdict must be ERROR containing WANT. */
static void assert_hook_error(struct scanner_pool *p, const char *hook, int fd, unsigned timeout,
                              const char *want)
{
    struct verdict v;
    setenv("KIOSK_SCANNER_TEST_FORBIDDEN", hook, 1);
    assert_int_equal(scanner_pool_scan_fd(p, fd, "hooked", timeout, &v), 0);
    unsetenv("KIOSK_SCANNER_TEST_FORBIDDEN");
    if (v.kind != VERDICT_ERROR || !strstr(v.reason, want))
        fail_msg("hook %s: %s: \"%s\" (wanted \"%s\")", hook, verdict_kind_str(v.kind), v.reason,
                 want);
}

static char *proc_status_line(pid_t pid, const char *key)
{
    char *path = g_strdup_printf("/proc/%ld/status", (long)pid);
    char *text = NULL, *line = NULL;
    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    for (char **l = g_strsplit(text, "\n", -1), **it = l; *it; it++) {
        if (g_str_has_prefix(*it, key)) {
            line = g_strdup(*it + strlen(key));
            g_strfreev(l);
            break;
        }
        if (!it[1])
            g_strfreev(l);
    }
    g_free(text);
    g_free(path);
    if (!line)
        fail_msg("no %s in /proc/%ld/status", key, (long)pid);
    return line;
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_verdicts(void **state)
{
    (void)state;
    struct scanner_pool *p = new_pool(2);
    const struct scanner_info *info = scanner_pool_info(p);
    assert_true(info->signatures > 0);
    assert_true(info->test_signatures);
    assert_true(info->engine_version[0] != '\0');
    int e = make_eicar(), c = make_clean();
    assert_infected(p, e);
    assert_clean(p, c);
    /* The worker rewinds: a second scan of the same fd gives the same answer. */
    assert_infected(p, e);
    assert_clean(p, c);
    close(e);
    close(c);
    free_pool(p);
}

/* The worker detects the type (libmagic runs there, not in the service), and says it as
 * a plain MIME type, also for a file libclamav calls infected. */
static void test_types(void **state)
{
    (void)state;
    struct scanner_pool *p = new_pool(1);
    static const char pdf[] = "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
    static const unsigned char zip[] = {'P', 'K', 5, 6, 0, 0, 0, 0, 0, 0, 0,
                                        0,   0,   0, 0, 0, 0, 0, 0, 0, 0, 0};
    int c = make_clean(), e = make_eicar(), d = make_file("doc.pdf", pdf, sizeof(pdf) - 1),
        z = make_file("empty.zip", zip, sizeof(zip));
    const struct {
        int fd;
        const char *mime;
    } want[] = {{c, "text/plain"}, {d, "application/pdf"}, {z, "application/zip"}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        struct verdict v;
        char mime[SCANNER_POOL_MIME_MAX] = "x";
        assert_int_equal(scanner_pool_scan(p, want[i].fd, "f", 0, &v, mime, sizeof(mime)), 0);
        assert_int_equal(v.kind, VERDICT_CLEAN);
        assert_string_equal(mime, want[i].mime);
    }
    struct verdict v;
    char mime[SCANNER_POOL_MIME_MAX] = "";
    assert_int_equal(scanner_pool_scan(p, e, "eicar.com", 0, &v, mime, sizeof(mime)), 0);
    assert_int_equal(v.kind, VERDICT_INFECTED);
    assert_string_equal(mime, "text/plain");
    close(c);
    close(e);
    close(d);
    close(z);
    free_pool(p);
}

static void test_confined(void **state)
{
    (void)state;
    struct scanner_pool *p = new_pool(2);
    pid_t pids[8];
    int n = scanner_pool_worker_pids(p, pids, 8);
    assert_int_equal(n, 2);
    struct passwd *pw = getpwnam(SCAN_USER);
    for (int i = 0; i < n; i++) {
        char *seccomp = proc_status_line(pids[i], "Seccomp:");
        char *nnp = proc_status_line(pids[i], "NoNewPrivs:");
        char *uid = proc_status_line(pids[i], "Uid:");
        char *capeff = proc_status_line(pids[i], "CapEff:");
        /* valgrind cannot run seccomp filters: the workers it forks have none. */
        assert_string_equal(seccomp, RUNNING_ON_VALGRIND ? "\t0" : "\t2");
        assert_string_equal(nnp, "\t1");
        assert_string_equal(capeff, "\t0000000000000000");
        if (is_root()) {
            char *want =
                g_strdup_printf("\t%u\t%u\t%u\t%u", pw->pw_uid, pw->pw_uid, pw->pw_uid, pw->pw_uid);
            assert_true(pw->pw_uid != 0);
            assert_string_equal(uid, want);
            g_free(want);
            /* Own network namespace and a chroot. */
            char *ns = g_strdup_printf("/proc/%ld/ns/net", (long)pids[i]);
            char *theirs = g_file_read_link(ns, NULL),
                 *ours = g_file_read_link("/proc/self/ns/net", NULL);
            assert_non_null(theirs);
            assert_non_null(ours);
            assert_string_not_equal(theirs, ours);
            g_free(ns);
            g_free(theirs);
            g_free(ours);
        }
        g_free(seccomp);
        g_free(nnp);
        g_free(uid);
        g_free(capeff);
    }
    /* The zygote (the workers' parent) was not forked from this process: it is a child
     * of the spawner, a fresh exec of this binary that has only ever had one thread
     * (spawner.h), so no lock another thread held can be stuck in it. */
    char *zp = proc_status_line(pids[0], "PPid:");
    pid_t zygote = (pid_t)atol(zp);
    char *sp = proc_status_line(zygote, "PPid:");
    pid_t spawner = (pid_t)atol(sp);
    assert_true(zygote > 1 && spawner > 1);
    assert_int_not_equal(spawner, getpid());
    char *threads = proc_status_line(spawner, "Threads:");
    assert_string_equal(threads, "\t1");
    char *cmdpath = g_strdup_printf("/proc/%ld/cmdline", (long)spawner), *cmd = NULL;
    assert_true(g_file_get_contents(cmdpath, &cmd, NULL, NULL));
    assert_string_equal(cmd, "kiosk-scanner-spawner");
    char *parent = proc_status_line(spawner, "PPid:");
    assert_int_equal(atol(parent), getpid());
    g_free(zp);
    g_free(sp);
    g_free(threads);
    g_free(cmdpath);
    g_free(cmd);
    g_free(parent);

    /* The worker's file system is its empty temp folder (root: chroot into a tmpfs). */
    int c = make_clean();
    if (is_root())
        assert_hook_error(p, "open", c, TIMEOUT_MS, "No such file or directory");
    assert_clean(p, c);
    close(c);
    free_pool(p);
}

struct scan_job {
    struct scanner_pool *pool;
    int eicar, clean;
    int wrong;
};

static gpointer scan_thread(gpointer data)
{
    struct scan_job *j = data;
    for (int k = 0; k < 25; k++) {
        struct verdict v;
        bool infected = (k % 2) == 0;
        /* Each thread its own fds: a shared fd's offset would be shared too. */
        scanner_pool_scan_fd(j->pool, infected ? j->eicar : j->clean, "t", TIMEOUT_MS, &v);
        if (infected ? (v.kind != VERDICT_INFECTED || !strstr(v.reason, "Kiosk.Test.EICAR"))
                     : v.kind != VERDICT_CLEAN) {
            print_message("scan %d of a %s file: %s: %s\n", k, infected ? "EICAR" : "clean",
                          verdict_kind_str(v.kind), v.reason);
            j->wrong++;
        }
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    (void)state;
    struct scanner_pool *p = new_pool(2);
    struct scan_job jobs[4];
    GThread *threads[4];
    for (int t = 0; t < 4; t++) {
        char *name = g_strdup_printf("t%d", t);
        /* Files of its own per thread: creating the next thread's files must not rewrite
         * one a running thread scans. */
        char *ename = g_strdup_printf("eicar%d.com", t);
        jobs[t] = (struct scan_job){.pool = p, .eicar = make_eicar_named(ename), .wrong = 0};
        g_free(ename);
        char *cname = g_strdup_printf("clean%d.txt", t);
        jobs[t].clean = make_file(cname, "plain text\n", 11);
        threads[t] = g_thread_new(name, scan_thread, &jobs[t]);
        g_free(name);
        g_free(cname);
    }
    for (int t = 0; t < 4; t++) {
        g_thread_join(threads[t]);
        assert_int_equal(jobs[t].wrong, 0);
        close(jobs[t].eicar);
        close(jobs[t].clean);
    }
    free_pool(p);
}

struct hang_job {
    struct scanner_pool *pool;
    int fd;
    struct verdict v;
};

static gpointer hang_thread(gpointer data)
{
    struct hang_job *j = data;
    scanner_pool_scan_fd(j->pool, j->fd, "big.bin", TIMEOUT_MS, &j->v);
    return NULL;
}

static void test_killed_mid_scan(void **state)
{
    (void)state;
    struct scanner_pool *p = new_pool(1);
    pid_t before, after;
    assert_int_equal(scanner_pool_worker_pids(p, &before, 1), 1);
    struct hang_job j = {.pool = p, .fd = make_clean()};
    /* The worker takes the file and does not answer: it is "mid-scan" until killed. */
    setenv("KIOSK_SCANNER_TEST_FORBIDDEN", "hang", 1);
    GThread *t = g_thread_new("scan", hang_thread, &j);
    g_usleep(300 * 1000);
    unsetenv("KIOSK_SCANNER_TEST_FORBIDDEN");
    assert_int_equal(kill(before, SIGKILL), 0);
    g_thread_join(t);
    if (j.v.kind != VERDICT_ERROR || !strstr(j.v.reason, "crashed (killed by SIGKILL)"))
        fail_msg("killed worker: %s: %s", verdict_kind_str(j.v.kind), j.v.reason);
    assert_true(verdict_deliverable(&j.v) == false);
    /* The next file goes to a fresh worker. */
    int e = make_eicar();
    assert_infected(p, e);
    assert_int_equal(scanner_pool_worker_pids(p, &after, 1), 1);
    assert_true(after != before);
    close(e);
    close(j.fd);
    free_pool(p);
}

static void test_timeout(void **state)
{
    (void)state;
    struct scanner_pool *p = new_pool(1);
    pid_t before, after;
    scanner_pool_worker_pids(p, &before, 1);
    int c = make_clean();
    gint64 t0 = g_get_monotonic_time();
    assert_hook_error(p, "hang", c, 300, "timed out after 300 ms");
    assert_true(g_get_monotonic_time() - t0 < 10 * G_USEC_PER_SEC);
    assert_clean(p, c);
    scanner_pool_worker_pids(p, &after, 1);
    assert_true(after != before);
    assert_int_equal(kill(before, 0), -1); /* killed and reaped */
    close(c);
    free_pool(p);
}

static void test_forbidden_syscalls(void **state)
{
    (void)state;
    if (RUNNING_ON_VALGRIND) {
        print_message("under valgrind the workers have no seccomp filter: skipped\n");
        skip();
    }
    struct scanner_pool *p = new_pool(1);
    int e = make_eicar();
    pid_t before, after;
    static const char *hooks[] = {"socket", "execve"};
    for (size_t i = 0; i < 2; i++) {
        scanner_pool_worker_pids(p, &before, 1);
        assert_hook_error(p, hooks[i], e, TIMEOUT_MS, "killed by SIGSYS");
        /* The pool carries on with a fresh, equally confined worker. */
        assert_infected(p, e);
        scanner_pool_worker_pids(p, &after, 1);
        assert_true(after != before);
        char *seccomp = proc_status_line(after, "Seccomp:");
        assert_string_equal(seccomp, "\t2");
        g_free(seccomp);
    }
    close(e);
    free_pool(p);
}

static void test_bad_answers(void **state)
{
    (void)state;
    struct scanner_pool *p = new_pool(2);
    int e = make_eicar();
    assert_hook_error(p, "nonsense", e, TIMEOUT_MS, "answered nonsense");
    assert_hook_error(p, "stale", e, TIMEOUT_MS, "answered nonsense");
    assert_hook_error(p, "crash", e, TIMEOUT_MS, TEST_POOL_CRASH);
    for (int k = 0; k < 4; k++)
        assert_infected(p, e);
    close(e);
    free_pool(p);
}

/* The EDIFACT summary crosses from the sandboxed worker (docs/edifact.md); one that fails
 * the service's re-check makes the file an error and the worker is replaced; the hooks
 * that answer early keep the protocol in step when a summary was asked for. */
static void test_edifact(void **state)
{
    (void)state;
    struct scanner_pool *p = new_pool(1);
    const char *src = getenv("KIOSK_SRCDIR");
    char *path = g_build_filename(src ? src : ".", "tests", "data", "edifact",
                                  "baplie-d95b-smdg22.edi", NULL);
    char *data = NULL;
    gsize len = 0;
    assert_true(g_file_get_contents(path, &data, &len, NULL));
    int fd = make_file("bayplan.edi", data, len), c = make_clean();
    struct edifact_summary edi;
    struct verdict v;
    char mime[SCANNER_POOL_MIME_MAX];
    pid_t before, after;

    assert_int_equal(scanner_pool_scan_edifact(p, fd, "bayplan.edi", TIMEOUT_MS, &v, mime,
                                               sizeof(mime), 0, &edi),
                     0);
    assert_int_equal(v.kind, VERDICT_CLEAN);
    assert_string_equal(mime, "text/plain"); /* the type comes with the EDIFACT summary */
    assert_int_equal(edi.status, EDIFACT_OK);
    assert_string_equal(edi.msg[0].type, "BAPLIE");
    assert_string_equal(edi.msg[0].vessel, "MSC AURORA");
    assert_string_equal(edi.msg[0].voyage, "123W");
    assert_int_equal(edi.containers, 36);
    /* not EDIFACT; and named like it */
    assert_int_equal(
        scanner_pool_scan_edifact(p, c, "clean.txt", TIMEOUT_MS, &v, mime, sizeof(mime), 0, &edi),
        0);
    assert_int_equal(v.kind, VERDICT_CLEAN);
    assert_int_equal(edi.status, EDIFACT_NONE);
    assert_int_equal(scanner_pool_scan_edifact(p, c, "clean.edi", TIMEOUT_MS, &v, mime,
                                               sizeof(mime), EDIFACT_BY_NAME, &edi),
                     0);
    assert_int_equal(edi.status, EDIFACT_MALFORMED);
    assert_int_equal(edi.problem.code, EDIFACT_P_NOT_INTERCHANGE);

    scanner_pool_worker_pids(p, &before, 1);
    setenv("KIOSK_SCANNER_TEST_FORBIDDEN", "edifact-nonsense", 1);
    assert_int_equal(scanner_pool_scan_edifact(p, fd, "bayplan.edi", TIMEOUT_MS, &v, mime,
                                               sizeof(mime), 0, &edi),
                     0);
    unsetenv("KIOSK_SCANNER_TEST_FORBIDDEN");
    assert_int_equal(v.kind, VERDICT_ERROR);
    assert_non_null(strstr(v.reason, "answered nonsense"));
    assert_int_equal(edi.status, EDIFACT_NONE); /* nothing of it believed */
    assert_string_equal(mime, "");              /* nor its type */
    scanner_pool_worker_pids(p, &after, 1);
    assert_true(after != before);

    setenv("KIOSK_SCANNER_TEST_FORBIDDEN", "open", 1);
    assert_int_equal(scanner_pool_scan_edifact(p, fd, "bayplan.edi", TIMEOUT_MS, &v, mime,
                                               sizeof(mime), 0, &edi),
                     0);
    unsetenv("KIOSK_SCANNER_TEST_FORBIDDEN");
    assert_int_equal(v.kind, VERDICT_ERROR);
    assert_non_null(strstr(v.reason, "open /etc/passwd"));
    /* the same worker goes on in step */
    assert_int_equal(scanner_pool_scan_edifact(p, fd, "bayplan.edi", TIMEOUT_MS, &v, mime,
                                               sizeof(mime), 0, &edi),
                     0);
    assert_int_equal(v.kind, VERDICT_CLEAN);
    assert_int_equal(edi.containers, 36);
    close(fd);
    close(c);
    g_free(data);
    g_free(path);
    free_pool(p);
}

/* A worker that died while idle never saw a file: the next file is not its victim. */
static void test_idle_death(void **state)
{
    (void)state;
    struct scanner_pool *p = new_pool(1);
    pid_t before, after;
    scanner_pool_worker_pids(p, &before, 1);
    assert_int_equal(kill(before, SIGKILL), 0);
    g_usleep(100 * 1000);
    int e = make_eicar();
    assert_infected(p, e);
    scanner_pool_worker_pids(p, &after, 1);
    assert_true(after != before);
    close(e);
    free_pool(p);
}

/* scanner_pool_recycle: every worker is replaced before its next file. */
static void test_recycle(void **state)
{
    (void)state;
    struct scanner_pool *p = new_pool(2);
    pid_t before[2], after[2];
    assert_int_equal(scanner_pool_worker_pids(p, before, 2), 2);
    scanner_pool_recycle(p);
    int e = make_eicar(), c = make_clean();
    for (int k = 0; k < 3; k++) {
        assert_infected(p, e);
        assert_clean(p, c);
    }
    assert_int_equal(scanner_pool_worker_pids(p, after, 2), 2);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            assert_true(after[i] != before[j]);
    close(e);
    close(c);
    free_pool(p);
}

/* Content disarm through a worker (worker.h "sanitize"): a check keeps the worker, a
 * rewrite fills the copy the service passed and, the pool having no other worker, retires
 * the worker that wrote it; junk is refused and the worker stays up. */
static void test_sanitize(void **state)
{
    (void)state;
    static const char pdf[] =
        "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (x) >> >>\n"
        "endobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        "trailer\n<< /Root 1 0 R >>\n%%EOF\n";
    struct scanner_pool *p = new_pool(1);
    struct sanitize_limits lim;
    struct sanitize_result r;
    pid_t before, after;
    sanitize_limits_default(&lim, 1 << 20, 4 << 20, 100);
    int in = make_file("active.pdf", pdf, sizeof(pdf) - 1);
    assert_int_equal(scanner_pool_worker_pids(p, &before, 1), 1);
    scanner_pool_sanitize(p, in, -1, "active.pdf", SANITIZE_PDF, SANITIZE_CHECK, &lim, 30000, &r,
                          NULL);
    if (r.status != SANITIZE_FOUND)
        fail_msg("check: status %d (%s)", r.status, r.reason);
    assert_true(r.removed & SANITIZE_PDF_OPEN_ACTION);
    assert_int_equal(scanner_pool_worker_pids(p, &after, 1), 1);
    assert_int_equal(after, before);

    int copy = memfd_create("copy", MFD_CLOEXEC);
    pid_t writer = -1;
    scanner_pool_sanitize(p, in, copy, "active.pdf", SANITIZE_PDF, SANITIZE_REWRITE, &lim, 30000,
                          &r, &writer);
    assert_int_equal(writer, 0); /* replaced: no other worker could judge the copy */
    assert_int_equal(r.status, SANITIZE_REWRITTEN);
    assert_true(r.removed & SANITIZE_PDF_JAVASCRIPT);
    struct stat st;
    assert_int_equal(fstat(copy, &st), 0);
    assert_int_equal((uint64_t)st.st_size, r.size);
    assert_int_equal(scanner_pool_worker_pids(p, &after, 1), 1);
    assert_true(after != before); /* the writer does not scan its copy */
    struct verdict v;
    scanner_pool_scan_fd(p, copy, "copy", 30000, &v);
    assert_int_equal(v.kind, VERDICT_CLEAN);
    close(copy);

    before = after;
    int junk = make_file("junk.docx", "PK\3\4 not a package", 19);
    scanner_pool_sanitize(p, junk, -1, "junk.docx", SANITIZE_OOXML, SANITIZE_CHECK, &lim, 30000,
                          &r, NULL);
    assert_int_equal(r.status, SANITIZE_REFUSED);
    assert_non_null(strstr(r.reason, "damaged"));
    assert_int_equal(scanner_pool_worker_pids(p, &after, 1), 1);
    assert_int_equal(after, before);
    close(junk);
    close(in);
    free_pool(p);
}

/* With two workers the writer of a copy stays (a replacement costs a fork and a cold
 * engine), and the copy's scan goes to the other one: with the writer stopped, the scan
 * of the copy still answers (it would time out on the writer). */
static void test_sanitize_other_worker(void **state)
{
    (void)state;
    static const char pdf[] = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction << "
                              "/S /JavaScript /JS (x) >> >>\nendobj\n2 0 obj\n<< /Type /Pages "
                              "/Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
    struct scanner_pool *p = new_pool(2);
    struct sanitize_limits lim;
    struct sanitize_result r;
    struct verdict v;
    pid_t before[2], after[2], writer = 0;
    char mime[SCANNER_POOL_MIME_MAX];
    sanitize_limits_default(&lim, 1 << 20, 4 << 20, 100);
    int in = make_file("active2.pdf", pdf, sizeof(pdf) - 1);
    assert_int_equal(scanner_pool_worker_pids(p, before, 2), 2);
    for (int k = 0; k < 3; k++) {
        int copy = memfd_create("copy", MFD_CLOEXEC);
        scanner_pool_sanitize(p, in, copy, "active2.pdf", SANITIZE_PDF, SANITIZE_REWRITE, &lim,
                              30000, &r, &writer);
        assert_int_equal(r.status, SANITIZE_REWRITTEN);
        assert_true(writer == before[0] || writer == before[1]);
        assert_int_equal(kill(writer, SIGSTOP), 0);
        scanner_pool_scan_copy(p, copy, "copy", 20000, writer, &v, mime, sizeof(mime));
        assert_int_equal(kill(writer, SIGCONT), 0);
        if (v.kind != VERDICT_CLEAN)
            fail_msg("the copy's scan: %d (%s)", v.kind, v.reason);
        assert_string_equal(mime, "application/pdf");
        close(copy);
    }
    /* Both workers are the ones the pool started with. */
    assert_int_equal(scanner_pool_worker_pids(p, after, 2), 2);
    assert_true((after[0] == before[0] && after[1] == before[1]) ||
                (after[0] == before[1] && after[1] == before[0]));
    close(in);
    free_pool(p);
}

static void test_refusals(void **state)
{
    (void)state;
    struct scanner_pool *p = NULL;
    char *why = NULL;
    char *db = db_dir();
    new_pool_root();
    assert_true(
        scanner_pool_new("/nonexistent/signatures", &test_opts, 1, NULL, pool_root, &p, &why) < 0);
    assert_null(p);
    assert_non_null(why);
    g_clear_pointer(&why, g_free);
    assert_true(scanner_pool_new(db, &test_opts, 0, NULL, pool_root, &p, &why) < 0);
    g_clear_pointer(&why, g_free);
    if (is_root()) {
        assert_true(scanner_pool_new(db, &test_opts, 1, "no-such-kiosk-user", pool_root, &p, &why) <
                    0);
        assert_non_null(strstr(why, "no-such-kiosk-user"));
        g_clear_pointer(&why, g_free);
    }
    /* An empty signature folder: the zygote reports why, nothing is left behind. */
    char *empty = g_build_filename(files_dir, "nodb", NULL);
    assert_int_equal(mkdir(empty, 0755), 0);
    assert_true(scanner_pool_new(empty, &test_opts, 1, NULL, pool_root, &p, &why) < 0);
    assert_non_null(why);
    g_clear_pointer(&why, g_free);
    free_pool(NULL);
    rmdir(empty);
    g_free(empty);
    g_free(db);
}

/* Every sample of Debian's clamav-testfiles goes through libclamav's parsers inside the
 * seccomp filter: each must come back INFECTED (the test database matches all of them),
 * none may kill its worker with SIGSYS. */
static void test_clamav_testfiles(void **state)
{
    (void)state;
    const char *dir = "/usr/share/clamav-testfiles";
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d) {
        print_message("clamav-testfiles not installed: skipped\n");
        return;
    }
    struct scanner_pool *p = new_pool(2);
    const char *name;
    int n = 0;
    while ((name = g_dir_read_name(d)) != NULL) {
        char *path = g_build_filename(dir, name, NULL);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        struct verdict v;
        scanner_pool_scan_fd(p, fd, name, TIMEOUT_MS, &v);
        if (v.kind != VERDICT_INFECTED)
            fail_msg("%s: %s: %s", name, verdict_kind_str(v.kind), v.reason);
        close(fd);
        g_free(path);
        n++;
    }
    g_dir_close(d);
    assert_true(n >= 40);
    free_pool(p);
}

/* Without root there is no chroot: a worker must still reach nothing of the file system
 * but its private folder (Landlock), or refuse to start.  A child process drops to
 * nobody, makes a pool, and has its worker try to open /etc/passwd (which nobody may
 * read): EACCES, where an unconfined worker opens it.  Scanning still works. */
#define NOBODY 65534
static void test_unprivileged_confined(void **state)
{
    (void)state;
    if (!is_root())
        skip(); /* it drops privileges itself; as a user, the other tests run unprivileged */
    char *dir = g_dir_make_tmp("test_pool_nobody.XXXXXX", NULL);
    assert_non_null(dir);
    assert_int_equal(chown(dir, NOBODY, NOBODY), 0);
    /* nobody's own copy of the test database: the checkout may lie below a folder that
     * only root may enter (/root/kiosk on a fresh machine) */
    char *src_db = db_dir();
    char *db = g_dir_make_tmp("test_pool_db.XXXXXX", NULL);
    assert_non_null(db);
    assert_int_equal(chmod(db, 0755), 0);
    GDir *sd = g_dir_open(src_db, 0, NULL);
    assert_non_null(sd);
    for (const char *e; (e = g_dir_read_name(sd));) {
        char *from = g_build_filename(src_db, e, NULL), *to = g_build_filename(db, e, NULL);
        gchar *data = NULL;
        gsize dlen = 0;
        if (g_file_test(from, G_FILE_TEST_IS_REGULAR)) {
            assert_true(g_file_get_contents(from, &data, &dlen, NULL));
            assert_true(g_file_set_contents(to, data, (gssize)dlen, NULL));
            assert_int_equal(chmod(to, 0644), 0);
        }
        g_free(data);
        g_free(from);
        g_free(to);
    }
    g_dir_close(sd);
    g_free(src_db);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgroups(0, NULL) != 0 || setresgid(NOBODY, NOBODY, NOBODY) != 0 ||
            setresuid(NOBODY, NOBODY, NOBODY) != 0 || geteuid() != NOBODY)
            _exit(10);
        struct scanner_pool *p = NULL;
        char *why = NULL;
        if (scanner_pool_new(db, &test_opts, 1, SCAN_USER, dir, &p, &why) != 0) {
            fprintf(stderr, "scanner_pool_new as nobody: %s\n", why);
            _exit(11);
        }
        char *rev = g_strreverse(g_strdup(eicar_r));
        gsize len = 0;
        guchar *eicar = g_base64_decode(rev, &len);
        char *path = g_build_filename(dir, "eicar.com", NULL);
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || util_write_all(fd, eicar, len) != 0)
            _exit(12);
        struct verdict v;
        scanner_pool_scan_fd(p, fd, "eicar.com", TIMEOUT_MS, &v);
        if (v.kind != VERDICT_INFECTED) {
            fprintf(stderr, "EICAR as nobody: %s: %s\n", verdict_kind_str(v.kind), v.reason);
            _exit(13);
        }
        setenv("KIOSK_SCANNER_TEST_FORBIDDEN", "open", 1);
        scanner_pool_scan_fd(p, fd, "eicar.com", TIMEOUT_MS, &v);
        unsetenv("KIOSK_SCANNER_TEST_FORBIDDEN");
        if (v.kind != VERDICT_ERROR || !strstr(v.reason, "open /etc/passwd: Permission denied")) {
            fprintf(stderr, "a worker started by nobody: %s: %s\n", verdict_kind_str(v.kind),
                    v.reason);
            _exit(14);
        }
        close(fd);
        unlink(path);
        scanner_pool_free(p);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("the unprivileged pool failed (status 0x%x; its message is above)", status);
    util_rm_rf(dir);
    util_rm_rf(db);
    g_free(dir);
    g_free(db);
}

static int setup(void **state)
{
    (void)state;
    if (is_root() && !getpwnam(SCAN_USER) &&
        system("useradd --system --no-create-home --home-dir /nonexistent "
               "--shell /usr/sbin/nologin " SCAN_USER) != 0)
        return -1;
    tmp_root = g_dir_make_tmp("test_pool_tmp.XXXXXX", NULL);
    files_dir = g_dir_make_tmp("test_pool_files.XXXXXX", NULL);
    if (!tmp_root || !files_dir)
        return -1;
    scanner_pool_enable_test_hooks();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    util_rm_rf(tmp_root);
    util_rm_rf(files_dir);
    g_free(pool_root);
    g_free(tmp_root);
    g_free(files_dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_confined),
        cmocka_unit_test(test_concurrent),
        cmocka_unit_test(test_killed_mid_scan),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_forbidden_syscalls),
        cmocka_unit_test(test_bad_answers),
        cmocka_unit_test(test_idle_death),
        cmocka_unit_test(test_recycle),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_sanitize_other_worker),
        cmocka_unit_test(test_clamav_testfiles),
        cmocka_unit_test(test_unprivileged_confined),
        cmocka_unit_test(test_edifact),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

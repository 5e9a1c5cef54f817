/* test_policy.c - unit tests for policy/: loading, validation with line numbers, and
 * file decisions, including on the shipped data/policy.conf.
 *
 * The shipped policy is found as $KIOSK_SRCDIR/data/policy.conf, or data/policy.conf
 * relative to the current folder (the repository root). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/kerr.h"
#include "common/util.h"
#include "policy/policy.h"

/* ---- helpers ---------------------------------------------------------------------- */

static char *shipped_policy_path(void)
{
    const char *src = getenv("KIOSK_SRCDIR");

    return g_build_filename(src && *src ? src : ".", "data", "policy.conf", NULL);
}

static int load_text(const char *text, struct policy **out, GPtrArray *errors)
{
    return policy_load_data(text, strlen(text), "test.conf", out, errors);
}

static GPtrArray *errors_new(void)
{
    return g_ptr_array_new_with_free_func(policy_error_free);
}

/* Print the errors, so a failing test shows what the loader said. */
static void errors_dump(const GPtrArray *errors)
{
    for (guint i = 0; i < errors->len; i++) {
        const struct policy_error *e = g_ptr_array_index(errors, i);
        print_message("  line %d: %s\n", e->line, e->message);
    }
}

static bool errors_have(const GPtrArray *errors, int line, const char *part)
{
    for (guint i = 0; i < errors->len; i++) {
        const struct policy_error *e = g_ptr_array_index(errors, i);
        if (e->line == line && strstr(e->message, part))
            return true;
    }
    return false;
}

/* Load TEXT, which must be invalid with exactly one error on LINE mentioning PART. */
static void expect_one_error(const char *text, int line, const char *part)
{
    GPtrArray *errors = errors_new();
    struct policy *p = (struct policy *)0x1;

    int rc = load_text(text, &p, errors);
    if (errors->len != 1 || !errors_have(errors, line, part)) {
        print_message("expected one error on line %d with '%s', got:\n", line, part);
        errors_dump(errors);
    }
    assert_int_equal(rc, KERR_POLICY);
    assert_null(p);
    assert_int_equal(errors->len, 1);
    assert_true(errors_have(errors, line, part));
    g_ptr_array_unref(errors);
}

static struct policy *load_ok(const char *text)
{
    GPtrArray *errors = errors_new();
    struct policy *p = NULL;

    int rc = load_text(text, &p, errors);
    if (rc != 0)
        errors_dump(errors);
    assert_int_equal(rc, 0);
    assert_int_equal(errors->len, 0);
    assert_non_null(p);
    g_ptr_array_unref(errors);
    return p;
}

/* Decide and check the outcome; REASON_PART NULL means "allowed, no reason". */
static void expect_decision(const struct policy *p, const char *name, const char *mime,
                            bool allowed, const char *rule_name, const char *reason_part)
{
    const char *rule = NULL;
    char *reason = (char *)0x1;

    bool got = policy_decide_file(p, name, mime, &rule, &reason);
    if (got != allowed || (reason_part && (!reason || !strstr(reason, reason_part))))
        print_message("%s (%s): allowed=%d rule=%s reason=%s\n", name, mime, got,
                      rule ? rule : "(null)", reason ? reason : "(null)");
    assert_int_equal(got, allowed);
    assert_non_null(rule);
    assert_string_equal(rule, rule_name);
    if (allowed) {
        assert_null(reason);
    } else {
        assert_non_null(reason);
        assert_non_null(strstr(reason, reason_part));
    }
    g_free(reason);
}

#define HEADER "[policy]\nname=Test\nversion=3\n"

/* ---- the shipped policy ----------------------------------------------------------- */

static void test_shipped_policy_loads(void **state)
{
    (void)state;
    char *path = shipped_policy_path();
    GPtrArray *errors = errors_new();
    struct policy *p = NULL;
    char sha[65];

    int rc = policy_load(path, &p, errors);
    if (rc != 0)
        errors_dump(errors);
    assert_int_equal(rc, 0);
    assert_int_equal(errors->len, 0);
    assert_non_null(p);

    assert_string_equal(p->path, path);
    assert_string_equal(p->name, "Quayside terminal default");
    assert_true(p->version >= 1);
    assert_int_equal(util_sha256_file(path, sha), 0);
    assert_string_equal(p->sha256, sha);
    assert_int_equal(strlen(p->sha256), 64);

    /* block rules come first */
    assert_true(p->n_rules >= 8);
    assert_string_equal(p->rules[0].name, "programs");
    assert_int_equal(p->rules[0].action, POLICY_BLOCK);
    assert_non_null(p->rules[0].reason);
    assert_int_equal(p->rules[1].action, POLICY_BLOCK);

    /* every limit set, libclamav limits below the ceiling, secure relations */
    const struct policy_limits *l = &p->limits;
    assert_true(l->max_file_size > 0 && l->max_file_size <= l->scan_max_filesize);
    assert_true(l->scan_max_filesize < POLICY_CLAMAV_LIMIT_MAX);
    assert_true(l->scan_max_scansize < POLICY_CLAMAV_LIMIT_MAX);
    assert_true(l->scan_max_scansize >= l->scan_max_filesize);
    assert_true(l->max_session_bytes > 0 && l->max_files > 0 && l->max_depth > 0);
    assert_true(l->max_session_time > 0 && l->scan_max_recursion > 0);
    assert_true(l->scan_max_files > 0 && l->scan_max_time > 0);

    assert_true(p->scan_archives);
    assert_true(p->block_macros);
    assert_int_equal(p->macros, POLICY_DISARM_SANITIZE);
    assert_int_equal(p->pdf, POLICY_DISARM_SANITIZE);
    assert_true(p->block_encrypted);
    assert_int_equal(p->driver, POLICY_DRIVER_READER);
    assert_true(policy_skip_name(p, "System Volume Information"));
    assert_true(policy_skip_name(p, "$RECYCLE.BIN"));
    assert_true(policy_filesystem_allowed(p, "exfat"));

    policy_free(p);
    g_ptr_array_unref(errors);
    g_free(path);
}

/* MIME names as libmagic 5.44 reports them (checked with file --mime-type -b). */
static void test_shipped_policy_decisions(void **state)
{
    (void)state;
    char *path = shipped_policy_path();
    struct policy *p = NULL;

    assert_int_equal(policy_load(path, &p, NULL), 0);

    expect_decision(p, "bill.pdf", "application/pdf", true, "pdf", NULL);
    expect_decision(p, "BAY.EDI", "text/plain", true, "edifact", NULL);
    expect_decision(p, "v123.baplie", "text/plain", true, "edifact", NULL);
    expect_decision(p, "list.csv", "text/csv", true, "csv", NULL);
    expect_decision(p, "semicolons.csv", "text/plain", true, "csv", NULL);
    expect_decision(p, "plan.xml", "text/xml", true, "xml", NULL);
    expect_decision(p, "stowage.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", true,
                    "office", NULL);
    expect_decision(p, "old.doc", "application/msword", true, "office-legacy", NULL);
    expect_decision(p, "old.xls", "application/CDFV2", true, "office-legacy", NULL);
    expect_decision(p, "photo.JPG", "image/jpeg", true, "images", NULL);
    expect_decision(p, "docs.zip", "application/zip", true, "zip", NULL);

    /* a program renamed to .pdf: blocked, and the person is told it is a mismatch */
    expect_decision(p, "invoice.pdf", "application/vnd.microsoft.portable-executable", false,
                    "programs",
                    "name does not match content: named .pdf but is "
                    "application/vnd.microsoft.portable-executable");
    expect_decision(p, "setup.exe", "application/x-dosexec", false, "programs",
                    "programs and installers are not accepted");
    expect_decision(p, "tool", "application/x-pie-executable", false, "programs",
                    "programs and installers are not accepted");
    expect_decision(p, "run.sh", "text/x-shellscript", false, "scripts",
                    "scripts are not accepted");
    expect_decision(p, "run.bat", "text/x-msdos-batch", false, "scripts",
                    "scripts are not accepted");
    expect_decision(p, "a.py", "text/x-script.python", false, "scripts",
                    "scripts are not accepted");
    /* plain text with an extension no text rule lists */
    expect_decision(p, "evil.ps1", "text/plain", false, "edifact",
                    "name does not match content: named .ps1 but is text/plain");
    /* unknown types: default deny */
    expect_decision(p, "a.7z", "application/x-7z-compressed", false, "default",
                    "type not allowed: application/x-7z-compressed");
    expect_decision(p, "page.html", "text/html", false, "default", "type not allowed: text/html");
    /* a zip named .xlsx is not an Excel file */
    expect_decision(p, "fake.xlsx", "application/zip", false, "zip",
                    "name does not match content: named .xlsx but is application/zip");

    policy_free(p);
    g_free(path);
}

/* ---- good files ------------------------------------------------------------------- */

static void test_minimal_policy_takes_defaults(void **state)
{
    (void)state;
    struct policy *p = load_ok(HEADER);

    assert_string_equal(p->name, "Test");
    assert_int_equal(p->version, 3);
    assert_string_equal(p->path, "test.conf");
    assert_int_equal(p->n_rules, 0);
    assert_int_equal(p->limits.max_file_size, 100 * 1024 * 1024);
    assert_int_equal(p->limits.scan_max_filesize, 100 * 1024 * 1024);
    assert_int_equal(p->limits.scan_max_scansize, 400 * 1024 * 1024);
    assert_int_equal(p->limits.max_session_bytes, 4ULL << 30);
    assert_int_equal(p->limits.max_files, 10000);
    assert_int_equal(p->limits.max_depth, 32);
    assert_int_equal(p->limits.max_session_time, 1800);
    assert_int_equal(p->limits.scan_max_recursion, 17);
    assert_int_equal(p->limits.scan_max_files, 10000);
    assert_int_equal(p->limits.scan_max_time, 120000);
    assert_true(p->scan_archives);
    assert_true(p->block_macros);
    assert_int_equal(p->macros, POLICY_DISARM_SANITIZE);
    assert_int_equal(p->pdf, POLICY_DISARM_SANITIZE);
    assert_true(p->block_encrypted);
    assert_int_equal(p->driver, POLICY_DRIVER_READER);
    assert_true(policy_skip_name(p, ".Trashes"));
    assert_true(policy_skip_name(p, ".fseventsd"));
    assert_true(policy_filesystem_allowed(p, "ext4"));
    assert_true(policy_filesystem_allowed(p, "iso9660"));
    assert_false(policy_filesystem_allowed(p, "udf"));

    char sha[65];
    util_sha256_hex(HEADER, strlen(HEADER), sha);
    assert_string_equal(p->sha256, sha);

    /* no rules: everything is refused */
    expect_decision(p, "a.pdf", "application/pdf", false, "default",
                    "type not allowed: application/pdf");
    policy_free(p);
}

static void test_full_policy(void **state)
{
    (void)state;
    static const char text[] = "# comment\n"
                               "\n"
                               "  [policy]  \n"
                               "name = Night shift \n"
                               "version=42\r\n"
                               "[type:pdf]\n"
                               "mime=application/pdf\n"
                               "extensions=pdf; PDFA_not_used_but_lower;\n"
                               "action=allow\n"
                               "[type:text]\n"
                               "mime=text/*\n"
                               "extensions=txt;;\n"
                               "action=allow\n"
                               "[type:odd]\n"
                               "mime=application/x-odd\n"
                               "action=block\n"
                               "reason=odd files are odd\n"
                               "[limits]\n"
                               "max-file-size=64M\n"
                               "max-session-bytes=10G\n"
                               "max-files=500\n"
                               "max-depth=8\n"
                               "max-session-time=600\n"
                               "scan-max-filesize=128M\n"
                               "scan-max-scansize=1023M\n"
                               "scan-max-recursion=10\n"
                               "scan-max-files=2000\n"
                               "scan-max-time=60000\n"
                               "[scan]\n"
                               "archives=block\n"
                               "macros=allow\n"
                               "pdf=block-active\n"
                               "encrypted=allow\n"
                               "[walk]\n"
                               "skip=Thumbs.db;ÄRCHIV\n"
                               "[media]\n"
                               "driver=kernel\n"
                               "filesystems=vfat;iso9660\n";
    GPtrArray *errors = errors_new();
    struct policy *p = NULL;

    /* PDFA_not_used_but_lower is upper case: invalid; fix it and retry */
    assert_int_equal(load_text(text, &p, errors), KERR_POLICY);
    assert_int_equal(errors->len, 1);
    assert_true(errors_have(errors, 8, "PDFA_not_used_but_lower"));
    g_ptr_array_unref(errors);

    char *fixed = g_strdup(text);
    char *at = strstr(fixed, "PDFA_not_used_but_lower");
    memcpy(at, "pdfa", 4);
    memmove(at + 4, at + strlen("PDFA_not_used_but_lower"),
            strlen(at + strlen("PDFA_not_used_but_lower")) + 1);
    p = load_ok(fixed);

    assert_string_equal(p->name, "Night shift");
    assert_int_equal(p->version, 42);
    assert_int_equal(p->n_rules, 3);
    assert_string_equal(p->rules[0].name, "pdf");
    assert_int_equal(p->rules[0].line, 6);
    assert_string_equal(p->rules[0].extensions[0], "pdf");
    assert_string_equal(p->rules[0].extensions[1], "pdfa");
    assert_null(p->rules[0].extensions[2]);
    assert_null(p->rules[0].reason);
    assert_string_equal(p->rules[1].mime[0], "text/*");
    assert_string_equal(p->rules[1].extensions[1], "");
    assert_int_equal(p->rules[2].action, POLICY_BLOCK);
    assert_string_equal(p->rules[2].reason, "odd files are odd");
    assert_int_equal(p->rules[2].line, 14);
    assert_int_equal(p->limits.max_file_size, 64ULL << 20);
    assert_int_equal(p->limits.max_session_bytes, 10ULL << 30);
    assert_int_equal(p->limits.max_files, 500);
    assert_int_equal(p->limits.max_depth, 8);
    assert_int_equal(p->limits.max_session_time, 600);
    assert_int_equal(p->limits.scan_max_filesize, 128ULL << 20);
    assert_int_equal(p->limits.scan_max_scansize, 1023ULL << 20);
    assert_int_equal(p->limits.scan_max_recursion, 10);
    assert_int_equal(p->limits.scan_max_files, 2000);
    assert_int_equal(p->limits.scan_max_time, 60000);
    assert_false(p->scan_archives);
    assert_false(p->block_macros);
    assert_int_equal(p->macros, POLICY_DISARM_ALLOW);
    assert_int_equal(p->pdf, POLICY_DISARM_BLOCK);
    assert_false(p->block_encrypted);
    assert_int_equal(p->driver, POLICY_DRIVER_KERNEL);

    /* "" in extensions = no extension */
    expect_decision(p, "README", "text/plain", true, "text", NULL);
    expect_decision(p, "notes.TXT", "text/plain", true, "text", NULL);
    expect_decision(p, "odd.pdf", "application/x-odd", false, "odd",
                    "name does not match content: named .pdf but is application/x-odd "
                    "(odd files are odd)");
    expect_decision(p, "thing", "application/x-odd", false, "odd", "odd files are odd");

    /* skip names: only the configured ones, compared without case (also non-ASCII) */
    assert_true(policy_skip_name(p, "thumbs.DB"));
    assert_true(policy_skip_name(p, "ärchiv"));
    assert_false(policy_skip_name(p, "$RECYCLE.BIN"));
    assert_false(policy_skip_name(p, "Thumbs.db.txt"));
    assert_false(policy_skip_name(p, "\xff\xfe"));

    /* filesystems: exactly the list */
    assert_true(policy_filesystem_allowed(p, "vfat"));
    assert_true(policy_filesystem_allowed(p, "iso9660"));
    assert_false(policy_filesystem_allowed(p, "ntfs"));
    assert_false(policy_filesystem_allowed(p, "ext4"));
    assert_false(policy_filesystem_allowed(p, ""));
    assert_false(policy_filesystem_allowed(p, NULL));

    policy_free(p);
    g_free(fixed);
}

static void test_bom_and_crlf(void **state)
{
    (void)state;
    struct policy *p = load_ok("\xef\xbb\xbf[policy]\r\nname=Win\r\nversion=7\r\n"
                               "[type:pdf]\r\nmime=application/pdf\r\nextensions=pdf\r\n"
                               "action=allow\r\n");
    assert_string_equal(p->name, "Win");
    assert_int_equal(p->version, 7);
    assert_string_equal(p->rules[0].extensions[0], "pdf");
    expect_decision(p, "x.pdf", "application/pdf", true, "pdf", NULL);
    policy_free(p);
}

/* ---- broken files: one error each, on the right line ------------------------------ */

static void test_broken_lines(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int line;
        const char *part;
    } cases[] = {
        {HEADER "this is not a key\n", 4, "not a key=value line"},
        {HEADER "[limits\n", 4, "malformed group header"},
        {HEADER "[]\n", 4, "malformed group header"},
        {"name=x\n" HEADER, 1, "before the first [group]"},
        {HEADER "[limits]\nmax files=3\n", 5, "not a valid key name"},
        {HEADER "[limits]\nmax-filesize=64M\n", 5, "unknown key 'max-filesize' in [limits]"},
        {HEADER "[limits]\n\nmax-file-size=64Q\n", 6, "'64Q' is not a size"},
        {HEADER "[limits]\nmax-file-size=-1\n", 5, "is not a size"},
        {HEADER "[limits]\nmax-files=1K\n", 5, "'1K' is not a whole number"},
        {HEADER "[limits]\nmax-depth=0\n", 5, "must be greater than 0"},
        {HEADER "[limits]\nmax-depth=100000\n", 5, "too large"},
        {HEADER "[limits]\nscan-max-scansize=1G\n", 5, "must be below 1G"},
        {HEADER "[limits]\nscan-max-filesize=2048M\nmax-file-size=1M\n", 5, "below 1G"},
        {HEADER "[limits]\nmax-file-size=200M\n", 5, "make max-file-size <= scan-max-filesize"},
        {HEADER "[limits]\nscan-max-filesize=10M\n", 5, "make max-file-size <="},
        {HEADER "[limits]\nmax-file-size=1M\nscan-max-filesize=500M\n", 6,
         "make scan-max-scansize >= scan-max-filesize"},
        {HEADER "[type:x]\nmime=text/plain\nextensions=txt\naction=alow\n", 7,
         "action must be allow or block, not 'alow'"},
        {HEADER "[type:x]\nmime=text/plain\nextensions=txt\n", 4, "has no action="},
        {HEADER "[type:x]\naction=allow\nextensions=txt\n", 4, "needs mime="},
        {HEADER "[type:x]\naction=allow\nmime=\nextensions=txt\n", 6, "needs mime="},
        {HEADER "[type:x]\naction=allow\nmime=pdf\nextensions=pdf\n", 6,
         "'pdf' is not a MIME type pattern"},
        {HEADER "[type:x]\naction=allow\nmime=text/plain\n", 4, "needs extensions="},
        {HEADER "[type:x]\naction=allow\nmime=text/plain\nextensions=.txt\n", 7,
         "extension '.txt' must be written in lower case, without the dot"},
        {HEADER "[type:x]\naction=block\nmime=text/plain\nextensions=txt\n", 7,
         "only used by allow rules"},
        {HEADER "[type:x]\naction=allow\nmime=text/plain\nextensions=txt\nreason=why\n", 8,
         "only shown for block rules"},
        {HEADER "[type:x]\naction=allow\nmime=text/plain\nextensions=txt\narchive=yes\n", 8,
         "archive must be true or false"},
        {HEADER "[type:x]\naction=block\nmime=text/plain\nreason=bad\\q\n", 7, "cannot be read"},
        {HEADER "[type:x]\naction=block\nmime=text/plain;te\\qxt/csv\n", 6, "cannot be read"},
        {HEADER "[type:x]\naction=block\nmime=text/plain\nmimes=text/csv\n", 7,
         "unknown key 'mimes'"},
        {HEADER "[type:]\naction=block\nmime=text/plain\n", 4, "needs a name"},
        {HEADER "[types:x]\n", 4, "unknown group [types:x]"},
        {HEADER "[scan]\narchives=maybe\n", 5, "archives must be scan or block"},
        {HEADER "[scan]\nmacros=no\n", 5, "macros must be block or sanitize or allow"},
        {HEADER "[scan]\npdf=block\n", 5, "pdf must be block-active or sanitize or allow"},
        {HEADER "[scan]\nencrypted=yes\n", 5, "encrypted must be block or allow"},
        {HEADER "[walk]\nskip=a/b\n", 5, "'a/b' is not a file or folder name"},
        {HEADER "[media]\ndriver=fuse3\n", 5, "driver must be reader or kernel or fuse"},
        {HEADER "[media]\nfilesystems=vfat;fat32\n", 5, "unknown filesystem type 'fat32'"},
        {HEADER "[media]\nfilesystems=\n", 5, "filesystems= is empty"},
        {"[policy]\nname=x\n", 1, "no version="},
        {"[policy]\nversion=1\n", 1, "no name="},
        {"[policy]\nname=x\nversion=one\n", 3, "positive whole number, not 'one'"},
        {"[policy]\nname=x\nversion=-2\n", 3, "positive whole number"},
        {"[policy]\nname=\nversion=1\n", 2, "name must be"},
        {"[limits]\nmax-files=3\n", 0, "[policy] group"},
        {"", 0, "[policy] group"},
        {HEADER "[limits]\nmax-files=1\n[limits]\nmax-files=2\n", 6,
         "group [limits] appears twice (first at line 4)"},
        {HEADER "[type:pdf]\nmime=application/pdf\naction=block\n[type:pdf]\n", 7,
         "group [type:pdf] appears twice"},
        {HEADER "version=4\n", 4, "key 'version' appears twice in [policy] (first at line 3)"},
        {HEADER "[walk]\nskip=\xff\xfe\n", 5, "not valid UTF-8"},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        print_message("case %zu: line %d, %s\n", i, cases[i].line, cases[i].part);
        expect_one_error(cases[i].text, cases[i].line, cases[i].part);
    }
}

static void test_nul_byte(void **state)
{
    (void)state;
    static const char text[] = "[policy]\nname=x\0y\nversion=1\n";
    GPtrArray *errors = errors_new();
    struct policy *p = NULL;

    assert_int_equal(policy_load_data(text, sizeof(text) - 1, "nul.conf", &p, errors), KERR_POLICY);
    assert_null(p);
    assert_true(errors_have(errors, 2, "NUL byte"));
    g_ptr_array_unref(errors);
}

static void test_several_errors_at_once(void **state)
{
    (void)state;
    static const char text[] = "[policy]\n"             /* 1 */
                               "name=Test\n"            /* 2 */
                               "version=0\n"            /* 3 */
                               "[limits]\n"             /* 4 */
                               "max-file-size=2G\n"     /* 5 */
                               "max-filesize=1M\n"      /* 6 */
                               "garbage\n"              /* 7 */
                               "[type:x]\n"             /* 8 */
                               "action=alow\n"          /* 9 */
                               "mime=text/plain\n"      /* 10 */
                               "[bogus]\n"              /* 11 */
                               "[limits]\n"             /* 12 */
                               "max-files=3\n"          /* 13 */
                               "[type:pdf]\n"           /* 14 */
                               "mime=application/pdf\n" /* 15 */
                               "extensions=pdf\n"       /* 16 */
                               "action=allow\n";        /* 17 */
    static const int lines[] = {3, 5, 6, 7, 9, 11, 12};
    GPtrArray *errors = errors_new();
    struct policy *p = NULL;

    assert_int_equal(load_text(text, &p, errors), KERR_POLICY);
    assert_null(p);
    errors_dump(errors);
    assert_int_equal(errors->len, G_N_ELEMENTS(lines));
    /* sorted by line, so the administrator reads them top to bottom */
    for (guint i = 0; i < errors->len; i++) {
        const struct policy_error *e = g_ptr_array_index(errors, i);
        assert_int_equal(e->line, lines[i]);
        assert_non_null(e->message);
        assert_true(strlen(e->message) > 10);
    }
    assert_true(errors_have(errors, 5, "below 1G"));
    assert_true(errors_have(errors, 9, "alow"));

    /* the caller's earlier entries are kept in place, and NULL errors is fine */
    struct policy_error *mine = g_new0(struct policy_error, 1);
    mine->line = 99;
    mine->message = g_strdup("caller's");
    GPtrArray *more = errors_new();
    g_ptr_array_add(more, mine);
    assert_int_equal(load_text(text, &p, more), KERR_POLICY);
    assert_ptr_equal(g_ptr_array_index(more, 0), mine);
    assert_int_equal(more->len, 1 + G_N_ELEMENTS(lines));
    assert_int_equal(load_text(text, &p, NULL), KERR_POLICY);
    assert_null(p);

    g_ptr_array_unref(more);
    g_ptr_array_unref(errors);
}

static void test_load_file_errors(void **state)
{
    (void)state;
    GPtrArray *errors = errors_new();
    struct policy *p = (struct policy *)0x1;

    errno = 0;
    assert_int_equal(policy_load("/nonexistent/policy.conf", &p, errors), KERR_SYSTEM);
    assert_int_equal(errno, ENOENT);
    assert_null(p);
    assert_int_equal(errors->len, 1);
    assert_true(errors_have(errors, 0, "cannot read"));

    g_ptr_array_set_size(errors, 0);
    assert_int_not_equal(policy_load("/", &p, errors), 0);
    assert_null(p);
    assert_int_equal(errors->len, 1);

    /* a real file on disk with an error: line numbers from the file */
    char *tmp = NULL;
    int fd = g_file_open_tmp("test_policy-XXXXXX.conf", &tmp, NULL);
    assert_true(fd >= 0);
    static const char text[] = HEADER "[limits]\nmax-depth=zero\n";
    assert_int_equal(util_write_all(fd, text, strlen(text)), 0);
    close(fd);
    g_ptr_array_set_size(errors, 0);
    assert_int_equal(policy_load(tmp, &p, errors), KERR_POLICY);
    assert_true(errors_have(errors, 5, "max-depth: 'zero' is not a whole number"));
    unlink(tmp);
    g_free(tmp);

    g_ptr_array_unref(errors);
    policy_free(NULL);
    policy_error_free(NULL);
}

/* ---- decisions -------------------------------------------------------------------- */

/* Reasons as codes + parameters (common/reason.h), reason[ja]= and its warning. */
static void test_reason_codes(void **state)
{
    (void)state;
    struct policy *p = load_ok(HEADER "[type:programs]\nmime=application/x-dosexec\naction=block\n"
                                      "reason=programs are not accepted\n"
                                      "reason[ja]=\xe3\x83\x97\xe3\x83\xad\xe3\x82\xb0\xe3\x83\xa9"
                                      "\xe3\x83\xa0\xe3\x81\xaf\xe4\xb8\x8d\xe5\x8f\xaf\n"
                                      "[type:scripts]\nmime=text/x-shellscript\naction=block\n"
                                      "reason=scripts are not accepted\n"
                                      "[type:other]\nmime=text/x-perl\naction=block\n"
                                      "[type:pdf]\nmime=application/pdf\nextensions=pdf\n"
                                      "action=allow\n"
                                      "[type:zip]\nmime=application/zip\nextensions=zip\n"
                                      "action=allow\narchive=true\n"
                                      "[scan]\narchives=block\n");
    struct reason_data w;
    const char *rule = NULL;
    assert_false(policy_decide(p, "setup.exe", "application/x-dosexec", &rule, &w));
    assert_string_equal(rule, "programs");
    assert_string_equal(w.code, "policy.rule-block");
    assert_string_equal(w.params[0], "programs");
    assert_string_equal(w.params[1], "programs are not accepted");
    assert_string_equal(w.params[2], "\xe3\x83\x97\xe3\x83\xad\xe3\x82\xb0\xe3\x83\xa9\xe3\x83\xa0"
                                     "\xe3\x81\xaf\xe4\xb8\x8d\xe5\x8f\xaf");
    assert_string_equal(w.params[3], "application/x-dosexec");
    /* a program named .pdf: a mismatch, with the rule's texts */
    assert_false(policy_decide(p, "invoice.pdf", "application/x-dosexec", &rule, &w));
    assert_string_equal(w.code, "policy.name-mismatch-rule");
    assert_string_equal(w.params[0], "pdf");
    assert_string_equal(w.params[1], "application/x-dosexec");
    assert_string_equal(w.params[2], "programs are not accepted");
    assert_false(policy_decide(p, "a.pl", "text/x-perl", &rule, &w));
    assert_string_equal(w.code, "policy.type-not-allowed");
    assert_string_equal(w.params[0], "text/x-perl");
    assert_string_equal(w.params[1], "pl");
    assert_false(policy_decide(p, "a.pdf", "text/plain", &rule, &w));
    assert_string_equal(w.code, "policy.name-mismatch");
    assert_string_equal(w.params[0], "pdf");
    assert_string_equal(w.params[1], "text/plain");
    assert_false(policy_decide(p, "README", "application/pdf", &rule, &w));
    assert_string_equal(w.code, "policy.no-extension");
    assert_false(policy_decide(p, "a.zip", "application/zip", &rule, &w));
    assert_string_equal(w.code, "policy.archive");
    assert_false(policy_decide(p, "a.zip", "", &rule, &w));
    assert_string_equal(w.code, "policy.type-unknown");
    assert_true(policy_decide(p, "a.pdf", "application/pdf", &rule, &w));
    assert_string_equal(w.code, "");
    /* the English text is the formatted code */
    char *reason = NULL;
    policy_decide_file(p, "a.pdf", "text/plain", NULL, &reason);
    assert_string_equal(reason, "name does not match content: named .pdf but is text/plain");
    g_free(reason);
    /* one warning: scripts gives reason= only */
    GPtrArray *warn = errors_new();
    policy_warnings(p, warn);
    if (warn->len != 1)
        errors_dump(warn);
    assert_int_equal(warn->len, 1);
    assert_true(errors_have(warn, p->rules[1].line, "[type:scripts] gives reason= but no reason[ja]="));
    g_ptr_array_unref(warn);
    policy_free(p);

    /* reason[ja] on an allow rule, and an unknown locale, are errors */
    expect_one_error(HEADER "[type:x]\naction=allow\nmime=text/plain\nextensions=txt\n"
                            "reason[ja]=x\n",
                     8, "only shown for block rules");
    expect_one_error(HEADER "[type:x]\naction=block\nmime=text/plain\nreason[de]=x\n", 7,
                     "unknown key 'reason[de]'");
    /* reason[ja]= alone */
    p = load_ok(HEADER "[type:x]\naction=block\nmime=text/plain\nreason[ja]=x\n");
    assert_false(policy_decide(p, "a.txt", "text/plain", &rule, &w));
    assert_string_equal(w.code, "policy.rule-block");
    assert_string_equal(w.params[1], "type not allowed: text/plain");
    assert_string_equal(w.params[2], "x");
    warn = errors_new();
    policy_warnings(p, warn);
    assert_int_equal(warn->len, 1);
    g_ptr_array_unref(warn);
    policy_free(p);
}

static void test_first_match_wins(void **state)
{
    (void)state;
    struct policy *p = load_ok(HEADER "[type:no-text]\nmime=text/*\naction=block\n"
                                      "reason=no text today\n"
                                      "[type:text]\nmime=text/plain\nextensions=txt\n"
                                      "action=allow\n");
    expect_decision(p, "a.txt", "text/plain", false, "no-text", "no text today");
    policy_free(p);

    p = load_ok(HEADER "[type:text]\nmime=text/plain\nextensions=txt\naction=allow\n"
                       "[type:no-text]\nmime=text/*\naction=block\nreason=no text today\n");
    expect_decision(p, "a.txt", "text/plain", true, "text", NULL);
    expect_decision(p, "a.csv", "text/csv", false, "no-text", "no text today");
    policy_free(p);
}

static void test_extension_mismatch(void **state)
{
    (void)state;
    struct policy *p = load_ok(HEADER "[type:pdf]\nmime=application/pdf\nextensions=pdf\n"
                                      "action=allow\n"
                                      "[type:text]\nmime=text/plain\nextensions=txt\n"
                                      "action=allow\n"
                                      "[type:csv]\nmime=text/plain;text/csv\nextensions=csv\n"
                                      "action=allow\n");
    /* no block rule: an executable named .pdf is refused by default deny, as a mismatch */
    expect_decision(p, "invoice.pdf", "application/x-dosexec", false, "default",
                    "name does not match content: named .pdf but is application/x-dosexec");
    expect_decision(p, "invoice.PDF", "application/x-dosexec", false, "default",
                    "named .pdf but is");
    /* double extension: the last one counts */
    expect_decision(p, "invoice.pdf.exe", "application/x-dosexec", false, "default",
                    "type not allowed: application/x-dosexec");
    /* a PDF named .txt: the PDF rule matches by content, the name does not */
    expect_decision(p, "a.txt", "application/pdf", false, "pdf",
                    "name does not match content: named .txt but is application/pdf");
    /* no extension, hidden names, trailing dot */
    expect_decision(p, "pdf", "application/pdf", false, "pdf",
                    "has no extension but is application/pdf");
    expect_decision(p, ".pdf", "application/pdf", false, "pdf", "has no extension");
    expect_decision(p, "a.pdf.", "application/pdf", false, "pdf", "has no extension");
    expect_decision(p, "a.pdf ", "application/pdf", false, "pdf", "named .pdf  but is");
    /* MIME types compare without case (libmagic says application/CDFV2) */
    expect_decision(p, "a.pdf", "Application/PDF", true, "pdf", NULL);
    /* the same MIME type in two allow rules: the later one may accept the extension */
    expect_decision(p, "a.csv", "text/plain", true, "csv", NULL);
    expect_decision(p, "a.txt", "text/plain", true, "text", NULL);
    expect_decision(p, "a.exe", "text/plain", false, "text",
                    "name does not match content: named .exe but is text/plain");
    /* unknown type with an unknown extension */
    expect_decision(p, "a.bin", "application/octet-stream", false, "default",
                    "type not allowed: application/octet-stream");
    /* detection failed */
    expect_decision(p, "a.pdf", NULL, false, "default", "could not be detected");
    expect_decision(p, "a.pdf", "", false, "default", "could not be detected");
    /* rule and reason outputs are optional */
    assert_true(policy_decide_file(p, "a.pdf", "application/pdf", NULL, NULL));
    assert_false(policy_decide_file(p, "a.pdf", "image/png", NULL, NULL));
    policy_free(p);
}

static void test_archives(void **state)
{
    (void)state;
    static const char rules[] = "[type:zip]\nmime=application/zip\nextensions=zip\n"
                                "action=allow\narchive=true\n"
                                "[type:pdf]\nmime=application/pdf\nextensions=pdf\n"
                                "action=allow\narchive=false\n";
    char *text = g_strconcat(HEADER, "[scan]\narchives=scan\n", rules, NULL);
    struct policy *p = load_ok(text);
    assert_true(p->rules[0].archive);
    assert_false(p->rules[1].archive);
    expect_decision(p, "a.zip", "application/zip", true, "zip", NULL);
    policy_free(p);
    g_free(text);

    text = g_strconcat(HEADER, "[scan]\narchives=block\n", rules, NULL);
    p = load_ok(text);
    assert_false(p->scan_archives);
    expect_decision(p, "a.zip", "application/zip", false, "zip",
                    "archives are not allowed by policy");
    expect_decision(p, "a.pdf", "application/pdf", true, "pdf", NULL);
    policy_free(p);
    g_free(text);
}

static void test_skip_names(void **state)
{
    (void)state;
    struct policy *p = load_ok(HEADER);

    assert_true(policy_skip_name(p, "System Volume Information"));
    assert_true(policy_skip_name(p, "system volume information"));
    assert_true(policy_skip_name(p, "$recycle.bin"));
    assert_true(policy_skip_name(p, ".trashes"));
    assert_true(policy_skip_name(p, ".SPOTLIGHT-V100"));
    assert_true(policy_skip_name(p, ".TemporaryItems"));
    assert_false(policy_skip_name(p, "System Volume Information2"));
    assert_false(policy_skip_name(p, "Documents"));
    assert_false(policy_skip_name(p, ""));
    assert_false(policy_skip_name(p, NULL));
    policy_free(p);

    p = load_ok(HEADER "[walk]\nskip=\n");
    assert_false(policy_skip_name(p, "$RECYCLE.BIN"));
    policy_free(p);
}

static void test_filesystems(void **state)
{
    (void)state;
    struct policy *p = load_ok(HEADER);

    assert_true(policy_filesystem_allowed(p, "vfat"));
    assert_true(policy_filesystem_allowed(p, "exfat"));
    assert_true(policy_filesystem_allowed(p, "ntfs"));
    assert_true(policy_filesystem_allowed(p, "ext2"));
    assert_true(policy_filesystem_allowed(p, "ext3"));
    assert_true(policy_filesystem_allowed(p, "ext4"));
    assert_true(policy_filesystem_allowed(p, "hfsplus"));
    assert_true(policy_filesystem_allowed(p, "iso9660"));
    assert_false(policy_filesystem_allowed(p, "udf"));
    assert_false(policy_filesystem_allowed(p, "btrfs"));
    assert_false(policy_filesystem_allowed(p, "crypto_LUKS"));
    assert_false(policy_filesystem_allowed(p, "BitLocker"));
    policy_free(p);

    p = load_ok(HEADER "[media]\ndriver=fuse\n");
    assert_int_equal(p->driver, POLICY_DRIVER_READER); /* the old name of the default */
    policy_free(p);
    p = load_ok(HEADER "[media]\nfilesystems=ext4\n");
    assert_true(policy_filesystem_allowed(p, "ext4"));
    assert_false(policy_filesystem_allowed(p, "vfat"));
    assert_int_equal(p->driver, POLICY_DRIVER_READER);
    policy_free(p);
}

static void test_edifact(void **state)
{
    (void)state;
    struct policy *p = load_ok(HEADER);
    assert_int_equal(p->edifact_check, POLICY_EDIFACT_WARN); /* built-in */
    assert_true(policy_edifact_named(p, "BAPLIE_MSCAURORA_123W.EDI"));
    assert_true(policy_edifact_named(p, "stowage.movins"));
    assert_true(policy_edifact_named(p, "x.Vermas"));
    assert_false(policy_edifact_named(p, "list.csv"));
    assert_false(policy_edifact_named(p, "edi"));
    assert_false(policy_edifact_named(p, ".edi"));
    policy_free(p);

    p = load_ok(HEADER "[edifact]\ncheck=block\nextensions=edi;txt\n");
    assert_int_equal(p->edifact_check, POLICY_EDIFACT_BLOCK);
    assert_true(policy_edifact_named(p, "notes.txt"));
    assert_false(policy_edifact_named(p, "plan.baplie")); /* the list replaces the built-in */
    assert_string_equal(policy_edifact_check_str(p->edifact_check), "block");
    policy_free(p);

    p = load_ok(HEADER "[edifact]\ncheck=off\n");
    assert_int_equal(p->edifact_check, POLICY_EDIFACT_OFF);
    policy_free(p);

    expect_one_error(HEADER "[edifact]\ncheck=maybe\n", 5, "check must be off or warn or block");
    expect_one_error(HEADER "[edifact]\nextensions=EDI\n", 5, "extension 'EDI' must be written");
    expect_one_error(HEADER "[edifact]\nextensions=*\n", 5, "extension '*' must be written");
    expect_one_error(HEADER "[edifact]\nstrict=yes\n", 5, "unknown key 'strict'");

    /* The shipped policy says warn. */
    const char *src = getenv("KIOSK_SRCDIR");
    char *path = g_build_filename(src ? src : ".", "data", "policy.conf", NULL);
    assert_int_equal(policy_load(path, &p, NULL), 0);
    assert_int_equal(p->edifact_check, POLICY_EDIFACT_WARN);
    assert_true(policy_edifact_named(p, "BAPLIE.edi"));
    policy_free(p);
    g_free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_policy_loads),
        cmocka_unit_test(test_shipped_policy_decisions),
        cmocka_unit_test(test_minimal_policy_takes_defaults),
        cmocka_unit_test(test_full_policy),
        cmocka_unit_test(test_bom_and_crlf),
        cmocka_unit_test(test_broken_lines),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_several_errors_at_once),
        cmocka_unit_test(test_load_file_errors),
        cmocka_unit_test(test_first_match_wins),
        cmocka_unit_test(test_extension_mismatch),
        cmocka_unit_test(test_archives),
        cmocka_unit_test(test_skip_names),
        cmocka_unit_test(test_filesystems),
        cmocka_unit_test(test_edifact),
        cmocka_unit_test(test_reason_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

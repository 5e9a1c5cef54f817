/* cmd-scan.c - `kiosk scan`: run the quarantine pipeline once, headless. */
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"
#include "kiosk/cmd.h"
#include "kiosk/audit.h"
#include "kiosk/config.h"
#include "kiosk/handoff.h"
#include "kiosk/media.h"
#include "kiosk/session.h"
#include "policy/policy.h"
#include "scanner/pool.h"
#include "scanner/scanner.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char cmd_scan_usage[] =
    "usage: kiosk scan [--config FILE] [--policy FILE] [--target dir:DIR|smb://HOST/SHARE/PATH]\n"
    "                  [--staging DIR] [--work-dir DIR] [--signing-key FILE] [--signatures DIR]\n"
    "                  [--audit-log FILE] [--run-dir DIR] [--workers N] [--json]\n"
    "                  [--details-json '{\"vessel\":\"...\",\"imo\":\"...\"}'] [--testing] SOURCE\n"
    "SOURCE is a disk image file, a block device or a folder.  The clean files are committed to\n"
    "the outbox and then published to the target (--staging DIR = --target dir:DIR).\n"
    "Exit status: 0 every file delivered, 1 some files held back, 2 error (nothing delivered),\n"
    "3 checked but not published yet (it waits in the outbox: kiosk staging retry).\n"
    "--testing: the test suite's hooks work (the session and its manifest say testing mode).\n";

static volatile gint cmd_scan_cancel;

static void cmd_scan_on_signal(int sig)
{
    (void)sig;
    g_atomic_int_set(&cmd_scan_cancel, 1);
}

struct cmd_scan_tty {
    bool active;
    size_t last_len;
};

static void cmd_scan_progress(const struct session_progress *p, void *data)
{
    struct cmd_scan_tty *t = data;
    if (!t->active)
        return;
    char line[512];
    if (p->phase == SESSION_CHECKING) {
        snprintf(line, sizeof(line), "Checking the medium...");
    } else if (p->phase == SESSION_SCANNING) {
        char *a = util_format_bytes(p->bytes_done), *b = util_format_bytes(p->bytes_total);
        char eta[48] = "";
        if (p->eta_seconds >= 0)
            snprintf(eta, sizeof(eta), ", about %llds left", (long long)p->eta_seconds);
        snprintf(line, sizeof(line), "Scanning: %llu/%llu files, %s of %s%s  %.40s",
                 (unsigned long long)p->files_done, (unsigned long long)p->files_total, a, b, eta,
                 p->current ? p->current : "");
        g_free(a);
        g_free(b);
    } else if (p->phase == SESSION_DELIVERING) {
        snprintf(line, sizeof(line), "Delivering clean files...");
    } else {
        line[0] = '\0';
    }
    size_t len = strlen(line);
    fprintf(stderr, "\r%s", line);
    for (size_t i = len; i < t->last_len; i++)
        fputc(' ', stderr);
    if (p->phase == SESSION_DONE)
        fputc('\r', stderr);
    t->last_len = len;
    fflush(stderr);
}

/* What happened to the delivery after the check (the outbox entry's state). */
struct cmd_scan_pub {
    const char *state; /* "published", "queued", "failed" or NULL (nothing to publish) */
    char *location;
    char *error;
};

static void cmd_scan_print_human(const struct session_result *r, const char *audit_log,
                                 const struct cmd_scan_pub *pub)
{
    if (r->scanner.test_signatures)
        printf("*** TEST SIGNATURES: scanned with the kiosk's test database, not real virus "
               "signatures ***\n");
    printf("Session %s\n", r->id);
    if (r->exit_code == 2) {
        printf("Could not be checked: %s\n", r->error ? r->error : "unknown error");
        printf("Nothing was delivered.\n");
    } else {
        printf("%s: %llu of %llu files delivered", r->exit_code == 0 ? "Clean (delivered)"
                                                                     : "Some files held back",
               (unsigned long long)r->counts.delivered, (unsigned long long)r->counts.files);
        if (r->counts.skipped)
            printf(" (%llu other entries skipped)", (unsigned long long)r->counts.skipped);
        printf("\n");
        if (pub->state && !strcmp(pub->state, "published"))
            printf("  Passed to the terminal: %s\n", pub->location ? pub->location : r->delivery);
        else
            printf("  Checked; waiting in the outbox until the share is reachable (%s).\n"
                   "  It goes to %s; 'kiosk staging retry' tries again now.\n",
                   pub->error ? pub->error : "not published yet", r->delivery);
        printf("  Manifest:  %s%s\n", r->manifest_path,
               r->sign_key_id[0] ? "" : " (NOT signed: [paths] signing-key is empty)");
        if (r->sign_key_id[0])
            printf("  Signed by: key %s\n", r->sign_key_id);
    }
    printf("  Audit log: %s\n", audit_log);
    char *built = r->scanner.db_time > 0
                      ? util_time_rfc3339(r->scanner.db_time * G_USEC_PER_SEC, false)
                      : g_strdup("unknown");
    printf("  Engine:    ClamAV %s, database %s built %s, %u signatures\n",
           r->scanner.engine_version, r->scanner.db_version, built, r->scanner.signatures);
    g_free(built);
    if (r->exit_code == 2) {
        if (r->counts.files)
            printf("  %llu files were found; none was delivered.\n",
                   (unsigned long long)r->counts.files);
        return;
    }
    bool header = false;
    for (guint i = 0; i < r->files->len; i++) {
        const struct session_file *f = g_ptr_array_index(r->files, i);
        if (f->verdict.kind != VERDICT_SANITIZED)
            continue;
        if (!header) {
            printf("\nDelivered as safe copies (active content removed):\n  %-40s %s\n", "FILE",
                   "WHAT");
            header = true;
        }
        printf("  %-40s %s\n", f->display, f->verdict.reason);
    }
    header = false;
    for (guint i = 0; i < r->files->len; i++) {
        const struct session_file *f = g_ptr_array_index(r->files, i);
        if (verdict_deliverable(&f->verdict))
            continue;
        if (!header) {
            printf("\nNot delivered:\n  %-22s %-40s %s\n", "RESULT", "FILE", "WHY");
            header = true;
        }
        printf("  %-22s %-40s %s\n", verdict_kind_label(f->verdict.kind), f->display,
               f->verdict.reason);
    }
}

/* Deliveries go in order: why an entry still waits (the older one that fails), or NULL. */
static char *cmd_scan_blocker(const struct kiosk_config *cfg, const char *session)
{
    GPtrArray *all = NULL;
    char *why = NULL, *blocker = NULL;
    if (outbox_list(cfg->work_dir, &all, &why) != 0) {
        g_free(why);
        return NULL;
    }
    for (guint i = 0; i < all->len && !blocker; i++) {
        const struct outbox_entry *x = g_ptr_array_index(all, i);
        if (!strcmp(x->session, session))
            break;
        if (x->state == OUTBOX_FAILED)
            blocker = g_strdup_printf("it waits behind session %s, which cannot be published "
                                      "yet: %s",
                                      x->session, x->error ? x->error : "?");
    }
    g_ptr_array_free(all, TRUE);
    return blocker;
}

/* Publish this session now (after any older one still waiting: in order). */
static void cmd_scan_publish(struct handoff *ho, const struct kiosk_config *cfg,
                             const struct session_result *res, struct cmd_scan_pub *pub)
{
    struct audit *audit = NULL;
    struct outbox_entry *e = NULL;
    char *why = NULL;
    if (audit_open(cfg->audit_log, &audit) != 0)
        log_error("the audit log %s cannot be opened: publication records are missing",
                  cfg->audit_log);
    if (handoff_publish_pending(ho, audit, res->id, NULL, NULL, &why) != 0)
        log_warn("publication: %s", why);
    g_clear_pointer(&why, g_free);
    if (outbox_load(cfg->work_dir, res->id, &e, &why) == 0) {
        pub->state = e->state == OUTBOX_PUBLISHED ? "published"
                     : e->state == OUTBOX_FAILED  ? "failed"
                                                  : "queued";
        pub->location = g_strdup(e->location);
        pub->error = e->state == OUTBOX_QUEUED ? cmd_scan_blocker(cfg, res->id)
                                               : g_strdup(e->error);
        outbox_entry_free(e);
    } else {
        pub->state = "failed";
        pub->error = why;
        why = NULL;
    }
    g_free(why);
    audit_close(audit);
}

int cmd_scan(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},   {"policy", required_argument, NULL, 'p'},
        {"staging", required_argument, NULL, 's'},  {"signatures", required_argument, NULL, 'd'},
        {"audit-log", required_argument, NULL, 'a'}, {"run-dir", required_argument, NULL, 'r'},
        {"workers", required_argument, NULL, 'w'},  {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},           {"details-json", required_argument, NULL, 'D'},
        {"target", required_argument, NULL, 'T'},   {"work-dir", required_argument, NULL, 'W'},
        {"signing-key", required_argument, NULL, 'K'},
        {"testing", no_argument, NULL, 'X'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL, *o_policy = NULL, *o_staging = NULL, *o_sigs = NULL,
               *o_audit = NULL, *o_run = NULL, *o_target = NULL, *o_work = NULL, *o_key = NULL;
    struct handoff *ho = NULL;
    struct cmd_scan_pub pub = {0};
    int workers = -1;
    bool json = false, testing = false;
    const char *o_details = NULL;
    JsonObject *details = NULL;
    int c, rc = 2;
    struct kiosk_config *cfg = NULL;
    struct policy *pol = NULL;
    struct scanner_pool *pool = NULL;
    struct session_result *res = NULL;
    GPtrArray *perrs = NULL;
    char *why = NULL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config_path = optarg; break;
        case 'p': o_policy = optarg; break;
        case 's': o_staging = optarg; break;
        case 'd': o_sigs = optarg; break;
        case 'a': o_audit = optarg; break;
        case 'r': o_run = optarg; break;
        case 'w': workers = atoi(optarg); break;
        case 'j': json = true; break;
        case 'D': o_details = optarg; break;
        case 'T': o_target = optarg; break;
        case 'W': o_work = optarg; break;
        case 'K': o_key = optarg; break;
        case 'X': testing = true; break;
        case 'h': fputs(cmd_scan_usage, stdout); return 0;
        default: fputs(cmd_scan_usage, stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        fputs(cmd_scan_usage, stderr);
        return 2;
    }
    const char *source = argv[optind];
    if (o_details) {
        /* Session details (vessel, imo, voyage, company, person) as the screen sends them. */
        JsonNode *dn = json_from_string(o_details, NULL);
        if (!dn || !JSON_NODE_HOLDS_OBJECT(dn)) {
            fprintf(stderr, "kiosk: --details-json needs a JSON object\n");
            if (dn)
                json_node_unref(dn);
            goto out;
        }
        details = json_object_ref(json_node_get_object(dn));
        json_node_unref(dn);
    }
    if (config_load(config_path, &cfg, &why) != 0) {
        fprintf(stderr, "kiosk: %s\n", why);
        goto out;
    }
    config_override(&cfg->policy, o_policy);
    config_override_staging_dir(cfg, o_staging);
    config_override(&cfg->target, o_target);
    config_override(&cfg->work_dir, o_work);
    config_override(&cfg->signing_key, o_key);
    config_override(&cfg->signatures, o_sigs);
    config_override(&cfg->audit_log, o_audit);
    cfg->audit_log_given = o_audit != NULL;
    config_override(&cfg->run_dir, o_run);
    if (workers >= 0)
        cfg->workers = workers;
    if (handoff_open(cfg, &ho, &why) != 0) {
        fprintf(stderr, "kiosk: the delivery cannot be prepared; nothing was scanned: %s\n", why);
        struct audit *a = NULL;
        if (audit_open(cfg->audit_log, &a) == 0) {
            JsonObject *o = json_object_new();
            json_object_set_string_member(o, "target", cfg->target);
            json_object_set_string_member(o, "error", why);
            if (audit_append(a, "staging-refused", o) != 0 || audit_sync(a) != 0)
                log_error("the audit log %s could not record the refusal", cfg->audit_log);
            json_object_unref(o);
            audit_close(a);
        }
        goto out;
    }
    if (geteuid() != 0 && access(source, F_OK) == 0 && !g_file_test(source, G_FILE_TEST_IS_DIR))
        log_warn("not running as root: disk images and devices need root to attach and mount");

    perrs = g_ptr_array_new_with_free_func(policy_error_free);
    if (policy_load(cfg->policy, &pol, perrs) != 0) {
        fprintf(stderr, "kiosk: the policy %s is not valid; nothing was scanned:\n", cfg->policy);
        policy_errors_print(stderr, "  ", cfg->policy, perrs);
        goto out;
    }
    gint64 t0 = g_get_monotonic_time();
    /* The engine lives in sandboxed worker processes (docs/privsep.md), one per core,
     * whose zygote the spawner forks. */
    int nscan = cfg->workers > 0 ? cfg->workers : (int)g_get_num_processors();
    if (session_pool_new(pol, cfg->signatures, MIN(nscan, SCANNER_POOL_MAX_WORKERS),
                         SCANNER_POOL_USER, cfg->run_dir, &pool, &why) != 0) {
        fprintf(stderr, "kiosk: the scanner cannot start; nothing was scanned: %s\n", why);
        goto out;
    }
    const struct scanner_info *si = scanner_pool_info(pool);
    log_info("engine loaded in %.2f s: ClamAV %s, %u signatures, database %s",
             (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC, si->engine_version,
             si->signatures, si->db_version);
    if (si->test_signatures)
        log_warn("TEST SIGNATURES: %s holds the kiosk's test database, not real signatures",
                 cfg->signatures);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = cmd_scan_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    struct cmd_scan_tty tty = {.active = !json && isatty(STDERR_FILENO)};
    struct session_params sp = {
        .source = source,
        .policy = pol,
        .pool = pool,
        .workers = MIN(nscan, SCANNER_POOL_MAX_WORKERS),
        .work_dir = cfg->work_dir,
        .target = cfg->target,
        .outbox_group = ho->outbox_group,
        .audit_log = cfg->audit_log,
        .run_dir = cfg->run_dir,
        .progress = cmd_scan_progress,
        .progress_data = &tty,
        .cancel = &cmd_scan_cancel,
        .details = details,
        .signing_key = cfg->signing_key,
        .accept_loop = testing,
        .admin_state = cfg->audit_log_given ? NULL : cfg->admin_state, /* the kiosk's log only */
    };
    if (testing) {
        /* As the service's testing mode: said in the audit log and the manifest. */
        log_warn("TESTING MODE: the test suite's hooks into the medium reader work");
        media_enable_test_hooks();
    }
    session_run(&sp, &res);
    if (tty.active)
        fputc('\n', stderr);
    if (res->outbox)
        cmd_scan_publish(ho, cfg, res, &pub);
    if (json) {
        JsonNode *n = session_result_to_json(res);
        if (res->outbox) {
            JsonObject *po = json_object_new();
            json_object_set_string_member(po, "target", res->target);
            json_object_set_string_member(po, "state", pub.state);
            json_object_set_string_member(po, "location", pub.location ? pub.location
                                                                       : res->delivery);
            if (pub.error)
                json_object_set_string_member(po, "error", pub.error);
            else
                json_object_set_null_member(po, "error");
            json_object_set_object_member(json_node_get_object(n), "publication", po);
            json_object_set_string_member(json_node_get_object(n), "outbox", res->outbox);
            if (res->sign_key_id[0])
                json_object_set_string_member(json_node_get_object(n), "signing_key_id",
                                              res->sign_key_id);
            else
                json_object_set_null_member(json_node_get_object(n), "signing_key_id");
        }
        char *text = util_json_text(n, false, NULL);
        printf("%s\n", text);
        g_free(text);
        json_node_unref(n);
    } else {
        cmd_scan_print_human(res, cfg->audit_log, &pub);
    }
    rc = res->exit_code;
    if (rc != 2 && res->outbox && g_strcmp0(pub.state, "published") != 0)
        rc = 3; /* checked and committed, but not on the share yet */
out:
    g_free(pub.location);
    g_free(pub.error);
    handoff_free(ho);
    session_result_free(res);
    if (details)
        json_object_unref(details);
    scanner_pool_free(pool);
    policy_free(pol);
    if (perrs)
        g_ptr_array_free(perrs, TRUE);
    config_free(cfg);
    g_free(why);
    return rc;
}

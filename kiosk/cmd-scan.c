/* cmd-scan.c - `kiosk scan`: run the quarantine pipeline once, headless. */
#include "common/json.h"
#include "common/i18n.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"
#include "kiosk/cli.h"
#include "kiosk/cli-settings.h"
#include "kiosk/cmd.h"
#include "kiosk/audit.h"
#include "kiosk/config.h"
#include "handoff/handoff.h"
#include "media/media.h"
#include "kiosk/session.h"
#include "admin/sigdb.h"
#include "policy/policy.h"
#include "scanner/pool.h"
#include "scanner/scanner.h"
#include "scanner/verdict-cache.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char cmd_scan_summary[] =
    "Check a medium once, headless, with the same pipeline as the service, and deliver its\n"
    "clean files.  SOURCE is a disk image file, a block device or a folder.  The clean files\n"
    "are committed to the outbox and then published to the target (--staging DIR =\n"
    "--target dir:DIR).";
static const char cmd_scan_description[] =
    "Exit status: 0 every file delivered, 1 some files held back, 2 error (nothing\n"
    "delivered) or usage, 3 checked but not published yet (it waits in the outbox: kiosk\n"
    "staging retry).  With --json a failure is {\"status\": \"failed\", \"error\": ...}.\n";

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
        snprintf(line, sizeof(line), "%s", _("Checking the medium..."));
    } else if (p->phase == SESSION_SCANNING) {
        char *a = util_format_bytes(p->bytes_done), *b = util_format_bytes(p->bytes_total);
        char eta[48] = "";
        if (p->eta_seconds >= 0)
            snprintf(eta, sizeof(eta), _(", about %llds left"), (long long)p->eta_seconds);
        snprintf(line, sizeof(line), _("Scanning: %llu/%llu files, %s of %s%s  %.40s"),
                 (unsigned long long)p->files_done, (unsigned long long)p->files_total, a, b, eta,
                 p->current ? p->current : "");
        g_free(a);
        g_free(b);
    } else if (p->phase == SESSION_DELIVERING) {
        snprintf(line, sizeof(line), "%s", _("Delivering clean files..."));
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

/* What the EDIFACT files are, their problems, and details that disagree with them. */
static void cmd_scan_print_edifact(const struct session_result *r)
{
    bool header = false;
    for (guint i = 0; i < r->files->len; i++) {
        const struct session_file *f = g_ptr_array_index(r->files, i);
        char text[512];
        if (!f->edifact)
            continue;
        if (!header) {
            printf("\n%s\n", _("EDIFACT messages:"));
            header = true;
        }
        edifact_headline(f->edifact, EDIFACT_EN, text, sizeof(text));
        printf("  %-40s %s\n", f->display, text);
        if (f->edifact->status == EDIFACT_MALFORMED) {
            edifact_problem_text(f->edifact, EDIFACT_EN, text, sizeof(text));
            printf("  %-40s %s: %s\n", "",
                   f->verdict.kind == VERDICT_CLEAN ? "WARNING" : "HELD BACK", text);
        }
    }
    JsonArray *mm = r->edifact_mismatch;
    for (guint i = 0; mm && i < json_array_get_length(mm); i++) {
        JsonObject *o = json_array_get_object_element(mm, i);
        if (i == 0)
            printf("\n%s\n", _("The session details disagree with the files:"));
        printf("  %-40s %s\n", json_object_get_string_member(o, "path"),
               json_object_get_string_member(o, "text"));
    }
}

/* What happened to the delivery after the check (the outbox entry's state). */
struct cmd_scan_pub {
    const char *state; /* "published", "queued", "failed" or NULL (nothing to publish) */
    char *location;
    char *error;
};

static const char *cmd_scan_gettext(const char *msgid)
{
    return gettext(msgid);
}

/* A file's reason for a person, in the CLI's language (from its reason code, as the
 * screen and the report word it); newly allocated. */
static char *cmd_scan_reason(const struct session_file *f)
{
    if (!f->verdict.why.code[0])
        return g_strdup(f->verdict.reason);
    return reason_data_format(&f->verdict.why, cmd_scan_gettext, i18n_env_language(),
                              f->verdict.reason);
}

static void cmd_scan_print_human(const struct session_result *r, const char *audit_log,
                                 const struct cmd_scan_pub *pub)
{
    if (r->scanner.test_signatures)
        printf("*** %s ***\n",
               _("TEST SIGNATURES: scanned with the kiosk's test database, not real virus "
                 "signatures"));
    printf(_("Session %s\n"), r->id);
    if (r->exit_code == 2) {
        printf(_("Could not be checked: %s\n"), r->error ? r->error : _("unknown error"));
        printf("%s\n", _("Nothing was delivered."));
    } else {
        printf(_("%s: %llu of %llu files delivered"),
               r->exit_code == 0 ? _("Clean (delivered)") : _("Some files held back"),
               (unsigned long long)r->counts.delivered, (unsigned long long)r->counts.files);
        if (r->counts.skipped)
            printf(_(" (%llu other entries skipped)"), (unsigned long long)r->counts.skipped);
        printf("\n");
        if (pub->state && !strcmp(pub->state, "published"))
            printf(_("  Passed to the terminal: %s\n"),
                   pub->location ? pub->location : r->delivery);
        else
            printf(_("  Checked; waiting in the outbox until the share is reachable (%s).\n"
                     "  It goes to %s; 'kiosk staging retry' tries again now.\n"),
                   pub->error ? pub->error : _("not published yet"), r->delivery);
        printf(_("  Manifest:  %s%s\n"), r->manifest_path,
               r->sign_key_id[0] ? "" : _(" (NOT signed: [paths] signing-key is empty)"));
        if (r->sign_key_id[0])
            printf(_("  Signed by: key %s\n"), r->sign_key_id);
    }
    printf(_("  Audit log: %s\n"), audit_log);
    char *built = r->scanner.db_time > 0
                      ? util_time_rfc3339(r->scanner.db_time * G_USEC_PER_SEC, false)
                      : g_strdup(_("unknown"));
    printf(_("  Engine:    ClamAV %s, database %s built %s, %u signatures\n"),
           r->scanner.engine_version, r->scanner.db_version, built, r->scanner.signatures);
    g_free(built);
    if (r->exit_code == 2) {
        if (r->counts.files)
            printf(_("  %llu files were found; none was delivered.\n"),
                   (unsigned long long)r->counts.files);
        return;
    }
    bool header = false;
    for (guint i = 0; i < r->files->len; i++) {
        const struct session_file *f = g_ptr_array_index(r->files, i);
        if (f->verdict.kind != VERDICT_SANITIZED)
            continue;
        if (!header) {
            printf("\n%s\n  %-40s %s\n", _("Delivered as safe copies (active content removed):"),
                   _("FILE"), _("WHAT"));
            header = true;
        }
        char *why = cmd_scan_reason(f);
        printf("  %-40s %s\n", f->display, why);
        g_free(why);
    }
    header = false;
    for (guint i = 0; i < r->files->len; i++) {
        const struct session_file *f = g_ptr_array_index(r->files, i);
        if (verdict_deliverable(&f->verdict))
            continue;
        if (!header) {
            printf("\n%s\n  %-22s %-40s %s\n", _("Not delivered:"), _("RESULT"), _("FILE"),
                   _("WHY"));
            header = true;
        }
        char *why = cmd_scan_reason(f);
        printf("  %-22s %-40s %s\n", _(verdict_kind_label(f->verdict.kind)), f->display, why);
        g_free(why);
    }
    cmd_scan_print_edifact(r);
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
        pub->error =
            e->state == OUTBOX_QUEUED ? cmd_scan_blocker(cfg, res->id) : g_strdup(e->error);
        outbox_entry_free(e);
    } else {
        pub->state = "failed";
        pub->error = why;
        why = NULL;
    }
    g_free(why);
    audit_close(audit);
}

/* --details-json TEXT: the details object (new reference), or NULL when it is none. */
static JsonObject *cmd_scan_details(const char *text)
{
    JsonNode *dn = json_from_string(text, NULL);
    JsonObject *details =
        dn && JSON_NODE_HOLDS_OBJECT(dn) ? json_object_ref(json_node_get_object(dn)) : NULL;
    if (dn)
        json_node_unref(dn);
    return details;
}

/* The delivery cannot be prepared (WHY): that goes on record, as the service does. */
static void cmd_scan_record_refusal(const struct kiosk_config *cfg, const char *why)
{
    struct audit *a = NULL;
    if (audit_open(cfg->audit_log, &a) != 0)
        return;
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "target", cfg->target);
    json_object_set_string_member(o, "error", why);
    if (audit_append(a, "staging-refused", o) != 0 || audit_sync(a) != 0)
        log_error("the audit log %s could not record the refusal", cfg->audit_log);
    json_object_unref(o);
    audit_close(a);
}

/* NSCAN sandboxed scanner workers with POL's options, and what they loaded in the log. */
static int cmd_scan_start_pool(const struct kiosk_config *cfg, const struct policy *pol, int nscan,
                               struct scanner_pool **pool, char **why)
{
    gint64 t0 = g_get_monotonic_time();
    int rc =
        sigdb_pool_new(pol, cfg->signatures, nscan, SCANNER_POOL_USER, cfg->run_dir, pool, why);
    if (rc != 0)
        return rc;
    const struct scanner_info *si = scanner_pool_info(*pool);
    log_info("engine loaded in %.2f s: ClamAV %s, %u signatures, database %s",
             (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC, si->engine_version,
             si->signatures, si->db_version);
    if (si->test_signatures)
        log_warn("TEST SIGNATURES: %s holds the kiosk's test database, not real signatures",
                 cfg->signatures);
    return 0;
}

/* SIGINT, SIGTERM, SIGHUP cancel the session (it ends, recorded, delivering nothing). */
static void cmd_scan_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = cmd_scan_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* The verdict cache when configured and usable, else NULL (every file is scanned). */
static struct verdict_cache *cmd_scan_open_cache(const struct kiosk_config *cfg)
{
    struct verdict_cache *vcache = NULL;
    char *why = NULL;
    if (!cfg->cache)
        return NULL;
    char *cpath = config_cache_path(cfg);
    if (verdict_cache_open(cpath, (size_t)cfg->cache_max_entries, &vcache, &why) != 0)
        log_warn("%s; every file is scanned", why); /* not a reason to refuse the scan */
    g_free(why);
    g_free(cpath);
    return vcache;
}

/* --json: the result, with where its publication stands. */
static void cmd_scan_print_json(const struct session_result *res, const struct cmd_scan_pub *pub)
{
    JsonNode *n = session_result_to_json(res);
    JsonObject *o = json_node_get_object(n);
    if (res->outbox) {
        JsonObject *po = json_object_new();
        json_object_set_string_member(po, "target", res->target);
        json_object_set_string_member(po, "state", pub->state);
        json_object_set_string_member(po, "location",
                                      pub->location ? pub->location : res->delivery);
        if (pub->error)
            json_object_set_string_member(po, "error", pub->error);
        else
            json_object_set_null_member(po, "error");
        json_object_set_object_member(o, "publication", po);
        json_object_set_string_member(o, "outbox", res->outbox);
        if (res->sign_key_id[0])
            json_object_set_string_member(o, "signing_key_id", res->sign_key_id);
        else
            json_object_set_null_member(o, "signing_key_id");
    }
    char *text = json_text(n, false, NULL);
    printf("%s\n", text);
    g_free(text);
    json_node_unref(n);
}

/* kiosk scan's options (cmd_scan_entries). */
struct cmd_scan_opts {
    struct cli_settings settings; /* --config and the paths (cli-settings.h) */
    const char *workers, *details;
    gboolean json, testing;
};

#define CMD_SCAN_N_ENTRIES 5

/* The option table of kiosk scan, filling O. */
static void cmd_scan_entries(struct cmd_scan_opts *o, GOptionEntry entries[CMD_SCAN_N_ENTRIES])
{
    const GOptionEntry opts[] = {
        {"workers", 0, 0, G_OPTION_ARG_STRING, &o->workers,
         N_("Scanner processes (0: one per core)"), "N"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &o->json, N_("Print the result as one JSON object"),
         NULL},
        {"details-json", 0, 0, G_OPTION_ARG_STRING, &o->details,
         N_("Session details as the screen sends them, e.g. "
            "'{\"vessel\":\"...\",\"imo\":\"...\"}'"),
         "JSON"},
        {"testing", 0, 0, G_OPTION_ARG_NONE, &o->testing,
         N_("The test suite's hooks work (the session and its manifest say testing mode)"), NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    G_STATIC_ASSERT(G_N_ELEMENTS(opts) == CMD_SCAN_N_ENTRIES);
    memcpy(entries, opts, sizeof(opts));
}

/* The settings: the file, then what the command line overrides. */
static int cmd_scan_config(const struct cmd_scan_opts *o, int workers, struct kiosk_config **out,
                           char **why)
{
    int rc = cli_settings_load(&o->settings, out, why);
    if (rc != 0)
        return rc;
    struct kiosk_config *cfg = *out;
    if (workers >= 0)
        cfg->workers = workers;
    return 0;
}

/* The session's parameters that come from the settings (TESTING: --testing). */
static struct session_params cmd_scan_params(const struct kiosk_config *cfg,
                                             const struct handoff *ho, bool testing)
{
    return (struct session_params){
        .work_dir = cfg->work_dir,
        .target = cfg->target,
        .outbox_group = ho->outbox_group,
        .audit_log = cfg->audit_log,
        .run_dir = cfg->run_dir,
        .reader_user = cfg->media_reader_user,
        .reader_test_hooks = testing,
        .progress = cmd_scan_progress,
        .cancel = &cmd_scan_cancel,
        .signing_key = cfg->signing_key,
        .accept_loop = testing,
        .admin_state = cfg->audit_log_given ? NULL : cfg->admin_state, /* the kiosk's log only */
    };
}

/* --workers N: a number from 0 to 256, or -1 after a usage message. */
static int cmd_scan_workers_option(struct cli *cl, const char *text)
{
    gint64 w;
    if (!cli_int_in_range(text, 0, 256, &w)) {
        cli_usage_error(cl, "--workers needs a number from 0 to 256, not '%s'", text);
        return -1;
    }
    return (int)w;
}

/* The policy, or NULL after its errors (with their line numbers) were printed. */
static struct policy *cmd_scan_policy(struct cli *cl, const struct kiosk_config *cfg)
{
    struct policy *pol = NULL;
    GPtrArray *perrs = g_ptr_array_new_with_free_func(policy_error_free);
    if (policy_load(cfg->policy, &pol, perrs) != 0) {
        policy_errors_print(stderr, "  ", cfg->policy, perrs);
        cli_fail(cl, "the policy %s is not valid; nothing was scanned", cfg->policy);
        policy_free(pol);
        pol = NULL;
    }
    g_ptr_array_free(perrs, TRUE);
    return pol;
}

/* The session itself: run it with SP, publish what it committed, print the result.
 * Returns the exit status: the session's, or 3 when it committed but did not publish. */
static int cmd_scan_session(const struct cmd_scan_opts *o, const struct kiosk_config *cfg,
                            struct handoff *ho, struct session_params *sp, struct cmd_scan_pub *pub)
{
    struct session_result *res = NULL;
    struct cmd_scan_tty tty = {.active = !o->json && isatty(STDERR_FILENO)};
    sp->progress_data = &tty;
    if (o->testing) {
        /* As the service's testing mode: said in the audit log and the manifest. */
        log_set_testing_mode(true);
        log_warn("the test suite's hooks into the medium reader work");
    }
    session_run(sp, &res);
    if (tty.active)
        fputc('\n', stderr);
    if (res->outbox)
        cmd_scan_publish(ho, cfg, res, pub);
    if (o->json)
        cmd_scan_print_json(res, pub);
    else
        cmd_scan_print_human(res, cfg->audit_log, pub);
    int rc = res->exit_code;
    if (rc != 2 && res->outbox && g_strcmp0(pub->state, "published") != 0)
        rc = 3; /* checked and committed, but not on the share yet */
    session_result_free(res);
    return rc;
}

int cmd_scan(int argc, char **argv)
{
    struct cmd_scan_opts o = {0};
    GOptionEntry settings[CLI_SETTINGS_N_ENTRIES], opts[CMD_SCAN_N_ENTRIES];
    cli_settings_entries(&o.settings, settings);
    cmd_scan_entries(&o, opts);
    struct handoff *ho = NULL;
    struct cmd_scan_pub pub = {0};
    struct cli cl = {.cmd = "kiosk scan"};
    int workers = -1;
    JsonObject *details = NULL;
    int rc = 2;
    struct kiosk_config *cfg = NULL;
    struct policy *pol = NULL;
    struct scanner_pool *pool = NULL;
    struct verdict_cache *vcache = NULL;
    char *why = NULL;

    int prc = cli_parse(&cl, &argc, &argv, "SOURCE", cmd_scan_summary, cmd_scan_description,
                        settings, opts, 1, 1);
    if (prc != 0)
        return cli_parse_exit(prc);
    if (o.workers && (workers = cmd_scan_workers_option(&cl, o.workers)) < 0)
        return 2;
    const char *source = argv[1];
    /* Session details (vessel, imo, voyage, company, person) as the screen sends them. */
    if (o.details && !(details = cmd_scan_details(o.details))) {
        cli_usage_error(&cl, "--details-json needs a JSON object");
        goto out;
    }
    if (cmd_scan_config(&o, workers, &cfg, &why) != 0) {
        cli_fail(&cl, "%s", why);
        goto out;
    }
    if (handoff_open(cfg, &ho, &why) != 0) {
        cli_fail(&cl, "the delivery cannot be prepared; nothing was scanned: %s", why);
        cmd_scan_record_refusal(cfg, why);
        goto out;
    }
    if (geteuid() != 0 && access(source, F_OK) == 0 && !g_file_test(source, G_FILE_TEST_IS_DIR))
        log_warn("not running as root: disk images and devices need root to attach and mount");

    if (!(pol = cmd_scan_policy(&cl, cfg)))
        goto out;
    if (o.testing)
        scanner_pool_enable_test_hooks(); /* before the pool: its workers read the flag */
    /* The engine lives in sandboxed worker processes (docs/privsep.md), one per core,
     * whose zygote the spawner forks. */
    int nscan = MIN(cfg->workers > 0 ? cfg->workers : (int)g_get_num_processors(),
                    SCANNER_POOL_MAX_WORKERS);
    if (cmd_scan_start_pool(cfg, pol, nscan, &pool, &why) != 0) {
        cli_fail(&cl, "the scanner cannot start; nothing was scanned: %s", why);
        goto out;
    }
    cmd_scan_catch_signals();
    vcache = cmd_scan_open_cache(cfg);

    struct session_params sp = cmd_scan_params(cfg, ho, o.testing);
    sp.source = source;
    sp.policy = pol;
    sp.pool = pool;
    sp.workers = nscan;
    sp.cache = vcache;
    sp.details = details;
    rc = cmd_scan_session(&o, cfg, ho, &sp, &pub);
out:
    g_free(pub.location);
    g_free(pub.error);
    handoff_free(ho);
    if (details)
        json_object_unref(details);
    scanner_pool_free(pool);
    verdict_cache_free(vcache);
    policy_free(pol);
    config_free(cfg);
    g_free(why);
    return rc;
}

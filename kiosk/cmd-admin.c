/* cmd-admin.c - the administrator's console commands (docs/admin.md):
 *
 *   kiosk policy install [OPTIONS] FILE SIGFILE   signed policy update (policy-install.h)
 *   kiosk signatures install [OPTIONS] FILE...    offline signature update (sigdb.h)
 *   kiosk status [OPTIONS] [--json]               service, database, policy, staging, ...
 *   kiosk admin set-password [--stdin]            the screen's administrator password
 *   kiosk admin login-test [--stdin]              try the password (counts as a login)
 *   kiosk admin export [OPTIONS] DIR              copy the audit log and reports to DIR
 *   kiosk admin export-stick [OPTIONS] DEVICE     erase DEVICE and write the export to it
 *   kiosk admin apply [OPTIONS] SOURCE            apply a signed update bundle (bundle.h)
 *
 * Exit status: 0 done, 1 refused or failed, 2 usage. */
#include "common/json.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"
#include "common/version.h"
#include "admin/admin.h"
#include "kiosk/audit.h"
#include "admin/bundle.h"
#include "kiosk/cli.h"
#include "kiosk/cmd.h"
#include "kiosk/config.h"
#include "admin/policy-install.h"
#include "admin/sigdb.h"
#include "policy/policy.h"

#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

struct cmd_admin_opts {
    struct cli cli;
    struct kiosk_config *cfg;
    gboolean use_stdin;
    gboolean no_reload;
    char **args; /* what remains after the options */
    int nargs;
};

/* What a command takes besides the common options. */
enum {
    CMD_ADMIN_STDIN = 1 << 0,     /* --stdin: the password from standard input */
    CMD_ADMIN_JSON = 1 << 1,      /* --json */
    CMD_ADMIN_NO_RELOAD = 1 << 2, /* --no-reload */
};

/* Parse the options every admin command shares, and the EXTRA ones; fills o (o->cfg owned
 * by the caller).  Returns -1 go on, else the exit status (help 0, usage 2, config 1). */
static int cmd_admin_parse(int argc, char **argv, const char *cmd, const char *params,
                           const char *summary, unsigned extra, int min_args, int max_args,
                           struct cmd_admin_opts *o)
{
    const char *config = NULL;
    const char *ov[8] = {0};
    gboolean json = FALSE;
    const GOptionEntry common[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Settings file", "FILE"},
        {"policy", 0, 0, G_OPTION_ARG_FILENAME, &ov[0], "Policy file", "FILE"},
        {"signatures", 0, 0, G_OPTION_ARG_FILENAME, &ov[1], "ClamAV signature folder", "DIR"},
        {"staging", 0, 0, G_OPTION_ARG_FILENAME, &ov[2], "Staging share", "DIR"},
        {"audit-log", 0, 0, G_OPTION_ARG_FILENAME, &ov[3], "Audit log", "FILE"},
        {"socket", 0, 0, G_OPTION_ARG_FILENAME, &ov[4], "The service's socket", "PATH"},
        {"admin-keys", 0, 0, G_OPTION_ARG_FILENAME, &ov[5],
         "Folder of the administrators' "
         "public keys",
         "DIR"},
        {"admin-state", 0, 0, G_OPTION_ARG_FILENAME, &ov[6],
         "Administrator password and "
         "lockout state",
         "FILE"},
        {"work-dir", 0, 0, G_OPTION_ARG_FILENAME, &ov[7], "Private work area (spool, outbox)",
         "DIR"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    const GOptionEntry all_extra[] = {
        {"stdin", 0, 0, G_OPTION_ARG_NONE, &o->use_stdin, "Read the password from standard input",
         NULL},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the result as one JSON object", NULL},
        {"no-reload", 0, 0, G_OPTION_ARG_NONE, &o->no_reload,
         "Do not ask the running service to "
         "reload",
         NULL},
    };
    GOptionEntry extra_entries[G_N_ELEMENTS(all_extra) + 1];
    size_t n = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(all_extra); i++)
        if (extra & (1u << i))
            extra_entries[n++] = all_extra[i];
    extra_entries[n] = (GOptionEntry){NULL, 0, 0, 0, NULL, NULL, NULL};
    char *why = NULL;

    o->cli.cmd = cmd;
    int prc = cli_parse(&o->cli, &argc, &argv, params, summary, NULL, common, extra_entries,
                        min_args, max_args);
    if (prc != 0)
        return cli_parse_exit(prc);
    if (config_load(config, &o->cfg, &why) != 0) {
        cli_fail(&o->cli, "%s", why);
        g_free(why);
        return 1;
    }
    char **fields[] = {&o->cfg->policy,      &o->cfg->signatures, &o->cfg->staging,
                       &o->cfg->audit_log,   &o->cfg->socket,     &o->cfg->admin_keys,
                       &o->cfg->admin_state, &o->cfg->work_dir};
    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++)
        config_override(fields[i], ov[i]);
    config_override_staging_dir(o->cfg, ov[2]); /* --staging DIR: the target dir:DIR */
    o->args = argv + 1;
    o->nargs = argc - 1;
    return -1;
}

static void cmd_admin_print_json(JsonObject *o)
{
    JsonNode *n = json_node_init_object(json_node_alloc(), o);
    char *text = json_text(n, true, NULL);
    printf("%s\n", text);
    g_free(text);
    json_node_unref(n);
}

/* With --json, a failure is {"status":"failed","error":WHY} (merged into what the command
 * knows, e.g. the items of an update that were refused); success says "ok". */
static JsonObject *cmd_admin_json_result(JsonObject *res, bool ok, const char *why)
{
    JsonObject *o = res ? res : json_object_new();
    json_object_set_string_member(o, "status", ok ? "ok" : "failed");
    if (!ok)
        json_object_set_string_member(o, "error", why ? why : "failed");
    return o;
}

static struct audit *cmd_admin_audit(struct cmd_admin_opts *o)
{
    struct audit *a = NULL;
    if (audit_open(o->cfg->audit_log, &a) != 0) {
        cli_fail(&o->cli, "the audit log %s cannot be written: %s", o->cfg->audit_log,
                 g_strerror(errno));
        return NULL;
    }
    return a;
}

/* ---- talking to the service ----------------------------------------------------------- */

/* Send CMD (a JSON line) to the service and return the first object whose "type" is
 * WANT_TYPE (and, for "reply", whose "cmd" matches), or NULL (*why) when the service
 * cannot be reached or does not answer within 10 s. */
JsonObject *cmd_admin_ask(const char *socket, const char *cmd, const char *want_type,
                          const char *want_cmd, char **why)
{
    GSocketClient *cl = g_socket_client_new();
    GSocketAddress *addr = g_unix_socket_address_new(socket);
    GError *err = NULL;
    JsonObject *found = NULL;
    g_socket_client_set_timeout(cl, 10);
    GSocketConnection *conn = g_socket_client_connect(cl, G_SOCKET_CONNECTABLE(addr), NULL, &err);
    g_object_unref(addr);
    g_object_unref(cl);
    if (!conn) {
        *why = g_strdup_printf("the service is not reachable on %s: %s", socket, err->message);
        g_error_free(err);
        return NULL;
    }
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
    GDataInputStream *in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
    char *line = g_strconcat(cmd, "\n", NULL);
    if (!g_output_stream_write_all(out, line, strlen(line), NULL, NULL, &err)) {
        *why = g_strdup_printf("%s: %s", socket, err->message);
        g_clear_error(&err);
        goto out;
    }
    JsonParser *p = json_parser_new();
    for (int i = 0; i < 64 && !found; i++) {
        gsize len = 0;
        char *l = g_data_input_stream_read_line(in, &len, NULL, &err);
        if (!l) {
            *why = g_strdup_printf("the service closed the connection%s%s", err ? ": " : "",
                                   err ? err->message : "");
            g_clear_error(&err);
            break;
        }
        if (json_parser_load_from_data(p, l, (gssize)len, NULL)) {
            JsonNode *root = json_parser_get_root(p);
            JsonObject *o =
                root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
            if (o &&
                !g_strcmp0(json_object_get_string_member_with_default(o, "type", ""), want_type) &&
                (!want_cmd ||
                 !g_strcmp0(json_object_get_string_member_with_default(o, "cmd", ""), want_cmd)))
                found = json_object_ref(o);
        }
        g_free(l);
    }
    g_object_unref(p);
out:
    g_free(line);
    g_object_unref(in);
    g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
    g_object_unref(conn);
    return found;
}

/* Tell a running service to reload now (it also notices the file change by itself). */
static void cmd_admin_reload(const struct kiosk_config *cfg)
{
    char *why = NULL;
    JsonObject *r = cmd_admin_ask(cfg->socket, "{\"cmd\":\"reload\"}", "reply", "reload", &why);
    if (!r) {
        printf("The service is not running (%s); it uses the new files when it starts.\n", why);
    } else if (json_object_get_boolean_member_with_default(r, "ok", FALSE)) {
        printf("The service is reloading in the background; a check in progress finishes "
               "under the previous policy and signatures.\n");
    } else {
        printf("The service did not accept the reload (%s); it notices the change by itself.\n",
               json_object_get_string_member_with_default(r, "error", "?"));
    }
    if (r)
        json_object_unref(r);
    g_free(why);
}

/* ---- kiosk policy install ---------------------------------------------------------------- */

int cmd_policy_install(int argc, char **argv)
{
    struct cmd_admin_opts o = {0};
    struct policy_install_result res = {0};
    char *why = NULL;
    int rc = cmd_admin_parse(argc, argv, "kiosk policy install", "FILE SIGFILE",
                             "Install FILE, signed with 'minisign -Sm FILE' (SIGFILE = "
                             "FILE.minisig) by a key\nin the trusted folder (--admin-keys), as "
                             "the kiosk's policy; the running service\nreloads.",
                             CMD_ADMIN_NO_RELOAD, 2, 2, &o);
    if (rc >= 0)
        return rc;
    struct audit *a = cmd_admin_audit(&o);
    rc = 1;
    if (!a)
        goto out;
    if (policy_install(o.cfg->policy, o.cfg->admin_keys, o.cfg->admin_state, o.args[0], o.args[1],
                       a, &res, &why) != 0) {
        fprintf(stderr, "kiosk: policy REFUSED (%s): %s\n", res.code, why);
        for (guint i = 0; res.problems && i < res.problems->len; i++)
            fprintf(stderr, "  %s\n", (const char *)g_ptr_array_index(res.problems, i));
        goto out;
    }
    printf("Policy \"%s\" version %" G_GUINT64_FORMAT
           " installed as %s (was version %" G_GUINT64_FORMAT "); signed by key %s; SHA-256 %s\n",
           res.new_name, res.new_version, o.cfg->policy, res.old_version, res.key_id, res.sha256);
    if (!o.no_reload)
        cmd_admin_reload(o.cfg);
    rc = 0;
out:
    audit_close(a);
    policy_install_result_clear(&res);
    config_free(o.cfg);
    g_free(why);
    return rc;
}

/* ---- kiosk signatures install -------------------------------------------------------------- */

static int cmd_signatures_install(int argc, char **argv)
{
    struct cmd_admin_opts o = {0};
    struct policy *pol = NULL;
    char *why = NULL;
    int rc = cmd_admin_parse(argc, argv, "kiosk signatures install", "FILE...",
                             "Check each ClamAV database (.cvd/.cld: ClamAV's signature, not "
                             "older than the\ninstalled one; all: they load and compile with the "
                             "installed ones), then\nreplace them in the signatures folder; the "
                             "running service reloads.",
                             CMD_ADMIN_NO_RELOAD, 1, -1, &o);
    if (rc >= 0)
        return rc;
    struct audit *a = cmd_admin_audit(&o);
    rc = 1;
    if (!a)
        goto out;
    if (policy_load(o.cfg->policy, &pol, NULL) != 0)
        fprintf(stderr,
                "kiosk: the policy %s is not valid; testing the databases with default "
                "engine options\n",
                o.cfg->policy);
    printf("Checking %d file%s (this loads and compiles a test engine)...\n", o.nargs,
           o.nargs == 1 ? "" : "s");
    fflush(stdout);
    if (sigdb_install(o.cfg->signatures, pol, o.args, o.nargs, a, &why) != 0) {
        fprintf(stderr, "kiosk: signatures REFUSED: %s\nNothing was replaced.\n", why);
        goto out;
    }
    struct scanner_info si = {0};
    scanner_db_describe(o.cfg->signatures, &si);
    printf("Installed in %s: database %s\n", o.cfg->signatures, si.db_version);
    if (!o.no_reload)
        cmd_admin_reload(o.cfg);
    rc = 0;
out:
    audit_close(a);
    policy_free(pol);
    config_free(o.cfg);
    g_free(why);
    return rc;
}

int cmd_signatures(int argc, char **argv)
{
    static const struct cli_sub subs[] = {
        {"install", cmd_signatures_install, "check and install ClamAV databases offline"},
    };
    return cli_dispatch("kiosk signatures", subs, G_N_ELEMENTS(subs), argc, argv);
}

/* ---- kiosk status ------------------------------------------------------------------------- */

/* What needs attention although the service runs (kiosk status exits 1: degraded). */
static void cmd_status_problems(const struct kiosk_config *cfg, JsonObject *st, JsonArray *out)
{
    JsonObject *po = json_object_get_object_member(st, "policy");
    JsonObject *so = json_object_get_object_member(st, "signatures");
    JsonObject *sg = json_object_get_object_member(st, "staging");
    JsonObject *pr = json_object_get_object_member(st, "printer");
    if (!json_object_get_boolean_member_with_default(po, "valid", FALSE))
        json_array_add_string_element(out, "the policy file is not valid");
    if (json_object_has_member(so, "error") || json_object_get_null_member(so, "db_version"))
        json_array_add_string_element(out, "no signature database can be read");
    else if (json_object_get_boolean_member_with_default(so, "too_old", FALSE))
        json_array_add_string_element(out, "the signatures are too old");
    if (json_object_has_member(sg, "error"))
        json_array_add_string_element(out, "the staging share cannot be read");
    JsonNode *pbn = json_object_get_member(st, "publication");
    JsonObject *pb = pbn && JSON_NODE_HOLDS_OBJECT(pbn) ? json_node_get_object(pbn) : NULL;
    if (pb) {
        JsonNode *en = json_object_get_member(pb, "entries");
        if (en && JSON_NODE_HOLDS_OBJECT(en) &&
            json_object_get_int_member_with_default(json_node_get_object(en), "failed", 0) > 0)
            json_array_add_string_element(out, "deliveries fail to reach the staging share");
        if (!json_object_get_string_member_with_default(pb, "signing_key_id", NULL))
            json_array_add_string_element(out, "deliveries are not signed");
    }
    /* A printer matters only where receipts are printed. */
    if (((cfg->printer && *cfg->printer) || cfg->auto_print) &&
        !json_object_get_boolean_member_with_default(pr, "ok", FALSE))
        json_array_add_string_element(out, "the printer is not ready");
}

/* The first lines of `kiosk status`: the overall state, the service and the policy. */
static void cmd_status_print_service(const struct kiosk_config *cfg, JsonObject *st)
{
    JsonObject *svc = json_object_get_object_member(st, "service");
    JsonObject *po = json_object_get_object_member(st, "policy");
    const char *state = json_object_get_string_member(st, "state");

    printf("kiosk        %s: %s\n", json_object_get_string_member(st, "version"),
           !strcmp(state, "ready")            ? "READY"
           : !strcmp(state, "degraded")       ? "DEGRADED (see below)"
           : !strcmp(state, "out-of-service") ? "OUT OF SERVICE"
                                              : "SERVICE NOT REACHABLE");
    if (json_object_get_boolean_member(svc, "reachable"))
        printf("service      %s%s%s\n", json_object_get_string_member(svc, "state"),
               json_object_get_string_member_with_default(svc, "version", NULL) ? ", version " : "",
               json_object_get_string_member_with_default(svc, "version", ""));
    else
        printf("service      not reachable on %s\n", cfg->socket);
    if (json_object_has_member(svc, "reason") && !json_object_get_null_member(svc, "reason"))
        printf("             %s\n", json_object_get_string_member(svc, "reason"));
    if (json_object_get_boolean_member(po, "valid"))
        printf("policy       \"%s\" version %" G_GINT64_FORMAT " (%s)\n",
               json_object_get_string_member(po, "name"), json_object_get_int_member(po, "version"),
               cfg->policy);
    else
        printf("policy       INVALID or missing: %s\n", cfg->policy);
}

/* The signature database's version and age, and the verdict cache. */
static void cmd_status_print_signatures(const struct kiosk_config *cfg, JsonObject *st)
{
    JsonObject *so = json_object_get_object_member(st, "signatures");

    if (json_object_has_member(so, "db_version") &&
        !json_object_get_null_member(so, "db_version")) {
        GString *age = g_string_new(NULL);
        if (json_object_get_null_member(so, "age_days"))
            g_string_append(age, "age unknown");
        else
            g_string_append_printf(age, "%" G_GINT64_FORMAT " days old",
                                   json_object_get_int_member(so, "age_days"));
        printf("signatures   %s, built %s, %s (at most %" G_GINT64_FORMAT ")%s\n",
               json_object_get_string_member(so, "db_version"),
               json_object_get_null_member(so, "build_time")
                   ? "at an unknown time"
                   : json_object_get_string_member(so, "build_time"),
               age->str, json_object_get_int_member(so, "max_age_days"),
               json_object_get_boolean_member(so, "too_old") ? "  TOO OLD" : "");
        g_string_free(age, TRUE);
    } else {
        printf("signatures   none readable in %s\n", cfg->signatures);
    }
    JsonObject *vc = json_object_get_object_member(st, "verdict_cache");
    if (!vc || !json_object_get_boolean_member_with_default(vc, "enabled", FALSE))
        printf("cache        off ([scan] cache)\n");
    else if (json_object_has_member(vc, "entries"))
        printf("cache        %" G_GINT64_FORMAT " clean verdicts (at most %" G_GINT64_FORMAT
               "), hit rate %.0f%% of %" G_GINT64_FORMAT " lookups\n",
               json_object_get_int_member(vc, "entries"),
               json_object_get_int_member(vc, "max_entries"),
               100.0 * json_object_get_double_member(vc, "hit_rate"),
               json_object_get_int_member(vc, "lookups"));
    else
        printf("cache        DAMAGED, discarded at the next start: %s\n",
               json_object_get_string_member_with_default(vc, "error", "?"));
}

/* The staging share's free space, the outbox and the signing key. */
static void cmd_status_print_handoff(const struct kiosk_config *cfg, JsonObject *st)
{
    JsonObject *sg = json_object_get_object_member(st, "staging");

    if (json_object_has_member(sg, "free_bytes")) {
        char *f = util_format_bytes((uint64_t)json_object_get_int_member(sg, "free_bytes"));
        printf("staging      %s (%s free in %s)\n", cfg->target, f,
               json_object_get_string_member_with_default(sg, "space_of", "?"));
        g_free(f);
    } else {
        printf("staging      %s: %s\n", cfg->target,
               json_object_get_string_member_with_default(sg, "error", "unreadable"));
    }
    JsonObject *pb = json_object_get_object_member(st, "publication");
    if (!pb)
        return;
    JsonObject *en = json_object_get_object_member(pb, "entries");
    JsonNode *oldn = json_object_get_member(pb, "oldest_pending");
    JsonObject *old = oldn && JSON_NODE_HOLDS_OBJECT(oldn) ? json_node_get_object(oldn) : NULL;
    char *pend = util_format_bytes((uint64_t)json_object_get_int_member(pb, "pending_bytes"));
    printf("outbox       %" G_GINT64_FORMAT " waiting (%s), %" G_GINT64_FORMAT
           " failing, %" G_GINT64_FORMAT " published\n",
           json_object_get_int_member(en, "queued") + json_object_get_int_member(en, "publishing") +
               json_object_get_int_member(en, "failed"),
           pend, json_object_get_int_member(en, "failed"),
           json_object_get_int_member(en, "published"));
    g_free(pend);
    if (old && json_object_get_string_member_with_default(old, "error", NULL))
        printf("             %s: %s\n", json_object_get_string_member(old, "session"),
               json_object_get_string_member(old, "error"));
    const char *kid = json_object_get_string_member_with_default(pb, "signing_key_id", NULL);
    printf("signing key  %s\n", kid ? kid : "NONE: deliveries are not signed");
}

/* The printer, the administrator's password and the audit log's head. */
static void cmd_status_print_admin(JsonObject *st)
{
    JsonObject *pr = json_object_get_object_member(st, "printer");
    JsonObject *ad = json_object_get_object_member(st, "admin");
    const char *queue = json_object_get_string_member_with_default(pr, "queue", NULL);
    const char *ptext = json_object_get_string_member_with_default(pr, "text", "?");

    if (json_object_get_boolean_member_with_default(pr, "ok", FALSE))
        printf("printer      %s (%s)\n", queue, ptext);
    else
        printf("printer      %s%sNOT READY: %s\n", queue ? queue : "", queue ? " " : "", ptext);
    printf("admin        password %s%s\n",
           json_object_get_boolean_member_with_default(ad, "password_set", FALSE) ? "set"
                                                                                  : "NOT SET",
           json_object_get_boolean_member_with_default(ad, "locked", FALSE) ? ", LOCKED" : "");
    JsonObject *au = json_object_get_object_member(st, "audit");
    if (au && json_object_has_member(au, "head_seq"))
        printf("audit log    head record %" G_GINT64_FORMAT " sha256 %s%s\n",
               json_object_get_int_member(au, "head_seq"),
               json_object_get_string_member(au, "head_sha256"),
               json_object_has_member(au, "saved_seq") ? "" : " (no saved head)");
    else if (au)
        printf("audit log    unreadable: %s\n", json_object_get_string_member(au, "log"));
    if (au && json_object_has_member(au, "saved_seq"))
        printf("             saved at the last session end: record %" G_GINT64_FORMAT
               " sha256 %s\n",
               json_object_get_int_member(au, "saved_seq"),
               json_object_get_string_member(au, "saved_sha256"));
}

/* The last sessions, one line each, then the problems the status found. */
static void cmd_status_print_sessions(JsonObject *st)
{
    JsonArray *ls = json_object_get_array_member(st, "last_sessions");
    printf("last sessions%s\n", json_array_get_length(ls) ? "" : ": none recorded");
    for (guint i = 0; i < json_array_get_length(ls); i++) {
        JsonObject *s = json_array_get_object_element(ls, i);
        printf("  %s  %-9s %" G_GINT64_FORMAT " files, %" G_GINT64_FORMAT " delivered  %s\n",
               json_object_get_string_member_with_default(s, "time", "?"),
               json_object_get_string_member_with_default(s, "status", "?"),
               json_object_get_int_member_with_default(s, "files", 0),
               json_object_get_int_member_with_default(s, "delivered", 0),
               json_object_get_string_member_with_default(s, "session", "?"));
    }
    JsonArray *probs = json_object_get_array_member(st, "problems");
    for (guint i = 0; i < json_array_get_length(probs); i++)
        printf("%s %s\n", i ? "            " : "problems    ",
               json_array_get_string_element(probs, i));
}

/* `kiosk status` for a person: one line per part, in the order an operator checks them. */
static void cmd_status_print(const struct kiosk_config *cfg, JsonObject *st)
{
    cmd_status_print_service(cfg, st);
    cmd_status_print_signatures(cfg, st);
    cmd_status_print_handoff(cfg, st);
    cmd_status_print_admin(st);
    cmd_status_print_sessions(st);
}

/* Exit status: 0 ready, 1 degraded or out of service, 2 service unreachable (or usage). */
int cmd_status(int argc, char **argv)
{
    struct cmd_admin_opts o = {0};
    char *why = NULL;
    int rc = cmd_admin_parse(argc, argv, "kiosk status", "",
                             "The service's state, the signatures' age, the policy, the staging "
                             "share, the\nprinter, the administrator password and the last "
                             "sessions.\nExit status: 0 ready, 1 degraded or out of service, 2 "
                             "service not reachable.",
                             CMD_ADMIN_JSON, 0, 0, &o);
    if (rc >= 0) {
        config_free(o.cfg);
        return rc == 1 ? 2 : rc; /* no settings: nothing is known of the service */
    }
    JsonObject *st = admin_status_json(o.cfg, 5);
    JsonObject *svc = json_object_new();
    JsonObject *r = cmd_admin_ask(o.cfg->socket, "{\"cmd\":\"status\"}", "status", NULL, &why);
    json_object_set_string_member(svc, "socket", o.cfg->socket);
    json_object_set_boolean_member(svc, "reachable", r != NULL);
    const char *state = "unreachable";
    if (r) {
        const char *s = json_object_get_string_member_with_default(r, "state", NULL);
        if (s)
            json_object_set_string_member(svc, "state", s);
        else
            json_object_set_null_member(svc, "state");
        if (json_object_has_member(r, "reason"))
            json_object_set_member(svc, "reason",
                                   json_node_copy(json_object_get_member(r, "reason")));
        /* the same as a code (docs/protocol.md "Reason codes") */
        for (const char *const *k = (const char *const[]){"reason_code", "reason_params", NULL}; *k;
             k++)
            if (json_object_has_member(r, *k))
                json_object_set_member(svc, *k, json_node_copy(json_object_get_member(r, *k)));
        if (json_object_has_member(r, "kiosk_version"))
            json_object_set_member(svc, "version",
                                   json_node_copy(json_object_get_member(r, "kiosk_version")));
        else
            json_object_set_null_member(svc, "version");
        json_object_set_null_member(svc, "error");
        state = !g_strcmp0(s, "out-of-service") ? "out-of-service" : "ready";
        json_object_unref(r);
    } else {
        json_object_set_null_member(svc, "state");
        json_object_set_null_member(svc, "version");
        json_object_set_string_member(svc, "error", why);
    }
    json_object_set_object_member(st, "service", svc);
    JsonArray *problems = json_array_new();
    cmd_status_problems(o.cfg, st, problems);
    if (!strcmp(state, "ready") && json_array_get_length(problems) > 0)
        state = "degraded";
    json_object_set_string_member(st, "version", version_string());
    json_object_set_string_member(st, "state", state);
    json_object_set_array_member(st, "problems", problems);
    if (o.cli.json)
        cmd_admin_print_json(st);
    else
        cmd_status_print(o.cfg, st);
    rc = !strcmp(state, "ready") ? 0 : !strcmp(state, "unreachable") ? 2 : 1;
    json_object_unref(st);
    config_free(o.cfg);
    g_free(why);
    return fflush(stdout) == 0 ? rc : 1;
}

/* ---- kiosk admin ---------------------------------------------------------------------------- */

/* One line from the terminal without echo, or from stdin (--stdin).  NULL at EOF. */
static char *cmd_admin_read_password(const char *prompt, bool use_stdin)
{
    char buf[ADMIN_PASSWORD_MAX + 2];
    struct termios old, quiet;
    bool tty = !use_stdin && isatty(STDIN_FILENO);
    if (!use_stdin && !tty) {
        fprintf(stderr, "kiosk: no terminal: use --stdin to read the password from standard "
                        "input\n");
        return NULL;
    }
    if (tty) {
        fputs(prompt, stderr);
        fflush(stderr);
        tcgetattr(STDIN_FILENO, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *r = fgets(buf, sizeof(buf), stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (!r)
        return NULL;
    buf[strcspn(buf, "\r\n")] = '\0';
    char *pw = g_strdup(buf);
    sodium_memzero(buf, sizeof(buf));
    return pw;
}

static void cmd_admin_free_password(char *pw)
{
    if (pw) {
        sodium_memzero(pw, strlen(pw));
        g_free(pw);
    }
}

static int cmd_admin_set_password(struct cmd_admin_opts *o)
{
    char *pw = NULL, *again = NULL, *why = NULL;
    int rc = 1;
    struct audit *a = NULL;
    pw = cmd_admin_read_password("New administrator password: ", o->use_stdin);
    if (!pw)
        goto out;
    if (admin_password_check(pw, &why) != 0) {
        fprintf(stderr, "kiosk: %s\n", why);
        goto out;
    }
    again = cmd_admin_read_password("Repeat the password: ", o->use_stdin);
    if (!again || strcmp(pw, again) != 0) {
        fprintf(stderr, "kiosk: the two passwords differ; nothing was changed\n");
        goto out;
    }
    if (!(a = cmd_admin_audit(o)))
        goto out;
    if (admin_set_password(o->cfg->admin_state, pw, a, "console", &why) != 0) {
        fprintf(stderr, "kiosk: %s\n", why);
        goto out;
    }
    printf("The administrator password is set (%s).\n", o->cfg->admin_state);
    rc = 0;
out:
    audit_close(a);
    cmd_admin_free_password(pw);
    cmd_admin_free_password(again);
    g_free(why);
    return rc;
}

static int cmd_admin_login_test(struct cmd_admin_opts *o)
{
    char *why = NULL, *msg = NULL;
    struct admin_login_result res;
    int rc = 1;
    struct audit *a = cmd_admin_audit(o);
    char *pw = a ? cmd_admin_read_password("Administrator password: ", o->use_stdin) : NULL;
    if (!pw)
        goto out;
    if (admin_login(o->cfg->admin_state, o->cfg->admin_lockout_seconds, pw, a, "console", &res,
                    &why) != 0) {
        fprintf(stderr, "kiosk: %s\n", why);
        goto out;
    }
    msg = admin_login_message(&res);
    printf("%s\n", msg);
    rc = res.ok ? 0 : 1;
out:
    audit_close(a);
    cmd_admin_free_password(pw);
    g_free(msg);
    g_free(why);
    return rc;
}

/* Copy the audit log (and its verification), the saved reports and a status snapshot to
 * DIR/kiosk-export-TIME (bundle.h). */
static int cmd_admin_export(struct cmd_admin_opts *o)
{
    char *dest = NULL, *why = NULL;
    JsonObject *s = NULL;
    if (bundle_export_dir(o->cfg, o->args[0], &dest, &s, &why) != 0) {
        fprintf(stderr, "kiosk: export: %s\n", why);
        g_free(why);
        return 1;
    }
    printf("audit log: %" G_GINT64_FORMAT " records, %s\n",
           json_object_get_int_member(s, "audit_records"),
           json_object_get_boolean_member(s, "audit_ok") ? "chain intact" : "CHAIN BROKEN");
    printf("reports: %" G_GINT64_FORMAT "\n", json_object_get_int_member(s, "reports"));
    printf("Exported to %s (%" G_GINT64_FORMAT " files, SHA256SUMS inside)\n", dest,
           json_object_get_int_member(s, "files"));
    json_object_unref(s);
    g_free(dest);
    return 0;
}

/* The same as the screen's "Export to USB stick": erase DEVICE, write the export to it. */
static int cmd_admin_export_stick(struct cmd_admin_opts *o)
{
    char *why = NULL;
    JsonObject *s = NULL;
    struct audit *a = cmd_admin_audit(o);
    if (!a)
        return 1;
    int rc = bundle_export_device(o->cfg, o->args[0], a, &s, &why);
    audit_close(a);
    if (o->cli.json) {
        s = cmd_admin_json_result(s, rc == 0, why);
        cmd_admin_print_json(s);
        o->cli.failed = rc != 0;
    }
    if (rc != 0)
        fprintf(stderr, "kiosk admin export-stick: export to %s: %s\n", o->args[0], why);
    else if (!o->cli.json)
        printf("Exported %s to %s: %" G_GINT64_FORMAT " files, read back and verified\n",
               json_object_get_string_member(s, "folder"), o->args[0],
               json_object_get_int_member(s, "files"));
    json_object_unref(s);
    g_free(why);
    return rc == 0 ? 0 : 1;
}

/* The same as the screen's "Update from USB stick", on SOURCE (device, image or folder). */
static int cmd_admin_apply(struct cmd_admin_opts *o)
{
    char *why = NULL;
    JsonObject *res = NULL;
    struct audit *a = cmd_admin_audit(o);
    if (!a)
        return 1;
    struct policy *pol = NULL;
    policy_load(o->cfg->policy, &pol, NULL); /* NULL: bundle_apply uses safe defaults */
    int rc = bundle_apply(o->args[0], o->cfg, pol, a, NULL, &res, &why);
    audit_close(a);
    if (o->cli.json) {
        res = cmd_admin_json_result(res, rc == 0, why);
        cmd_admin_print_json(res);
        o->cli.failed = rc != 0;
    } else {
        JsonArray *items = json_object_get_array_member(res, "items");
        for (guint i = 0; items && i < json_array_get_length(items); i++) {
            JsonObject *it = json_array_get_object_element(items, i);
            printf("%-8s %s: %s\n", json_object_get_boolean_member(it, "ok") ? "ok" : "REFUSED",
                   json_object_get_string_member(it, "item"),
                   json_object_get_string_member(it, "message"));
        }
    }
    if (rc != 0)
        fprintf(stderr, "kiosk admin apply: update from %s: %s\n", o->args[0], why);
    else if (!o->no_reload && !o->cli.json)
        cmd_admin_reload(o->cfg);
    json_object_unref(res);
    policy_free(pol);
    g_free(why);
    return rc == 0 ? 0 : 1;
}

static const struct cmd_admin_sub {
    const char *name, *params, *summary;
    unsigned extra;
    int nargs;
    int (*run)(struct cmd_admin_opts *o);
} cmd_admin_table[] = {
    {"set-password", "",
     "Set the screen's administrator password (12+ characters: upper and "
     "lower case,\ndigits and symbols; stored as an Argon2id hash).",
     CMD_ADMIN_STDIN, 0, cmd_admin_set_password},
    {"login-test", "", "Try the administrator password (counts as a login: failures lock).",
     CMD_ADMIN_STDIN, 0, cmd_admin_login_test},
    {"export", "DIR",
     "Copy the audit log (and its verification), the saved reports and a "
     "status\nsnapshot to DIR/kiosk-export-TIME.",
     0, 1, cmd_admin_export},
    {"export-stick", "DEVICE",
     "ERASE DEVICE (a USB stick, or an image file) and write the "
     "export to it, then\nread it back.",
     CMD_ADMIN_JSON, 1, cmd_admin_export_stick},
    {"apply", "SOURCE",
     "Apply a signed update bundle from SOURCE (a stick, an image or a "
     "folder holding\nkiosk-update/; docs/admin.md section 7).",
     CMD_ADMIN_JSON | CMD_ADMIN_NO_RELOAD, 1, cmd_admin_apply},
};

static int cmd_admin_run(const struct cmd_admin_sub *t, int argc, char **argv)
{
    struct cmd_admin_opts o = {0};
    char *cmd = g_strconcat("kiosk admin ", t->name, NULL);
    int rc =
        cmd_admin_parse(argc, argv, cmd, t->params, t->summary, t->extra, t->nargs, t->nargs, &o);
    if (rc < 0)
        rc = t->run(&o);
    config_free(o.cfg);
    g_free(cmd);
    return rc;
}

#define CMD_ADMIN_RUNNER(i)                                                                        \
    static int cmd_admin_run_##i(int argc, char **argv)                                            \
    {                                                                                              \
        return cmd_admin_run(&cmd_admin_table[i], argc, argv);                                     \
    }
CMD_ADMIN_RUNNER(0)
CMD_ADMIN_RUNNER(1)
CMD_ADMIN_RUNNER(2)
CMD_ADMIN_RUNNER(3)
CMD_ADMIN_RUNNER(4)

int cmd_admin(int argc, char **argv)
{
    const struct cli_sub subs[] = {
        {cmd_admin_table[0].name, cmd_admin_run_0, "set the screen's administrator password"},
        {cmd_admin_table[1].name, cmd_admin_run_1, "try the password (counts as a login)"},
        {cmd_admin_table[2].name, cmd_admin_run_2, "audit log + reports to a folder"},
        {cmd_admin_table[3].name, cmd_admin_run_3, "ERASE a stick, write the export to it"},
        {cmd_admin_table[4].name, cmd_admin_run_4, "apply a signed update bundle"},
    };
    G_STATIC_ASSERT(G_N_ELEMENTS(cmd_admin_table) == 5);
    return cli_dispatch("kiosk admin", subs, G_N_ELEMENTS(subs), argc, argv);
}

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
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"
#include "kiosk/admin.h"
#include "kiosk/audit.h"
#include "kiosk/bundle.h"
#include "kiosk/cmd.h"
#include "kiosk/config.h"
#include "kiosk/policy-install.h"
#include "kiosk/sigdb.h"
#include "policy/policy.h"

#include <errno.h>
#include <getopt.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

struct cmd_admin_opts {
    struct kiosk_config *cfg;
    bool use_stdin;
    bool json;
    bool no_reload;
    char **args; /* what remains after the options */
    int nargs;
};

static const char cmd_admin_common_usage[] =
    "options: [--config FILE] [--policy FILE] [--signatures DIR] [--staging DIR]\n"
    "         [--audit-log FILE] [--socket PATH] [--admin-keys DIR] [--admin-state FILE]\n"
    "         [--work-dir DIR]\n";

/* Parse the options every admin command shares; fills o (o->cfg owned by the caller). */
static int cmd_admin_parse(int argc, char **argv, struct cmd_admin_opts *o)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},   {"policy", required_argument, NULL, 'p'},
        {"signatures", required_argument, NULL, 'd'},
        {"staging", required_argument, NULL, 's'},  {"audit-log", required_argument, NULL, 'a'},
        {"socket", required_argument, NULL, 'S'},   {"admin-keys", required_argument, NULL, 'k'},
        {"admin-state", required_argument, NULL, 'A'},
        {"work-dir", required_argument, NULL, 'W'},
        {"stdin", no_argument, NULL, 'i'},          {"json", no_argument, NULL, 'j'},
        {"no-reload", no_argument, NULL, 'n'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    const char *ov[8] = {0};
    char *why = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'p': ov[0] = optarg; break;
        case 'd': ov[1] = optarg; break;
        case 's': ov[2] = optarg; break;
        case 'a': ov[3] = optarg; break;
        case 'S': ov[4] = optarg; break;
        case 'k': ov[5] = optarg; break;
        case 'A': ov[6] = optarg; break;
        case 'W': ov[7] = optarg; break;
        case 'i': o->use_stdin = true; break;
        case 'j': o->json = true; break;
        case 'n': o->no_reload = true; break;
        case 'h': return 1;
        default: return 2;
        }
    }
    if (config_load(config, &o->cfg, &why) != 0) {
        fprintf(stderr, "kiosk: %s\n", why);
        g_free(why);
        return 3;
    }
    char **fields[] = {&o->cfg->policy,    &o->cfg->signatures, &o->cfg->staging,
                       &o->cfg->audit_log, &o->cfg->socket,     &o->cfg->admin_keys,
                       &o->cfg->admin_state, &o->cfg->work_dir};
    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++)
        if (ov[i]) {
            g_free(*fields[i]);
            *fields[i] = g_strdup(ov[i]);
        }
    config_override_staging_dir(o->cfg, ov[2]); /* --staging DIR: the target dir:DIR */
    o->args = argv + optind;
    o->nargs = argc - optind;
    return 0;
}

static struct audit *cmd_admin_audit(const struct kiosk_config *cfg)
{
    struct audit *a = NULL;
    if (audit_open(cfg->audit_log, &a) != 0) {
        fprintf(stderr, "kiosk: the audit log %s cannot be written: %s\n", cfg->audit_log,
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
            JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
            if (o && !g_strcmp0(json_object_get_string_member_with_default(o, "type", ""),
                                want_type) &&
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
    int rc = cmd_admin_parse(argc, argv, &o);
    if (rc != 0 || o.nargs != 2) {
        fprintf(rc == 1 ? stdout : stderr,
                "usage: kiosk policy install [OPTIONS] [--no-reload] FILE SIGFILE\n"
                "Install FILE, signed with 'minisign -Sm FILE' (SIGFILE = FILE.minisig) by a key\n"
                "in the trusted folder (--admin-keys), as the kiosk's policy.\n%s",
                cmd_admin_common_usage);
        config_free(o.cfg);
        return rc == 1 ? 0 : 2;
    }
    struct audit *a = cmd_admin_audit(o.cfg);
    rc = 1;
    if (!a)
        goto out;
    if (policy_install(o.cfg->policy, o.cfg->admin_keys, o.cfg->admin_state, o.args[0],
                       o.args[1], a, &res, &why) != 0) {
        fprintf(stderr, "kiosk: policy REFUSED (%s): %s\n", res.code, why);
        for (guint i = 0; res.problems && i < res.problems->len; i++)
            fprintf(stderr, "  %s\n", (const char *)g_ptr_array_index(res.problems, i));
        goto out;
    }
    printf("Policy \"%s\" version %" G_GUINT64_FORMAT " installed as %s (was version %"
           G_GUINT64_FORMAT "); signed by key %s; SHA-256 %s\n",
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

int cmd_signatures(int argc, char **argv)
{
    struct cmd_admin_opts o = {0};
    struct policy *pol = NULL;
    char *why = NULL;
    int rc = argc >= 2 && !strcmp(argv[1], "install") ? cmd_admin_parse(argc - 1, argv + 1, &o)
                                                      : 2;
    if (rc != 0 || o.nargs < 1) {
        fprintf(rc == 1 ? stdout : stderr,
                "usage: kiosk signatures install [OPTIONS] [--no-reload] FILE...\n"
                "Check each ClamAV database (.cvd/.cld: ClamAV's signature, not older than the\n"
                "installed one; all: they load and compile with the installed ones), then\n"
                "replace them in the signatures folder.\n%s",
                cmd_admin_common_usage);
        config_free(o.cfg);
        return rc == 1 ? 0 : 2;
    }
    struct audit *a = cmd_admin_audit(o.cfg);
    rc = 1;
    if (!a)
        goto out;
    if (policy_load(o.cfg->policy, &pol, NULL) != 0)
        fprintf(stderr, "kiosk: the policy %s is not valid; testing the databases with default "
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

/* ---- kiosk status ------------------------------------------------------------------------- */

int cmd_status(int argc, char **argv)
{
    struct cmd_admin_opts o = {0};
    char *why = NULL;
    int rc = cmd_admin_parse(argc, argv, &o);
    if (rc != 0 || o.nargs != 0) {
        fprintf(rc == 1 ? stdout : stderr, "usage: kiosk status [OPTIONS] [--json]\n%s",
                cmd_admin_common_usage);
        config_free(o.cfg);
        return rc == 1 ? 0 : 2;
    }
    JsonObject *st = admin_status_json(o.cfg, 5);
    JsonObject *svc = json_object_new();
    JsonObject *r = cmd_admin_ask(o.cfg->socket, "{\"cmd\":\"status\"}", "status", NULL, &why);
    json_object_set_string_member(svc, "socket", o.cfg->socket);
    json_object_set_boolean_member(svc, "reachable", r != NULL);
    if (r) {
        json_object_set_string_member(svc, "state",
                                      json_object_get_string_member_with_default(r, "state", "?"));
        if (json_object_has_member(r, "reason"))
            json_object_set_string_member(svc, "reason",
                                          json_object_get_string_member(r, "reason"));
        json_object_unref(r);
    } else {
        json_object_set_string_member(svc, "error", why);
    }
    json_object_set_object_member(st, "service", svc);
    if (o.json) {
        JsonNode *n = json_node_new(JSON_NODE_OBJECT);
        json_node_set_object(n, st);
        char *text = util_json_text(n, true, NULL);
        printf("%s\n", text);
        g_free(text);
        json_node_unref(n);
    } else {
        JsonObject *po = json_object_get_object_member(st, "policy");
        JsonObject *so = json_object_get_object_member(st, "signatures");
        JsonObject *sg = json_object_get_object_member(st, "staging");
        JsonObject *ad = json_object_get_object_member(st, "admin");
        printf("service      %s\n", json_object_get_boolean_member(svc, "reachable")
                                        ? json_object_get_string_member(svc, "state")
                                        : "NOT RUNNING (not reachable)");
        if (json_object_has_member(svc, "reason"))
            printf("             %s\n", json_object_get_string_member(svc, "reason"));
        if (json_object_get_boolean_member(po, "valid"))
            printf("policy       \"%s\" version %" G_GINT64_FORMAT " (%s)\n",
                   json_object_get_string_member(po, "name"),
                   json_object_get_int_member(po, "version"), o.cfg->policy);
        else
            printf("policy       INVALID or missing: %s\n", o.cfg->policy);
        if (json_object_has_member(so, "db_version")) {
            gint64 age = json_object_get_int_member(so, "age_days");
            printf("signatures   %s, built %s, %s%" G_GINT64_FORMAT " days old (at most %"
                   G_GINT64_FORMAT ")%s\n",
                   json_object_get_string_member(so, "db_version"),
                   json_object_get_string_member_with_default(so, "build_time", "?"),
                   age < 0 ? "? " : "", age, json_object_get_int_member(so, "max_age_days"),
                   json_object_get_boolean_member(so, "too_old") ? "  TOO OLD" : "");
        } else {
            printf("signatures   unreadable: %s\n", o.cfg->signatures);
        }
        if (json_object_has_member(sg, "free_bytes")) {
            char *f = util_format_bytes((uint64_t)json_object_get_int_member(sg, "free_bytes"));
            printf("staging      %s (%s free in %s)\n", o.cfg->target, f,
                   json_object_get_string_member_with_default(sg, "space_of", "?"));
            g_free(f);
        } else {
            printf("staging      %s: %s\n", o.cfg->target,
                   json_object_get_string_member_with_default(sg, "error", "unreadable"));
        }
        JsonObject *pb = json_object_get_object_member(st, "publication");
        if (pb) {
            JsonObject *en = json_object_get_object_member(pb, "entries");
            JsonObject *old = json_object_get_member(pb, "oldest_pending") &&
                                      JSON_NODE_HOLDS_OBJECT(json_object_get_member(pb, "oldest_pending"))
                                  ? json_object_get_object_member(pb, "oldest_pending")
                                  : NULL;
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
        JsonObject *pr = json_object_get_object_member(st, "printer");
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
        if (json_object_has_member(au, "head_seq"))
            printf("audit log    head record %" G_GINT64_FORMAT " sha256 %s%s\n",
                   json_object_get_int_member(au, "head_seq"),
                   json_object_get_string_member(au, "head_sha256"),
                   json_object_has_member(au, "saved_seq") ? "" : " (no saved head)");
        else
            printf("audit log    unreadable: %s\n", json_object_get_string_member(au, "log"));
        if (json_object_has_member(au, "saved_seq"))
            printf("             saved at the last session end: record %" G_GINT64_FORMAT
                   " sha256 %s\n",
                   json_object_get_int_member(au, "saved_seq"),
                   json_object_get_string_member(au, "saved_sha256"));
        JsonArray *ls = json_object_get_array_member(st, "last_sessions");
        printf("last sessions%s\n", json_array_get_length(ls) ? "" : " none");
        for (guint i = 0; i < json_array_get_length(ls); i++) {
            JsonObject *s = json_array_get_object_element(ls, i);
            printf("  %s  %-9s %" G_GINT64_FORMAT " files, %" G_GINT64_FORMAT " delivered  %s\n",
                   json_object_get_string_member_with_default(s, "time", "?"),
                   json_object_get_string_member_with_default(s, "status", "?"),
                   json_object_get_int_member_with_default(s, "files", 0),
                   json_object_get_int_member_with_default(s, "delivered", 0),
                   json_object_get_string_member_with_default(s, "session", "?"));
        }
    }
    json_object_unref(st);
    config_free(o.cfg);
    g_free(why);
    return 0;
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
    if (!(a = cmd_admin_audit(o->cfg)))
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
    struct audit *a = cmd_admin_audit(o->cfg);
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

static void cmd_admin_print_json(JsonObject *o)
{
    JsonNode *n = json_node_init_object(json_node_alloc(), o);
    char *text = util_json_text(n, true, NULL);
    printf("%s\n", text);
    g_free(text);
    json_node_unref(n);
}

/* The same as the screen's "Export to USB stick": erase DEVICE, write the export to it. */
static int cmd_admin_export_stick(struct cmd_admin_opts *o)
{
    char *why = NULL;
    JsonObject *s = NULL;
    struct audit *a = cmd_admin_audit(o->cfg);
    if (!a)
        return 1;
    int rc = bundle_export_device(o->cfg, o->args[0], a, &s, &why);
    audit_close(a);
    if (o->json)
        cmd_admin_print_json(s);
    if (rc != 0)
        fprintf(stderr, "kiosk: export to %s: %s\n", o->args[0], why);
    else if (!o->json)
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
    struct audit *a = cmd_admin_audit(o->cfg);
    if (!a)
        return 1;
    struct policy *pol = NULL;
    policy_load(o->cfg->policy, &pol, NULL); /* NULL: bundle_apply uses safe defaults */
    int rc = bundle_apply(o->args[0], o->cfg, pol, a, NULL, &res, &why);
    audit_close(a);
    if (o->json) {
        cmd_admin_print_json(res);
    } else {
        JsonArray *items = json_object_get_array_member(res, "items");
        for (guint i = 0; items && i < json_array_get_length(items); i++) {
            JsonObject *it = json_array_get_object_element(items, i);
            printf("%-8s %s: %s\n",
                   json_object_get_boolean_member(it, "ok") ? "ok" : "REFUSED",
                   json_object_get_string_member(it, "item"),
                   json_object_get_string_member(it, "message"));
        }
    }
    if (rc != 0)
        fprintf(stderr, "kiosk: update from %s: %s\n", o->args[0], why);
    else if (!o->no_reload && !o->json)
        cmd_admin_reload(o->cfg);
    json_object_unref(res);
    policy_free(pol);
    g_free(why);
    return rc == 0 ? 0 : 1;
}

int cmd_admin(int argc, char **argv)
{
    static const struct {
        const char *name;
        int nargs;
        int (*run)(struct cmd_admin_opts *o);
    } table[] = {
        {"set-password", 0, cmd_admin_set_password},
        {"login-test", 0, cmd_admin_login_test},
        {"export", 1, cmd_admin_export},
        {"export-stick", 1, cmd_admin_export_stick},
        {"apply", 1, cmd_admin_apply},
    };
    for (size_t i = 0; argc >= 2 && i < G_N_ELEMENTS(table); i++) {
        if (strcmp(argv[1], table[i].name) != 0)
            continue;
        struct cmd_admin_opts o = {0};
        int rc = cmd_admin_parse(argc - 1, argv + 1, &o);
        if (rc == 0 && o.nargs == table[i].nargs)
            rc = table[i].run(&o);
        else if (rc != 3)
            rc = 2;
        else
            rc = 1;
        config_free(o.cfg);
        if (rc != 2)
            return rc;
        break;
    }
    fprintf(stderr,
            "usage: kiosk admin set-password [--stdin] [OPTIONS]   set the screen's password\n"
            "       kiosk admin login-test [--stdin] [OPTIONS]     try it (counts as a login)\n"
            "       kiosk admin export [OPTIONS] DIR               audit log + reports to DIR\n"
            "       kiosk admin export-stick [OPTIONS] DEVICE      ERASE DEVICE, write the export\n"
            "       kiosk admin apply [OPTIONS] SOURCE             signed update bundle (stick,\n"
            "                                                      image or folder)\n%s",
            cmd_admin_common_usage);
    return 2;
}

/* cmd-staging.c - `kiosk staging`: the outbox and the staging share from the console
 * (docs/handoff.md).
 *
 *   kiosk staging list [--json]        every outbox entry and its publication state
 *   kiosk staging retry [SESSION]      publish what waits now (through the service when it
 *                                      runs, else here), up to SESSION
 *   kiosk staging check [--write-dropin]   reach the target, write and remove a probe;
 *                                      for an SMB target, the systemd drop-in it needs
 *   kiosk staging prune [--dry-run]    apply [staging] keep-days now */
#include "common/json.h"
#include "common/kerr.h"
#include "common/log.h"
#include "common/util.h"
#include "kiosk/audit.h"
#include "kiosk/cli.h"
#include "kiosk/cmd.h"
#include "kiosk/config.h"
#include "handoff/handoff.h"
#include "handoff/outbox.h"
#include "handoff/publish.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define CMD_STAGING_DROPIN_DIR "/etc/systemd/system/kiosk.service.d"
#define CMD_STAGING_DROPIN CMD_STAGING_DROPIN_DIR "/50-publish.conf"

struct cmd_staging_opts {
    struct cli cli;
    struct kiosk_config *cfg;
    gboolean json, dry_run, write_dropin;
    char **args;
    int nargs;
};

/* Returns -1 go on, else the exit status. */
static int cmd_staging_parse(int argc, char **argv, const char *cmd, const char *params,
                             const char *summary, int max_args, struct cmd_staging_opts *o)
{
    const char *config = NULL, *target = NULL, *staging = NULL, *work = NULL, *audit = NULL,
               *sock = NULL, *key = NULL;
    const GOptionEntry opts[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Settings file", "FILE"},
        {"target", 0, 0, G_OPTION_ARG_STRING, &target,
         "Where deliveries go: dir:PATH or smb://HOST[:PORT]/SHARE/PATH", "SPEC"},
        {"staging", 0, 0, G_OPTION_ARG_FILENAME, &staging, "Staging share (a local target)",
         "DIR"},
        {"work-dir", 0, 0, G_OPTION_ARG_FILENAME, &work, "Private work area (the outbox)", "DIR"},
        {"audit-log", 0, 0, G_OPTION_ARG_FILENAME, &audit, "Audit log", "FILE"},
        {"socket", 0, 0, G_OPTION_ARG_FILENAME, &sock, "The service's socket", "PATH"},
        {"signing-key", 0, 0, G_OPTION_ARG_FILENAME, &key, "Delivery signing key", "FILE"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &o->json, "Print JSON", NULL},
        {"dry-run", 0, 0, G_OPTION_ARG_NONE, &o->dry_run, "prune: only say what would go",
         NULL},
        {"write-dropin", 0, 0, G_OPTION_ARG_NONE, &o->write_dropin,
         "check: write the systemd drop-in for an smb:// target", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    char *why = NULL;
    o->cli.cmd = cmd;
    int prc = cli_parse(&o->cli, &argc, &argv, params, summary,
                        "Exit status: 0 ok, 1 the action failed (the message says why), 2 usage.\n",
                        opts, NULL, 0, max_args);
    if (prc != 0)
        return cli_parse_exit(prc);
    if (config_load(config, &o->cfg, &why) != 0) {
        cli_fail(&o->cli, "%s", why);
        g_free(why);
        return 1;
    }
    config_override_staging_dir(o->cfg, staging);
    config_override(&o->cfg->target, target);
    config_override(&o->cfg->work_dir, work);
    config_override(&o->cfg->audit_log, audit);
    config_override(&o->cfg->socket, sock);
    config_override(&o->cfg->signing_key, key);
    o->args = argv + 1;
    o->nargs = argc - 1;
    return -1;
}

static JsonObject *cmd_staging_entry_json(const struct outbox_entry *e)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "session", e->session);
    json_object_set_string_member(o, "state", outbox_state_str(e->state));
    json_object_set_int_member(o, "attempts", e->attempts);
    json_object_set_int_member(o, "files", (gint64)e->files);
    json_object_set_int_member(o, "bytes", (gint64)e->bytes);
    struct {
        const char *key;
        gint64 us;
    } times[] = {{"created", e->created_us}, {"published", e->published_us},
                 {"next_attempt", e->state == OUTBOX_FAILED ? e->next_attempt_us : 0}};
    for (size_t i = 0; i < G_N_ELEMENTS(times); i++) {
        char *t = times[i].us > 0 ? util_time_rfc3339(times[i].us, false) : NULL;
        if (t)
            json_object_set_string_member(o, times[i].key, t);
        else
            json_object_set_null_member(o, times[i].key);
        g_free(t);
    }
    const struct {
        const char *key, *value;
    } strs[] = {{"target", e->target}, {"location", e->location},
                {"manifest_sha256", e->manifest_sha256[0] ? e->manifest_sha256 : NULL},
                {"error", e->error}};
    for (size_t i = 0; i < G_N_ELEMENTS(strs); i++) {
        if (strs[i].value)
            json_object_set_string_member(o, strs[i].key, strs[i].value);
        else
            json_object_set_null_member(o, strs[i].key);
    }
    return o;
}

static void cmd_staging_print_json(JsonNode *n)
{
    char *text = json_text(n, true, NULL);
    printf("%s\n", text);
    g_free(text);
    json_node_unref(n);
}

static int cmd_staging_list(struct cmd_staging_opts *o)
{
    GPtrArray *all = NULL;
    char *why = NULL;
    if (outbox_list(o->cfg->work_dir, &all, &why) != 0) {
        cli_fail(&o->cli, "%s", why);
        g_free(why);
        return 1;
    }
    if (o->json) {
        JsonArray *a = json_array_new();
        for (guint i = 0; i < all->len; i++)
            json_array_add_object_element(a, cmd_staging_entry_json(g_ptr_array_index(all, i)));
        JsonNode *n = json_node_new(JSON_NODE_ARRAY);
        json_node_take_array(n, a);
        cmd_staging_print_json(n);
    } else {
        printf("target: %s\n", o->cfg->target);
        if (all->len == 0)
            printf("The outbox is empty.\n");
        else
            printf("%-26s %-11s %8s %10s  %s\n", "SESSION", "STATE", "ATTEMPTS", "SIZE",
                   "WHERE / WHY");
        for (guint i = 0; i < all->len; i++) {
            const struct outbox_entry *e = g_ptr_array_index(all, i);
            char *size = util_format_bytes(e->bytes);
            printf("%-26s %-11s %8u %10s  %s\n", e->session, outbox_state_str(e->state),
                   e->attempts, size,
                   e->state == OUTBOX_FAILED && e->error ? e->error
                   : e->location                         ? e->location
                                                         : "");
            g_free(size);
        }
    }
    g_ptr_array_free(all, TRUE);
    return 0;
}

static int cmd_staging_retry(struct cmd_staging_opts *o)
{
    const char *up_to = o->nargs > 0 ? o->args[0] : NULL;
    char *why = NULL;
    int rc = 1;
    /* The service publishes when it runs: ask it, so two publishers never race. */
    JsonObject *r = cmd_admin_ask(o->cfg->socket, "{\"cmd\":\"staging-retry\"}", "reply",
                                  "staging-retry", &why);
    if (r) {
        bool ok = json_object_get_boolean_member_with_default(r, "ok", FALSE);
        if (ok)
            printf("The service is publishing what waits now; `kiosk staging list` shows how it "
                   "goes.\n");
        else
            fprintf(stderr, "kiosk: the service refused: %s\n",
                    json_object_get_string_member_with_default(r, "error", "?"));
        json_object_unref(r);
        g_free(why);
        return ok ? 0 : 1;
    }
    g_clear_pointer(&why, g_free);
    struct handoff *h = NULL;
    struct audit *audit = NULL;
    unsigned published = 0, failed = 0;
    if (handoff_open(o->cfg, &h, &why) != 0) {
        cli_fail(&o->cli, "%s", why);
        goto out;
    }
    if (audit_open(o->cfg->audit_log, &audit) != 0) {
        cli_fail(&o->cli, "the audit log %s cannot be written: %s", o->cfg->audit_log,
                g_strerror(errno));
        goto out;
    }
    if (handoff_publish_pending(h, audit, up_to, &published, &failed, &why) != 0) {
        cli_fail(&o->cli, "%s", why);
        goto out;
    }
    printf("%u published, %u failed.\n", published, failed);
    rc = failed ? 1 : 0;
    if (failed)
        cmd_staging_list(o);
out:
    audit_close(audit);
    handoff_free(h);
    g_free(why);
    return rc;
}

/* The addresses of HOST, for IPAddressAllow= (numeric, one per line in OUT). */
static int cmd_staging_resolve(const char *host, GString *out, char **why)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    char bare[256];
    g_strlcpy(bare, host[0] == '[' ? host + 1 : host, sizeof(bare));
    char *br = strchr(bare, ']');
    if (br)
        *br = '\0';
    int e = getaddrinfo(bare, NULL, &hints, &res);
    if (e != 0) {
        *why = g_strdup_printf("cannot resolve %s: %s", bare, gai_strerror(e));
        return -1;
    }
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        char buf[INET6_ADDRSTRLEN];
        const void *addr = a->ai_family == AF_INET
                               ? (const void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr
                               : (const void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
        if (inet_ntop(a->ai_family, addr, buf, sizeof(buf)) && !strstr(out->str, buf))
            g_string_append_printf(out, " %s", buf);
    }
    freeaddrinfo(res);
    return 0;
}

static int cmd_staging_check(struct cmd_staging_opts *o)
{
    struct handoff *h = NULL;
    char *why = NULL;
    struct publish_result res = {0};
    int rc = 1;
    if (handoff_open(o->cfg, &h, &why) != 0) {
        printf("FAILED: %s\n", why);
        goto out;
    }
    printf("target       %s\n", h->target->spec);
    printf("work area    %s\n", o->cfg->work_dir);
    printf("signing key  %s%s%s\n", h->key_id[0] ? h->key_id : "NONE (deliveries are not signed)",
           h->key_created ? " (created now: give " : "", h->key_created ? o->cfg->public_key : "");
    if (h->key_created)
        printf("             to the TOS side)\n");
    struct publish_job job;
    handoff_job(h, "probe", &job);
    job.probe = true;
    publish_run_sync(&job, &res);
    if (!res.ok) {
        printf("FAILED: %s\n", res.error ? res.error : "the probe failed");
        goto out;
    }
    printf("probe        written, read back and removed in %s/.incoming: OK\n",
           h->target->kind == TARGET_DIR ? h->target->path : h->target->spec);
    if (h->target->kind == TARGET_SMB) {
        GString *ips = g_string_new(NULL);
        if (cmd_staging_resolve(h->target->host, ips, &why) != 0) {
            printf("FAILED: %s\n", why);
            g_string_free(ips, TRUE);
            goto out;
        }
        char *dropin = g_strdup_printf(
            "# %s - written by `kiosk staging check --write-dropin`.\n"
            "# The publisher (user kiosk-publish) pushes deliveries to %s:%u; the service\n"
            "# may reach that server and no other (docs/handoff.md).\n"
            "[Service]\n"
            "RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6\n"
            "IPAddressDeny=any\n"
            "IPAddressAllow=%s\n",
            CMD_STAGING_DROPIN, h->target->host,
            h->target->port ? h->target->port : TARGET_SMB_DEFAULT_PORT, ips->str + 1);
        g_string_free(ips, TRUE);
        if (o->write_dropin) {
            GError *err = NULL;
            if (g_mkdir_with_parents(CMD_STAGING_DROPIN_DIR, 0755) != 0 ||
                !g_file_set_contents(CMD_STAGING_DROPIN, dropin, -1, &err)) {
                printf("FAILED: cannot write %s: %s\n", CMD_STAGING_DROPIN,
                       err ? err->message : g_strerror(errno));
                g_clear_error(&err);
                g_free(dropin);
                goto out;
            }
            chmod(CMD_STAGING_DROPIN, 0644);
            printf("drop-in      %s written; run: systemctl daemon-reload && systemctl restart "
                   "kiosk\n",
                   CMD_STAGING_DROPIN);
        } else {
            printf("\nThe service has no network but to this server once this drop-in is in\n"
                   "place (kiosk staging check --write-dropin writes it):\n\n%s",
                   dropin);
        }
        g_free(dropin);
    }
    rc = 0;
out:
    publish_result_clear(&res);
    handoff_free(h);
    g_free(why);
    return rc;
}

static int cmd_staging_prune(struct cmd_staging_opts *o)
{
    struct handoff *h = NULL;
    struct audit *audit = NULL;
    GPtrArray *pruned = g_ptr_array_new_with_free_func(g_free);
    char *why = NULL;
    int rc = 1;
    if (handoff_peek(o->cfg, &h, &why) != 0) {
        cli_fail(&o->cli, "%s", why);
        goto out;
    }
    if (!o->dry_run && audit_open(o->cfg->audit_log, &audit) != 0) {
        cli_fail(&o->cli, "the audit log %s cannot be written: %s", o->cfg->audit_log,
                g_strerror(errno));
        goto out;
    }
    if (o->cfg->keep_days <= 0) {
        printf("[staging] keep-days is 0: published sessions are kept for ever.\n");
        rc = 0;
        goto out;
    }
    if (handoff_prune(h, audit, o->dry_run, pruned, &why) != 0)
        cli_fail(&o->cli, "%s", why);
    else
        rc = 0;
    for (guint i = 0; i < pruned->len; i++)
        printf("%s %s\n", o->dry_run ? "would remove" : "removed",
               (const char *)g_ptr_array_index(pruned, i));
    printf("%u published session%s older than %d days %s.\n", pruned->len,
           pruned->len == 1 ? "" : "s", o->cfg->keep_days, o->dry_run ? "would go" : "removed");
out:
    g_ptr_array_free(pruned, TRUE);
    audit_close(audit);
    handoff_free(h);
    g_free(why);
    return rc;
}

static const struct cmd_staging_sub {
    const char *name;
    int (*run)(struct cmd_staging_opts *o);
    int max_args;
    const char *params, *summary;
} cmd_staging_subs[] = {
    {"list", cmd_staging_list, 0, "",
     "The outbox: each checked session, its publication state, attempts, last error."},
    {"retry", cmd_staging_retry, 1, "[SESSION]",
     "Publish what waits now, in order (up to SESSION), without waiting for the backoff."},
    {"check", cmd_staging_check, 0, "",
     "Reach the target and write, read back and remove a probe file in .incoming/; for an\n"
     "smb:// target also print (or write) the systemd drop-in that lets the service reach\n"
     "that server and no other."},
    {"prune", cmd_staging_prune, 0, "",
     "Remove published sessions older than [staging] keep-days (outbox and local target)."},
};

#define CMD_STAGING_RUNNER(i)                                                                      \
    static int cmd_staging_run_##i(int argc, char **argv)                                          \
    {                                                                                              \
        const struct cmd_staging_sub *t = &cmd_staging_subs[i];                                    \
        struct cmd_staging_opts o = {0};                                                           \
        char *cmd = g_strconcat("kiosk staging ", t->name, NULL);                                  \
        int rc = cmd_staging_parse(argc, argv, cmd, t->params, t->summary, t->max_args, &o);       \
        if (rc < 0)                                                                                \
            rc = t->run(&o);                                                                       \
        config_free(o.cfg);                                                                        \
        g_free(cmd);                                                                               \
        return rc;                                                                                 \
    }
CMD_STAGING_RUNNER(0)
CMD_STAGING_RUNNER(1)
CMD_STAGING_RUNNER(2)
CMD_STAGING_RUNNER(3)

int cmd_staging(int argc, char **argv)
{
    const struct cli_sub subs[] = {
        {"list", cmd_staging_run_0, "the outbox: each checked session, its state, last error"},
        {"retry", cmd_staging_run_1, "publish what waits now (up to SESSION)"},
        {"check", cmd_staging_run_2, "reach the target: write, read back, remove a probe"},
        {"prune", cmd_staging_run_3, "remove published sessions older than [staging] keep-days"},
    };
    G_STATIC_ASSERT(G_N_ELEMENTS(cmd_staging_subs) == 4);
    return cli_dispatch("kiosk staging", subs, G_N_ELEMENTS(subs), argc, argv);
}

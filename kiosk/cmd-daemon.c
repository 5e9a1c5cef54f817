/* cmd-daemon.c - `kiosk daemon`: the hotplug service (daemon.h). */
#include "common/log.h"
#include "kiosk/cli.h"
#include "kiosk/cli-settings.h"
#include "kiosk/cmd.h"
#include "kiosk/config.h"
#include "service/daemon.h"
#include "service/udev.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char cmd_daemon_summary[] =
    "Watch for USB media and check each one (docs/service.md); events for the screen on\n"
    "--socket (docs/protocol.md).  Run by systemd (kiosk.service, Type=notify).";
static const char cmd_daemon_description[] =
    "--accept-loop-devices is the testing/training mode: read-only loop devices (losetup -r\n"
    "IMAGE) count as USB media.  --list-devices prints what the service would do with each\n"
    "block device, and exits.  SIGHUP (systemctl reload kiosk) reloads the policy and the\n"
    "signatures; SIGTERM stops (a running check is cancelled, nothing half-done published).\n";

static void cmd_daemon_list_one(const char *syspath, enum kudev_verdict v,
                                const struct kudev_device *d, const char *why, void *data)
{
    static const char *names[] = {"ignore", "accept", "refuse"};
    (void)data;
    printf("%-7s %s", names[v], syspath);
    if (d)
        printf(" devnode=%s vendor=\"%s\" model=\"%s\" serial=\"%s\" usb_id=%s:%s "
               "size=%" G_GUINT64_FORMAT,
               d->devnode ? d->devnode : "-", d->vendor ? d->vendor : "", d->model ? d->model : "",
               d->serial ? d->serial : "", d->vid ? d->vid : "-", d->pid ? d->pid : "-", d->size);
    if (why)
        printf(" why=\"%s\"", why);
    printf("\n");
}

/* --list-devices: what the service would do with each block device now. */
static void cmd_daemon_list(const struct kiosk_config *cfg)
{
    struct kudev_filter f = {
        .accept_loop = cfg->accept_loop,
        .loop_backing_dir = cfg->loop_backing_dir,
        .allow = cfg->device_allow,
        .deny = cfg->device_deny,
        .max_size = cfg->device_max_size,
    };
    kudev_describe_all(&f, cmd_daemon_list_one, NULL);
}

int cmd_daemon(int argc, char **argv)
{
    /* A long-running service with short-lived threads per session: cap glibc's malloc
     * arenas so memory returned by one session's threads is reused by the next (with one
     * arena per new thread, RSS crept up by megabytes over fifty sessions). */
    mallopt(M_ARENA_MAX, 2);
    struct cli_settings set = {0};
    const char *o_socket = NULL, *o_backing = NULL;
    gboolean accept_loop = FALSE, list = FALSE, debug = FALSE;
    GOptionEntry settings[CLI_SETTINGS_N_ENTRIES];
    cli_settings_entries(&set, settings);
    const GOptionEntry opts[] = {
        {"socket", 0, 0, G_OPTION_ARG_FILENAME, &o_socket, "Event socket", "PATH"},
        {"accept-loop-devices", 0, 0, G_OPTION_ARG_NONE, &accept_loop,
         "Testing mode: read-only loop devices count as USB media", NULL},
        {"loop-backing-dir", 0, 0, G_OPTION_ARG_FILENAME, &o_backing,
         "Testing mode: only loop devices of images below DIR", "DIR"},
        {"list-devices", 0, 0, G_OPTION_ARG_NONE, &list,
         "Print what would be done with each block device, and exit", NULL},
        {"debug", 0, 0, G_OPTION_ARG_NONE, &debug, "Log debug messages too", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    struct cli cl = {.cmd = "kiosk daemon"};
    struct kiosk_config *cfg = NULL;
    char *why = NULL;
    int rc = 2;

    int prc = cli_parse(&cl, &argc, &argv, "", cmd_daemon_summary, cmd_daemon_description, settings,
                        opts, 0, 0);
    if (prc != 0)
        return cli_parse_exit(prc);
    if (cli_settings_load(&set, &cfg, &why) != 0) {
        cli_fail(&cl, "%s", why);
        goto out;
    }
    config_override(&cfg->socket, o_socket);
    config_override(&cfg->loop_backing_dir, o_backing);
    if (accept_loop)
        cfg->accept_loop = true;
    if (list) {
        cmd_daemon_list(cfg);
        rc = 0;
        goto out;
    }
    /* A fixed identifier for the system log (a SIEM's app-name); testing mode is a field
     * of every line (common/log.h). */
    log_init("kiosk", true);
    log_set_testing_mode(cfg->accept_loop);
    if (debug)
        log_set_level(LOG_LEVEL_DEBUG);
    if (geteuid() != 0)
        log_warn("not running as root: media cannot be attached or mounted");
    rc = daemon_run(cfg) == 0 ? 0 : 1;
out:
    config_free(cfg);
    g_free(why);
    return rc;
}

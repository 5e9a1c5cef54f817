/* cmd-daemon.c - `kiosk daemon`: the hotplug service (daemon.h). */
#include "common/log.h"
#include "kiosk/cmd.h"
#include "kiosk/config.h"
#include "kiosk/daemon.h"
#include "kiosk/udev.h"

#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char cmd_daemon_usage[] =
    "usage: kiosk daemon [--config FILE] [--policy FILE] [--target SPEC] [--staging DIR]\n"
    "                    [--work-dir DIR] [--signing-key FILE] [--signatures DIR]\n"
    "                    [--audit-log FILE] [--run-dir DIR] [--socket PATH]\n"
    "                    [--accept-loop-devices] [--loop-backing-dir DIR] [--debug]\n"
    "       kiosk daemon --list-devices [--config FILE] [--accept-loop-devices]\n"
    "Watch for USB media and check each one (see docs/service.md); events for the screen\n"
    "on --socket (docs/protocol.md).  --accept-loop-devices is the testing/training mode:\n"
    "read-only loop devices (losetup -r IMAGE) count as USB media.\n"
    "--list-devices prints what the service would do with each block device, and exits.\n";

static void cmd_daemon_list_one(const char *syspath, enum kudev_verdict v,
                                const struct kudev_device *d, const char *why, void *data)
{
    static const char *names[] = {"ignore", "accept", "refuse"};
    (void)data;
    printf("%-7s %s", names[v], syspath);
    if (d)
        printf(" devnode=%s vendor=\"%s\" model=\"%s\" serial=\"%s\" usb_id=%s:%s size=%" G_GUINT64_FORMAT,
               d->devnode ? d->devnode : "-", d->vendor ? d->vendor : "",
               d->model ? d->model : "", d->serial ? d->serial : "", d->vid ? d->vid : "-",
               d->pid ? d->pid : "-", d->size);
    if (why)
        printf(" why=\"%s\"", why);
    printf("\n");
}

int cmd_daemon(int argc, char **argv)
{
    /* A long-running service with short-lived threads per session: cap glibc's malloc
     * arenas so memory returned by one session's threads is reused by the next (with one
     * arena per new thread, RSS crept up by megabytes over fifty sessions). */
    mallopt(M_ARENA_MAX, 2);
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"policy", required_argument, NULL, 'p'},
        {"staging", required_argument, NULL, 's'},
        {"signatures", required_argument, NULL, 'd'},
        {"audit-log", required_argument, NULL, 'a'},
        {"run-dir", required_argument, NULL, 'r'},
        {"socket", required_argument, NULL, 'S'},
        {"accept-loop-devices", no_argument, NULL, 'L'},
        {"loop-backing-dir", required_argument, NULL, 'B'},
        {"list-devices", no_argument, NULL, 'l'},
        {"debug", no_argument, NULL, 'D'},
        {"target", required_argument, NULL, 'T'},
        {"work-dir", required_argument, NULL, 'W'},
        {"signing-key", required_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL, *o_policy = NULL, *o_staging = NULL, *o_sigs = NULL,
               *o_audit = NULL, *o_run = NULL, *o_socket = NULL, *o_backing = NULL,
               *o_target = NULL, *o_work = NULL, *o_key = NULL;
    bool accept_loop = false, list = false, debug = false;
    struct kiosk_config *cfg = NULL;
    char *why = NULL;
    int c, rc = 2;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config_path = optarg; break;
        case 'p': o_policy = optarg; break;
        case 's': o_staging = optarg; break;
        case 'd': o_sigs = optarg; break;
        case 'a': o_audit = optarg; break;
        case 'r': o_run = optarg; break;
        case 'S': o_socket = optarg; break;
        case 'L': accept_loop = true; break;
        case 'B': o_backing = optarg; break;
        case 'l': list = true; break;
        case 'D': debug = true; break;
        case 'T': o_target = optarg; break;
        case 'W': o_work = optarg; break;
        case 'K': o_key = optarg; break;
        case 'h': fputs(cmd_daemon_usage, stdout); return 0;
        default: fputs(cmd_daemon_usage, stderr); return 2;
        }
    }
    if (optind != argc) {
        fputs(cmd_daemon_usage, stderr);
        return 2;
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
    config_override(&cfg->socket, o_socket);
    config_override(&cfg->loop_backing_dir, o_backing);
    if (accept_loop)
        cfg->accept_loop = true;
    if (list) {
        struct kudev_filter f = {
            .accept_loop = cfg->accept_loop,
            .loop_backing_dir = cfg->loop_backing_dir,
            .allow = cfg->device_allow,
            .deny = cfg->device_deny,
            .max_size = cfg->device_max_size,
        };
        kudev_describe_all(&f, cmd_daemon_list_one, NULL);
        rc = 0;
        goto out;
    }
    /* Every log line says when the kiosk is in testing mode. */
    log_init(cfg->accept_loop ? "kiosk-daemon[TESTING MODE]" : "kiosk-daemon", true);
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

/* cmd.h - the CLI subcommands of kiosk(1).  Each takes argc/argv with argv[0] the
 * subcommand's name and returns the process exit status (0 ok, 1 failure, 2 usage). */
#ifndef KIOSK_CMD_H
#define KIOSK_CMD_H

int cmd_scan(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_daemon(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_print(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_verify_batch(int argc, char **argv);
/* cmd-admin.c (docs/admin.md) */
int cmd_policy_install(int argc, char **argv);
int cmd_signatures(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_admin(int argc, char **argv);
/* cmd-config.c */
int cmd_config(int argc, char **argv);

#endif

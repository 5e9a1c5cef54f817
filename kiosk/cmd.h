/* cmd.h - the CLI subcommands of kiosk(1).  Each takes argc/argv with argv[0] the
 * subcommand's name and returns the process exit status (0 ok, 1 failure, 2 usage). */
#ifndef KIOSK_CMD_H
#define KIOSK_CMD_H

#include <json-glib/json-glib.h>

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
/* cmd-staging.c (docs/handoff.md) */
int cmd_staging(int argc, char **argv);

/* Send CMD (a JSON line) to the service on SOCKET and return the first object whose
 * "type" is WANT_TYPE (and, for "reply", whose "cmd" is WANT_CMD), or NULL (*why) when the
 * service cannot be reached or does not answer within 10 s (cmd-admin.c). */
JsonObject *cmd_admin_ask(const char *socket, const char *cmd, const char *want_type,
                          const char *want_cmd, char **why);

#endif

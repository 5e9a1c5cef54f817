/* config.h - the kiosk's own settings (paths, identity), from /etc/kiosk/kiosk.conf.
 * Command-line path options override the file; the file overrides the defaults. */
#ifndef KIOSK_CONFIG_H
#define KIOSK_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define CONFIG_DEFAULT_PATH "/etc/kiosk/kiosk.conf"

struct kiosk_config {
    char *path;        /* file read, or NULL */
    char *policy;      /* [paths] policy */
    char *staging;     /* [paths] staging */
    char *signatures;  /* [paths] signatures */
    char *audit_log;   /* [paths] audit-log */
    bool audit_log_given;   /* --audit-log on the command line: another log than the kiosk's,
                               whose head is not saved in admin-state (audit.h) */
    char *run_dir;     /* [paths] run-dir */
    char *socket;      /* [paths] socket */
    int workers;       /* [scan] workers, 0 = one per core */
    char *kiosk_name;  /* [kiosk] name */
    char *site;        /* [kiosk] site */
    char *language;    /* [kiosk] language: en | ja */
    bool accept_loop;  /* [kiosk] accept-loop-devices (testing/training mode) */
    char *signing_key; /* [paths] signing-key: sign each MANIFEST.json; "" = unsigned */
    char *public_key;  /* [paths] public-key (verify-batch, status) */
    char *printer;     /* [report] printer: CUPS queue; "" = the CUPS default */
    char *report_language; /* [report] language: ja | en | both */
    char *report_format;   /* [report] print-format: receipt | a4 (kiosk print) */
    char *report_dir;  /* [report] folder for saved reports; "" = STAGING/.reports */
    bool auto_print;   /* [report] auto-print after each session */
    char *loop_backing_dir; /* [kiosk] loop-backing-dir: testing mode accepts only loop
                               devices whose backing file is below this folder (or NULL) */
    char *screen_users;     /* [access] screen-users: who operates (events.h); "" = anyone
                             * who can connect to the socket */
    char *socket_group;     /* [paths] socket-group: group owning the event socket */
    /* [devices]: the device policy of the service (first match wins, deny first) */
    char **device_allow;    /* allow=VID:PID[:SERIAL];... (NULL or empty = any USB storage) */
    char **device_deny;     /* deny=VID:PID[:SERIAL];... ('*' matches any field) */
    uint64_t device_max_size; /* max-size, bytes (0 = no limit) */
    int max_signature_age_days; /* [scan] max-signature-age-days (0 = do not check) */
    bool cache;             /* [scan] cache = on | off: verdict cache across sessions
                               (WORK_DIR/verdict-cache, scanner/verdict-cache.h) */
    int cache_max_entries;  /* [scan] cache-max-entries (least recently used go first) */
    /* administration (admin/admin.h, admin/policy-install.h; docs/admin.md) */
    char *admin_keys;       /* [paths] admin-keys: folder of trusted *.pub keys */
    char *admin_state;      /* [paths] admin-state: password hash + lockout (root only) */
    int admin_lockout_seconds; /* [admin] lockout-seconds after 5 failed logins */
    char *media_reader_user;   /* [media] reader-user: the medium reader runs as this user
                                  (docs/privsep.md); never root */
    /* the hand-off to the TOS side (docs/handoff.md) */
    char *work_dir;         /* [paths] work-dir: private spool, sessions, outbox, reports */
    char *target;           /* [staging] target: "dir:PATH" or "smb://HOST[:PORT]/SHARE/PATH";
                               default "dir:" + [paths] staging */
    char *staging_group;    /* [staging] group: the TOS side's readers of a local target */
    char *credentials;      /* [staging] credentials: root-only file with username=,
                               password=, domain= for an smb:// target */
    uint64_t outbox_max_bytes; /* [staging] outbox-max-bytes: unpublished deliveries beyond
                                  this put the kiosk out of service (0 = no limit) */
    int keep_days;          /* [staging] keep-days: published sessions kept this long in
                               the outbox and a local target (0 = for ever) */
};

#define CONFIG_DEFAULT_WORK_DIR "/var/lib/kiosk/work"
#define CONFIG_DEFAULT_STAGING_GROUP "kiosk-tos"
#define CONFIG_DEFAULT_SIGNING_KEY "/etc/kiosk/signing.key"
#define CONFIG_DEFAULT_OUTBOX_MAX_BYTES (20ull << 30)
#define CONFIG_DEFAULT_KEEP_DAYS 30

/* The verdict cache's file: WORK_DIR/verdict-cache (newly allocated). */
char *config_cache_path(const struct kiosk_config *c);

/* Load PATH (or the default path, which may be missing).  Returns 0, or KERR_INVAL with
 * *why when the file exists but is broken.  Nothing else changes: what the settings
 * mean for other modules is given to them as parameters (e.g. struct media_conf). */
int config_load(const char *path, struct kiosk_config **out, char **why);
void config_free(struct kiosk_config *c);

/* A command-line option overrides a setting: *FIELD becomes a copy of VALUE, unless VALUE
 * is NULL (option not given). */
void config_override(char **field, const char *value);

/* `--staging DIR` (the old name of a local target): the target becomes dir:DIR.  NULL is
 * a no-op. */
void config_override_staging_dir(struct kiosk_config *c, const char *dir);

#endif

/* daemon-private.h - what the files of the kiosk service share (daemon.h is the public side).
 *
 * The service's state (struct daemon), the medium being worked on (struct daemon_job)
 * and the messages from its thread to the main loop (struct daemon_msg), and the
 * functions one file of the service calls in another: daemon.c (states, the main loop's
 * queue, udev, start-up), daemon-session.c (a visitor's check), daemon-print.c,
 * daemon-publish.c (the outbox to the share), daemon-admin.c (reloads, freshness gate,
 * admin-status), daemon-admin-media.c (the administrator's stick) and daemon-commands.c
 * (the socket's commands).  Everything here runs in the main loop unless it says
 * otherwise. */
#ifndef KIOSK_DAEMON_PRIVATE_H
#define KIOSK_DAEMON_PRIVATE_H

#include "common/reason.h"
#include "kiosk/config.h"
#include "kiosk/session.h"
#include "service/events.h"
#include "service/udev.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

struct audit;
struct handoff;
struct outbox_entry;
struct publish_run;
struct scanner_pool;
struct verdict_cache;

/* What a medium is for: a visitor's check, or the administrator's stick (bundle.h). */
enum daemon_job_kind { JOB_SESSION = 0, JOB_ADMIN_UPDATE, JOB_ADMIN_EXPORT };

/* One medium: waiting for its turn, or being checked. */
struct daemon_job {
    struct daemon *d;
    enum daemon_job_kind kind;
    JsonObject *admin_result; /* JOB_ADMIN_*: what bundle_apply / bundle_export_device said */
    char *admin_why;
    gint erase_ok;       /* JOB_ADMIN_EXPORT: the administrator confirmed the erase */
    uint64_t admin_conn; /* JOB_ADMIN_*: the connection whose login asked for it */
    struct kudev_device *dev;
    char *id;             /* session id, once started */
    volatile gint cancel; /* read by session_run */
    bool removed;         /* udev said the medium went away */
    bool cancelled;       /* the operator asked */
    JsonObject *details;
    struct session_params params;
    struct session_result *result;
    int rc;
    GThread *thread;
};

/* Progress and completion, from the session thread to the main loop. */
struct daemon_msg {
    struct daemon_job *job;
    bool finished;
    bool confirm; /* an export stick is in: ask the administrator before erasing it */
    struct session_progress p;
    char *current;
};

struct daemon {
    const struct kiosk_config *cfg;
    struct policy *policy;
    /* The scanner: sandboxed worker processes sharing one engine (scanner/pool.h,
     * docs/privsep.md).  A reload builds a new pool beside this one; a session keeps the
     * pool it started with (daemon_job.params.pool) and the last one to let go frees it. */
    struct scanner_pool *pool;
    struct verdict_cache *vcache; /* [scan] cache (scanner/verdict-cache.h), or NULL */
    struct audit *audit;
    struct events *events;
    struct kudev *udev;
    struct kudev_filter filter;
    GMainLoop *loop;
    GAsyncQueue *msgs;
    GQueue waiting;              /* struct daemon_job *, not started */
    struct daemon_job *current;  /* the session running */
    struct kudev_device *remove; /* checked medium still in: "remove-media" until it goes */
    char *remove_session;
    GHashTable *refused;       /* keys of refused media still plugged in -> their disk
                                * sequence numbers (uint64_t *) */
    JsonObject *details;       /* for the next session */
    volatile gint language_ja; /* the screen's language now (1 = ja): sessions record it */
    bool oos;                  /* out of service */
    bool stopping;
    /* administration (the "administration" section below; docs/admin.md) */
    char *oos_code; /* why out of service */
    GFileMonitor *sig_mon, *pol_mon;
    guint reload_timer, tick_timer;
    bool reloading, reload_again;
    struct policy *reload_policy; /* the policy the engine being built uses */
    char *reload_fp;              /* signature folder fingerprint of that build */
    char *sig_fp;                 /* ... of the engine in use */
    char *failed_fp;              /* ... of a database that did not load */
    char *failed_policy;          /* SHA-256 of a policy file that did not validate */
    char *db_problem;             /* for admin-status: the last reload problem */
    GPtrArray *retired;           /* policies a running session may still use */
    /* the hand-off (the "publication" section below; docs/handoff.md) */
    struct handoff *handoff;        /* NULL: the kiosk cannot deliver (out of service) */
    struct publish_run *pub_run;    /* the publisher running now */
    struct outbox_entry *pub_entry; /* ... and the entry it publishes */
    int pub_lock;                   /* the outbox lock while it runs */
    guint pub_timer;                /* the next retry */
    gint64 pruned_us;               /* the last [staging] keep-days pruning (monotonic) */
    enum daemon_job_kind admin_arm; /* the next medium is the administrator's stick */
    uint64_t admin_conn;            /* the connection whose login armed it (events_peer.conn) */
    bool admin_export_in;           /* an export stick is being written or still in */
    bool remove_is_admin;           /* d->remove is the administrator's stick (no screen) */
    guint admin_arm_timer;
};

/* ---- daemon.c: audit records, states, the main loop's queue ---- */

/* Record TYPE with O's fields (consumed, may be NULL) in the audit log, synced. */
void daemon_audit(struct daemon *d, const char *type, JsonObject *o);
/* O (NULL: a new object) with "device": DEV's description. */
JsonObject *daemon_with_device(JsonObject *o, const struct kudev_device *dev);
/* O.reason (English), O.reason_code, O.reason_params of reason CODE with at most one
 * parameter P1 (or NULL); the same for a reason already made. */
void daemon_json_reason(JsonObject *o, const char *code, const char *p1);
void daemon_json_reason_data(JsonObject *o, const struct reason_data *why);
/* Out of service for CODE ("audit" ...), WHY for people; the same without parameters. */
void daemon_out_of_service(struct daemon *d, const char *code, const struct reason_data *why);
void daemon_out_of_service0(struct daemon *d, const char *code, const char *rcode);
/* Back in service (O: the fields of the "back-in-service" record, consumed). */
void daemon_resume(struct daemon *d, JsonObject *o);
/* The "idle" state, with the queue's length. */
void daemon_idle(struct daemon *d);
/* How many scanner workers (and session scanning threads) a pool has. */
int daemon_scan_workers(const struct daemon *d);
void daemon_job_free(struct daemon_job *j);
/* From a job's thread: M goes to the main loop (any thread). */
void daemon_post(struct daemon *d, struct daemon_msg *m);
/* Start the next waiting medium, if the kiosk is free. */
void daemon_next(struct daemon *d);

/* ---- daemon-session.c: a visitor's check ---- */

/* Start J's session in its thread (J becomes d->current). */
void daemon_session_start(struct daemon *d, struct daemon_job *j);
/* The progress M says, as a state event to the screen. */
void daemon_session_progress_event(struct daemon *d, const struct daemon_msg *m);
/* J's session ended (its thread joined): tell the screen, the audit log; J is freed or
 * its medium waits to be removed. */
void daemon_session_finished(struct daemon *d, struct daemon_job *j);

/* ---- daemon-print.c ---- */

/* Print SESSION's report ("last": the newest) in a thread; the result is a "print" event. */
void daemon_print(struct daemon *d, const char *session);

/* ---- daemon-publish.c: the outbox to the share ---- */

/* The next publication in WAIT_US microseconds (one timer for all); the next one now,
 * unless one runs or none is due. */
void daemon_publish_later(struct daemon *d, gint64 wait_us);
void daemon_publish_kick(struct daemon *d);
/* `kiosk staging retry`: failed entries are tried now. */
void daemon_publish_retry_now(struct daemon *d);
/* [staging] keep-days, at most once an hour. */
void daemon_publish_prune(struct daemon *d);
/* Out of service while too much waits for the share; back when it has taken enough. */
void daemon_publish_check_outbox(struct daemon *d);

/* ---- daemon-admin.c: reloads, freshness gate, admin-status ---- */

/* Watch the signature folder and the policy file, and tick every minute (reloads,
 * freshness, the outbox); stop all of it (after an engine still being built). */
void daemon_admin_start(struct daemon *d);
void daemon_admin_stop(struct daemon *d);
/* No session runs: the policies retired by reloads are freed. */
void daemon_admin_session_ended(struct daemon *d);
/* The freshness gate: out of service when the signatures are too old, back when not. */
void daemon_admin_check_fresh(struct daemon *d);
/* Build a new engine with the policy file as it is now, unless nothing changed. */
void daemon_admin_reload(struct daemon *d, const char *why);
/* What the service itself uses right now (admin-status). */
JsonObject *daemon_admin_service_json(struct daemon *d);

/* ---- daemon-admin-media.c: the administrator's stick ---- */

/* An "admin-media" event for KIND at PHASE, with O's fields (consumed, may be NULL). */
void daemon_admin_media_event(struct daemon *d, enum daemon_job_kind kind, const char *phase,
                              JsonObject *o);
/* No stick is awaited any more; PHASE (may be NULL) is told to the screen. */
void daemon_admin_media_disarm(struct daemon *d, const char *phase);
/* DEV is the administrator's stick when one is awaited: its work starts; true then. */
bool daemon_admin_media_take(struct daemon *d, const struct kudev_device *dev);
/* J's work ended (its thread joined). */
void daemon_admin_media_finished(struct daemon *d, struct daemon_job *j);
/* {"cmd":"admin-media","action":...}, after a login. */
void daemon_admin_media_command(struct daemon *d, const struct events_peer *peer, JsonObject *msg,
                                JsonObject *reply, char **error);

/* ---- daemon-commands.c: the socket's commands ---- */

/* H's command handlers (the screen's and events.c's table's), with D as their data. */
void daemon_commands_init(struct daemon *d, struct events_handlers *h);

#endif

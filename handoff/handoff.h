/* handoff.h - the kiosk's side of the hand-off to the TOS side, shared by `kiosk scan`,
 * the service and `kiosk staging` (docs/handoff.md):
 *
 *   handoff_open        the configuration checked once: target, work area, the
 *                       publisher's user and the staging group, the signing key (made
 *                       when missing: deliveries are signed by default)
 *   handoff_next        the outbox entry to publish now (oldest first, backoff honoured)
 *   handoff_begin/end   one publication attempt's state changes, each saved (outbox.h)
 *                       and recorded in the audit log ("publication" records)
 *   handoff_publish_pending   publish queued entries in order, now (the CLI's way; the
 *                       service does the same asynchronously with publish_start)
 *
 * Functions return 0 or a negative KERR_* with *why (newly allocated, for people). */
#ifndef KIOSK_HANDOFF_H
#define KIOSK_HANDOFF_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "kiosk/config.h"
#include "handoff/outbox.h"
#include "handoff/publish.h"
#include "handoff/target.h"

struct audit;

struct handoff {
    const struct kiosk_config *cfg;
    struct target *target;
    gid_t outbox_group;      /* the publisher's group (outbox entries), -1 when not root */
    char key_id[17];         /* the signing key's id, "" when unsigned */
    bool key_created;        /* handoff_open made the key */
    const char *test_hold_fifo; /* testing mode: publish.h's test hold */
};

/* Check the configuration and prepare what publication needs.  Problems that keep the
 * kiosk from delivering anything (no work area, a bad target, a missing user or group, a
 * key that cannot be made or loaded) fail. */
int handoff_open(const struct kiosk_config *cfg, struct handoff **out, char **why);
void handoff_free(struct handoff *h);

/* The same for looking only (`kiosk status`, `kiosk staging list`): nothing is created,
 * no user is required; the key id is read when the key is there. */
int handoff_peek(const struct kiosk_config *cfg, struct handoff **out, char **why);

/* The job publish.h needs for SESSION. */
void handoff_job(const struct handoff *h, const char *session, struct publish_job *job);

/* The entry to publish next, or NULL: the oldest one not published, when its retry time
 * has come (*wait_us gets how long until it has, -1 when nothing waits).  Entries are
 * published in order: a failing entry holds back the ones after it. */
struct outbox_entry *handoff_next(const struct handoff *h, gint64 *wait_us, char **why);

/* An attempt starts: state "publishing", saved, audited. */
int handoff_begin(const struct handoff *h, struct audit *audit, struct outbox_entry *e, char **why);

/* An attempt ended with RES: "published" or "failed" with the next retry, saved, audited. */
int handoff_end(const struct handoff *h, struct audit *audit, struct outbox_entry *e,
                const struct publish_result *res, char **why);

/* Publish, in order, every queued entry up to and including UP_TO (NULL: all), waiting
 * for none of the backoff (an operator asked).  Stops at the first failure.  Takes the
 * outbox lock; KERR_LIMIT when someone else (the service) publishes now.  *published and
 * *failed (may be NULL) count the attempts' outcomes. */
int handoff_publish_pending(const struct handoff *h, struct audit *audit, const char *up_to,
                            unsigned *published, unsigned *failed, char **why);

/* Sessions that started but never ended (from the audit log) decide what an outbox
 * entry without a recorded end is: such entries are removed (the session did not
 * finish; nothing of it was published) and listed in REMOVED.  Entries left
 * "publishing" by a crash are queued again.  Lines for people go to CLEANED. */
int handoff_recover(const struct handoff *h, GHashTable *unended, GPtrArray *removed,
                    GPtrArray *cleaned);

/* [staging] keep-days: published sessions older than that are removed from the outbox
 * and, for a dir: target, from the staging folder too (only a folder whose MANIFEST.json
 * is the one the kiosk published).  Never an unpublished one.  Each removal is audited
 * ("pruned"); with DRY_RUN nothing is removed or audited.  Session ids go to PRUNED. */
int handoff_prune(const struct handoff *h, struct audit *audit, bool dry_run, GPtrArray *pruned,
                  char **why);

/* The publication summary `kiosk status` and the service report: target, key id, counts
 * per state, pending bytes, the oldest unpublished entry and its last error. */
JsonObject *handoff_status_json(const struct handoff *h);

#endif

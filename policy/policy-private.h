/* policy-private.h - what the files of the policy module share (not for other modules):
 * the pre-pass's index of groups and keys with their lines and the state of one load
 * (policy.c), the group parsers of the second pass (policy-groups.c).  The decisions
 * (policy-decide.c) need only the loaded struct policy of policy.h. */
#ifndef KIOSK_POLICY_PRIVATE_H
#define KIOSK_POLICY_PRIVATE_H

#include <glib.h>
#include <stdbool.h>
#include <string.h>

struct policy;
struct policy_limits;
struct policy_type_rule;

/* A policy file is a few kilobytes; a [policy] name= at most this many characters. */
#define POLICY_NAME_MAX 200

/* ---- the pre-pass's index and the load's state (policy.c) ---------------------------- */

struct policy_key_ref {
    char *key;
    int line;
};

struct policy_group_ref {
    char *name;
    int line;
    GPtrArray *keys; /* struct policy_key_ref * */
};

/* State of one load. */
struct policy_ctx {
    GPtrArray *groups; /* struct policy_group_ref *, file order, duplicates left out */
    GKeyFile *kf;
    GPtrArray *errors; /* caller's; may be NULL */
    unsigned n_errors;
};

/* Report a problem at LINE (0: the file as a whole); counted in ctx->n_errors. */
void policy_error_add(struct policy_ctx *ctx, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The group NAME of the file, or NULL. */
struct policy_group_ref *policy_index_group(const struct policy_ctx *ctx, const char *name);
/* KEY of group G, or NULL. */
const struct policy_key_ref *policy_index_key(const struct policy_group_ref *g, const char *key);
/* Line of KEY in G, or of the group header when the key is absent. */
int policy_key_line(const struct policy_group_ref *g, const char *key);

/* Is S one of the strings of V (NULL-terminated; V may be NULL)? */
static inline bool policy_strv_contains(char *const *v, const char *s)
{
    for (size_t i = 0; v && v[i]; i++) {
        if (strcmp(v[i], s) == 0)
            return true;
    }
    return false;
}

/* ---- the groups (policy-groups.c) ------------------------------------------------------ */

/* [policy] name= and version= into P. */
void policy_groups_header(struct policy_ctx *ctx, const struct policy_group_ref *g,
                          struct policy *p);
/* A [type:NAME] rule appended to RULES (struct policy_type_rule). */
void policy_groups_rule(struct policy_ctx *ctx, const struct policy_group_ref *g, GArray *rules);
/* Free what a rule holds. */
void policy_groups_rule_clear(struct policy_type_rule *r);
/* The built-in limits. */
void policy_groups_limits_defaults(struct policy_limits *l);
/* [limits] into L. */
void policy_groups_limits(struct policy_ctx *ctx, const struct policy_group_ref *g,
                          struct policy_limits *l);
/* Relations between limits, checked once all of them are known.  G is the
 * [limits] group for the lines (NULL: none). */
void policy_groups_check_limits(struct policy_ctx *ctx, const struct policy_group_ref *g,
                                const struct policy_limits *l);
/* [scan], [walk], [media] and [edifact] into P. */
void policy_groups_scan(struct policy_ctx *ctx, const struct policy_group_ref *g, struct policy *p);
void policy_groups_walk(struct policy_ctx *ctx, const struct policy_group_ref *g, struct policy *p);
void policy_groups_media(struct policy_ctx *ctx, const struct policy_group_ref *g,
                         struct policy *p);
void policy_groups_edifact(struct policy_ctx *ctx, const struct policy_group_ref *g,
                           struct policy *p);

#endif

/* policy-decide.c - what a loaded policy says about a file, a name and a filesystem
 * (policy.h: policy_decide, policy_decide_file, policy_skip_name, policy_edifact_named,
 * policy_filesystem_allowed) and the warnings an administrator sees for it. */
#include "policy/policy.h"
#include "policy/policy-private.h"

#include <fnmatch.h>
#include <string.h>

/* ---- decisions -------------------------------------------------------------------- */

static bool policy_rule_matches_mime(const struct policy_type_rule *r, const char *mime)
{
    for (size_t i = 0; r->mime && r->mime[i]; i++) {
        if (fnmatch(r->mime[i], mime, FNM_CASEFOLD) == 0)
            return true;
    }
    return false;
}

/* Lower-case extension of NAME (newly allocated): the text after the last dot, "" when
 * there is none.  A leading dot alone (".profile") is a hidden name, not an extension. */
static char *policy_extension_of(const char *name)
{
    const char *dot = strrchr(name, '.');

    if (!dot || dot == name)
        return g_strdup("");
    return g_ascii_strdown(dot + 1, -1);
}

static bool policy_extension_allowed_somewhere(const struct policy *p, const char *ext)
{
    for (size_t i = 0; i < p->n_rules; i++) {
        if (p->rules[i].action == POLICY_ALLOW && policy_strv_contains(p->rules[i].extensions, ext))
            return true;
    }
    return false;
}

/* *WHY = CODE with up to four parameter values. */
static void policy_why(struct reason_data *why, const char *code, const char *a, const char *b,
                       const char *c, const char *d)
{
    const char *v[] = {a, b, c, d};
    reason_data_set(why, code, v, 4);
}

bool policy_decide(const struct policy *p, const char *name, const char *mime, const char **rule,
                   struct reason_data *why)
{
    const struct policy_type_rule *mismatch = NULL;
    const char *decided = "default";
    struct reason_data w;
    char *ext = NULL;
    bool allowed = false;

    memset(&w, 0, sizeof(w));
    if (!p || !mime || !*mime) {
        policy_why(&w, "policy.type-unknown", NULL, NULL, NULL, NULL);
        goto out;
    }
    ext = policy_extension_of(name ? name : "");

    for (size_t i = 0; i < p->n_rules; i++) {
        const struct policy_type_rule *r = &p->rules[i];
        if (!policy_rule_matches_mime(r, mime))
            continue;
        if (r->action == POLICY_BLOCK) {
            decided = r->name;
            /* reason[ja]= alone: the English text is the general one */
            char *en =
                r->reason || !r->reason_ja ? NULL : g_strdup_printf("type not allowed: %s", mime);
            const char *text = r->reason ? r->reason : en;
            if (*ext && policy_extension_allowed_somewhere(p, ext))
                policy_why(&w, text ? "policy.name-mismatch-rule" : "policy.name-mismatch", ext,
                           mime, text, r->reason_ja);
            else if (text)
                policy_why(&w, "policy.rule-block", r->name, text, r->reason_ja, mime);
            else
                policy_why(&w, "policy.type-not-allowed", mime, ext, NULL, NULL);
            g_free(en);
            goto out;
        }
        if (!policy_strv_contains(r->extensions, ext) &&
            !policy_strv_contains(r->extensions, "*")) {
            if (!mismatch)
                mismatch = r;
            continue; /* a later allow rule may list this extension for this type */
        }
        decided = r->name;
        if (r->archive && !p->scan_archives) {
            policy_why(&w, "policy.archive", mime, NULL, NULL, NULL);
            goto out;
        }
        allowed = true;
        goto out;
    }

    /* default deny */
    if (mismatch)
        decided = mismatch->name;
    if (*ext && (mismatch || policy_extension_allowed_somewhere(p, ext)))
        policy_why(&w, "policy.name-mismatch", ext, mime, NULL, NULL);
    else if (mismatch)
        policy_why(&w, "policy.no-extension", mime, NULL, NULL, NULL);
    else
        policy_why(&w, "policy.type-not-allowed", mime, ext, NULL, NULL);
out:
    g_free(ext);
    if (rule)
        *rule = decided;
    if (why)
        *why = w;
    return allowed;
}

bool policy_decide_file(const struct policy *p, const char *name, const char *mime,
                        const char **rule, char **reason)
{
    struct reason_data why;
    bool allowed = policy_decide(p, name, mime, rule, &why);
    if (reason)
        *reason = allowed ? NULL : reason_data_format(&why, NULL, NULL, NULL);
    return allowed;
}

void policy_warnings(const struct policy *p, GPtrArray *warnings)
{
    for (size_t i = 0; p && i < p->n_rules; i++) {
        const struct policy_type_rule *r = &p->rules[i];
        if (r->action != POLICY_BLOCK || (!r->reason && !r->reason_ja) ||
            (r->reason && r->reason_ja))
            continue;
        struct policy_error *e = g_new0(struct policy_error, 1);
        e->line = r->line;
        e->message = r->reason ? g_strdup_printf("[type:%s] gives reason= but no reason[ja]=: "
                                                 "Japanese screens show the English text",
                                                 r->name)
                               : g_strdup_printf("[type:%s] gives reason[ja]= but no reason=: "
                                                 "English screens show the general sentence",
                                                 r->name);
        g_ptr_array_add(warnings, e);
    }
}

static bool policy_name_equal_fold(const char *a, const char *b)
{
    if (g_utf8_validate(a, -1, NULL) && g_utf8_validate(b, -1, NULL)) {
        char *fa = g_utf8_casefold(a, -1);
        char *fb = g_utf8_casefold(b, -1);
        bool eq = strcmp(fa, fb) == 0;
        g_free(fa);
        g_free(fb);
        return eq;
    }
    return g_ascii_strcasecmp(a, b) == 0;
}

bool policy_skip_name(const struct policy *p, const char *name)
{
    if (!p || !name)
        return false;
    for (size_t i = 0; p->skip_names && p->skip_names[i]; i++) {
        if (policy_name_equal_fold(p->skip_names[i], name))
            return true;
    }
    return false;
}

bool policy_edifact_named(const struct policy *p, const char *name)
{
    if (!p || !name || !p->edifact_extensions)
        return false;
    char *ext = policy_extension_of(name);
    bool hit = ext[0] && policy_strv_contains(p->edifact_extensions, ext);
    g_free(ext);
    return hit;
}

bool policy_filesystem_allowed(const struct policy *p, const char *fstype)
{
    if (!p || !fstype)
        return false;
    return policy_strv_contains(p->filesystems, fstype);
}

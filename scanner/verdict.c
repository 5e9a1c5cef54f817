#include "scanner/verdict.h"

#include <clamav.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    enum verdict_kind kind;
    const char *name;
    const char *label;
} verdict_table[] = {
    {VERDICT_CLEAN, "clean", "Clean (delivered)"},
    {VERDICT_INFECTED, "infected", "Malware detected"},
    {VERDICT_BLOCKED, "blocked", "Blocked by policy"},
    {VERDICT_ERROR, "error", "Could not be scanned"},
    {VERDICT_SKIPPED, "skipped", "Skipped"},
    {VERDICT_SANITIZED, "sanitized", "Delivered as a safe copy"},
};

const char *verdict_kind_str(enum verdict_kind kind)
{
    for (size_t i = 0; i < sizeof(verdict_table) / sizeof(verdict_table[0]); i++)
        if (verdict_table[i].kind == kind)
            return verdict_table[i].name;
    return "error";
}

const char *verdict_kind_label(enum verdict_kind kind)
{
    for (size_t i = 0; i < sizeof(verdict_table) / sizeof(verdict_table[0]); i++)
        if (verdict_table[i].kind == kind)
            return verdict_table[i].label;
    return "Could not be scanned";
}

void verdict_set_data(struct verdict *v, enum verdict_kind kind, const struct reason_data *why)
{
    v->kind = kind;
    v->reason[0] = '\0';
    memset(&v->why, 0, sizeof(v->why));
    if (!why || !why->code[0])
        return;
    v->why = *why;
    char *text = reason_data_format(why, NULL, NULL, NULL);
    g_strlcpy(v->reason, text, sizeof(v->reason));
    g_free(text);
}

void verdict_setr(struct verdict *v, enum verdict_kind kind, const char *code, ...)
{
    const char *vals[REASON_PARAMS_MAX] = {0};
    size_t n = 0;
    va_list ap;
    va_start(ap, code);
    for (const char *s; code && (s = va_arg(ap, const char *)) != NULL;)
        if (n < REASON_PARAMS_MAX)
            vals[n++] = s;
    va_end(ap);
    struct reason_data d;
    reason_data_set(&d, code, vals, n);
    verdict_set_data(v, kind, code ? &d : NULL);
}

void verdict_set(struct verdict *v, enum verdict_kind kind, const char *fmt, ...)
{
    v->kind = kind;
    v->reason[0] = '\0';
    memset(&v->why, 0, sizeof(v->why));
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
        va_end(ap);
    }
}

#define VERDICT_MACROS_NAME "Heuristics.OLE2.ContainsMacros"

bool verdict_is_macros(const struct verdict *v)
{
    return v->kind == VERDICT_BLOCKED && strcmp(v->why.code, "scan.macros") == 0;
}

/* Heuristic detections that are policy decisions or scan limits rather than malware.
 * Matched by prefix of the name libclamav reports. */
static const struct {
    const char *prefix;
    enum verdict_kind kind;
    const char *code; /* common/reason.c; its one parameter is the signature name */
} verdict_heuristics[] = {
    {VERDICT_MACROS_NAME, VERDICT_BLOCKED, "scan.macros"},
    {"Heuristics.Encrypted.", VERDICT_BLOCKED, "scan.encrypted"},
    {"Heuristics.Limits.Exceeded.MaxScanTime", VERDICT_ERROR, "scan.limit-time"},
    {"Heuristics.Limits.Exceeded.MaxRecursion", VERDICT_ERROR, "scan.limit-recursion"},
    {"Heuristics.Limits.Exceeded.MaxFiles", VERDICT_ERROR, "scan.limit-files"},
    {"Heuristics.Limits.Exceeded.", VERDICT_ERROR, "scan.limit-exceeded"},
    /* Only the kiosk's own metadata callback alerts this way (scanner.c, scanner_meta_cb). */
    {"Detected.By.Callback", VERDICT_ERROR, "scan.limit-member"},
};

void verdict_from_clamav(int cl_result, const char *virname, struct verdict *out)
{
    if (cl_result == CL_CLEAN) {
        verdict_setr(out, VERDICT_CLEAN, NULL, NULL);
        return;
    }
    if (cl_result == CL_VIRUS) {
        if (virname == NULL || virname[0] == '\0') {
            verdict_setr(out, VERDICT_INFECTED, "scan.infected-unnamed", NULL);
            return;
        }
        for (size_t i = 0; i < sizeof(verdict_heuristics) / sizeof(verdict_heuristics[0]); i++) {
            const char *p = verdict_heuristics[i].prefix;
            if (strncmp(virname, p, strlen(p)) == 0) {
                verdict_setr(out, verdict_heuristics[i].kind, verdict_heuristics[i].code, virname,
                             NULL);
                return;
            }
        }
        verdict_setr(out, VERDICT_INFECTED, "scan.infected", virname, NULL);
        return;
    }
    if (cl_result == CL_ETIMEOUT) {
        verdict_setr(out, VERDICT_ERROR, "scan.timeout", NULL);
        return;
    }
    if (cl_result == CL_EMAXREC || cl_result == CL_EMAXSIZE || cl_result == CL_EMAXFILES) {
        verdict_setr(out, VERDICT_ERROR, "scan.limit-engine", cl_strerror((cl_error_t)cl_result),
                     NULL);
        return;
    }
    char code[16];
    snprintf(code, sizeof(code), "%d", cl_result);
    if (cl_result > 0 && cl_result < CL_ELAST_ERROR) {
        verdict_setr(out, VERDICT_ERROR, "scan.error", cl_strerror((cl_error_t)cl_result), code,
                     NULL);
        return;
    }
    verdict_setr(out, VERDICT_ERROR, "scan.error-unknown", code, NULL);
}

#include "scanner/verdict.h"

#include <clamav.h>
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

void verdict_set(struct verdict *v, enum verdict_kind kind, const char *fmt, ...)
{
    v->kind = kind;
    v->reason[0] = '\0';
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
    return v->kind == VERDICT_BLOCKED && strstr(v->reason, "(" VERDICT_MACROS_NAME) != NULL;
}

/* Heuristic detections that are policy decisions or scan limits rather than malware.
 * Matched by prefix of the name libclamav reports. */
static const struct {
    const char *prefix;
    enum verdict_kind kind;
    const char *reason;
} verdict_heuristics[] = {
    {VERDICT_MACROS_NAME, VERDICT_BLOCKED,
     "document contains macros (macros are blocked by policy)"},
    {"Heuristics.Encrypted.", VERDICT_BLOCKED,
     "encrypted archive or document: its contents cannot be checked"},
    {"Heuristics.Limits.Exceeded.MaxScanTime", VERDICT_ERROR,
     "could not be scanned completely: scan time limit reached"},
    {"Heuristics.Limits.Exceeded.MaxRecursion", VERDICT_ERROR,
     "could not be scanned completely: archives nested too deeply"},
    {"Heuristics.Limits.Exceeded.MaxFiles", VERDICT_ERROR,
     "could not be scanned completely: archive holds too many files"},
    {"Heuristics.Limits.Exceeded.", VERDICT_ERROR,
     "could not be scanned completely: size limit reached"},
    /* Only the kiosk's own metadata callback alerts this way (scanner.c, scanner_meta_cb). */
    {"Detected.By.Callback", VERDICT_ERROR,
     "could not be scanned completely: an archive member is larger than the scan limit"},
};

void verdict_from_clamav(int cl_result, const char *virname, struct verdict *out)
{
    if (cl_result == CL_CLEAN) {
        verdict_set(out, VERDICT_CLEAN, NULL);
        return;
    }
    if (cl_result == CL_VIRUS) {
        if (virname == NULL || virname[0] == '\0') {
            verdict_set(out, VERDICT_INFECTED, "detection without a name");
            return;
        }
        for (size_t i = 0; i < sizeof(verdict_heuristics) / sizeof(verdict_heuristics[0]); i++) {
            const char *p = verdict_heuristics[i].prefix;
            if (strncmp(virname, p, strlen(p)) == 0) {
                verdict_set(out, verdict_heuristics[i].kind, "%s (%s)",
                            verdict_heuristics[i].reason, virname);
                return;
            }
        }
        verdict_set(out, VERDICT_INFECTED, "%s", virname);
        return;
    }
    if (cl_result == CL_ETIMEOUT) {
        verdict_set(out, VERDICT_ERROR, "could not be scanned completely: scan time limit reached");
        return;
    }
    if (cl_result == CL_EMAXREC || cl_result == CL_EMAXSIZE || cl_result == CL_EMAXFILES) {
        verdict_set(out, VERDICT_ERROR, "could not be scanned completely: %s",
                    cl_strerror((cl_error_t)cl_result));
        return;
    }
    if (cl_result > 0 && cl_result < CL_ELAST_ERROR) {
        verdict_set(out, VERDICT_ERROR, "scanner error: %s (code %d)",
                    cl_strerror((cl_error_t)cl_result), cl_result);
        return;
    }
    verdict_set(out, VERDICT_ERROR, "scanner returned an unknown result (code %d)", cl_result);
}

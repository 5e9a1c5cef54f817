/* kiosk-ui-format.h - turn the service's facts into plain words for people (translated).
 * No widgets here: the pages call these while they draw. */
#ifndef KIOSK_UI_FORMAT_H
#define KIOSK_UI_FORMAT_H

#include <glib.h>
#include <glib/gi18n.h>

#include "ui/screen-state.h"

char *kiosk_format_size(int64_t bytes);
/* "About 3 minutes left" etc.; NULL when unknown (eta < 0). */
char *kiosk_format_eta(int64_t seconds);
/* "Kingston DataTraveler, 8.0 GB" (or a generic name). */
char *kiosk_format_device(const struct screen_device *d);
/* The heading for a held-back file's verdict: "Malware detected" ... */
const char *kiosk_format_held_verdict(enum screen_held_verdict v);
/* The reason in plain words: "Signature: Eicar-Signature", "Rule: ..." */
char *kiosk_format_held_reason(const struct screen_held *h);
const char *kiosk_format_verdict_title(const struct screen_state *s);
/* "Delivered as stowage.xlsx, without: VBA macros, ActiveX controls" in the screen's
 * language (identifiers it does not know are left out; the service's text when none is
 * known). */
char *kiosk_format_sanitized(const struct screen_sanitized *x);
/* A reason of the service in the screen's language, from its code and parameters
 * (common/reason.h); ENGLISH (the service's text) when it came without a known code.
 * NULL when there is neither. */
char *kiosk_format_reason(const struct reason_data *rd, const char *english);
/* "2026-11-22 11:15 (UTC+09:00)": an RFC 3339 time in the kiosk's local zone with its
 * offset, as the reports print it; NULL when ISO8601 is NULL. */
char *kiosk_format_time(const char *iso8601);
/* "1,834" */
char *kiosk_format_count(int64_t n);
/* A text the service sent in English and Japanese: the one of the language on screen. */
const char *kiosk_format_service_text(const char *en, const char *ja);
/* "BAPLIE · MSC AURORA · voyage 123W · 1,834 containers" */
char *kiosk_format_edifact_headline(const struct screen_edifact *e);

/* Whom to call when the kiosk is out of service ([ui] contact in kiosk.conf); NULL = a
 * generic "terminal IT help desk". */
void kiosk_format_set_contact(const char *contact);
const char *kiosk_format_contact(void);

#endif

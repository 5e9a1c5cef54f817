/* i18n.h - the kiosk's one message catalogue ("kiosk", po/ja.po) for code that must pick
 * the language per call: the reports and receipts of a session (in the session's
 * language, inside the multi-threaded service), the reasons of part A (reason_format).
 *
 * Why not gettext(3) with uselocale(): glibc picks the catalogue from the thread's
 * LC_MESSAGES locale, which needs the ja_JP locale generated on the kiosk (Debian's
 * "locales" is not installed by default) and a locale object per language; LANGUAGE is
 * process-wide.  The catalogue here is the same .mo file msgfmt made for gettext, read
 * once per language (mapped read-only, never freed), looked up by binary search: no
 * global state but the cache, safe from any thread, independent of the process locale.
 *
 * Where the catalogue is: $KIOSK_LOCALEDIR; else "locale" next to the running program or
 * one folder up (the build tree: build/kiosk, build/tests/test_*, build/locale/); else
 * I18N_LOCALEDIR (/usr/share/locale).  The CLI and the screen bind gettext(3) to the same
 * folder (i18n_localedir). */
#pragma once

#include <stdbool.h>

#define I18N_DOMAIN "kiosk"
#ifndef I18N_LOCALEDIR
#define I18N_LOCALEDIR "/usr/share/locale"
#endif

/* Marks a string for xgettext (po/POTFILES) without translating it here. */
#ifndef N_
#define N_(s) (s)
#endif

/* The folder holding LANG/LC_MESSAGES/kiosk.mo (see above); never NULL. */
const char *i18n_localedir(void);

/* MSGID in LANG ("en", "ja"; NULL or unknown = the English MSGID itself).  The result
 * lives as long as the process. */
const char *i18n_text(const char *lang, const char *msgid) __attribute__((format_arg(2)));

/* ngettext(3) in LANG: SINGULAR/PLURAL for N (English rule n != 1; Japanese has one
 * form). */
const char *i18n_ntext(const char *lang, const char *singular, const char *plural,
                       unsigned long n) __attribute__((format_arg(2))) __attribute__((format_arg(3)));

/* pgettext(3) in LANG: MSGID in the context CTX. */
const char *i18n_ctext(const char *lang, const char *ctx, const char *msgid)
    __attribute__((format_arg(3)));

/* True when LANG's catalogue was found and read (always true for "en"). */
bool i18n_available(const char *lang);

/* The language a person asked for through the environment, like gettext(3) reads it:
 * LANGUAGE, LC_ALL, LC_MESSAGES, LANG; "ja" when the first one set starts with "ja",
 * else "en". */
const char *i18n_env_language(void);

/* The CLI: LC_CTYPE and LC_MESSAGES from the environment (C.UTF-8 when none is set or
 * the asked locale is not generated), LANGUAGE set from i18n_env_language() so gettext(3)
 * translates without a generated ja_JP locale, and the "kiosk" domain bound to
 * i18n_localedir().  Call once at start, before any thread. */
void i18n_init_cli(void);

/* reason_format()'s TRANSLATE for LANG (common/reason.h): NULL for English, else a
 * function that looks msgids up in LANG's catalogue ("ja" only so far). */
typedef const char *(*i18n_translate_fn)(const char *msgid);
i18n_translate_fn i18n_translator(const char *lang);

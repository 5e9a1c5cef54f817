/* names.h - turn names found on a medium into names safe for the staging share,
 * whose readers are Windows machines on the TOS side. */
#ifndef KIOSK_NAMES_H
#define KIOSK_NAMES_H

#include <glib.h>

/* Longest name component we produce, in bytes of UTF-8 (NTFS/SMB allow 255 UTF-16
 * units; ext4 allows 255 bytes; the smaller wins). */
#define NAMES_MAX_COMPONENT 255

/* Sanitize one path component (no '/').  RAW is arbitrary bytes from the medium, not
 * necessarily UTF-8.  Returns a newly allocated, non-empty, valid UTF-8 string that:
 *  - has invalid UTF-8 sequences, control characters (U+0000-U+001F, U+007F-U+009F),
 *    bidi controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) and the
 *    characters < > : " / \ | ? * each replaced by '_';
 *  - has no trailing dots or spaces (they are replaced by '_');
 *  - is not "." or "..";
 *  - is not a Windows reserved device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, also
 *    with superscript digits ¹²³, case-insensitive, with or without an extension):
 *    such names get a leading '_';
 *  - is at most NAMES_MAX_COMPONENT bytes, cut on a character boundary, keeping the
 *    final extension whole (whatever its length: what Windows acts on must not change;
 *    one that leaves no room for a stem is cut at its end, so the last dot stays). */
char *names_sanitize(const char *raw);

/* The key under which the share's readers see NAME (valid UTF-8): NTFS and Samba compare
 * names through an upper-case table indexed by UTF-16 code unit, i.e. each character of
 * the BMP through Unicode's simple upper-case mapping (g_unichar_toupper: "ı" and "i"
 * are one name, "ß" and "SS" are two), characters beyond the BMP as they are, no
 * normalization.  NULL when NAME is not valid UTF-8.  Newly allocated. */
char *names_compare_key(const char *name);

/* Names already used in one staging folder, compared as names_compare_key does. */
typedef struct names_dir names_dir;

names_dir *names_dir_new(void);
void names_dir_free(names_dir *d);

/* Reserve NAME (already sanitized) in D and return the name to use, newly allocated:
 * NAME itself when free, else "stem (2).ext", "stem (3).ext", ... (still within
 * NAMES_MAX_COMPONENT; ".ext" is the whole final extension). */
char *names_dir_claim(names_dir *d, const char *name);

/* Printable form of a raw name for logs, manifest and screen: valid UTF-8, control and
 * bidi characters shown as \xNN or \u{NNNN} escapes, nothing else changed. */
char *names_display(const char *raw);

#endif

/* names.c - turn names found on a medium into names safe for the staging share.
 *
 * The medium is hostile: a name is arbitrary bytes.  names_sanitize() decodes them
 * strictly (Unicode table 3-7: no overlong forms, no surrogates, nothing above
 * U+10FFFF), replaces every invalid byte and every dangerous character by '_', then
 * applies the Windows rules (trailing dots/spaces, device names, length).
 * names_dir_claim() resolves collisions the way a Windows reader would see them (NTFS's
 * upper-case table, names_compare_key). */
#include "media/names.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Decode one strictly valid UTF-8 sequence at S (LEN bytes available).  Returns its
 * length in bytes and the code point in *CP, or 0 when the byte at S does not start a
 * valid sequence. */
static size_t names_decode(const unsigned char *s, size_t len, gunichar *cp)
{
    unsigned char c = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    gunichar v;

    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        v = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        v = c & 0x07;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = v;
    return n;
}

static bool names_is_control(gunichar c)
{
    return c <= 0x1F || (c >= 0x7F && c <= 0x9F);
}

static bool names_is_bidi(gunichar c)
{
    return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2066 && c <= 0x2069);
}

static bool names_is_forbidden(gunichar c)
{
    return c < 0x80 && c != 0 && strchr("<>:\"/\\|?*", (int)c) != NULL;
}

/* Replace trailing dots and spaces of S (in place) by '_'.  Same length. */
static void names_fix_trailing(char *s)
{
    for (size_t i = strlen(s); i > 0 && (s[i - 1] == '.' || s[i - 1] == ' '); i--)
        s[i - 1] = '_';
}

/* Is S a Windows device name?  Windows looks at the part before the first dot, with
 * trailing spaces ignored, case-insensitively: "con.txt", "Nul", "COM1.tar.gz",
 * "LPT¹", "aux .c" are all devices. */
static bool names_is_reserved(const char *s)
{
    static const char *const plain[] = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"};
    static const char *const digits[] = {"0", "1", "2", "3",        "4",        "5",       "6",
                                         "7", "8", "9", "\xc2\xb9", "\xc2\xb2", "\xc2\xb3"};
    size_t len = strcspn(s, ".");
    while (len > 0 && s[len - 1] == ' ')
        len--;

    for (size_t i = 0; i < G_N_ELEMENTS(plain); i++)
        if (len == strlen(plain[i]) && g_ascii_strncasecmp(s, plain[i], len) == 0)
            return true;
    if (len < 4 || (g_ascii_strncasecmp(s, "COM", 3) != 0 && g_ascii_strncasecmp(s, "LPT", 3) != 0))
        return false;
    for (size_t i = 0; i < G_N_ELEMENTS(digits); i++)
        if (len - 3 == strlen(digits[i]) && memcmp(s + 3, digits[i], len - 3) == 0)
            return true;
    return false;
}

/* Length in bytes of the final extension of S (from its last dot, which must not be the
 * first character), whatever its length, or 0 when S has none.  It is what Windows acts
 * on, so shortening and numbering never cut into it: losing it would make an earlier
 * one ("report.lnk.<long>") the extension. */
static size_t names_ext_len(const char *s)
{
    const char *dot = strrchr(s, '.');
    if (!dot || dot == s)
        return 0;
    return strlen(dot);
}

/* Largest length <= MAX at which the valid UTF-8 string S can be cut without
 * splitting a character. */
static size_t names_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/* Cut S (valid UTF-8) to at most LIMIT bytes, keeping its final extension whole.  An
 * extension that leaves no room for a stem is itself cut at its end: the last dot stays
 * the same dot, so no earlier extension can surface. */
static char *names_truncate(const char *s, size_t limit)
{
    size_t len = strlen(s);
    if (len <= limit)
        return g_strdup(s);
    size_t ext = names_ext_len(s);
    size_t stem = len - ext;
    size_t keep = ext < limit ? names_cut(s, stem, limit - ext) : 0;
    if (keep == 0)
        return g_strndup(s, names_cut(s, len, limit));
    GString *out = g_string_new_len(s, (gssize)keep);
    g_string_append_len(out, s + stem, (gssize)ext);
    return g_string_free(out, FALSE);
}

char *names_sanitize(const char *raw)
{
    if (!raw)
        raw = "";
    const unsigned char *p = (const unsigned char *)raw;
    size_t left = strlen(raw);
    GString *clean = g_string_sized_new(left + 1);
    char *tmp = NULL;
    char *out = NULL;

    while (left > 0) {
        gunichar c;
        size_t n = names_decode(p, left, &c);
        if (n == 0) {
            g_string_append_c(clean, '_'); /* one '_' per invalid byte */
            n = 1;
        } else if (names_is_control(c) || names_is_bidi(c) || names_is_forbidden(c)) {
            g_string_append_c(clean, '_');
        } else {
            g_string_append_len(clean, (const char *)p, (gssize)n);
        }
        p += n;
        left -= n;
    }

    if (clean->len == 0 || strcmp(clean->str, ".") == 0 || strcmp(clean->str, "..") == 0) {
        out = g_strdup("_");
        goto out;
    }
    names_fix_trailing(clean->str);
    if (names_is_reserved(clean->str))
        g_string_prepend_c(clean, '_');

    /* Truncation may leave a dot or space at the end of a name without extension;
     * fixing it keeps the length. */
    tmp = names_truncate(clean->str, NAMES_MAX_COMPONENT);
    names_fix_trailing(tmp);
    out = tmp;
    tmp = NULL; /* transferred */
out:
    g_string_free(clean, TRUE);
    return out;
}

/* ---- collisions ---- */

struct names_dir {
    GHashTable *keys; /* set of comparison keys, owned */
};

char *names_compare_key(const char *name)
{
    if (!name || !g_utf8_validate(name, -1, NULL))
        return NULL;
    GString *key = g_string_sized_new(strlen(name) + 1);
    for (const char *p = name; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        /* NTFS's $UpCase table (and Samba's) has one entry per UTF-16 code unit: a
         * character beyond the BMP is two surrogates, each mapped to itself. */
        g_string_append_unichar(key, c <= 0xFFFF ? g_unichar_toupper(c) : c);
    }
    return g_string_free(key, FALSE);
}

names_dir *names_dir_new(void)
{
    names_dir *d = g_new0(names_dir, 1);
    d->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return d;
}

void names_dir_free(names_dir *d)
{
    if (!d)
        return;
    g_hash_table_destroy(d->keys);
    g_free(d);
}

/* Take NAME if its key is free.  Returns true when it was reserved. */
static bool names_dir_take(names_dir *d, const char *name)
{
    char *key = names_compare_key(name);
    if (!key)
        return false;
    if (g_hash_table_contains(d->keys, key)) {
        g_free(key);
        return false;
    }
    g_hash_table_add(d->keys, key); /* key transferred */
    return true;
}

char *names_dir_claim(names_dir *d, const char *name)
{
    char *safe = NULL;
    char *result = NULL;

    if (!d || !name)
        return NULL;
    /* Callers pass sanitized names; re-check anyway so the table only holds names we
     * could have produced. */
    safe = names_sanitize(name);
    if (names_dir_take(d, safe)) {
        result = safe;
        safe = NULL; /* transferred */
        goto out;
    }

    size_t len = strlen(safe);
    size_t ext = names_ext_len(safe);
    /* " (NNN)" goes before the final extension; an extension too long to leave room
     * for a stem and the number gets it after it instead. */
    if (ext + 32 >= NAMES_MAX_COMPONENT)
        ext = 0;
    size_t stem = len - ext;
    for (uint64_t n = 2;; n++) {
        char suffix[32];
        int slen = g_snprintf(suffix, sizeof(suffix), " (%" G_GUINT64_FORMAT ")", n);
        size_t keep = names_cut(safe, stem, NAMES_MAX_COMPONENT - ext - (size_t)slen);
        GString *cand = g_string_new_len(safe, (gssize)keep);
        g_string_append(cand, suffix);
        g_string_append_len(cand, safe + stem, (gssize)ext);
        if (names_dir_take(d, cand->str)) {
            result = g_string_free(cand, FALSE);
            goto out;
        }
        g_string_free(cand, TRUE);
    }
out:
    g_free(safe);
    return result;
}

/* ---- display ---- */

char *names_display(const char *raw)
{
    if (!raw)
        raw = "";
    const unsigned char *p = (const unsigned char *)raw;
    size_t left = strlen(raw);
    GString *out = g_string_sized_new(left + 1);

    while (left > 0) {
        gunichar c;
        size_t n = names_decode(p, left, &c);
        if (n == 0) {
            g_string_append_printf(out, "\\x%02X", p[0]);
            n = 1;
        } else if (c < 0x80 && names_is_control(c)) {
            g_string_append_printf(out, "\\x%02X", (unsigned)c);
        } else if (names_is_control(c) || names_is_bidi(c)) {
            g_string_append_printf(out, "\\u{%04X}", (unsigned)c);
        } else {
            g_string_append_len(out, (const char *)p, (gssize)n);
        }
        p += n;
        left -= n;
    }
    return g_string_free(out, FALSE);
}

/* i18n.c - per-call lookups in the kiosk's .mo catalogue (i18n.h). */
#include "common/i18n.h"

#include <glib.h>
#include <libintl.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define I18N_MO_MAGIC 0x950412deu
#define I18N_MO_SWAPPED 0xde120495u

/* One language's catalogue: the .mo file's bytes and its two string tables. */
struct i18n_catalog {
    char lang[8];
    GMappedFile *file; /* NULL: no catalogue (English, or none found) */
    const char *data;
    size_t size;
    bool swap;
    uint32_t n, orig, trans;
};

#define I18N_LANGS_MAX 4
static struct i18n_catalog i18n_catalogs[I18N_LANGS_MAX];
static GMutex i18n_lock;
static char *i18n_dir;

static char *i18n_find_localedir(void)
{
    const char *env = g_getenv("KIOSK_LOCALEDIR");
    if (env && *env)
        return g_strdup(env);
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    if (exe) {
        g_autofree char *dir = g_path_get_dirname(exe);
        static const char *const up[] = {"locale", "../locale"};
        for (size_t i = 0; i < G_N_ELEMENTS(up); i++) {
            g_autofree char *loc = g_build_filename(dir, up[i], NULL);
            g_autofree char *mo =
                g_build_filename(loc, "ja", "LC_MESSAGES", I18N_DOMAIN ".mo", NULL);
            if (g_file_test(mo, G_FILE_TEST_IS_REGULAR))
                return g_canonicalize_filename(loc, NULL);
        }
    }
    return g_strdup(I18N_LOCALEDIR);
}

/* With i18n_lock held. */
static const char *i18n_localedir_locked(void)
{
    if (!i18n_dir)
        i18n_dir = i18n_find_localedir();
    return i18n_dir;
}

const char *i18n_localedir(void)
{
    g_mutex_lock(&i18n_lock);
    const char *d = i18n_localedir_locked();
    g_mutex_unlock(&i18n_lock);
    return d;
}

static uint32_t i18n_u32(const struct i18n_catalog *c, size_t off)
{
    uint32_t v;
    memcpy(&v, c->data + off, 4);
    return c->swap ? GUINT32_SWAP_LE_BE(v) : v;
}

/* String I of the table at TABLE: its bytes (NUL-terminated in the file) or NULL when
 * the entry points outside the file. */
static const char *i18n_entry(const struct i18n_catalog *c, uint32_t table, uint32_t i,
                              uint32_t *len)
{
    size_t at = (size_t)table + (size_t)i * 8;
    if (at + 8 > c->size)
        return NULL;
    uint32_t l = i18n_u32(c, at), off = i18n_u32(c, at + 4);
    if ((size_t)off + l + 1 > c->size || c->data[off + l] != '\0')
        return NULL;
    *len = l;
    return c->data + off;
}

/* With i18n_lock held. */
static void i18n_open(struct i18n_catalog *c, const char *lang)
{
    g_strlcpy(c->lang, lang, sizeof(c->lang));
    if (strcmp(lang, "en") == 0)
        return;
    g_autofree char *path = g_build_filename(i18n_localedir_locked(), lang, "LC_MESSAGES",
                                             I18N_DOMAIN ".mo", NULL);
    GMappedFile *f = g_mapped_file_new(path, FALSE, NULL);
    if (!f)
        return;
    c->data = g_mapped_file_get_contents(f);
    c->size = g_mapped_file_get_length(f);
    uint32_t magic = 0;
    if (c->size >= 28)
        memcpy(&magic, c->data, 4);
    if (magic != I18N_MO_MAGIC && magic != I18N_MO_SWAPPED) {
        g_mapped_file_unref(f);
        c->data = NULL;
        c->size = 0;
        return;
    }
    c->swap = magic == I18N_MO_SWAPPED;
    c->n = i18n_u32(c, 8);
    c->orig = i18n_u32(c, 12);
    c->trans = i18n_u32(c, 16);
    c->file = f;
}

/* The catalogue of LANG (opened on first use), or NULL for a language name that is not
 * two or three lower-case letters. */
static const struct i18n_catalog *i18n_catalog(const char *lang)
{
    size_t l = lang ? strlen(lang) : 0;
    if (l < 2 || l > 3)
        return NULL;
    for (size_t i = 0; i < l; i++)
        if (lang[i] < 'a' || lang[i] > 'z')
            return NULL;
    const struct i18n_catalog *found = NULL;
    g_mutex_lock(&i18n_lock);
    for (size_t i = 0; i < I18N_LANGS_MAX && !found; i++) {
        struct i18n_catalog *c = &i18n_catalogs[i];
        if (!c->lang[0])
            i18n_open(c, lang);
        if (strcmp(c->lang, lang) == 0)
            found = c;
    }
    g_mutex_unlock(&i18n_lock);
    return found;
}

/* The translation of KEY (msgfmt keeps the originals sorted), or NULL. */
static const char *i18n_lookup(const struct i18n_catalog *c, const char *key)
{
    if (!c || !c->file)
        return NULL;
    uint32_t lo = 0, hi = c->n, len;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const char *o = i18n_entry(c, c->orig, mid, &len);
        if (!o)
            return NULL;
        int cmp = strcmp(key, o);
        if (cmp == 0) {
            const char *t = i18n_entry(c, c->trans, mid, &len);
            return t && *t ? t : NULL;
        }
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const char *i18n_text(const char *lang, const char *msgid)
{
    if (!msgid || !*msgid)
        return msgid;
    const char *t = i18n_lookup(i18n_catalog(lang), msgid);
    return t ? t : msgid;
}

const char *i18n_ntext(const char *lang, const char *singular, const char *plural,
                       unsigned long n)
{
    /* Japanese (the only catalogue) has one plural form: the first translation. */
    const char *t = i18n_lookup(i18n_catalog(lang), singular);
    if (t)
        return t;
    return n == 1 ? singular : plural;
}

const char *i18n_ctext(const char *lang, const char *ctx, const char *msgid)
{
    g_autofree char *key = g_strconcat(ctx, "\004", msgid, NULL);
    const char *t = i18n_lookup(i18n_catalog(lang), key);
    return t ? t : msgid;
}

bool i18n_available(const char *lang)
{
    const struct i18n_catalog *c = i18n_catalog(lang);
    return c && (c->file || strcmp(lang, "en") == 0);
}

const char *i18n_env_language(void)
{
    static const char *const vars[] = {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < G_N_ELEMENTS(vars); i++) {
        const char *v = g_getenv(vars[i]);
        if (v && *v)
            return strncmp(v, "ja", 2) == 0 ? "ja" : "en";
    }
    return "en";
}

void i18n_init_cli(void)
{
    const char *lang = i18n_env_language();
    if (!setlocale(LC_CTYPE, "") || !setlocale(LC_MESSAGES, "")) {
        setlocale(LC_CTYPE, "C.UTF-8");
        setlocale(LC_MESSAGES, "C.UTF-8");
    }
    /* gettext(3) ignores LANGUAGE in the "C" locale: C.UTF-8 is not "C". */
    const char *m = setlocale(LC_MESSAGES, NULL);
    if (!m || !strcmp(m, "C") || !strcmp(m, "POSIX"))
        setlocale(LC_MESSAGES, "C.UTF-8");
    g_setenv("LANGUAGE", lang, TRUE);
    bindtextdomain(I18N_DOMAIN, i18n_localedir());
    bind_textdomain_codeset(I18N_DOMAIN, "UTF-8");
    textdomain(I18N_DOMAIN);
}

static const char *i18n_text_ja(const char *msgid)
{
    return i18n_text("ja", msgid);
}

i18n_translate_fn i18n_translator(const char *lang)
{
    return lang && strcmp(lang, "ja") == 0 ? i18n_text_ja : NULL;
}

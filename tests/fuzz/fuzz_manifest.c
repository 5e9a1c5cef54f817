/* libFuzzer target: the MANIFEST.json reader of `kiosk verify-batch` (the folder handed to
 * the TOS side may be forged).  Every input is read or refused with a reason, never a
 * crash or a GLib critical; nothing listed can leave the folder; every problem is safe
 * to print on a terminal. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handoff/verify-manifest.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* json-glib's type checks (g_return_val_if_fail) end the run: a reader that trips
     * one is using a field without checking its type. */
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    return 0;
}

/* Independent of verify_manifest_path_ok(): a relative path of real names. */
static void fuzz_check_path(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > VERIFY_MANIFEST_MAX_PATH || p[0] == '/' || p[n - 1] == '/' ||
        strstr(p, "//") || !g_utf8_validate(p, -1, NULL) || strpbrk(p, "\\:"))
        abort();
    char **parts = g_strsplit(p, "/", -1);
    for (char **q = parts; *q; q++)
        if (!strcmp(*q, ".") || !strcmp(*q, ".."))
            abort();
    g_strfreev(parts);
    for (const unsigned char *c = (const unsigned char *)p; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct verify_manifest *m = NULL;
    int rc = verify_manifest_parse((const char *)data, size, &m);
    if (!m || (rc != 0 && m->problems->len == 0))
        abort(); /* a refusal must say why */
    if (rc != 0 && (g_hash_table_size(m->listed) || m->session || m->status))
        abort(); /* nothing is taken from a manifest that cannot be read */

    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, m->listed);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const struct verify_manifest_file *f = v;
        if (strcmp(k, f->path) != 0 || f->size < -1)
            abort();
        fuzz_check_path(f->path);
        if (f->sha256[0] &&
            (strlen(f->sha256) != 64 || strspn(f->sha256, "0123456789abcdef") != 64))
            abort();
        /* The walk of the folder finds every folder on the way, and the file is not one. */
        char **parts = g_strsplit(f->path, "/", -1);
        guint folder = 0;
        for (char **q = parts; *q; q++) {
            guint next = verify_manifest_folder(m, folder, *q);
            if ((q[1] && !next) || (!q[1] && next))
                abort();
            folder = next;
        }
        g_strfreev(parts);
    }
    for (guint i = 0; i < m->problems->len; i++) {
        const char *t = g_ptr_array_index(m->problems, i);
        if (!g_utf8_validate(t, -1, NULL))
            abort();
        for (const unsigned char *c = (const unsigned char *)t; *c; c++)
            if (*c < 0x20 || *c == 0x7f)
                abort(); /* a forged name could drive the terminal */
    }
    verify_manifest_free(m);
    return 0;
}

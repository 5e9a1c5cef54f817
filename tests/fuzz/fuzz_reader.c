/* libFuzzer target: what a subverted medium reader can send the service.  The input is a
 * stream of records, each a 2-byte little-endian length and that many bytes (one
 * SOCK_SEQPACKET record each).  Every record goes through the service side's checks as
 * reader/client.c applies them (reader_msg_parse, then the body's check for its type, the
 * count and byte accounting of a listing and a file); whatever passes must keep the
 * promises the rest of the service relies on: a name without NUL or '/', not "." or "..",
 * at most READER_NAME_MAX bytes; texts printable; fields terminated; times in range; and
 * the name must survive sanitizing for the staging share. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/names.h"
#include "reader/reader.h"

static void fuzz_entry(const struct reader_msg *m)
{
    struct reader_entry e;
    memcpy(&e, m->body, sizeof(e));
    if (reader_check_entry(&e, m->var, m->varlen))
        return;
    if (m->varlen == 0 || m->varlen > READER_NAME_MAX || memchr(m->var, '\0', m->varlen) ||
        memchr(m->var, '/', m->varlen) || e.id == 0 || e.type == 0 || e.type >= READER_T_END ||
        (m->varlen == 1 && m->var[0] == '.') ||
        (m->varlen == 2 && m->var[0] == '.' && m->var[1] == '.'))
        abort();
    if ((e.flags & READER_E_MTIME) && e.mtime_ns >= 1000000000u)
        abort();
    char *name = g_strndup(m->var, m->varlen);
    char *clean = names_sanitize(name);
    if (!g_utf8_validate(clean, -1, NULL) || strchr(clean, '/') || !strcmp(clean, "..") ||
        strlen(clean) > NAMES_MAX_COMPONENT)
        abort();
    if (g_utf8_validate(name, -1, NULL)) {
        char *nfc = g_utf8_normalize(name, -1, G_NORMALIZE_DEFAULT_COMPOSE);
        g_free(nfc);
    }
    char *shown = names_display(name);
    if (!g_utf8_validate(shown, -1, NULL))
        abort();
    g_free(shown);
    g_free(clean);
    g_free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t entries = 0, bytes = 0;
    uint32_t volumes_left = 0, volume_index = 0;
    while (size >= 2) {
        size_t len = (size_t)data[0] | ((size_t)data[1] << 8);
        data += 2;
        size -= 2;
        if (len > size)
            len = size;
        struct reader_msg m;
        const char *why = NULL;
        if (reader_msg_parse(data, len, &m, &why) == 0) {
            if (!why && (m.bodylen + m.varlen + sizeof(struct reader_hdr) != len))
                abort();
            switch (m.type) {
            case READER_MEDIUM: {
                struct reader_medium med;
                memcpy(&med, m.body, sizeof(med));
                if (!reader_check_medium(&med) && !reader_check_text(m.var, m.varlen)) {
                    if (med.n_volumes > READER_MAX_VOLUMES || strnlen(med.pttype, 16) == 16)
                        abort();
                    volumes_left = med.n_volumes;
                    volume_index = 0;
                }
                break;
            }
            case READER_VOLUME: {
                struct reader_volume v;
                memcpy(&v, m.body, sizeof(v));
                if (volumes_left && !reader_check_volume(&v, volume_index + 1)) {
                    if (strnlen(v.fstype, sizeof(v.fstype)) == sizeof(v.fstype) ||
                        strnlen(v.label, sizeof(v.label)) == sizeof(v.label))
                        abort();
                    char *label = g_utf8_make_valid(v.label, -1);
                    g_free(label);
                    volumes_left--;
                    volume_index++;
                }
                break;
            }
            case READER_ENTRY:
                entries++;
                fuzz_entry(&m);
                break;
            case READER_DATA:
                bytes += m.varlen;
                if (m.varlen == 0 || m.varlen > READER_DATA_MAX)
                    abort();
                break;
            case READER_DIR_END:
            case READER_READ_END: {
                struct reader_end e;
                memcpy(&e, m.body, sizeof(e));
                if (!reader_check_end(&e) && !reader_check_text(m.var, m.varlen)) {
                    if (e.status >= READER_STATUS_END)
                        abort();
                    /* the client accepts the end only when the count adds up */
                    (void)(e.count == (m.type == READER_DIR_END ? entries : bytes));
                }
                entries = bytes = 0;
                break;
            }
            case READER_FAILED:
                if (!reader_check_text(m.var, m.varlen)) {
                    for (size_t i = 0; i < m.varlen; i++)
                        if ((unsigned char)m.var[i] < 0x20 || (unsigned char)m.var[i] >= 0x7f)
                            abort();
                }
                break;
            default:
                break;
            }
        } else if (!why) {
            abort();
        }
        data += len;
        size -= len;
    }
    return 0;
}

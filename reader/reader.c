/* reader.c - the medium reader process (reader.h): confines itself (confine.c), then
 * identifies the medium with libblkid, parses its partition table and filesystems with
 * The Sleuth Kit, and answers the service's PROBE, LISTDIR and READ requests.
 *
 * Everything here handles bytes an attacker wrote; nothing here is trusted by the
 * service (client.c re-checks every message).  What this file adds to libtsk is what a
 * person sees on Windows or macOS and no more: allocated entries only, no filesystem
 * metadata ($MFT, $Extend, exFAT's bitmap, up-case table and label, FAT labels, HFS+
 * special files, libtsk's virtual $OrphanFiles), named streams reported, never read. */
#include "reader/reader.h"
#include "reader/confine.h"

#include <blkid.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <tsk/libtsk.h>
#include <tsk/fs/tsk_iso9660.h>
#include <unistd.h>

/* A file is read from the medium in pieces this large (larger than libtsk's 64 KiB image
 * cache lines, which it then bypasses: one copy less) and sent in DATA messages. */
#define READER_READ_CHUNK (1024 * 1024)
/* Address space for libtsk's caches and listings beyond what the binary maps at start. */
#define READER_AS_HEADROOM (1024ull * 1024 * 1024)

/* FAT and exFAT geometry, read from the boot sector as libtsk reads it: libtsk numbers a
 * file by the place of its directory entry, (sector - data) * entries_per_sector + 3. */
struct reader_fat {
    bool ok;
    bool fat32;        /* the high half of a cluster number is used */
    uint32_t root;     /* FAT32, exFAT: the root folder's first cluster */
    uint32_t ssize;    /* bytes per sector */
    uint32_t csize;    /* sectors per cluster */
    uint64_t datasect; /* FAT12/16: root folder; FAT32, exFAT: cluster 2 */
    uint64_t clustsect;
};

struct reader_vol {
    uint32_t index;
    enum reader_fs fs;
    uint32_t status;
    uint64_t offset, size;
    TSK_FS_INFO *tsk;
    struct reader_fat fat;
};

struct reader {
    int ch; /* READER_CHANNEL_FD */
    uint64_t size;
    unsigned sector;
    bool test_hooks;
    uint64_t hook;
    TSK_IMG_INFO *img;
    struct reader_vol vols[READER_MAX_VOLUMES];
    uint32_t n_vols;
    bool probed;
    bool io_error; /* a read of the medium failed since this was cleared */
    char *buf;     /* READER_READ_CHUNK */
};

static struct reader *reader_self; /* the image callback's way back */

static void reader_fat_geometry(struct reader_vol *v);
static uint64_t reader_root_id(const struct reader_vol *v);
static const char *reader_runs_damaged(const struct reader_vol *v, TSK_FS_FILE *file);

static __attribute__((noreturn)) void reader_exit(int code)
{
    _exit(code); /* no atexit handlers, no sanitizer leak pass (it would need ptrace) */
}

/* Send or die: the service is gone or the channel is broken. */
static void reader_send(struct reader *r, enum reader_msg_type type, const void *body,
                        size_t bodylen, const void *var, size_t varlen)
{
    if (reader_msg_send(r->ch, type, body, bodylen, var, varlen) != 0)
        reader_exit(0);
}

/* Printable ASCII copy of TEXT (at most READER_TEXT_MAX bytes) into OUT; its length. */
static size_t reader_text(char *out, const char *text)
{
    size_t n = 0;
    for (; text && text[n] && n < READER_TEXT_MAX; n++)
        out[n] = (text[n] >= 0x20 && text[n] < 0x7f) ? text[n] : '?';
    out[n] = '\0';
    return n;
}

static void reader_send_end(struct reader *r, enum reader_msg_type type, uint32_t status,
                            uint64_t count, const char *text)
{
    struct reader_end e = {.status = status, .count = count};
    char t[READER_TEXT_MAX + 1];
    size_t n = reader_text(t, text);
    reader_send(r, type, &e, sizeof(e), t, n);
}

/* libtsk's last error, for people: "<what>: <detail>". */
static const char *reader_tsk_error(void)
{
    const char *e = tsk_error_get();
    return e && *e ? e : "damaged structure";
}

/* ---- the image: pread on the medium's descriptor ----------------------------------- */

static ssize_t reader_img_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
    (void)img;
    if (off < 0 || (uint64_t)off >= reader_self->size)
        return 0;
    if (len > reader_self->size - (uint64_t)off)
        len = (size_t)(reader_self->size - (uint64_t)off);
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(READER_MEDIUM_FD, buf + done, len - done, off + (TSK_OFF_T)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            reader_self->io_error = true;
            tsk_error_reset();
            tsk_error_set_errno(TSK_ERR_IMG_READ);
            tsk_error_set_errstr("the medium could not be read at byte %lld: %s",
                                 (long long)(off + (TSK_OFF_T)done), strerror(errno));
            return -1;
        }
        if (n == 0)
            break; /* shorter than its size said (a cut image) */
        done += (size_t)n;
    }
    return (ssize_t)done;
}

static void reader_img_close(TSK_IMG_INFO *img)
{
    free(img);
}

static void reader_img_stat(TSK_IMG_INFO *img, FILE *f)
{
    (void)img;
    (void)f;
}

static int reader_open_image(struct reader *r)
{
    TSK_IMG_INFO *info = calloc(1, sizeof(*info));
    if (!info)
        return -1;
    r->img = tsk_img_open_external(info, (TSK_OFF_T)r->size, r->sector, reader_img_read,
                                   reader_img_close, reader_img_stat);
    if (!r->img) {
        free(info);
        return -1;
    }
    return 0;
}

/* ---- PROBE --------------------------------------------------------------------------- */

static void reader_field(char *dst, size_t size, const char *src)
{
    size_t n = src ? strnlen(src, size - 1) : 0;
    memset(dst, 0, size);
    if (n)
        memcpy(dst, src, n);
}

static const char *reader_probe_value(blkid_probe pr, const char *name)
{
    const char *v = NULL;
    if (blkid_probe_lookup_value(pr, name, &v, NULL) == 0)
        return v;
    return NULL;
}

static bool reader_fs_encrypted(const char *type)
{
    static const char *const crypto[] = {"crypto_LUKS", "BitLocker", "VeraCrypt", "TrueCrypt"};
    for (size_t i = 0; type && i < sizeof(crypto) / sizeof(crypto[0]); i++)
        if (!strcmp(type, crypto[i]))
            return true;
    return false;
}

/* The libtsk type for a blkid type (the reader never lets libtsk guess). */
static TSK_FS_TYPE_ENUM reader_tsk_type(enum reader_fs fs)
{
    switch (fs) {
    case READER_FS_VFAT:
        return TSK_FS_TYPE_FAT_DETECT;
    case READER_FS_EXFAT:
        return TSK_FS_TYPE_EXFAT;
    case READER_FS_NTFS:
        return TSK_FS_TYPE_NTFS;
    case READER_FS_EXT2:
    case READER_FS_EXT3:
    case READER_FS_EXT4:
        return TSK_FS_TYPE_EXT_DETECT;
    case READER_FS_HFSPLUS:
        return TSK_FS_TYPE_HFS_DETECT;
    case READER_FS_ISO9660:
        return TSK_FS_TYPE_ISO9660;
    default:
        return TSK_FS_TYPE_UNSUPP;
    }
}

/* Identify volume V (offset/size set) with libblkid, then open it with libtsk. */
static void reader_probe_volume(struct reader *r, struct reader_volume *v, struct reader_vol *rv,
                                const struct reader_probe *req, char *problem, size_t plen)
{
    blkid_probe pr = blkid_new_probe();
    problem[0] = '\0';
    v->status = READER_VOLUME_NO_FS;
    if (!pr || blkid_probe_set_device(pr, READER_MEDIUM_FD, (blkid_loff_t)v->offset,
                                      (blkid_loff_t)v->size) != 0) {
        v->status = READER_VOLUME_UNREADABLE;
        snprintf(problem, plen, "the volume could not be probed");
        goto out;
    }
    blkid_probe_enable_superblocks(pr, 1);
    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL |
                                              BLKID_SUBLKS_UUID | BLKID_SUBLKS_VERSION);
    blkid_probe_enable_partitions(pr, 0);
    int rc = blkid_do_safeprobe(pr);
    if (rc == -2) {
        v->status = READER_VOLUME_AMBIGUOUS;
        goto out;
    }
    if (rc != 0)
        goto out; /* nothing, or unreadable: no filesystem to read either way */
    reader_field(v->fstype, sizeof(v->fstype), reader_probe_value(pr, "TYPE"));
    reader_field(v->fsversion, sizeof(v->fsversion), reader_probe_value(pr, "VERSION"));
    reader_field(v->label, sizeof(v->label), reader_probe_value(pr, "LABEL"));
    reader_field(v->uuid, sizeof(v->uuid), reader_probe_value(pr, "UUID"));
    /* Only [a-zA-Z0-9_.-] in a type: the service refuses anything else. */
    if (!reader_field_ok(v->fstype, sizeof(v->fstype), false))
        reader_field(v->fstype, sizeof(v->fstype), "unknown");
    if (reader_fs_encrypted(v->fstype)) {
        v->status = READER_VOLUME_ENCRYPTED;
        goto out;
    }
    enum reader_fs fs = reader_fs_from_name(v->fstype);
    if (fs == READER_FS_NONE) {
        v->status = READER_VOLUME_UNSUPPORTED;
        goto out;
    }
    if (!(req->filesystems & (1u << fs))) {
        v->status = READER_VOLUME_NOT_ALLOWED;
        goto out;
    }
    if (req->flags & READER_PROBE_IDENTIFY_ONLY) {
        v->status = READER_VOLUME_IDENTIFIED;
        goto out;
    }
    if (reader_tsk_type(fs) == TSK_FS_TYPE_UNSUPP) {
        v->status = READER_VOLUME_UNSUPPORTED;
        goto out;
    }
    tsk_error_reset();
    rv->tsk = tsk_fs_open_img(r->img, (TSK_OFF_T)v->offset, reader_tsk_type(fs));
    if (!rv->tsk) {
        v->status = READER_VOLUME_UNREADABLE;
        snprintf(problem, plen, "%s", reader_tsk_error());
        goto out;
    }
    rv->fs = fs;
    v->root = rv->tsk->root_inum;
    v->status = READER_VOLUME_OK;
    if (fs == READER_FS_VFAT || fs == READER_FS_EXFAT) {
        v->flags |= READER_VOLUME_LOCAL_TIMES;
        reader_fat_geometry(rv);
    }
    v->root_id = reader_root_id(rv);
out:
    if (pr)
        blkid_free_probe(pr);
}

/* blkid PTTYPE -> libtsk volume system. */
static TSK_VS_TYPE_ENUM reader_vs_type(const char *pttype)
{
    static const struct {
        const char *name;
        TSK_VS_TYPE_ENUM type;
    } map[] = {{"dos", TSK_VS_TYPE_DOS},
               {"gpt", TSK_VS_TYPE_GPT},
               {"mac", TSK_VS_TYPE_MAC},
               {"bsd", TSK_VS_TYPE_BSD},
               {"sun", TSK_VS_TYPE_SUN}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(map[i].name, pttype))
            return map[i].type;
    return TSK_VS_TYPE_UNSUPP;
}

/* Partition number of the partition at START/LEN (bytes) in blkid's list, or -1: libtsk
 * and libblkid must read the table the same way. */
static int reader_blkid_partno(blkid_partlist pl, uint64_t start, uint64_t len)
{
    int n = blkid_partlist_numof_partitions(pl);
    for (int i = 0; i < n; i++) {
        blkid_partition p = blkid_partlist_get_partition(pl, i);
        if (blkid_partition_is_extended(p))
            continue;
        if ((uint64_t)blkid_partition_get_start(p) * 512 == start &&
            (uint64_t)blkid_partition_get_size(p) * 512 == len)
            return blkid_partition_get_partno(p);
    }
    return -1;
}

static int reader_blkid_count(blkid_partlist pl)
{
    int n = blkid_partlist_numof_partitions(pl), k = 0;
    for (int i = 0; i < n; i++)
        if (!blkid_partition_is_extended(blkid_partlist_get_partition(pl, i)))
            k++;
    return k;
}

static void reader_medium_answer(struct reader *r, uint32_t status, const char *pttype,
                                 const char *text, struct reader_volume *vols,
                                 char (*problems)[256])
{
    struct reader_medium m = {.status = status,
                              .n_volumes = status == READER_MEDIUM_OK ? r->n_vols : 0};
    char t[READER_TEXT_MAX + 1];
    reader_field(m.pttype, sizeof(m.pttype), pttype);
    size_t n = reader_text(t, text);
    reader_send(r, READER_MEDIUM, &m, sizeof(m), t, n);
    for (uint32_t i = 0; i < m.n_volumes; i++) {
        n = reader_text(t, problems[i]);
        reader_send(r, READER_VOLUME, &vols[i], sizeof(vols[i]), t, n);
    }
}

/* The crash hook: a plain SIGSEGV (raise() would be a forbidden tgkill).  Not instrumented:
 * UBSan would report the NULL store and abort (tgkill: SIGSYS) before the fault. */
__attribute__((noinline, no_sanitize("address", "undefined"))) static void reader_test_crash(void)
{
    volatile int *volatile nowhere = NULL; /* (volatile: the compiler cannot see it is NULL) */
    *nowhere = 1;
}

static void reader_test_hook_probe(struct reader *r)
{
    if (r->hook == READER_HOOK_SOCKET) {
        int s = socket(AF_INET, SOCK_STREAM, 0); /* seccomp: SIGSYS */
        char t[64];
        snprintf(t, sizeof(t), "socket() was allowed (%d)", s);
        reader_send(r, READER_FAILED, NULL, 0, t, strlen(t));
        reader_exit(0);
    }
    if (r->hook == READER_HOOK_OPEN) {
        FILE *f = fopen("/etc/passwd", "re");
        char t[128];
        snprintf(t, sizeof(t), "open /etc/passwd: %s", f ? "opened" : strerror(errno));
        reader_send(r, READER_FAILED, NULL, 0, t, strlen(t));
        reader_exit(0);
    }
}

/* One PROBE's work, from libblkid's look at the medium to the answer. */
struct reader_probing {
    const struct reader_probe *req;
    struct reader_volume *vols; /* READER_MAX_VOLUMES */
    char (*problems)[256];      /* one per volume */
    blkid_probe pr;
    TSK_VS_INFO *vs;
    const char *pttype; /* ptbuf, or NULL: no partition table */
    char ptbuf[16], fstype[32];
    char text[256]; /* why the medium cannot be read */
};

/* libblkid's look at the whole medium: its partition table type and the filesystem of a
 * whole-disk volume.  Returns READER_MEDIUM_OK or why not. */
static uint32_t reader_probe_blkid(struct reader *r, struct reader_probing *p)
{
    p->pr = blkid_new_probe();
    if (!p->pr || blkid_probe_set_device(p->pr, READER_MEDIUM_FD, 0, (blkid_loff_t)r->size) != 0) {
        snprintf(p->text, sizeof(p->text), "the medium could not be read");
        return READER_MEDIUM_UNREADABLE;
    }
    blkid_probe_enable_superblocks(p->pr, 1);
    blkid_probe_set_superblocks_flags(p->pr, BLKID_SUBLKS_TYPE);
    blkid_probe_enable_partitions(p->pr, 1);
    blkid_probe_set_partitions_flags(p->pr, BLKID_PARTS_ENTRY_DETAILS);
    int rc = blkid_do_safeprobe(p->pr);
    if (rc == -2)
        return READER_MEDIUM_AMBIGUOUS;
    if (rc < 0) {
        snprintf(p->text, sizeof(p->text), "the medium could not be read");
        return READER_MEDIUM_UNREADABLE;
    }
    /* Copies: the probe's values do not outlive its next call. */
    if (rc == 0 && reader_probe_value(p->pr, "PTTYPE")) {
        reader_field(p->ptbuf, sizeof(p->ptbuf), reader_probe_value(p->pr, "PTTYPE"));
        p->pttype = p->ptbuf;
    }
    if (rc == 0 && reader_probe_value(p->pr, "TYPE"))
        reader_field(p->fstype, sizeof(p->fstype), reader_probe_value(p->pr, "TYPE"));
    return READER_MEDIUM_OK;
}

/* Each allocated partition of the table in PL (libtsk's reading, which must agree with
 * libblkid's), probed as a volume.  Returns READER_MEDIUM_OK or why not. */
static uint32_t reader_probe_partitions(struct reader *r, struct reader_probing *p,
                                        blkid_partlist pl)
{
    TSK_VS_TYPE_ENUM vt = reader_vs_type(p->pttype);
    if (vt == TSK_VS_TYPE_UNSUPP) {
        snprintf(p->text, sizeof(p->text), "a %s partition table, which the kiosk does not read",
                 p->pttype);
        return READER_MEDIUM_UNREADABLE;
    }
    tsk_error_reset();
    p->vs = tsk_vs_open(r->img, 0, vt);
    if (!p->vs) {
        snprintf(p->text, sizeof(p->text), "the %s partition table could not be read (%s)",
                 p->pttype, reader_tsk_error());
        return READER_MEDIUM_UNREADABLE;
    }
    int tsk_count = 0;
    for (TSK_PNUM_T i = 0; i < p->vs->part_count; i++) {
        const TSK_VS_PART_INFO *part = tsk_vs_part_get(p->vs, i);
        if (!part || !(part->flags & TSK_VS_PART_FLAG_ALLOC))
            continue;
        tsk_count++;
        uint64_t start = (uint64_t)part->start * p->vs->block_size;
        uint64_t len = (uint64_t)part->len * p->vs->block_size;
        int partno = reader_blkid_partno(pl, start, len);
        if (partno < 0 || r->n_vols >= READER_MAX_VOLUMES) {
            snprintf(p->text, sizeof(p->text),
                     partno < 0 ? "the partition table could be read two ways"
                                : "more than %d partitions",
                     READER_MAX_VOLUMES);
            return READER_MEDIUM_AMBIGUOUS;
        }
        struct reader_volume *v = &p->vols[r->n_vols];
        struct reader_vol *rv = &r->vols[r->n_vols];
        v->index = ++r->n_vols;
        v->partno = (uint32_t)partno;
        v->offset = start;
        v->size = len;
        rv->index = v->index;
        if (len == 0 || start >= r->size || len > r->size - start) {
            v->status = READER_VOLUME_OUTSIDE;
            continue;
        }
        reader_probe_volume(r, v, rv, p->req, p->problems[v->index - 1], sizeof(p->problems[0]));
    }
    if (tsk_count != reader_blkid_count(pl)) {
        snprintf(p->text, sizeof(p->text), "the partition table could be read two ways");
        return READER_MEDIUM_AMBIGUOUS;
    }
    return READER_MEDIUM_OK;
}

/* The volumes of the medium: a partition table's, or one whole-disk filesystem. */
static uint32_t reader_probe_volumes(struct reader *r, struct reader_probing *p)
{
    blkid_partlist pl = p->pttype ? blkid_probe_get_partitions(p->pr) : NULL;
    if (pl && reader_blkid_count(pl) > 0)
        return reader_probe_partitions(r, p, pl);
    if (p->fstype[0]) {
        /* A whole-disk filesystem ("superfloppy"; exFAT and FAT boot sectors also look
         * like an empty DOS partition table to libblkid). */
        p->pttype = NULL;
        struct reader_volume *v = &p->vols[0];
        r->n_vols = 1;
        v->index = 1;
        v->size = r->size;
        r->vols[0].index = 1;
        reader_probe_volume(r, v, &r->vols[0], p->req, p->problems[0], sizeof(p->problems[0]));
        return READER_MEDIUM_OK;
    }
    if (p->pttype)
        snprintf(p->text, sizeof(p->text), "the %s partition table holds no partition", p->pttype);
    return READER_MEDIUM_NO_FS;
}

static void reader_probe(struct reader *r, const struct reader_probe *req)
{
    static struct reader_volume vols[READER_MAX_VOLUMES];
    static char problems[READER_MAX_VOLUMES][256];
    struct reader_probing p = {.req = req, .vols = vols, .problems = problems};

    if (r->probed) { /* the service never asks twice */
        reader_send(r, READER_FAILED, NULL, 0, "PROBE twice", 11);
        reader_exit(0);
    }
    r->probed = true;
    r->hook = r->test_hooks ? req->test_hook : READER_HOOK_NONE;
    reader_test_hook_probe(r);
    memset(vols, 0, sizeof(vols));
    memset(problems, 0, sizeof(problems));
    r->n_vols = 0;

    uint32_t status = reader_probe_blkid(r, &p);
    if (status == READER_MEDIUM_OK)
        status = reader_probe_volumes(r, &p);
    for (uint32_t i = 0; i < r->n_vols; i++) {
        r->vols[i].status = vols[i].status;
        r->vols[i].offset = vols[i].offset;
        r->vols[i].size = vols[i].size;
    }
    if (status != READER_MEDIUM_OK) {
        for (uint32_t i = 0; i < r->n_vols; i++)
            if (r->vols[i].tsk) {
                tsk_fs_close(r->vols[i].tsk);
                r->vols[i].tsk = NULL;
            }
    }
    reader_medium_answer(r, status, p.pttype, p.text, vols, problems);
    if (status != READER_MEDIUM_OK)
        r->n_vols = 0;
    if (p.vs)
        tsk_vs_close(p.vs);
    if (p.pr)
        blkid_free_probe(p.pr);
}

/* ---- names and times as Windows / macOS show them -------------------------------- */

/* UTF-16LE (N units) to UTF-8; an unpaired surrogate becomes its 3-byte form (as WTF-8
 * does), which is not valid UTF-8: the service then keeps the exact bytes (path_hex).
 * Returns the length, or 0 when OUT (SIZE bytes) is too small. */
static size_t reader_utf16_wtf8(const uint8_t *u16, size_t n, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = (uint32_t)u16[2 * i] | ((uint32_t)u16[2 * i + 1] << 8);
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
            uint32_t d = (uint32_t)u16[2 * i + 2] | ((uint32_t)u16[2 * i + 3] << 8);
            if (d >= 0xdc00 && d <= 0xdfff) {
                c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
                i++;
            }
        }
        char b[4];
        size_t k;
        if (c < 0x80) {
            b[0] = (char)c;
            k = 1;
        } else if (c < 0x800) {
            b[0] = (char)(0xc0 | (c >> 6));
            b[1] = (char)(0x80 | (c & 0x3f));
            k = 2;
        } else if (c < 0x10000) {
            b[0] = (char)(0xe0 | (c >> 12));
            b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
            b[2] = (char)(0x80 | (c & 0x3f));
            k = 3;
        } else {
            b[0] = (char)(0xf0 | (c >> 18));
            b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
            b[2] = (char)(0x80 | ((c >> 6) & 0x3f));
            b[3] = (char)(0x80 | (c & 0x3f));
            k = 4;
        }
        if (o + k >= size)
            return 0;
        memcpy(out + o, b, k);
        o += k;
    }
    out[o] = '\0';
    return o;
}

/* Does libtsk's lenient conversion of U16 give NAME?  (It writes '^' for an unpaired
 * surrogate and drops the unit after an unpaired high one.) */
static bool reader_tsk_name_of(const uint8_t *u16, size_t n, const char *name)
{
    char buf[READER_NAME_MAX + 8];
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = (uint32_t)u16[2 * i] | ((uint32_t)u16[2 * i + 1] << 8);
        if (c >= 0xd800 && c <= 0xdbff) {
            if (i + 1 >= n)
                break;
            uint32_t d = (uint32_t)u16[2 * i + 2] | ((uint32_t)u16[2 * i + 3] << 8);
            i++;
            c = (d >= 0xdc00 && d <= 0xdfff) ? 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00) : '^';
        } else if (c >= 0xdc00 && c <= 0xdfff) {
            c = '^';
        }
        uint8_t tmp[2 * 2];
        size_t k;
        if (c >= 0x10000) { /* re-encode the pair and convert it */
            uint32_t v = c - 0x10000;
            uint32_t hi = 0xd800 + (v >> 10), lo = 0xdc00 + (v & 0x3ff);
            tmp[0] = (uint8_t)hi;
            tmp[1] = (uint8_t)(hi >> 8);
            tmp[2] = (uint8_t)lo;
            tmp[3] = (uint8_t)(lo >> 8);
            k = 2;
        } else {
            tmp[0] = (uint8_t)c;
            tmp[1] = (uint8_t)(c >> 8);
            k = 1;
        }
        size_t m = reader_utf16_wtf8(tmp, k, buf + o, sizeof(buf) - o);
        if (m == 0)
            return false;
        o += m;
    }
    buf[o] = '\0';
    return strcmp(buf, name) == 0;
}

static uint32_t reader_le(const uint8_t *b, int n)
{
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

/* The geometry libtsk computed when it opened FAT/exFAT volume V (same fields, same rules:
 * tsk/fs/fatxxfs.c, exfatfs.c). */
static void reader_fat_geometry(struct reader_vol *v)
{
    uint8_t bs[512];
    struct reader_fat *g = &v->fat;
    memset(g, 0, sizeof(*g));
    if (tsk_fs_read(v->tsk, 0, (char *)bs, sizeof(bs)) != (ssize_t)sizeof(bs))
        return;
    if (v->fs == READER_FS_EXFAT) {
        if (bs[0x6c] < 9 || bs[0x6c] > 12 || bs[0x6c] + bs[0x6d] > 25)
            return;
        g->ssize = 1u << bs[0x6c];
        g->csize = 1u << bs[0x6d];
        g->datasect = g->clustsect = reader_le(bs + 0x58, 4);
        g->fat32 = true;
        g->root = reader_le(bs + 0x60, 4);
    } else {
        uint32_t ssize = reader_le(bs + 0x0b, 2), fatsz = reader_le(bs + 0x16, 2);
        if (ssize != 512 && ssize != 1024 && ssize != 2048 && ssize != 4096)
            return;
        if (fatsz == 0)
            fatsz = reader_le(bs + 0x24, 4);
        g->ssize = ssize;
        g->csize = bs[0x0d];
        g->datasect = reader_le(bs + 0x0e, 2) + (uint64_t)fatsz * bs[0x10];
        g->clustsect = g->datasect + (reader_le(bs + 0x11, 2) * 32u + ssize - 1) / ssize;
        g->fat32 = reader_le(bs + 0x11, 2) == 0;
        g->root = g->fat32 ? reader_le(bs + 0x2c, 4) : 0;
        if (g->csize == 0)
            return;
    }
    g->ok = true;
}

/* Byte offset (in the volume) of the 32-byte FAT/exFAT directory entry that is inode
 * INUM, or -1. */
static TSK_OFF_T reader_fat_dentry_off(const struct reader_vol *v, TSK_INUM_T inum)
{
    const struct reader_fat *g = &v->fat;
    if (!g->ok || inum < 3 || inum > v->tsk->last_inum)
        return -1;
    uint64_t per = g->ssize / 32, k = inum - 3;
    return (TSK_OFF_T)((g->datasect + k / per) * g->ssize + (k % per) * 32);
}

/* The directory entry that is inode INUM, and for exFAT the stream extension after it
 * (OUT: 64 bytes). */
static bool reader_fat_dentry(const struct reader_vol *v, TSK_INUM_T inum, uint8_t out[64])
{
    TSK_OFF_T off = reader_fat_dentry_off(v, inum);
    memset(out, 0, 64);
    return off >= 0 && tsk_fs_read(v->tsk, off, (char *)out, 64) >= 32;
}

/* Identity of an entry: on FAT and exFAT the cluster its data starts at (two entries with
 * the same start are the same data: a cross-link, or a folder cycle), else (no cluster,
 * or another filesystem) the inode. */
static uint64_t reader_id(const struct reader_vol *v, TSK_INUM_T inum, const uint8_t *d,
                          bool have_dentry)
{
    uint32_t cl = 0;
    if (have_dentry && v->fs == READER_FS_VFAT && (d[11] & 0x3f) != 0x0f)
        cl = (v->fat.fat32 ? reader_le(d + 0x14, 2) << 16 : 0) | reader_le(d + 0x1a, 2);
    else if (have_dentry && v->fs == READER_FS_EXFAT && d[0] == 0x85 && d[32] == 0xc0)
        cl = reader_le(d + 32 + 0x14, 4);
    cl &= 0x0fffffff;
    if (cl >= 2)
        return cl;
    return ((uint64_t)1 << 63) | (uint64_t)inum;
}

static uint64_t reader_root_id(const struct reader_vol *v)
{
    if ((v->fs == READER_FS_VFAT || v->fs == READER_FS_EXFAT) && v->fat.ok && v->fat.root >= 2)
        return v->fat.root;
    return ((uint64_t)1 << 63) | (uint64_t)v->tsk->root_inum;
}

/* exFAT: the name of the file whose set starts at inode INUM, from its raw name entries
 * (0xC1) when the set lies in one cluster; 0 when it cannot be had. */
static size_t reader_exfat_name(const struct reader_vol *v, TSK_INUM_T inum, char *out, size_t size)
{
    const struct reader_fat *g = &v->fat;
    uint8_t set[19 * 32];
    TSK_OFF_T off = reader_fat_dentry_off(v, inum);
    if (off < 0)
        return 0;
    uint64_t sect = (uint64_t)off / g->ssize;
    if (sect < g->clustsect)
        return 0;
    uint64_t cl_end = g->clustsect + ((sect - g->clustsect) / g->csize + 1) * g->csize;
    if (tsk_fs_read(v->tsk, off, (char *)set, 64) != 64 || set[0] != 0x85 || set[32] != 0xc0)
        return 0;
    unsigned secondaries = set[1], namelen = set[32 + 3];
    if (secondaries < 2 || secondaries > 18 || namelen == 0 ||
        (namelen + 14) / 15 > secondaries - 1)
        return 0;
    size_t bytes = (size_t)(secondaries + 1) * 32;
    if ((uint64_t)off + bytes > cl_end * g->ssize)
        return 0; /* the set runs into the next cluster: keep libtsk's name */
    if (tsk_fs_read(v->tsk, off, (char *)set, bytes) != (ssize_t)bytes)
        return 0;
    uint8_t u16[255 * 2];
    for (unsigned i = 0; i < namelen; i++) {
        unsigned entry = 2 + i / 15, pos = i % 15;
        if (set[entry * 32] != 0xc1)
            return 0;
        memcpy(u16 + 2 * i, set + entry * 32 + 2 + 2 * pos, 2);
    }
    return reader_utf16_wtf8(u16, namelen, out, size);
}

/* NTFS: the file's name in folder DIR from its $FILE_NAME attribute, when libtsk's
 * conversion of it gives TSKNAME (only asked when that conversion lost something). */
static size_t reader_ntfs_name(TSK_FS_FILE *file, TSK_INUM_T dir, const char *tskname, char *out,
                               size_t size)
{
    int n = tsk_fs_file_attr_getsize(file);
    for (int i = 0; i < n; i++) {
        const TSK_FS_ATTR *a = tsk_fs_file_attr_get_idx(file, i);
        if (!a || a->type != TSK_FS_ATTR_TYPE_NTFS_FNAME || !(a->flags & TSK_FS_ATTR_RES) ||
            !a->rd.buf || a->size < 0x42)
            continue;
        const uint8_t *b = a->rd.buf;
        uint64_t parent = 0;
        for (int k = 0; k < 6; k++)
            parent |= (uint64_t)b[k] << (8 * k);
        unsigned len = b[0x40], space = b[0x41];
        if (parent != dir || space == 2 /* DOS 8.3 only */ ||
            (size_t)a->size < 0x42 + 2 * (size_t)len)
            continue;
        if (reader_tsk_name_of(b + 0x42, len, tskname))
            return reader_utf16_wtf8(b + 0x42, len, out, size);
    }
    return 0;
}

/* Seconds and the UTC offset flag of exFAT's time stamps: byte 0x16 + WHICH of the file
 * entry (0 created, 1 modified): bit 7 valid, bits 0-6 a signed count of 15 minutes. */
static bool reader_exfat_offset(const uint8_t d[32], int which, int64_t *secs)
{
    uint8_t o = d[0x16 + which];
    if (!(o & 0x80))
        return false;
    int v = o & 0x7f;
    if (v & 0x40)
        v -= 0x80;
    *secs = (int64_t)v * 15 * 60;
    return true;
}

/* ISO 9660: the recording time's offset from GMT, in seconds. */
static int64_t reader_iso_offset(TSK_FS_INFO *fs, TSK_INUM_T inum)
{
    iso9660_inode d;
    if (iso9660_dinode_load((ISO_INFO *)fs, inum, &d) != 0)
        return 0;
    int v = d.dr.rec_time.gmt_off;
    if (v < -48 || v > 52)
        return 0;
    return (int64_t)v * 15 * 60;
}

static uint32_t reader_type(TSK_FS_META_TYPE_ENUM t)
{
    switch (t) {
    case TSK_FS_META_TYPE_REG:
        return READER_T_REG;
    case TSK_FS_META_TYPE_DIR:
        return READER_T_DIR;
    case TSK_FS_META_TYPE_LNK:
        return READER_T_LNK;
    case TSK_FS_META_TYPE_CHR:
        return READER_T_CHR;
    case TSK_FS_META_TYPE_BLK:
        return READER_T_BLK;
    case TSK_FS_META_TYPE_FIFO:
        return READER_T_FIFO;
    case TSK_FS_META_TYPE_SOCK:
        return READER_T_SOCK;
    default:
        return READER_T_OTHER;
    }
}

/* Is this name filesystem metadata a person never sees (true: leave it out)? */
static bool reader_hidden(struct reader_vol *v, TSK_INUM_T dir, const TSK_FS_NAME *nm,
                          const TSK_FS_META *meta, uint8_t dentry[64], bool *have_dentry)
{
    TSK_FS_INFO *fs = v->tsk;
    *have_dentry = false;
    if (meta && (meta->type == TSK_FS_META_TYPE_VIRT || meta->type == TSK_FS_META_TYPE_VIRT_DIR))
        return true; /* $MBR, $FAT1, $OrphanFiles, ...: libtsk's own */
    switch (v->fs) {
    case READER_FS_VFAT:
        /* The volume label is a directory entry, not a file. */
        if (!reader_fat_dentry(v, nm->meta_addr, dentry))
            return false;
        *have_dentry = true;
        return (dentry[11] & 0x3f) != 0x0f && (dentry[11] & 0x08);
    case READER_FS_EXFAT:
        /* Only file entries (0x85) are files: not the bitmap, up-case table or label. */
        if (!reader_fat_dentry(v, nm->meta_addr, dentry))
            return false;
        *have_dentry = true;
        return dentry[0] != 0x85;
    case READER_FS_NTFS:
        /* $MFT ... $Extend: records 0-23 are the system's. */
        return dir == fs->root_inum && nm->meta_addr < 24;
    case READER_FS_HFSPLUS:
        /* Catalog IDs below 16 are the special files; the hard-link folders are hidden. */
        return nm->meta_addr < 16 ||
               (dir == fs->root_inum && (strstr(nm->name, "HFS+ Private Data") ||
                                         !strncmp(nm->name, ".HFS+ Private Directory Data", 28)));
    default:
        return false;
    }
}

/* Fill E's times from META (times are as libtsk reports them with TZ=UTC0). */
static void reader_times(struct reader_vol *v, TSK_INUM_T inum, const TSK_FS_META *meta,
                         const uint8_t *dentry, bool have_dentry, struct reader_entry *e)
{
    int64_t mt = meta->mtime, ct = meta->crtime;
    uint32_t mtn = meta->mtime_nano, ctn = meta->crtime_nano;
    if (v->fs == READER_FS_ISO9660) {
        /* libtsk keeps the recording time (local, with its GMT offset) as crtime. */
        if (ct) {
            e->mtime = ct - reader_iso_offset(v->tsk, inum);
            e->flags |= READER_E_MTIME;
        }
        return;
    }
    bool local = v->fs == READER_FS_VFAT || v->fs == READER_FS_EXFAT;
    bool cr_local = local;
    if (v->fs == READER_FS_EXFAT && have_dentry) {
        int64_t off;
        if (reader_exfat_offset(dentry, 1, &off) && mt) {
            mt -= off;
            local = false;
        }
        if (reader_exfat_offset(dentry, 0, &off) && ct) {
            ct -= off;
            cr_local = false;
        }
        if (local != cr_local) /* one flag for both: keep the modification time */
            ct = 0;
    }
    if (mt) {
        e->mtime = mt;
        e->mtime_ns = mtn < 1000000000u ? mtn : 0;
        e->flags |= READER_E_MTIME;
    }
    if (ct) {
        e->crtime = ct;
        e->crtime_ns = ctn < 1000000000u ? ctn : 0;
        e->flags |= READER_E_CRTIME;
    }
    if (local && (e->flags & (READER_E_MTIME | READER_E_CRTIME)))
        e->flags |= READER_E_LOCALTIME;
}

/* Named streams of FILE (NTFS alternate data streams, HFS+ resource forks): reported as
 * entries of their own, never read.  Returns how many were sent (within LEFT). */
static uint64_t reader_streams(struct reader *r, struct reader_vol *v, TSK_FS_FILE *file,
                               uint64_t id, uint64_t left, bool *truncated)
{
    uint64_t sent = 0;
    int n = tsk_fs_file_attr_getsize(file);
    for (int i = 0; i < n; i++) {
        const TSK_FS_ATTR *a = tsk_fs_file_attr_get_idx(file, i);
        const char *name = NULL;
        if (!a)
            continue;
        if (v->fs == READER_FS_NTFS && a->type == TSK_FS_ATTR_TYPE_NTFS_DATA && a->name &&
            a->name[0] && strcmp(a->name, "$I30") != 0)
            name = a->name;
        else if (v->fs == READER_FS_HFSPLUS && a->type == TSK_FS_ATTR_TYPE_HFS_RSRC && a->size > 0)
            name = "rsrc";
        if (!name)
            continue;
        size_t len = strlen(name);
        if (len == 0 || len > READER_NAME_MAX || strchr(name, '/'))
            continue;
        if (sent >= left) {
            *truncated = true;
            return sent;
        }
        struct reader_entry e = {.inode = file->meta->addr,
                                 .id = id,
                                 .size = a->size > 0 ? (uint64_t)a->size : 0,
                                 .type = READER_T_STREAM,
                                 .nlink = 1};
        reader_send(r, READER_ENTRY, &e, sizeof(e), name, len);
        sent++;
    }
    return sent;
}

/* Entry NM's name into NAME (SIZE): libtsk's, unless it lost something a raw look can give
 * back (exFAT, NTFS).  Its length, 0 when there is no name that can be sent. */
static size_t reader_listdir_name(struct reader_vol *v, TSK_INUM_T dir_inode, const TSK_FS_NAME *nm,
                                  TSK_FS_FILE *file, const TSK_FS_META *meta, char *name,
                                  size_t size)
{
    size_t len = 0;
    if (strchr(nm->name, '^') && v->fs == READER_FS_EXFAT)
        len = reader_exfat_name(v, nm->meta_addr, name, size);
    else if (strchr(nm->name, '^') && v->fs == READER_FS_NTFS && file && meta)
        len = reader_ntfs_name(file, dir_inode, nm->name, name, size);
    if (len == 0) {
        len = strlen(nm->name);
        if (len > READER_NAME_MAX)
            len = 0;
        else
            memcpy(name, nm->name, len + 1);
    }
    return len;
}

/* Entry I of DIR to the service (with its streams on NTFS and HFS+), unless it is hidden
 * or has no name that can be sent.  *COUNT: entries sent so far; *TRUNCATED when the
 * request's limit is reached. */
static void reader_listdir_entry(struct reader *r, struct reader_vol *v,
                                 const struct reader_listdir *req, TSK_FS_DIR *dir, size_t i,
                                 char *name, size_t size, uint64_t *count, bool *truncated)
{
    const TSK_FS_NAME *nm = tsk_fs_dir_get_name(dir, i);
    if (!nm || !nm->name || !(nm->flags & TSK_FS_NAME_FLAG_ALLOC))
        return;
    if (!strcmp(nm->name, ".") || !strcmp(nm->name, ".."))
        return;
    TSK_FS_FILE *file = tsk_fs_dir_get(dir, i);
    const TSK_FS_META *meta = file ? file->meta : NULL;
    uint8_t dentry[64];
    bool have_dentry;
    if (reader_hidden(v, (TSK_INUM_T)req->inode, nm, meta, dentry, &have_dentry)) {
        tsk_fs_file_close(file);
        return;
    }
    if (*count >= req->max_entries) {
        *truncated = true;
        tsk_fs_file_close(file);
        return;
    }
    size_t len = reader_listdir_name(v, (TSK_INUM_T)req->inode, nm, file, meta, name, size);
    struct reader_entry e = {
        .inode = nm->meta_addr, .id = reader_id(v, nm->meta_addr, dentry, have_dentry), .nlink = 1};
    if (len == 0 || memchr(name, '/', len)) {
        /* No name we could send as it is (libtsk never gives these). */
        tsk_fs_file_close(file);
        return;
    }
    if (!meta || !(meta->flags & TSK_FS_META_FLAG_ALLOC)) {
        e.type = READER_T_DAMAGED;
    } else {
        e.type = reader_type(meta->type);
        e.size = meta->size > 0 ? (uint64_t)meta->size : 0;
        e.nlink = meta->nlink > 0 ? (uint32_t)meta->nlink : 1;
        reader_times(v, nm->meta_addr, meta, dentry, have_dentry, &e);
    }
    reader_send(r, READER_ENTRY, &e, sizeof(e), name, len);
    (*count)++;
    if (meta && (e.type == READER_T_REG || e.type == READER_T_DIR) &&
        (v->fs == READER_FS_NTFS || v->fs == READER_FS_HFSPLUS))
        *count += reader_streams(r, v, file, e.id, req->max_entries - *count, truncated);
    tsk_fs_file_close(file);
}

static void reader_listdir(struct reader *r, const struct reader_listdir *req)
{
    struct reader_vol *v =
        req->volume >= 1 && req->volume <= r->n_vols ? &r->vols[req->volume - 1] : NULL;
    uint64_t count = 0;
    bool truncated = false;
    char name[READER_NAME_MAX + 8];

    if (!v || !v->tsk) {
        reader_send_end(r, READER_DIR_END, READER_ERR_REQUEST, 0, "no such volume");
        return;
    }
    r->io_error = false;
    tsk_error_reset();
    TSK_FS_DIR *dir = tsk_fs_dir_open_meta(v->tsk, (TSK_INUM_T)req->inode);
    if (!dir) {
        reader_send_end(r, READER_DIR_END, r->io_error ? READER_ERR_IO : READER_ERR_DAMAGED, 0,
                        reader_tsk_error());
        return;
    }
    if (r->test_hooks && r->hook == READER_HOOK_NONSENSE) {
        struct reader_entry e = {.type = READER_T_REG, .nlink = 1};
        reader_send(r, READER_ENTRY, &e, sizeof(e), "a/b", 3);
        r->hook = READER_HOOK_NONE;
    }
    /* A folder whose clusters loop or stop early: what libtsk found is listed, and the
     * folder is reported damaged. */
    const char *damage = NULL;
    TSK_FS_FILE *self = tsk_fs_file_open_meta(v->tsk, NULL, (TSK_INUM_T)req->inode);
    if (self && self->meta && self->meta->type == TSK_FS_META_TYPE_DIR)
        damage = reader_runs_damaged(v, self);
    tsk_fs_file_close(self);
    size_t n = tsk_fs_dir_getsize(dir);
    for (size_t i = 0; i < n && !truncated; i++)
        reader_listdir_entry(r, v, req, dir, i, name, sizeof(name), &count, &truncated);
    tsk_fs_dir_close(dir);
    if (truncated)
        reader_send_end(r, READER_DIR_END, READER_ERR_TRUNCATED, count,
                        "more entries than asked for");
    else if (damage)
        reader_send_end(r, READER_DIR_END, READER_ERR_DAMAGED, count, damage);
    else
        reader_send_end(r, READER_DIR_END, READER_OK, count, NULL);
}

/* ---- damage libtsk reads past --------------------------------------------------------- */

/* What libtsk does not say: where a FAT cluster chain loops or ends before the file does,
 * it keeps the size and fills the rest with zeros ("filler" runs); a run may also point
 * outside the volume.  Either way the bytes would not be the file's.  NULL when FILE's
 * data looks whole, else what is wrong. */
static const char *reader_runs_damaged(const struct reader_vol *v, TSK_FS_FILE *file)
{
    const TSK_FS_ATTR *a = tsk_fs_file_attr_get(file);
    if (!a)
        return file->meta && file->meta->size > 0 ? "its data cannot be found" : NULL;
    if (!(a->flags & TSK_FS_ATTR_NONRES))
        return NULL; /* resident: the data is in the metadata itself */
    TSK_FS_INFO *fs = file->fs_info;
    /* FAT has no holes: there, a filler run or too few clusters is a chain that loops or
     * ends early.  (On ext4 a filler run is a hole, which reads as zeros: no damage.) */
    bool fat = v->fs == READER_FS_VFAT || v->fs == READER_FS_EXFAT;
    uint64_t covered = 0;
    for (const TSK_FS_ATTR_RUN *run = a->nrd.run; run; run = run->next) {
        if (run->flags & TSK_FS_ATTR_RUN_FLAG_FILLER) {
            if (fat)
                return "its clusters do not hold all of it (a broken or looping cluster chain)";
            continue;
        }
        covered += run->len;
        if (run->flags & TSK_FS_ATTR_RUN_FLAG_SPARSE)
            continue;
        if (run->len > fs->last_block + 1 || run->addr > fs->last_block + 1 - run->len)
            return "its data lies outside the volume";
    }
    if (fat && file->meta && file->meta->size > 0 &&
        covered * fs->block_size < (uint64_t)file->meta->size)
        return "its clusters do not hold all of it (a broken or looping cluster chain)";
    return NULL;
}

/* ---- READ ------------------------------------------------------------------------------ */

static void reader_read(struct reader *r, const struct reader_read *req)
{
    struct reader_vol *v =
        req->volume >= 1 && req->volume <= r->n_vols ? &r->vols[req->volume - 1] : NULL;
    uint64_t done = 0;
    if (!v || !v->tsk) {
        reader_send_end(r, READER_READ_END, READER_ERR_REQUEST, 0, "no such volume");
        return;
    }
    if (r->test_hooks && r->hook == READER_HOOK_CRASH)
        reader_test_crash();
    if (r->test_hooks && r->hook == READER_HOOK_HANG) {
        /* Wait for a message that never comes (pause() is not an allowed system call). */
        static char hbuf[READER_MSG_MAX];
        for (;;) {
            struct reader_msg hm;
            const char *hw;
            if (reader_msg_recv(r->ch, hbuf, &hm, &hw) == 0)
                reader_exit(0);
        }
    }
    r->io_error = false;
    tsk_error_reset();
    TSK_FS_FILE *file = tsk_fs_file_open_meta(v->tsk, NULL, (TSK_INUM_T)req->inode);
    if (!file || !file->meta) {
        reader_send_end(r, READER_READ_END, r->io_error ? READER_ERR_IO : READER_ERR_DAMAGED, 0,
                        reader_tsk_error());
        tsk_fs_file_close(file);
        return;
    }
    if (file->meta->type != TSK_FS_META_TYPE_REG || !(file->meta->flags & TSK_FS_META_FLAG_ALLOC) ||
        file->meta->size < 0 || (uint64_t)file->meta->size != req->size) {
        reader_send_end(r, READER_READ_END, READER_ERR_CHANGED, 0,
                        "not the file the listing showed");
        tsk_fs_file_close(file);
        return;
    }
    const char *damage = reader_runs_damaged(v, file);
    if (damage) {
        reader_send_end(r, READER_READ_END, READER_ERR_DAMAGED, 0, damage);
        tsk_fs_file_close(file);
        return;
    }
    uint64_t size = req->size;
    if (r->test_hooks && r->hook == READER_HOOK_OVERSIZE)
        size++;
    while (done < size) {
        size_t want = size - done > READER_READ_CHUNK ? READER_READ_CHUNK : (size_t)(size - done);
        ssize_t n =
            tsk_fs_file_read(file, (TSK_OFF_T)done, r->buf, want, TSK_FS_FILE_READ_FLAG_NONE);
        if (r->test_hooks && r->hook == READER_HOOK_OVERSIZE && n <= 0 && done == req->size) {
            r->buf[0] = 'X';
            n = 1;
        }
        if (n <= 0) {
            reader_send_end(r, READER_READ_END, r->io_error ? READER_ERR_IO : READER_ERR_DAMAGED,
                            done, reader_tsk_error());
            tsk_fs_file_close(file);
            return;
        }
        for (size_t off = 0; off < (size_t)n; off += READER_DATA_MAX) {
            size_t part = (size_t)n - off > READER_DATA_MAX ? READER_DATA_MAX : (size_t)n - off;
            reader_send(r, READER_DATA, NULL, 0, r->buf + off, part);
        }
        done += (uint64_t)n;
    }
    tsk_fs_file_close(file);
    reader_send_end(r, READER_READ_END, READER_OK, done, NULL);
}

/* ---- main -------------------------------------------------------------------------------- */

static bool reader_parse_u64(const char *s, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || !end || *end || end == s)
        return false;
    *out = v;
    return true;
}

/* The command line (options, then the medium's size and sector size) into R and CC; a
 * wrong one ends the reader (it is only started by the service). */
static void reader_args(int argc, char **argv, struct reader *r, struct reader_confine_conf *cc)
{
    uint64_t size = 0, sector = 0, parent = 0;
    int i = 1;
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        unsigned long long u, g;
        if (!strcmp(argv[i], "--test-hooks")) {
            r->test_hooks = true;
        } else if (!strcmp(argv[i], "--user") && i + 1 < argc &&
                   sscanf(argv[i + 1], "%llu:%llu", &u, &g) == 2 && u > 0 && g > 0) {
            cc->drop_user = true;
            cc->uid = (uid_t)u;
            cc->gid = (gid_t)g;
            i++;
        } else if (!strcmp(argv[i], "--root") && i + 1 < argc) {
            cc->root = argv[++i];
        } else if (!strcmp(argv[i], "--parent") && i + 1 < argc &&
                   reader_parse_u64(argv[i + 1], &parent)) {
            cc->parent = (pid_t)parent;
            i++;
        } else {
            break;
        }
    }
    if (argc - i != 2 || !reader_parse_u64(argv[i], &size) ||
        !reader_parse_u64(argv[i + 1], &sector) || sector < 512 || sector > 65536 || sector % 512) {
        fprintf(stderr, "kiosk reader: started wrongly (it is started by the kiosk itself)\n");
        reader_exit(2);
    }
    r->size = size;
    r->sector = (unsigned)sector;
}

/* Answer the service's requests, one at a time, until it closes the channel. */
static __attribute__((noreturn)) void reader_serve(struct reader *r)
{
    static char buf[READER_MSG_MAX];
    for (;;) {
        struct reader_msg m;
        const char *bad;
        int rc = reader_msg_recv(r->ch, buf, &m, &bad);
        if (rc == 0)
            reader_exit(0); /* the service is done with us */
        if (rc < 0)
            reader_exit(72); /* the service never sends that: do not guess */
        switch (m.type) {
        case READER_PROBE: {
            struct reader_probe p;
            memcpy(&p, m.body, sizeof(p));
            reader_probe(r, &p);
            break;
        }
        case READER_LISTDIR: {
            struct reader_listdir l;
            memcpy(&l, m.body, sizeof(l));
            reader_listdir(r, &l);
            break;
        }
        case READER_READ: {
            struct reader_read q;
            memcpy(&q, m.body, sizeof(q));
            reader_read(r, &q);
            if (r->hook == READER_HOOK_OVERSIZE)
                r->hook = READER_HOOK_NONE;
            break;
        }
        default:
            reader_exit(72);
        }
    }
}

int reader_main(int argc, char **argv)
{
    struct reader r = {.ch = READER_CHANNEL_FD};
    struct reader_confine_conf cc = {.as_headroom = READER_AS_HEADROOM,
                                     .root = "/",
                                     .medium_fd = READER_MEDIUM_FD,
                                     .channel_fd = READER_CHANNEL_FD};
    char why[256];

    signal(SIGPIPE, SIG_IGN);
    reader_args(argc, argv, &r, &cc);
    /* The crash hook must end the reader by SIGSEGV itself, also under a sanitizer that
     * would catch the signal and report at length (make check-asan). */
    if (r.test_hooks)
        signal(SIGSEGV, SIG_DFL);
    /* Nothing of the service's but the medium, the channel and stderr. */
    close_range(READER_CHANNEL_FD + 1, ~0U, 0);
    reader_self = &r;
    r.buf = malloc(READER_READ_CHUNK);
    if (!r.buf || (geteuid() == 0 && !cc.drop_user)) {
        snprintf(why, sizeof(why), r.buf ? "no reader user given" : "out of memory");
        reader_send(&r, READER_FAILED, NULL, 0, why, strlen(why));
        reader_exit(70);
    }
    if (reader_confine(&cc, why, sizeof(why)) != 0) {
        char t[READER_TEXT_MAX + 1];
        size_t n = reader_text(t, why);
        reader_send(&r, READER_FAILED, NULL, 0, t, n ? n : 1);
        reader_exit(70);
    }
    /* From here on: nothing but the medium and the channel. */
    if (reader_open_image(&r) != 0) {
        reader_send(&r, READER_FAILED, NULL, 0, "cannot set up the image", 23);
        reader_exit(71);
    }
    struct reader_hello hello = {.version = READER_VERSION, .pid = (uint32_t)getpid()};
    reader_send(&r, READER_HELLO, &hello, sizeof(hello), NULL, 0);
    reader_serve(&r);
}

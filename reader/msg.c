/* msg.c - the reader's messages: building, receiving and the shape and field checks of
 * the trusted side (reader.h).  No allocation: the fuzz target and both sides use it. */
#include "reader/reader.h"
#include "common/sockmsg.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* What each message looks like: the fixed body's size and the longest variable part. */
static const struct reader_msg_shape {
    size_t body;
    size_t var_max;
    bool var_required;
} reader_msg_shapes[READER_MSG_TYPE_END] = {
    [READER_HELLO] = {sizeof(struct reader_hello), 0, false},
    [READER_FAILED] = {0, READER_TEXT_MAX, true},
    [READER_MEDIUM] = {sizeof(struct reader_medium), READER_TEXT_MAX, false},
    [READER_VOLUME] = {sizeof(struct reader_volume), READER_TEXT_MAX, false},
    [READER_ENTRY] = {sizeof(struct reader_entry), READER_NAME_MAX, true},
    [READER_DIR_END] = {sizeof(struct reader_end), READER_TEXT_MAX, false},
    [READER_DATA] = {0, READER_DATA_MAX, true},
    [READER_READ_END] = {sizeof(struct reader_end), READER_TEXT_MAX, false},
    [READER_PROBE] = {sizeof(struct reader_probe), 0, false},
    [READER_LISTDIR] = {sizeof(struct reader_listdir), 0, false},
    [READER_READ] = {sizeof(struct reader_read), 0, false},
};

int reader_msg_send(int sock, enum reader_msg_type type, const void *body, size_t bodylen,
                    const void *var, size_t varlen)
{
    struct reader_hdr h = {.magic = READER_MAGIC, .type = (uint16_t)type};
    struct iovec iov[3] = {
        {.iov_base = &h, .iov_len = sizeof(h)},
        {.iov_base = (void *)body, .iov_len = bodylen},
        {.iov_base = (void *)var, .iov_len = varlen},
    };
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 3};
    size_t total = sizeof(h) + bodylen + varlen;
    if (total > READER_MSG_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    return sockmsg_send(sock, &msg, total);
}

int reader_msg_parse(const void *buf, size_t len, struct reader_msg *m, const char **why)
{
    struct reader_hdr h;
    memset(m, 0, sizeof(*m));
    if (len < sizeof(h)) {
        *why = "message shorter than its header";
        return -1;
    }
    memcpy(&h, buf, sizeof(h));
    if (h.magic != READER_MAGIC) {
        *why = "bad magic";
        return -1;
    }
    if (h.zero != 0 || h.type == 0 || h.type >= READER_MSG_TYPE_END ||
        (h.type > READER_READ_END && h.type < READER_PROBE)) {
        *why = "unknown message type";
        return -1;
    }
    const struct reader_msg_shape *s = &reader_msg_shapes[h.type];
    size_t rest = len - sizeof(h);
    if (rest < s->body) {
        *why = "message body too short";
        return -1;
    }
    size_t varlen = rest - s->body;
    if (varlen > s->var_max) {
        *why = "variable part too long";
        return -1;
    }
    if (s->var_required && varlen == 0) {
        *why = "variable part missing";
        return -1;
    }
    m->type = (enum reader_msg_type)h.type;
    m->body = (const char *)buf + sizeof(h);
    m->bodylen = s->body;
    m->var = (const char *)buf + sizeof(h) + s->body;
    m->varlen = varlen;
    return 0;
}

int reader_msg_recv(int sock, void *buf, struct reader_msg *m, const char **why)
{
    struct iovec iov = {.iov_base = buf, .iov_len = READER_MSG_MAX};
    union {
        char buf[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } cm;
    struct msghdr msg;

    *why = NULL;
    ssize_t n = sockmsg_recv(sock, &msg, &iov, 1, cm.buf, sizeof(cm.buf));
    if (n <= 0)
        return (int)n;
    /* Nobody passes descriptors on this channel: close any, and refuse the message. */
    bool fds;
    sockmsg_take_fds(&msg, NULL, 0, &fds);
    if (fds || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
        *why = fds ? "a message carried file descriptors" : "message too long";
        errno = EPROTO;
        return -1;
    }
    if (reader_msg_parse(buf, (size_t)n, m, why) != 0) {
        errno = EPROTO;
        return -1;
    }
    return 1;
}

/* ---- field checks (the trusted side) ------------------------------------------------ */

bool reader_field_ok(const char *field, size_t size, bool any_bytes)
{
    size_t n = strnlen(field, size);
    if (n == size)
        return false; /* not terminated */
    for (size_t i = 0; i < n && !any_bytes; i++) {
        unsigned char c = (unsigned char)field[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    /* The rest of the field is zero: nothing hides after the terminator. */
    for (size_t i = n; i < size; i++)
        if (field[i])
            return false;
    return true;
}

const char *reader_check_text(const char *text, size_t len)
{
    if (len > READER_TEXT_MAX)
        return "text too long";
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] >= 0x7f)
            return "text not printable";
    return NULL;
}

/* Times a filesystem can hold: years 1601 (NTFS) to 2554 (ext4's extended range). */
#define READER_TIME_MIN (-11644473600LL)
#define READER_TIME_MAX (18446744073LL)

const char *reader_check_entry(const struct reader_entry *e, const char *name, size_t namelen)
{
    if (e->type == 0 || e->type >= READER_T_END)
        return "entry type out of range";
    if (e->flags & ~READER_E_FLAGS_ALL)
        return "unknown entry flags";
    if (e->id == 0)
        return "entry without an identity";
    if (e->zero)
        return "reserved field set";
    if (namelen == 0 || namelen > READER_NAME_MAX)
        return "name length out of range";
    if (memchr(name, '\0', namelen))
        return "name holds a NUL byte";
    if (memchr(name, '/', namelen))
        return "name holds a '/'";
    if ((namelen == 1 && name[0] == '.') || (namelen == 2 && name[0] == '.' && name[1] == '.'))
        return "name is . or ..";
    if (e->size > (UINT64_C(1) << 62))
        return "size out of range";
    if ((e->flags & READER_E_MTIME) &&
        (e->mtime < READER_TIME_MIN || e->mtime > READER_TIME_MAX || e->mtime_ns >= 1000000000u))
        return "mtime out of range";
    if ((e->flags & READER_E_CRTIME) &&
        (e->crtime < READER_TIME_MIN || e->crtime > READER_TIME_MAX || e->crtime_ns >= 1000000000u))
        return "crtime out of range";
    return NULL;
}

const char *reader_check_volume(const struct reader_volume *v, uint32_t index)
{
    if (v->index != index)
        return "volume out of order";
    if (v->status >= READER_VOLUME_STATUS_END)
        return "volume status out of range";
    if (v->flags & ~READER_VOLUME_LOCAL_TIMES)
        return "unknown volume flags";
    if (v->offset > (UINT64_C(1) << 62) || v->size > (UINT64_C(1) << 62))
        return "volume offset or size out of range";
    if (!reader_field_ok(v->fstype, sizeof(v->fstype), false) ||
        !reader_field_ok(v->fsversion, sizeof(v->fsversion), true) ||
        !reader_field_ok(v->label, sizeof(v->label), true) ||
        !reader_field_ok(v->uuid, sizeof(v->uuid), true))
        return "volume field not terminated or not clean";
    if (v->status == READER_VOLUME_OK && reader_fs_from_name(v->fstype) == READER_FS_NONE)
        return "volume opened with an unknown filesystem";
    return NULL;
}

const char *reader_check_medium(const struct reader_medium *m)
{
    if (m->status >= READER_MEDIUM_STATUS_END)
        return "medium status out of range";
    if (m->n_volumes > READER_MAX_VOLUMES)
        return "too many volumes";
    if (m->status != READER_MEDIUM_OK && m->n_volumes != 0)
        return "volumes for a medium that cannot be read";
    if (!reader_field_ok(m->pttype, sizeof(m->pttype), false))
        return "partition table type not clean";
    return NULL;
}

const char *reader_check_end(const struct reader_end *e)
{
    if (e->status >= READER_STATUS_END)
        return "status out of range";
    if (e->zero)
        return "reserved field set";
    return NULL;
}

/* ---- filesystem names ------------------------------------------------------------- */

static const char *const reader_fs_names[READER_FS_END] = {
    [READER_FS_VFAT] = "vfat",       [READER_FS_EXFAT] = "exfat",     [READER_FS_NTFS] = "ntfs",
    [READER_FS_EXT2] = "ext2",       [READER_FS_EXT3] = "ext3",       [READER_FS_EXT4] = "ext4",
    [READER_FS_HFSPLUS] = "hfsplus", [READER_FS_ISO9660] = "iso9660", [READER_FS_UDF] = "udf",
};

const char *reader_fs_name(enum reader_fs fs)
{
    return fs > READER_FS_NONE && fs < READER_FS_END ? reader_fs_names[fs] : NULL;
}

enum reader_fs reader_fs_from_name(const char *name)
{
    for (int i = READER_FS_NONE + 1; name && i < READER_FS_END; i++)
        if (!strcmp(reader_fs_names[i], name))
            return (enum reader_fs)i;
    return READER_FS_NONE;
}

/* reader.h - the medium reader: the unprivileged process that parses a stick's partition
 * table and filesystems (libblkid, The Sleuth Kit), and the wire protocol between it and
 * the service.  The service side is client.c; the reader is reader.c (confined by
 * confine.c); msg.c builds and checks the messages.  docs/privsep.md, "The medium
 * reader", explains the split in words; these structs are its definition.
 *
 * The service opens the medium read-only (a block device after BLKROSET, or an image
 * file) and starts `kiosk reader` (this process) with that descriptor on fd 3 and one end
 * of a SOCK_SEQPACKET socketpair on fd 4.  The reader confines itself (its own user, no
 * capabilities, empty private root, no network, rlimits, no_new_privs, seccomp: pread on
 * fd 3, messages on fd 4, memory, exit) before it reads a byte of the medium, then
 * answers requests, one at a time, until EOF.
 *
 * Every message is one SOCK_SEQPACKET record: a struct reader_hdr, the fixed body of its
 * type (size exactly as below), then a variable part (a name, a text or file bytes) of
 * at most its type's maximum.  Anything else is a protocol error: the service kills the
 * reader and what it was asked for is an error (never clean).
 *
 *   reader  -> HELLO {version}                       confined, ready (or FAILED {text})
 *   service -> PROBE {allowed filesystems, flags}
 *   reader  -> MEDIUM {status, n_volumes} + text     partition table, or why not
 *              VOLUME {...} + problem text            n_volumes times
 *   service -> LISTDIR {volume, inode, max_entries}
 *   reader  -> ENTRY {...} + name                    each allocated entry of the folder
 *              DIR_END {status, count} + text         (count = ENTRY messages sent)
 *   service -> READ {volume, inode, size}
 *   reader  -> DATA + bytes                           the file's bytes in order
 *              READ_END {status, total} + text
 *   EOF from the service: the reader exits.
 *
 * The service is the only judge: it re-checks every field (types, lengths, names without
 * '/', NUL, "." or "..", counts against what it asked for, sizes against the listing and
 * the policy), applies the policy's limits, decides what to enter and what to read, and
 * hashes and spools the bytes itself.  A reader that crashes, hangs (no message within
 * READER_TIMEOUT_MS) or answers nonsense is killed; what it was asked for becomes an
 * error and a fresh reader serves the rest. */
#ifndef KIOSK_READER_H
#define KIOSK_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define READER_MAGIC 0x4b524452u /* "KRDR" */
#define READER_VERSION 1
#define READER_MEDIUM_FD 3 /* in the reader */
#define READER_CHANNEL_FD 4
/* Unprivileged user the reader runs as when the service is root ([media] reader-user). */
#define READER_USER_DEFAULT "kiosk-reader"

/* Limits of the variable parts. */
#define READER_NAME_MAX 1024  /* one name component: 255 UTF-16 units are <= 765 bytes */
#define READER_TEXT_MAX 256   /* error texts, printable ASCII */
#define READER_DATA_MAX 65536 /* file bytes per DATA message */
#define READER_MSG_MAX (sizeof(struct reader_hdr) + 256 + READER_DATA_MAX)
#define READER_MAX_VOLUMES 64
/* No message for this long while the service waits for one: the reader hangs. */
#define READER_TIMEOUT_MS 60000

enum reader_msg_type {
    /* reader -> service */
    READER_HELLO = 1,
    READER_FAILED,
    READER_MEDIUM,
    READER_VOLUME,
    READER_ENTRY,
    READER_DIR_END,
    READER_DATA,
    READER_READ_END,
    /* service -> reader */
    READER_PROBE = 32,
    READER_LISTDIR,
    READER_READ,
    READER_MSG_TYPE_END
};

struct reader_hdr {
    uint32_t magic;
    uint16_t type; /* enum reader_msg_type */
    uint16_t zero;
};

/* HELLO */
struct reader_hello {
    uint32_t version;
    uint32_t pid;
};

/* PROBE: FILESYSTEMS is a bit set of enum reader_fs; only those are opened. */
#define READER_PROBE_IDENTIFY_ONLY 0x1u /* driver=kernel: find the volumes, parse none */
struct reader_probe {
    uint32_t filesystems;
    uint32_t flags;
    uint64_t test_hook; /* enum reader_test_hook; honoured only with --test-hooks */
};

/* The filesystems the reader knows, by their blkid TYPE (reader_fs_name). */
enum reader_fs {
    READER_FS_NONE = 0,
    READER_FS_VFAT,
    READER_FS_EXFAT,
    READER_FS_NTFS,
    READER_FS_EXT2,
    READER_FS_EXT3,
    READER_FS_EXT4,
    READER_FS_HFSPLUS,
    READER_FS_ISO9660,
    READER_FS_UDF, /* identified, not read (driver=kernel only) */
    READER_FS_END
};

/* MEDIUM: what the whole medium is. */
enum reader_medium_status {
    READER_MEDIUM_OK = 0,    /* volumes follow (some may still carry a problem) */
    READER_MEDIUM_NO_FS,     /* no filesystem, no partition table */
    READER_MEDIUM_AMBIGUOUS, /* more than one signature: could be read two ways */
    READER_MEDIUM_UNREADABLE,
    READER_MEDIUM_STATUS_END
};
struct reader_medium {
    uint32_t status;
    uint32_t n_volumes;
    char pttype[16]; /* "dos", "gpt", "mac", ... or "" (whole-disk filesystem) */
};                   /* + text: why not OK */

/* VOLUME: one partition or the whole-disk filesystem. */
enum reader_volume_status {
    READER_VOLUME_OK = 0,      /* opened: LISTDIR/READ work on it */
    READER_VOLUME_IDENTIFIED,  /* identified, not opened (IDENTIFY_ONLY) */
    READER_VOLUME_NO_FS,       /* nothing recognised on it */
    READER_VOLUME_AMBIGUOUS,   /* two signatures */
    READER_VOLUME_ENCRYPTED,   /* fstype is the encryption (crypto_LUKS, BitLocker, ...) */
    READER_VOLUME_UNSUPPORTED, /* a filesystem the reader does not read */
    READER_VOLUME_NOT_ALLOWED, /* not in PROBE's filesystems */
    READER_VOLUME_OUTSIDE,     /* the partition lies (partly) outside the medium */
    READER_VOLUME_UNREADABLE,  /* the filesystem could not be opened (damaged): text says */
    READER_VOLUME_STATUS_END
};
#define READER_VOLUME_LOCAL_TIMES 0x1u /* FAT: times are local wall-clock time (see ENTRY) */
struct reader_volume {
    uint32_t index;   /* 1-based, in order */
    uint32_t partno;  /* partition number, 0 = whole-disk filesystem */
    uint64_t offset;  /* bytes from the start of the medium */
    uint64_t size;    /* bytes */
    uint64_t root;    /* inode of the root folder (OK only) */
    uint64_t root_id; /* its identity (as reader_entry.id) */
    uint32_t status;  /* enum reader_volume_status */
    uint32_t flags;
    char fstype[32]; /* blkid TYPE: [a-zA-Z0-9_]*, NUL-terminated */
    char fsversion[32];
    char label[256]; /* as blkid read it (any bytes but NUL), NUL-terminated */
    char uuid[64];
}; /* + text: the problem, when not OK */

/* LISTDIR: the entries of folder INODE on VOLUME, at most MAX_ENTRIES. */
struct reader_listdir {
    uint32_t volume;
    uint32_t max_entries;
    uint64_t inode;
};

enum reader_type {
    READER_T_REG = 1,
    READER_T_DIR,
    READER_T_LNK,
    READER_T_CHR,
    READER_T_BLK,
    READER_T_FIFO,
    READER_T_SOCK,
    READER_T_OTHER,   /* a filesystem object that is none of the above */
    READER_T_STREAM,  /* a named data stream (NTFS) or resource fork (HFS+) of the entry
                       * before it; never read */
    READER_T_DAMAGED, /* a name whose metadata could not be read */
    READER_T_END
};
#define READER_E_MTIME 0x1u  /* mtime is set */
#define READER_E_CRTIME 0x2u /* crtime (creation) is set */
#define READER_E_LOCALTIME                                                                         \
    0x4u /* both are local wall-clock time, not UTC (FAT): the                                     \
          * service converts them with the kiosk's time zone */
#define READER_E_FLAGS_ALL 0x7u
struct reader_entry {
    uint64_t inode; /* what LISTDIR / READ ask for */
    uint64_t id;    /* identity on the volume: names of one file or folder share it (hard
                     * links; on FAT, entries that start at the same cluster: cross-links and
                     * folder cycles); never 0 */
    uint64_t size;  /* bytes of the (default) data */
    int64_t mtime;  /* seconds since the epoch */
    int64_t crtime;
    uint32_t mtime_ns, crtime_ns;
    uint32_t type;  /* enum reader_type */
    uint32_t flags; /* READER_E_* */
    uint32_t nlink;
    uint32_t zero;
}; /* + name: 1..READER_NAME_MAX bytes, no NUL, no '/', not "." or ".." */

enum reader_status {
    READER_OK = 0,
    READER_ERR_IO,        /* the medium could not be read (removed?) */
    READER_ERR_DAMAGED,   /* the filesystem structure is damaged here */
    READER_ERR_TRUNCATED, /* LISTDIR: more than max_entries */
    READER_ERR_CHANGED,   /* READ: not the file the listing showed (size, type) */
    READER_ERR_REQUEST,   /* a request it cannot serve (no such volume, not a folder) */
    READER_STATUS_END
};
struct reader_end {
    uint32_t status; /* enum reader_status */
    uint32_t zero;
    uint64_t count; /* DIR_END: ENTRY messages sent; READ_END: bytes sent */
};                  /* + text */

/* READ: the default data of regular file INODE, which the listing showed as SIZE bytes. */
struct reader_read {
    uint32_t volume;
    uint32_t zero;
    uint64_t inode;
    uint64_t size;
};

/* Test hooks (tests only: the service passes them only when its test hooks are on, and
 * the reader honours them only when started with --test-hooks). */
enum reader_test_hook {
    READER_HOOK_NONE = 0,
    READER_HOOK_SOCKET,   /* socket(AF_INET) at PROBE: seccomp must kill the reader */
    READER_HOOK_OPEN,     /* open("/etc/passwd") at PROBE; FAILED says what happened */
    READER_HOOK_CRASH,    /* SIGSEGV at the first READ */
    READER_HOOK_HANG,     /* never answer the first READ */
    READER_HOOK_NONSENSE, /* an ENTRY with a '/' in its name at the first LISTDIR */
    READER_HOOK_OVERSIZE, /* one byte more than the listing said at the first READ */
    READER_HOOK_END
};

/* ---- messages (msg.c) ------------------------------------------------------------- */

/* Send one message: header of TYPE, BODY (BODYLEN bytes), then VAR (VARLEN bytes).
 * 0 or -1 (errno). */
int reader_msg_send(int sock, enum reader_msg_type type, const void *body, size_t bodylen,
                    const void *var, size_t varlen);

/* A received message, checked for its shape: magic, a known type, the body size of that
 * type, the variable part within that type's maximum.  BODY and VAR point into the
 * receive buffer. */
struct reader_msg {
    enum reader_msg_type type;
    const void *body;
    size_t bodylen;
    const char *var;
    size_t varlen;
};

/* Check BUF (LEN bytes, one record) as a message.  0, or -1 with *why (static text). */
int reader_msg_parse(const void *buf, size_t len, struct reader_msg *m, const char **why);

/* Receive one record into BUF (READER_MSG_MAX bytes) and parse it.  Returns 1, 0 at EOF,
 * -1 on a receive error (errno) or a malformed message (errno EPROTO, *why). */
int reader_msg_recv(int sock, void *buf, struct reader_msg *m, const char **why);

/* The checks of the trusted side on the bodies (besides the shape).  Each returns NULL
 * when acceptable, else what is wrong (static text). */
const char *reader_check_entry(const struct reader_entry *e, const char *name, size_t namelen);
const char *reader_check_volume(const struct reader_volume *v, uint32_t index);
const char *reader_check_medium(const struct reader_medium *m);
const char *reader_check_end(const struct reader_end *e);
/* TEXT (LEN bytes) is printable ASCII of at most READER_TEXT_MAX bytes. */
const char *reader_check_text(const char *text, size_t len);
/* A NUL-terminated string inside FIELD (SIZE bytes) of [a-zA-Z0-9_.-] characters. */
bool reader_field_ok(const char *field, size_t size, bool any_bytes);

/* blkid TYPE of FS ("vfat", ...), or NULL; and back (READER_FS_NONE when unknown). */
const char *reader_fs_name(enum reader_fs fs);
enum reader_fs reader_fs_from_name(const char *name);

/* The reader process: `kiosk reader [--user UID:GID] [--root DIR] [--test-hooks] SIZE
 * SECTOR`; fd 3 the medium, fd 4 the channel (client.c starts it).  Never returns. */
int reader_main(int argc, char **argv) __attribute__((noreturn));

#endif

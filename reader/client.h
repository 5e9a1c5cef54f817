/* client.h - the service's side of the medium reader (the "monitor" of OpenSSH's privilege
 * separation): starts the reader process on a medium, asks it for the volumes, folder
 * listings and file contents, and re-checks every answer (reader.h has the protocol).
 *
 *     reader_client_start(fd, size, sector, &conf, &c, &why)   exec `kiosk reader`
 *     reader_client_probe(c, filesystems, flags, &medium, &why)
 *     reader_client_listdir(c, volume, inode, max, entry_fn, data, &why)   per folder
 *     reader_client_read(c, volume, inode, size, sink_fn, data, &why)      per file
 *     reader_client_free(c)
 *
 * One request at a time (requests from several threads wait for each other).  A reader
 * that crashes, hangs (no message for READER_TIMEOUT_MS) or sends anything malformed is
 * killed; that request fails, and the next one starts a fresh reader (at most
 * READER_CLIENT_RESTARTS times per medium), which must find the same volumes. */
#ifndef KIOSK_READER_CLIENT_H
#define KIOSK_READER_CLIENT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "reader/reader.h"

#define READER_CLIENT_RESTARTS 8

struct reader_client;

struct reader_client_conf {
    const char *user;     /* reader user when the service is root (must exist, not uid 0);
                           * NULL = READER_USER_DEFAULT */
    const char *root_dir; /* an empty folder its private root is mounted on (root only) */
    bool test_hooks;      /* pass KIOSK_READER_TEST_HOOK / _TIMEOUT_MS on (tests only) */
    volatile gint *stop;  /* may be NULL; non-zero: stop now (as reader_client_stop) */
};

/* One volume, as checked: strings valid UTF-8 (label) or clean ASCII (the others). */
struct reader_client_volume {
    uint32_t index, partno, status, flags;
    uint64_t offset, size, root, root_id;
    char *fstype, *fsversion, *label, *uuid;
    char *problem; /* the reader's text, or NULL */
};

struct reader_client_medium {
    uint32_t status;
    char *pttype; /* NULL for a whole-disk filesystem */
    char *text;   /* the reader's text, or NULL */
    struct reader_client_volume *volumes;
    uint32_t n_volumes;
};

/* Start a reader on MEDIUM_FD (opened read-only; SIZE bytes, SECTOR bytes per sector) and
 * wait until it has confined itself.  0, or a negative KERR_* with *why. */
int reader_client_start(int medium_fd, uint64_t size, unsigned sector,
                        const struct reader_client_conf *conf, struct reader_client **out,
                        char **why);

/* PROBE (once): the medium's volumes.  FILESYSTEMS: bit (1 << enum reader_fs) for each
 * filesystem the reader may open; FLAGS: READER_PROBE_*.  0 or KERR_* with *why. */
int reader_client_probe(struct reader_client *c, uint32_t filesystems, uint32_t flags,
                        struct reader_client_medium *out, char **why);
void reader_client_medium_clear(struct reader_client_medium *m);

/* Called for each entry of a listing (checked by reader_check_entry; NAME is LEN bytes,
 * NUL-terminated).  Return 0 to go on, anything else stops the listing (the rest of it
 * is drained). */
typedef int (*reader_client_entry_fn)(const struct reader_entry *e, const char *name, size_t len,
                                      void *data);

/* LISTDIR.  0 (every entry given), KERR_LIMIT (more than MAX_ENTRIES: those given are
 * the first MAX_ENTRIES), KERR_MEDIUM (the reader could not read the folder: *why says
 * why), KERR_SYSTEM (the reader failed: *why), KERR_CANCELLED. */
int reader_client_listdir(struct reader_client *c, uint32_t volume, uint64_t inode,
                          uint32_t max_entries, reader_client_entry_fn fn, void *data, char **why);

/* Called with the file's bytes in order; return 0 to go on (anything else: the read
 * fails with that code and the reader is stopped). */
typedef int (*reader_client_sink_fn)(const void *buf, size_t len, void *data);

/* READ the regular file INODE of VOLUME, which the listing showed with SIZE bytes: SINK
 * gets exactly SIZE bytes, or the call fails.  0, KERR_MEDIUM (*why: the reader's
 * reason), KERR_SYSTEM (the reader failed), KERR_CANCELLED, or SINK's code. */
int reader_client_read(struct reader_client *c, uint32_t volume, uint64_t inode, uint64_t size,
                       reader_client_sink_fn sink, void *data, char **why);

/* Stop now, from any thread (removal, time limit): the reader is killed, requests fail
 * with KERR_CANCELLED and no new reader is started. */
void reader_client_stop(struct reader_client *c);

/* Pid of the running reader, 0 when none. */
pid_t reader_client_pid(struct reader_client *c);

/* Stop the reader (EOF, then SIGKILL) and reap it.  NULL is a no-op. */
void reader_client_free(struct reader_client *c);

/* The program run as `PROGRAM reader ...` (default /proc/self/exe: this kiosk binary).
 * Tests whose binary is not the kiosk point it at build/kiosk. */
void reader_client_set_program(const char *path);

#endif

/* util.h - small helpers shared by the modules. */
#ifndef KIOSK_UTIL_H
#define KIOSK_UTIL_H

#include <dirent.h>
#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Lower-case hex SHA-256 of a buffer into out[65]. */
void util_sha256_hex(const void *data, size_t len, char out[65]);

/* SHA-256 (hex) of what is left to read from FD into out[65].  0 or KERR_SYSTEM. */
int util_sha256_fd(int fd, char out[65]);
/* SHA-256 of a whole file into out[65].  Returns 0 or KERR_SYSTEM. */
int util_sha256_file(const char *path, char out[65]);

/* fsync a folder (after creating, renaming or removing entries in it). */
int util_fsync_dir(const char *path);

/* mkdir -p with MODE for the folders it creates.  Returns 0 or KERR_SYSTEM. */
int util_mkdir_p(const char *path, mode_t mode);

/* Remove a tree without following symlinks (openat/unlinkat).  Returns 0 or KERR_SYSTEM. */
int util_rm_rf(const char *path);
/* The same for NAME below the folder DIRFD. */
int util_rm_rf_at(int dirfd, const char *name);

/* Current time as RFC 3339 UTC: "2026-11-22T02:15:00Z" (usec=false) or with
 * ".123456" (usec=true).  Newly allocated. */
char *util_time_rfc3339(gint64 unix_usec, bool usec);

/* Parse a size such as "512", "64K", "200M", "4G" (powers of 1024).  Returns true on
 * success. */
bool util_parse_size(const char *text, uint64_t *out);

/* Human-readable bytes ("1.5 MB", decimal units as people read them).  Newly allocated. */
char *util_format_bytes(uint64_t bytes);

/* Testing mode's hold points (a test waits for the evidence instead of racing it): open
 * FIFO for writing (blocks until the test reads), write "held TAG\n", then open it for
 * reading and wait until the test writes and closes it.  NULL FIFO: nothing. */
void util_test_hold(const char *fifo, const char *tag);

/* Write all of buf to fd, retrying on EINTR and short writes.  Returns 0 or KERR_SYSTEM. */
int util_write_all(int fd, const void *buf, size_t len);

/* read(2) retried on EINTR: bytes read, 0 at the end, -1 with errno. */
ssize_t util_read_retry(int fd, void *buf, size_t len);

/* Copy what is left to read from IN to OUT through BUF (SIZE bytes), EINTR and short
 * writes retried; SUM (may be NULL) gets every byte.  0, or KERR_SYSTEM with errno and
 * *WRITE_FAILED telling whether writing (true) or reading (false) failed. */
int util_copy_fd(int in, int out, void *buf, size_t size, GChecksum *sum, bool *write_failed);

/* A directory stream over a duplicate of the folder DIRFD (the caller keeps DIRFD and
 * closes the stream with closedir).  NULL with errno. */
DIR *util_opendir_at(int dirfd);

/* The names in the folder DIRFD but "." and "..", in readdir's order (newly allocated,
 * g_free each).  NULL with errno. */
GPtrArray *util_dir_names(int dirfd);

#endif

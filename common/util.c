#include "common/util.h"
#include "common/kerr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

void util_sha256_hex(const void *data, size_t len, char out[65])
{
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(c, data, len);
    g_strlcpy(out, g_checksum_get_string(c), 65);
    g_checksum_free(c);
}

int util_sha256_fd(int fd, char out[65])
{
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    char buf[65536];
    ssize_t n;
    int r = 0;
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r = KERR_SYSTEM;
            break;
        }
        g_checksum_update(c, (const guchar *)buf, (gsize)n);
    }
    if (r == 0)
        g_strlcpy(out, g_checksum_get_string(c), 65);
    g_checksum_free(c);
    return r;
}

int util_sha256_file(const char *path, char out[65])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return KERR_SYSTEM;
    int r = util_sha256_fd(fd, out);
    int saved = errno;
    close(fd);
    errno = saved;
    return r;
}

int util_fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return KERR_SYSTEM;
    int r = fsync(fd) == 0 ? 0 : KERR_SYSTEM;
    int saved = errno;
    close(fd);
    errno = saved;
    return r;
}

int util_mkdir_p(const char *path, mode_t mode)
{
    if (g_mkdir_with_parents(path, (int)mode) != 0)
        return KERR_SYSTEM;
    return 0;
}

static int util_rm_rf_depth(int dfd, const char *name, int depth)
{
    if (depth > 4096) {
        errno = ELOOP;
        return KERR_SYSTEM;
    }
    if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return KERR_SYSTEM;
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return KERR_SYSTEM;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return KERR_SYSTEM;
    }
    int r = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (util_rm_rf_depth(dirfd(d), de->d_name, depth + 1) != 0)
            r = KERR_SYSTEM;
    }
    closedir(d);
    if (unlinkat(dfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        r = KERR_SYSTEM;
    return r;
}

int util_rm_rf(const char *path)
{
    return util_rm_rf_depth(AT_FDCWD, path, 0);
}

int util_rm_rf_at(int dirfd, const char *name)
{
    return util_rm_rf_depth(dirfd, name, 0);
}

char *util_time_rfc3339(gint64 unix_usec, bool usec)
{
    GDateTime *dt = g_date_time_new_from_unix_utc(unix_usec / G_USEC_PER_SEC);
    char *base = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S");
    g_date_time_unref(dt);
    char *s;
    if (usec)
        s = g_strdup_printf("%s.%06dZ", base, (int)(unix_usec % G_USEC_PER_SEC));
    else
        s = g_strdup_printf("%sZ", base);
    g_free(base);
    return s;
}

bool util_parse_size(const char *text, uint64_t *out)
{
    if (!text)
        return false;
    while (g_ascii_isspace(*text))
        text++;
    if (!g_ascii_isdigit(*text))
        return false;
    errno = 0;
    char *end;
    guint64 v = g_ascii_strtoull(text, &end, 10);
    if (errno)
        return false;
    uint64_t mul = 1;
    switch (g_ascii_toupper(*end)) {
    case 'K':
        mul = 1ULL << 10;
        end++;
        break;
    case 'M':
        mul = 1ULL << 20;
        end++;
        break;
    case 'G':
        mul = 1ULL << 30;
        end++;
        break;
    case 'T':
        mul = 1ULL << 40;
        end++;
        break;
    default:
        break;
    }
    if (mul != 1 && (*end == 'B' || *end == 'b'))
        end++;
    while (g_ascii_isspace(*end))
        end++;
    if (*end != '\0')
        return false;
    if (v > UINT64_MAX / mul)
        return false;
    *out = v * mul;
    return true;
}

char *util_format_bytes(uint64_t bytes)
{
    return g_format_size(bytes);
}

void util_test_hold(const char *fifo, const char *tag)
{
    if (!fifo)
        return;
    int fd = open(fifo, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        char line[256];
        int n = snprintf(line, sizeof(line), "held %s\n", tag);
        if (n > 0 && util_write_all(fd, line, (size_t)MIN(n, (int)sizeof(line) - 1)) != 0) {
            /* the test went away: go on */
        }
        close(fd);
    }
    fd = open(fifo, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char b[64];
        while (read(fd, b, sizeof(b)) > 0) {
        }
        close(fd);
    }
}

int util_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return KERR_SYSTEM;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

ssize_t util_read_retry(int fd, void *buf, size_t len)
{
    ssize_t n;
    do
        n = read(fd, buf, len);
    while (n < 0 && errno == EINTR);
    return n;
}

int util_copy_fd(int in, int out, void *buf, size_t size, GChecksum *sum, bool *write_failed)
{
    for (;;) {
        ssize_t n = util_read_retry(in, buf, size);
        if (n < 0) {
            *write_failed = false;
            return KERR_SYSTEM;
        }
        if (n == 0)
            return 0;
        if (sum)
            g_checksum_update(sum, (const guchar *)buf, (gssize)n);
        if (util_write_all(out, buf, (size_t)n) != 0) {
            *write_failed = true;
            return KERR_SYSTEM;
        }
    }
}

DIR *util_opendir_at(int dirfd)
{
    int fd = dup(dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d && fd >= 0) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return d;
}

GPtrArray *util_dir_names(int dirfd)
{
    DIR *d = util_opendir_at(dirfd);
    if (!d)
        return NULL;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            g_ptr_array_add(names, g_strdup(de->d_name));
    closedir(d);
    return names;
}

/* fusermount-shim.c - kiosk-fusermount: the "fusermount" a FUSE driver finds when the kiosk
 * runs it without root (docs/privsep.md, "Filesystem drivers").
 *
 * libfuse 2 running as an ordinary user cannot mount(2).  It then runs /bin/fusermount
 * with _FUSE_COMMFD=<socket> in its environment and waits for the /dev/fuse descriptor of
 * the new mount to come back over that socket (SCM_RIGHTS).  The system's fusermount is
 * setuid root and would mount in the driver's own namespace; inside the driver's private
 * root this program is bound there instead.  The service (root) opened /dev/fuse itself
 * and the driver inherited that descriptor as KIOSK_FUSE_FD.  This program:
 *   1. sends "R" on KIOSK_FUSE_SYNC_FD: the driver has read the superblock and is ready;
 *   2. waits for "G": the service has mounted the descriptor on the real mount point
 *      (with its own options; the ones the driver asks for are ignored);
 *   3. hands the descriptor to libfuse over _FUSE_COMMFD and exits 0.
 * "-u" (unmount) succeeds without doing anything: the service unmounts.  It mounts
 * nothing, so running it by hand does nothing either.  It runs as the driver's user, in
 * the driver's confinement, and is no more trusted than the driver. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* A descriptor number from the environment, or -1. */
static int shim_env_fd(const char *name)
{
    const char *s = getenv(name);
    char *end = NULL;
    if (!s || !*s)
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0 || v > INT_MAX)
        return -1;
    return (int)v;
}

/* Send FD over SOCK the way fusermount does: one byte of data, one SCM_RIGHTS descriptor. */
static int shim_send_fd(int sock, int fd)
{
    char byte = 0;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = ctl.buf,
        .msg_controllen = sizeof(ctl.buf),
    };
    memset(&ctl, 0, sizeof(ctl));
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    ssize_t n;
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "-u") == 0)
            return 0; /* unmount: the service does it */

    int comm = shim_env_fd("_FUSE_COMMFD");
    int fuse = shim_env_fd("KIOSK_FUSE_FD");
    int sync = shim_env_fd("KIOSK_FUSE_SYNC_FD");
    if (comm < 0 || fuse < 0 || sync < 0) {
        fprintf(stderr, "kiosk-fusermount: only for FUSE drivers started by the kiosk "
                        "(_FUSE_COMMFD, KIOSK_FUSE_FD and KIOSK_FUSE_SYNC_FD are not set); "
                        "see docs/privsep.md\n");
        return 1;
    }
    char c = 'R';
    if (send(sync, &c, 1, MSG_NOSIGNAL) != 1) {
        fprintf(stderr, "kiosk-fusermount: cannot reach the kiosk service: %s\n", strerror(errno));
        return 1;
    }
    ssize_t n;
    do
        n = recv(sync, &c, 1, 0);
    while (n < 0 && errno == EINTR);
    if (n != 1 || c != 'G') {
        fprintf(stderr, "kiosk-fusermount: the kiosk service did not mount the filesystem\n");
        return 1;
    }
    if (shim_send_fd(comm, fuse) != 0) {
        fprintf(stderr, "kiosk-fusermount: cannot pass the FUSE descriptor to the driver: %s\n",
                strerror(errno));
        return 1;
    }
    return 0;
}

/* sockmsg.c - whole messages on a SEQPACKET socket (sockmsg.h). */
#include "common/sockmsg.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int sockmsg_send(int sock, const struct msghdr *msg, size_t total)
{
    for (;;) {
        ssize_t n = sendmsg(sock, msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if ((size_t)n != total) {
            errno = EPROTO;
            return -1;
        }
        return 0;
    }
}

ssize_t sockmsg_recv(int sock, struct msghdr *msg, struct iovec *iov, size_t iovlen, void *control,
                     size_t controllen)
{
    ssize_t n;
    do {
        memset(msg, 0, sizeof(*msg));
        msg->msg_iov = iov;
        msg->msg_iovlen = iovlen;
        msg->msg_control = control;
        msg->msg_controllen = controllen;
        n = recvmsg(sock, msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    return n;
}

size_t sockmsg_take_fds(struct msghdr *msg, int *fds, size_t maxfds, bool *extra)
{
    size_t got = 0;
    *extra = false;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int f;
            memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (got < maxfds) {
                fds[got++] = f;
            } else {
                close(f);
                *extra = true;
            }
        }
    }
    return got;
}

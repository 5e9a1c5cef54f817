/* sockmsg.h - whole messages on a SEQPACKET socket, the way the medium reader's channel
 * (reader/msg.c) and the scanner workers' sockets (scanner/worker.c) use them: a message
 * is sent whole or not at all, a signal does not cut a call short, and descriptors that
 * arrive are always taken, so none leaks whatever the verdict on the message.
 *
 * Called on both sides of a sandbox: only sendmsg, recvmsg and close, no allocation. */
#ifndef KIOSK_COMMON_SOCKMSG_H
#define KIOSK_COMMON_SOCKMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* sendmsg(MSG) with MSG_NOSIGNAL, again after EINTR.  0 when all TOTAL bytes went;
 * -1 with errno (EPROTO when fewer went). */
int sockmsg_send(int sock, const struct msghdr *msg, size_t total);

/* recvmsg into IOV (IOVLEN parts) with the control buffer CONTROL (CONTROLLEN bytes),
 * MSG_CMSG_CLOEXEC, again after EINTR.  *MSG is the header recvmsg filled (flags, control
 * messages).  Returns recvmsg's result. */
ssize_t sockmsg_recv(int sock, struct msghdr *msg, struct iovec *iov, size_t iovlen, void *control,
                     size_t controllen);

/* Take the descriptors that came with MSG: the first MAXFDS into FDS, the others closed
 * (*EXTRA then true).  Returns how many went into FDS. */
size_t sockmsg_take_fds(struct msghdr *msg, int *fds, size_t maxfds, bool *extra);

#endif

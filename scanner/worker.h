/* worker.h - the unprivileged side of the scanner: the zygote that holds the compiled
 * engine and the worker processes it forks, and the wire protocol both sides speak.
 *
 * The service side (pool.c) is the only peer.  docs/privsep.md describes the protocol in
 * words; these structs are its definition.  Every message is one SOCK_SEQPACKET record of
 * exactly the struct's size; anything else is a protocol error.
 *
 *   service <-> zygote   (control socketpair, trusted both ways: the zygote has parsed
 *                         nothing but the signature database)
 *       zygote  -> READY {info} | FAILED {text}          once, after the engine compiled
 *       service -> SPAWN                                  fork one worker
 *       zygote  -> SPAWNED {pid} + SCM_RIGHTS(socket)     | FAILED {text}
 *       service -> RETIRE {pid}                           SIGKILL + waitpid that worker
 *       zygote  -> RETIRED {pid, status}                  | FAILED {text}
 *       EOF from the service: the zygote kills its workers and exits.
 *
 *   service <-> worker   (one socketpair per worker; the worker is UNTRUSTED once it has
 *                         looked at a file: the service re-checks every reply field)
 *       worker  -> reply {id 0, CLEAN}                    hello: sandbox entered
 *                | reply {id 0, ERROR, why}               could not confine itself
 *       service -> request {id, name, edifact} + SCM_RIGHTS(fd)  scan this (read-only) file
 *       worker  -> reply {id, kind, reason, mime, why}    libmagic's type of the file and
 *                                                         verdict_from_clamav() result
 *                                                         (why: its reason code and
 *                                                         parameters, common/reason.h)

 *                                                         (type_only: the type, kind CLEAN)
 *       worker  -> edifact {id, summary}                  only when request.edifact != 0:
 *                                                         edifact_examine_fd() of the file
 *       EOF from the service: the worker exits.
 *   The EDIFACT summary is a separate message of fixed size so the verdict reply stays as
 *   it is; the service checks it (edifact_summary_check) like every other field.
 *
 *   Content disarm, a request of its own beside the scan (sanitize.h, kiosk/disarm.c):
 *       service -> sanitize {id, format, mode, limits, name}
 *                  + SCM_RIGHTS(original read-only, copy write-only)   (CHECK: original only)
 *       worker  -> sanitized {id, status, removed, family, size, reason}
 *   The copy is an empty file of the service's spool; the worker writes into it and never
 *   learns where it is.  The service re-checks the answer (sanitize_result_check, the
 *   copy's real size), then has another worker type and scan the copy (a scan request). */
#ifndef KIOSK_SCANNER_WORKER_H
#define KIOSK_SCANNER_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "scanner/edifact.h"
#include "scanner/sandbox.h"
#include "scanner/sanitize.h"
#include "scanner/scanner.h"
#include "scanner/verdict.h"

#define WORKER_REQUEST_MAGIC 0x4b535251u /* "KSRQ" */
#define WORKER_REPLY_MAGIC 0x4b535250u   /* "KSRP" */
#define WORKER_EDIFACT_MAGIC 0x4b534544u /* "KSED" */

/* worker_request.edifact */
#define WORKER_EDIFACT_READ 1u    /* read the file as EDIFACT if it starts like an interchange */
#define WORKER_EDIFACT_BY_NAME 2u /* ... or whatever it starts with: its name says EDIFACT */
#define WORKER_NAME_MAX 256
#define WORKER_MIME_MAX 128

/* Test hooks (tests/unit/test_pool.c): the worker misbehaves on purpose before scanning.
 * Honoured only by workers of a pool created after scanner_pool_enable_test_hooks(). */
enum worker_test_hook {
    WORKER_HOOK_NONE = 0,
    WORKER_HOOK_SOCKET,   /* socket(AF_INET): seccomp must kill the worker */
    WORKER_HOOK_EXECVE,   /* execve("/bin/sh"): seccomp must kill the worker */
    WORKER_HOOK_HANG,     /* never answer (block on the socket) */
    WORKER_HOOK_CRASH,    /* SIGSEGV */
    WORKER_HOOK_NONSENSE, /* a reply with an out-of-range verdict kind */
    WORKER_HOOK_STALE,    /* a well-formed reply for another request id */
    WORKER_HOOK_OPEN,     /* try to open /etc/passwd and report what happened */
    WORKER_HOOK_EDIFACT_NONSENSE, /* an EDIFACT summary with an unterminated string */
};

struct worker_request {
    uint32_t magic;
    uint32_t test_hook;         /* enum worker_test_hook */
    uint64_t id;                /* never 0 */
    char name[WORKER_NAME_MAX]; /* for libclamav's logs only, NUL-terminated */
    uint32_t edifact;           /* WORKER_EDIFACT_* flags; 0 = no EDIFACT message */
    uint32_t type_only;         /* 1: libmagic only, no scan (a verdict-cache hit);
                                   the reply's kind is then CLEAN (typed) or ERROR */
};

struct worker_reply {
    uint32_t magic;
    uint32_t kind;                   /* enum verdict_kind: CLEAN, INFECTED, BLOCKED or ERROR */
    uint64_t id;                     /* the request's id; 0 = hello */
    char reason[VERDICT_REASON_MAX]; /* NUL-terminated printable ASCII */
    /* libmagic's MIME type of the file ("type/subtype"; "" in the hello, or when the
     * worker has no type detection).  Type detection runs here, confined, not in the
     * service: the service re-checks the text and applies the policy to it. */
    char mime[WORKER_MIME_MAX];
    /* The verdict's reason code and parameters (common/reason.h): code "" for CLEAN, a
     * known code for INFECTED and BLOCKED, a known code or "" for ERROR (then the service
     * records reason under "scan.worker-error"); parameters printable ASCII, none beyond
     * the code's count.  The service re-checks it (reason_data_check) and rebuilds the
     * English sentence from it: reason is only compared, never shown. */
    struct reason_data why;
};

#define WORKER_SANITIZE_MAGIC 0x4b534451u  /* "KSDQ" */
#define WORKER_SANITIZED_MAGIC 0x4b534450u /* "KSDP" */

struct worker_sanitize {
    uint32_t magic;
    uint32_t format; /* enum sanitize_format: OOXML or PDF */
    uint64_t id;     /* never 0; shares the scan requests' counter */
    uint32_t mode;   /* enum sanitize_mode: CHECK (one fd) or REWRITE (two fds) */
    uint32_t reserved;
    struct sanitize_limits limits;
    char name[WORKER_NAME_MAX]; /* for logs only, NUL-terminated */
};

struct worker_sanitized {
    uint32_t magic;
    uint32_t status;                 /* enum sanitize_status */
    uint64_t id;                     /* the request's id */
    uint32_t removed;                /* enum sanitize_removed bits */
    uint32_t family;                 /* enum sanitize_family */
    uint64_t size;                   /* bytes written to the copy */
    char reason[VERDICT_REASON_MAX]; /* REFUSED: why, printable ASCII; else "" */
};

/* Sent after the reply when the request asked (request.edifact != 0). */
struct worker_edifact {
    uint32_t magic;                 /* WORKER_EDIFACT_MAGIC */
    uint32_t reserved;              /* 0 */
    uint64_t id;                    /* the request's id */
    struct edifact_summary summary; /* EDIFACT_NONE when the file is not EDIFACT */
};

enum zygote_op {
    ZYGOTE_READY = 1,
    ZYGOTE_FAILED,
    ZYGOTE_SPAWN,
    ZYGOTE_SPAWNED,
    ZYGOTE_RETIRE,
    ZYGOTE_RETIRED,
};

struct zygote_msg {
    uint32_t op;              /* enum zygote_op */
    int32_t pid;              /* SPAWNED, RETIRE, RETIRED */
    int32_t status;           /* RETIRED: waitpid() status */
    char text[512];           /* FAILED: why */
    struct scanner_info info; /* READY */
};

/* Everything the zygote needs; the spawner receives it by value (spawner.c) and the
 * zygote inherits it by fork(). */
struct worker_conf {
    char *dbdir;              /* absolute */
    struct scanner_opts opts; /* opts.tmpdir is ignored: "." (see docs/privsep.md) */
    struct sandbox_conf sandbox;
    bool test_hooks;
};

/* One message of exactly LEN bytes, with FD (>= 0) passed by SCM_RIGHTS.  0 or -1. */
int worker_msg_send(int sock, const void *buf, size_t len, int fd);

/* The same with up to NFDS descriptors (NFDS <= 4). */
int worker_msg_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds);

/* Receive one message of at most LEN bytes with at most MAXFDS descriptors into FDS
 * (*NFDS how many): returns its size, 0 at EOF, or -1 (EPROTO: longer than LEN, truncated,
 * too many fds; none of them leaks). */
ssize_t worker_msg_recv_fds(int sock, void *buf, size_t len, int *fds, size_t maxfds, size_t *nfds);

/* Receive one message of exactly LEN bytes: returns LEN, 0 at EOF, or -1 (errno; EPROTO
 * for a message of another size, a truncated one, more than one fd, or an fd when FD is
 * NULL).  *FD (if FD) gets the passed fd or -1.  Passed fds never leak. */
ssize_t worker_msg_recv(int sock, void *buf, size_t len, int *fd);

/* Body of the zygote process: chdir to the pool's temp folder, load and compile the
 * engine, report READY, then serve SPAWN/RETIRE on CTL until EOF.  Never returns. */
void worker_zygote_main(int ctl, const struct worker_conf *conf) __attribute__((noreturn));

#endif

/* kerr.h - error codes shared by the library-like modules (policy, scanner, media,
 * staging, audit).  Functions return 0 or one of these negative values; kerr_str()
 * turns a code into text for logs (the OpenSSH ssherr.h / ClamAV cl_strerror idea). */
#ifndef KIOSK_KERR_H
#define KIOSK_KERR_H

enum kerr {
    KERR_OK = 0,
    KERR_NOMEM = -1,          /* out of memory */
    KERR_SYSTEM = -2,         /* a system call failed; errno is kept */
    KERR_INVAL = -3,          /* invalid argument or input */
    KERR_POLICY = -4,         /* the policy file is invalid */
    KERR_NO_SIGNATURES = -5,  /* no signatures could be loaded */
    KERR_ENGINE = -6,         /* libclamav failed to build the engine */
    KERR_NO_FS = -7,          /* the medium has no filesystem */
    KERR_AMBIGUOUS = -8,      /* the probe found more than one filesystem signature */
    KERR_ENCRYPTED = -9,      /* encrypted volume (BitLocker, LUKS, ...) */
    KERR_UNSUPPORTED_FS = -10,/* a filesystem the kiosk does not read */
    KERR_MOUNT = -11,         /* mounting failed */
    KERR_TIMEOUT = -12,       /* a step did not finish in time */
    KERR_MEDIUM = -13,        /* the medium could not be read (removed, I/O error) */
    KERR_STAGING = -14,       /* the staging share could not be written */
    KERR_AUDIT = -15,         /* the audit log could not be written */
    KERR_CORRUPT = -16,       /* a record or file failed its integrity check */
    KERR_LIMIT = -17,         /* a configured limit was reached */
    KERR_CANCELLED = -18,     /* the session was cancelled */
    KERR_NOT_FOUND = -19,     /* no such file, session or device */
};

const char *kerr_str(int code);

#endif

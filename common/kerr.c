#include "kerr.h"

static const struct {
    int code;
    const char *text;
} kerr_table[] = {
    {KERR_OK, "success"},
    {KERR_NOMEM, "out of memory"},
    {KERR_SYSTEM, "system error"},
    {KERR_INVAL, "invalid argument"},
    {KERR_POLICY, "invalid policy"},
    {KERR_NO_SIGNATURES, "no virus signatures loaded"},
    {KERR_ENGINE, "scan engine failed"},
    {KERR_NO_FS, "no filesystem found"},
    {KERR_AMBIGUOUS, "ambiguous filesystem signature"},
    {KERR_ENCRYPTED, "encrypted volume"},
    {KERR_UNSUPPORTED_FS, "unsupported filesystem"},
    {KERR_MOUNT, "mount failed"},
    {KERR_TIMEOUT, "timed out"},
    {KERR_MEDIUM, "medium unreadable"},
    {KERR_STAGING, "staging share not writable"},
    {KERR_AUDIT, "audit log not writable"},
    {KERR_CORRUPT, "integrity check failed"},
    {KERR_LIMIT, "limit reached"},
    {KERR_CANCELLED, "cancelled"},
    {KERR_NOT_FOUND, "not found"},
};

const char *kerr_str(int code)
{
    for (unsigned i = 0; i < sizeof(kerr_table) / sizeof(kerr_table[0]); i++)
        if (kerr_table[i].code == code)
            return kerr_table[i].text;
    return "unknown error";
}

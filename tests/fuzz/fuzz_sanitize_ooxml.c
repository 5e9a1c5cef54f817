/* libFuzzer target: the Office (OOXML) sanitizer on hostile bytes, as a scanner worker runs it. The
 * answer must pass the service's own check (sanitize_result_check): a copy only with
 * what was removed and its size, a refusal only with a printable reason. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "scanner/sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int out = -1;
    struct sanitize_limits lim;
    struct sanitize_result r;
    if (out < 0)
        out = open("/dev/null", O_WRONLY | O_CLOEXEC);
    /* small limits: the fuzzer's inputs are small, and so should a bomb's reach be */
    sanitize_limits_default(&lim, 1 << 20, 8 << 20, 2000);
    lim.max_objects = 100000;
    enum sanitize_mode mode = size > 0 && (data[size - 1] & 1) ? SANITIZE_CHECK : SANITIZE_REWRITE;
    sanitize_ooxml(data, size, mode, mode == SANITIZE_REWRITE ? out : -1, &lim, &r);
    if (sanitize_result_check(&r, SANITIZE_OOXML, mode) != NULL)
        abort();
    return 0;
}

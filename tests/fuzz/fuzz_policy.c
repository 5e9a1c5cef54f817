/* libFuzzer target: the policy file parser (admin input, and the payload of signed policy
 * updates).  Every input must either load or report at least one error, never crash. */
#include <stdint.h>
#include <stdlib.h>

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct policy *p = NULL;
    GPtrArray *errs = g_ptr_array_new_with_free_func(policy_error_free);
    int r = policy_load_data((const char *)data, size, "fuzz.conf", &p, errs);
    if (r == 0) {
        const char *rule = NULL;
        char *reason = NULL;
        (void)policy_decide_file(p, "x.pdf", "application/pdf", &rule, &reason);
        g_free(reason);
        (void)policy_skip_name(p, "$RECYCLE.BIN");
        (void)policy_filesystem_allowed(p, "vfat");
        policy_free(p);
    } else if (errs->len == 0) {
        abort(); /* a refusal must say why */
    }
    g_ptr_array_free(errs, TRUE);
    return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdlib.h>

#include "redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *out = NULL;
        size_t n;
        if (redact_text((const char *) data, size, REDACT_ALL, &out, &n, NULL) >= 0) {
                if (n > size + 7)
                        abort();
                free(out);
        }
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stack-frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        StackFrame *f = NULL;
        size_t n = 0;
        if (stack_frames_parse((const char *) data, size, 1000, &f, &n) < 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                if (!f[i].function || !f[i].function[0])
                        abort();
                if (f[i].build_id[0] && !f[i].module)
                        abort();
        }
        stack_frames_free(f, n);
        return 0;
}

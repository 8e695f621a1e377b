/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyze-json.h"
#include "analyze.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        CrashAnalysis *a = NULL;
        if (crash_analyze((const char *) data, size, &a) < 0)
                return 0;
        /* Every output must be well formed: the title is never NULL, frames are bounded. */
        if (!a->title || !a->type || a->n_frames > 64)
                abort();
        /* Normalization lengthens titles ("1" -> "NUM") and then cuts them to 120 bytes. */
        if (strlen(a->title) > 120)
                abort();
        char *json = crash_analysis_to_json_string(a);
        free(json);
        char *stack = crash_analysis_stack_string(a);
        free(stack);
        crash_analysis_free(a);
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "build-ids.h"
#include "report-json.h"
#include "stack-frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What symbolization reads of a device's report: the frames of its crash
 * text, its "Modules linked in:" list, and its report.json's crash text
 * and build ids. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        StackFrame *f = NULL;
        size_t n = 0;
        if (stack_frames_parse((const char *) data, size, 1000, &f, &n) >= 0) {
                for (size_t i = 0; i < n; i++) {
                        if (!f[i].function || !f[i].function[0])
                                abort();
                        if (f[i].build_id[0] && !f[i].module)
                                abort();
                }
                stack_frames_free(f, n);
        }

        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        char **names = NULL;
        size_t n_names = 0;
        (void) build_ids_linked_modules(text, &names, &n_names);
        for (size_t i = 0; i < n_names; i++) {
                if (!names[i][0])
                        abort();
                free(names[i]);
        }
        free(names);
        free(text);

        char *note = NULL;
        BuildIds ids = {};
        if (report_json_symbolize_input((const char *) data, size, &note, &ids) >= 0) {
                for (size_t i = 0; i < ids.n_modules; i++)
                        if (!build_id_is_valid(ids.modules[i].id))
                                abort();
                free(note);
                build_ids_done(&ids);
        }
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdlib.h>

#include "upload-json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        for (int allow_http = 0; allow_http < 2; allow_http++) {
                StartAnswer a;
                const char *why = NULL;
                if (start_answer_parse((const char *) data, size, allow_http, &a, &why) >= 0) {
                        if (a.n_pairs < 1 || a.n_pairs > START_MAX_PAIRS || !a.url || !a.gid)
                                abort();
                        start_answer_done(&a);
                } else if (!why)
                        abort();
        }
        UploadFields f;
        if (upload_fields_from_report((const char *) data, size, &f) >= 0)
                upload_fields_done(&f);
        return 0;
}

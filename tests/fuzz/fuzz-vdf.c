/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdlib.h>

#include "vdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        VdfNode *root = NULL;
        unsigned line;
        if (vdf_parse((const char *) data, size, &root, &line) >= 0)
                vdf_free(root);
        char *name = NULL, *id = NULL;
        if (steam_most_recent_account((const char *) data, size, &name, &id) >= 0) {
                free(name);
                free(id);
        }
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdlib.h>

#include "elf-note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char hex[BUILD_ID_HEX_MAX];
        if (elf_notes_build_id(data, size, hex) >= 0 && !build_id_is_valid(hex))
                abort();
        if (elf_file_build_id(data, size, hex) >= 0 && !build_id_is_valid(hex))
                abort();
        return 0;
}

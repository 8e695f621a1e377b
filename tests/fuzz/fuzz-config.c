/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        KcrashConfig c;
        ConfigError e;
        if (config_init_defaults(&c) < 0)
                return 0;
        (void) config_parse(&c, (const char *) data, size, NULL, NULL, &e);
        config_done(&c);
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "kcrashctl.h"
#include "macro.h"

/* kcrashctl config: validates the file (errors name file, line and key) and
 * prints the effective value of every key, so an admin sees the defaults too. */
int verb_config(Context *ctx, int argc, char **argv) {
        int r = context_load_config(ctx);
        if (r != 0)
                return r;
        for (size_t i = 0; i < config_keys_count; i++) {
                const ConfigKey *k = &config_keys[i];
                const void *field = (const char *) &ctx->config + k->offset;
                switch (k->type) {
                case CONFIG_STRING:
                        printf("%s=\"%s\"\n", k->name, strempty(*(char *const *) field));
                        break;
                case CONFIG_BOOL:
                        printf("%s=%d\n", k->name, *(const bool *) field);
                        break;
                case CONFIG_UINT:
                case CONFIG_SIZE:
                        printf("%s=%" PRIu64 "\n", k->name, *(const uint64_t *) field);
                        break;
                }
        }
        return EXIT_OK;
}

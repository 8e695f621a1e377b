/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "kcrashctl.h"
#include "log.h"
#include "offload.h"
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
        /* What KDUMP_FOLDER means here and now (kdump(5), "THE OFFLOAD FOLDER"). */
        OffloadFolder live = {};
        r = offload_resolve(ctx->root, &ctx->config, &live);
        if (r < 0) {
                log_error_errno(r, "Cannot resolve KDUMP_FOLDER=\"%s\": %m", ctx->config.kdump_folder);
                return EXIT_CONFIG;
        }
        printf("# offload folder: %s (%s", live.path, offload_how_to_string(live.how));
        if (live.mount_point)
                printf("; MOUNT_DEVNODE is mounted at %s, the folder is %s inside it", live.mount_point, strempty(live.relative));
        printf(")\n");
        if (offload_how_is_suspect(live.how))
                log_warning("MOUNT_DEVNODE=\"%s\" is not mounted: the crash kernel's captures will not be found in %s.",
                            ctx->config.mount_devnode, live.path);
        _cleanup_free_ char *recorded = NULL;
        if (offload_record_read(ctx->root, &recorded) >= 0) {
                printf("# recorded at boot (%s): %s\n", OFFLOAD_RECORD, recorded);
                if (!streq(recorded, live.path))
                        log_warning("The folder recorded at boot (%s) differs from the configuration's (%s): "
                                    "the programs use the recorded one until `kcrashctl load` runs again.",
                                    recorded, live.path);
        }
        offload_folder_done(&live);
        return EXIT_OK;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "kcrashctl.h"
#include "fileio.h"
#include "log.h"
#include "spool.h"

/* kcrashctl clean: applies the retention now (OFFLOAD_MAX_SIZE): the oldest
 * sent reports go until the report folders fit; unsent ones are never
 * removed for space. */
int verb_clean(Context *ctx, int argc, char **argv) {
        if (argc > 1) {
                log_error("clean takes no arguments.");
                return EXIT_USAGE;
        }
        /* Through the folder as set up, not through the folders above it,
         * which may be a user's to swap (attack review: a sent_logs of
         * theirs led root to remove ZIPs anywhere). */
        const char *offload;
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *pinned = NULL;
        int r = context_offload_pinned(ctx, &offload, &fd, &pinned);
        if (r != 0)
                return r;
        unsigned removed = 0;
        r = spool_retention(pinned, ctx->config.offload_max_size, &removed);
        if (r < 0) {
                log_error_errno(r, "Cannot apply the retention in \"%s\": %m", offload);
                return EXIT_FAILURE_;
        }
        if (ctx->json)
                printf("{\"removed\": %u}\n", removed);
        else
                printf("Removed %u sent report(s) to keep the offload folder under OFFLOAD_MAX_SIZE.\n", removed);
        return EXIT_OK;
}

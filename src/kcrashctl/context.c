/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "fileio.h"
#include "kcrashctl.h"
#include "log.h"

static void config_warn(void *userdata, unsigned line, const char *key, const char *message) {
        log_warning("%s:%u: %s: %s", (const char *) userdata, line, key, message);
}

char *context_path(const Context *ctx, const char *path) {
        char *p = path_in_root(ctx->root, path);
        if (!p) {
                log_oom();
                exit(EXIT_FAILURE_);
        }
        return p;
}

int context_load_config(Context *ctx) {
        _cleanup_free_ char *path = NULL;
        ConfigError e = {};
        int r;

        if (ctx->config_loaded)
                return 0;
        path = ctx->config_path ? strdup(ctx->config_path) : context_path(ctx, "/etc/default/kdump");
        if (!path)
                return log_oom(), EXIT_FAILURE_;
        r = config_load(&ctx->config, path, config_warn, path, &e);
        if (r == -EINVAL) {
                log_error("%s:%u: %s: %s", path, e.line, e.key[0] ? e.key : "(line)", e.message);
                return EXIT_CONFIG;
        }
        if (r < 0) {
                log_error_errno(r, "Failed to read configuration \"%s\": %m", path);
                return EXIT_CONFIG;
        }
        ctx->config_loaded = true;
        return 0;
}

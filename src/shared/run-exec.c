/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <unistd.h>

#include "build-config.h"
#include "log.h"
#include "run.h"
#include "test-hooks.h"

int exec_service_program(const char *name, char **argv) {
        /* The installed programs; a test build may point at its build tree. */
        const char *dir = test_hook_getenv("KCRASH_LIBEXEC_DIR");
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s", dir ? dir : KCRASH_LIBEXECDIR "/kcrash", name) < 0)
                return log_oom();
        argv[0] = path;
        fflush(stdout);
        execv(path, argv);
        log_error_errno(negative_errno(), "Cannot run \"%s\": %m", path);
        return EXIT_FAILURE_;
}

int service_argv(const Context *ctx, bool print, bool once, char **argv, size_t max) {
        size_t n = 0;
        if (max < 12)
                return -ENOBUFS;
        argv[n++] = NULL;
        if (ctx->root) {
                argv[n++] = (char *) "--root";
                argv[n++] = (char *) ctx->root;
        }
        if (ctx->config_path) {
                argv[n++] = (char *) "--config";
                argv[n++] = (char *) ctx->config_path;
        }
        if (ctx->verbose)
                argv[n++] = (char *) "--verbose";
        if (print)
                argv[n++] = (char *) "--print";
        if (once)
                argv[n++] = (char *) "--once";
        if (ctx->now)
                argv[n++] = (char *) "--now";
        if (ctx->retry_parked)
                argv[n++] = (char *) "--parked";
        argv[n] = NULL;
        return (int) n;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kcrashctl.h"
#include "log.h"
#include "run.h"

/* kcrashctl collect and submit run the services' own programs, so the same
 * privilege rules hold whoever starts them: the collector never links the
 * network library, and the uploader never runs as root. */

int verb_collect(Context *ctx, int argc, char **argv) {
        char *args[16];
        if (argc > 1) {
                log_error("collect takes no arguments.");
                return EXIT_USAGE;
        }
        if (service_argv(ctx, true, false, args, ELEMENTSOF(args)) < 0)
                return EXIT_FAILURE_;
        return exec_service_program("kcrash-collect", args);
}

int verb_submit(Context *ctx, int argc, char **argv) {
        char *args[16];
        if (argc > 1) {
                log_error("submit takes no arguments.");
                return EXIT_USAGE;
        }
        if (service_argv(ctx, false, true, args, ELEMENTSOF(args)) < 0)
                return EXIT_FAILURE_;
        return exec_service_program("kcrash-submit", args);
}

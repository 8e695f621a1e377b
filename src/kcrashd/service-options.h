/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "cli.h"

/* The options every service program takes (kcrashd, kcrash-collect,
 * kcrash-submit): --root, --config, --verbose, --help, --version, plus the
 * mode flags of the two programs. */
typedef struct ServiceOptions {
        Context ctx;
        bool print;  /* kcrash-collect --print: one "id<TAB>headline<TAB>path" line per report */
        bool once;   /* kcrash-submit --once: drain the queue once and exit; kcrash-watch --once */
        const char *mark; /* kcrash-collect --mark-boot/--mark-shutdown: the state written, else NULL */
        int first_arg; /* optind after parsing */
} ServiceOptions;

/* Returns -1 to continue, else an exit status (after --help, --version, or a usage error). */
int service_parse_options(const char *program, void (*help)(void), int argc, char **argv, ServiceOptions *ret);

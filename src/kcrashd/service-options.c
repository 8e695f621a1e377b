/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <stdio.h>

#include "build-config.h"
#include "log.h"
#include "service-options.h"
#include "unclean.h"

int service_parse_options(const char *program, void (*help)(void), int argc, char **argv, ServiceOptions *ret) {
        enum { ARG_VERSION = 0x100, ARG_PRINT, ARG_ONCE, ARG_NOW, ARG_PARKED, ARG_MARK_BOOT, ARG_MARK_SHUTDOWN };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "root", required_argument, NULL, 'r' },
                { "config", required_argument, NULL, 'c' },
                { "verbose", no_argument, NULL, 'v' },
                { "print", no_argument, NULL, ARG_PRINT },
                { "once", no_argument, NULL, ARG_ONCE },
                { "now", no_argument, NULL, ARG_NOW },
                { "parked", no_argument, NULL, ARG_PARKED },
                { "mark-boot", no_argument, NULL, ARG_MARK_BOOT },
                { "mark-shutdown", no_argument, NULL, ARG_MARK_SHUTDOWN },
                {}
        };
        int c;
        while ((c = getopt_long(argc, argv, "hr:c:v", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case ARG_VERSION:
                        printf("%s %s\n", program, PACKAGE_VERSION);
                        return EXIT_OK;
                case 'r':
                        ret->ctx.root = optarg;
                        break;
                case 'c':
                        ret->ctx.config_path = optarg;
                        break;
                case 'v':
                        ret->ctx.verbose = true;
                        log_set_max_level(LOG_DEBUG);
                        break;
                case ARG_PRINT:
                        ret->print = true;
                        break;
                case ARG_ONCE:
                        ret->once = true;
                        break;
                case ARG_MARK_BOOT:
                        ret->mark = SHUTDOWN_MARK_RUNNING;
                        break;
                case ARG_MARK_SHUTDOWN:
                        ret->mark = SHUTDOWN_MARK_CLEAN;
                        break;
                case ARG_NOW:
                        ret->ctx.now = true;
                        break;
                case ARG_PARKED:
                        ret->ctx.retry_parked = true;
                        break;
                default:
                        return EXIT_USAGE;
                }
        ret->first_arg = optind;
        return -1;
}

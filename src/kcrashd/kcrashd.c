/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "build-config.h"
#include "kcrashd.h"
#include "log.h"

/* kcrashd: the service side of kcrash. One binary, one mode per unit:
 *   collect  runs as root without network (kcrash-collect.service)
 *   submit   runs unprivileged with network (kcrash-submit.service)
 * so the privileged collector never parses anything from the network. */

static void help(void) {
        printf("Usage: kcrashd [OPTIONS] collect|submit\n\n"
               "  collect   turn pstore records and kdump captures into report ZIPs, then remove\n"
               "            the records (run as root, without network)\n"
               "  submit    upload queued reports, then wait for new ones and for retries\n"
               "            (a long-running service; never as root)\n\n"
               "Options:\n"
               "  -h --help          show this help\n"
               "     --version       show the version\n"
               "  -r --root DIR      prefix every path read or written with DIR\n"
               "  -c --config FILE   configuration file (default: ROOT/etc/default/kdump)\n"
               "  -v --verbose       log debug messages\n");
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                { "root", required_argument, NULL, 'r' },
                { "config", required_argument, NULL, 'c' },
                { "verbose", no_argument, NULL, 'v' },
                {}
        };
        Context ctx = {};
        int c, r;

        log_set_program("kcrashd");
        while ((c = getopt_long(argc, argv, "hr:c:v", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case 'V':
                        printf("kcrashd %s\n", PACKAGE_VERSION);
                        return EXIT_OK;
                case 'r':
                        ctx.root = optarg;
                        break;
                case 'c':
                        ctx.config_path = optarg;
                        break;
                case 'v':
                        log_set_max_level(LOG_DEBUG);
                        break;
                default:
                        return EXIT_USAGE;
                }
        if (optind != argc - 1) {
                log_error("Expected exactly one mode (collect or submit); see kcrashd --help.");
                return EXIT_USAGE;
        }
        const char *mode = argv[optind];
        if (streq(mode, "collect"))
                r = run_collect(&ctx, false);
        else if (streq(mode, "submit"))
                r = run_submit_daemon(&ctx);
        else {
                log_error("Unknown mode \"%s\"; see kcrashd --help.", mode);
                r = EXIT_USAGE;
        }
        if (ctx.config_loaded)
                config_done(&ctx.config);
        return r;
}

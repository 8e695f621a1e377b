/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "run.h"
#include "service-options.h"

/* kcrashd: the service side of kcrash, one mode per unit, each its own
 * program so that privileges and libraries stay apart:
 *   collect  → kcrash-collect: root, no network, links no network library
 *   submit   → kcrash-submit: never root, the only program linking libcurl
 * kcrashd itself only picks the program. */

static void help(void) {
        printf("Usage: kcrashd [OPTIONS] collect|submit\n\n"
               "  collect   turn pstore records and kdump captures into report ZIPs, then remove\n"
               "            the records (run as root, without network)\n"
               "  submit    upload queued reports, then wait for new ones and for retries\n"
               "            (a long-running service; as root it becomes the kcrash user first)\n\n"
               "Options:\n"
               "  -h --help          show this help\n"
               "     --version       show the version\n"
               "  -r --root DIR      prefix every path read or written with DIR\n"
               "  -c --config FILE   configuration file (default: ROOT/etc/default/kdump)\n"
               "  -v --verbose       log debug messages\n");
}

int main(int argc, char **argv) {
        ServiceOptions o = {};
        log_set_program("kcrashd");
        int r = service_parse_options("kcrashd", help, argc, argv, &o);
        if (r >= 0)
                return r;
        if (o.first_arg != argc - 1) {
                log_error("Expected exactly one mode (collect or submit); see kcrashd --help.");
                return EXIT_USAGE;
        }
        const char *mode = argv[o.first_arg];
        const char *program = streq(mode, "collect") ? "kcrash-collect" : streq(mode, "submit") ? "kcrash-submit" : NULL;
        if (!program) {
                log_error("Unknown mode \"%s\"; see kcrashd --help.", mode);
                return EXIT_USAGE;
        }
        char *args[16];
        if (service_argv(&o.ctx, o.print, o.once, args, ELEMENTSOF(args)) < 0)
                return EXIT_FAILURE_;
        return exec_service_program(program, args);
}

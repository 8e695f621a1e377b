/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <stdio.h>

#include "build-config.h"
#include "log.h"

static void help(void) {
        printf("Usage: kcrashd [OPTIONS] collect|submit\n\n"
               "  collect   (root, no network) turn crash records into report ZIPs\n"
               "  submit    (unprivileged) upload queued reports\n\n"
               "  -h --help          show this help\n"
               "     --version       show the version\n"
               "  -r --root DIR      prefix every path read or written with DIR\n"
               "  -c --config FILE   configuration file\n");
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {}
        };
        int c;
        log_set_program("kcrashd");
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 'V':
                        printf("kcrashd %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        return 2;
                }
        log_error("No mode given; see kcrashd --help.");
        return 2;
}

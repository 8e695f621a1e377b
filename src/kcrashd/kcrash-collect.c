/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "log.h"
#include "run.h"
#include "service-options.h"

/* kcrash-collect: the collector (kcrash-collect.service through kcrashd
 * collect, and kcrashctl collect). Root, no network: it links neither
 * libcurl nor anything that parses what the network sends. */

static void help(void) {
        printf("Usage: kcrash-collect [OPTIONS]\n\n"
               "Turns pstore records and kdump captures into report ZIPs in the offload folder's\n"
               "queue, then removes the records. Run by `kcrashd collect` and `kcrashctl collect`.\n\n"
               "  -h --help          show this help\n"
               "     --version       show the version\n"
               "  -r --root DIR      prefix every path read or written with DIR\n"
               "  -c --config FILE   configuration file (default: ROOT/etc/default/kdump)\n"
               "     --print         print \"id<TAB>headline<TAB>path\" for each report\n"
               "     --mark-boot     record that this boot is running (an end without\n"
               "                     --mark-shutdown is reported at the next boot), and exit\n"
               "     --mark-shutdown record that this boot shuts down cleanly, and exit\n"
               "  -v --verbose       log debug messages\n");
}

int main(int argc, char **argv) {
        ServiceOptions o = {};
        log_set_program("kcrash-collect");
        int r = service_parse_options("kcrash-collect", help, argc, argv, &o);
        if (r >= 0)
                return r;
        if (o.first_arg != argc || o.once) {
                log_error("kcrash-collect takes no arguments; see kcrash-collect --help.");
                return EXIT_USAGE;
        }
        r = o.mark ? run_mark(&o.ctx, o.mark) : run_collect(&o.ctx, o.print);
        context_done(&o.ctx);
        return exit_status(r);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "log.h"
#include "run.h"
#include "service-options.h"

/* kcrash-watch: the kernel log watcher (kcrash-watch.service through kcrashd
 * watch). Unprivileged, no network: it links no network library and only
 * writes event files that the collector turns into reports. */

static void help(void) {
        printf("Usage: kcrash-watch [OPTIONS]\n\n"
               "Follows the kernel log (/dev/kmsg) and queues each non-fatal kernel event (WARNING,\n"
               "an oops the kernel survived, hung task, soft/hard lockup, RCU stall, GPU hang or\n"
               "reset, machine check, filesystem error) for the collector, with storm control.\n"
               "Run by `kcrashd watch`.\n\n"
               "  -h --help          show this help\n"
               "     --version       show the version\n"
               "  -r --root DIR      prefix every path read or written with DIR\n"
               "  -c --config FILE   configuration file (default: ROOT/etc/default/kdump)\n"
               "     --once          read the log up to its current end, then exit\n"
               "  -v --verbose       log debug messages\n");
}

int main(int argc, char **argv) {
        ServiceOptions o = {};
        log_set_program("kcrash-watch");
        int r = service_parse_options("kcrash-watch", help, argc, argv, &o);
        if (r >= 0)
                return r;
        if (o.first_arg != argc || o.print) {
                log_error("kcrash-watch takes no arguments; see kcrash-watch --help.");
                return EXIT_USAGE;
        }
        r = run_watch(&o.ctx, o.once);
        context_done(&o.ctx);
        return exit_status(r);
}

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
 *   watch    → kcrash-watch: unprivileged (CAP_SYSLOG at most), no network
 *   mark-boot, mark-shutdown → kcrash-collect --mark-boot/--mark-shutdown:
 *                   root, at boot and at shutdown (kcrash-shutdown.service)
 * kcrashd itself only picks the program. */

static void help(void) {
        printf("Usage: kcrashd [OPTIONS] collect|submit|watch|mark-boot|mark-shutdown\n\n"
               "  collect   turn pstore records and kdump captures into report ZIPs, then remove\n"
               "            the records (run as root, without network)\n"
               "  submit    upload queued reports, then wait for new ones and for retries\n"
               "            (a long-running service; as root it becomes the kcrash user first)\n"
               "  watch     follow the kernel log and queue non-fatal kernel events (WARNING, oops,\n"
               "            hung task, lockups, RCU stalls, GPU hangs, machine checks, filesystem\n"
               "            errors) for the collector (a long-running service, unprivileged)\n"
               "  mark-boot  record that this boot is running: if it ends without\n"
               "            mark-shutdown, the next boot reports an unexplained reboot (run at\n"
               "            boot by kcrash-shutdown.service)\n"
               "  mark-shutdown  record that this boot is shutting down cleanly (run at\n"
               "            shutdown by kcrash-shutdown.service)\n\n"
               "Options:\n"
               "  -h --help          show this help\n"
               "     --version       show the version\n"
               "  -r --root DIR      prefix every path read or written with DIR\n"
               "  -c --config FILE   configuration file (default: ROOT/etc/default/kdump)\n"
               "     --once          watch: stop at the end of the kernel log\n"
               "  -v --verbose       log debug messages\n");
}

int main(int argc, char **argv) {
        ServiceOptions o = {};
        log_set_program("kcrashd");
        int r = service_parse_options("kcrashd", help, argc, argv, &o);
        if (r >= 0)
                return r;
        if (o.first_arg != argc - 1) {
                log_error("Expected exactly one mode (collect, submit, watch, mark-boot or mark-shutdown); see kcrashd --help.");
                return EXIT_USAGE;
        }
        const char *mode = argv[o.first_arg];
        const char *mark = streq(mode, "mark-boot")       ? "--mark-boot"
                           : streq(mode, "mark-shutdown") ? "--mark-shutdown"
                                                          : NULL;
        const char *program = streq(mode, "collect") || mark ? "kcrash-collect"
                              : streq(mode, "submit")         ? "kcrash-submit"
                              : streq(mode, "watch")          ? "kcrash-watch"
                                                              : NULL;
        if (!program) {
                log_error("Unknown mode \"%s\"; see kcrashd --help.", mode);
                return EXIT_USAGE;
        }
        char *args[16];
        int n = service_argv(&o.ctx, o.print, o.once, args, ELEMENTSOF(args) - 1);
        if (n < 0)
                return EXIT_FAILURE_;
        if (mark) {
                args[n++] = (char *) mark;
                args[n] = NULL;
        }
        return exit_status(exec_service_program(program, args));
}

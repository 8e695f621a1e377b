/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "log.h"
#include "run.h"
#include "service-options.h"

/* kcrash-submit: the uploader (kcrash-submit.service through kcrashd submit,
 * and kcrashctl submit with --once). The only program that talks to the
 * network; it never runs as root. */

static void help(void) {
        printf("Usage: kcrash-submit [OPTIONS]\n\n"
               "Uploads the queued reports to each SUBMIT_TARGET (kcrash: the three-step\n"
               "protocol; sentry: one envelope to SENTRY_DSN), then waits for new ones and\n"
               "for retries. Started as root it becomes the kcrash user first.\n\n"
               "  -h --help          show this help\n"
               "     --version       show the version\n"
               "  -r --root DIR      prefix every path read or written with DIR\n"
               "  -c --config FILE   configuration file (default: ROOT/etc/default/kdump)\n"
               "     --once          drain the queue once and exit (exit 0: nothing left,\n"
               "                     75: reports wait for a retry, 78: bad configuration)\n"
               "     --now           with --once: ignore the retry backoff\n"
               "     --parked        with --once: try the parked reports again, attempts from 0\n"
               "  -v --verbose       log debug messages\n");
}

int main(int argc, char **argv) {
        ServiceOptions o = {};
        log_set_program("kcrash-submit");
        int r = service_parse_options("kcrash-submit", help, argc, argv, &o);
        if (r >= 0)
                return r;
        if (o.first_arg != argc || o.print) {
                log_error("kcrash-submit takes no arguments; see kcrash-submit --help.");
                return EXIT_USAGE;
        }
        /* In the daemon they would hold for every pass: a retry storm. */
        if ((o.ctx.now || o.ctx.retry_parked) && !o.once) {
                log_error("--now and --parked need --once; see kcrash-submit --help.");
                return EXIT_USAGE;
        }
        /* Before anything is read: the configuration names URLs and paths. */
        r = submit_drop_privileges();
        if (r != 0)
                return exit_status(r);
        r = o.once ? run_submit_once(&o.ctx, false, NULL) : run_submit_daemon(&o.ctx);
        context_done(&o.ctx);
        return exit_status(r);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "build-config.h"
#include "config.h"
#include "fileio.h"
#include "kcrashctl.h"
#include "log.h"

static const struct {
        const char *name;
        verb_func_t func;
        const char *help;
} verbs[] = {
        { "load", verb_load, "arm pstore/ramoops and kdump for this boot (never fails the boot)" },
        { "initrd", verb_initrd, "build the capture initramfs (dracut) for the running or a given kernel" },
        { "status", verb_status, "would a crash be caught? armed mechanisms, queue, last test crash" },
        { "test-crash", verb_test_crash, "crash the kernel now (sysrq-c) to test the whole chain" },
        { "collect", verb_collect, "turn pstore records and kdump captures into report ZIPs" },
        { "submit", verb_submit, "upload the queued reports once (--now ignores the retry backoff, --parked retries parked reports)" },
        { "list", verb_list, "list the reports and their state at each upload target (--json)" },
        { "show", verb_show, "show one report: state per target, summary, members (--json: its report.json)" },
        { "analyze", verb_analyze, "analyze a kernel log (FILE or stdin): title, type, culprit (--json, --all)" },
        { "symbolize", verb_symbolize, "a report's or log's stack to file:line by build id (--debuginfo DIR)" },
        { "clean", verb_clean, "apply the retention now: drop the oldest sent reports beyond OFFLOAD_MAX_SIZE" },
        { "config", verb_config, "check the configuration and print every key's value" },
};

static void help(void) {
        printf("Usage: kcrashctl [OPTIONS] VERB [ARGS]\n\n"
               "Collect, inspect and submit Linux kernel crash reports.\n\n"
               "Verbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-12s %s\n", verbs[i].name, verbs[i].help);
        printf("\nOptions:\n"
               "  -h --help          show this help\n"
               "     --version       show the version\n"
               "  -r --root DIR      prefix every path read or written with DIR\n"
               "  -c --config FILE   configuration file (default: ROOT/etc/default/kdump)\n"
               "     --json          machine-readable output\n"
               "  -y --yes           do not ask for confirmation\n"
               "     --now           ignore the retry backoff (submit)\n"
               "     --parked        try the parked reports again, attempts from 0 (submit)\n"
               "     --all           every crash of the log, not only the first (analyze)\n"
               "     --debuginfo DIR debug files laid out by build id (symbolize; repeatable)\n"
               "     --debuginfod-urls URLS  debuginfod servers (symbolize; default $DEBUGINFOD_URLS)\n"
               "     --build-id NAME=ID  build id of a module, or vmlinux, for a log without them\n"
               "  -v --verbose       log debug messages\n"
               "\nExit status: 0 success, 1 failure, 2 usage error, 3 status: nothing is armed\n"
               "(a crash now would leave no report), 75 reports remain queued for a later\n"
               "retry, 78 configuration error.\n");
}

int main(int argc, char **argv) {
        enum { ARG_VERSION = 0x100, ARG_JSON, ARG_NOW, ARG_PARKED, ARG_ALL, ARG_DEBUGINFO, ARG_DEBUGINFOD_URLS, ARG_BUILD_ID };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "root", required_argument, NULL, 'r' },
                { "config", required_argument, NULL, 'c' },
                { "json", no_argument, NULL, ARG_JSON },
                { "yes", no_argument, NULL, 'y' },
                { "now", no_argument, NULL, ARG_NOW },
                { "parked", no_argument, NULL, ARG_PARKED },
                { "all", no_argument, NULL, ARG_ALL },
                { "verbose", no_argument, NULL, 'v' },
                { "debuginfo", required_argument, NULL, ARG_DEBUGINFO },
                { "debuginfod-urls", required_argument, NULL, ARG_DEBUGINFOD_URLS },
                { "build-id", required_argument, NULL, ARG_BUILD_ID },
                {}
        };
        Context ctx = {};
        /* at most argc of each list option */
        _cleanup_free_ char **debuginfo = calloc((size_t) argc, sizeof(char *)),
                            **build_ids = calloc((size_t) argc, sizeof(char *));
        int c, r;

        if (!debuginfo || !build_ids)
                return exit_status(log_oom());
        ctx.debuginfo_dirs = debuginfo;
        ctx.build_id_args = build_ids;

        log_set_program("kcrashctl");
        while ((c = getopt_long(argc, argv, "hr:c:yv", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case ARG_VERSION:
                        printf("kcrashctl %s\n", PACKAGE_VERSION);
                        return EXIT_OK;
                case 'r':
                        ctx.root = optarg;
                        break;
                case 'c':
                        ctx.config_path = optarg;
                        break;
                case ARG_JSON:
                        ctx.json = true;
                        break;
                case 'y':
                        ctx.yes = true;
                        break;
                case ARG_NOW:
                        ctx.now = true;
                        break;
                case ARG_PARKED:
                        ctx.retry_parked = true;
                        break;
                case ARG_ALL:
                        ctx.all = true;
                        break;
                case ARG_DEBUGINFO:
                        debuginfo[ctx.n_debuginfo_dirs++] = optarg;
                        break;
                case ARG_DEBUGINFOD_URLS:
                        ctx.debuginfod_urls = optarg;
                        break;
                case ARG_BUILD_ID:
                        build_ids[ctx.n_build_id_args++] = optarg;
                        break;
                case 'v':
                        ctx.verbose = true;
                        log_set_max_level(LOG_DEBUG);
                        break;
                default:
                        return EXIT_USAGE;
                }

        if (optind >= argc) {
                log_error("Missing verb; see kcrashctl --help.");
                return EXIT_USAGE;
        }
        const char *verb = argv[optind];
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, verb)) {
                        r = verbs[i].func(&ctx, argc - optind, argv + optind);
                        context_done(&ctx);
                        return exit_status(r);
                }
        log_error("Unknown verb \"%s\"; see kcrashctl --help.", verb);
        return EXIT_USAGE;
}

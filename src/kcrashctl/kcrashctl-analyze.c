/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "analyze-json.h"
#include "analyze.h"
#include "fileio.h"
#include "kcrashctl.h"
#include "log.h"

/* Any kernel log as input, of any size; one line (kept whole in memory)
 * as big as the largest record kcrash reads. */
#define ANALYZE_MAX_LINE (256u << 20)

static void print_human(const CrashAnalysis *a) {
        if (isempty(a->title)) {
                printf("No kernel crash found in this log.\n");
                if (a->kernel)
                        printf("Kernel:     %s\n", a->kernel);
                return;
        }
        printf("Title:      %s\n", a->title);
        printf("Type:       %s%s\n", a->type, a->corrupted ? " (report corrupted or incomplete)" : "");
        if (a->frame && streq(a->frame, "corrupted"))
                printf("Culprit:    (unknown: the report is incomplete or interleaved)\n");
        else if (a->frame)
                printf("Culprit:    %s%s%s%s\n", a->frame, a->module ? " [" : "", a->module ? a->module : "",
                       a->module ? "]" : "");
        printf("Taint:      %s\n", a->taint ? a->taint : "not tainted");
        if (a->kernel)
                printf("Kernel:     %s\n", a->kernel);
        if (a->hardware)
                printf("Hardware:   %s\n", a->hardware);
        if (a->signature)
                printf("Signature:  %s\n", a->signature);
        if (a->n_frames > 0) {
                printf("Stack:\n");
                for (size_t i = 0; i < a->n_frames && i < 16; i++)
                        printf("  %s\n", a->frames[i]);
                if (a->n_frames > 16)
                        printf("  ... %zu more\n", a->n_frames - 16);
        }
}

typedef struct Printer {
        AnalysisJsonWriter *json; /* with --json */
        bool printed;
} Printer;

/* Prints one analysis and frees it; with --all, between human-readable results a blank line. */
static int print_one(CrashAnalysis *a, void *userdata) {
        Printer *p = userdata;
        if (p->json) {
                int r = analysis_json_writer_print(p->json, a, stdout);
                crash_analysis_free(a);
                /* a write error shows in ferror(stdout) at the end */
                if (r < 0 && r != -EIO)
                        return r;
        } else {
                if (p->printed)
                        putchar('\n');
                print_human(a);
                crash_analysis_free(a);
        }
        p->printed = true;
        return 0;
}

int verb_analyze(Context *ctx, int argc, char **argv) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (argc > 2) {
                log_error("Usage: kcrashctl analyze [FILE|-] [--json] [--all]");
                return EXIT_USAGE;
        }
        const char *path = argc == 2 ? argv[1] : "-";
        _cleanup_(analysis_json_writer_freep) AnalysisJsonWriter *json = NULL;
        if (ctx->json && analysis_json_writer_new(&json) < 0)
                return log_oom();
        r = analyze_init();
        if (r < 0) {
                log_error_errno(r, "Cannot set up the crash analyzer: %m");
                return EXIT_FAILURE_;
        }
        if (!streq(path, "-")) {
                /* Any file the caller names, a pipe included: read as is. */
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0) {
                        log_error_errno(negative_errno(), "Cannot read \"%s\": %m", path);
                        return EXIT_FAILURE_;
                }
        }
        /* Streamed: a log of any size, in the memory of its longest line. */
        /* Every crash of a long log makes megabytes of output: written to a
         * file or pipe 64 KiB at a time, not in the 4 KiB stdio picks (a
         * terminal keeps its line buffering). Before anything is printed. */
        static char out_buf[64 << 10];
        if (!isatty(STDOUT_FILENO))
                (void) setvbuf(stdout, out_buf, _IOFBF, sizeof out_buf);
        Printer printer = { .json = json };
        r = crash_analyze_fd(fd >= 0 ? fd : 0, ANALYZE_MAX_LINE, ctx->all, print_one, &printer);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0) {
                log_error_errno(r, "Cannot analyze \"%s\": %m", streq(path, "-") ? "standard input" : path);
                return EXIT_FAILURE_;
        }
        if (fflush(stdout) != 0 || ferror(stdout)) {
                log_error("Cannot write the analysis: %m");
                return EXIT_FAILURE_;
        }
        return EXIT_OK;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>

#include "analyze-json.h"
#include "analyze.h"
#include "fileio.h"
#include "kcrashctl.h"
#include "log.h"

/* Any kernel log as input; as big as the largest record kcrash reads. */
#define ANALYZE_MAX_INPUT (256u << 20)

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

int verb_analyze(Context *ctx, int argc, char **argv) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        int r;

        if (argc > 2) {
                log_error("Usage: kcrashctl analyze [FILE|-] [--json]");
                return EXIT_USAGE;
        }
        const char *path = argc == 2 ? argv[1] : "-";
        if (streq(path, "-"))
                r = read_full_fd(0, ANALYZE_MAX_INPUT, &data, &size);
        else {
                /* Any file the caller names, a pipe included: read as is. */
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                r = fd < 0 ? negative_errno() : read_full_fd(fd, ANALYZE_MAX_INPUT, &data, &size);
        }
        if (r < 0) {
                log_error_errno(r, "Cannot read \"%s\": %m", streq(path, "-") ? "standard input" : path);
                return EXIT_FAILURE_;
        }
        CrashAnalysis *a = NULL;
        r = crash_analyze(data, size, &a);
        if (r < 0) {
                log_error_errno(r, "Cannot analyze \"%s\": %m", path);
                return EXIT_FAILURE_;
        }
        if (ctx->json) {
                _cleanup_free_ char *json = crash_analysis_to_json_string(a);
                if (!json) {
                        crash_analysis_free(a);
                        return log_oom(), EXIT_FAILURE_;
                }
                puts(json);
        } else
                print_human(a);
        crash_analysis_free(a);
        return EXIT_OK;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analyze-json.h"
#include "analyze.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every output must be well formed: the title is never NULL, frames are
 * bounded; normalization lengthens titles ("1" -> "NUM") and then cuts
 * them to 120 bytes. */
static void check(const CrashAnalysis *a) {
        if (!a->title || !a->type || !a->report || a->n_frames > 64 || strlen(a->title) > 120)
                abort();
}

static int check_each(CrashAnalysis *a, void *userdata) {
        check(a);
        (*(size_t *) userdata)++;
        crash_analysis_free(a);
        return 0;
}

static int take(CrashAnalysis *a, void *userdata) {
        *(CrashAnalysis **) userdata = a;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        CrashAnalysis *a = NULL;
        if (crash_analyze((const char *) data, size, &a) < 0)
                return 0;
        check(a);
        char *json = crash_analysis_to_json_string(a);
        char *stack = crash_analysis_stack_string(a);
        free(stack);

        /* kcrashctl analyze --json prints the same line. */
        char *printed = NULL;
        size_t printed_size = 0;
        FILE *f = open_memstream(&printed, &printed_size);
        if (f) {
                int r = crash_analysis_print_json(a, f);
                if (fclose(f) == 0 && r >= 0 && json &&
                    (printed_size != strlen(json) + 1 || memcmp(printed, json, strlen(json)) != 0 ||
                     printed[printed_size - 1] != '\n'))
                        abort();
                free(printed);
        }

        /* Every crash of the log: at least one result. */
        size_t n = 0;
        if (crash_analyze_each((const char *) data, size, check_each, &n) >= 0 && n == 0)
                abort();

        /* The streamed analysis gives what the buffered one gives. */
        int fd = memfd_create("fuzz-analyze", MFD_CLOEXEC);
        if (fd >= 0 && json) {
                CrashAnalysis *s = NULL;
                if (write(fd, data, size) == (ssize_t) size && lseek(fd, 0, SEEK_SET) == 0 &&
                    crash_analyze_fd(fd, size + 1, false, take, &s) >= 0) {
                        char *sj = crash_analysis_to_json_string(s);
                        if (sj && (strcmp(sj, json) != 0 || strcmp(s->report, a->report) != 0))
                                abort();
                        free(sj);
                        crash_analysis_free(s);
                }
                close(fd);
        }
        free(json);
        crash_analysis_free(a);
        return 0;
}

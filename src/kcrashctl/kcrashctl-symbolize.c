/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "analyze.h"
#include "archive.h"
#include "debuginfod-fetch.h"
#include "dlopen-dw.h"
#include "elf-note.h"
#include "fileio.h"
#include "kcrashctl.h"
#include "log.h"
#include "report-json.h"
#include "symbolize-json.h"
#include "symbolize-stack.h"

#define SYMBOLIZE_MAX_INPUT (256u << 20)

/* The crash text and build ids of a report ZIP (its report.json) or of a
 * plain kernel log (its crash report, as the analyzer cuts it). */
static int load_input(Context *ctx, const char *arg, char **ret_text, size_t *ret_size, BuildIds *ids) {
        _cleanup_free_ char *zip = NULL, *data = NULL;
        size_t size = 0;
        struct stat st;
        int r;

        if (stat(arg, &st) < 0) {
                /* not a file: a report id of the offload folder */
                const char *offload, *state;
                r = context_offload_read(ctx, &offload);
                if (r != 0)
                        return r;
                r = find_report(offload, arg, &zip, &state);
                if (r < 0) {
                        log_error_errno(r, "No file and no report \"%s\" (see kcrashctl list): %m", arg);
                        return EXIT_FAILURE_;
                }
        } else {
                _cleanup_close_ int fd = open(arg, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                r = fd < 0 ? negative_errno() : read_full_fd(fd, SYMBOLIZE_MAX_INPUT, &data, &size);
                if (r < 0) {
                        log_error_errno(r, "Cannot read \"%s\": %m", arg);
                        return EXIT_FAILURE_;
                }
                if (size >= 4 && memcmp(data, "PK\3\4", 4) == 0) {
                        zip = strdup(arg);
                        if (!zip)
                                return log_oom();
                }
        }
        if (zip) {
                _cleanup_free_ char *json = NULL;
                size_t json_size;
                r = archive_read_member_flags(zip, ARCHIVE_TRUSTED, "report.json", 16 << 20, &json, &json_size);
                if (r >= 0)
                        r = report_json_symbolize_input(json, json_size, ret_text, ids);
                if (r < 0) {
                        _cleanup_free_ char *shown = context_offload_shown(ctx, zip);
                        log_error("Cannot read report.json of \"%s\": %s.", shown, archive_strerror(r));
                        return EXIT_FAILURE_;
                }
                *ret_size = strlen(*ret_text);
                return 0;
        }
        CrashAnalysis *a = NULL;
        r = crash_analyze(data, size, &a);
        if (r < 0) {
                log_error_errno(r, "Cannot analyze \"%s\": %m", arg);
                return EXIT_FAILURE_;
        }
        if (!isempty(a->report)) {
                free(data);
                data = strdup(a->report);
                size = data ? strlen(data) : 0;
        }
        crash_analysis_free(a);
        if (!data)
                return log_oom();
        *ret_text = TAKE_PTR(data);
        *ret_size = size;
        return 0;
}

int verb_symbolize(Context *ctx, int argc, char **argv) {
        _cleanup_(symbolizer_freep) Symbolizer *s = NULL;
        _cleanup_(debuginfod_fetch_freep) DebuginfodFetch *fetch = NULL;
        _cleanup_free_ char *text = NULL, *out = NULL;
        BuildIds ids = {};
        SymbolizedFrame *frames = NULL;
        size_t size = 0, n = 0;
        int r;

        if (argc != 2) {
                log_error("Usage: kcrashctl symbolize REPORT|FILE [--debuginfo DIR]... [--debuginfod-urls URLS] "
                          "[--build-id NAME=ID]... [--json]");
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < ctx->n_build_id_args; i++) {
                const char *a = ctx->build_id_args[i], *eq = strchr(a, '=');
                _cleanup_free_ char *name = eq ? strndup(a, (size_t) (eq - a)) : NULL;
                if (!eq || !name || !build_id_is_valid(eq + 1)) {
                        log_error("--build-id %s: expected NAME=ID, ID in lower-case hex", a);
                        return EXIT_USAGE;
                }
                if (streq(name, "vmlinux")) {
                        free(ids.vmlinux);
                        ids.vmlinux = strdup(eq + 1);
                        ids.vmlinux_source = "command line";
                        r = ids.vmlinux ? 0 : -ENOMEM;
                } else
                        r = build_ids_set_module(&ids, name, eq + 1, "log");
                if (r < 0) {
                        build_ids_done(&ids);
                        log_error_errno(r, "--build-id %s: %m", a);
                        return EXIT_USAGE;
                }
        }
        r = debuginfod_fetch_new(ctx->debuginfod_urls, &fetch);
        if (r == -EOPNOTSUPP)
                log_warning("DEBUGINFOD_URLS is set but %s cannot be loaded: not asking debuginfod", "libdebuginfod.so.1");
        else if (r < 0 && r != -ENOENT) {
                build_ids_done(&ids);
                return log_error_errno(r, "Cannot start a debuginfod client: %m");
        }
        if (ctx->n_debuginfo_dirs == 0 && !fetch) {
                build_ids_done(&ids);
                log_error("No debug info to symbolize with: give --debuginfo DIR or debuginfod URLs.");
                return EXIT_USAGE;
        }

        /* The report's ids fill what the command line did not give. */
        BuildIds from_input = {};
        r = load_input(ctx, argv[1], &text, &size, &from_input);
        if (r != 0) {
                build_ids_done(&ids);
                return r;
        }
        if (!ids.vmlinux && from_input.vmlinux) {
                ids.vmlinux = TAKE_PTR(from_input.vmlinux);
                ids.vmlinux_source = from_input.vmlinux_source;
        }
        for (size_t i = 0; i < from_input.n_modules && r >= 0; i++)
                r = build_ids_set_module(&ids, from_input.modules[i].name, from_input.modules[i].id, "report");
        build_ids_done(&from_input);

        if (r >= 0)
                r = symbolizer_new(ctx->debuginfo_dirs, ctx->n_debuginfo_dirs,
                                   fetch ? debuginfod_fetch_debuginfo : NULL, fetch, &s);
        if (r >= 0)
                r = symbolize_stack(s, text, size, &ids, &frames, &n);
        build_ids_done(&ids);
        if (r == -EOPNOTSUPP)
                return log_error_errno(r, "Cannot symbolize \"%s\": %s (install libdw1).", argv[1], dw_load_error());
        if (r < 0)
                return log_error_errno(r, "Cannot symbolize \"%s\": %m", argv[1]);

        if (ctx->json)
                out = symbolized_frames_to_json_string(frames, n, true);
        else if (n == 0)
                out = strdup("No stack frames in this report.\n");
        else if (symbolized_frames_text(frames, n, &out) < 0)
                out = NULL;
        symbolized_frames_free(frames, n);
        if (!out)
                return log_oom();
        fputs(out, stdout);
        if (ctx->json)
                fputc('\n', stdout);
        return EXIT_OK;
}

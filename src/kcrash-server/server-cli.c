/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The store from the command line: list, show, fetch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive.h"
#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "server.h"
#include "text.h"
#include "triage.h"

/* Device text on a terminal: escaped, so it cannot move the cursor, retitle
 * the window or fake lines of output. */
static void print_field(const char *label, const char *value) {
        _cleanup_free_ char *e = text_escape(strempty(value));
        printf("%s%s\n", label, e ? e : "?");
}

/* The title column of list: the title, else why there is none. */
static const char *list_title(const ReportRow *r) {
        if (!isempty(r->title))
                return r->title;
        if (r->analysis_state && startswith(r->analysis_state, TRIAGE_NO_CRASH_TEXT))
                return "(" TRIAGE_NO_CRASH_TEXT ")";
        return "(no title)";
}

int server_cli(Store *store, int argc, char **argv, bool json) {
        const char *verb = argv[0];
        if (streq(verb, "list")) {
                ReportFilter f = { .limit = 100000 };
                ReportRow *rows = NULL;
                size_t n = 0;
                if (store_list(store, &f, &rows, &n) < 0)
                        return log_error("Cannot read the index."), 1;
                if (json) {
                        json_t *a = json_array();
                        for (size_t i = 0; i < n; i++)
                                json_array_append_new(a, row_json(&rows[i]));
                        char *s = json_dumps(a, JSON_INDENT(2));
                        puts(s ? s : "[]");
                        free(s);
                        json_decref(a);
                } else {
                        printf("%-20s %-20s %-10s %-12s %s\n", "GID", "RECEIVED (UTC)", "PRODUCT", "TYPE", "TITLE");
                        for (size_t i = 0; i < n; i++) {
                                char when[32] = "?";
                                time_t t = (time_t) rows[i].created;
                                struct tm tm;
                                if (gmtime_r(&t, &tm))
                                        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
                                _cleanup_free_ char *product = text_escape(strempty(rows[i].product)),
                                                    *type = text_escape(strempty(rows[i].type)),
                                                    *title = text_escape(list_title(&rows[i]));
                                printf("%-20s %-20s %-10s %-12s %s\n", rows[i].gid, when, strempty(product),
                                       strempty(type), strempty(title));
                        }
                }
                report_rows_free(rows, n);
                return 0;
        }
        if ((streq(verb, "show") || streq(verb, "fetch")) && argc >= 2) {
                ReportRow row;
                if (!valid_gid(argv[1]) || store_get(store, argv[1], &row) < 0)
                        return log_error("No report with gid \"%s\".", argv[1]), 1;
                _cleanup_free_ char *zip = NULL;
                if (asprintf(&zip, "%s/reports/%s.zip", store_dir(store), row.dup_of ? row.dup_of : row.gid) < 0)
                        return 1;
                if (streq(verb, "fetch")) {
                        const char *out = argc >= 3 ? argv[2] : NULL;
                        _cleanup_free_ char *data = NULL, *def = NULL;
                        size_t n;
                        if (!out && asprintf(&def, "%s.zip", row.gid) >= 0)
                                out = def;
                        report_row_done(&row);
                        if (read_full_file(zip, 1ULL << 33, &data, &n) < 0 || write_file_atomic(out, data, n, 0644) < 0)
                                return log_error("Cannot copy \"%s\" to \"%s\".", zip, strempty(out)), 1;
                        printf("%s\n", out);
                        return 0;
                }
                printf("GID:        %s\nState:      %s\n", row.gid, row.state);
                print_field("Product:    ", row.product);
                print_field("Build:      ", row.build);
                print_field("Kernel:     ", row.version);
                if (row.sent_version && !streq_ptr(row.sent_version, row.version))
                        print_field("Kernel sent:", row.sent_version);
                print_field("Device:     ", row.steamid);
                print_field("Address:    ", row.remote);
                printf("Client:     %s\n", row.unencoded ? "unencoded form (an old shell client): its fields are kept as "
                                                          "sent and the ZIP's analysis is shown"
                                                        : "encoded form");
                print_field("Title:      ", row.title);
                print_field("Type:       ", row.type);
                if (row.frame) {
                        _cleanup_free_ char *culprit = NULL;
                        if (asprintf(&culprit, "%s%s%s%s", row.frame, row.module ? " [" : "", strempty(row.module),
                                     row.module ? "]" : "") >= 0)
                                print_field("Culprit:    ", culprit);
                }
                print_field("Signature:  ", row.signature);
                print_field("Analysis:   ", row.analysis_state);
                print_field("Note:       ", row.note);
                printf("Size:       %llu bytes\nSHA-256:    %s\n", (unsigned long long) row.size, row.sha256);
                if (row.dup_of)
                        printf("Duplicate:  same ZIP as %s\n", row.dup_of);
                printf("Download:   kcrash-server --data %s fetch %s   (or GET /api/reports/%s/zip)\n", store_dir(store),
                       row.gid, row.gid);
                char **members = NULL;
                int r = archive_list_members(zip, &members);
                if (r >= 0) {
                        printf("Members:\n");
                        for (char **p = members; *p; p++)
                                print_field("  ", *p);
                        strv_free(members);
                } else
                        printf("Members:    (%s)\n", r == -E2BIG ? "more than kcrash-server reads" : "not a readable ZIP");
                /* The crash text with its lines: its size, then the text
                 * (escaped like every field, newlines and tabs kept). */
                size_t n = 0;
                _cleanup_free_ char *text = crash_text_read(zip, &row, &n);
                _cleanup_free_ char *shown = text ? text_escape_lines(text) : NULL;
                if (shown) {
                        _cleanup_free_ char *member = text_escape(row.crash_member);
                        printf("Crash text: %s, %zu bytes:\n", strempty(member), strlen(shown));
                        fputs(shown, stdout);
                        if (!isempty(shown) && shown[strlen(shown) - 1] != '\n')
                                putchar('\n');
                }
                report_row_done(&row);
                return 0;
        }
        log_error("Unknown command; see kcrash-server --help.");
        return 2;
}

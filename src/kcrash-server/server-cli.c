/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The store from the command line: list, show, fetch. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse-util.h"
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

static void print_json(json_t *o) {
        char *s = o ? json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII) : NULL;
        puts(s ? s : "null");
        free(s);
        json_decref(o);
}

static void print_time(const char *label, int64_t t) {
        char when[32] = "-";
        time_t tt = (time_t) t;
        struct tm tm;
        if (t > 0 && gmtime_r(&tt, &tm))
                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
        printf("%s%s\n", label, when);
}

/* A bucket id argument: a positive decimal number. */
static int bucket_id_arg(const char *s, int64_t *ret) {
        int64_t v;
        if (parse_int64(s, &v) < 0 || v <= 0)
                return log_error("\"%s\" is not a bucket id.", s), -EINVAL;
        *ret = v;
        return 0;
}

/* The bucket verbs: the exit status, or -ENOTTY when verb is not one. */
static int bucket_cli(Store *store, int argc, char **argv, bool json) {
        const char *verb = argv[0];
        int64_t id = 0, into = 0;
        int r;
        if (streq(verb, "buckets")) {
                BucketFilter f = { .limit = 1000 };
                BucketRow *rows = NULL;
                size_t n = 0;
                int64_t total = 0;
                if (store_buckets(store, &f, &rows, &n, &total) < 0)
                        return log_error("Cannot read the index."), 1;
                if (json) {
                        json_t *a = json_array();
                        for (size_t i = 0; a && i < n; i++)
                                json_array_append_new(a, bucket_json(&rows[i]));
                        print_json(a);
                } else {
                        printf("%-6s %7s %7s %-9s %-10s %s\n", "ID", "COUNT", "DEVICES", "STATUS", "TYPE", "TITLE");
                        for (size_t i = 0; i < n; i++) {
                                _cleanup_free_ char *type = text_escape(strempty(rows[i].type)),
                                                    *title = text_escape(isempty(rows[i].title) ? "(no crash text)"
                                                                                                : rows[i].title);
                                printf("%-6lld %7lld %7lld %-9s %-10s %s\n", (long long) rows[i].id,
                                       (long long) rows[i].count, (long long) rows[i].devices, strempty(rows[i].status),
                                       strempty(type), strempty(title));
                        }
                }
                bucket_rows_free(rows, n);
                return 0;
        }
        if (streq(verb, "bucket") && argc == 2) {
                if (bucket_id_arg(argv[1], &id) < 0)
                        return 2;
                BucketDetail d;
                r = store_bucket_get(store, id, &d);
                if (r < 0)
                        return log_error("No bucket %lld.", (long long) id), 1;
                if (json)
                        print_json(bucket_detail_json(&d));
                else {
                        const BucketRow *b = &d.bucket;
                        printf("Bucket:     %lld\n", (long long) b->id);
                        print_field("Title:      ", b->title);
                        print_field("Type:       ", b->type);
                        print_field("Culprit:    ", b->frame);
                        print_field("Module:     ", b->module);
                        print_field("Signature:  ", b->signature);
                        printf("Reports:    %lld from %lld devices\n", (long long) b->count, (long long) b->devices);
                        print_time("First seen: ", b->first_seen);
                        print_time("Last seen:  ", b->last_seen);
                        print_field("New in:     ", b->first_build);
                        print_field("Status:     ", b->status);
                        if (b->fixed_build)
                                print_field("Fixed in:   ", b->fixed_build);
                        if (b->regressed_build)
                                print_field("Regressed:  ", b->regressed_build);
                        if (b->merged_into)
                                printf("Merged into: %lld\n", (long long) b->merged_into);
                        for (size_t i = 0; i < d.n_merged; i++)
                                printf("Merged:     %lld (%lld reports)\n", (long long) d.merged[i].id,
                                       (long long) d.merged[i].count);
                        if (b->note)
                                print_field("Note:       ", b->note);
                        if (b->link)
                                print_field("Link:       ", b->link);
                        for (size_t i = 0; i < d.n_builds; i++) {
                                _cleanup_free_ char *e = text_escape(strempty(d.builds[i].name));
                                printf("Build:      %s: %lld\n", strempty(e), (long long) d.builds[i].count);
                        }
                        for (size_t i = 0; i < d.n_kernels; i++) {
                                _cleanup_free_ char *e = text_escape(strempty(d.kernels[i].name));
                                printf("Kernel:     %s: %lld\n", strempty(e), (long long) d.kernels[i].count);
                        }
                }
                bucket_detail_done(&d);
                return 0;
        }
        if (streq(verb, "fix") && argc == 3) {
                if (bucket_id_arg(argv[1], &id) < 0)
                        return 2;
                r = store_bucket_fix(store, id, argv[2]);
        } else if (streq(verb, "reopen") && argc == 2) {
                if (bucket_id_arg(argv[1], &id) < 0)
                        return 2;
                r = store_bucket_fix(store, id, NULL);
        } else if (streq(verb, "merge") && argc == 3) {
                if (bucket_id_arg(argv[1], &id) < 0 || bucket_id_arg(argv[2], &into) < 0)
                        return 2;
                r = store_bucket_merge(store, id, into);
        } else if (streq(verb, "unmerge") && argc == 2) {
                if (bucket_id_arg(argv[1], &id) < 0)
                        return 2;
                r = store_bucket_unmerge(store, id);
        } else if (streq(verb, "note") && (argc == 3 || argc == 4)) {
                if (bucket_id_arg(argv[1], &id) < 0)
                        return 2;
                if (argc == 4 && !isempty(argv[3]) && !valid_link(argv[3]))
                        return log_error("\"%s\" is not an http:// or https:// link.", argv[3]), 2;
                r = store_bucket_note(store, id, isempty(argv[2]) ? NULL : argv[2], argc == 4 && !isempty(argv[3]) ? argv[3] : NULL);
        } else
                return -ENOTTY;
        if (r == -ENOENT)
                return log_error("No bucket %lld.", (long long) (into && id ? into : id)), 1;
        if (r == -EINVAL)
                return log_error("Bucket %lld cannot be %s that way.", (long long) id,
                                 streq(verb, "merge") ? "merged" : "unmerged"), 1;
        if (r < 0)
                return log_error_errno(r, "Cannot change bucket %lld: %m", (long long) id), 1;
        return 0;
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
                        /* ASCII, like every JSON the server prints: device text
                         * reaches a terminal as escapes, not as C1 controls or
                         * bidi overrides */
                        char *s = json_dumps(a, JSON_INDENT(2) | JSON_ENSURE_ASCII);
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
                _cleanup_free_ char *zip = store_zip_path(store, report_zip_gid(&row));
                if (!zip)
                        return log_oom(), 1;
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
                _cleanup_free_ char *sym = NULL;
                if (symbolized_get(&symbolize_config, store_dir(store), report_zip_gid(&row), zip, text,
                                   NULL, &sym) >= 0) {
                        _cleanup_free_ char *sym_shown = text_escape_lines(sym);
                        printf("Symbolized stack:\n%s", sym_shown ? sym_shown : "?\n");
                }
                report_row_done(&row);
                return 0;
        }
        int r = bucket_cli(store, argc, argv, json);
        if (r != -ENOTTY)
                return r;
        log_error("Unknown command; see kcrash-server --help.");
        return 2;
}

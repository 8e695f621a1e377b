/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <time.h>

#include "collect.h"
#include "fileio.h"
#include "kcrashctl.h"
#include "log.h"
#include "report-json.h"
#include "spool.h"

int verb_list(Context *ctx, int argc, char **argv) {
        ReportListEntry *list = NULL;
        size_t n = 0;
        int r;

        if (argc > 1) {
                log_error("list takes no arguments.");
                return EXIT_USAGE;
        }
        const char *offload;
        r = context_offload(ctx, &offload);
        if (r != 0)
                return r;
        _cleanup_free_ char *queue = path_join(offload, OFFLOAD_QUEUE_DIR);
        _cleanup_free_ char *sent = path_join(offload, OFFLOAD_SENT_DIR);
        if (!queue || !sent)
                return log_oom(), EXIT_FAILURE_;
        r = report_list_dir(queue, "pending", &list, &n);
        if (r >= 0)
                r = report_list_dir(sent, "sent", &list, &n);
        if (r < 0) {
                log_error_errno(r, "Cannot list reports in \"%s\": %m", offload);
                report_list_free(list, n);
                free(list);
                return EXIT_FAILURE_;
        }

        /* The upload state of each report: attempts, last error, parked. */
        for (size_t i = 0; i < n; i++) {
                SpoolState st;
                if (spool_state_load(offload, list[i].id, &st) < 0)
                        continue;
                if (streq(list[i].state, "pending") && st.state != SPOOL_PENDING)
                        list[i].state = spool_state_to_string(st.state);
                list[i].attempts = st.attempts;
                if (st.last_error) {
                        free(list[i].last_error);
                        list[i].last_error = TAKE_PTR(st.last_error);
                }
                spool_state_done(&st);
        }

        if (ctx->json) {
                _cleanup_free_ char *json = NULL;
                r = report_list_to_json(list, n, &json);
                if (r < 0) {
                        report_list_free(list, n);
                        free(list);
                        return log_oom(), EXIT_FAILURE_;
                }
                puts(json);
        } else if (n == 0)
                printf("No reports in %s.\n", offload);
        else {
                printf("%-40s %-8s %-20s %-8s %s\n", "ID", "STATE", "CRASH TIME (UTC)", "SOURCE", "TITLE");
                for (size_t i = 0; i < n; i++) {
                        char when[32] = "?";
                        time_t t = (time_t) list[i].crash_time;
                        struct tm tm;
                        if (gmtime_r(&t, &tm))
                                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
                        printf("%-40s %-8s %-20s %-8s %s\n", list[i].id, list[i].state, when,
                               list[i].source ? list[i].source : "?",
                               list[i].title && list[i].title[0] ? list[i].title : "(no title)");
                }
        }
        report_list_free(list, n);
        free(list);
        return EXIT_OK;
}

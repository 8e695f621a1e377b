/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect.h"
#include "fileio.h"
#include "kcrashctl.h"
#include "log.h"
#include "report-list.h"
#include "spool.h"
#include "text.h"

void report_fill_targets(const char *offload, const KcrashConfig *c, ReportListEntry *e) {
        unsigned targets = config_submit_targets(c);
        bool in_queue = streq(e->state, "pending");
        bool any_pending = false, any_parked = false;
        if (targets == 0)
                targets = 1u << SUBMIT_TARGET_KCRASH;
        for (SubmitTarget t = 0; t < _SUBMIT_TARGET_MAX && e->n_targets < ELEMENTSOF(e->targets); t++) {
                if (!(targets & (1u << t)))
                        continue;
                ReportTargetState *ts = &e->targets[e->n_targets++];
                SpoolState st = {};
                *ts = (ReportTargetState) { .target = submit_target_to_string(t), .state = in_queue ? "pending" : "sent" };
                if (spool_state_load_target(offload, e->id, t, &st) >= 0) {
                        ts->state = spool_state_to_string(st.state);
                        ts->attempts = st.attempts;
                        ts->deferred = st.deferred;
                        ts->next_try = st.next_try;
                        ts->last_error = TAKE_PTR(st.last_error);
                        ts->receipt = TAKE_PTR(st.gid);
                }
                spool_state_done(&st);
                any_pending |= streq(ts->state, "pending");
                any_parked |= streq(ts->state, "parked");
                e->attempts = MAX(e->attempts, ts->attempts);
                if (ts->last_error && !e->last_error)
                        e->last_error = strdup(ts->last_error);
        }
        /* A queued report is pending while one target still waits for it,
         * parked when one target gave up on it. */
        if (in_queue)
                e->state = any_pending ? "pending" : any_parked ? "parked" : "sent";
}

int verb_list(Context *ctx, int argc, char **argv) {
        ReportListEntry *list = NULL;
        size_t n = 0;
        int r;

        if (argc > 1) {
                log_error("list takes no arguments.");
                return EXIT_USAGE;
        }
        const char *offload;
        r = context_offload_read(ctx, &offload);
        if (r != 0)
                return r;
        if (offload) { /* (no folder yet: no reports) */
                _cleanup_free_ char *queue = path_join(offload, OFFLOAD_QUEUE_DIR);
                _cleanup_free_ char *sent = path_join(offload, OFFLOAD_SENT_DIR);
                if (!queue || !sent)
                        return log_oom();
                r = report_list_dir(queue, "pending", &list, &n);
                if (r >= 0)
                        r = report_list_dir(sent, "sent", &list, &n);
        }
        if (r < 0) {
                log_error_errno(r, "Cannot list reports in \"%s\": %m", ctx->offload_dir);
                report_list_free(list, n);
                free(list);
                return EXIT_FAILURE_;
        }

        /* The upload state of each report at each target; its path as
         * the user knows it, not through the open folder. */
        bool several = false;
        for (size_t i = 0; i < n; i++) {
                report_fill_targets(offload, &ctx->config, &list[i]);
                several = list[i].n_targets > 1;
                char *shown = context_offload_shown(ctx, list[i].path);
                free(list[i].path);
                list[i].path = shown;
        }

        if (ctx->json) {
                _cleanup_free_ char *json = NULL;
                r = report_list_to_json(list, n, &json);
                if (r < 0) {
                        report_list_free(list, n);
                        free(list);
                        return log_oom();
                }
                puts(json);
        } else if (n == 0)
                printf("No reports in %s.\n", ctx->offload_dir);
        else {
                printf("%-40s %-8s %-20s %-8s %s%s\n", "ID", "STATE", "CRASH TIME (UTC)", "SOURCE",
                       several ? "TARGETS                      " : "", "TITLE");
                for (size_t i = 0; i < n; i++) {
                        char when[32] = "?";
                        time_t t = (time_t) list[i].crash_time;
                        struct tm tm;
                        if (gmtime_r(&t, &tm))
                                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
                        char targets[64] = "";
                        for (size_t k = 0, o = 0; several && k < list[i].n_targets && o < sizeof targets; k++)
                                o += (size_t) snprintf(targets + o, sizeof targets - o, "%s=%s ",
                                                       list[i].targets[k].target, list[i].targets[k].state);
                        /* The name, source and title are the uploader's
                         * account's to choose (it may put a ZIP in the
                         * queue), on a terminal that is often root's. */
                        _cleanup_free_ char *id = text_escape(list[i].id),
                                            *source = list[i].source ? text_escape(list[i].source) : NULL,
                                            *title = list[i].title ? text_escape(list[i].title) : NULL;
                        printf("%-40s %-8s %-20s %-8s %s%*s%s\n", id ? id : "?", list[i].state, when,
                               source ? source : "?", targets,
                               several ? (int) (29 - MIN(strlen(targets), (size_t) 29)) : 0, "",
                               title && title[0]     ? title
                               : list[i].untrusted ? "(not read: root did not write it)"
                                                   : "(no title)");
                }
        }
        report_list_free(list, n);
        free(list);
        return EXIT_OK;
}

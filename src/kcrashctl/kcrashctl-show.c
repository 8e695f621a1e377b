/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "archive.h"
#include "collect.h"
#include "fileio.h"
#include "kcrashctl.h"
#include "log.h"
#include "report-json.h"
#include "report-list.h"
#include "text.h"

/* The report's ZIP in the queue or among the sent ones. */
int find_report(const char *offload, const char *id, char **ret_path, const char **ret_state) {
        static const struct {
                const char *dir, *state;
        } places[] = {
                { OFFLOAD_QUEUE_DIR, "pending" },
                { OFFLOAD_SENT_DIR, "sent" },
        };
        if (isempty(id) || strchr(id, '/') || id[0] == '.')
                return -EINVAL;
        if (!offload)
                return -ENOENT; /* no folder (context_offload_read()): no reports */
        for (size_t i = 0; i < ELEMENTSOF(places); i++) {
                char *p = NULL;
                const char *name = id;
                size_t l = strlen(id);
                if (asprintf(&p, "%s/%s/%s%s", offload, places[i].dir, name,
                             l > 4 && streq(id + l - 4, ".zip") ? "" : ".zip") < 0)
                        return -ENOMEM;
                if (file_exists(p)) {
                        *ret_path = p;
                        *ret_state = places[i].state;
                        return 0;
                }
                free(p);
        }
        return -ENOENT;
}

int verb_show(Context *ctx, int argc, char **argv) {
        _cleanup_free_ char *path = NULL, *summary = NULL, *json = NULL;
        const char *state = NULL;
        char **names = NULL;
        int r;

        if (argc != 2) {
                log_error("Usage: kcrashctl show ID (see kcrashctl list).");
                return EXIT_USAGE;
        }
        const char *offload;
        r = context_offload_read(ctx, &offload);
        if (r != 0)
                return r;
        r = find_report(offload, argv[1], &path, &state);
        if (r < 0) {
                log_error_errno(r, "No report \"%s\" in the offload folder: %m", argv[1]);
                return EXIT_FAILURE_;
        }
        /* messages name it as the user knows it, not through the open folder */
        _cleanup_free_ char *where = context_offload_shown(ctx, path);
        r = archive_read_member_flags(path, ARCHIVE_TRUSTED, "report.json", 16 << 20, &json, NULL);
        if (r < 0) {
                log_error("Cannot read report.json of \"%s\": %s.", where, archive_strerror(r));
                return EXIT_FAILURE_;
        }
        if (ctx->json) {
                /* Parsed and written anew, every control and non-ASCII
                 * character as \uXXXX: the report.json of a ZIP the uploader's
                 * account put in the queue, printed raw, drove root's
                 * terminal (attack review). */
                json_error_t e;
                json_auto_t *o = json_loads(json, JSON_REJECT_DUPLICATES, &e);
                if (!o) {
                        log_error("report.json of \"%s\" is not JSON: line %d: %s", where, e.line, e.text);
                        return EXIT_FAILURE_;
                }
                _cleanup_free_ char *shown = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
                if (!shown)
                        return log_oom();
                puts(shown);
                return EXIT_OK;
        }
        /* The state at each target, as kcrashctl list computes it. */
        ReportListEntry e = { .id = (char *) argv[1], .state = state };
        report_fill_targets(offload, &ctx->config, &e);
        /* Everything below but the states is text the uploader's account
         * may have chosen (a ZIP it put in the queue, its state files), on
         * a terminal that is often root's: escaped. */
        _cleanup_free_ char *id = text_escape(argv[1]), *shown_path = text_escape(where);
        printf("Report:  %s\nState:   %s\nPath:    %s\n", id ? id : "?", e.state, shown_path ? shown_path : "?");
        for (size_t k = 0; k < e.n_targets; k++) {
                const ReportTargetState *t = &e.targets[k];
                printf("Target:  %s: %s", t->target, t->state);
                if (t->attempts)
                        printf(", %u attempt(s)", t->attempts);
                if (t->deferred)
                        printf(" (%u deferred: no connection, or the server busy or full)", t->deferred);
                if (t->receipt) {
                        _cleanup_free_ char *receipt = text_escape(t->receipt);
                        printf(", %s %s", streq(t->target, "sentry") ? "event id" : "gid", receipt ? receipt : "?");
                }
                if (streq(t->state, "pending") && t->next_try > 0) {
                        char when[32] = "?";
                        time_t nt = (time_t) t->next_try;
                        struct tm tm;
                        if (gmtime_r(&nt, &tm))
                                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
                        printf(", next try %s", when);
                }
                if (t->last_error) {
                        _cleanup_free_ char *why = text_escape(t->last_error);
                        printf("\n         %s", why ? why : "?");
                }
                putchar('\n');
                free(t->last_error);
                free(t->receipt);
        }
        free(e.last_error);
        putchar('\n');
        r = archive_list_members_flags(path, ARCHIVE_TRUSTED, &names);
        if (r < 0) {
                log_error_errno(r, "Cannot list \"%s\": %m", where);
                return EXIT_FAILURE_;
        }
        for (char **n = names; *n; n++)
                if (strneq(*n, "crash_summary.", 14) &&
                    archive_read_member_flags(path, ARCHIVE_TRUSTED, *n, 16 << 20, &summary, NULL) >= 0)
                        break;
        if (summary) {
                _cleanup_free_ char *shown = text_escape_lines(summary);
                fputs(shown ? shown : "(out of memory)\n", stdout);
        }
        printf("\nMembers:\n");
        for (char **n = names; *n; n++) {
                _cleanup_free_ char *name = text_escape(*n);
                printf("  %s\n", name ? name : "?");
        }
        strv_free(names);
        return EXIT_OK;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "archive.h"
#include "fileio.h"
#include "json-util.h"
#include "report-json.h"
#include "report-list.h"

static int compare_entries(const void *a, const void *b) {
        const ReportListEntry *x = a, *y = b;
        if (x->crash_time != y->crash_time)
                return x->crash_time < y->crash_time ? -1 : 1;
        return strcmp(x->id, y->id);
}

int report_list_dir(const char *dir, const char *state, ReportListEntry **list, size_t *n) {
        DIR *d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : negative_errno();
        int r = 0;
        struct dirent *de;
        size_t start = *n;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (de->d_name[0] == '.' || len < 5 || !streq(de->d_name + len - 4, ".zip"))
                        continue;
                _cleanup_free_ char *path = path_join(dir, de->d_name), *json = NULL;
                if (!path) {
                        r = -ENOMEM;
                        break;
                }
                struct stat st;
                if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                ReportListEntry e = {
                        .id = strndup(de->d_name, len - 4),
                        .state = state,
                        .path = TAKE_PTR(path),
                        .size = (uint64_t) st.st_size,
                        .crash_time = st.st_mtime,
                };
                size_t json_size;
                ReportSummary s = {};
                /* Only a ZIP root wrote is read (the uploader's account
                 * can put files in the queue too): the list, status's
                 * test crash and show never take one it made as a report. */
                int k = archive_read_member_flags(e.path, ARCHIVE_TRUSTED, "report.json", 16 << 20, &json, &json_size);
                if (k >= 0 && report_json_summary(json, json_size, &s) >= 0) {
                        e.crash_time = s.crash_time;
                        e.source = TAKE_PTR(s.source);
                        e.title = TAKE_PTR(s.title);
                        e.type = TAKE_PTR(s.type);
                        e.signature = TAKE_PTR(s.signature);
                        e.vmcore = TAKE_PTR(s.vmcore);
                        e.test_crash_id = TAKE_PTR(s.test_crash_id);
                        report_summary_done(&s);
                } else if (k == -EPERM) {
                        e.untrusted = true;
                        e.last_error = strdup("not read: root did not write it (its owner, links or mode say another user did)");
                } else
                        e.last_error = strdup("report.json is missing or unreadable");
                ReportListEntry *p = realloc(*list, (*n + 1) * sizeof *p);
                if (!p) {
                        report_list_free(&e, 1);
                        r = -ENOMEM;
                        break;
                }
                p[(*n)++] = e;
                *list = p;
        }
        closedir(d);
        if (*n > start)
                qsort(*list + start, *n - start, sizeof **list, compare_entries);
        return r;
}

void report_list_free(ReportListEntry *list, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(list[i].id);
                free(list[i].path);
                free(list[i].source);
                free(list[i].title);
                free(list[i].type);
                free(list[i].signature);
                free(list[i].last_error);
                free(list[i].vmcore);
                free(list[i].test_crash_id);
                for (size_t k = 0; k < list[i].n_targets; k++) {
                        free(list[i].targets[k].last_error);
                        free(list[i].targets[k].receipt);
                }
        }
}

int report_list_to_json(const ReportListEntry *list, size_t n, char **ret_json) {
        json_auto_t *a = json_array();
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const ReportListEntry *e = &list[i];
                json_t *o = json_object();
                if (!o || json_array_append_new(a, o) < 0)
                        return -ENOMEM;
                int r = 0;
                r |= json_set(o, "id", json_string_lossy(e->id));
                r |= json_set(o, "state", json_string_lossy(e->state));
                r |= json_set(o, "path", json_string_lossy(e->path));
                r |= json_set(o, "crash_time", json_integer(e->crash_time));
                r |= json_set(o, "source", json_string_or_null(e->source));
                r |= json_set(o, "title", json_string_or_null(e->title));
                r |= json_set(o, "type", json_string_or_null(e->type));
                r |= json_set(o, "signature", json_string_or_null(e->signature));
                r |= json_set(o, "size", json_integer((json_int_t) e->size));
                r |= json_set(o, "attempts", json_integer(e->attempts));
                r |= json_set(o, "last_error", json_string_or_null(e->last_error));
                r |= json_set(o, "vmcore", json_string_or_null(e->vmcore));
                json_t *targets = json_object();
                r |= json_set(o, "targets", targets);
                for (size_t k = 0; targets && k < e->n_targets; k++) {
                        const ReportTargetState *t = &e->targets[k];
                        json_t *to = json_object();
                        r |= json_set(targets, t->target, to);
                        if (!to)
                                break;
                        r |= json_set(to, "state", json_string_lossy(t->state));
                        r |= json_set(to, "attempts", json_integer(t->attempts));
                        r |= json_set(to, "deferred", json_integer(t->deferred));
                        r |= json_set(to, "next_try", json_integer(t->next_try));
                        r |= json_set(to, "last_error", json_string_or_null(t->last_error));
                        r |= json_set(to, "receipt", json_string_or_null(t->receipt));
                }
                if (r < 0)
                        return -ENOMEM;
        }
        return json_dump_pretty(a, ret_json);
}

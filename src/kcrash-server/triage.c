/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "macro.h"
#include "triage.h"

bool triage_is_crash_member(const char *name) {
        /* zip -j stores bare names; a path is nothing either uploader writes. */
        if (strchr(name, '/'))
                return false;
        return startswith(name, "dmesg-pstore") || startswith(name, "dmesg-kdump");
}

static int name_cmp(const void *a, const void *b) {
        return strverscmp(*(char *const *) a, *(char *const *) b);
}

/* prefix and what, joined into the state. */
static int set_state(ZipTriage *t, const char *prefix, const char *what) {
        free(t->state);
        t->state = NULL;
        return asprintf(&t->state, "%s%s", prefix, what) < 0 ? -ENOMEM : 0;
}

int zip_triage(const char *zip_path, ZipTriage *ret) {
        ZipTriage t = {};
        char **members = NULL;
        _cleanup_free_ char **candidates = NULL;
        _cleanup_free_ char *chosen_text = NULL;
        size_t n_candidates = 0, total = 0;
        bool too_large = false;
        int r;

        r = archive_list_members(zip_path, &members);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                r = set_state(&t, TRIAGE_NO_CRASH_TEXT ": ",
                              r == -E2BIG ? "more members than the receiver reads" : "not a readable ZIP");
                goto done;
        }
        size_t n = 0;
        while (members[n])
                n++;
        candidates = calloc(n + 1, sizeof(char *));
        if (!candidates) {
                r = -ENOMEM;
                goto done;
        }
        for (size_t i = 0; i < n; i++)
                if (triage_is_crash_member(members[i]))
                        candidates[n_candidates++] = members[i];
        qsort(candidates, n_candidates, sizeof(char *), name_cmp);

        for (size_t i = 0; i < n_candidates && i < TRIAGE_MAX_CANDIDATES && total < TRIAGE_MAX_TOTAL; i++) {
                _cleanup_free_ char *text = NULL;
                size_t size;
                r = archive_read_member(zip_path, candidates[i], MIN((size_t) TRIAGE_MAX_TEXT, TRIAGE_MAX_TOTAL - total),
                                        &text, &size);
                if (r == -ENOMEM)
                        goto done;
                if (r == -EFBIG)
                        too_large = true;
                if (r < 0)
                        continue;
                total += size;
                CrashAnalysis *a = NULL;
                r = crash_analyze(text, size, &a);
                if (r < 0)
                        goto done;
                if (isempty(a->title) || (t.analysis && a->corrupted)) {
                        crash_analysis_free(a);
                        continue;
                }
                /* The first crash, or a complete one after a corrupted one. */
                crash_analysis_free(t.analysis);
                t.analysis = a;
                free(t.member);
                t.member = strdup(candidates[i]);
                free(chosen_text);
                chosen_text = TAKE_PTR(text);
                if (!t.member) {
                        r = -ENOMEM;
                        goto done;
                }
                if (!a->corrupted)
                        break;
        }

        if (t.analysis) {
                _cleanup_free_ char *version = NULL;
                crash_log_kernel(chosen_text, &t.kernel, &version);
                if (!t.kernel && t.analysis->kernel)
                        t.kernel = strdup(t.analysis->kernel);
                r = set_state(&t, "crash text from ", t.member);
        } else if (n_candidates == 0)
                r = set_state(&t, TRIAGE_NO_CRASH_TEXT ": ", "no dmesg member");
        else
                r = set_state(&t, TRIAGE_NO_CRASH_TEXT ": ",
                              too_large ? "no crash found in the dmesg members read (some are too large to read)"
                                        : "no crash found in the dmesg members");
done:
        strv_free(members);
        if (r < 0) {
                zip_triage_done(&t);
                return r;
        }
        *ret = t;
        return 0;
}

void zip_triage_done(ZipTriage *t) {
        crash_analysis_free(t->analysis);
        free(t->member);
        free(t->kernel);
        free(t->state);
        *t = (ZipTriage) {};
}

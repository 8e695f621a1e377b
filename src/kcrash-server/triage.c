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

/* A triage that found no crash text, and why. */
static int triage_no_crash(const char *why, ZipTriage *ret) {
        ZipTriage t = {};
        int r = set_state(&t, TRIAGE_NO_CRASH_TEXT ": ", why);
        if (r < 0)
                return r;
        *ret = t;
        return 0;
}

/* The members that may hold crash text, in the order they are tried; the
 * strings are borrowed from members. */
static int crash_candidates(char **members, char ***ret, size_t *ret_n) {
        size_t n = 0, n_candidates = 0;
        while (members[n])
                n++;
        char **candidates = calloc(n + 1, sizeof(char *));
        if (!candidates)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (triage_is_crash_member(members[i]))
                        candidates[n_candidates++] = members[i];
        qsort(candidates, n_candidates, sizeof(char *), name_cmp);
        *ret = candidates;
        *ret_n = n_candidates;
        return 0;
}

/* Reads and analyses the candidates in order, within the triage bounds: the
 * first crash that is not corrupted wins, else the first crash at all.
 * *ret_analysis is NULL when no candidate holds a crash; *ret_member is
 * borrowed from candidates; *ret_too_large says whether a candidate was
 * skipped for its size. */
static int choose_crash(const char *zip_path, char *const *candidates, size_t n_candidates,
                        CrashAnalysis **ret_analysis, const char **ret_member, char **ret_text,
                        bool *ret_too_large) {
        _cleanup_(crash_analysis_freep) CrashAnalysis *chosen = NULL;
        _cleanup_free_ char *chosen_text = NULL;
        const char *chosen_member = NULL;
        size_t total = 0;
        bool too_large = false;
        int r;

        for (size_t i = 0; i < n_candidates && i < TRIAGE_MAX_CANDIDATES && total < TRIAGE_MAX_TOTAL; i++) {
                _cleanup_(crash_analysis_freep) CrashAnalysis *a = NULL;
                _cleanup_free_ char *text = NULL;
                size_t size;

                r = archive_read_member(zip_path, candidates[i], MIN((size_t) TRIAGE_MAX_TEXT, TRIAGE_MAX_TOTAL - total),
                                        &text, &size);
                if (r == -ENOMEM)
                        return r;
                if (r == -EFBIG)
                        too_large = true;
                if (r < 0)
                        continue;
                total += size;
                r = crash_analyze(text, size, &a);
                if (r < 0)
                        return r;
                if (isempty(a->title) || (chosen && a->corrupted))
                        continue;
                /* The first crash, or a complete one after a corrupted one. */
                crash_analysis_free(chosen);
                chosen = TAKE_PTR(a);
                chosen_member = candidates[i];
                free(chosen_text);
                chosen_text = TAKE_PTR(text);
                if (!chosen->corrupted)
                        break;
        }

        *ret_analysis = TAKE_PTR(chosen);
        *ret_member = chosen_member;
        *ret_text = TAKE_PTR(chosen_text);
        *ret_too_large = too_large;
        return 0;
}

int zip_triage(const char *zip_path, ZipTriage *ret) {
        _cleanup_(zip_triage_done) ZipTriage t = {};
        _cleanup_(strv_freep) char **members = NULL;
        _cleanup_free_ char **candidates = NULL;
        _cleanup_free_ char *text = NULL, *version = NULL;
        const char *member;
        size_t n_candidates;
        bool too_large;
        int r;

        r = archive_list_members(zip_path, &members);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return triage_no_crash(r == -E2BIG ? "more members than the receiver reads" : "not a readable ZIP", ret);

        r = crash_candidates(members, &candidates, &n_candidates);
        if (r < 0)
                return r;
        if (n_candidates == 0)
                return triage_no_crash("no dmesg member", ret);

        r = choose_crash(zip_path, candidates, n_candidates, &t.analysis, &member, &text, &too_large);
        if (r < 0)
                return r;
        if (!t.analysis)
                return triage_no_crash(too_large ? "no crash found in the dmesg members read (some are too large to read)"
                                                 : "no crash found in the dmesg members",
                                       ret);

        t.member = strdup(member);
        if (!t.member)
                return -ENOMEM;
        crash_log_kernel(text, &t.kernel, &version);
        if (!t.kernel && t.analysis->kernel)
                t.kernel = strdup(t.analysis->kernel);
        r = set_state(&t, "crash text from ", t.member);
        if (r < 0)
                return r;

        *ret = t;
        t = (ZipTriage) {}; /* *ret owns it now */
        return 0;
}

void zip_triage_done(ZipTriage *t) {
        crash_analysis_free(t->analysis);
        free(t->member);
        free(t->kernel);
        free(t->state);
        *t = (ZipTriage) {};
}

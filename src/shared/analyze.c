/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PLACEHOLDER until the analyzer of issue 3 lands on this API: it only finds
 * the first panic or BUG line. Do not build on its behaviour. */
#include <stdlib.h>
#include <string.h>

#include "analyze-json.h"
#include "macro.h"

int crash_analyze(const char *log, size_t size, CrashAnalysis **ret) {
        CrashAnalysis *a = calloc(1, sizeof *a);
        if (!a)
                return -ENOMEM;
        const char *p = memmem(log, size, "Kernel panic - not syncing", 26);
        if (!p)
                p = memmem(log, size, "BUG: ", 5);
        if (p) {
                const char *e = memchr(p, '\n', size - (size_t) (p - log));
                a->title = strndup(p, e ? (size_t) (e - p) : size - (size_t) (p - log));
                a->report = strndup(p, size - (size_t) (p - log));
        } else {
                a->title = strdup("");
                a->report = strdup("");
        }
        a->type = strdup("UNKNOWN");
        /* "CPU: 0 PID: 1 Comm: sh Not tainted 6.1.0-56-amd64 #1 Debian ..." */
        const char *t = memmem(log, size, " tainted ", 9);
        if (!t)
                t = memmem(log, size, "Tainted: ", 9);
        if (t) {
                const char *end = log + size, *hash = NULL;
                for (const char *q = t; q + 1 < end && *q != '\n'; q++)
                        if (q[0] == ' ' && q[1] == '#') {
                                hash = q;
                                break;
                        }
                if (hash) {
                        const char *sp = hash;
                        while (sp > t && sp[-1] != ' ')
                                sp--;
                        a->kernel = strndup(sp, (size_t) (hash - sp));
                }
        }
        if (!a->title || !a->report || !a->type) {
                crash_analysis_free(a);
                return -ENOMEM;
        }
        *ret = a;
        return 0;
}

CrashAnalysis *crash_analysis_free(CrashAnalysis *a) {
        if (!a)
                return NULL;
        free(a->title);
        free(a->type);
        free(a->report);
        free(a->kernel);
        free(a);
        return NULL;
}

char *crash_analysis_stack_string(const CrashAnalysis *a) {
        return strdup("");
}

json_t *crash_analysis_to_json(const CrashAnalysis *a) {
        return json_pack("{s:s,s:s,s:b}", "title", a->title, "type", a->type, "corrupted", a->corrupted);
}

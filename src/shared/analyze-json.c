/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analyze-json.h"
#include "json-util.h"
#include "macro.h"

json_t *crash_analysis_to_json(const CrashAnalysis *a) {
        json_t *frames = json_array();
        for (size_t i = 0; frames && i < a->n_frames; i++)
                json_array_append_new(frames, json_string_lossy(a->frames[i]));
        /* Set one by one (json_pack() parsed its format for every
         * analysis). A field whose value could not be made (no memory)
         * fails the whole object, as json_pack() did; text that is not
         * UTF-8 is kept with U+FFFD. */
        struct {
                const char *key;
                json_t *value;
        } fields[] = {
                { "title", a->title ? json_string_or_null(a->title) : NULL },
                { "type", a->type ? json_string_or_null(a->type) : NULL },
                { "corrupted", json_boolean(a->corrupted) },
                { "frame", json_string_or_null(a->frame) },
                { "module", json_string_or_null(a->module) },
                { "taint", json_string_or_null(a->taint) },
                { "kernel", json_string_or_null(a->kernel) },
                { "hardware", json_string_or_null(a->hardware) },
                { "frames", frames },
                { "signature", json_string_or_null(a->signature) },
        };
        json_t *o = json_object();
        bool ok = o;
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                /* takes the value, also on failure */
                if (ok && json_object_set_new_nocheck(o, fields[i].key, fields[i].value) < 0)
                        ok = false;
                else if (!ok)
                        json_decref(fields[i].value);
        }
        if (!ok)
                json_decref(o);
        return ok ? o : NULL;
}

char *crash_analysis_to_json_string(const CrashAnalysis *a) {
        json_t *o = crash_analysis_to_json(a);
        if (!o)
                return NULL;
        char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        json_decref(o);
        return s;
}

int crash_analysis_print_json(const CrashAnalysis *a, FILE *f) {
        json_t *o = crash_analysis_to_json(a);
        if (!o)
                return -ENOMEM;
        /* Dumped into a buffer of the stack (an analysis is ~0.5 KiB of
         * JSON); only a longer one is dumped again into a string of its size. */
        char buf[4096];
        size_t n = json_dumpb(o, buf, sizeof buf, JSON_COMPACT | JSON_ENSURE_ASCII);
        int r = 0;
        if (n == 0)
                r = -ENOMEM;
        else if (n <= sizeof buf) {
                if (fwrite(buf, 1, n, f) != n || fputc('\n', f) == EOF)
                        r = -EIO;
        } else {
                char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
                if (!s)
                        r = -ENOMEM;
                else if (fputs(s, f) == EOF || fputc('\n', f) == EOF)
                        r = -EIO;
                free(s);
        }
        json_decref(o);
        return r;
}

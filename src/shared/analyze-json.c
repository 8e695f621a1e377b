/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <jansson.h>

#include "analyze-json.h"

static json_t *string_or_null(const char *s) {
        return s ? json_string(s) : json_null();
}

json_t *crash_analysis_to_json(const CrashAnalysis *a) {
        json_t *frames = json_array();
        for (size_t i = 0; frames && i < a->n_frames; i++)
                json_array_append_new(frames, json_string(a->frames[i]));
        /* "s?" takes NULL as null; "o" steals the frames reference. */
        return json_pack("{s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "title", a->title, "type", a->type,
                         "corrupted", a->corrupted, "frame", string_or_null(a->frame), "module",
                         string_or_null(a->module), "taint", string_or_null(a->taint), "kernel",
                         string_or_null(a->kernel), "hardware", string_or_null(a->hardware), "frames",
                         frames ? frames : json_array(), "signature", string_or_null(a->signature));
}

char *crash_analysis_to_json_string(const CrashAnalysis *a) {
        json_t *o = crash_analysis_to_json(a);
        if (!o)
                return NULL;
        char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        json_decref(o);
        return s;
}

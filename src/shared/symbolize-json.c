/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <jansson.h>

#include "json-util.h"
#include "symbolize-json.h"

static json_t *frame_json(const SymbolizedFrame *f) {
        json_t *locs = json_array();
        for (size_t i = 0; locs && i < f->result.n_locations; i++) {
                const SymbolLocation *l = &f->result.locations[i];
                json_t *loc = json_pack("{s:o, s:o, s:I, s:I}", "function", json_string_lossy(l->function), "file",
                                        json_string_lossy(l->file), "line", (json_int_t) l->line, "column",
                                        (json_int_t) l->column);
                if (json_array_append_new(locs, loc) < 0) {
                        json_decref(locs);
                        return NULL;
                }
        }
        if (!locs)
                return NULL;
        const StackFrame *s = &f->frame;
        return json_pack("{s:o, s:I, s:I, s:o, s:o, s:b, s:b, s:I, s:o, s:o, s:o}", "function",
                         json_string_lossy(s->function), "offset", (json_int_t) s->offset, "size",
                         (json_int_t) s->size, "module", json_string_or_null(s->module), "build_id",
                         f->build_id[0] ? json_string_lossy(f->build_id) : json_null(), "exact", s->exact,
                         "unreliable", s->unreliable, "log_line", (json_int_t) s->line, "locations", locs, "error",
                         json_string_or_null(f->result.error), "debug_file", json_string_or_null(f->result.debug_file));
}

char *symbolized_frames_to_json_string(const SymbolizedFrame *f, size_t n, bool pretty) {
        json_t *frames = json_array();
        for (size_t i = 0; frames && i < n; i++)
                if (json_array_append_new(frames, frame_json(&f[i])) < 0) {
                        json_decref(frames);
                        return NULL;
                }
        json_t *o = frames ? json_pack("{s:o}", "frames", frames) : NULL;
        if (!o)
                return NULL;
        char *s = json_dumps(o, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_ENSURE_ASCII);
        json_decref(o);
        return s;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analyze-json.h"
#include "json-util.h"
#include "macro.h"

/* The members, in the order they are printed (jansson keeps the order
 * they were added in). */
enum {
        FIELD_TITLE,
        FIELD_TYPE,
        FIELD_CORRUPTED,
        FIELD_FRAME,
        FIELD_MODULE,
        FIELD_TAINT,
        FIELD_KERNEL,
        FIELD_HARDWARE,
        FIELD_FRAMES,
        FIELD_SIGNATURE,
        _FIELD_MAX
};

static const char *const field_keys[_FIELD_MAX] = {
        [FIELD_TITLE] = "title",   [FIELD_TYPE] = "type",         [FIELD_CORRUPTED] = "corrupted",
        [FIELD_FRAME] = "frame",   [FIELD_MODULE] = "module",     [FIELD_TAINT] = "taint",
        [FIELD_KERNEL] = "kernel", [FIELD_HARDWARE] = "hardware", [FIELD_FRAMES] = "frames",
        [FIELD_SIGNATURE] = "signature",
};

struct AnalysisJsonWriter {
        json_t *object;
        /* Each member's place in the object: its value is replaced there
         * without looking the key up. */
        void *iters[_FIELD_MAX];
        json_t *frames; /* the object's "frames" array (borrowed) */
        /* Strings the frames array had, for it to have again: the next
         * analysis has more frames or fewer, and a string kept costs less
         * than one freed and made again. */
        json_t *spare;
};

AnalysisJsonWriter *analysis_json_writer_free(AnalysisJsonWriter *w) {
        if (!w)
                return NULL;
        json_decref(w->object);
        json_decref(w->spare);
        free(w);
        return NULL;
}

int analysis_json_writer_new(AnalysisJsonWriter **ret) {
        _cleanup_(analysis_json_writer_freep) AnalysisJsonWriter *w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->object = json_object();
        w->frames = json_array();
        w->spare = json_array();
        if (!w->object || !w->frames || !w->spare) {
                json_decref(w->frames);
                return -ENOMEM;
        }
        for (size_t i = 0; i < _FIELD_MAX; i++)
                if (json_object_set_new_nocheck(w->object, field_keys[i], i == FIELD_FRAMES ? w->frames : json_null()) < 0)
                        return -ENOMEM;
        /* (iterators stay valid while no member is added or removed) */
        for (size_t i = 0; i < _FIELD_MAX; i++)
                if (!(w->iters[i] = json_object_iter_at(w->object, field_keys[i])))
                        return -ENOMEM;
        *ret = TAKE_PTR(w);
        return 0;
}

/* strlen(s), and whether s is ASCII: ASCII is UTF-8 already, so jansson's
 * check of every character (the *_nocheck functions skip it) is not needed.
 * Eight bytes a step: every value of every analysis is asked. */
static size_t text_len(const char *s, bool *ret_ascii) {
        size_t n = strlen(s), i = 0;
        uint64_t bits = 0;
        for (; i + 8 <= n; i += 8) {
                uint64_t v;
                memcpy(&v, s + i, sizeof v);
                bits |= v;
        }
        for (; i < n; i++)
                bits |= (unsigned char) s[i];
        *ret_ascii = !(bits & UINT64_C(0x8080808080808080));
        return n;
}

/* Whether the JSON string v is s[0, n) already. */
static bool string_is(const json_t *v, const char *s, size_t n) {
        return json_string_length(v) == n && memcmp(json_string_value(v), s, n) == 0;
}

/* A JSON string of the n bytes of the string s; bytes that are not UTF-8
 * become U+FFFD (json_string_lossy()). NULL when out of memory. */
static json_t *string_new(const char *s, size_t n, bool ascii) {
        return ascii ? json_stringn_nocheck(s, n) : json_string_lossy(s);
}

/* Takes v, also on failure (NULL v fails). */
static int member_set(AnalysisJsonWriter *w, size_t field, json_t *v) {
        return json_object_iter_set_new(w->object, w->iters[field], v) < 0 ? -ENOMEM : 0;
}

/* The member's value: s, or null when s is NULL. A string already there
 * is reused. */
static int member_set_string(AnalysisJsonWriter *w, size_t field, const char *s) {
        json_t *cur = json_object_iter_value(w->iters[field]);
        if (!s)
                return json_is_null(cur) ? 0 : member_set(w, field, json_null());
        bool ascii;
        size_t n = text_len(s, &ascii);
        if (ascii && json_is_string(cur))
                /* (the kernel, the hardware, ... of a log's crashes are often the same) */
                return string_is(cur, s, n) || json_string_setn_nocheck(cur, s, n) >= 0 ? 0 : -ENOMEM;
        return member_set(w, field, string_new(s, n, ascii));
}

/* The frames array, its strings reused. */
static int frames_set(json_t *arr, json_t *spare, char *const *frames, size_t n_frames) {
        size_t k = 0;
        for (size_t i = 0; i < n_frames; i++) {
                bool ascii;
                size_t n = text_len(frames[i], &ascii);
                json_t *cur = json_array_get(arr, k);
                if (ascii && cur) {
                        if (!string_is(cur, frames[i], n) && json_string_setn_nocheck(cur, frames[i], n) < 0)
                                return -ENOMEM;
                        k++;
                        continue;
                }
                json_t *v = NULL;
                size_t n_spare = json_array_size(spare);
                if (ascii && n_spare > 0) {
                        v = json_incref(json_array_get(spare, n_spare - 1));
                        if (json_array_remove(spare, n_spare - 1) < 0 || json_string_setn_nocheck(v, frames[i], n) < 0) {
                                json_decref(v);
                                return -ENOMEM;
                        }
                } else
                        v = string_new(frames[i], n, ascii);
                if (!v)
                        return -ENOMEM;
                if ((cur ? json_array_set_new(arr, k, v) : json_array_append_new(arr, v)) < 0)
                        return -ENOMEM;
                k++;
        }
        for (size_t n; (n = json_array_size(arr)) > k;) {
                /* kept for a later analysis (a string only: what string_new() made) */
                json_t *last = json_array_get(arr, n - 1);
                if (json_is_string(last) && json_array_append(spare, last) < 0)
                        return -ENOMEM;
                if (json_array_remove(arr, n - 1) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Every member is set for every analysis, so nothing of the one before
 * stays (not even after a failure). A title or type of NULL fails the
 * whole object, as json_pack() did. */
static int writer_fill(AnalysisJsonWriter *w, const CrashAnalysis *a) {
        if (!a->title || !a->type)
                return -ENOMEM;
        const char *strings[_FIELD_MAX] = {
                [FIELD_TITLE] = a->title,   [FIELD_TYPE] = a->type,         [FIELD_FRAME] = a->frame,
                [FIELD_MODULE] = a->module, [FIELD_TAINT] = a->taint,       [FIELD_KERNEL] = a->kernel,
                [FIELD_HARDWARE] = a->hardware, [FIELD_SIGNATURE] = a->signature,
        };
        int r;
        for (size_t i = 0; i < _FIELD_MAX; i++) {
                if (i == FIELD_CORRUPTED)
                        r = member_set(w, i, json_boolean(a->corrupted));
                else if (i == FIELD_FRAMES)
                        r = frames_set(w->frames, w->spare, a->frames, a->n_frames);
                else
                        r = member_set_string(w, i, strings[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

json_t *crash_analysis_to_json(const CrashAnalysis *a) {
        _cleanup_(analysis_json_writer_freep) AnalysisJsonWriter *w = NULL;
        if (analysis_json_writer_new(&w) < 0 || writer_fill(w, a) < 0)
                return NULL;
        return json_incref(w->object);
}

char *crash_analysis_to_json_string(const CrashAnalysis *a) {
        json_t *o = crash_analysis_to_json(a);
        if (!o)
                return NULL;
        char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        json_decref(o);
        return s;
}

static int print_line(const json_t *o, FILE *f) {
        /* Dumped into a buffer of the stack (an analysis is ~0.5 KiB of
         * JSON); only a longer one is dumped again into a string of its size. */
        char buf[4096];
        size_t n = json_dumpb(o, buf, sizeof buf, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (n == 0)
                return -ENOMEM;
        if (n <= sizeof buf)
                return fwrite(buf, 1, n, f) != n || fputc('\n', f) == EOF ? -EIO : 0;
        _cleanup_free_ char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (!s)
                return -ENOMEM;
        return fputs(s, f) == EOF || fputc('\n', f) == EOF ? -EIO : 0;
}

int analysis_json_writer_print(AnalysisJsonWriter *w, const CrashAnalysis *a, FILE *f) {
        int r = writer_fill(w, a);
        if (r < 0)
                return r;
        return print_line(w->object, f);
}

int crash_analysis_print_json(const CrashAnalysis *a, FILE *f) {
        _cleanup_(analysis_json_writer_freep) AnalysisJsonWriter *w = NULL;
        int r = analysis_json_writer_new(&w);
        if (r < 0)
                return r;
        return analysis_json_writer_print(w, a, f);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "symbolize-stack.h"

int symbolize_stack(Symbolizer *s, const char *text, size_t size, const BuildIds *ids, SymbolizedFrame **ret,
                    size_t *ret_n) {
        StackFrame *frames;
        size_t n;
        int r = stack_frames_parse(text, size, SYMBOLIZE_MAX_FRAMES, &frames, &n);
        if (r < 0)
                return r;
        SymbolizedFrame *out = calloc(n ? n : 1, sizeof *out);
        if (!out) {
                stack_frames_free(frames, n);
                return -ENOMEM;
        }
        size_t i = 0;
        for (; i < n; i++) {
                out[i].frame = frames[i];
                const StackFrame *f = &frames[i];
                const char *id = f->build_id[0] ? f->build_id
                                 : f->module   ? (ids ? build_ids_module(ids, f->module) : NULL)
                                               : (ids ? ids->vmlinux : NULL);
                snprintf(out[i].build_id, sizeof out[i].build_id, "%s", strempty(id));
                if (!id) {
                        r = asprintf(&out[i].result.error, "no build id for %s in the report",
                                     f->module ? f->module : "the kernel (vmlinux)") < 0 ? -ENOMEM : 0;
                        if (r < 0)
                                out[i].result.error = NULL;
                } else
                        r = symbolizer_lookup(s, id, f->function, f->offset, f->size, f->exact, &out[i].result);
                if (r < 0)
                        break;
        }
        /* the StackFrame copies own the strings now */
        free(frames);
        if (r < 0) {
                for (size_t j = i + 1; j < n; j++) {
                        free(out[j].frame.function);
                        free(out[j].frame.module);
                }
                symbolized_frames_free(out, i + 1);
                return r;
        }
        *ret = out;
        *ret_n = n;
        return 0;
}

void symbolized_frames_free(SymbolizedFrame *f, size_t n) {
        for (size_t i = 0; f && i < n; i++) {
                free(f[i].frame.function);
                free(f[i].frame.module);
                symbolize_result_done(&f[i].result);
        }
        free(f);
}

int symbolized_frames_text(const SymbolizedFrame *f, size_t n, char **ret) {
        char *s = NULL;
        size_t size = 0;
        FILE *out = open_memstream(&s, &size);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const StackFrame *fr = &f[i].frame;
                fprintf(out, "#%zu %s%s+0x%llx", i, fr->unreliable ? "? " : "", fr->function,
                        (unsigned long long) fr->offset);
                if (fr->size)
                        fprintf(out, "/0x%llx", (unsigned long long) fr->size);
                if (fr->module)
                        fprintf(out, " [%s]", fr->module);
                fputs(fr->exact ? " (instruction pointer)\n" : "\n", out);
                const SymbolizeResult *r = &f[i].result;
                for (size_t j = 0; j < r->n_locations; j++) {
                        const SymbolLocation *l = &r->locations[j];
                        fprintf(out, "     %s%s at %s:%u", j + 1 < r->n_locations ? "inlined " : "", l->function, l->file,
                                l->line);
                        if (l->column)
                                fprintf(out, ":%u", l->column);
                        fputc('\n', out);
                }
                if (r->n_locations == 0)
                        fprintf(out, "     %s\n", strempty(r->error));
        }
        if (fclose(out) != 0) {
                free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

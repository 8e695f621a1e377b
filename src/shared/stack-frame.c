/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "stack-frame.h"

static bool is_ident(char c) {
        return isalnum((unsigned char) c) || c == '_';
}

size_t stack_module_tag_parse(const char *p, char module[STACK_MODULE_NAME_MAX], char build_id[BUILD_ID_HEX_MAX]) {
        if (*p != '[')
                return 0;
        const char *q = p + 1, *name = q;
        while (is_ident(*q) || *q == '-')
                q++;
        size_t nl = (size_t) (q - name);
        if (nl == 0 || nl >= STACK_MODULE_NAME_MAX)
                return 0;
        const char *id = NULL;
        size_t il = 0;
        if (*q == ' ') {
                /* " buildid]": the hex of the module's GNU build-id note */
                id = ++q;
                while (isxdigit((unsigned char) *q))
                        q++;
                il = (size_t) (q - id);
                if (il < 2 || il >= BUILD_ID_HEX_MAX || il % 2 != 0)
                        return 0;
        }
        if (*q != ']')
                return 0;
        memcpy(module, name, nl);
        module[nl] = 0;
        for (size_t i = 0; i < il; i++)
                build_id[i] = (char) tolower((unsigned char) id[i]);
        build_id[il] = 0;
        return (size_t) (q + 1 - p);
}

/* "0x1f" → 0x1f; NULL unless at least one hex digit and no overflow. */
static const char *parse_hex(const char *p, const char *end, uint64_t *ret) {
        if (end - p < 3 || p[0] != '0' || p[1] != 'x')
                return NULL;
        p += 2;
        uint64_t v = 0;
        const char *s = p;
        for (; p < end && isxdigit((unsigned char) *p); p++) {
                if (v >> 60)
                        return NULL;
                v = v * 16 + (uint64_t) (isdigit((unsigned char) *p) ? *p - '0' : (tolower((unsigned char) *p) - 'a' + 10));
        }
        if (p == s)
                return NULL;
        *ret = v;
        return p;
}

/* Skips "<6>", "[  12.345678]" and "[  T123]"/"[ C1]" prefixes and spaces. */
static const char *skip_prefix(const char *p, const char *end) {
        if (p < end && *p == '<') {
                const char *q = p + 1;
                while (q < end && isdigit((unsigned char) *q) && q - p < 5)
                        q++;
                if (q < end && *q == '>' && q > p + 1)
                        p = q + 1;
        }
        for (int i = 0; i < 2 && p < end && *p == '['; i++) {
                const char *q = p + 1;
                while (q < end && *q == ' ')
                        q++;
                if (q < end && (*q == 'T' || *q == 'C'))
                        q++;
                const char *d = q;
                while (q < end && (isdigit((unsigned char) *q) || *q == '.'))
                        q++;
                if (q == d || q >= end || *q != ']')
                        break;
                p = q + 1;
        }
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        return p;
}

/* "[<ffffffffc0a1b2c3>] " (older kernels print the address before the symbol) */
static const char *skip_address(const char *p, const char *end) {
        if (end - p < 4 || p[0] != '[' || p[1] != '<')
                return p;
        const char *q = p + 2;
        while (q < end && isxdigit((unsigned char) *q))
                q++;
        if (q + 1 >= end || q[0] != '>' || q[1] != ']')
                return p;
        q += 2;
        while (q < end && *q == ' ')
                q++;
        return q;
}

/* stack_module_tag_parse() reads up to the closing ']': only call it when
 * the line has one. */
static bool tag_in_line(const char *p, const char *end) {
        return memchr(p, ']', (size_t) (end - p)) != NULL;
}

/* "func+0x1f/0x90 [mod id]" at p; the line is NUL-free and ends at end. */
static int parse_symbol(const char *p, const char *end, StackFrame *f) {
        const char *name = p;
        while (p < end && (is_ident(*p) || *p == '.'))
                p++;
        size_t nl = (size_t) (p - name);
        if (nl == 0 || nl > 512 || p >= end || *p != '+' || !is_ident(name[0]))
                return 0;
        p++;
        p = parse_hex(p, end, &f->offset);
        if (!p)
                return 0;
        f->size = 0;
        if (p < end && *p == '/') {
                p = parse_hex(p + 1, end, &f->size);
                if (!p)
                        return 0;
        }
        if (p < end && *p != ' ' && *p != '\n' && *p != '\r')
                return 0;
        while (p < end && *p == ' ')
                p++;
        char module[STACK_MODULE_NAME_MAX];
        f->build_id[0] = 0;
        f->module = NULL;
        if (p < end && *p == '[' && tag_in_line(p, end) && stack_module_tag_parse(p, module, f->build_id) > 0) {
                f->module = strdup(module);
                if (!f->module)
                        return -ENOMEM;
        }
        f->function = strndup(name, nl);
        if (!f->function) {
                free(f->module);
                return -ENOMEM;
        }
        return 1;
}

static int parse_line(const char *p, const char *end, StackFrame *f) {
        p = skip_prefix(p, end);
        f->exact = f->unreliable = false;
        static const char *const ip_tokens[] = { "RIP: ", "EIP: ", "pc : ", "PC is at " };
        for (size_t i = 0; i < ELEMENTSOF(ip_tokens); i++) {
                size_t l = strlen(ip_tokens[i]);
                if ((size_t) (end - p) > l && memcmp(p, ip_tokens[i], l) == 0) {
                        p += l;
                        /* "0010:" code segment; a user-space "0033:0x47b7a0" has no symbol */
                        const char *q = p;
                        while (q < end && isxdigit((unsigned char) *q))
                                q++;
                        if (q < end && *q == ':' && q - p == 4)
                                p = q + 1;
                        f->exact = true;
                        return parse_symbol(skip_address(p, end), end, f);
                }
        }
        if (end - p >= 2 && p[0] == '?' && p[1] == ' ') {
                f->unreliable = true;
                p += 2;
        }
        p = skip_address(p, end);
        return parse_symbol(p, end, f);
}

int stack_frames_parse(const char *text, size_t size, size_t max_frames, StackFrame **ret, size_t *ret_n) {
        StackFrame *frames = NULL;
        size_t n = 0;
        unsigned lineno = 0;
        const char *p = text, *end = text + size;

        while (p < end && n < max_frames) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *le = nl ? nl : end;
                lineno++;
                /* Every frame has its "+0x" offset: a line without a '+' is
                 * none (most of a log; build_ids_for_crash() reads it all). */
                if (!memchr(p, '+', (size_t) (le - p))) {
                        p = le + 1;
                        continue;
                }
                /* A NUL inside the line ends it. */
                const char *z = memchr(p, 0, (size_t) (le - p));
                StackFrame f = { .line = lineno };
                int r = parse_line(p, z ? z : le, &f);
                if (r < 0) {
                        stack_frames_free(frames, n);
                        return r;
                }
                if (r > 0) {
                        StackFrame *g = realloc(frames, (n + 1) * sizeof *g);
                        if (!g) {
                                free(f.function);
                                free(f.module);
                                stack_frames_free(frames, n);
                                return -ENOMEM;
                        }
                        frames = g;
                        frames[n++] = f;
                }
                p = le + 1;
        }
        *ret = frames;
        *ret_n = n;
        return 0;
}

void stack_frames_free(StackFrame *f, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(f[i].function);
                free(f[i].module);
        }
        free(f);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "utf8.h"

/* C1 controls, and the line separators and bidirectional overrides that
 * make a terminal show text other than what is there. */
static bool is_format_control(uint32_t cp) {
        return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

char *text_escape_into(char *out, const char *s, TextEscapeFlags flags) {
        bool keep_lines = flags & TEXT_KEEP_LINES, keep_tabs = keep_lines || (flags & TEXT_KEEP_TABS);
        const unsigned char *p = (const unsigned char *) s;
        size_t n = strlen(s);
        char *o = out;
        size_t i = 0;
        while (i < n) {
                uint32_t cp = 0;
                size_t l = utf8_decode_char(p + i, n - i, &cp);
                if (l > 1 && !is_format_control(cp)) {
                        memcpy(o, p + i, l);
                        o += l;
                        i += l;
                        continue;
                }
                if (l == 1 && ((cp >= 0x20 && cp != 0x7f && cp != '\\') || (keep_lines && (cp == '\n' || cp == '\\')) ||
                               (keep_tabs && cp == '\t'))) {
                        *o++ = (char) cp;
                        i++;
                        continue;
                }
                /* escape the bytes of this character (or this one bad byte) */
                if (l == 0)
                        l = 1;
                for (size_t k = 0; k < l; k++, i++) {
                        static const char hex[] = "0123456789abcdef";
                        unsigned char c = p[i];
                        *o++ = '\\';
                        if (c == '\n')
                                *o++ = 'n';
                        else if (c == '\t')
                                *o++ = 't';
                        else if (c == '\\')
                                *o++ = '\\';
                        else {
                                *o++ = 'x';
                                *o++ = hex[c >> 4];
                                *o++ = hex[c & 15];
                        }
                }
        }
        *o = 0;
        return o;
}

static char *escape(const char *s, TextEscapeFlags flags) {
        size_t n = strlen(s);
        char *out = n < SIZE_MAX / 4 ? malloc(n * 4 + 1) : NULL; /* at worst \xNN per byte */
        if (out)
                text_escape_into(out, s, flags);
        return out;
}

char *text_escape(const char *s) {
        return escape(s, 0);
}

char *text_escape_lines(const char *s) {
        return escape(s, TEXT_KEEP_LINES);
}

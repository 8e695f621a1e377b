/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* The length of the well-formed UTF-8 sequence at p (Unicode table 3-7: no
 * overlong forms, no surrogates, at most U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n, uint32_t *ret_cp) {
        if (n == 0)
                return 0;
        if (p[0] < 0x80) {
                *ret_cp = p[0];
                return 1;
        }
        size_t len;
        uint32_t cp, min;
        if ((p[0] & 0xe0) == 0xc0)
                len = 2, cp = p[0] & 0x1f, min = 0x80;
        else if ((p[0] & 0xf0) == 0xe0)
                len = 3, cp = p[0] & 0x0f, min = 0x800;
        else if ((p[0] & 0xf8) == 0xf0)
                len = 4, cp = p[0] & 0x07, min = 0x10000;
        else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        *ret_cp = cp;
        return len;
}

char *text_utf8_clean(const char *s, size_t max) {
        const unsigned char *p = (const unsigned char *) s;
        size_t n = strlen(s);
        /* at worst every byte becomes the 3-byte U+FFFD */
        char *out = malloc((n < max ? n : max) * 3 + 1), *o = out;
        if (!out)
                return NULL;
        size_t i = 0;
        while (i < n) {
                uint32_t cp;
                size_t l = utf8_seq(p + i, n - i, &cp);
                const char *src = (const char *) p + i;
                size_t add = l;
                if (l == 0)
                        src = "\xef\xbf\xbd", add = 3, l = 1;
                if ((size_t) (o - out) + add > max)
                        break;
                memcpy(o, src, add);
                o += add;
                i += l;
        }
        *o = 0;
        return out;
}

/* C1 controls, and the line separators and bidirectional overrides that
 * make a terminal show text other than what is there. */
static bool is_format_control(uint32_t cp) {
        return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static char *escape(const char *s, bool keep_lines) {
        const unsigned char *p = (const unsigned char *) s;
        size_t n = strlen(s);
        char *out = malloc(n * 4 + 1), *o = out; /* at worst \xNN per byte */
        if (!out)
                return NULL;
        size_t i = 0;
        while (i < n) {
                uint32_t cp = 0;
                size_t l = utf8_seq(p + i, n - i, &cp);
                if (l > 1 && !is_format_control(cp)) {
                        memcpy(o, p + i, l);
                        o += l;
                        i += l;
                        continue;
                }
                if (l == 1 && ((cp >= 0x20 && cp != 0x7f && cp != '\\') || (keep_lines && (cp == '\n' || cp == '\t' || cp == '\\')))) {
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
        return out;
}

char *text_escape(const char *s) {
        return escape(s, false);
}

char *text_escape_lines(const char *s) {
        return escape(s, true);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

size_t utf8_decode_char(const unsigned char *p, size_t n, uint32_t *ret_cp) {
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

bool utf8_is_valid(const char *s) {
        const unsigned char *p = (const unsigned char *) s;
        size_t n = strlen(s);
        for (size_t i = 0; i < n;) {
                uint32_t cp;
                size_t l = utf8_decode_char(p + i, n - i, &cp);
                if (l == 0)
                        return false;
                i += l;
        }
        return true;
}

char *utf8_make_valid(const char *s, size_t max) {
        const unsigned char *p = (const unsigned char *) s;
        size_t n = strlen(s);
        /* at worst every byte becomes the 3-byte U+FFFD */
        char *out = malloc((n < max ? n : max) * 3 + 1), *o = out;
        if (!out)
                return NULL;
        size_t i = 0;
        while (i < n) {
                uint32_t cp;
                size_t l = utf8_decode_char(p + i, n - i, &cp);
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

void utf8_replace_controls(char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        *s = '?';
}

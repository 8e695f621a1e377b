/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "macro.h"

static int hexval(char c) {
        return isdigit((unsigned char) c) ? c - '0'
               : isxdigit((unsigned char) c) ? (tolower((unsigned char) c) - 'a' + 10)
                                              : -1;
}

/* s[i] starts a %XX escape. */
static bool is_escape(const char *s, size_t i, size_t n) {
        return s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0;
}

static char *form_decode(const char *s, size_t n) {
        char *out = malloc(n + 1), *o = out;
        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '+')
                        *o++ = ' ';
                else if (is_escape(s, i, n)) {
                        *o++ = (char) (hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
                        i += 2;
                } else
                        *o++ = s[i];
        }
        *o = 0;
        return out;
}

/* The value of name: where it starts and how long it is; false if absent. */
static bool form_find(const char *body, size_t n, const char *name, const char **ret_value, size_t *ret_len) {
        size_t nl = strlen(name);
        const char *p = body, *end = body + n;
        while (p < end) {
                const char *amp = memchr(p, '&', (size_t) (end - p));
                const char *e = amp ? amp : end;
                if ((size_t) (e - p) > nl && strneq(p, name, nl) && p[nl] == '=') {
                        *ret_value = p + nl + 1;
                        *ret_len = (size_t) (e - p - nl - 1);
                        return true;
                }
                p = e + 1;
        }
        return false;
}

char *form_get(const char *body, size_t n, const char *name) {
        const char *v;
        size_t l;
        return form_find(body, n, name, &v, &l) ? form_decode(v, l) : NULL;
}

char *form_get_raw(const char *body, size_t n, const char *name) {
        const char *v;
        size_t l;
        return form_find(body, n, name, &v, &l) ? strndup(v, l) : NULL;
}

bool form_is_unencoded(const char *body, size_t n) {
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) body[i];
                if (isalnum(c) && c < 0x80)
                        continue;
                if (c == '%') {
                        if (!is_escape(body, i, n))
                                return true;
                        continue;
                }
                if (!strchr("-._~!'()*+=&", c) || c == 0)
                        return true;
        }
        return false;
}

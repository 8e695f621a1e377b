/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "parse-util.h"

/* Decimal digits s[0..len), at least one, nothing else. */
static int digits_n(const char *s, size_t len, uint64_t *ret) {
        uint64_t v = 0;
        if (len == 0)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                unsigned d = (unsigned) (s[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

int parse_uint64_n(const char *s, size_t len, uint64_t *ret) {
        return digits_n(s, len, ret);
}

int parse_uint64(const char *s, uint64_t *ret) {
        return digits_n(s, strlen(s), ret);
}

int parse_int64_n(const char *s, size_t len, int64_t *ret) {
        bool negative = len > 0 && s[0] == '-';
        uint64_t v;
        int r = digits_n(s + negative, len - negative, &v);
        if (r < 0)
                return r;
        if (negative ? v > (uint64_t) INT64_MAX + 1 : v > (uint64_t) INT64_MAX)
                return -ERANGE;
        /* -(INT64_MAX + 1) without overflowing on the way. */
        *ret = negative ? (v == 0 ? 0 : -(int64_t) (v - 1) - 1) : (int64_t) v;
        return 0;
}

int parse_int64(const char *s, int64_t *ret) {
        return parse_int64_n(s, strlen(s), ret);
}

int parse_uint(const char *s, unsigned *ret) {
        uint64_t v;
        int r = parse_uint64(s, &v);
        if (r < 0)
                return r;
        if (v > UINT_MAX)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

int parse_int(const char *s, int *ret) {
        int64_t v;
        int r = parse_int64(s, &v);
        if (r < 0)
                return r;
        if (v < INT_MIN || v > INT_MAX)
                return -ERANGE;
        *ret = (int) v;
        return 0;
}

int parse_uint64_prefix(const char *s, uint64_t *ret, const char **ret_end) {
        size_t n = strspn(s, "0123456789");
        uint64_t v;
        int r = digits_n(s, n, &v);
        if (r < 0)
                return r;
        *ret = v;
        *ret_end = s + n;
        return 0;
}

int parse_seconds(const char *s, unsigned *ret) {
        static const struct {
                const char *suffix;
                uint64_t factor;
        } units[] = {
                { "", 1 }, { "s", 1 }, { "min", 60 }, { "h", 3600 },
        };
        const char *end;
        uint64_t v;
        int r = parse_uint64_prefix(s, &v, &end);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (streq(end, units[i].suffix)) {
                        if (v > UINT_MAX / units[i].factor)
                                return -ERANGE;
                        *ret = (unsigned) (v * units[i].factor);
                        return 0;
                }
        return -EINVAL;
}

int parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "1", "yes", "y", "true", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "off" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        return -EINVAL;
}

int parse_size(const char *s, uint64_t *ret) {
        const char *end;
        uint64_t v;
        int r = parse_uint64_prefix(s, &v, &end);
        if (r < 0)
                return r;
        unsigned shift = 0;
        switch (*end) {
        case 0: break;
        case 'k': case 'K': shift = 10; end++; break;
        case 'm': case 'M': shift = 20; end++; break;
        case 'g': case 'G': shift = 30; end++; break;
        default: return -EINVAL;
        }
        if (*end == 'i' && shift)
                end++;
        if ((*end == 'B' || *end == 'b') && shift)
                end++;
        if (*end)
                return -EINVAL;
        if (shift && v > (UINT64_MAX >> shift))
                return -ERANGE;
        *ret = v << shift;
        return 0;
}

const char *word_next(const char **p, const char *separators, size_t *ret_len) {
        const char *s = *p;
        if (!s)
                return NULL;
        s += strspn(s, separators);
        if (!*s) {
                *p = s;
                return NULL;
        }
        size_t n = strcspn(s, separators);
        *p = s + n;
        *ret_len = n;
        return s;
}

bool word_eq(const char *w, size_t len, const char *s) {
        return strlen(s) == len && memcmp(w, s, len) == 0;
}

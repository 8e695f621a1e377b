/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "redact.h"

/* Hand-written matchers rather than regex: each first checks that it starts
 * at a word boundary and then looks at a bounded window (at most 320 bytes),
 * so the whole pass stays linear on hostile input. */

static bool is_hex(char c) {
        return isxdigit((unsigned char) c);
}

static bool is_email_local(char c) {
        /* c != 0: strchr() finds the terminating NUL of its set. */
        return isalnum((unsigned char) c) || (c != 0 && strchr("._%+-", c));
}

static bool is_domain(char c) {
        return isalnum((unsigned char) c) || c == '.' || c == '-';
}

/* Six pairs of hex digits separated by the same ':' or '-'. */
static size_t match_mac(const char *p, const char *end, const char *start) {
        if (p > start && (is_hex(p[-1]) || p[-1] == ':' || p[-1] == '-'))
                return 0;
        if (end - p < 17)
                return 0;
        char sep = p[2];
        if (sep != ':' && sep != '-')
                return 0;
        for (int i = 0; i < 6; i++) {
                if (!is_hex(p[3 * i]) || !is_hex(p[3 * i + 1]))
                        return 0;
                if (i < 5 && p[3 * i + 2] != sep)
                        return 0;
        }
        if (end - p > 17 && (is_hex(p[17]) || p[17] == sep))
                return 0;
        return 17;
}

static size_t match_ipv4(const char *p, const char *end, const char *start) {
        if (p > start && (isdigit((unsigned char) p[-1]) || p[-1] == '.'))
                return 0;
        const char *q = p;
        for (int part = 0; part < 4; part++) {
                int digits = 0, v = 0;
                while (q < end && isdigit((unsigned char) *q) && digits < 4) {
                        v = v * 10 + (*q - '0');
                        q++;
                        digits++;
                }
                if (digits == 0 || digits > 3 || v > 255)
                        return 0;
                if (part < 3) {
                        if (q >= end || *q != '.')
                                return 0;
                        q++;
                }
        }
        if (q < end && (isdigit((unsigned char) *q) || (*q == '.' && q + 1 < end && isdigit((unsigned char) q[1]))))
                return 0;
        return (size_t) (q - p);
}

/* A run of hex groups and colons with "::" or eight groups; at most 39 chars. */
static size_t match_ipv6(const char *p, const char *end, const char *start) {
        if (p > start && (is_hex(p[-1]) || p[-1] == ':' || isalnum((unsigned char) p[-1])))
                return 0;
        const char *q = p;
        int colons = 0, group = 0, groups = 0;
        bool double_colon = false;
        while (q < end && q - p <= 39 && (is_hex(*q) || *q == ':')) {
                if (*q == ':') {
                        if (q > p && q[-1] == ':') {
                                if (double_colon)
                                        return 0;
                                double_colon = true;
                        }
                        colons++;
                        if (group > 0)
                                groups++;
                        group = 0;
                } else if (++group > 4)
                        return 0;
                q++;
        }
        /* An IPv4 address as the last 32 bits ("::ffff:192.168.1.20"): the
         * whole address is one match, or the dotted tail would stay readable. */
        if (q < end && *q == '.' && group > 0 && q - group > p && q[-group - 1] == ':') {
                size_t v4 = match_ipv4(q - group, end, start);
                if (v4 > 0 && (double_colon || colons == 6))
                        return (size_t) (q - group + v4 - p);
        }
        if (group > 0)
                groups++;
        if (q < end && (isalnum((unsigned char) *q) || *q == '_'))
                return 0;
        /* A trailing single ':' is punctuation ("addr fe80::1: up"). */
        if (q - p >= 2 && q[-1] == ':' && q[-2] != ':') {
                q--;
                colons--;
        }
        if (colons < 2 || groups < 1)
                return 0;
        if (!(double_colon || (colons == 7 && groups == 8)))
                return 0;
        return (size_t) (q - p);
}

/* local@domain.tld, with the match starting at the local part. */
static size_t match_email(const char *p, const char *end, const char *start) {
        if (p > start && is_email_local(p[-1]))
                return 0;
        const char *q = p;
        while (q < end && is_email_local(*q) && q - p < 64)
                q++;
        if (q == p || q >= end || *q != '@')
                return 0;
        q++;
        const char *domain = q;
        while (q < end && is_domain(*q) && q - domain < 255)
                q++;
        /* A sentence's full stop or a dash is not part of the domain. */
        while (q > domain && (q[-1] == '.' || q[-1] == '-'))
                q--;
        const char *last_dot = q > domain ? memrchr(domain, '.', (size_t) (q - domain)) : NULL;
        if (!last_dot || last_dot == domain || q - last_dot < 3)
                return 0;
        for (const char *t = last_dot + 1; t < q; t++)
                if (!isalpha((unsigned char) *t))
                        return 0;
        return (size_t) (q - p);
}

size_t redact_match(const char *text, size_t size, size_t pos, unsigned flags, const char **ret_tag) {
        const char *p = text + pos, *end = text + size;
        const char *tag = NULL;
        size_t best = 0, n;

        if (pos >= size)
                return 0;
        /* The longest match wins: in "1.2.3.4x@example.com" the address is
         * the whole e-mail, not an IPv4 address followed by a readable domain. */
        if ((flags & REDACT_MAC) && is_hex(*p) && (n = match_mac(p, end, text)) > best) {
                best = n;
                tag = "[MAC]";
        }
        if ((flags & REDACT_IPV4) && isdigit((unsigned char) *p) && (n = match_ipv4(p, end, text)) > best) {
                best = n;
                tag = "[IP]";
        }
        if ((flags & REDACT_IPV6) && (is_hex(*p) || *p == ':') && (n = match_ipv6(p, end, text)) > best) {
                best = n;
                tag = "[IP]";
        }
        if ((flags & REDACT_EMAIL) && is_email_local(*p) && (n = match_email(p, end, text)) > best) {
                best = n;
                tag = "[EMAIL]";
        }
        if (best > 0)
                *ret_tag = tag;
        return best;
}

/* Makes room for need more bytes after used; doubles, so appending stays linear. */
static int reserve(char **buf, size_t *cap, size_t used, size_t need) {
        if (need <= *cap - used)
                return 0;
        if (need > SIZE_MAX / 2 - used)
                return -ENOMEM;
        size_t c = MAX(*cap, used + need);
        c = MAX(c, 2 * *cap);
        char *b = realloc(*buf, c);
        if (!b)
                return -ENOMEM;
        *buf = b;
        *cap = c;
        return 0;
}

int redact_text(const char *text, size_t size, unsigned flags, char **ret, size_t *ret_size, size_t *ret_count) {
        /* A replacement can be longer than what it replaces ("1::" becomes
         * "[IP]", "a@b.cd" becomes "[EMAIL]"), so the output is not bounded by
         * the input: the buffer grows as needed instead of trusting a bound. */
        _cleanup_free_ char *out = NULL;
        size_t cap = 0, o = 0, count = 0, run = 0;
        int r;

        if (size > SIZE_MAX / 4)
                return -ENOMEM;
        r = reserve(&out, &cap, 0, size + size / 8 + 16);
        if (r < 0)
                return r;

        for (size_t p = 0; p < size;) {
                const char *tag = NULL;
                size_t n = redact_match(text, size, p, flags, &tag);
                if (n == 0) {
                        p++;
                        run++;
                        continue;
                }
                /* The unmatched bytes before this match, then the tag. */
                size_t tl = strlen(tag);
                r = reserve(&out, &cap, o, run + tl + 1);
                if (r < 0)
                        return r;
                memcpy(out + o, text + p - run, run);
                o += run;
                memcpy(out + o, tag, tl);
                o += tl;
                run = 0;
                p += n;
                count++;
        }
        r = reserve(&out, &cap, o, run + 1);
        if (r < 0)
                return r;
        memcpy(out + o, text + size - run, run);
        o += run;
        out[o] = 0;

        *ret = TAKE_PTR(out);
        if (ret_size)
                *ret_size = o;
        if (ret_count)
                *ret_count = count;
        return 0;
}

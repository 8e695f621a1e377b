/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdbool.h>
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
        return isalnum((unsigned char) c) || strchr("._%+-", c);
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

int redact_text(const char *text, size_t size, unsigned flags, char **ret, size_t *ret_size, size_t *ret_count) {
        /* A replacement is never longer than 7 bytes ("[EMAIL]") and never
         * replaces fewer than 6 ("a@b.cd"), so size + 1 bytes always suffice. */
        char *out = malloc(size + 8);
        if (!out)
                return -ENOMEM;
        const char *p = text, *end = text + size;
        char *o = out;
        size_t count = 0;

        while (p < end) {
                size_t n = 0;
                const char *tag = NULL;
                if ((flags & REDACT_MAC) && is_hex(*p) && (n = match_mac(p, end, text)))
                        tag = "[MAC]";
                else if ((flags & REDACT_IPV4) && isdigit((unsigned char) *p) && (n = match_ipv4(p, end, text)))
                        tag = "[IP]";
                else if ((flags & REDACT_IPV6) && (is_hex(*p) || *p == ':') && (n = match_ipv6(p, end, text)))
                        tag = "[IP]";
                else if ((flags & REDACT_EMAIL) && is_email_local(*p) && (n = match_email(p, end, text)))
                        tag = "[EMAIL]";
                if (tag && strlen(tag) <= n + 1) {
                        size_t tl = strlen(tag);
                        memcpy(o, tag, tl);
                        o += tl;
                        p += n;
                        count++;
                        continue;
                }
                *o++ = *p++;
        }
        *o = 0;
        *ret = out;
        if (ret_size)
                *ret_size = (size_t) (o - out);
        if (ret_count)
                *ret_count = count;
        return 0;
}

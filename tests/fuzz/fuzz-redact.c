/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Checks redact_text() against a reference rewriter built on the same
 * matcher (redact_match()): the reference first computes the exact output
 * length, then writes into a buffer of exactly that size with every write
 * bounds-checked. The two must agree byte for byte, and the result must keep
 * the invariants below. Input: the whole buffer with every pattern, then
 * (first byte = flags) the rest with the chosen patterns. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                \
        do {                    \
                if (!(x))       \
                        abort(); \
        } while (0)

static bool is_tag(const char *tag) {
        return tag && (strcmp(tag, "[MAC]") == 0 || strcmp(tag, "[IP]") == 0 || strcmp(tag, "[EMAIL]") == 0);
}

static size_t count_nuls(const char *p, size_t n) {
        size_t c = 0;
        for (size_t i = 0; i < n; i++)
                c += p[i] == 0;
        return c;
}

/* Tags in buf: no match contains '[' or ']', so a tag is never rewritten. */
static size_t count_tags(const char *buf, size_t n) {
        static const char *const tags[] = { "[MAC]", "[IP]", "[EMAIL]" };
        size_t c = 0;
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < sizeof tags / sizeof tags[0]; j++)
                        if (n - i >= strlen(tags[j]) && memcmp(buf + i, tags[j], strlen(tags[j])) == 0)
                                c++;
        return c;
}

/* The reference: returns the output, exactly sized (length + NUL). */
static char *reference(const char *text, size_t size, unsigned flags, size_t *ret_len, size_t *ret_count) {
        size_t len = 0, count = 0;
        for (size_t p = 0; p < size;) {
                const char *tag = NULL;
                size_t n = redact_match(text, size, p, flags, &tag);
                if (n == 0) {
                        len++;
                        p++;
                        continue;
                }
                CHECK(n <= size - p);
                CHECK(is_tag(tag));
                /* A match never spans a NUL or a line, and is at least 3
                 * bytes: a tag is at most one byte longer than its match. */
                CHECK(!memchr(text + p, 0, n) && !memchr(text + p, '\n', n));
                CHECK(n >= 3 && strlen(tag) <= n + 1);
                len += strlen(tag);
                count++;
                p += n;
        }

        char *out = malloc(len + 1);
        CHECK(out);
        size_t o = 0;
        for (size_t p = 0; p < size;) {
                const char *tag = NULL;
                size_t n = redact_match(text, size, p, flags, &tag);
                const char *src = n ? tag : text + p;
                size_t l = n ? strlen(tag) : 1;
                CHECK(l <= len - o);
                memcpy(out + o, src, l);
                o += l;
                p += n ? n : 1;
        }
        CHECK(o == len);
        out[len] = 0;
        *ret_len = len;
        *ret_count = count;
        return out;
}

static void check(const char *text, size_t size, unsigned flags) {
        char *out = NULL;
        size_t n = 0, count = 0;
        if (redact_text(text, size, flags, &out, &n, &count) < 0)
                return;

        /* Copy into an exactly sized buffer: reading n + 1 bytes of out
         * proves the NUL-terminated result fits what was allocated. */
        char *exact = malloc(n + 1);
        CHECK(exact);
        memcpy(exact, out, n + 1);
        CHECK(exact[n] == 0);

        size_t ref_len, ref_count;
        char *ref = reference(text, size, flags, &ref_len, &ref_count);
        CHECK(n == ref_len);
        CHECK(count == ref_count);
        CHECK(memcmp(exact, ref, n + 1) == 0);

        /* Bounds: each replacement adds at most one byte and eats at least three. */
        CHECK(n <= size + count);
        CHECK(count <= size / 3);
        /* No NUL injected or lost: NULs are copied, never matched. */
        CHECK(count_nuls(exact, n) == count_nuls(text, size));
        if (count == 0)
                CHECK(n == size && memcmp(exact, text, size) == 0);

        /* Not checked: idempotence. The matchers look at the bytes around a
         * match ("1::" is not an address in "1::x", "::1" is not one after
         * "org"), and a replacement changes them: "1::x@b.org" becomes
         * "1::[EMAIL]", which a second pass turns into "[IP][EMAIL]". What a
         * second pass must keep is every tag the first one wrote. */
        char *again = NULL;
        size_t n2 = 0;
        if (redact_text(exact, n, flags, &again, &n2, NULL) >= 0) {
                CHECK(count_tags(again, n2) >= count_tags(exact, n));
                free(again);
        }

        free(ref);
        free(exact);
        free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        check((const char *) data, size, REDACT_ALL);
        if (size > 0)
                check((const char *) data + 1, size - 1, data[0] & REDACT_ALL);
        return 0;
}

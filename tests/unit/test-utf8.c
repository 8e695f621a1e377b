/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdlib.h>

#include "macro.h"
#include "utf8.h"
#include "tests.h"

#define FFFD "\xef\xbf\xbd"

typedef struct DecodeCase {
        const char *bytes;
        size_t n;          /* bytes offered (may cut a sequence) */
        size_t len;        /* expected length; 0: not well-formed */
        uint32_t cp;
} DecodeCase;

static const DecodeCase decode_cases[] = {
        /* well-formed, at the edges of each length (Unicode table 3-7) */
        { "A", 1, 1, 0x41 },
        { "\x7f", 1, 1, 0x7f },
        { "\xc2\x80", 2, 2, 0x80 },
        { "\xc3\xa9", 2, 2, 0xe9 },
        { "\xdf\xbf", 2, 2, 0x7ff },
        { "\xe0\xa0\x80", 3, 3, 0x800 },
        { "\xe2\x82\xac", 3, 3, 0x20ac },
        { "\xed\x9f\xbf", 3, 3, 0xd7ff },          /* just below the surrogates */
        { "\xee\x80\x80", 3, 3, 0xe000 },          /* just above them */
        { "\xef\xbf\xbf", 3, 3, 0xffff },
        { "\xf0\x90\x80\x80", 4, 4, 0x10000 },
        { "\xf0\x9f\x98\x80", 4, 4, 0x1f600 },
        { "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff },
        { "\xc3\xa9zz", 4, 2, 0xe9 },              /* only the first character */
        /* continuation bytes without a lead */
        { "\x80", 1, 0, 0 },
        { "\xbf", 1, 0, 0 },
        /* overlong forms */
        { "\xc0\x80", 2, 0, 0 },
        { "\xc1\xbf", 2, 0, 0 },
        { "\xe0\x80\x80", 3, 0, 0 },
        { "\xe0\x9f\xbf", 3, 0, 0 },
        { "\xf0\x80\x80\x80", 4, 0, 0 },
        { "\xf0\x8f\xbf\xbf", 4, 0, 0 },
        /* UTF-16 surrogates */
        { "\xed\xa0\x80", 3, 0, 0 },
        { "\xed\xbf\xbf", 3, 0, 0 },
        /* beyond U+10FFFF, and leads that Unicode never uses */
        { "\xf4\x90\x80\x80", 4, 0, 0 },
        { "\xf5\x80\x80\x80", 4, 0, 0 },
        { "\xf7\xbf\xbf\xbf", 4, 0, 0 },
        { "\xf8\x88\x80\x80\x80", 5, 0, 0 },
        { "\xfe", 1, 0, 0 },
        { "\xff", 1, 0, 0 },
        /* a continuation that is not one */
        { "\xc3\x28", 2, 0, 0 },
        { "\xe2\x28\xa1", 3, 0, 0 },
        { "\xe2\x82\x28", 3, 0, 0 },
        { "\xf0\x9f\x98\x28", 4, 0, 0 },
        /* cut short: fewer bytes than the lead announces */
        { "\xc3\xa9", 1, 0, 0 },
        { "\xe2\x82\xac", 2, 0, 0 },
        { "\xf0\x9f\x98\x80", 3, 0, 0 },
        { "A", 0, 0, 0 },
};

TEST(decode_char) {
        for (size_t i = 0; i < ELEMENTSOF(decode_cases); i++) {
                const DecodeCase *c = &decode_cases[i];
                uint32_t cp = 0xdeadbeef;
                size_t len = utf8_decode_char((const unsigned char *) c->bytes, c->n, &cp);
                if (len != c->len)
                        test_fail(__FILE__, __LINE__, "case %zu: length %zu, expected %zu", i, len, c->len);
                /* the code point is set only for a well-formed sequence */
                ASSERT_EQ(cp, c->len ? c->cp : 0xdeadbeef);
        }
}

TEST(is_valid) {
        ASSERT_TRUE(utf8_is_valid(""));
        ASSERT_TRUE(utf8_is_valid("plain ASCII\n"));
        ASSERT_TRUE(utf8_is_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"));
        ASSERT_TRUE(!utf8_is_valid("caf\xe9"));                /* Latin-1 */
        ASSERT_TRUE(!utf8_is_valid("a\xc0\x80z"));             /* overlong NUL */
        ASSERT_TRUE(!utf8_is_valid("\xed\xa0\x80\xed\xb0\x80")); /* a CESU-8 surrogate pair */
        ASSERT_TRUE(!utf8_is_valid("ok\xe2\x82"));             /* cut at the end */
        ASSERT_TRUE(!utf8_is_valid("\xf4\x90\x80\x80"));
        ASSERT_TRUE(!utf8_is_valid("\x80"));
}

typedef struct ValidCase {
        const char *in;
        size_t max;
        const char *out;
} ValidCase;

static const ValidCase valid_cases[] = {
        { "", 100, "" },
        { "abc", 100, "abc" },
        { "caf\xc3\xa9", 100, "caf\xc3\xa9" },
        /* each byte outside a well-formed sequence becomes one U+FFFD */
        { "a\xff" "b", 100, "a" FFFD "b" },
        { "caf\xe9", 100, "caf" FFFD },
        { "\xc0\x80", 100, FFFD FFFD },
        { "\xed\xa0\x80", 100, FFFD FFFD FFFD },
        { "ab\xe2\x82", 100, "ab" FFFD FFFD },
        { "\xf4\x90\x80\x80!", 100, FFFD FFFD FFFD FFFD "!" },
        { "\xe2\x28\xa1", 100, FFFD "(" FFFD },
        /* max: cut at a character boundary, never inside one */
        { "abc", 2, "ab" },
        { "abc", 0, "" },
        { "\xc3\xa9\xe2\x82\xac", 4, "\xc3\xa9" },
        { "\xc3\xa9\xe2\x82\xac", 5, "\xc3\xa9\xe2\x82\xac" },
        { "a\xff", 3, "a" },
        { "a\xff", 4, "a" FFFD },
        /* a max larger than any output is no size to allocate */
        { "a\xff", SIZE_MAX, "a" FFFD },
};

TEST(make_valid) {
        for (size_t i = 0; i < ELEMENTSOF(valid_cases); i++) {
                const ValidCase *c = &valid_cases[i];
                _cleanup_free_ char *out = utf8_make_valid(c->in, c->max);
                ASSERT_TRUE(out);
                if (strcmp(out, c->out) != 0)
                        test_fail(__FILE__, __LINE__, "case %zu: unexpected output", i);
                ASSERT_TRUE(strlen(out) <= c->max);
                ASSERT_TRUE(utf8_is_valid(out));
        }
}

/* Every 1- and 2-byte input: make_valid() always returns valid UTF-8 that
 * is_valid() agrees with, and leaves valid input alone. */
TEST(make_valid_exhaustive_pairs) {
        for (unsigned a = 1; a < 256; a++)
                for (unsigned b = 0; b < 256; b++) {
                        char in[3] = { (char) a, (char) b, 0 };
                        _cleanup_free_ char *out = utf8_make_valid(in, 64);
                        ASSERT_TRUE(out);
                        ASSERT_TRUE(utf8_is_valid(out));
                        if (utf8_is_valid(in))
                                ASSERT_STREQ(out, in);
                        else
                                ASSERT_TRUE(strstr(out, FFFD));
                }
}

TEST(replace_controls) {
        char s[] = "a\x1b]0;x\x07\nb\tc\x7f\xc3\xa9" "d";
        utf8_replace_controls(s);
        ASSERT_STREQ(s, "a?]0;x??b?c?\xc3\xa9" "d");
        ASSERT_TRUE(utf8_is_valid(s));
        char e[] = "";
        utf8_replace_controls(e);
        ASSERT_STREQ(e, "");
}

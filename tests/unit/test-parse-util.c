/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>

#include "parse-util.h"
#include "tests.h"

TEST(uint64) {
        uint64_t v = 7;
        ASSERT_OK(parse_uint64("0", &v));
        ASSERT_EQ(v, 0);
        ASSERT_OK(parse_uint64("007", &v));
        ASSERT_EQ(v, 7);
        ASSERT_OK(parse_uint64("18446744073709551615", &v));
        ASSERT_TRUE(v == UINT64_MAX);
        v = 42;
        ASSERT_ERR(parse_uint64("18446744073709551616", &v), -ERANGE);
        ASSERT_ERR(parse_uint64("99999999999999999999999", &v), -ERANGE);
        ASSERT_ERR(parse_uint64("", &v), -EINVAL);
        ASSERT_ERR(parse_uint64("x", &v), -EINVAL);
        ASSERT_ERR(parse_uint64("12x", &v), -EINVAL);
        ASSERT_ERR(parse_uint64("12 ", &v), -EINVAL);
        ASSERT_ERR(parse_uint64(" 12", &v), -EINVAL);
        ASSERT_ERR(parse_uint64("-1", &v), -EINVAL);
        ASSERT_ERR(parse_uint64("+1", &v), -EINVAL);
        ASSERT_ERR(parse_uint64("0x10", &v), -EINVAL);
        ASSERT_EQ(v, 42); /* untouched on failure */
        ASSERT_OK(parse_uint64_n("123abc", 3, &v));
        ASSERT_EQ(v, 123);
        ASSERT_ERR(parse_uint64_n("123abc", 4, &v), -EINVAL);
        ASSERT_ERR(parse_uint64_n("123", 0, &v), -EINVAL);
}

TEST(int64) {
        int64_t v = 5;
        ASSERT_OK(parse_int64("-9223372036854775808", &v));
        ASSERT_TRUE(v == INT64_MIN);
        ASSERT_OK(parse_int64("9223372036854775807", &v));
        ASSERT_TRUE(v == INT64_MAX);
        ASSERT_OK(parse_int64("-0", &v));
        ASSERT_EQ(v, 0);
        ASSERT_OK(parse_int64("-17", &v));
        ASSERT_EQ(v, -17);
        v = 5;
        ASSERT_ERR(parse_int64("9223372036854775808", &v), -ERANGE);
        ASSERT_ERR(parse_int64("-9223372036854775809", &v), -ERANGE);
        ASSERT_ERR(parse_int64("-", &v), -EINVAL);
        ASSERT_ERR(parse_int64("--1", &v), -EINVAL);
        ASSERT_ERR(parse_int64("1-", &v), -EINVAL);
        ASSERT_ERR(parse_int64("", &v), -EINVAL);
        ASSERT_EQ(v, 5);
        ASSERT_OK(parse_int64_n("-12 34", 3, &v));
        ASSERT_EQ(v, -12);
}

TEST(int_and_uint) {
        unsigned u = 3;
        int i = 3;
        ASSERT_OK(parse_uint("4294967295", &u));
        ASSERT_TRUE(u == UINT_MAX);
        ASSERT_ERR(parse_uint("4294967296", &u), -ERANGE);
        ASSERT_ERR(parse_uint("-1", &u), -EINVAL);
        ASSERT_OK(parse_int("-2147483648", &i));
        ASSERT_EQ(i, INT_MIN);
        ASSERT_ERR(parse_int("2147483648", &i), -ERANGE);
        ASSERT_ERR(parse_int("-2147483649", &i), -ERANGE);
        ASSERT_ERR(parse_int("1.5", &i), -EINVAL);
        ASSERT_EQ(i, INT_MIN);
}

TEST(prefix) {
        uint64_t v;
        const char *end;
        ASSERT_OK(parse_uint64_prefix("64MiB", &v, &end));
        ASSERT_EQ(v, 64);
        ASSERT_STREQ(end, "MiB");
        ASSERT_ERR(parse_uint64_prefix("MiB", &v, &end), -EINVAL);
        ASSERT_ERR(parse_uint64_prefix("99999999999999999999x", &v, &end), -ERANGE);
}

TEST(seconds) {
        unsigned s = 9;
        ASSERT_OK(parse_seconds("300", &s));
        ASSERT_EQ(s, 300);
        ASSERT_OK(parse_seconds("90s", &s));
        ASSERT_EQ(s, 90);
        ASSERT_OK(parse_seconds("5min", &s));
        ASSERT_EQ(s, 300);
        ASSERT_OK(parse_seconds("2h", &s));
        ASSERT_EQ(s, 7200);
        ASSERT_OK(parse_seconds("0", &s));
        ASSERT_EQ(s, 0);
        s = 9;
        ASSERT_ERR(parse_seconds("x", &s), -EINVAL);
        ASSERT_ERR(parse_seconds("", &s), -EINVAL);
        ASSERT_ERR(parse_seconds("5m", &s), -EINVAL);
        ASSERT_ERR(parse_seconds("5 s", &s), -EINVAL);
        ASSERT_ERR(parse_seconds("-5", &s), -EINVAL);
        ASSERT_ERR(parse_seconds("4294967296", &s), -ERANGE);
        ASSERT_ERR(parse_seconds("1193047h", &s), -ERANGE);
        ASSERT_EQ(s, 9);
}

TEST(bool_and_size) {
        bool b = false;
        ASSERT_OK(parse_bool("Yes", &b));
        ASSERT_TRUE(b);
        ASSERT_OK(parse_bool("off", &b));
        ASSERT_TRUE(!b);
        ASSERT_ERR(parse_bool("2", &b), -EINVAL);
        ASSERT_ERR(parse_bool("", &b), -EINVAL);

        uint64_t v;
        ASSERT_OK(parse_size("64M", &v));
        ASSERT_EQ(v, 64 << 20);
        ASSERT_OK(parse_size("512KiB", &v));
        ASSERT_EQ(v, 512 << 10);
        ASSERT_OK(parse_size("2GB", &v));
        ASSERT_EQ(v, 2ULL << 30);
        ASSERT_OK(parse_size("100", &v));
        ASSERT_EQ(v, 100);
        ASSERT_ERR(parse_size("100B", &v), -EINVAL);
        ASSERT_ERR(parse_size("1T", &v), -EINVAL);
        ASSERT_ERR(parse_size("M", &v), -EINVAL);
        ASSERT_ERR(parse_size("17179869184G", &v), -ERANGE);
}

TEST(words) {
        const char *text = "  a bb\t\tccc  ";
        const char *want[] = { "a", "bb", "ccc" };
        size_t n = 0, len;
        for (const char *p = text, *w; (w = word_next(&p, " \t", &len)); n++) {
                ASSERT_TRUE(n < 3);
                ASSERT_TRUE(word_eq(w, len, want[n]));
        }
        ASSERT_EQ(n, 3);

        /* Lines: empty ones are skipped, the last needs no newline. */
        n = 0;
        for (const char *p = "one\n\ntwo\nthree", *w; (w = word_next(&p, "\n", &len)); n++)
                ASSERT_TRUE(word_eq(w, len, n == 0 ? "one" : n == 1 ? "two" : "three"));
        ASSERT_EQ(n, 3);

        const char *p = "";
        ASSERT_TRUE(!word_next(&p, " ", &len));
        p = "   ";
        ASSERT_TRUE(!word_next(&p, " ", &len));
        ASSERT_TRUE(!word_eq("ab", 2, "abc"));
        ASSERT_TRUE(!word_eq("abc", 2, "abc"));
}

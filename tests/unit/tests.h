/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A tiny self-registering test harness: TEST(name) { ... } in any number of
 * files linked with tests.c. Exit 0 = pass, 1 = fail, 77 = skipped (meson). */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_func_t)(void);
void test_register(const char *name, test_func_t f);
_Noreturn void test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Marks the current test as skipped (exit 77 if every test skipped). */
void test_skip(const char *why);
/* The source tree's tests/fixtures directory. */
const char *test_fixtures_dir(void);
/* A fresh temporary directory, removed at exit. */
char *test_tmpdir(void);
/* Makes path a listening-less Unix socket (a file no open() can open). */
void test_make_socket(const char *path);

#define TEST(name)                                                              \
        static void test_##name(void);                                          \
        __attribute__((constructor)) static void test_register_##name(void) {   \
                test_register(#name, test_##name);                              \
        }                                                                       \
        static void test_##name(void)

#define ASSERT_TRUE(x)                                                          \
        do {                                                                    \
                if (!(x))                                                       \
                        test_fail(__FILE__, __LINE__, "expected true: %s", #x); \
        } while (0)
#define ASSERT_OK(expr)                                                         \
        do {                                                                    \
                long _r = (long) (expr);                                        \
                if (_r < 0)                                                     \
                        test_fail(__FILE__, __LINE__, "%s failed: %s", #expr, strerror((int) -_r)); \
        } while (0)
#define ASSERT_ERR(expr, err)                                                   \
        do {                                                                    \
                long _r = (long) (expr);                                        \
                if (_r != (err))                                                \
                        test_fail(__FILE__, __LINE__, "%s = %ld, expected %s (%d)", #expr, _r, #err, (err)); \
        } while (0)
#define ASSERT_EQ(a, b)                                                         \
        do {                                                                    \
                intmax_t _a = (intmax_t) (a), _b = (intmax_t) (b);              \
                if (_a != _b)                                                   \
                        test_fail(__FILE__, __LINE__, "%s == %s: %jd != %jd", #a, #b, _a, _b); \
        } while (0)
#define ASSERT_STREQ(a, b)                                                      \
        do {                                                                    \
                const char *_a = (a), *_b = (b);                                \
                if (!_a || !_b || strcmp(_a, _b) != 0)                          \
                        test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, \
                                  _a ? _a : "(null)", _b ? _b : "(null)");     \
        } while (0)

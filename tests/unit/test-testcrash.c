/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "fileio.h"
#include "testcrash.h"
#include "tests.h"

TEST(save_load_round_trip) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_free_ char *id = NULL;
        ASSERT_OK(test_crash_new_id(&id));
        ASSERT_EQ(strlen(id), 32);
        ASSERT_EQ(strspn(id, "0123456789abcdef"), 32);
        TestCrash t = { .id = id, .time = 1795996800, .boot_id = (char *) "b8f0c1d2-0000-4000-8000-000000000001" };
        ASSERT_OK(test_crash_save(dir, &t));
        TestCrash back = {};
        ASSERT_OK(test_crash_load(dir, &back));
        ASSERT_STREQ(back.id, id);
        ASSERT_EQ(back.time, 1795996800);
        ASSERT_STREQ(back.boot_id, t.boot_id);
        test_crash_done(&back);
        ASSERT_TRUE(!back.id);
}

/* The file is root's state; what is not a test record is refused. */
TEST(load_refuses_what_is_not_a_record) {
        _cleanup_free_ char *dir = test_tmpdir(), *p = path_join(dir, "test-crash");
        TestCrash t = {};
        ASSERT_ERR(test_crash_load(dir, &t), -ENOENT);
        const char *bad[] = { "", "time=1\n", "id=xyz\n", "id=0123456789abcdef0123456789abcdef0\n" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                ASSERT_OK(write_file_atomic(p, bad[i], strlen(bad[i]), 0600));
                ASSERT_ERR(test_crash_load(dir, &t), -EBADMSG);
        }
        /* a bad time is ignored, the id still counts */
        const char *some = "id=0123456789abcdef0123456789abcdef\ntime=soon\n";
        ASSERT_OK(write_file_atomic(p, some, strlen(some), 0600));
        ASSERT_OK(test_crash_load(dir, &t));
        ASSERT_EQ(t.time, 0);
        test_crash_done(&t);
}

/* The line `kcrashctl test-crash` wrote into the kernel log, as pstore and
 * kdump keep it: the id is exactly 32 hex digits after the prefix. */
TEST(find_id_in_a_log) {
        char *id = NULL;
        const char *log = "<6>[  10.0] booting\n<4>[  99.1] " TEST_CRASH_LOG_PREFIX "0123456789abcdef0123456789abcdef\n"
                          "<6>[  99.2] sysrq: Trigger a crash\n";
        ASSERT_OK(test_crash_find_id(log, strlen(log), &id));
        ASSERT_STREQ(id, "0123456789abcdef0123456789abcdef");
        free(id);
        id = NULL;
        /* at the very end of the buffer */
        const char *tail = TEST_CRASH_LOG_PREFIX "fedcba9876543210fedcba9876543210";
        ASSERT_OK(test_crash_find_id(tail, strlen(tail), &id));
        ASSERT_STREQ(id, "fedcba9876543210fedcba9876543210");
        free(id);
        id = NULL;
        const char *none[] = { "", TEST_CRASH_LOG_PREFIX "0123",
                               TEST_CRASH_LOG_PREFIX "0123456789abcdef0123456789abcdef0\n",
                               TEST_CRASH_LOG_PREFIX "0123456789abcdef0123456789abcdeg\n" };
        for (size_t i = 0; i < ELEMENTSOF(none); i++)
                ASSERT_ERR(test_crash_find_id(none[i], strlen(none[i]), &id), -ENOENT);
        ASSERT_TRUE(!id);
}

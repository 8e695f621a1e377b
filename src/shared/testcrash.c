/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "fileio.h"
#include "parse-util.h"
#include "testcrash.h"

int test_crash_new_id(char **ret_id) {
        unsigned char b[16];
        if (getrandom(b, sizeof b, 0) != (ssize_t) sizeof b)
                return negative_errno();
        char *s = malloc(33);
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < sizeof b; i++)
                sprintf(s + 2 * i, "%02x", b[i]);
        *ret_id = s;
        return 0;
}

int test_crash_save(const char *state_dir, const TestCrash *t) {
        _cleanup_free_ char *p = path_join(state_dir, "test-crash"), *text = NULL;
        if (!p)
                return -ENOMEM;
        int r = mkdir_p(state_dir, 0700);
        if (r < 0)
                return r;
        if (asprintf(&text, "id=%s\ntime=%lld\nboot_id=%s\n", t->id, (long long) t->time, strempty(t->boot_id)) < 0)
                return -ENOMEM;
        return write_file_atomic(p, text, strlen(text), 0600);
}

static bool is_id(const char *s, size_t len) {
        if (len != 32)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!isxdigit((unsigned char) s[i]))
                        return false;
        return true;
}

int test_crash_load(const char *state_dir, TestCrash *ret) {
        _cleanup_free_ char *p = path_join(state_dir, "test-crash"), *text = NULL;
        if (!p)
                return -ENOMEM;
        int r = read_full_file_trusted(p, 4096, &text, NULL);
        if (r < 0)
                return r;
        TestCrash t = {};
        size_t len;
        for (const char *q = text, *line; (line = word_next(&q, "\n", &len)); ) {
                int64_t time;
                if (len > 3 && strneq(line, "id=", 3) && is_id(line + 3, len - 3))
                        t.id = strndup(line + 3, len - 3);
                else if (len > 5 && strneq(line, "time=", 5) && parse_int64_n(line + 5, len - 5, &time) >= 0)
                        t.time = (time_t) time;
                else if (len > 8 && strneq(line, "boot_id=", 8))
                        t.boot_id = strndup(line + 8, len - 8);
        }
        if (!t.id) {
                test_crash_done(&t);
                return -EBADMSG;
        }
        *ret = t;
        return 0;
}

void test_crash_done(TestCrash *t) {
        free(t->id);
        free(t->boot_id);
        *t = (TestCrash) {};
}

int test_crash_find_id(const char *log, size_t size, char **ret_id) {
        const size_t pl = strlen(TEST_CRASH_LOG_PREFIX);
        const char *p = log, *end = log + size;
        while ((p = memmem(p, (size_t) (end - p), TEST_CRASH_LOG_PREFIX, pl))) {
                p += pl;
                if ((size_t) (end - p) >= 32 && is_id(p, 32) && (end - p == 32 || !isxdigit((unsigned char) p[32]))) {
                        char *id = strndup(p, 32);
                        if (!id)
                                return -ENOMEM;
                        *ret_id = id;
                        return 0;
                }
        }
        return -ENOENT;
}

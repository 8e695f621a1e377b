/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fileio.h"
#include "tests.h"

struct test {
        const char *name;
        test_func_t func;
};

static struct test tests[512];
static size_t n_tests;
static const char *current;
static bool skipped;
static char *tmpdirs[64];
static size_t n_tmpdirs;

void test_register(const char *name, test_func_t f) {
        if (n_tests >= sizeof tests / sizeof tests[0])
                abort();
        tests[n_tests++] = (struct test) { name, f };
}

static void cleanup_tmpdirs(void) {
        for (size_t i = 0; i < n_tmpdirs; i++) {
                (void) rm_rf(tmpdirs[i]);
                free(tmpdirs[i]);
        }
}

void test_fail(const char *file, int line, const char *fmt, ...) {
        va_list ap;
        fprintf(stderr, "FAIL %s (%s:%d): ", current ? current : "?", file, line);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        cleanup_tmpdirs();
        exit(1);
}

void test_skip(const char *why) {
        printf("SKIP %s: %s\n", current, why);
        skipped = true;
}

const char *test_fixtures_dir(void) {
        const char *d = getenv("KCRASH_FIXTURES");
        return d ? d : KCRASH_TEST_FIXTURES;
}

char *test_tmpdir(void) {
        char *p = strdup("/tmp/kcrash-test-XXXXXX");
        if (!p || !mkdtemp(p))
                test_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
        if (n_tmpdirs < sizeof tmpdirs / sizeof tmpdirs[0])
                tmpdirs[n_tmpdirs++] = strdup(p);
        return p;
}

void test_make_socket(const char *path) {
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || strlen(path) >= sizeof a.sun_path)
                test_fail(__FILE__, __LINE__, "socket %s: %s", path, strerror(errno));
        memcpy(a.sun_path, path, strlen(path) + 1);
        if (bind(fd, (struct sockaddr *) &a, sizeof a) < 0)
                test_fail(__FILE__, __LINE__, "bind %s: %s", path, strerror(errno));
        close(fd);
}

int main(int argc, char **argv) {
        const char *filter = argc > 1 ? argv[1] : getenv("TESTFUNCS");
        size_t ran = 0, skips = 0;

        for (size_t i = 0; i < n_tests; i++) {
                if (filter && !strstr(tests[i].name, filter))
                        continue;
                current = tests[i].name;
                skipped = false;
                tests[i].func();
                if (skipped)
                        skips++;
                else
                        printf("ok %s\n", tests[i].name);
                ran++;
        }
        cleanup_tmpdirs();
        if (ran > 0 && skips == ran)
                return 77;
        return 0;
}

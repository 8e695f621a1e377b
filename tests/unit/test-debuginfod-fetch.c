/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "debuginfod-fetch.h"
#include "fileio.h"
#include "http-stub.h"
#include "macro.h"
#include "tests.h"

#define ID "0123456789abcdef0123456789abcdef01234567"

/* libdebuginfod's cache in a fresh folder, never the user's */
static char *use_fresh_cache(void) {
        char *dir = test_tmpdir();
        ASSERT_OK(setenv("DEBUGINFOD_CACHE_PATH", dir, 1));
        unsetenv("DEBUGINFOD_PROGRESS");
        unsetenv("DEBUGINFOD_VERBOSE");
        return dir;
}

/* NULL, and the test skipped, when libdebuginfod is not installed. */
static DebuginfodFetch *new_or_skip(const char *urls) {
        DebuginfodFetch *f = NULL;
        int r = debuginfod_fetch_new(urls, &f);
        if (r == -EOPNOTSUPP) {
                test_skip("libdebuginfod is not installed");
                return NULL;
        }
        ASSERT_OK(r);
        ASSERT_TRUE(f);
        return f;
}

/* A fetcher whose only server refuses the connection: *ret_fd holds the
 * port, to close after. */
static DebuginfodFetch *new_refused_or_skip(int *ret_fd) {
        int fd;
        char url[64];
        snprintf(url, sizeof url, "http://127.0.0.1:%d", http_closed_port(&fd));
        DebuginfodFetch *f = new_or_skip(url);
        if (!f) {
                close(fd);
                return NULL;
        }
        *ret_fd = fd;
        return f;
}

/* A fetcher whose only server is a stand-in that answers reply. */
static DebuginfodFetch *new_stubbed_or_skip(const HttpStubReply *reply, HttpStub *ret_stub) {
        http_stub_start(reply, 1, ret_stub);
        DebuginfodFetch *f = new_or_skip(ret_stub->url);
        if (!f)
                http_stub_stop(ret_stub);
        return f;
}

TEST(no_servers) {
        DebuginfodFetch *f = NULL;
        unsetenv("DEBUGINFOD_URLS");
        ASSERT_ERR(debuginfod_fetch_new(NULL, &f), -ENOENT);
        ASSERT_ERR(debuginfod_fetch_new("", &f), -ENOENT);
        /* "" given on the command line replaces the environment */
        ASSERT_OK(setenv("DEBUGINFOD_URLS", "http://127.0.0.1:9", 1));
        ASSERT_ERR(debuginfod_fetch_new("", &f), -ENOENT);
        ASSERT_TRUE(!f);
        ASSERT_TRUE(debuginfod_fetch_free(NULL) == NULL);
        unsetenv("DEBUGINFOD_URLS");
}

TEST(urls_from_the_environment_or_the_argument) {
        _cleanup_free_ char *cache = use_fresh_cache();
        ASSERT_OK(setenv("DEBUGINFOD_URLS", "http://127.0.0.1:9", 1));
        DebuginfodFetch *f = new_or_skip(NULL);
        if (!f) {
                unsetenv("DEBUGINFOD_URLS");
                return;
        }
        f = debuginfod_fetch_free(f);
        ASSERT_TRUE(!f);
        /* an argument is put in the environment, where libdebuginfod reads it */
        f = new_or_skip("http://127.0.0.1:10");
        ASSERT_STREQ(getenv("DEBUGINFOD_URLS"), "http://127.0.0.1:10");
        debuginfod_fetch_free(f);
        unsetenv("DEBUGINFOD_URLS");
}

TEST(invalid_build_ids) {
        _cleanup_free_ char *cache = use_fresh_cache();
        int fd;
        DebuginfodFetch *f = new_refused_or_skip(&fd);
        if (!f)
                return;
        static const char *const bad[] = { "", "0", "ABCDEF01", "../../../etc/passwd", "0123 4567", "xyz0" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *path = NULL, *error = NULL;
                ASSERT_ERR(debuginfod_fetch_debuginfo(f, bad[i], &path, &error), -EINVAL);
                ASSERT_TRUE(!path && !error);
        }
        debuginfod_fetch_free(f);
        close(fd);
        unsetenv("DEBUGINFOD_URLS");
}

TEST(server_refuses_the_connection) {
        _cleanup_free_ char *cache = use_fresh_cache();
        int fd;
        DebuginfodFetch *f = new_refused_or_skip(&fd);
        if (!f)
                return;
        char *path = NULL, *error = NULL;
        int r = debuginfod_fetch_debuginfo(f, ID, &path, &error);
        ASSERT_TRUE(r < 0);
        ASSERT_TRUE(!path);
        ASSERT_TRUE(error && error[0]); /* says why */
        free(error);
        /* ret_error may be NULL */
        ASSERT_TRUE(debuginfod_fetch_debuginfo(f, ID, &path, NULL) < 0);
        debuginfod_fetch_free(f);
        close(fd);
        unsetenv("DEBUGINFOD_URLS");
}

TEST(server_without_the_file) {
        _cleanup_free_ char *cache = use_fresh_cache();
        HttpStubReply notfound = { .status = 404, .body = "not found" };
        HttpStub stub;
        DebuginfodFetch *f = new_stubbed_or_skip(&notfound, &stub);
        if (!f)
                return;
        char *path = NULL, *error = NULL;
        ASSERT_ERR(debuginfod_fetch_debuginfo(f, ID, &path, &error), -ENOENT);
        ASSERT_TRUE(!path);
        free(error);
        /* it asked for the debuginfo of that build id */
        _cleanup_free_ char *log = http_stub_log(&stub, NULL);
        ASSERT_TRUE(strstr(log, "GET /buildid/" ID "/debuginfo HTTP/1.1\r\n"));
        debuginfod_fetch_free(f);
        http_stub_stop(&stub);
        unsetenv("DEBUGINFOD_URLS");
}

TEST(server_with_the_file) {
        _cleanup_free_ char *cache = use_fresh_cache();
        HttpStubReply ok = { .status = 200, .body = "\177ELF pretend debug info" };
        HttpStub stub;
        DebuginfodFetch *f = new_stubbed_or_skip(&ok, &stub);
        if (!f)
                return;
        _cleanup_free_ char *path = NULL, *data = NULL;
        char *error = NULL;
        ASSERT_OK(debuginfod_fetch_debuginfo(f, ID, &path, &error));
        ASSERT_TRUE(!error);
        /* downloaded into the cache */
        ASSERT_TRUE(strneq(path, cache, strlen(cache)));
        size_t size;
        ASSERT_OK(read_full_file(path, 4096, &data, &size));
        ASSERT_EQ(size, strlen(ok.body));
        ASSERT_EQ(memcmp(data, ok.body, size), 0);
        /* the second time it comes from the cache: no new request */
        size_t before = http_stub_count(&stub);
        _cleanup_free_ char *again = NULL;
        ASSERT_OK(debuginfod_fetch_debuginfo(f, ID, &again, NULL));
        ASSERT_STREQ(again, path);
        ASSERT_EQ(http_stub_count(&stub), before);
        debuginfod_fetch_free(f);
        http_stub_stop(&stub);
        unsetenv("DEBUGINFOD_URLS");
}

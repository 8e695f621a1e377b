/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "http-stub.h"
#include "macro.h"
#include "upload.h"
#include "tests.h"

#define START_OK                                                                                   \
        "{\"response\":{\"url\":\"@URL@/put/slot-1\",\"gid\":\"g-42\",\"headers\":{\"pairs\":[" \
        "{\"name\":\"Content-Type\",\"value\":\"application/zip\"},{\"name\":\"X-Slot\",\"value\":\"s1\"}]}}}"

static const char ZIP_BYTES[] = "PK\003\004 pretend zip \r\n\0 bytes";

static char *make_zip(const char *dir) {
        char *path = path_join(dir, "holo-1.zip");
        ASSERT_TRUE(path);
        ASSERT_OK(write_file_atomic(path, ZIP_BYTES, sizeof ZIP_BYTES - 1, 0644));
        return path;
}

static UploadFields sample_fields(void) {
        UploadFields f = { .n = 2 };
        f.names[0] = (char *) "steamid";
        f.values[0] = (char *) "7656&x=1";
        f.names[1] = (char *) "product";
        f.values[1] = (char *) "holo";
        return f;
}

static UploadOptions options(const HttpStub *s, char *start, char *finish, size_t n) {
        snprintf(start, n, "%s/start", s->url);
        snprintf(finish, n, "%s/finish", s->url);
        return (UploadOptions) { .start_url = start, .finish_url = finish, .allow_http = true,
                                 .connect_timeout = 30, .stall_timeout = 60 };
}

TEST(init) {
        ASSERT_OK(upload_global_init());
}

TEST(three_steps) {
        ASSERT_OK(upload_global_init());
        _cleanup_free_ char *dir = test_tmpdir(), *zip = make_zip(dir);
        HttpStubReply replies[] = {
                { 200, NULL, START_OK },
                { 200, NULL, "" },
                { 200, NULL, "{}" },
        };
        HttpStub s;
        http_stub_start(replies, ELEMENTSOF(replies), &s);
        char start[128], finish[128];
        UploadOptions o = options(&s, start, finish, sizeof start);
        UploadFields f = sample_fields();
        UploadResult r;
        ASSERT_OK(upload_report(&o, &f, zip, &r));
        ASSERT_EQ(r.outcome, UPLOAD_OK);
        ASSERT_STREQ(r.gid, "g-42");
        ASSERT_EQ(http_stub_count(&s), 3);

        size_t size;
        _cleanup_free_ char *log = http_stub_log(&s, &size);
        /* Start: the report's fields, escaped, then the dump's size */
        char form[256];
        snprintf(form, sizeof form, "steamid=7656%%26x%%3D1&product=holo&have_dump_file=1&dump_file_size=%zu&format=json",
                 sizeof ZIP_BYTES - 1);
        ASSERT_TRUE(strstr(log, "POST /start HTTP/1.1\r\n"));
        ASSERT_TRUE(strstr(log, form));
        /* PUT: the answer's headers, the ZIP's bytes as they are */
        const char *put = strstr(log, "PUT /put/slot-1 HTTP/1.1\r\n");
        ASSERT_TRUE(put);
        ASSERT_TRUE(strstr(put, "\r\nX-Slot: s1\r\n"));
        ASSERT_TRUE(strstr(put, "\r\nContent-Type: application/zip\r\n"));
        const char *body = strstr(put, "\r\n\r\n") + 4;
        ASSERT_EQ(memcmp(body, ZIP_BYTES, sizeof ZIP_BYTES - 1), 0);
        /* Finish names the gid (after the ZIP's NUL byte: memmem) */
        const char *fin = memmem(log, size, "POST /finish HTTP/1.1\r\n", 23);
        ASSERT_TRUE(fin && fin > put);
        ASSERT_TRUE(memmem(fin, size - (size_t) (fin - log), "\r\n\r\ngid=g-42\n", 13));
        http_stub_stop(&s);
}

static UploadResult run_with(const HttpStubReply *replies, size_t n, size_t *ret_requests) {
        _cleanup_free_ char *dir = test_tmpdir(), *zip = make_zip(dir);
        HttpStub s;
        http_stub_start(replies, n, &s);
        char start[128], finish[128];
        UploadOptions o = options(&s, start, finish, sizeof start);
        UploadFields f = sample_fields();
        UploadResult r;
        ASSERT_OK(upload_report(&o, &f, zip, &r));
        *ret_requests = http_stub_count(&s);
        http_stub_stop(&s);
        return r;
}

TEST(outcomes_by_status) {
        ASSERT_OK(upload_global_init());
        size_t n;
        /* the Start step */
        HttpStubReply busy[] = { { 503, NULL, "busy" } };
        UploadResult r = run_with(busy, 1, &n);
        ASSERT_EQ(r.outcome, UPLOAD_TRANSIENT);
        ASSERT_STREQ(r.reason, "Start: HTTP 503");
        ASSERT_EQ(n, 1);

        HttpStubReply slow_down[] = { { 429, "Retry-After: 120\r\n", NULL } };
        r = run_with(slow_down, 1, &n);
        ASSERT_EQ(r.outcome, UPLOAD_TRANSIENT);
        ASSERT_EQ(r.retry_after, 120);

        /* a server cannot hold us for more than a week */
        HttpStubReply forever[] = { { 503, "Retry-After: 99999999\r\n", NULL } };
        r = run_with(forever, 1, &n);
        ASSERT_EQ(r.retry_after, 7 * 24 * 3600);

        HttpStubReply refused[] = { { 403, NULL, "no" } };
        r = run_with(refused, 1, &n);
        ASSERT_EQ(r.outcome, UPLOAD_PERMANENT);
        ASSERT_STREQ(r.reason, "Start: HTTP 403");

        HttpStubReply timeout[] = { { 408, NULL, NULL } };
        r = run_with(timeout, 1, &n);
        ASSERT_EQ(r.outcome, UPLOAD_TRANSIENT);

        /* an answer that is not a Start answer */
        HttpStubReply junk[] = { { 200, NULL, "{\"response\":{}}" } };
        r = run_with(junk, 1, &n);
        ASSERT_EQ(r.outcome, UPLOAD_PERMANENT);
        ASSERT_TRUE(strneq(r.reason, "Start: invalid answer: ", 23));
        ASSERT_EQ(n, 1); /* nothing more was sent */

        /* the PUT fails: no Finish */
        HttpStubReply put_fails[] = { { 200, NULL, START_OK }, { 500, NULL, NULL } };
        r = run_with(put_fails, 2, &n);
        ASSERT_EQ(r.outcome, UPLOAD_TRANSIENT);
        ASSERT_STREQ(r.reason, "PUT: HTTP 500");
        ASSERT_STREQ(r.gid, "g-42");
        ASSERT_EQ(n, 2);

        /* the Finish fails: the ZIP stored, its gid known; a 404 (the upload
         * swept before its Finish) is cured by a new Start: transient (it
         * parked the report for good, a review showed) */
        HttpStubReply finish_fails[] = { { 200, NULL, START_OK }, { 200, NULL, NULL }, { 404, NULL, NULL } };
        r = run_with(finish_fails, 3, &n);
        ASSERT_EQ(r.outcome, UPLOAD_TRANSIENT);
        ASSERT_STREQ(r.reason, "Finish: HTTP 404");
        ASSERT_TRUE(r.finish_failed);
        ASSERT_EQ(n, 3);
        HttpStubReply finish_bad[] = { { 200, NULL, START_OK }, { 200, NULL, NULL }, { 400, NULL, NULL } };
        r = run_with(finish_bad, 3, &n);
        ASSERT_EQ(r.outcome, UPLOAD_PERMANENT);

        /* a URL the server handed out refused at the PUT (expired while the
         * device slept, the slot swept or taken): transient too */
        for (int status = 403; status <= 409; status++) {
                if (status != 403 && status != 404 && status != 409)
                        continue;
                HttpStubReply put_refused[] = { { 200, NULL, START_OK }, { status, NULL, NULL } };
                r = run_with(put_refused, 2, &n);
                ASSERT_EQ(r.outcome, UPLOAD_TRANSIENT);
                ASSERT_TRUE(!r.finish_failed);
        }
        HttpStubReply put_too_large[] = { { 200, NULL, START_OK }, { 413, NULL, NULL } };
        r = run_with(put_too_large, 2, &n);
        ASSERT_EQ(r.outcome, UPLOAD_PERMANENT);
}

TEST(oversized_answer) {
        ASSERT_OK(upload_global_init());
        size_t big = START_ANSWER_MAX_SIZE + 100;
        char *body = malloc(big + 1);
        ASSERT_TRUE(body);
        memset(body, ' ', big);
        body[big] = 0;
        HttpStubReply huge[] = { { 200, NULL, body } };
        size_t n;
        UploadResult r = run_with(huge, 1, &n);
        free(body);
        /* a captive portal's page as often as a server's: retried later,
         * parked after SUBMIT_MAX_ATTEMPTS */
        ASSERT_EQ(r.outcome, UPLOAD_TRANSIENT);
        ASSERT_TRUE(strstr(r.reason, "answer larger than"));
}

TEST(nothing_listening) {
        ASSERT_OK(upload_global_init());
        _cleanup_free_ char *dir = test_tmpdir(), *zip = make_zip(dir);
        int fd;
        char start[64];
        snprintf(start, sizeof start, "http://127.0.0.1:%d/start", http_closed_port(&fd));
        UploadOptions o = { .start_url = start, .finish_url = start, .allow_http = true, .connect_timeout = 30,
                            .stall_timeout = 60 };
        UploadFields f = sample_fields();
        UploadResult r;
        ASSERT_OK(upload_report(&o, &f, zip, &r));
        ASSERT_EQ(r.outcome, UPLOAD_TRANSIENT); /* a connection error: retry later */
        ASSERT_TRUE(strneq(r.reason, "Start: ", 7));
        close(fd);
}

TEST(http_needs_allow_http) {
        ASSERT_OK(upload_global_init());
        _cleanup_free_ char *dir = test_tmpdir(), *zip = make_zip(dir);
        HttpStubReply ok[] = { { 200, NULL, START_OK } };
        HttpStub s;
        http_stub_start(ok, 1, &s);
        char start[128], finish[128];
        UploadOptions o = options(&s, start, finish, sizeof start);
        o.allow_http = false;
        UploadFields f = sample_fields();
        UploadResult r;
        ASSERT_OK(upload_report(&o, &f, zip, &r));
        ASSERT_EQ(r.outcome, UPLOAD_PERMANENT);
        ASSERT_TRUE(strstr(r.reason, "URL scheme not allowed"));
        ASSERT_EQ(http_stub_count(&s), 0);
        /* other schemes never */
        o.allow_http = true;
        o.start_url = "file:///etc/passwd";
        ASSERT_OK(upload_report(&o, &f, zip, &r));
        ASSERT_EQ(r.outcome, UPLOAD_PERMANENT);
        o.start_url = "ftp://127.0.0.1/x";
        ASSERT_OK(upload_report(&o, &f, zip, &r));
        ASSERT_EQ(r.outcome, UPLOAD_PERMANENT);
        ASSERT_EQ(http_stub_count(&s), 0);
        http_stub_stop(&s);
}

TEST(zip_missing) {
        ASSERT_OK(upload_global_init());
        _cleanup_free_ char *dir = test_tmpdir();
        HttpStubReply ok[] = { { 200, NULL, START_OK } };
        HttpStub s;
        http_stub_start(ok, 1, &s);
        char start[128], finish[128];
        UploadOptions o = options(&s, start, finish, sizeof start);
        UploadFields f = sample_fields();
        UploadResult r;
        _cleanup_free_ char *missing = path_join(dir, "missing.zip");
        ASSERT_ERR(upload_report(&o, &f, missing, &r), -ENOENT);
        ASSERT_EQ(http_stub_count(&s), 0); /* it could not try */
        http_stub_stop(&s);
}

TEST(zip_must_be_a_regular_file) {
        ASSERT_OK(upload_global_init());
        _cleanup_free_ char *dir = test_tmpdir(), *zip = make_zip(dir);
        HttpStubReply ok[] = { { 200, NULL, START_OK }, { 200, NULL, NULL }, { 200, NULL, NULL } };
        HttpStub s;
        http_stub_start(ok, ELEMENTSOF(ok), &s);
        char start[128], finish[128];
        UploadOptions o = options(&s, start, finish, sizeof start);
        UploadFields f = sample_fields();
        UploadResult r;
        _cleanup_free_ char *missing = path_join(dir, "missing.zip"), *link = path_join(dir, "link.zip"),
                            *fifo = path_join(dir, "fifo.zip");
        ASSERT_ERR(upload_report(&o, &f, missing, &r), -ENOENT);
        /* a symlink in the queue is not followed: it could name any file
         * the uploader can read */
        ASSERT_TRUE(symlink(zip, link) == 0);
        ASSERT_TRUE(upload_report(&o, &f, link, &r) < 0);
        /* a FIFO is refused, not waited on */
        ASSERT_TRUE(mkfifo(fifo, 0600) == 0);
        ASSERT_TRUE(upload_report(&o, &f, fifo, &r) < 0);
        ASSERT_ERR(upload_report(&o, &f, dir, &r), -EISDIR);
        ASSERT_EQ(http_stub_count(&s), 0);
        http_stub_stop(&s);
}

/* ---- the Sentry envelope ---- */

TEST(sentry_envelope_post) {
        ASSERT_OK(upload_global_init());
        HttpStubReply ok[] = { { 200, "X-Sentry-Rate-Limits: 60:attachment:key\r\n",
                                 "{\"id\":\"0123456789abcdef0123456789abcdef\"}" } };
        HttpStub s;
        http_stub_start(ok, 1, &s);
        char url[128];
        snprintf(url, sizeof url, "%s/api/7/envelope/", s.url);
        UploadOptions o = { .allow_http = true, .connect_timeout = 30, .stall_timeout = 60 };
        static const char env[] = "{\"event_id\":\"x\"}\n{\"type\":\"event\",\"length\":2}\n{}\n\0binary";
        SentryUploadResult r;
        ASSERT_OK(upload_sentry_envelope(&o, url, "pubkey123", env, sizeof env - 1, &r));
        ASSERT_EQ(r.base.outcome, UPLOAD_OK);
        ASSERT_EQ(r.status, 200);
        ASSERT_STREQ(r.base.gid, "0123456789abcdef0123456789abcdef");
        ASSERT_STREQ(r.rate_limits, "60:attachment:key");
        _cleanup_free_ char *log = http_stub_log(&s, NULL);
        ASSERT_TRUE(strneq(log, "POST /api/7/envelope/ HTTP/1.1\r\n", 32));
        ASSERT_TRUE(strstr(log, "\r\nX-Sentry-Auth: Sentry sentry_version=7, sentry_key=pubkey123, sentry_client=kcrash/"));
        ASSERT_TRUE(strstr(log, "\r\nContent-Type: application/x-sentry-envelope\r\n"));
        ASSERT_TRUE(!strstr(log, "Expect:"));
        const char *body = strstr(log, "\r\n\r\n") + 4;
        ASSERT_EQ(memcmp(body, env, sizeof env - 1), 0); /* NUL and all */
        http_stub_stop(&s);
}

TEST(sentry_envelope_outcomes) {
        ASSERT_OK(upload_global_init());
        static const struct {
                int status;
                const char *headers, *body;
                UploadOutcome outcome;
                long retry_after;
        } cases[] = {
                { 200, NULL, "not json", UPLOAD_OK, 0 },  /* a 2xx without a receipt still counts */
                { 429, "Retry-After: 30\r\nX-Sentry-Rate-Limits: 30::organization\r\n", NULL, UPLOAD_TRANSIENT, 30 },
                { 413, NULL, NULL, UPLOAD_PERMANENT, 0 },
                { 400, NULL, "{\"detail\":\"bad\"}", UPLOAD_PERMANENT, 0 },
                { 502, NULL, NULL, UPLOAD_TRANSIENT, 0 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                HttpStubReply rep = { cases[i].status, cases[i].headers, cases[i].body };
                HttpStub s;
                http_stub_start(&rep, 1, &s);
                char url[128];
                snprintf(url, sizeof url, "%s/e", s.url);
                UploadOptions o = { .allow_http = true, .connect_timeout = 30, .stall_timeout = 60 };
                SentryUploadResult r;
                ASSERT_OK(upload_sentry_envelope(&o, url, "k", "x", 1, &r));
                ASSERT_EQ(r.status, cases[i].status);
                ASSERT_EQ(r.base.outcome, cases[i].outcome);
                ASSERT_EQ(r.base.retry_after, cases[i].retry_after);
                ASSERT_STREQ(r.base.gid, "");
                if (cases[i].status == 413)
                        ASSERT_TRUE(strstr(r.base.reason, "too large for the server: 1 bytes"));
                if (cases[i].status == 429)
                        ASSERT_STREQ(r.rate_limits, "30::organization");
                http_stub_stop(&s);
        }
        /* https only unless allowed, and nothing listening */
        UploadOptions o = { .connect_timeout = 30, .stall_timeout = 60 };
        SentryUploadResult r;
        ASSERT_OK(upload_sentry_envelope(&o, "http://127.0.0.1:1/e", "k", "x", 1, &r));
        ASSERT_EQ(r.base.outcome, UPLOAD_PERMANENT);
        ASSERT_TRUE(strstr(r.base.reason, "URL scheme not allowed"));
        int fd;
        char url[64];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/e", http_closed_port(&fd));
        o.allow_http = true;
        ASSERT_OK(upload_sentry_envelope(&o, url, "k", "x", 1, &r));
        ASSERT_EQ(r.base.outcome, UPLOAD_TRANSIENT);
        ASSERT_EQ(r.status, 0);
        close(fd);
}

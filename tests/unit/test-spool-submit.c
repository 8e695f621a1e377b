/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "config.h"
#include "fileio.h"
#include "http-stub.h"
#include "macro.h"
#include "offload.h"
#include "spool.h"
#include "tests.h"

#define NOW 1795335300
#define START_OK                                                                  \
        "{\"response\":{\"url\":\"@URL@/put\",\"gid\":\"g-1\",\"headers\":{\"pairs\":[" \
        "{\"name\":\"Content-Type\",\"value\":\"application/zip\"}]}}}"

static const HttpStubReply UPLOAD_OK_REPLIES[] = {
        { 200, NULL, START_OK }, { 200, NULL, NULL }, { 200, NULL, "{}" },
};

typedef struct Fixture {
        char *offload;
        char *queue;
        KcrashConfig config;
        HttpStub stub;
} Fixture;

static void report_zip(const Fixture *f, const char *id, time_t mtime) {
        char report[512], name[128];
        snprintf(report, sizeof report,
                 "{\"id\":\"%s\",\"collected_time\":1,\"analysis\":{\"title\":\"BUG: %s\",\"signature\":\"v1:ab\"},"
                 "\"upload\":{\"steamid\":\"1\",\"product\":\"holo\"}}",
                 id, id);
        ArchiveMember m[] = { { "report.json", report, strlen(report) } };
        snprintf(name, sizeof name, "%s.zip", id);
        _cleanup_free_ char *path = path_join(f->queue, name);
        ASSERT_OK(archive_write(path, m, 1));
        struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
        ASSERT_TRUE(utimensat(AT_FDCWD, path, ts, 0) == 0);
}

/* The offload folder, its queue, and a configuration that uploads to the stub. */
static bool fixture_init(Fixture *f, const HttpStubReply *replies, size_t n, const char *extra_config) {
        *f = (Fixture) { .offload = test_tmpdir() };
        f->queue = path_join(f->offload, OFFLOAD_QUEUE_DIR);
        ASSERT_OK(mkdir_p(f->queue, 0755));
        const char *why;
        if (archive_dlopen(&why) < 0)
                return false;
        http_stub_start(replies, n, &f->stub);
        char text[1024];
        snprintf(text, sizeof text,
                 "SUBMIT_START_URL=%s/start\nSUBMIT_FINISH_URL=%s/finish\nSUBMIT_ALLOW_INSECURE_HTTP=1\n%s",
                 f->stub.url, f->stub.url, extra_config ? extra_config : "");
        ConfigError e = {};
        ASSERT_OK(config_init_defaults(&f->config));
        if (config_parse(&f->config, text, strlen(text), NULL, NULL, &e) < 0)
                test_fail(__FILE__, __LINE__, "config line %u: %s", e.line, e.message);
        return true;
}

static void fixture_done(Fixture *f) {
        http_stub_stop(&f->stub);
        config_done(&f->config);
        free(f->queue);
        free(f->offload);
}

static int submit(Fixture *f, bool now_flag, time_t now, SubmitResult *r) {
        SubmitOptions o = { .offload_dir = f->offload, .config = &f->config, .ignore_backoff = now_flag, .now = now };
        return spool_submit(&o, r);
}

static bool exists_in(const char *dir, const char *sub, const char *name) {
        _cleanup_free_ char *p = NULL;
        ASSERT_TRUE(asprintf(&p, "%s/%s/%s", dir, sub, name) > 0);
        struct stat st;
        return lstat(p, &st) == 0;
}

TEST(disabled) {
        Fixture f;
        if (!fixture_init(&f, UPLOAD_OK_REPLIES, 3, "LOG_SUBMISSION=0\n")) {
                test_skip("libzip cannot be loaded");
                return;
        }
        report_zip(&f, "r1", NOW - 10);
        SubmitResult r;
        ASSERT_OK(submit(&f, false, NOW, &r));
        ASSERT_TRUE(r.disabled);
        ASSERT_TRUE(strstr(r.disabled_why, "LOG_SUBMISSION=0"));
        ASSERT_EQ(r.sent + r.failed + r.remaining, 0);
        submit_result_done(&r);
        fixture_done(&f);

        /* no target: no URLs */
        ASSERT_TRUE(fixture_init(&f, UPLOAD_OK_REPLIES, 3, "SUBMIT_START_URL=\n"));
        report_zip(&f, "r1", NOW - 10);
        ASSERT_OK(submit(&f, false, NOW, &r));
        ASSERT_TRUE(r.disabled);
        ASSERT_TRUE(strstr(r.disabled_why, "no upload target"));
        submit_result_done(&r);
        ASSERT_EQ(http_stub_count(&f.stub), 0);
        ASSERT_TRUE(exists_in(f.offload, OFFLOAD_QUEUE_DIR, "r1.zip")); /* kept */
        fixture_done(&f);
}

TEST(sends_oldest_first_and_moves_to_sent) {
        Fixture f;
        if (!fixture_init(&f, UPLOAD_OK_REPLIES, 3, NULL)) {
                test_skip("libzip cannot be loaded");
                return;
        }
        /* the stub answers the first upload's three steps, then 200 "{}"
         * (not a Start answer) to everything: the second report fails */
        report_zip(&f, "newer", NOW - 10);
        report_zip(&f, "older", NOW - 100);
        SubmitResult r;
        ASSERT_OK(submit(&f, false, NOW, &r));
        ASSERT_TRUE(!r.disabled);
        ASSERT_EQ(r.sent, 1);
        ASSERT_EQ(r.failed, 1);
        ASSERT_EQ(r.parked, 1); /* an invalid Start answer is permanent */
        ASSERT_EQ(r.n_outcomes, 2);
        ASSERT_STREQ(r.outcomes[0].id, "older");
        ASSERT_TRUE(r.outcomes[0].ok);
        ASSERT_STREQ(r.outcomes[0].gid, "g-1");
        ASSERT_STREQ(r.outcomes[0].title, "BUG: older");
        ASSERT_EQ(r.outcomes[0].state, SPOOL_SENT);
        ASSERT_STREQ(r.outcomes[1].id, "newer");
        ASSERT_TRUE(!r.outcomes[1].ok);
        ASSERT_EQ(r.outcomes[1].state, SPOOL_PARKED);
        ASSERT_TRUE(strstr(r.outcomes[1].error, "Start: invalid answer"));
        submit_result_done(&r);

        /* sent: out of the queue into sent_logs (KEEP_SENT_LOGS=1), its state says so */
        ASSERT_TRUE(!exists_in(f.offload, OFFLOAD_QUEUE_DIR, "older.zip"));
        ASSERT_TRUE(exists_in(f.offload, OFFLOAD_SENT_DIR, "older.zip"));
        SpoolState s;
        ASSERT_OK(spool_state_load(f.offload, "older", &s));
        ASSERT_EQ(s.state, SPOOL_SENT);
        ASSERT_STREQ(s.gid, "g-1");
        spool_state_done(&s);
        /* parked: kept in the queue, not retried */
        ASSERT_TRUE(exists_in(f.offload, OFFLOAD_QUEUE_DIR, "newer.zip"));
        ASSERT_OK(spool_state_load(f.offload, "newer", &s));
        ASSERT_EQ(s.state, SPOOL_PARKED);
        ASSERT_EQ(s.attempts, 1);
        spool_state_done(&s);
        size_t before = http_stub_count(&f.stub);
        ASSERT_EQ(before, 4);
        ASSERT_OK(submit(&f, true, NOW + 10, &r));
        ASSERT_EQ(r.parked, 1);
        ASSERT_EQ(r.sent + r.failed, 0);
        submit_result_done(&r);
        ASSERT_EQ(http_stub_count(&f.stub), before);
        fixture_done(&f);
}

/* The server says it is busy or full (429, 507, with Retry-After): the
 * report waits as long, and such answers do not count toward parking (a
 * week of a full store parked every report for good); a 503 counts, even
 * with Retry-After (kcrash's receiver sends one on a lasting store error,
 * which must park in the end). */
TEST(transient_failures_back_off) {
        HttpStubReply busy[] = { { 507, "Retry-After: 600\r\n", NULL }, { 503, "Retry-After: 5\r\n", NULL } };
        Fixture f;
        if (!fixture_init(&f, busy, 2, "SUBMIT_MAX_ATTEMPTS=1\n")) {
                test_skip("libzip cannot be loaded");
                return;
        }
        report_zip(&f, "r1", NOW - 10);
        SubmitResult r;
        ASSERT_OK(submit(&f, false, NOW, &r));
        ASSERT_EQ(r.failed, 1);
        ASSERT_EQ(r.remaining, 1);
        ASSERT_EQ(r.outcomes[0].state, SPOOL_PENDING);
        submit_result_done(&r);
        SpoolState s;
        ASSERT_OK(spool_state_load(f.offload, "r1", &s));
        ASSERT_EQ(s.state, SPOOL_PENDING);
        ASSERT_EQ(s.attempts, 1);
        ASSERT_EQ(s.deferred, 1u); /* not parked at SUBMIT_MAX_ATTEMPTS=1 */
        ASSERT_TRUE(s.next_try >= NOW + 600); /* never before the server's Retry-After */
        ASSERT_STREQ(s.last_error, "Start: HTTP 507");
        spool_state_done(&s);
        int64_t next;
        ASSERT_OK(spool_next_try(f.offload, 1u << SUBMIT_TARGET_KCRASH, &next));
        ASSERT_TRUE(next >= NOW + 600);

        /* before its time: waiting, no request */
        ASSERT_OK(submit(&f, false, NOW + 60, &r));
        ASSERT_EQ(r.waiting, 1);
        ASSERT_EQ(r.remaining, 1);
        submit_result_done(&r);
        ASSERT_EQ(http_stub_count(&f.stub), 1);
        /* --now: tried again; a 503 counts, the last allowed */
        ASSERT_OK(submit(&f, true, NOW + 60, &r));
        ASSERT_EQ(r.failed, 1);
        ASSERT_EQ(r.parked, 1);
        ASSERT_EQ(r.outcomes[0].state, SPOOL_PARKED);
        submit_result_done(&r);
        ASSERT_EQ(http_stub_count(&f.stub), 2);
        ASSERT_ERR(spool_next_try(f.offload, 1u << SUBMIT_TARGET_KCRASH, &next), -ENOENT);
        fixture_done(&f);
}

/* Busy or full after the ZIP was sent (a 507 at the PUT, a 429 at the
 * Finish) counts toward parking: deferred, a server that takes the whole
 * ZIP and then says so had every report uploaded again at every backoff,
 * for ever, outside SUBMIT_DAILY_BYTES (attack review). */
TEST(busy_after_the_zip_was_sent_counts) {
        HttpStubReply replies[] = { { 200, NULL, START_OK }, { 507, "Retry-After: 600\r\n", NULL },
                                    { 200, NULL, START_OK }, { 200, NULL, NULL },
                                    { 429, "Retry-After: 600\r\n", NULL } };
        Fixture f;
        if (!fixture_init(&f, replies, ELEMENTSOF(replies), "SUBMIT_MAX_ATTEMPTS=2\n")) {
                test_skip("libzip cannot be loaded");
                return;
        }
        report_zip(&f, "r1", NOW - 10);
        SubmitResult r;
        ASSERT_OK(submit(&f, false, NOW, &r));
        ASSERT_EQ(r.failed, 1);
        ASSERT_EQ(r.outcomes[0].state, SPOOL_PENDING);
        submit_result_done(&r);
        SpoolState s;
        ASSERT_OK(spool_state_load(f.offload, "r1", &s));
        ASSERT_EQ(s.attempts, 1);
        ASSERT_EQ(s.deferred, 0u);
        ASSERT_TRUE(s.next_try >= NOW + 600); /* the server's Retry-After still holds */
        ASSERT_STREQ(s.last_error, "PUT: HTTP 507");
        spool_state_done(&s);
        ASSERT_OK(submit(&f, true, NOW + 60, &r));
        ASSERT_EQ(r.failed, 1);
        ASSERT_EQ(r.parked, 1);
        submit_result_done(&r);
        ASSERT_OK(spool_state_load(f.offload, "r1", &s));
        ASSERT_EQ(s.state, SPOOL_PARKED);
        ASSERT_EQ(s.attempts, 2);
        ASSERT_EQ(s.deferred, 0u);
        ASSERT_STREQ(s.last_error, "Finish: HTTP 429");
        spool_state_done(&s);
        ASSERT_EQ(http_stub_count(&f.stub), 5);
        fixture_done(&f);
}

/* A device offline for a week kept its reports: before, every attempt that
 * could not even connect counted toward SUBMIT_MAX_ATTEMPTS, and all were
 * parked for good. Now such attempts back off but do not park, and one
 * pass tries one report, not each (a connect timeout apiece). */
TEST(offline_neither_parks_nor_tries_each) {
        HttpStubReply busy[] = { { 503, NULL, NULL } };
        Fixture f;
        if (!fixture_init(&f, busy, 1, "SUBMIT_MAX_ATTEMPTS=2\n")) {
                test_skip("libzip cannot be loaded");
                return;
        }
        report_zip(&f, "a", NOW - 30);
        report_zip(&f, "b", NOW - 20);
        report_zip(&f, "c", NOW - 10);
        int closed_fd = -1, port = http_closed_port(&closed_fd);
        char text[256];
        snprintf(text, sizeof text,
                 "SUBMIT_START_URL=http://127.0.0.1:%d/start\nSUBMIT_FINISH_URL=http://127.0.0.1:%d/finish\n"
                 "SUBMIT_ALLOW_INSECURE_HTTP=1\nSUBMIT_MAX_ATTEMPTS=2\n",
                 port, port);
        KcrashConfig offline;
        ConfigError e = {};
        ASSERT_OK(config_init_defaults(&offline));
        ASSERT_OK(config_parse(&offline, text, strlen(text), NULL, NULL, &e));
        SubmitOptions o = { .offload_dir = f.offload, .config = &offline, .ignore_backoff = true };
        SpoolState s;
        for (int pass = 0; pass < 4; pass++) {
                SubmitResult r;
                o.now = NOW + pass * 100000;
                ASSERT_OK(spool_submit(&o, &r));
                ASSERT_EQ(r.failed, 1); /* the oldest, tried; the others wait */
                ASSERT_EQ(r.waiting, 2);
                ASSERT_EQ(r.parked, 0);
                ASSERT_EQ(r.remaining, 3);
                ASSERT_STREQ(r.outcomes[0].id, "a");
                ASSERT_EQ(r.outcomes[0].state, SPOOL_PENDING);
                submit_result_done(&r);
                ASSERT_OK(spool_state_load(f.offload, "a", &s));
                int64_t next = s.next_try;
                spool_state_done(&s);
                /* the others take its retry time, but no later than their
                 * own first backoff (60 s +-25 %), and no attempt */
                ASSERT_OK(spool_state_load(f.offload, "c", &s));
                ASSERT_TRUE(s.next_try <= next);
                ASSERT_TRUE(s.next_try > o.now && s.next_try <= o.now + 75);
                ASSERT_EQ(s.attempts, 0u);
                spool_state_done(&s);
        }
        ASSERT_OK(spool_state_load(f.offload, "a", &s));
        ASSERT_EQ(s.state, SPOOL_PENDING);
        ASSERT_EQ(s.attempts, 4u);
        ASSERT_EQ(s.deferred, 4u);
        ASSERT_TRUE(strstr(s.last_error, "Start: "));
        spool_state_done(&s);
        config_done(&offline);
        close(closed_fd);

        /* back online: the server's own failures count, two of them park */
        for (int pass = 0; pass < 2; pass++) {
                SubmitResult r;
                ASSERT_OK(submit(&f, true, NOW + 500000 + pass, &r));
                ASSERT_EQ(r.failed, 3);
                ASSERT_EQ(r.parked, pass == 1 ? 3 : 0);
                submit_result_done(&r);
        }
        ASSERT_OK(spool_state_load(f.offload, "a", &s));
        ASSERT_EQ(s.state, SPOOL_PARKED);
        ASSERT_EQ(s.attempts, 6u);
        spool_state_done(&s);
        fixture_done(&f);
}

/* Once the Start was answered the network works: a PUT URL nobody answers
 * is the server's failure and counts (else a wrong --public-url kept every
 * report pending for good, each attempt a new slot: attack review). */
TEST(unreachable_put_counts) {
        int closed_fd = -1, port = http_closed_port(&closed_fd);
        char start[512];
        snprintf(start, sizeof start,
                 "{\"response\":{\"url\":\"http://127.0.0.1:%d/put\",\"gid\":\"g-1\",\"headers\":{\"pairs\":["
                 "{\"name\":\"Content-Type\",\"value\":\"application/zip\"}]}}}",
                 port);
        HttpStubReply replies[] = { { 200, NULL, start } };
        Fixture f;
        if (!fixture_init(&f, replies, 1, "SUBMIT_MAX_ATTEMPTS=2\n")) {
                test_skip("libzip cannot be loaded");
                close(closed_fd);
                return;
        }
        report_zip(&f, "r1", NOW - 10);
        SubmitResult r;
        for (int pass = 0; pass < 2; pass++) {
                ASSERT_OK(submit(&f, true, NOW + pass, &r));
                ASSERT_EQ(r.failed, 1);
                ASSERT_EQ(r.parked, pass == 1 ? 1 : 0);
                submit_result_done(&r);
        }
        SpoolState s;
        ASSERT_OK(spool_state_load(f.offload, "r1", &s));
        ASSERT_EQ(s.state, SPOOL_PARKED);
        ASSERT_EQ(s.deferred, 0u);
        ASSERT_TRUE(strstr(s.last_error, "PUT: "));
        spool_state_done(&s);
        close(closed_fd);
        fixture_done(&f);
}

/* --parked saves the fresh start at once: a report the daily budget then
 * holds back is pending, not parked still (attack review). */
TEST(parked_retry_held_by_the_budget_is_pending) {
        Fixture f;
        if (!fixture_init(&f, UPLOAD_OK_REPLIES, 3, "SUBMIT_DAILY_REPORTS=1\n")) {
                test_skip("libzip cannot be loaded");
                return;
        }
        report_zip(&f, "a", NOW - 30);
        report_zip(&f, "p", NOW - 10);
        ASSERT_OK(spool_state_save(f.offload, "p", &(SpoolState) { .state = SPOOL_PARKED, .attempts = 30 }));
        SubmitOptions o = { .offload_dir = f.offload, .config = &f.config, .retry_parked = true, .now = NOW };
        SubmitResult r;
        ASSERT_OK(spool_submit(&o, &r));
        ASSERT_EQ(r.sent, 1);
        ASSERT_EQ(r.over_budget, 1);
        submit_result_done(&r);
        SpoolState s;
        ASSERT_OK(spool_state_load(f.offload, "p", &s));
        ASSERT_EQ(s.state, SPOOL_PENDING);
        ASSERT_EQ(s.attempts, 0u);
        spool_state_done(&s);
        fixture_done(&f);
}

/* A parked report stays parked until the operator says otherwise (the
 * server was fixed): --parked tries it again with its attempts from 0. */
TEST(parked_retried_on_request) {
        static const HttpStubReply replies[] = {
                { 503, NULL, NULL }, { 200, NULL, START_OK }, { 200, NULL, NULL }, { 200, NULL, "{}" },
        };
        Fixture f;
        if (!fixture_init(&f, replies, ELEMENTSOF(replies), "SUBMIT_MAX_ATTEMPTS=1\n")) {
                test_skip("libzip cannot be loaded");
                return;
        }
        report_zip(&f, "r1", NOW - 10);
        SubmitResult r;
        ASSERT_OK(submit(&f, true, NOW, &r));
        ASSERT_EQ(r.parked, 1);
        submit_result_done(&r);
        ASSERT_OK(submit(&f, true, NOW + 10, &r));
        ASSERT_EQ(r.parked, 1);
        ASSERT_EQ(r.n_outcomes, 0);
        submit_result_done(&r);
        ASSERT_EQ(http_stub_count(&f.stub), 1);
        SubmitOptions o = { .offload_dir = f.offload, .config = &f.config, .retry_parked = true, .now = NOW + 20 };
        ASSERT_OK(spool_submit(&o, &r));
        ASSERT_EQ(r.sent, 1);
        ASSERT_EQ(r.parked, 0);
        submit_result_done(&r);
        ASSERT_EQ(http_stub_count(&f.stub), 4);
        SpoolState s;
        ASSERT_OK(spool_state_load(f.offload, "r1", &s));
        ASSERT_EQ(s.state, SPOOL_SENT);
        ASSERT_EQ(s.attempts, 0u);
        spool_state_done(&s);
        fixture_done(&f);
}

TEST(daily_budget) {
        Fixture f;
        if (!fixture_init(&f, UPLOAD_OK_REPLIES, 3, "SUBMIT_DAILY_REPORTS=1\n")) {
                test_skip("libzip cannot be loaded");
                return;
        }
        report_zip(&f, "a", NOW - 20);
        report_zip(&f, "b", NOW - 10);
        SubmitResult r;
        ASSERT_OK(submit(&f, true, NOW, &r));
        ASSERT_EQ(r.sent, 1);
        ASSERT_EQ(r.over_budget, 1);
        ASSERT_EQ(r.remaining, 1);
        submit_result_done(&r);
        ASSERT_EQ(http_stub_count(&f.stub), 3);
        /* a day later the budget is free again (the stub now refuses: one attempt) */
        ASSERT_OK(submit(&f, true, NOW + 86400 + 1, &r));
        ASSERT_EQ(r.over_budget, 0);
        ASSERT_EQ(r.failed, 1);
        submit_result_done(&r);
        fixture_done(&f);
}

TEST(hostile_queue_entries) {
        Fixture f;
        if (!fixture_init(&f, UPLOAD_OK_REPLIES, 3, NULL)) {
                test_skip("libzip cannot be loaded");
                return;
        }
        /* a symlink to a file the uploader could read, a FIFO, a folder, junk */
        _cleanup_free_ char *secret = path_join(f.offload, "secret.zip"), *link = path_join(f.queue, "link.zip"),
                            *fifo = path_join(f.queue, "fifo.zip"), *dir = path_join(f.queue, "dir.zip"),
                            *junk = path_join(f.queue, "junk.zip");
        ASSERT_OK(write_file_atomic(secret, "secret", 6, 0600));
        ASSERT_TRUE(symlink(secret, link) == 0);
        ASSERT_TRUE(mkfifo(fifo, 0600) == 0);
        ASSERT_TRUE(mkdir(dir, 0700) == 0);
        ASSERT_OK(write_file_atomic(junk, "not a zip", 9, 0644));
        SubmitResult r;
        ASSERT_OK(submit(&f, true, NOW, &r));
        ASSERT_EQ(r.sent, 0);
        ASSERT_EQ(r.n_outcomes, 2); /* the FIFO and the folder are not queue entries */
        /* nothing reached the server; what was tried is parked */
        ASSERT_EQ(http_stub_count(&f.stub), 0);
        for (size_t i = 0; i < r.n_outcomes; i++) {
                ASSERT_TRUE(!r.outcomes[i].ok);
                ASSERT_EQ(r.outcomes[i].state, SPOOL_PARKED);
                ASSERT_TRUE(strstr(r.outcomes[i].error, "report.json unreadable"));
                ASSERT_TRUE(streq(r.outcomes[i].id, "link") || streq(r.outcomes[i].id, "junk"));
        }
        submit_result_done(&r);
        fixture_done(&f);
}

TEST(busy_when_locked) {
        Fixture f;
        if (!fixture_init(&f, UPLOAD_OK_REPLIES, 3, NULL)) {
                test_skip("libzip cannot be loaded");
                return;
        }
        report_zip(&f, "r1", NOW - 10);
        _cleanup_free_ char *state = path_join(f.offload, OFFLOAD_UPLOAD_STATE_DIR), *lock = path_join(state, "submit.lock");
        ASSERT_OK(mkdir_p(state, 0755));
        int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        /* another submitter: its own open file description holds the lock */
        ASSERT_TRUE(flock(fd, LOCK_EX) == 0);
        SubmitResult r;
        ASSERT_ERR(submit(&f, true, NOW, &r), -EBUSY);
        close(fd);
        ASSERT_EQ(http_stub_count(&f.stub), 0);
        ASSERT_OK(submit(&f, true, NOW, &r));
        ASSERT_EQ(r.sent, 1);
        submit_result_done(&r);
        fixture_done(&f);
}

TEST(empty_or_missing_queue) {
        Fixture f;
        if (!fixture_init(&f, UPLOAD_OK_REPLIES, 3, NULL)) {
                test_skip("libzip cannot be loaded");
                return;
        }
        SubmitResult r;
        ASSERT_OK(submit(&f, false, NOW, &r));
        ASSERT_EQ(r.n_outcomes, 0);
        ASSERT_EQ(r.remaining, 0);
        submit_result_done(&r);
        ASSERT_TRUE(rmdir(f.queue) == 0);
        ASSERT_OK(submit(&f, false, NOW, &r));
        ASSERT_EQ(r.n_outcomes, 0);
        submit_result_done(&r);
        fixture_done(&f);
}

/* Sentry's envelope is the report: a 429 to it (or a 507) counts like one
 * to a PUT. Deferred, an endpoint that read every envelope and answered
 * 429 had the report sent at every backoff, for ever, outside
 * SUBMIT_DAILY_BYTES (attack review). */
TEST(sentry_busy_after_the_envelope_counts) {
        HttpStubReply replies[] = { { 429, "Retry-After: 60\r\n", "{}" } };
        Fixture f;
        if (!fixture_init(&f, replies, 1, "SUBMIT_MAX_ATTEMPTS=2\n")) {
                test_skip("libzip cannot be loaded");
                return;
        }
        char cfg[256];
        snprintf(cfg, sizeof cfg, "SUBMIT_TARGET=sentry\nSENTRY_DSN=http://pub@127.0.0.1:%d/7\nSUBMIT_MAX_ATTEMPTS=2\n"
                 "SUBMIT_ALLOW_INSECURE_HTTP=1\n", f.stub.port);
        ConfigError e = {};
        config_done(&f.config);
        ASSERT_OK(config_init_defaults(&f.config));
        ASSERT_OK(config_parse(&f.config, cfg, strlen(cfg), NULL, NULL, &e));
        report_zip(&f, "r1", NOW - 10);
        for (int i = 0; i < 3; i++) {
                SubmitResult r;
                ASSERT_OK(submit(&f, true, NOW + i * 86400, &r));
                submit_result_done(&r);
        }
        ASSERT_EQ(http_stub_count(&f.stub), 2); /* parked after SUBMIT_MAX_ATTEMPTS */
        SpoolState s;
        ASSERT_OK(spool_state_load_target(f.offload, "r1", SUBMIT_TARGET_SENTRY, &s));
        ASSERT_EQ(s.state, SPOOL_PARKED);
        ASSERT_EQ(s.attempts, 2);
        ASSERT_EQ(s.deferred, 0u);
        ASSERT_STREQ(s.last_error, "envelope: HTTP 429");
        spool_state_done(&s);
        fixture_done(&f);
}

/* The ZIP stored and only the Finish failed (here a 503; an answer lost
 * after the server committed is the same to the device): the next attempt
 * sends the Finish of the same gid alone. Before, it uploaded the report
 * again as a new one, and a Finish the server had committed made the crash
 * count twice (attack review: bucket count 2 for one crash). */
TEST(a_failed_finish_is_finished_not_uploaded_again) {
        HttpStubReply replies[] = { { 200, NULL, START_OK }, { 200, NULL, NULL }, { 503, NULL, NULL },
                                    { 200, NULL, "{}" } };
        Fixture f;
        if (!fixture_init(&f, replies, ELEMENTSOF(replies), NULL)) {
                test_skip("libzip cannot be loaded");
                return;
        }
        report_zip(&f, "r1", NOW - 10);
        SubmitResult r;
        ASSERT_OK(submit(&f, false, NOW, &r));
        ASSERT_EQ(r.failed, 1);
        submit_result_done(&r);
        SpoolState s;
        ASSERT_OK(spool_state_load(f.offload, "r1", &s));
        ASSERT_TRUE(s.finish_pending);
        ASSERT_STREQ(s.gid, "g-1");
        spool_state_done(&s);
        ASSERT_OK(submit(&f, true, NOW + 60, &r));
        ASSERT_EQ(r.sent, 1);
        submit_result_done(&r);
        ASSERT_EQ(http_stub_count(&f.stub), 4); /* the Finish alone */
        /* the fourth request (the log holds the ZIP's bytes: memmem) */
        size_t size = 0;
        _cleanup_free_ char *log = http_stub_log(&f.stub, &size);
        const char *fourth = log;
        for (int i = 0; i < 3; i++) {
                fourth = memmem(fourth, size - (size_t) (fourth - log), "\n=====\n", 7);
                ASSERT_TRUE(fourth != NULL);
                fourth += 7;
        }
        size_t left = size - (size_t) (fourth - log);
        ASSERT_TRUE(startswith(fourth, "POST ") && memmem(fourth, left, "gid=g-1", 7) != NULL);
        ASSERT_OK(spool_state_load(f.offload, "r1", &s));
        ASSERT_EQ(s.state, SPOOL_SENT);
        ASSERT_TRUE(!s.finish_pending);
        spool_state_done(&s);
        fixture_done(&f);
}

/* Its upload swept before the Finish came (404): uploaded again after all,
 * in the same attempt. */
TEST(a_finish_of_a_swept_upload_uploads_again) {
        HttpStubReply replies[] = { { 200, NULL, START_OK }, { 200, NULL, NULL }, { 503, NULL, NULL },
                                    { 404, NULL, NULL },     { 200, NULL, START_OK }, { 200, NULL, NULL },
                                    { 200, NULL, "{}" } };
        Fixture f;
        if (!fixture_init(&f, replies, ELEMENTSOF(replies), NULL)) {
                test_skip("libzip cannot be loaded");
                return;
        }
        report_zip(&f, "r1", NOW - 10);
        SubmitResult r;
        ASSERT_OK(submit(&f, false, NOW, &r));
        submit_result_done(&r);
        ASSERT_OK(submit(&f, true, NOW + 60, &r));
        ASSERT_EQ(r.sent, 1);
        submit_result_done(&r);
        ASSERT_EQ(http_stub_count(&f.stub), 7);
        fixture_done(&f);
}

/* Stopped (a shutdown's SIGTERM) while the Finish was under way: the server
 * may have committed it, so the next pass sends the Finish of the same gid
 * alone. Before, the gid was saved only once the Finish was answered, and
 * the next pass uploaded the report again as a second one (attack review:
 * two reports, bucket count 2, for one crash). */
static HttpStub *stop_stub;
static bool stop_once_finish_is_sent(void) {
        return http_stub_count(stop_stub) >= 3;
}

TEST(a_stop_during_the_finish_finishes_the_same_upload) {
        HttpStubReply replies[] = { { 200, NULL, START_OK },
                                    { 200, NULL, NULL },
                                    { 200, NULL, "{}", .delay_ms = 5000 },
                                    { 200, NULL, "{}" } };
        Fixture f;
        if (!fixture_init(&f, replies, ELEMENTSOF(replies), NULL)) {
                test_skip("libzip cannot be loaded");
                return;
        }
        report_zip(&f, "r1", NOW - 10);
        stop_stub = &f.stub;
        SubmitOptions o = { .offload_dir = f.offload, .config = &f.config, .now = NOW,
                            .stop_requested = stop_once_finish_is_sent };
        SubmitResult r;
        ASSERT_OK(spool_submit(&o, &r));
        ASSERT_TRUE(r.stopped);
        ASSERT_EQ(r.sent, 0);
        submit_result_done(&r);
        SpoolState s;
        ASSERT_OK(spool_state_load(f.offload, "r1", &s));
        ASSERT_TRUE(s.finish_pending);
        ASSERT_STREQ(s.gid, "g-1");
        ASSERT_EQ(s.attempts, 0u);
        spool_state_done(&s);
        ASSERT_OK(submit(&f, false, NOW + 1, &r));
        ASSERT_EQ(r.sent, 1);
        submit_result_done(&r);
        /* Start, PUT, the stopped Finish, and the Finish alone */
        ASSERT_EQ(http_stub_count(&f.stub), 4);
        size_t size = 0;
        _cleanup_free_ char *log = http_stub_log(&f.stub, &size);
        const char *fourth = log;
        for (int i = 0; i < 3; i++) {
                fourth = memmem(fourth, size - (size_t) (fourth - log), "\n=====\n", 7);
                ASSERT_TRUE(fourth != NULL);
                fourth += 7;
        }
        ASSERT_TRUE(startswith(fourth, "POST /finish "));
        fixture_done(&f);
}

/* A server that takes every ZIP and then refuses its Finish (404: "upload
 * it again") has it uploaded at every attempt: the bytes that went out count
 * toward SUBMIT_DAILY_BYTES, so the budget holds it after the first day's
 * worth (attack review: 6 x 90 KB under a 100 KB budget). */
TEST(bytes_of_failed_attempts_count_toward_the_budget) {
        HttpStubReply replies[] = { { 200, NULL, START_OK }, { 200, NULL, NULL },     { 404, NULL, NULL },
                                    { 404, NULL, NULL },     { 200, NULL, START_OK }, { 200, NULL, NULL },
                                    { 404, NULL, NULL } };
        Fixture f;
        if (!fixture_init(&f, replies, ELEMENTSOF(replies), NULL)) {
                test_skip("libzip cannot be loaded");
                return;
        }
        report_zip(&f, "r1", NOW - 10);
        _cleanup_free_ char *zip = path_join(f.queue, "r1.zip");
        struct stat st;
        ASSERT_TRUE(stat(zip, &st) == 0);
        /* room for the report once, not twice */
        f.config.submit_daily_bytes = (uint64_t) st.st_size * 3 / 2;
        SubmitResult r;
        ASSERT_OK(submit(&f, true, NOW, &r));
        ASSERT_EQ(r.failed, 1);
        submit_result_done(&r);
        ASSERT_EQ(http_stub_count(&f.stub), 3);
        _cleanup_free_ char *budget = NULL, *budget_path = NULL, *expected = NULL;
        ASSERT_TRUE(asprintf(&budget_path, "%s/%s/budget", f.offload, OFFLOAD_UPLOAD_STATE_DIR) > 0);
        ASSERT_OK(read_full_file(budget_path, 4096, &budget, NULL));
        ASSERT_TRUE(asprintf(&expected, "%d %lld 0\n", NOW, (long long) st.st_size) > 0);
        ASSERT_STREQ(budget, expected);
        ASSERT_OK(submit(&f, true, NOW + 3600, &r));
        ASSERT_EQ(r.over_budget, 1);
        ASSERT_EQ(r.failed, 0);
        submit_result_done(&r);
        ASSERT_EQ(http_stub_count(&f.stub), 3);
        /* a day later it is tried again: the Finish of its gid, 404, and
         * the whole upload again */
        ASSERT_OK(submit(&f, true, NOW + 86400 + 1, &r));
        ASSERT_EQ(r.failed, 1);
        submit_result_done(&r);
        ASSERT_EQ(http_stub_count(&f.stub), 7);
        fixture_done(&f);
}

/* A full budget adds to its newest line, whose report count may then pass
 * the number of lines: the next pass still counts it (a line of more than
 * 512 reports was skipped as malformed, and the daily limit stopped holding
 * above 512: attack review). */
TEST(a_merged_budget_line_still_counts) {
        Fixture f;
        if (!fixture_init(&f, UPLOAD_OK_REPLIES, 3, "SUBMIT_DAILY_REPORTS=1024\n")) {
                test_skip("libzip cannot be loaded");
                return;
        }
        _cleanup_free_ char *dir = NULL, *budget = NULL;
        ASSERT_TRUE(asprintf(&dir, "%s/%s", f.offload, OFFLOAD_UPLOAD_STATE_DIR) > 0);
        ASSERT_OK(mkdir_p(dir, 0755));
        ASSERT_TRUE(asprintf(&budget, "%s/budget", dir) > 0);
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *w = open_memstream(&text, &size);
        ASSERT_TRUE(w != NULL);
        for (int i = 0; i < 511; i++)
                fprintf(w, "%d 1\n", NOW - 100);
        fprintf(w, "%d 1 513\n", NOW - 50);
        ASSERT_TRUE(fclose(w) == 0);
        ASSERT_OK(write_file_atomic(budget, text, size, 0600));
        report_zip(&f, "r1", NOW - 10);
        SubmitResult r;
        ASSERT_OK(submit(&f, true, NOW, &r));
        ASSERT_EQ(r.over_budget, 1); /* 511 + 513 = 1024 reports today */
        ASSERT_EQ(r.sent, 0);
        submit_result_done(&r);
        ASSERT_EQ(http_stub_count(&f.stub), 0);
        fixture_done(&f);
}

/* A retry time no backoff gives (saved while the clock was years ahead) does
 * not hold the report until that date: it is tried at the next pass. */
TEST(a_retry_time_from_a_clock_ahead_is_not_waited_for) {
        Fixture f;
        if (!fixture_init(&f, UPLOAD_OK_REPLIES, 3, NULL)) {
                test_skip("libzip cannot be loaded");
                return;
        }
        report_zip(&f, "r1", NOW - 10);
        SpoolState s = { .state = SPOOL_PENDING, .attempts = 1, .next_try = NOW + 10 * 365 * 86400LL };
        ASSERT_OK(spool_state_save(f.offload, "r1", &s));
        SubmitResult r;
        ASSERT_OK(submit(&f, false, NOW, &r));
        ASSERT_EQ(r.sent, 1);
        submit_result_done(&r);
        /* one a backoff may give is waited for */
        report_zip(&f, "r2", NOW - 5);
        s = (SpoolState) { .state = SPOOL_PENDING, .attempts = 1, .next_try = NOW + 3600 };
        ASSERT_OK(spool_state_save(f.offload, "r2", &s));
        ASSERT_OK(submit(&f, false, NOW, &r));
        ASSERT_EQ(r.sent, 0);
        ASSERT_EQ(r.waiting, 1);
        submit_result_done(&r);
        fixture_done(&f);
}

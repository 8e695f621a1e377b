/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "config.h"
#include "fileio.h"
#include "http-stub.h"
#include "macro.h"
#include "sentry-submit.h"
#include "tests.h"

static const char REPORT[] =
        "{\"schema\":1,\"id\":\"holo-1\",\"collected_time\":1795335280,\"analysis\":{\"title\":\"BUG: x\","
        "\"type\":\"BUG\",\"signature\":\"v1:0123456789abcdef\",\"frames\":[\"f\"]},"
        "\"upload\":{\"steamid\":\"7656\",\"note\":\"f+0x1/0x2\"}}";

static void load_config(KcrashConfig *c, const char *text) {
        ConfigError e = {};
        ASSERT_OK(config_init_defaults(c));
        if (config_parse(c, text, strlen(text), NULL, NULL, &e) < 0)
                test_fail(__FILE__, __LINE__, "config line %u: %s: %s", e.line, e.key, e.message);
}

TEST(target_from_the_configuration) {
        KcrashConfig c;
        SentryTarget t;
        /* no DSN */
        ASSERT_OK(config_init_defaults(&c));
        ASSERT_ERR(sentry_target_init(&t, &c), -EINVAL);
        config_done(&c);

        load_config(&c, "SUBMIT_TARGET=sentry\nSENTRY_DSN=https://pub:secret@sentry.example/api-proxy/42\n"
                        "SENTRY_MAX_ENVELOPE_SIZE=1M\n");
        ASSERT_OK(sentry_target_init(&t, &c));
        ASSERT_STREQ(t.envelope_url, "https://sentry.example/api-proxy/api/42/envelope/");
        ASSERT_STREQ(t.dsn_string, "https://pub@sentry.example/api-proxy/42"); /* never the secret */
        ASSERT_STREQ(t.dsn.public_key, "pub");
        ASSERT_EQ(t.max_envelope_size, 1024 * 1024);
        ASSERT_EQ(sentry_limits_until(&t.limits, SENTRY_CATEGORY_ERROR, 0), 0); /* no limit yet */
        sentry_target_done(&t);
        ASSERT_TRUE(!t.dsn.public_key && !t.envelope_url);
        config_done(&c);

        /* SENTRY_ENVELOPE_URL overrides the DSN's */
        load_config(&c, "SENTRY_DSN=https://k@h/1\nSENTRY_ENVELOPE_URL=https://relay.example/e\n");
        ASSERT_OK(sentry_target_init(&t, &c));
        ASSERT_STREQ(t.envelope_url, "https://relay.example/e");
        sentry_target_done(&t);
        config_done(&c);

        /* an invalid DSN that bypassed config_parse is still refused */
        ASSERT_OK(config_init_defaults(&c));
        free(c.sentry_dsn);
        c.sentry_dsn = strdup("https://k@h/notanumber");
        ASSERT_ERR(sentry_target_init(&t, &c), -EINVAL);
        config_done(&c);
}

/* A target posting to the stub. */
static void stub_target(const HttpStub *s, uint64_t max_size, KcrashConfig *c, SentryTarget *t) {
        char text[256];
        snprintf(text, sizeof text, "SENTRY_DSN=http://pubkey@127.0.0.1:%d/7\nSENTRY_MAX_ENVELOPE_SIZE=%llu\n", s->port,
                 (unsigned long long) max_size);
        load_config(c, text);
        ASSERT_OK(sentry_target_init(t, c));
}

static const UploadOptions UO = { .allow_http = true, .connect_timeout = 30, .stall_timeout = 60 };

/* A stand-in server that answers replies, and a target posting to it. */
typedef struct SentryStub {
        HttpStub http;
        KcrashConfig config;
        SentryTarget target;
} SentryStub;

static void sentry_stub_start(const HttpStubReply *replies, size_t n, uint64_t max_size, SentryStub *ret) {
        http_stub_start(replies, n, &ret->http);
        stub_target(&ret->http, max_size, &ret->config, &ret->target);
}

static void sentry_stub_stop(SentryStub *s) {
        http_stub_stop(&s->http);
        sentry_target_done(&s->target);
        config_done(&s->config);
}

/* NULL, and the test skipped, when libzip is not installed. */
static char *write_zip(const char *dir, const char *name, const ArchiveMember *m, size_t n) {
        char *path = path_join(dir, name);
        ASSERT_TRUE(path);
        int r = archive_write(path, m, n);
        if (r == -EOPNOTSUPP) {
                free(path);
                test_skip("libzip is not installed");
                return NULL;
        }
        ASSERT_OK(r);
        return path;
}

/* The items of the envelope of the stub's nth request, in order: "type [filename];" each. */
static char *item_list(const HttpStub *s, size_t nth) {
        size_t size;
        _cleanup_free_ char *log = http_stub_log(s, &size);
        char *req = log;
        for (size_t i = 0; i < nth; i++) {
                req = memmem(req, size - (size_t) (req - log), "\n=====\n", 7);
                ASSERT_TRUE(req);
                req += 7;
        }
        char *body = memmem(req, size - (size_t) (req - log), "\r\n\r\n", 4);
        ASSERT_TRUE(body);
        body += 4;
        const char *end = log + size;
        char *out = NULL;
        size_t out_size = 0;
        FILE *f = open_memstream(&out, &out_size);
        ASSERT_TRUE(f);
        /* skip the envelope header, then item header + payload each */
        const char *p = memchr(body, '\n', (size_t) (end - body)) + 1;
        while (p < end && !strneq(p, "\n=====\n", 7)) { /* the stub log's separator */
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                ASSERT_TRUE(nl);
                json_error_t e;
                json_t *h = json_loadb(p, (size_t) (nl - p), 0, &e);
                ASSERT_TRUE(h);
                size_t len = (size_t) json_integer_value(json_object_get(h, "length"));
                const char *fn = json_string_value(json_object_get(h, "filename"));
                fprintf(f, "%s%s%s;", json_string_value(json_object_get(h, "type")), fn ? " " : "", fn ? fn : "");
                json_decref(h);
                p = nl + 1 + len + 1;
        }
        ASSERT_TRUE(fclose(f) == 0);
        return out;
}

TEST(send_a_report) {
        _cleanup_free_ char *dir = test_tmpdir();
        static const char dmesg[] = "[ 1.0] BUG: x\n";
        static const char binary[] = "\x1f\x8b\0\0compressed";
        ArchiveMember m[] = {
                { "dmesg-pstore.txt", dmesg, sizeof dmesg - 1 },
                { "report.json", REPORT, sizeof REPORT - 1 },
                { "pstore/dmesg-ramoops-0.enc.z", binary, sizeof binary - 1 },
                { "vmcore-dmesg.txt", dmesg, sizeof dmesg - 1 },   /* a vmcore never travels */
                { "caf\xc3\xa9.txt", dmesg, sizeof dmesg - 1 },   /* nor a name that is not ASCII */
        };
        _cleanup_free_ char *zip = write_zip(dir, "holo-1.zip", m, ELEMENTSOF(m));
        if (!zip)
                return;
        HttpStubReply ok = { 200, NULL, "{\"id\":\"fedcba9876543210fedcba9876543210\"}" };
        SentryStub st;
        sentry_stub_start(&ok, 1, 20 << 20, &st);
        UploadResult r;
        ASSERT_OK(sentry_send_report(&UO, &st.target, zip, 1795335300, &r));
        ASSERT_EQ(r.outcome, UPLOAD_OK);
        ASSERT_STREQ(r.gid, "fedcba9876543210fedcba9876543210");
        ASSERT_STREQ(r.reason, "");
        _cleanup_free_ char *items = item_list(&st.http, 0);
        /* the event, report.json first, the text members, the ZIP itself */
        ASSERT_STREQ(items, "event;attachment report.json;attachment dmesg-pstore.txt;attachment holo-1.zip;");
        size_t size;
        _cleanup_free_ char *log = http_stub_log(&st.http, &size);
        ASSERT_TRUE(strneq(log, "POST /api/7/envelope/ HTTP/1.1\r\n", 32));
        ASSERT_TRUE(strstr(log, "sentry_key=pubkey"));
        sentry_stub_stop(&st);
}

TEST(envelope_cap_leaves_files_out) {
        _cleanup_free_ char *dir = test_tmpdir();
        size_t big = 200 * 1024;
        char *log = malloc(big);
        ASSERT_TRUE(log);
        memset(log, 'x', big);
        ArchiveMember m[] = {
                { "report.json", REPORT, sizeof REPORT - 1 },
                { "kmsg.txt", log, big },
        };
        _cleanup_free_ char *zip = write_zip(dir, "holo-2.zip", m, ELEMENTSOF(m));
        free(log);
        if (!zip)
                return;
        HttpStubReply ok = { 200, NULL, "{}" };
        /* 64 KiB are kept for the event: 128 KiB leave no room for the
         * 200 KiB log, but for the ZIP that holds it compressed */
        SentryStub st;
        sentry_stub_start(&ok, 1, 128 * 1024, &st);
        UploadResult r;
        ASSERT_OK(sentry_send_report(&UO, &st.target, zip, 1795335300, &r));
        ASSERT_EQ(r.outcome, UPLOAD_OK);
        /* no receipt: the event id we sent is the gid */
        ASSERT_EQ(strlen(r.gid), 32);
        ASSERT_STREQ(r.reason, "1 file(s) left out: over SENTRY_MAX_ENVELOPE_SIZE");
        _cleanup_free_ char *items = item_list(&st.http, 0);
        ASSERT_STREQ(items, "event;attachment report.json;attachment holo-2.zip;");
        sentry_stub_stop(&st);
}

TEST(rate_limits) {
        _cleanup_free_ char *dir = test_tmpdir();
        ArchiveMember m[] = { { "report.json", REPORT, sizeof REPORT - 1 } };
        _cleanup_free_ char *zip = write_zip(dir, "holo-3.zip", m, 1);
        if (!zip)
                return;
        int64_t now = 1795335300;
        HttpStubReply replies[] = {
                { 429, "X-Sentry-Rate-Limits: 120:error:key, 600:attachment:key\r\n", NULL },
                { 200, NULL, "{}" },
                { 429, "Retry-After: 45\r\n", NULL },
                { 429, NULL, NULL },
        };
        SentryStub st;
        sentry_stub_start(replies, ELEMENTSOF(replies), 20 << 20, &st);
        UploadResult r;
        /* per-category limits from the answer; the report waits for the event's */
        ASSERT_OK(sentry_send_report(&UO, &st.target, zip, now, &r));
        ASSERT_EQ(r.outcome, UPLOAD_TRANSIENT);
        ASSERT_EQ(r.retry_after, 120);
        ASSERT_EQ(sentry_limits_until(&st.target.limits, SENTRY_CATEGORY_ERROR, now), now + 120);
        ASSERT_EQ(sentry_limits_until(&st.target.limits, SENTRY_CATEGORY_ATTACHMENT, now), now + 600);

        /* later, attachments still limited: the event goes alone */
        ASSERT_OK(sentry_send_report(&UO, &st.target, zip, now + 200, &r));
        ASSERT_EQ(r.outcome, UPLOAD_OK);
        ASSERT_STREQ(r.reason, "sent without attachments: the server rate-limits the attachment category");
        _cleanup_free_ char *items = item_list(&st.http, 0), *items2 = item_list(&st.http, 1);
        ASSERT_STREQ(items, "event;attachment report.json;attachment holo-3.zip;");
        ASSERT_STREQ(items2, "event;");

        /* a 429 with Retry-After only: every category */
        ASSERT_OK(sentry_send_report(&UO, &st.target, zip, now + 1000, &r));
        ASSERT_EQ(r.outcome, UPLOAD_TRANSIENT);
        ASSERT_EQ(r.retry_after, 45);
        ASSERT_EQ(sentry_limits_until(&st.target.limits, SENTRY_CATEGORY_ATTACHMENT, now + 1000), now + 1045);
        /* a bare 429: a minute */
        ASSERT_OK(sentry_send_report(&UO, &st.target, zip, now + 2000, &r));
        ASSERT_EQ(r.retry_after, 60);
        ASSERT_EQ(sentry_limits_until(&st.target.limits, SENTRY_CATEGORY_ERROR, now + 2000), now + 2060);
        ASSERT_EQ(http_stub_count(&st.http), 4);
        sentry_stub_stop(&st);
}

TEST(unreadable_zips) {
        _cleanup_free_ char *dir = test_tmpdir();
        HttpStubReply ok = { 200, NULL, "{}" };
        SentryStub st;
        sentry_stub_start(&ok, 1, 20 << 20, &st);
        UploadResult r;
        _cleanup_free_ char *missing = path_join(dir, "missing.zip"), *junk = path_join(dir, "junk.zip"),
                            *link = path_join(dir, "link.zip"), *fifo = path_join(dir, "fifo.zip");
        ASSERT_TRUE(sentry_send_report(&UO, &st.target, missing, 0, &r) < 0);
        ASSERT_OK(write_file_atomic(junk, "not a zip", 9, 0644));
        int k = sentry_send_report(&UO, &st.target, junk, 0, &r);
        if (k == -EOPNOTSUPP) {
                test_skip("libzip is not installed");
                sentry_stub_stop(&st);
                return;
        }
        ASSERT_ERR(k, -EBADMSG);
        ASSERT_TRUE(symlink(junk, link) == 0);
        ASSERT_TRUE(sentry_send_report(&UO, &st.target, link, 0, &r) < 0);
        ASSERT_TRUE(mkfifo(fifo, 0600) == 0);
        ASSERT_TRUE(sentry_send_report(&UO, &st.target, fifo, 0, &r) < 0);

        /* a ZIP without report.json, or with one that is not a report */
        ArchiveMember none[] = { { "dmesg.txt", "x", 1 } };
        _cleanup_free_ char *z1 = write_zip(dir, "z1.zip", none, 1);
        ASSERT_ERR(sentry_send_report(&UO, &st.target, z1, 0, &r), -ENOENT);
        ArchiveMember bad[] = { { "report.json", "{\"id\":\"\",\"upload\":{}}", 22 } };
        _cleanup_free_ char *z2 = write_zip(dir, "z2.zip", bad, 1);
        ASSERT_ERR(sentry_send_report(&UO, &st.target, z2, 0, &r), -EBADMSG);
        ASSERT_EQ(http_stub_count(&st.http), 0);
        sentry_stub_stop(&st);
}

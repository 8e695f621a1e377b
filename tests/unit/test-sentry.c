/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <jansson.h>

#include "config.h"
#include "macro.h"
#include "sentry-dsn.h"
#include "sentry-envelope.h"
#include "tests.h"

/* ---- DSN (sentry-dsn.c) ---- */

static void assert_dsn(const char *dsn, const char *key, const char *host, const char *prefix, const char *project,
                       const char *url) {
        SentryDsn d;
        const char *why = NULL;
        ASSERT_OK(sentry_dsn_parse(dsn, &d, &why));
        ASSERT_STREQ(d.public_key, key);
        ASSERT_STREQ(d.host, host);
        ASSERT_STREQ(d.path_prefix, prefix);
        ASSERT_STREQ(d.project_id, project);
        ASSERT_STREQ(d.envelope_url, url);
        sentry_dsn_done(&d);
}

TEST(dsn_forms_sentry_prints) {
        assert_dsn("https://0123abcd@o12.ingest.sentry.io/4501", "0123abcd", "o12.ingest.sentry.io", "", "4501",
                   "https://o12.ingest.sentry.io/api/4501/envelope/");
        /* the old form with a secret key: the secret is never used */
        assert_dsn("https://pub:secret@sentry.example:9000/2", "pub", "sentry.example:9000", "", "2",
                   "https://sentry.example:9000/api/2/envelope/");
        SentryDsn d;
        const char *why;
        ASSERT_OK(sentry_dsn_parse("https://pub:secret@sentry.example:9000/p/2", &d, &why));
        ASSERT_STREQ(d.public_dsn, "https://pub@sentry.example:9000/p/2"); /* the header never holds the secret */
        sentry_dsn_done(&d);
        /* a self-hosted Sentry behind a reverse-proxy path */
        assert_dsn("http://k@127.0.0.1:8080/sentry/eu/17", "k", "127.0.0.1:8080", "/sentry/eu", "17",
                   "http://127.0.0.1:8080/sentry/eu/api/17/envelope/");
        assert_dsn("HTTPS://k@[::1]:443/5", "k", "[::1]:443", "", "5", "https://[::1]:443/api/5/envelope/");
}

TEST(dsn_invalid_with_a_reason) {
        static const char *const bad[] = {
                "",
                "sentry.example/1",                     /* no scheme */
                "ftp://k@h/1",                          /* scheme */
                "https://h/1",                          /* no key */
                "https://@h/1",                         /* empty key */
                "https://k@h",                          /* no project */
                "https://k@h/",                         /* empty project */
                "https://k@h/abc",                      /* project not a number */
                "https://k@h/1?x=y",                    /* query */
                "https://k@h/1#f",                      /* fragment */
                "https://k@h:0/1",                      /* port 0 */
                "https://k@h:70000/1",                  /* port too large */
                "https://k@h:80x/1",                    /* port not a number */
                "https://k@h/../1",                     /* dot-dot segment */
                "https://k@h//1",                       /* empty segment */
                "https://k@h/a%2f/1",                   /* escapes in the path */
                "https://k@ho st/1",                    /* space */
                "https://k@h/1\n",                      /* newline */
                "https://k@evil@h/1",                   /* '@' in the host part */
                "https://k@/1",                         /* empty host */
                "https://k@[::1/1",                     /* unclosed IPv6 */
                "https://k-y@h/1",                      /* key not alphanumeric */
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                SentryDsn d;
                const char *why = NULL;
                if (sentry_dsn_parse(bad[i], &d, &why) != -EINVAL || !why)
                        test_fail(__FILE__, __LINE__, "DSN \"%s\" was accepted", bad[i]);
        }
        char long_dsn[1200];
        memset(long_dsn, 'a', sizeof long_dsn - 1);
        long_dsn[sizeof long_dsn - 1] = 0;
        memcpy(long_dsn, "https://k@h/", 12);
        SentryDsn d;
        const char *why = NULL;
        ASSERT_ERR(sentry_dsn_parse(long_dsn, &d, &why), -EINVAL);
}

TEST(config_names_the_dsn_key) {
        KcrashConfig c;
        ConfigError e = {};
        ASSERT_OK(config_init_defaults(&c));
        const char text[] = "SUBMIT_TARGET=\"kcrash sentry\"\nSENTRY_DSN=https://k@h/notanumber\n";
        ASSERT_ERR(config_parse(&c, text, sizeof text - 1, NULL, NULL, &e), -EINVAL);
        ASSERT_EQ(e.line, 2);
        ASSERT_STREQ(e.key, "SENTRY_DSN");
        ASSERT_TRUE(strstr(e.message, "project id"));
        config_done(&c);

        ASSERT_OK(config_init_defaults(&c));
        const char text2[] = "SUBMIT_TARGET=kcrash,glitchtip\n";
        ASSERT_ERR(config_parse(&c, text2, sizeof text2 - 1, NULL, NULL, &e), -EINVAL);
        ASSERT_STREQ(e.key, "SUBMIT_TARGET");
        config_done(&c);

        ASSERT_OK(config_init_defaults(&c));
        const char text3[] = "SUBMIT_TARGET=sentry,kcrash\nSENTRY_DSN=https://k@h/3\nSUBMIT_START_URL=https://a/s\n";
        ASSERT_OK(config_parse(&c, text3, sizeof text3 - 1, NULL, NULL, &e));
        /* kcrash lacks its finish URL: only sentry is configured */
        ASSERT_EQ(config_submit_targets(&c), 1u << SUBMIT_TARGET_SENTRY);
        config_done(&c);

        ASSERT_OK(config_init_defaults(&c));
        ASSERT_EQ(config_submit_targets(&c), 0); /* the default: kcrash without URLs */
        config_done(&c);
}

/* ---- rate limits ---- */

TEST(rate_limits_per_category) {
        SentryLimits l = {};
        int64_t now = 1000;
        ASSERT_EQ(sentry_limits_apply_header(&l, "60:error;transaction:key, 2700:attachment:organization:quota", now),
                  2);
        ASSERT_EQ(sentry_limits_until(&l, SENTRY_CATEGORY_ERROR, now), 1060);
        ASSERT_EQ(sentry_limits_until(&l, SENTRY_CATEGORY_ATTACHMENT, now), 3700);
        ASSERT_EQ(sentry_limits_until(&l, SENTRY_CATEGORY_ERROR, 1060), 0); /* over at its end */

        /* no categories: every category; a fraction rounds up */
        l = (SentryLimits) {};
        ASSERT_EQ(sentry_limits_apply_header(&l, "  2.5::organization  ", now), 1);
        ASSERT_EQ(sentry_limits_until(&l, SENTRY_CATEGORY_ATTACHMENT, now), 1003);
        ASSERT_EQ(sentry_limits_until(&l, SENTRY_CATEGORY_ERROR, now), 1003);

        /* categories we do not send, and garbage, change nothing */
        l = (SentryLimits) {};
        ASSERT_EQ(sentry_limits_apply_header(&l, "60:transaction:key, x:error, -5:error, :error, 9", now), 1);
        ASSERT_EQ(sentry_limits_until(&l, SENTRY_CATEGORY_ERROR, now), 0);

        /* a server cannot park us for a year */
        ASSERT_EQ(sentry_limits_apply_header(&l, "99999999999999999999:error", now), 1);
        ASSERT_EQ(sentry_limits_until(&l, SENTRY_CATEGORY_ERROR, now), now + SENTRY_LIMIT_MAX_SECONDS);

        /* Retry-After without the header: all categories */
        l = (SentryLimits) {};
        sentry_limits_apply_all(&l, 30, now);
        ASSERT_EQ(sentry_limits_until(&l, SENTRY_CATEGORY_ATTACHMENT, now), 1030);
}

TEST(rate_limits_state_round_trip) {
        SentryLimits l = {}, back;
        _cleanup_free_ char *text = NULL;
        (void) sentry_limits_apply_header(&l, "60:error, 120:attachment", 1000);
        ASSERT_OK(sentry_limits_format(&l, &text));
        sentry_limits_parse_state(&back, text, 1000);
        ASSERT_EQ(back.until[SENTRY_CATEGORY_ERROR], 1060);
        ASSERT_EQ(back.until[SENTRY_CATEGORY_ATTACHMENT], 1120);
        /* expired entries and a clock far ahead are dropped */
        sentry_limits_parse_state(&back, "error 900\nattachment 99999999999\nall x\n", 1000);
        ASSERT_EQ(back.until[SENTRY_CATEGORY_ERROR], 0);
        ASSERT_EQ(back.until[SENTRY_CATEGORY_ATTACHMENT], 0);
}

/* ---- envelope ---- */

static const char report[] =
        "{\"schema\":1,\"id\":\"holo-0-0.202611221500\",\"source\":\"pstore\",\"crash_time\":1795335249,"
        "\"collected_time\":1795335280,"
        "\"kernel\":{\"release\":\"6.1.0-56-amd64\",\"version\":\"#1 SMP\"},"
        "\"build\":{\"id\":\"20261122.1\",\"pretty_name\":\"SteamOS\"},"
        "\"analysis\":{\"title\":\"BUG: kernel NULL pointer dereference in kcrash_test_bug\",\"type\":\"BUG\","
        "\"taint\":\"O\",\"module\":\"kcrash_test\",\"signature\":\"v1:0123456789abcdef\","
        "\"frames\":[\"kcrash_test_bug [kcrash_test]\",\"do_one_initcall\",\"do_init_module\"]},"
        "\"upload\":{\"steamid\":\"76561198000000001\",\"product\":\"holo\",\"build\":\"20261122.1\","
        "\"version\":\"6.1.0-56-amd64\",\"note\":\"Call Trace:\\n <TASK>\\n kcrash_test_bug+0x16/0x20 "
        "[kcrash_test]\\n do_one_initcall+0x41/0x200\\n\"}}";

static json_t *line_json(const char *p, size_t n) {
        json_error_t e;
        json_t *j = json_loadb(p, n, 0, &e);
        if (!j)
                test_fail(__FILE__, __LINE__, "not JSON: %.*s (%s)", (int) n, p, e.text);
        return j;
}

TEST(envelope_items_and_event) {
        static const char dmesg[] = "line one\nline two\n";
        SentryAttachment att[] = { { "dmesg-pstore.txt", dmesg, sizeof dmesg - 1, "text/plain" } };
        SentryEnvelopeInput in = { .report_json = report, .report_json_size = sizeof report - 1,
                                   .dsn = "https://k@h/1", .now = 1795335300, .attachments = att,
                                   .n_attachments = 1 };
        _cleanup_free_ char *env = NULL;
        size_t size;
        char id[SENTRY_EVENT_ID_SIZE], id2[SENTRY_EVENT_ID_SIZE];
        ASSERT_OK(sentry_envelope_build(&in, &env, &size, id));
        ASSERT_EQ(strlen(id), 32);
        ASSERT_OK(sentry_event_id("holo-0-0.202611221500", 1795335280, id2));
        ASSERT_STREQ(id, id2); /* every retry carries the same event id */
        ASSERT_OK(sentry_event_id("holo-0-0.202611221500", 1795335281, id2));
        ASSERT_TRUE(!streq(id, id2)); /* a later report under a reused id does not */

        /* header \n item header \n payload \n item header \n payload \n */
        const char *p = env, *end = env + size;
        const char *nl = memchr(p, '\n', (size_t) (end - p));
        json_t *h = line_json(p, (size_t) (nl - p));
        ASSERT_STREQ(json_string_value(json_object_get(h, "event_id")), id);
        ASSERT_STREQ(json_string_value(json_object_get(h, "dsn")), "https://k@h/1");
        ASSERT_STREQ(json_string_value(json_object_get(h, "sent_at")), "2026-11-22T08:15:00Z");
        json_decref(h);

        p = nl + 1;
        nl = memchr(p, '\n', (size_t) (end - p));
        json_t *ih = line_json(p, (size_t) (nl - p));
        ASSERT_STREQ(json_string_value(json_object_get(ih, "type")), "event");
        size_t len = (size_t) json_integer_value(json_object_get(ih, "length"));
        json_decref(ih);
        p = nl + 1;
        json_t *ev = line_json(p, len);
        ASSERT_EQ(p[len], '\n');
        ASSERT_STREQ(json_string_value(json_object_get(ev, "release")), "20261122.1");
        ASSERT_STREQ(json_string_value(json_object_get(ev, "level")), "fatal");
        ASSERT_STREQ(json_string_value(json_array_get(json_object_get(ev, "fingerprint"), 0)), "v1:0123456789abcdef");
        json_t *tags = json_object_get(ev, "tags");
        ASSERT_STREQ(json_string_value(json_object_get(tags, "kernel")), "6.1.0-56-amd64");
        ASSERT_STREQ(json_string_value(json_object_get(tags, "product")), "holo");
        ASSERT_STREQ(json_string_value(json_object_get(tags, "build")), "20261122.1");
        ASSERT_STREQ(json_string_value(json_object_get(tags, "crash_type")), "BUG");
        ASSERT_STREQ(json_string_value(json_object_get(tags, "taint")), "O");
        ASSERT_STREQ(json_string_value(json_object_get(tags, "fatal")), "yes");
        ASSERT_STREQ(json_string_value(json_object_get(tags, "report_id")), "holo-0-0.202611221500");
        ASSERT_STREQ(json_string_value(json_object_get(json_object_get(ev, "user"), "id")), "76561198000000001");
        json_t *ex = json_array_get(json_object_get(json_object_get(ev, "exception"), "values"), 0);
        ASSERT_STREQ(json_string_value(json_object_get(ex, "type")), "BUG");
        ASSERT_STREQ(json_string_value(json_object_get(ex, "value")),
                     "BUG: kernel NULL pointer dereference in kcrash_test_bug");
        json_t *frames = json_object_get(json_object_get(ex, "stacktrace"), "frames");
        ASSERT_EQ(json_array_size(frames), 3);
        /* oldest first: the crashing frame is last */
        ASSERT_STREQ(json_string_value(json_object_get(json_array_get(frames, 0), "function")), "do_init_module");
        ASSERT_STREQ(json_string_value(json_object_get(json_array_get(frames, 0), "package")), "vmlinux");
        json_t *top = json_array_get(frames, 2);
        ASSERT_STREQ(json_string_value(json_object_get(top, "function")), "kcrash_test_bug");
        ASSERT_STREQ(json_string_value(json_object_get(top, "package")), "kcrash_test");
        ASSERT_STREQ(json_string_value(json_object_get(json_object_get(top, "vars"), "offset")), "+0x16/0x20");
        ASSERT_STREQ(json_string_value(json_object_get(json_object_get(json_array_get(frames, 1), "vars"), "offset")),
                     "+0x41/0x200");
        ASSERT_TRUE(!json_object_get(json_array_get(frames, 0), "vars")); /* not in the note */
        json_decref(ev);

        p += len + 1;
        nl = memchr(p, '\n', (size_t) (end - p));
        json_t *ah = line_json(p, (size_t) (nl - p));
        ASSERT_STREQ(json_string_value(json_object_get(ah, "type")), "attachment");
        ASSERT_STREQ(json_string_value(json_object_get(ah, "filename")), "dmesg-pstore.txt");
        ASSERT_EQ(json_integer_value(json_object_get(ah, "length")), sizeof dmesg - 1);
        json_decref(ah);
        p = nl + 1;
        ASSERT_TRUE(memcmp(p, dmesg, sizeof dmesg - 1) == 0);
        ASSERT_EQ(p + sizeof dmesg - 1 + 1, end);
}

TEST(envelope_refuses_a_non_report) {
        _cleanup_free_ char *ev = NULL;
        char id[SENTRY_EVENT_ID_SIZE];
        ASSERT_ERR(sentry_event_from_report("{}", 2, &ev, id), -EBADMSG);
        ASSERT_ERR(sentry_event_from_report("[1]", 3, &ev, id), -EBADMSG);
        ASSERT_ERR(sentry_event_from_report("{\"id\":\"x\"", 9, &ev, id), -EBADMSG);
}

TEST(event_tags_are_bounded_and_one_line) {
        /* a hostile title/taint from a crash log cannot break Sentry's tag rules */
        char big[4096];
        int n = snprintf(big, sizeof big,
                         "{\"id\":\"r\",\"fatal\":false,\"analysis\":{\"type\":\"WARNING\",\"taint\":\"%0300d\\nX\"},"
                         "\"upload\":{}}", 7);
        _cleanup_free_ char *ev = NULL;
        char id[SENTRY_EVENT_ID_SIZE];
        ASSERT_OK(sentry_event_from_report(big, (size_t) n, &ev, id));
        json_t *j = line_json(ev, strlen(ev));
        const char *taint = json_string_value(json_object_get(json_object_get(j, "tags"), "taint"));
        ASSERT_EQ(strlen(taint), SENTRY_TAG_MAX);
        ASSERT_TRUE(!strchr(taint, '\n'));
        ASSERT_STREQ(json_string_value(json_object_get(j, "level")), "error");
        ASSERT_STREQ(json_string_value(json_object_get(json_object_get(j, "tags"), "fatal")), "no");
        ASSERT_TRUE(!json_object_get(j, "user")); /* no identity in the report: none sent */
        json_decref(j);

        /* a two-byte character across the limit is cut whole, not halved */
        char big2[1024];
        n = snprintf(big2, sizeof big2, "{\"id\":\"r\",\"analysis\":{\"taint\":\"%0199d\u00e9\"},\"upload\":{}}", 7);
        _cleanup_free_ char *ev2 = NULL;
        ASSERT_OK(sentry_event_from_report(big2, (size_t) n, &ev2, id));
        j = line_json(ev2, strlen(ev2));
        ASSERT_EQ(strlen(json_string_value(json_object_get(json_object_get(j, "tags"), "taint"))), 199);
        json_decref(j);
}

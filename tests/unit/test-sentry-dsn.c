/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "config.h"
#include "macro.h"
#include "sentry-dsn.h"
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

TEST(dsn_length_limit) {
        /* SENTRY_DSN_MAX characters are accepted, one more is not */
        char dsn[SENTRY_DSN_MAX + 2];
        const char prefix[] = "https://k@h/";
        memcpy(dsn, prefix, sizeof prefix - 1);
        size_t n = SENTRY_DSN_MAX - (sizeof prefix - 1) - 2;
        memset(dsn + sizeof prefix - 1, 'p', n);
        memcpy(dsn + sizeof prefix - 1 + n, "/7", 3);
        ASSERT_EQ(strlen(dsn), SENTRY_DSN_MAX);
        SentryDsn d;
        const char *why = NULL;
        ASSERT_OK(sentry_dsn_parse(dsn, &d, &why));
        ASSERT_STREQ(d.project_id, "7");
        ASSERT_EQ(strlen(d.path_prefix), n + 1);
        sentry_dsn_done(&d);
        memcpy(dsn + sizeof prefix - 1 + n, "/77", 4);
        ASSERT_ERR(sentry_dsn_parse(dsn, &d, &why), -EINVAL);
        ASSERT_TRUE(strstr(why, "1024"));
}

TEST(dsn_hosts_and_keys) {
        static const char *const bad[] = {
                "https://k@-h/1",              /* a host starting with '-' */
                "https://k@.h/1",
                "https://k@h:/1",              /* an empty port */
                "https://k@h:123456/1",
                "https://k@[]/1",              /* empty brackets */
                "https://k@[::1]x/1",          /* junk after the bracket */
                "https://k@[::1]:/1",
                "https://k@[fe80::1%eth0]/1",  /* a zone id */
                "https://k:s-x@h/1",           /* a secret that is not alphanumeric */
                "https://k@h/1/",              /* a trailing slash: empty project */
                "https://k@h/p.../1/2x",
                "https://k@h/./1",
                "https://k@h/a/../1",
                "https://k@h/\xc3\xa9/1",      /* non-ASCII */
                "https://k@h/1\x7f",
                "https://k@h/123456789012345678901", /* a project id of 21 digits */
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                SentryDsn d = {};
                const char *why = NULL;
                if (sentry_dsn_parse(bad[i], &d, &why) != -EINVAL || !why)
                        test_fail(__FILE__, __LINE__, "DSN \"%s\" was accepted", bad[i]);
                ASSERT_TRUE(!d.public_key && !d.envelope_url); /* nothing handed out */
        }
        /* a 128-character key is the longest */
        char dsn[256];
        snprintf(dsn, sizeof dsn, "https://%0128d@h/1", 0);
        SentryDsn d;
        const char *why;
        ASSERT_OK(sentry_dsn_parse(dsn, &d, &why));
        ASSERT_EQ(strlen(d.public_key), 128);
        ASSERT_STREQ(d.host, "h");
        sentry_dsn_done(&d);
        snprintf(dsn, sizeof dsn, "https://%0129d@h/1", 0);
        ASSERT_ERR(sentry_dsn_parse(dsn, &d, &why), -EINVAL);
        /* the highest port, a 20-digit project, dots and dashes in names */
        ASSERT_OK(sentry_dsn_parse("http://a:b@my-host.example_x:65535/a-b_c.d~e/12345678901234567890", &d, &why));
        ASSERT_TRUE(!d.https);
        ASSERT_STREQ(d.host, "my-host.example_x:65535");
        ASSERT_STREQ(d.path_prefix, "/a-b_c.d~e");
        ASSERT_STREQ(d.project_id, "12345678901234567890");
        ASSERT_STREQ(d.public_dsn, "http://a@my-host.example_x:65535/a-b_c.d~e/12345678901234567890");
        sentry_dsn_done(&d);
}

TEST(rate_limits_only_grow) {
        SentryLimits l = {};
        int64_t now = 5000;
        ASSERT_EQ(sentry_limits_apply_header(&l, "600:error", now), 1);
        /* a shorter limit later does not shorten the one in force */
        ASSERT_EQ(sentry_limits_apply_header(&l, "10:error", now), 1);
        ASSERT_EQ(sentry_limits_until(&l, SENTRY_CATEGORY_ERROR, now), 5600);
        /* "default" counts as the event's category; several in one entry */
        l = (SentryLimits) {};
        ASSERT_EQ(sentry_limits_apply_header(&l, "30:default;attachment", now), 1);
        ASSERT_EQ(sentry_limits_until(&l, SENTRY_CATEGORY_ERROR, now), 5030);
        ASSERT_EQ(sentry_limits_until(&l, SENTRY_CATEGORY_ATTACHMENT, now), 5030);
        /* a limit on all covers each category, and the longer one wins */
        l = (SentryLimits) {};
        sentry_limits_apply_all(&l, 100, now);
        ASSERT_EQ(sentry_limits_apply_header(&l, "200:attachment", now), 1);
        ASSERT_EQ(sentry_limits_until(&l, SENTRY_CATEGORY_ERROR, now), 5100);
        ASSERT_EQ(sentry_limits_until(&l, SENTRY_CATEGORY_ATTACHMENT, now), 5200);
        ASSERT_EQ(sentry_limits_until(&l, SENTRY_CATEGORY_ALL, now), 5100);
        /* Retry-After of 0 or less is no limit; a huge one is capped */
        l = (SentryLimits) {};
        sentry_limits_apply_all(&l, 0, now);
        sentry_limits_apply_all(&l, -3, now);
        ASSERT_EQ(sentry_limits_until(&l, SENTRY_CATEGORY_ERROR, now), 0);
        sentry_limits_apply_all(&l, INT64_MAX / 2, now);
        ASSERT_EQ(sentry_limits_until(&l, SENTRY_CATEGORY_ERROR, now), now + SENTRY_LIMIT_MAX_SECONDS);
        /* NULL and empty headers apply nothing */
        l = (SentryLimits) {};
        ASSERT_EQ(sentry_limits_apply_header(&l, NULL, now), 0);
        ASSERT_EQ(sentry_limits_apply_header(&l, "", now), 0);
        ASSERT_EQ(sentry_limits_apply_header(&l, ",,, ,", now), 0);
        ASSERT_EQ(sentry_limits_until(&l, SENTRY_CATEGORY_ERROR, now), 0);
}

TEST(rate_limits_state_format) {
        SentryLimits l = {};
        _cleanup_free_ char *empty = NULL;
        ASSERT_OK(sentry_limits_format(&l, &empty));
        ASSERT_STREQ(empty, "");
        sentry_limits_apply_all(&l, 5, 100);
        ASSERT_EQ(sentry_limits_apply_header(&l, "9:attachment", 100), 1);
        _cleanup_free_ char *text = NULL;
        ASSERT_OK(sentry_limits_format(&l, &text));
        ASSERT_STREQ(text, "all 105\nattachment 109\n");
        /* unknown names and junk lines are skipped; the state is replaced whole */
        SentryLimits back = { .until = { 1, 2, 3 } };
        sentry_limits_parse_state(&back, "bogus 150\nall 150\n\nerror\nattachment -1\n", 100);
        ASSERT_EQ(back.until[SENTRY_CATEGORY_ALL], 150);
        ASSERT_EQ(back.until[SENTRY_CATEGORY_ERROR], 0);
        ASSERT_EQ(back.until[SENTRY_CATEGORY_ATTACHMENT], 0);
        sentry_limits_parse_state(&back, "", 100);
        ASSERT_EQ(back.until[SENTRY_CATEGORY_ALL], 0);
        sentry_limits_parse_state(&back, NULL, 100);
        ASSERT_EQ(back.until[SENTRY_CATEGORY_ALL], 0);
}

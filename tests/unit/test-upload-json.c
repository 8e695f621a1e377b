/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "macro.h"
#include "upload-json.h"
#include "tests.h"

static const char *parse_error(const char *body, bool allow_http) {
        StartAnswer a = {};
        const char *why = NULL;
        int r = start_answer_parse(body, strlen(body), allow_http, &a, &why);
        /* -EPROTO: not JSON at all (a captive portal's page), retried */
        ASSERT_TRUE(r == -EBADMSG || r == -EPROTO);
        ASSERT_TRUE(!a.url && !a.gid && a.n_pairs == 0);
        ASSERT_TRUE(why);
        return why;
}

#define PAIRS "\"headers\":{\"pairs\":[{\"name\":\"Content-Type\",\"value\":\"application/zip\"}]}"

/* PROTOCOL.md's Start answer, with the rules kcrash adds. */
TEST(start_answer_accepts_the_protocol) {
        const char *body = "{\"response\":{\"url\":\"https://up.example/put?sig=a%2Bb\",\"gid\":\"7c9a-11\"," PAIRS "}}";
        StartAnswer a = {};
        const char *why = NULL;
        ASSERT_OK(start_answer_parse(body, strlen(body), false, &a, &why));
        ASSERT_STREQ(a.url, "https://up.example/put?sig=a%2Bb");
        ASSERT_STREQ(a.gid, "7c9a-11");
        ASSERT_EQ(a.n_pairs, 1);
        ASSERT_STREQ(a.pairs[0].name, "Content-Type");
        ASSERT_STREQ(a.pairs[0].value, "application/zip");
        start_answer_done(&a);

        /* Steam's numeric gids are larger than any double holds exactly:
         * the digits are kept as they were sent. */
        body = "{\"response\":{\"url\":\"http://127.0.0.1:8080/u\",\"gid\": 18446744073709551615," PAIRS "}}";
        ASSERT_OK(start_answer_parse(body, strlen(body), true, &a, &why));
        ASSERT_STREQ(a.gid, "18446744073709551615");
        start_answer_done(&a);
}

TEST(start_answer_refuses_what_could_steer_the_upload) {
        ASSERT_STREQ(parse_error("{\"response\":{\"url\":\"http://x/\",\"gid\":\"1\"," PAIRS "}}", false),
                     "url scheme is not https");
        ASSERT_STREQ(parse_error("{\"response\":{\"url\":\"file:///etc/shadow\",\"gid\":\"1\"," PAIRS "}}", true),
                     "url scheme is not https or http");
        ASSERT_STREQ(parse_error("{\"response\":{\"url\":\"https://x/a b\",\"gid\":\"1\"," PAIRS "}}", false),
                     "url has spaces or non-ASCII bytes");
        ASSERT_STREQ(parse_error("{\"response\":{\"url\":\"https://x/\",\"gid\":\"../1\"," PAIRS "}}", false),
                     "gid has characters outside [A-Za-z0-9-_.:]");
        ASSERT_STREQ(parse_error("{\"response\":{\"url\":\"https://x/\",\"gid\":-1," PAIRS "}}", false),
                     "gid is missing or not a string or a non-negative integer");
        ASSERT_STREQ(parse_error("{\"response\":{\"url\":\"https://x/\",\"gid\":\"1\",\"headers\":{\"pairs\":"
                                 "[{\"name\":\"Host\",\"value\":\"evil\"}]}}}", false),
                     "a header pair names a hop or framing header");
        ASSERT_STREQ(parse_error("{\"response\":{\"url\":\"https://x/\",\"gid\":\"1\",\"headers\":{\"pairs\":"
                                 "[{\"name\":\"X-A\",\"value\":\"a\\r\\nX-B: b\"}]}}}", false),
                     "a header value is too long or has CR, LF or NUL");
        ASSERT_STREQ(parse_error("{\"response\":{\"url\":\"https://x/\",\"gid\":\"1\",\"headers\":{\"pairs\":"
                                 "[{\"name\":\"X A\",\"value\":\"a\"}]}}}", false),
                     "a header name is not an HTTP token");
        ASSERT_STREQ(parse_error("{\"response\":{\"url\":\"https://x/\",\"gid\":\"1\",\"headers\":{\"pairs\":[]}}}", false),
                     "headers.pairs must hold 1 to 20 pairs");
        ASSERT_STREQ(parse_error("{\"response\":{\"url\":\"https://x/\",\"url\":\"https://y/\",\"gid\":\"1\"," PAIRS "}}",
                                 false),
                     "answer is not valid JSON");
        ASSERT_STREQ(parse_error("[]", false), "answer has no \"response\" object");
        StartAnswer a = {};
        const char *why = NULL;
        static const char portal[] = "<html><body>Log in to the hotel Wi-Fi</body></html>";
        ASSERT_ERR(start_answer_parse(portal, strlen(portal), false, &a, &why), -EPROTO);
        ASSERT_ERR(start_answer_parse("[]", 2, false, &a, &why), -EBADMSG);
}

/* The Start form fields in the order kcrash-submit sends them; numbers as
 * their digits, anything missing as an empty value. */
TEST(upload_fields_in_protocol_order) {
        const char *j = "{\"analysis\":{\"title\":\"BUG: x\",\"signature\":\"v1:1\"},\"upload\":{\"note\":\"n\","
                        "\"steamid\":\"76561198000000001\",\"crash_time\":1795996800,\"product\":\"holo\",\"build\":7}}";
        UploadFields f = {};
        ASSERT_OK(upload_fields_from_report(j, strlen(j), &f));
        static const char *const names[] = { "steamid", "product", "build", "version", "platform", "crash_time",
                                             "stack", "note" };
        static const char *const values[] = { "76561198000000001", "holo", "7", "", "", "1795996800", "", "n" };
        ASSERT_EQ(f.n, ELEMENTSOF(names));
        for (size_t i = 0; i < f.n; i++) {
                ASSERT_STREQ(f.names[i], names[i]);
                ASSERT_STREQ(f.values[i], values[i]);
        }
        ASSERT_STREQ(f.title, "BUG: x");
        ASSERT_STREQ(f.signature, "v1:1");
        upload_fields_done(&f);
        ASSERT_ERR(upload_fields_from_report("{}", 2, &f), -EBADMSG);
        ASSERT_ERR(upload_fields_from_report("{\"upload\":[]}", 13, &f), -EBADMSG);
}

TEST(sentry_answer) {
        char id[START_MAX_GID + 1];
        const char *ok = "{\"id\":\"0123456789abcdef0123456789abcdef\"}";
        ASSERT_OK(sentry_answer_parse(ok, strlen(ok), id));
        ASSERT_STREQ(id, "0123456789abcdef0123456789abcdef");
        const char *bad[] = { "{\"id\":\"g123\"}", "{\"id\":\"\"}", "{\"id\":7}", "{}", "x" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ASSERT_ERR(sentry_answer_parse(bad[i], strlen(bad[i]), id), -EBADMSG);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <jansson.h>

#include "macro.h"
#include "sentry-envelope.h"
#include "tests.h"

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
        /* a report without an id, or with an empty one, is not a report
         * (not a lack of memory: the uploader parks it instead of retrying) */
        static const char *const not_reports[] = {
                "{\"upload\":{}}",
                "{\"id\":\"\",\"upload\":{}}",
                "{\"id\":7,\"upload\":{}}",
                "{\"id\":\"r\",\"upload\":[]}",
                "{\"id\":\"r\"}",
                "",
        };
        for (size_t i = 0; i < ELEMENTSOF(not_reports); i++)
                ASSERT_ERR(sentry_event_from_report(not_reports[i], strlen(not_reports[i]), &ev, id), -EBADMSG);
        ASSERT_TRUE(!ev);
        SentryEnvelopeInput in = { .report_json = not_reports[1], .report_json_size = strlen(not_reports[1]) };
        _cleanup_free_ char *env = NULL;
        size_t size;
        ASSERT_ERR(sentry_envelope_build(&in, &env, &size, id), -EBADMSG);
        ASSERT_TRUE(!env);
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

TEST(event_id_is_hex_and_stable) {
        char a[SENTRY_EVENT_ID_SIZE], b[SENTRY_EVENT_ID_SIZE];
        ASSERT_OK(sentry_event_id("r", 0, a));
        ASSERT_EQ(strlen(a), 32);
        ASSERT_EQ(strspn(a, "0123456789abcdef"), 32);
        ASSERT_OK(sentry_event_id("r", 0, b));
        ASSERT_STREQ(a, b);
        ASSERT_OK(sentry_event_id("s", 0, b));
        ASSERT_TRUE(!streq(a, b));
        /* the id and the time do not run together ("r1", 0 vs "r", 10) */
        ASSERT_OK(sentry_event_id("r1", 0, a));
        ASSERT_OK(sentry_event_id("r", 10, b));
        ASSERT_TRUE(!streq(a, b));
}

TEST(envelope_without_attachments_and_defaults) {
        static const char minimal[] = "{\"id\":\"r-1\",\"upload\":{}}";
        SentryEnvelopeInput in = { .report_json = minimal, .report_json_size = sizeof minimal - 1, .now = 0 };
        _cleanup_free_ char *env = NULL;
        size_t size;
        char id[SENTRY_EVENT_ID_SIZE];
        ASSERT_OK(sentry_envelope_build(&in, &env, &size, id));
        /* exactly three lines: header, item header, event */
        size_t lines = 0;
        for (size_t i = 0; i < size; i++)
                lines += env[i] == '\n';
        ASSERT_EQ(lines, 3);
        ASSERT_EQ(env[size - 1], '\n');
        const char *nl = memchr(env, '\n', size);
        json_t *h = line_json(env, (size_t) (nl - env));
        ASSERT_STREQ(json_string_value(json_object_get(h, "dsn")), "");
        ASSERT_STREQ(json_string_value(json_object_get(h, "sent_at")), "1970-01-01T00:00:00Z");
        json_decref(h);
        const char *ev_start = strchr(nl + 1, '\n') + 1;
        json_t *ev = line_json(ev_start, (size_t) (env + size - 1 - ev_start));
        json_t *ex = json_array_get(json_object_get(json_object_get(ev, "exception"), "values"), 0);
        ASSERT_STREQ(json_string_value(json_object_get(ex, "type")), "kernel crash");
        ASSERT_STREQ(json_string_value(json_object_get(ex, "value")), "kernel crash without a title");
        ASSERT_STREQ(json_string_value(json_array_get(json_object_get(ev, "fingerprint"), 0)), "{{ default }}");
        ASSERT_STREQ(json_string_value(json_object_get(ev, "level")), "fatal"); /* no "fatal": a crash */
        ASSERT_TRUE(!json_object_get(ev, "release"));
        ASSERT_TRUE(!json_object_get(ev, "timestamp"));
        ASSERT_EQ(json_array_size(json_object_get(json_object_get(ex, "stacktrace"), "frames")), 0);
        json_decref(ev);
}

TEST(envelope_attachment_bytes_are_kept) {
        /* binary data with newlines and NULs: the length header frames it */
        static const char bin[] = "a\nb\0c\n\n";
        SentryAttachment att[] = {
                { "bin", bin, sizeof bin - 1, NULL },
                { "empty.txt", "", 0, "text/plain" },
        };
        static const char minimal[] = "{\"id\":\"r-1\",\"upload\":{}}";
        SentryEnvelopeInput in = { .report_json = minimal, .report_json_size = sizeof minimal - 1, .dsn = "d",
                                   .attachments = att, .n_attachments = 2 };
        _cleanup_free_ char *env = NULL;
        size_t size;
        char id[SENTRY_EVENT_ID_SIZE];
        ASSERT_OK(sentry_envelope_build(&in, &env, &size, id));
        const char *p = env, *end = env + size;
        for (int skip = 0; skip < 3; skip++)
                p = (const char *) memchr(p, '\n', (size_t) (end - p)) + 1;
        const char *nl = memchr(p, '\n', (size_t) (end - p));
        json_t *ah = line_json(p, (size_t) (nl - p));
        ASSERT_STREQ(json_string_value(json_object_get(ah, "content_type")), "application/octet-stream");
        ASSERT_EQ(json_integer_value(json_object_get(ah, "length")), sizeof bin - 1);
        json_decref(ah);
        p = nl + 1;
        ASSERT_EQ(memcmp(p, bin, sizeof bin - 1), 0);
        p += sizeof bin - 1;
        ASSERT_EQ(*p, '\n');
        p++;
        nl = memchr(p, '\n', (size_t) (end - p));
        json_t *eh = line_json(p, (size_t) (nl - p));
        ASSERT_STREQ(json_string_value(json_object_get(eh, "filename")), "empty.txt");
        ASSERT_EQ(json_integer_value(json_object_get(eh, "length")), 0);
        json_decref(eh);
        ASSERT_EQ(nl + 2, end); /* the empty payload and its newline */
}

TEST(hostile_frames) {
        /* frames of odd shapes: not strings, empty, over 512 bytes, brackets */
        char big[2048];
        char longf[600];
        memset(longf, 'f', sizeof longf - 1);
        longf[sizeof longf - 1] = 0;
        int n = snprintf(big, sizeof big,
                         "{\"id\":\"r\",\"upload\":{\"note\":\"x+0x1/0x2 f1+0x10/0x20 f1+0xZZ\"},"
                         "\"analysis\":{\"frames\":[1,\"\",\"%s\",\" []\",\"f1\",\"g [m\",\"h [mod]\"]}}", longf);
        _cleanup_free_ char *ev = NULL;
        char id[SENTRY_EVENT_ID_SIZE];
        ASSERT_OK(sentry_event_from_report(big, (size_t) n, &ev, id));
        json_t *j = line_json(ev, strlen(ev));
        json_t *frames = json_object_get(
                json_object_get(json_array_get(json_object_get(json_object_get(j, "exception"), "values"), 0),
                                "stacktrace"),
                "frames");
        /* oldest first; 1, "" and the long one are dropped */
        ASSERT_EQ(json_array_size(frames), 4);
        ASSERT_STREQ(json_string_value(json_object_get(json_array_get(frames, 0), "function")), "h");
        ASSERT_STREQ(json_string_value(json_object_get(json_array_get(frames, 0), "package")), "mod");
        ASSERT_STREQ(json_string_value(json_object_get(json_array_get(frames, 1), "function")), "g [m");
        ASSERT_STREQ(json_string_value(json_object_get(json_array_get(frames, 1), "package")), "vmlinux");
        json_t *f1 = json_array_get(frames, 2);
        ASSERT_STREQ(json_string_value(json_object_get(f1, "function")), "f1");
        /* the offset printed after it in the note */
        ASSERT_STREQ(json_string_value(json_object_get(json_object_get(f1, "vars"), "offset")), "+0x10/0x20");
        ASSERT_STREQ(json_string_value(json_object_get(json_array_get(frames, 3), "function")), "");
        json_decref(j);
}

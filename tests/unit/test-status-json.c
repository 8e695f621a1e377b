/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <jansson.h>

#include "macro.h"
#include "status-json.h"
#include "tests.h"

static json_t *to_json(const KcrashStatus *s) {
        _cleanup_free_ char *text = NULL;
        ASSERT_OK(status_to_json(s, &text));
        for (const char *p = text; *p; p++)
                ASSERT_TRUE((unsigned char) *p < 0x80); /* ASCII only */
        json_error_t e;
        json_t *j = json_loads(text, 0, &e);
        if (!j)
                test_fail(__FILE__, __LINE__, "not JSON: %s (%s)", text, e.text);
        return j;
}

static json_t *get(json_t *o, const char *a, const char *b) {
        return json_object_get(json_object_get(o, a), b);
}

TEST(nothing_known) {
        KcrashStatus s = {};
        json_t *j = to_json(&s);
        ASSERT_TRUE(json_is_false(json_object_get(j, "armed")));
        ASSERT_TRUE(json_is_null(get(j, "pstore", "backend")));
        ASSERT_TRUE(json_is_false(get(j, "pstore", "mounted")));
        ASSERT_EQ(json_integer_value(get(j, "pstore", "records_waiting")), 0);
        ASSERT_TRUE(json_is_false(get(j, "kdump", "loaded")));
        ASSERT_TRUE(json_is_null(get(j, "watchdog", "state")));
        ASSERT_TRUE(json_is_false(get(j, "watchdog", "hang_panics")));
        ASSERT_TRUE(json_is_null(get(j, "watchdog", "pretimeout_governor")));
        ASSERT_TRUE(!json_object_get(j, "offload"));        /* left out without a folder */
        ASSERT_TRUE(json_is_null(json_object_get(j, "load")));
        ASSERT_TRUE(json_is_null(json_object_get(j, "test_crash")));
        ASSERT_EQ(json_integer_value(get(j, "reports", "queued")), 0);
        /* the documented top-level keys, no more */
        static const char *const keys[] = { "armed", "pstore", "kdump", "watchdog", "load", "reports", "test_crash" };
        ASSERT_EQ(json_object_size(j), ELEMENTSOF(keys));
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                ASSERT_TRUE(json_object_get(j, keys[i]));
        json_decref(j);
}

TEST(everything_set) {
        KcrashStatus s = {
                .pstore_backend = (char *) "ramoops",
                .pstore_mounted = true,
                .ramoops_loaded = true,
                .ramoops_mem_size = 1 << 20,
                .ramoops_record_size = 65536,
                .ramoops_max_reason = 2,
                .crash_size = 268435456,
                .crash_loaded = true,
                .post_notifiers = true,
                .watchdog_state = (char *) "active",
                .watchdog_identity = (char *) "Software Watchdog",
                .watchdog_governor = (char *) "panic",
                .watchdog_timeout = 60,
                .watchdog_pretimeout = 10,
                .armed_json = (char *) "{\"pstore\":\"ramoops\",\"time\":5}",
                .offload_folder = "/home/.steamos/offload/var/kdump",
                .offload_how = "mounted",
                .pstore_records = 2,
                .kdump_captures = 1,
                .queued = 3,
                .sent = 4,
                .has_test = true,
                .test = { .id = (char *) "t-1", .time = 1795335249 },
                .test_state = "collected",
                .test_report = (char *) "holo-0-0.1",
        };
        json_t *j = to_json(&s);
        ASSERT_TRUE(json_is_true(json_object_get(j, "armed")));
        ASSERT_STREQ(json_string_value(get(j, "pstore", "backend")), "ramoops");
        ASSERT_EQ(json_integer_value(get(j, "pstore", "ramoops_mem_size")), 1 << 20);
        ASSERT_EQ(json_integer_value(get(j, "pstore", "ramoops_record_size")), 65536);
        ASSERT_EQ(json_integer_value(get(j, "pstore", "ramoops_max_reason")), 2);
        ASSERT_EQ(json_integer_value(get(j, "pstore", "records_waiting")), 2);
        ASSERT_EQ(json_integer_value(get(j, "kdump", "crash_memory")), 268435456);
        ASSERT_TRUE(json_is_true(get(j, "kdump", "post_notifiers")));
        ASSERT_EQ(json_integer_value(get(j, "kdump", "captures_waiting")), 1);
        ASSERT_TRUE(json_is_true(get(j, "watchdog", "hang_panics")));
        ASSERT_STREQ(json_string_value(get(j, "watchdog", "identity")), "Software Watchdog");
        ASSERT_EQ(json_integer_value(get(j, "watchdog", "timeout")), 60);
        ASSERT_EQ(json_integer_value(get(j, "watchdog", "pretimeout")), 10);
        ASSERT_STREQ(json_string_value(get(j, "offload", "folder")), "/home/.steamos/offload/var/kdump");
        ASSERT_STREQ(json_string_value(get(j, "offload", "how")), "mounted");
        /* armed.json is embedded as an object */
        ASSERT_STREQ(json_string_value(get(j, "load", "pstore")), "ramoops");
        ASSERT_EQ(json_integer_value(get(j, "load", "time")), 5);
        ASSERT_EQ(json_integer_value(get(j, "reports", "queued")), 3);
        ASSERT_EQ(json_integer_value(get(j, "reports", "sent")), 4);
        ASSERT_STREQ(json_string_value(get(j, "test_crash", "id")), "t-1");
        ASSERT_EQ(json_integer_value(get(j, "test_crash", "time")), 1795335249);
        ASSERT_STREQ(json_string_value(get(j, "test_crash", "state")), "collected");
        ASSERT_STREQ(json_string_value(get(j, "test_crash", "report")), "holo-0-0.1");
        json_decref(j);

        /* only kdump loaded is armed too; an offload folder without a how */
        KcrashStatus k = { .crash_loaded = true, .offload_folder = "/x" };
        j = to_json(&k);
        ASSERT_TRUE(json_is_true(json_object_get(j, "armed")));
        ASSERT_TRUE(json_is_null(get(j, "offload", "how")));
        json_decref(j);
}

TEST(unreadable_armed_json) {
        /* what `kcrashctl load` left is not trusted to be JSON */
        static const char *const bad[] = { "", "{", "not json", "{\"a\":1} trailing", "\"a bare string\"" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                KcrashStatus s = { .armed_json = (char *) bad[i] };
                json_t *j = to_json(&s);
                ASSERT_STREQ(json_string_value(json_object_get(j, "load")), "armed.json is unreadable");
                json_decref(j);
        }
}

TEST(strings_are_escaped) {
        KcrashStatus s = {
                .watchdog_identity = (char *) "evil\"},\"armed\":true,\"x\":{\"\n",
                .pstore_backend = (char *) "caf\xc3\xa9",
        };
        json_t *j = to_json(&s);
        ASSERT_TRUE(json_is_false(json_object_get(j, "armed")));
        ASSERT_STREQ(json_string_value(get(j, "watchdog", "identity")), "evil\"},\"armed\":true,\"x\":{\"\n");
        ASSERT_STREQ(json_string_value(get(j, "pstore", "backend")), "caf\xc3\xa9");
        json_decref(j);
}

TEST(invalid_utf8_becomes_replacement_characters) {
        /* sysfs strings and folder names are bytes: what is not UTF-8 is
         * shown as U+FFFD, one per byte, and the rest of the status stays */
        KcrashStatus s = {
                .watchdog_identity = (char *) "Soft\xffWatchdog",
                .pstore_backend = (char *) "ram\xc3",
                .watchdog_governor = (char *) "\xed\xa0\x80", /* a surrogate: not UTF-8 */
                .offload_folder = "/run/media/\xe9t\xe9",
                .has_test = true,
                .test = { .id = (char *) "t\x80" },
                .test_state = "armed\xfe",
        };
        json_t *j = to_json(&s);
        ASSERT_STREQ(json_string_value(get(j, "watchdog", "identity")), "Soft\xef\xbf\xbdWatchdog");
        ASSERT_STREQ(json_string_value(get(j, "pstore", "backend")), "ram\xef\xbf\xbd");
        ASSERT_STREQ(json_string_value(get(j, "watchdog", "pretimeout_governor")),
                     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
        ASSERT_STREQ(json_string_value(get(j, "offload", "folder")), "/run/media/\xef\xbf\xbdt\xef\xbf\xbd");
        ASSERT_STREQ(json_string_value(get(j, "test_crash", "id")), "t\xef\xbf\xbd");
        ASSERT_STREQ(json_string_value(get(j, "test_crash", "state")), "armed\xef\xbf\xbd");
        json_decref(j);
}

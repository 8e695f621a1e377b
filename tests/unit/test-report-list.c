/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "fileio.h"
#include "report-list.h"
#include "tests.h"

static void write_report(const char *dir, const char *name, const char *report_json) {
        _cleanup_free_ char *p = path_join(dir, name);
        ArchiveMember m[] = { { "report.json", report_json, report_json ? strlen(report_json) : 0 },
                              { "dmesg.txt", "x", 1 } };
        ASSERT_OK(archive_write(p, report_json ? m : m + 1, report_json ? 2 : 1));
}

/* The reports of a folder, oldest crash first; what is not a report ZIP is
 * not listed, and a ZIP without a readable report.json is listed with an
 * error instead of being hidden. */
TEST(list_dir_orders_and_tells_what_is_wrong) {
        _cleanup_free_ char *dir = test_tmpdir();
        write_report(dir, "b.zip", "{\"schema\":1,\"id\":\"b\",\"crash_time\":200,\"source\":\"kdump\","
                                   "\"analysis\":{\"title\":\"kernel BUG at <x>\",\"type\":\"BUG\",\"signature\":\"v1:1\"}}");
        write_report(dir, "a.zip", "{\"schema\":1,\"id\":\"a\",\"crash_time\":100,\"source\":\"pstore\",\"analysis\":null,"
                                   "\"test_crash_id\":\"t1\",\"vmcore\":{\"path\":\"/v/a\",\"size\":1}}");
        write_report(dir, "nojson.zip", NULL);
        _cleanup_free_ char *garbage = path_join(dir, "garbage.zip"), *other = path_join(dir, "notes.txt"),
                            *hidden = path_join(dir, ".tmp.zip"), *subdir = path_join(dir, "d.zip");
        ASSERT_OK(write_file_atomic(garbage, "PK no zip", 9, 0600));
        ASSERT_OK(write_file_atomic(other, "x", 1, 0600));
        ASSERT_OK(write_file_atomic(hidden, "x", 1, 0600));
        ASSERT_OK(mkdir_p(subdir, 0700));

        ReportListEntry *list = NULL;
        size_t n = 0;
        ASSERT_OK(report_list_dir(dir, "pending", &list, &n));
        ASSERT_EQ(n, 4);
        /* garbage and nojson have the mtime (now) as their time: after a and b */
        ASSERT_STREQ(list[0].id, "a");
        ASSERT_STREQ(list[0].state, "pending");
        ASSERT_STREQ(list[0].test_crash_id, "t1");
        ASSERT_STREQ(list[0].vmcore, "/v/a");
        ASSERT_TRUE(!list[0].title && !list[0].last_error);
        ASSERT_STREQ(list[1].id, "b");
        ASSERT_STREQ(list[1].title, "kernel BUG at <x>");
        ASSERT_EQ(list[1].crash_time, 200);
        for (size_t i = 2; i < 4; i++) {
                ASSERT_TRUE(streq(list[i].id, "garbage") || streq(list[i].id, "nojson"));
                ASSERT_STREQ(list[i].last_error, "report.json is missing or unreadable");
        }

        /* a second folder appends, sorted on its own */
        _cleanup_free_ char *sent = path_join(dir, "d.zip");
        write_report(sent, "c.zip", "{\"schema\":1,\"id\":\"c\",\"crash_time\":50}");
        ASSERT_OK(report_list_dir(sent, "sent", &list, &n));
        ASSERT_EQ(n, 5);
        ASSERT_STREQ(list[4].id, "c");
        ASSERT_STREQ(list[4].state, "sent");

        _cleanup_free_ char *text = NULL;
        ASSERT_OK(report_list_to_json(list, n, &text));
        json_t *a = json_loads(text, 0, NULL);
        ASSERT_TRUE(json_is_array(a));
        ASSERT_EQ(json_array_size(a), 5);
        json_t *b = json_array_get(a, 1);
        ASSERT_STREQ(json_string_value(json_object_get(b, "title")), "kernel BUG at <x>");
        ASSERT_TRUE(json_is_null(json_object_get(b, "last_error")));
        ASSERT_TRUE(json_is_object(json_object_get(b, "targets")));
        json_decref(a);
        report_list_free(list, n);
        free(list);
}

TEST(missing_dir_is_empty) {
        ReportListEntry *list = NULL;
        size_t n = 0;
        ASSERT_OK(report_list_dir("/nonexistent/kcrash", "pending", &list, &n));
        ASSERT_EQ(n, 0);
        _cleanup_free_ char *text = NULL;
        ASSERT_OK(report_list_to_json(list, n, &text));
        ASSERT_STREQ(text, "[]");
}

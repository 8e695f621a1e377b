/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <jansson.h>

#include "analyze.h"
#include "fileio.h"
#include "hash.h"
#include "report-json.h"
#include "tests.h"

static const char OOPS[] =
        "BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
        "RIP: 0010:kcrash_test_null+0x5/0x10 [crashme]\n"
        "Call Trace:\n"
        " <TASK>\n"
        " crashme_write+0x20/0x40 [crashme]\n"
        " vfs_write+0xc8/0x3c0\n"
        " </TASK>\n";

static BuildIds ids(void) {
        BuildIds b = {};
        ASSERT_TRUE((b.vmlinux = strdup("0123456789abcdef0123456789abcdef01234567")));
        b.vmlinux_source = "running";
        ASSERT_OK(build_ids_set_module(&b, "crashme", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "installed"));
        return b;
}

/* What the collector writes, read back by the three readers: the summary
 * `kcrashctl list` shows, the symbolizer's input and a JSON parser. */
TEST(render_then_read_back) {
        CrashAnalysis *a = NULL;
        ASSERT_OK(crash_analyze(OOPS, sizeof OOPS - 1, &a));
        BuildIds b = ids();
        char *records[] = { "dmesg-ramoops-0" }, *notes[] = { "pstore record was compressed" };
        ReportMeta m = {
                .id = "202611301200-kcrash_test_null", .source = "pstore", .records = records, .n_records = 1,
                .crash_time = 1795996800, .collected_time = 1795996860, .kernel_release = "6.1.0-56-amd64",
                .product = "holo", .serial = "SERIAL\"<1>", .steamid = "76561198000000001", .notes = notes,
                .n_notes = 1, .test_crash_id = "0f0f", .stack = "kcrash_test_null [crashme]", .note = OOPS,
                .build_ids = &b, .vmcore_path = "/home/.steamos/offload/var/kdump/vmcores/x", .vmcore_size = 42,
        };
        ArchiveMember members[] = { { "dmesg-pstore.txt", OOPS, sizeof OOPS - 1 } };
        _cleanup_free_ char *text = NULL;
        ASSERT_OK(report_json_render(&m, a, members, 1, &text));

        /* ASCII only: what a device put in a field is escaped, not raw */
        for (const char *p = text; *p; p++)
                ASSERT_TRUE((unsigned char) *p < 0x80);
        json_error_t err;
        json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &err);
        ASSERT_TRUE(o);
        ASSERT_EQ(json_integer_value(json_object_get(o, "schema")), REPORT_SCHEMA_VERSION);
        ASSERT_STREQ(json_string_value(json_object_get(o, "crash_time_iso")), "2026-11-30T00:00:00Z");
        ASSERT_TRUE(json_is_true(json_object_get(o, "fatal")));
        ASSERT_STREQ(json_string_value(json_object_get(o, "kind")), "crash");
        ASSERT_STREQ(json_string_value(json_object_get(json_object_get(o, "identity"), "serial")), "SERIAL\"<1>");
        json_t *upload = json_object_get(o, "upload");
        ASSERT_STREQ(json_string_value(json_object_get(upload, "version")), "6.1.0-56-amd64");
        ASSERT_STREQ(json_string_value(json_object_get(upload, "build")), ""); /* unknown: empty, never null */
        json_t *member = json_array_get(json_object_get(o, "members"), 0);
        char h[SHA256_HEX_SIZE];
        ASSERT_OK(sha256_hex(OOPS, sizeof OOPS - 1, h));
        ASSERT_STREQ(json_string_value(json_object_get(member, "sha256")), h);
        ASSERT_EQ(json_integer_value(json_object_get(json_object_get(o, "vmcore"), "size")), 42);
        json_decref(o);

        ReportSummary s = {};
        ASSERT_OK(report_json_summary(text, strlen(text), &s));
        ASSERT_STREQ(s.id, m.id);
        ASSERT_STREQ(s.source, "pstore");
        ASSERT_STREQ(s.title, a->title);
        ASSERT_STREQ(s.signature, a->signature);
        ASSERT_EQ(s.crash_time, m.crash_time);
        ASSERT_STREQ(s.vmcore, m.vmcore_path);
        ASSERT_STREQ(s.test_crash_id, "0f0f");
        report_summary_done(&s);

        _cleanup_free_ char *crash_text = NULL;
        BuildIds back = {};
        ASSERT_OK(report_json_symbolize_input(text, strlen(text), &crash_text, &back));
        ASSERT_STREQ(crash_text, OOPS);
        ASSERT_STREQ(back.vmlinux, b.vmlinux);
        ASSERT_EQ(back.n_modules, 1);
        ASSERT_STREQ(back.modules[0].name, "crashme");
        ASSERT_STREQ(back.modules[0].source, "report");
        build_ids_done(&back);
        build_ids_done(&b);
        crash_analysis_free(a);
}

/* A kernel event the system survived and a report without an analysis. */
TEST(nonfatal_event_without_analysis) {
        ReportMeta m = { .id = "e1", .source = "kmsg", .kind = "kernel-event", .nonfatal = true,
                         .event_class = "WARNING", .event_boot_id = "b00t", .suppressed = 7 };
        _cleanup_free_ char *text = NULL;
        ASSERT_OK(report_json_render(&m, NULL, NULL, 0, &text));
        json_t *o = json_loads(text, 0, NULL);
        ASSERT_TRUE(o);
        ASSERT_TRUE(json_is_false(json_object_get(o, "fatal")));
        ASSERT_TRUE(json_is_null(json_object_get(o, "analysis")));
        ASSERT_TRUE(json_is_null(json_object_get(o, "vmcore")));
        json_t *ev = json_object_get(o, "event");
        ASSERT_STREQ(json_string_value(json_object_get(ev, "class")), "WARNING");
        ASSERT_EQ(json_integer_value(json_object_get(ev, "suppressed")), 7);
        json_decref(o);
}

/* What a ZIP from anywhere may hold instead of a report.json. */
TEST(readers_refuse_what_is_not_a_report) {
        const char *bad[] = { "", "[]", "{\"schema\":0}", "{\"schema\":1,\"schema\":1}", "{\"id\":", "null" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                ReportSummary s = {};
                ASSERT_ERR(report_json_summary(bad[i], strlen(bad[i]), &s), -EBADMSG);
                ASSERT_TRUE(!s.id);
        }
        char *text = NULL;
        BuildIds b = {};
        ASSERT_ERR(report_json_symbolize_input("[1]", 3, &text, &b), -EBADMSG);
        ASSERT_TRUE(!text);
        /* hostile build ids are dropped, the rest is kept */
        const char *j = "{\"upload\":{\"note\":\"x\"},\"build_ids\":{\"vmlinux\":{\"id\":\"../../etc\"},"
                        "\"modules\":[{\"name\":\"\",\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"},{\"name\":\"x\",\"id\":\"zz\"},"
                        "{\"name\":\"ok\",\"id\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"},{\"name\":7}]}}";
        ASSERT_OK(report_json_symbolize_input(j, strlen(j), &text, &b));
        ASSERT_STREQ(text, "x");
        ASSERT_TRUE(!b.vmlinux);
        ASSERT_EQ(b.n_modules, 1);
        ASSERT_STREQ(b.modules[0].name, "ok");
        free(text);
        build_ids_done(&b);
}

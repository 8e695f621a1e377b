/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "analyze.h"
#include "fileio.h"
#include "stack-frame.h"
#include "tests.h"

TEST(module_tag) {
        char m[STACK_MODULE_NAME_MAX], id[BUILD_ID_HEX_MAX];
        ASSERT_EQ(stack_module_tag_parse("[crashme]", m, id), 9);
        ASSERT_STREQ(m, "crashme");
        ASSERT_STREQ(id, "");
        ASSERT_EQ(stack_module_tag_parse("[nf-nat 0123ABcd] x", m, id), 17);
        ASSERT_STREQ(m, "nf-nat");
        ASSERT_STREQ(id, "0123abcd");
        ASSERT_EQ(stack_module_tag_parse("[crashme 012]", m, id), 0);      /* odd length */
        ASSERT_EQ(stack_module_tag_parse("[crashme zz]", m, id), 0);
        ASSERT_EQ(stack_module_tag_parse("[crashme", m, id), 0);
        ASSERT_EQ(stack_module_tag_parse("[]", m, id), 0);
        ASSERT_EQ(stack_module_tag_parse("[<ffffffff81000000>]", m, id), 0);
}

TEST(real_module_oops) {
        _cleanup_free_ char *path = path_join(test_fixtures_dir(), "kdump-module-oops/kdump/dmesg.txt"), *data = NULL;
        size_t size, n;
        StackFrame *f;
        ASSERT_OK(read_full_file(path, 1 << 22, &data, &size));
        ASSERT_OK(stack_frames_parse(data, size, 1000, &f, &n));
        /* the first frames of the oops at line 370 of that log */
        size_t i = 0;
        while (i < n && f[i].line < 370)
                i++;
        ASSERT_TRUE(i + 3 < n);
        ASSERT_STREQ(f[i].function, "crashme_do_null");
        ASSERT_EQ(f[i].offset, 0x18);
        ASSERT_EQ(f[i].size, 0x23);
        ASSERT_STREQ(f[i].module, "crashme");
        ASSERT_TRUE(f[i].exact);
        ASSERT_STREQ(f[i + 1].function, "crashme_trigger.cold");
        ASSERT_TRUE(!f[i + 1].exact);
        ASSERT_STREQ(f[i + 2].function, "crashme_write");
        ASSERT_STREQ(f[i + 3].function, "proc_reg_write");
        ASSERT_TRUE(f[i + 3].module == NULL);
        /* "? do_set_pte+0x189/0x1d0" */
        ASSERT_STREQ(f[i + 5].function, "do_set_pte");
        ASSERT_TRUE(f[i + 5].unreliable);
        /* "RIP: 0033:0x47b7a0" (user space) is not a frame */
        for (size_t j = 0; j < n; j++)
                ASSERT_TRUE(!streq(f[j].function, "0x47b7a0"));
        stack_frames_free(f, n);
}

TEST(build_id_frames) {
        const char *log = "<4>[   12.5] RIP: 0010:kcrash_test_null+0x5/0x15 [crashme 90edbc2d157841969a6ffb907cfc04af9d8e05a6]\n"
                          "[   12.6]  [<ffffffffc0a1b2c3>] crashme_write+0x7e/0xb5 [crashme 90edbc2d157841969a6ffb907cfc04af9d8e05a6]\n"
                          "  vfs_write+0xc7\n"
                          "  not a frame+0x1/0x2\n"
                          "  foo+0x1/0x2junk\n";
        StackFrame *f;
        size_t n;
        ASSERT_OK(stack_frames_parse(log, strlen(log), 1000, &f, &n));
        ASSERT_EQ(n, 3);
        ASSERT_STREQ(f[0].build_id, "90edbc2d157841969a6ffb907cfc04af9d8e05a6");
        ASSERT_EQ(f[0].offset, 5);
        ASSERT_TRUE(f[0].exact);
        ASSERT_STREQ(f[1].function, "crashme_write");
        ASSERT_STREQ(f[1].build_id, f[0].build_id);
        ASSERT_STREQ(f[2].function, "vfs_write");
        ASSERT_EQ(f[2].size, 0);
        ASSERT_EQ(f[2].line, 3);
        stack_frames_free(f, n);
        /* max_frames bounds the result; a cut line never reads past size */
        ASSERT_OK(stack_frames_parse(log, strlen(log), 1, &f, &n));
        ASSERT_EQ(n, 1);
        stack_frames_free(f, n);
        for (size_t cut = 0; cut < strlen(log); cut++) {
                char *copy = malloc(cut ? cut : 1);
                memcpy(copy, log, cut);
                ASSERT_OK(stack_frames_parse(copy, cut, 1000, &f, &n));
                stack_frames_free(f, n);
                free(copy);
        }
}

TEST(analyzer_keeps_module_of_build_id_frames) {
        /* A CONFIG_STACKTRACE_BUILD_ID kernel prints "[module buildid]": the
         * analyzer's culprit module and frames are the same as without it. */
        const char *with = "BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
                           "Oops: 0002 [#1] PREEMPT SMP NOPTI\n"
                           "RIP: 0010:kcrash_test_null+0x5/0x15 [crashme 90edbc2d157841969a6ffb907cfc04af9d8e05a6]\n"
                           "Call Trace:\n <TASK>\n"
                           " crashme_write+0x7e/0xb5 [crashme 90edbc2d157841969a6ffb907cfc04af9d8e05a6]\n"
                           " proc_reg_write+0x56/0xa0\n vfs_write+0xc7/0x3f0\n </TASK>\n";
        const char *without = "BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
                              "Oops: 0002 [#1] PREEMPT SMP NOPTI\n"
                              "RIP: 0010:kcrash_test_null+0x5/0x15 [crashme]\n"
                              "Call Trace:\n <TASK>\n"
                              " crashme_write+0x7e/0xb5 [crashme]\n"
                              " proc_reg_write+0x56/0xa0\n vfs_write+0xc7/0x3f0\n </TASK>\n";
        CrashAnalysis *a, *b;
        ASSERT_OK(crash_analyze(with, strlen(with), &a));
        ASSERT_OK(crash_analyze(without, strlen(without), &b));
        ASSERT_STREQ(a->module, "crashme");
        ASSERT_STREQ(a->frame, "kcrash_test_null");
        ASSERT_STREQ(a->title, b->title);
        ASSERT_STREQ(a->signature, b->signature);
        ASSERT_EQ(a->n_frames, b->n_frames);
        for (size_t i = 0; i < a->n_frames; i++)
                ASSERT_STREQ(a->frames[i], b->frames[i]);
        crash_analysis_free(a);
        crash_analysis_free(b);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "symbolize-stack.h"
#include "tests.h"

#define VMLINUX_ID "aaaa0000aaaa0000aaaa0000aaaa0000aaaa0000"
#define MOD_ID "bbbb1111bbbb1111bbbb1111bbbb1111bbbb1111"
#define PRINTED_ID "cccc2222cccc2222cccc2222cccc2222cccc2222"

static const char LOG[] =
        "[   12.000000] BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
        "[   12.000001] RIP: 0010:crashme_write+0x16/0x40 [crashme]\n"
        "[   12.000002] Call Trace:\n"
        "[   12.000003]  <TASK>\n"
        "[   12.000004]  ? show_regs+0x5/0x10\n"
        "[   12.000005]  vfs_write+0xc7/0x3f0\n"
        "[   12.000006]  other_fn+0x1/0x2 [othermod " PRINTED_ID "]\n"
        "[   12.000007]  unknown_fn+0x3/0x9 [nomod]\n"
        "[   12.000008]  </TASK>\n";

/* The build ids the symbolizer was asked for, in order. */
typedef struct Fetched {
        char ids[16][BUILD_ID_HEX_MAX];
        size_t n;
        int answer;
} Fetched;

static int fetch(void *userdata, const char *build_id, char **ret_path, char **ret_error) {
        Fetched *f = userdata;
        (void) ret_path;
        if (f->n < ELEMENTSOF(f->ids))
                snprintf(f->ids[f->n++], BUILD_ID_HEX_MAX, "%s", build_id);
        if (f->answer != -ENOENT && ret_error)
                *ret_error = strdup("connection refused by the test");
        return f->answer;
}

/* A symbolizer over an empty debug folder that asks f; NULL, and the test
 * skipped, when libdw cannot be loaded. */
static Symbolizer *new_symbolizer(Fetched *f) {
        _cleanup_free_ char *dir = test_tmpdir();
        char *dirs[] = { dir };
        Symbolizer *s = NULL;
        int r = symbolizer_new(dirs, 1, fetch, f, &s);
        if (r == -EOPNOTSUPP) {
                test_skip("libdw cannot be loaded");
                return NULL;
        }
        ASSERT_OK(r);
        return s;
}

/* The frames of LOG, with ids (NULL: none); returns how many. */
static size_t symbolize_log(Symbolizer *s, const BuildIds *ids, SymbolizedFrame **ret) {
        size_t n = 0;
        ASSERT_OK(symbolize_stack(s, LOG, sizeof LOG - 1, ids, ret, &n));
        return n;
}

static bool fetched(const Fetched *f, const char *id) {
        for (size_t i = 0; i < f->n; i++)
                if (streq(f->ids[i], id))
                        return true;
        return false;
}

static BuildIds sample_ids(void) {
        BuildIds ids = {};
        ids.vmlinux = strdup(VMLINUX_ID);
        ASSERT_TRUE(ids.vmlinux);
        ASSERT_OK(build_ids_set_module(&ids, "crashme", MOD_ID, "boot-record"));
        /* the log's own id wins over this one */
        ASSERT_OK(build_ids_set_module(&ids, "othermod", MOD_ID, "installed"));
        return ids;
}

TEST(each_frame_takes_its_build_id) {
        Fetched f = { .answer = -ENOENT };
        Symbolizer *s = new_symbolizer(&f);
        if (!s)
                return;
        BuildIds ids = sample_ids();
        SymbolizedFrame *frames = NULL;
        size_t n = symbolize_log(s, &ids, &frames);
        ASSERT_EQ(n, 5);

        ASSERT_STREQ(frames[0].frame.function, "crashme_write");
        ASSERT_TRUE(frames[0].frame.exact);
        ASSERT_STREQ(frames[0].build_id, MOD_ID);
        ASSERT_TRUE(strstr(frames[0].result.error, "no debug info for build id " MOD_ID));

        ASSERT_STREQ(frames[1].frame.function, "show_regs");
        ASSERT_TRUE(frames[1].frame.unreliable);
        ASSERT_STREQ(frames[1].build_id, VMLINUX_ID); /* the kernel's own */

        ASSERT_STREQ(frames[2].frame.function, "vfs_write");
        ASSERT_STREQ(frames[2].build_id, VMLINUX_ID);

        ASSERT_STREQ(frames[3].frame.function, "other_fn");
        ASSERT_STREQ(frames[3].build_id, PRINTED_ID); /* what the log printed */
        ASSERT_TRUE(strstr(frames[3].result.error, PRINTED_ID));

        /* a module no id is known for: said so, nothing fetched for it */
        ASSERT_STREQ(frames[4].build_id, "");
        ASSERT_STREQ(frames[4].result.error, "no build id for nomod in the report");
        ASSERT_EQ(frames[4].result.n_locations, 0);

        ASSERT_TRUE(fetched(&f, MOD_ID));
        ASSERT_TRUE(fetched(&f, VMLINUX_ID));
        ASSERT_TRUE(fetched(&f, PRINTED_ID));
        ASSERT_EQ(f.n, 3); /* one fetch per build id: failures are cached */

        _cleanup_free_ char *text = NULL;
        ASSERT_OK(symbolized_frames_text(frames, n, &text));
        ASSERT_TRUE(strneq(text, "#0 crashme_write+0x16/0x40 [crashme] (instruction pointer)\n"
                                 "     no debug info for build id " MOD_ID "\n"
                                 "#1 ? show_regs+0x5/0x10\n", 150));
        ASSERT_TRUE(strstr(text, "\n#4 unknown_fn+0x3/0x9 [nomod]\n     no build id for nomod in the report\n"));
        symbolized_frames_free(frames, n);
        build_ids_done(&ids);
        symbolizer_free(s);
}

TEST(without_ids) {
        Fetched f = { .answer = -ENOENT };
        Symbolizer *s = new_symbolizer(&f);
        if (!s)
                return;
        SymbolizedFrame *frames = NULL;
        size_t n = symbolize_log(s, NULL, &frames);
        ASSERT_EQ(n, 5);
        ASSERT_STREQ(frames[0].result.error, "no build id for crashme in the report");
        ASSERT_STREQ(frames[2].result.error, "no build id for the kernel (vmlinux) in the report");
        ASSERT_STREQ(frames[3].build_id, PRINTED_ID); /* still the printed one */
        ASSERT_EQ(f.n, 1);
        symbolized_frames_free(frames, n);

        /* a fetch that fails is the frame's answer, not the call's */
        Fetched g = { .answer = -ECONNREFUSED };
        Symbolizer *s2 = new_symbolizer(&g);
        n = symbolize_log(s2, NULL, &frames);
        ASSERT_TRUE(strstr(frames[3].result.error, "debuginfod: connection refused by the test"));
        symbolized_frames_free(frames, n);
        symbolizer_free(s2);
        symbolizer_free(s);
}

TEST(no_frames_and_frame_cap) {
        Fetched f = { .answer = -ENOENT };
        Symbolizer *s = new_symbolizer(&f);
        if (!s)
                return;
        SymbolizedFrame *frames = NULL;
        size_t n = 99;
        ASSERT_OK(symbolize_stack(s, "", 0, NULL, &frames, &n));
        ASSERT_EQ(n, 0);
        _cleanup_free_ char *text = NULL;
        ASSERT_OK(symbolized_frames_text(frames, n, &text));
        ASSERT_STREQ(text, "");
        symbolized_frames_free(frames, n);

        /* a log of 1000 frames: SYMBOLIZE_MAX_FRAMES of them */
        size_t cap = 1000 * 40;
        char *big = malloc(cap), *p = big;
        ASSERT_TRUE(big);
        for (int i = 0; i < 1000; i++)
                p += sprintf(p, " f%d+0x1/0x2\n", i);
        ASSERT_OK(symbolize_stack(s, big, (size_t) (p - big), NULL, &frames, &n));
        ASSERT_EQ(n, SYMBOLIZE_MAX_FRAMES);
        ASSERT_STREQ(frames[SYMBOLIZE_MAX_FRAMES - 1].frame.function, "f255");
        symbolized_frames_free(frames, n);
        free(big);
        symbolized_frames_free(NULL, 0);
        symbolizer_free(s);
}

TEST(text_with_locations) {
        /* the rendering alone, from frames built by hand */
        SymbolLocation locs[] = {
                { (char *) "leaf", (char *) "/src/a.c", 1, 5 },
                { (char *) "outer", (char *) "/src/a.c", 3, 0 },
        };
        SymbolizedFrame f[2] = {
                { .frame = { .function = (char *) "outer", .offset = 0x10, .size = 0, .module = NULL },
                  .result = { .locations = locs, .n_locations = 2 } },
                { .frame = { .function = (char *) "g", .offset = 0, .size = 0x8, .module = (char *) "m" },
                  .result = { .error = NULL } },
        };
        _cleanup_free_ char *text = NULL;
        ASSERT_OK(symbolized_frames_text(f, 2, &text));
        ASSERT_STREQ(text, "#0 outer+0x10\n"
                           "     inlined leaf at /src/a.c:1:5\n"
                           "     outer at /src/a.c:3\n"
                           "#1 g+0x0/0x8 [m]\n"
                           "     \n");
}

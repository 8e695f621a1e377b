/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "symbolize.h"
#include "symbolized.h"
#include "tests.h"

static const char LOG[] =
        "[   12.000000] BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
        "[   12.000001] RIP: 0010:crashme_write+0x16/0x40 [crashme]\n"
        "[   12.000002] Call Trace:\n"
        "[   12.000003]  <TASK>\n"
        "[   12.000005]  vfs_write+0xc7/0x3f0\n"
        "[   12.000008]  </TASK>\n";

static char *kept_path(const char *data, const char *gid, const char *ext) {
        char *p = NULL;
        ASSERT_TRUE(asprintf(&p, "%s/symbolized/%s.%s", data, gid, ext) > 0);
        return p;
}

TEST(refuses_names_outside_its_folder) {
        _cleanup_free_ char *data = test_tmpdir();
        SymbolizeConfig cfg = {};
        char *json = (char *) "untouched", *text = (char *) "untouched";
        ASSERT_ERR(symbolized_get(&cfg, data, "", "/nonexistent.zip", LOG, &json, &text), -EINVAL);
        ASSERT_ERR(symbolized_get(&cfg, data, "../x", "/nonexistent.zip", LOG, &json, &text), -EINVAL);
        ASSERT_ERR(symbolized_get(&cfg, data, ".hidden", "/nonexistent.zip", LOG, &json, &text), -EINVAL);
        ASSERT_ERR(symbolized_get(&cfg, data, NULL, "/nonexistent.zip", LOG, &json, &text), -EINVAL);
        /* outputs set only on success */
        ASSERT_STREQ(json, "untouched");
        ASSERT_STREQ(text, "untouched");
}

TEST(kept_results_without_debug_info) {
        _cleanup_free_ char *data = test_tmpdir(), *dir = NULL;
        _cleanup_free_ char *json_path = kept_path(data, "g1", "json"), *text_path = kept_path(data, "g1", "txt");
        SymbolizeConfig off = {};
        char *json = NULL, *text = NULL;
        /* nothing kept, nothing to compute with */
        ASSERT_ERR(symbolized_get(&off, data, "g1", "/nonexistent.zip", LOG, &json, &text), -ENOENT);
        ASSERT_TRUE(!json && !text);

        ASSERT_TRUE(asprintf(&dir, "%s/symbolized", data) > 0);
        ASSERT_OK(mkdir_p(dir, 0750));
        ASSERT_OK(write_file_atomic(json_path, "{\"frames\":[]}", 13, 0640));
        /* the .json alone is a result cut by a crash: not served */
        ASSERT_ERR(symbolized_get(&off, data, "g1", "/nonexistent.zip", LOG, &json, &text), -ENOENT);
        ASSERT_OK(write_file_atomic(text_path, "#0 kept\n", 8, 0640));
        ASSERT_OK(symbolized_get(&off, data, "g1", "/nonexistent.zip", LOG, &json, &text));
        ASSERT_STREQ(json, "{\"frames\":[]}");
        ASSERT_STREQ(text, "#0 kept\n");
        free(json);
        free(text);
        /* either output may be left out */
        ASSERT_OK(symbolized_get(&off, data, "g1", "/nonexistent.zip", LOG, NULL, &text));
        ASSERT_STREQ(text, "#0 kept\n");
        free(text);
        ASSERT_OK(symbolized_get(&off, data, "g1", "/nonexistent.zip", LOG, NULL, NULL));
}

TEST(computed_from_the_fallback_text) {
        _cleanup_free_ char *data = test_tmpdir(), *debug = test_tmpdir();
        char *dirs[] = { debug };
        Symbolizer *probe = NULL;
        int r = symbolizer_new(dirs, 1, NULL, NULL, &probe);
        if (r == -EOPNOTSUPP) {
                test_skip("libdw cannot be loaded");
                return;
        }
        ASSERT_OK(r);
        symbolizer_free(probe);

        SymbolizeConfig cfg = { .dirs = dirs, .n_dirs = 1 };
        _cleanup_free_ char *json = NULL, *text = NULL;
        /* no ZIP: the fallback text's frames, none resolved (an empty debug folder) */
        ASSERT_OK(symbolized_get(&cfg, data, "g2", "/nonexistent.zip", LOG, &json, &text));
        ASSERT_TRUE(strstr(json, "\"vfs_write\""));
        ASSERT_TRUE(strstr(text, "crashme_write+0x16/0x40"));
        ASSERT_TRUE(strstr(text, "vfs_write+0xc7/0x3f0"));
        ASSERT_TRUE(strstr(text, "no build id for the kernel (vmlinux) in the report"));
        /* nothing resolved: not kept, made again at the next view */
        _cleanup_free_ char *json_path = kept_path(data, "g2", "json");
        ASSERT_TRUE(access(json_path, F_OK) < 0 && errno == ENOENT);
        SymbolizeConfig off = {};
        ASSERT_ERR(symbolized_get(&off, data, "g2", "/nonexistent.zip", LOG, NULL, NULL), -ENOENT);

        /* no fallback text either: a result without frames */
        _cleanup_free_ char *json2 = NULL, *text2 = NULL;
        ASSERT_OK(symbolized_get(&cfg, data, "g3", "/nonexistent.zip", NULL, &json2, &text2));
        ASSERT_STREQ(text2, "");
}

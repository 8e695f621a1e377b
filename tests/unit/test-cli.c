/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake-root.h"
#include "cli.h"
#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "tests.h"

TEST(exit_status) {
        ASSERT_EQ(exit_status(0), EXIT_OK);
        ASSERT_EQ(exit_status(-ENOENT), EXIT_FAILURE_);
        ASSERT_EQ(exit_status(-1), EXIT_FAILURE_);
        ASSERT_EQ(exit_status(EXIT_TEMPFAIL), 75);
        ASSERT_EQ(exit_status(EXIT_CONFIG), 78);
        ASSERT_EQ(exit_status(EXIT_NOT_ARMED), 3);
}

TEST(paths_under_root) {
        Context ctx = {};
        _cleanup_free_ char *a = context_path(&ctx, "/etc/default/kdump");
        ASSERT_STREQ(a, "/etc/default/kdump");
        ctx.root = "/tmp/fake";
        _cleanup_free_ char *b = context_path(&ctx, "/etc/default/kdump");
        ASSERT_STREQ(b, "/tmp/fake/etc/default/kdump");
        context_done(&ctx);
}

TEST(config_once) {
        log_set_max_level(LOG_EMERG); /* the failures below log; keep the output short */
        _cleanup_free_ char *root = test_tmpdir();
        Context ctx = { .root = root };
        /* no configuration file: the defaults */
        ASSERT_EQ(context_load_config(&ctx), 0);
        ASSERT_TRUE(ctx.config_loaded);
        ASSERT_STREQ(ctx.config.kdump_folder, "/home/.steamos/offload/var/kdump");
        /* loaded once: a file written later is not read */
        fake_root_put(root, "/etc/default/kdump", "KDUMP_FOLDER=/elsewhere\n");
        ASSERT_EQ(context_load_config(&ctx), 0);
        ASSERT_STREQ(ctx.config.kdump_folder, "/home/.steamos/offload/var/kdump");
        context_done(&ctx);
        ASSERT_TRUE(!ctx.config_loaded);
        /* now it is */
        ASSERT_EQ(context_load_config(&ctx), 0);
        ASSERT_STREQ(ctx.config.kdump_folder, "/elsewhere");
        context_done(&ctx);

        /* --config wins over the root's file */
        fake_root_put(root, "/other.conf", "KDUMP_FOLDER=/from-option\n");
        _cleanup_free_ char *other = path_in_root(root, "/other.conf");
        ctx.config_path = other;
        ASSERT_EQ(context_load_config(&ctx), 0);
        ASSERT_STREQ(ctx.config.kdump_folder, "/from-option");
        context_done(&ctx);
        log_set_max_level(LOG_INFO);
}

TEST(config_errors_are_exit_config) {
        log_set_max_level(LOG_EMERG);
        _cleanup_free_ char *root = test_tmpdir();
        Context ctx = { .root = root };
        fake_root_put(root, "/etc/default/kdump", "KDUMP_FOLDER=/x\nMAX_SIZE=lots\nNOT A LINE\n");
        ASSERT_EQ(context_load_config(&ctx), EXIT_CONFIG);
        ASSERT_TRUE(!ctx.config_loaded);
        context_done(&ctx); /* nothing to free, and harmless */

        /* a directory, a FIFO (not waited on), a symlink loop where the file is */
        _cleanup_free_ char *p = path_in_root(root, "/etc/default/kdump");
        ASSERT_TRUE(unlink(p) == 0);
        ASSERT_TRUE(mkdir(p, 0755) == 0);
        ASSERT_EQ(context_load_config(&ctx), EXIT_CONFIG);
        ASSERT_TRUE(rmdir(p) == 0);
        ASSERT_TRUE(mkfifo(p, 0644) == 0);
        ASSERT_EQ(context_load_config(&ctx), EXIT_CONFIG);
        ASSERT_TRUE(unlink(p) == 0);
        ASSERT_TRUE(symlink(p, p) == 0);
        ASSERT_EQ(context_load_config(&ctx), EXIT_CONFIG);
        ASSERT_TRUE(unlink(p) == 0);
        ASSERT_TRUE(!ctx.config_loaded);
        log_set_max_level(LOG_INFO);
}

TEST(offload_folder_resolved_once) {
        log_set_max_level(LOG_EMERG);
        _cleanup_free_ char *root = test_tmpdir();
        fake_root_put(root, "/etc/default/kdump", "KDUMP_FOLDER=/var/crash/kdump\nMOUNT_DEVNODE=\n");
        Context ctx = { .root = root };
        const char *dir = NULL;
        ASSERT_EQ(context_offload(&ctx, &dir), 0);
        _cleanup_free_ char *want = path_in_root(root, "/var/crash/kdump");
        ASSERT_STREQ(dir, want);
        ASSERT_TRUE(ctx.config_loaded && ctx.offload_resolved);
        const char *again = NULL;
        ASSERT_EQ(context_offload(&ctx, &again), 0);
        ASSERT_TRUE(again == dir); /* the same, not resolved anew */
        context_done(&ctx);
        ASSERT_TRUE(!ctx.offload_dir && !ctx.offload_resolved);

        /* a configuration error is the caller's exit status */
        fake_root_put(root, "/etc/default/kdump", "KDUMP_FOLDER=\"unterminated\n");
        dir = NULL;
        ASSERT_EQ(context_offload(&ctx, &dir), EXIT_CONFIG);
        ASSERT_TRUE(!dir);
        context_done(&ctx);
        log_set_max_level(LOG_INFO);
}

TEST(offload_layout) {
        log_set_max_level(LOG_EMERG);
        _cleanup_free_ char *root = test_tmpdir(), *folder = path_join(root, "offload");
        ASSERT_OK(context_setup_offload_layout(folder, NULL));
        for (size_t i = 0; i < offload_dirs_count; i++) {
                _cleanup_free_ char *p = offload_dirs[i].name[0] ? path_join(folder, offload_dirs[i].name)
                                                                 : strdup(folder);
                struct stat st;
                ASSERT_TRUE(lstat(p, &st) == 0);
                ASSERT_TRUE(S_ISDIR(st.st_mode));
                ASSERT_EQ(st.st_mode & 07777, offload_dirs[i].mode);
        }
        /* again: nothing to do, still fine */
        ASSERT_OK(context_setup_offload_layout(folder, NULL));
        /* a file where the folder should be */
        _cleanup_free_ char *file = path_join(root, "file");
        ASSERT_OK(write_file_atomic(file, "x", 1, 0644));
        ASSERT_TRUE(context_setup_offload_layout(file, NULL) < 0);
        log_set_max_level(LOG_INFO);
}

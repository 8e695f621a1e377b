/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <sys/stat.h>

#include "fileio.h"
#include "kdump.h"
#include "tests.h"

TEST(stamps) {
        time_t t;
        ASSERT_OK(kdump_parse_stamp("20261122153045", &t));
        ASSERT_EQ(t, 1795361445);
        ASSERT_OK(kdump_parse_stamp("202611221530", &t));
        ASSERT_EQ(t, 1795361400);
        ASSERT_ERR(kdump_parse_stamp("2026112215304", &t), -EINVAL);
        ASSERT_ERR(kdump_parse_stamp("20261322153045", &t), -EINVAL);
        ASSERT_ERR(kdump_parse_stamp("2026112215304x", &t), -EINVAL);
        ASSERT_ERR(kdump_parse_stamp("", &t), -EINVAL);
        /* kcrash-save's second capture of a second */
        time_t t2;
        ASSERT_OK(kdump_parse_stamp("20261122153045", &t));
        ASSERT_OK(kdump_parse_stamp("20261122153045-2", &t2));
        ASSERT_EQ(t, t2);
        ASSERT_ERR(kdump_parse_stamp("20261122153045-", &t), -EINVAL);
        ASSERT_ERR(kdump_parse_stamp("20261122153045-2x", &t), -EINVAL);
        ASSERT_ERR(kdump_parse_stamp("2026112215-2", &t), -EINVAL);
}

static void copy_fixture(const char *scenario, const char *dir) {
        _cleanup_free_ char *src = NULL, *data = NULL, *dst = path_join(dir, "dmesg.txt");
        size_t size;
        ASSERT_TRUE(asprintf(&src, "%s/%s/kdump/dmesg.txt", test_fixtures_dir(), scenario) > 0);
        ASSERT_OK(read_full_file(src, 1 << 20, &data, &size));
        ASSERT_OK(mkdir_p(dir, 0755));
        ASSERT_OK(write_file_atomic(dst, data, size, 0644));
}

TEST(complete_and_incomplete_captures) {
        _cleanup_free_ char *root = test_tmpdir();
        _cleanup_free_ char *crash = path_join(root, "crash");
        _cleanup_free_ char *a = path_join(crash, "20261122153045");
        _cleanup_free_ char *b = path_join(crash, "20261122160000");
        _cleanup_free_ char *done = path_join(a, "done"), *vmcore = path_join(a, "vmcore");
        copy_fixture("kdump-module-oops", a);
        ASSERT_OK(write_file_atomic(done, "", 0, 0644));
        ASSERT_OK(write_file_atomic(vmcore, "KDUMP   ", 8, 0600));
        copy_fixture("kdump-sysrq-panic", b); /* no done marker */
        _cleanup_free_ char *stray = path_join(crash, "stray-file");
        ASSERT_OK(write_file_atomic(stray, "x", 1, 0644));

        KdumpScan *s = NULL;
        ASSERT_OK(kdump_scan(crash, 1 << 20, &s));
        ASSERT_EQ(s->n_captures, 2);
        ASSERT_STREQ(s->captures[0]->name, "20261122153045");
        ASSERT_TRUE(s->captures[0]->complete);
        ASSERT_EQ(s->captures[0]->vmcore_size, 8);
        ASSERT_TRUE(strstr(s->captures[0]->dmesg, "BUG: kernel NULL pointer dereference"));
        ASSERT_TRUE(!s->captures[1]->complete);
        ASSERT_TRUE(s->captures[1]->vmcore_path == NULL);
        kdump_scan_free(s);

        /* too big for the limit: read cut, its end (the crash) kept, so the
         * capture still makes exactly one report */
        _cleanup_free_ char *whole = NULL, *dpath = path_join(a, "dmesg.txt");
        size_t whole_size;
        ASSERT_OK(read_full_file(dpath, 1 << 20, &whole, &whole_size));
        ASSERT_OK(kdump_scan(crash, 2048, &s));
        ASSERT_EQ(s->n_captures, 2);
        ASSERT_TRUE(s->captures[0]->dmesg != NULL);
        ASSERT_TRUE(s->captures[0]->dmesg_size <= 2048);
        ASSERT_TRUE(s->captures[0]->dmesg_cut_bytes > 0);
        /* what is kept plus what was cut is the file, give or take the marker line */
        const char *marker = strstr(s->captures[0]->dmesg, "bytes cut here");
        ASSERT_TRUE(marker != NULL);
        const char *after = strchr(marker, '\n') + 1;
        ASSERT_EQ(s->captures[0]->dmesg_size - (size_t) (after - s->captures[0]->dmesg) +
                          (size_t) (strchr(s->captures[0]->dmesg, '\n') + 1 - s->captures[0]->dmesg) +
                          s->captures[0]->dmesg_cut_bytes,
                  whole_size);
        ASSERT_TRUE(strstr(s->captures[0]->dmesg, "bytes cut here"));
        const char *tail = whole + whole_size - 200;
        ASSERT_TRUE(memcmp(s->captures[0]->dmesg + s->captures[0]->dmesg_size - 200, tail, 200) == 0);
        kdump_scan_free(s);
}

/* Issue 10 #7: one capture that cannot be read (dmesg.txt a directory, a
 * FIFO) is reported and left; the others are still scanned, and nothing
 * blocks. A side file that cannot be read (meta.json a symlink) is left
 * out of a capture that is still collected. */
TEST(bad_capture_does_not_hold_back_the_others) {
        _cleanup_free_ char *root = test_tmpdir();
        _cleanup_free_ char *crash = path_join(root, "crash");
        _cleanup_free_ char *good = path_join(crash, "20261122153045");
        _cleanup_free_ char *dir = path_join(crash, "20261122160000"), *dir_dmesg = path_join(dir, "dmesg.txt");
        _cleanup_free_ char *fifo = path_join(crash, "20261122170000"), *fifo_dmesg = path_join(fifo, "dmesg.txt");
        _cleanup_free_ char *link = path_join(crash, "20261122180000"), *link_dmesg = path_join(link, "meta.json");
        copy_fixture("kdump-module-oops", good);
        ASSERT_OK(mkdir_p(dir_dmesg, 0755));
        ASSERT_OK(mkdir_p(fifo, 0755));
        ASSERT_OK(mkfifo(fifo_dmesg, 0644));
        copy_fixture("kdump-sysrq-panic", link);
        ASSERT_OK(symlink("/etc/shadow", link_dmesg));

        KdumpScan *s = NULL;
        ASSERT_OK(kdump_scan(crash, 1 << 20, &s));
        ASSERT_EQ(s->n_captures, 2);
        ASSERT_STREQ(s->captures[0]->name, "20261122153045");
        ASSERT_STREQ(s->captures[1]->name, "20261122180000");
        ASSERT_TRUE(s->captures[1]->dmesg != NULL);
        ASSERT_TRUE(s->captures[1]->meta_json == NULL);
        ASSERT_EQ(s->captures[1]->meta_json_error, -EPERM);
        ASSERT_EQ(s->n_bad, 2);
        for (size_t i = 0; i < s->n_bad; i++) {
                if (streq(s->bad[i].name, "20261122160000"))
                        ASSERT_EQ(s->bad[i].error, -EISDIR);
                else {
                        ASSERT_STREQ(s->bad[i].name, "20261122170000");
                        ASSERT_EQ(s->bad[i].error, -EBADFD);
                }
        }
        kdump_scan_free(s);
}

/* A crash kernel's side files over 1 MiB made the capture "unreadable":
 * reported at every boot, never collected (attack review). The save log
 * is kept cut (its end: where a capture failed), a meta.json left out. */
TEST(large_side_files_do_not_hold_back_the_capture) {
        _cleanup_free_ char *root = test_tmpdir();
        _cleanup_free_ char *crash = path_join(root, "crash"), *cap = path_join(crash, "20261122153045");
        _cleanup_free_ char *meta = path_join(cap, "meta.json"), *log = path_join(cap, "kcrash-save.log");
        copy_fixture("kdump-module-oops", cap);
        size_t big = (1u << 20) + 4096;
        _cleanup_free_ char *text = malloc(big);
        ASSERT_TRUE(text != NULL);
        memset(text, 'x', big);
        memcpy(text + big - 8, "the end\n", 8);
        ASSERT_OK(write_file_atomic(meta, text, big, 0644));
        ASSERT_OK(write_file_atomic(log, text, big, 0644));
        KdumpScan *s = NULL;
        ASSERT_OK(kdump_scan(crash, 1 << 20, &s));
        ASSERT_EQ(s->n_bad, 0);
        ASSERT_EQ(s->n_captures, 1);
        const KdumpCapture *c = s->captures[0];
        ASSERT_TRUE(c->dmesg != NULL);
        ASSERT_TRUE(c->meta_json == NULL);
        ASSERT_EQ(c->meta_json_error, -EFBIG);
        ASSERT_EQ(c->save_log_error, 0);
        ASSERT_TRUE(c->save_log_cut_bytes > 4096);
        ASSERT_TRUE(strlen(c->save_log) <= 1u << 20);
        size_t n = strlen(c->save_log);
        ASSERT_TRUE(n >= 8 && streq(c->save_log + n - 8, "the end\n"));
        ASSERT_TRUE(strstr(c->save_log, "the file is larger than 1048576 bytes]"));
        kdump_scan_free(s);

        /* an error that may pass (EIO) leaves the capture for the next run:
         * collecting it would remove the folder with the file */
        setenv("KCRASH_FAILPOINT", "kdump-side-file:EIO", 1);
        ASSERT_OK(kdump_scan(crash, 1 << 20, &s));
        unsetenv("KCRASH_FAILPOINT");
        ASSERT_EQ(s->n_captures, 0);
        ASSERT_EQ(s->n_bad, 1);
        ASSERT_STREQ(s->bad[0].file, "meta.json");
        ASSERT_EQ(s->bad[0].error, -EIO);
        kdump_scan_free(s);
}

TEST(missing_folder_is_empty) {
        KdumpScan *s = NULL;
        ASSERT_OK(kdump_scan("/nonexistent/kcrash/crash", 1 << 20, &s));
        ASSERT_EQ(s->n_captures, 0);
        kdump_scan_free(s);
}

/* A side file that is a socket cannot be opened (ENXIO): it is not a
 * regular file, left out like a FIFO, and the capture is collected; it
 * was taken for an error that may pass, and the capture was reported at
 * every boot, never collected (attack review). */
TEST(socket_side_file_does_not_hold_back_the_capture) {
        _cleanup_free_ char *root = test_tmpdir();
        _cleanup_free_ char *crash = path_join(root, "crash"), *cap = path_join(crash, "20261122153045");
        _cleanup_free_ char *meta = path_join(cap, "meta.json");
        copy_fixture("kdump-module-oops", cap);
        (void) unlink(meta); /* (the fixture may have none) */
        test_make_socket(meta);
        KdumpScan *s = NULL;
        ASSERT_OK(kdump_scan(crash, 1 << 20, &s));
        ASSERT_EQ(s->n_bad, 0);
        ASSERT_EQ(s->n_captures, 1);
        ASSERT_TRUE(s->captures[0]->meta_json == NULL);
        ASSERT_EQ(s->captures[0]->meta_json_error, -EBADFD);
        kdump_scan_free(s);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build-config.h"
#include "fileio.h"
#include "tests.h"

/* Issue 10 #6: the desktop user's loginusers.vdf is read as that user
 * could: a FIFO does not stall root, a symlink or a hard link does not make
 * root read a root-only file. */
TEST(read_user_file_as_the_user_would) {
        if (geteuid() != 0)
                return test_skip("needs root to make a folder owned by another user");
        _cleanup_free_ char *root = test_tmpdir();
        _cleanup_free_ char *home = path_join(root, "var/home/deck"), *home_link = path_join(root, "home");
        _cleanup_free_ char *vdf = path_join(home, "loginusers.vdf"), *secret = path_join(root, "secret");
        char *data = NULL;
        size_t size;
        ASSERT_OK(mkdir_p(home, 0755));
        ASSERT_OK(chown(home, 1000, 1000));
        ASSERT_OK(symlink("var/home", home_link)); /* a root-owned link: followed */
        ASSERT_OK(write_file_atomic(secret, "root only", 9, 0600));

        /* the user's own file: read */
        ASSERT_OK(write_file_atomic(vdf, "\"users\" {}", 10, 0644));
        ASSERT_OK(chown(vdf, 1000, 1000));
        ASSERT_OK(read_user_file(root, "/home/deck/loginusers.vdf", 4096, &data, &size));
        ASSERT_EQ(size, 10);
        free(data);

        /* a symlink the user made to a root-only file: refused */
        ASSERT_OK(unlink(vdf));
        ASSERT_OK(symlink("/secret", vdf));
        ASSERT_OK(lchown(vdf, 1000, 1000));
        ASSERT_ERR(read_user_file(root, "/home/deck/loginusers.vdf", 4096, &data, &size), -EPERM);
        /* a symlinked folder on the way: refused too */
        _cleanup_free_ char *steam = path_join(home, "steam");
        ASSERT_OK(symlink(root, steam));
        ASSERT_OK(lchown(steam, 1000, 1000));
        ASSERT_ERR(read_user_file(root, "/home/deck/steam/secret", 4096, &data, &size), -EPERM);

        /* a root-owned file in the user's folder (a hard link): refused */
        ASSERT_OK(unlink(vdf));
        ASSERT_OK(link(secret, vdf));
        ASSERT_ERR(read_user_file(root, "/home/deck/loginusers.vdf", 4096, &data, &size), -EPERM);

        /* a FIFO: refused at once, never blocks */
        ASSERT_OK(unlink(vdf));
        ASSERT_OK(mkfifo(vdf, 0644));
        ASSERT_OK(chown(vdf, 1000, 1000));
        ASSERT_ERR(read_user_file(root, "/home/deck/loginusers.vdf", 4096, &data, &size), -EBADFD);

        /* bounded */
        ASSERT_OK(unlink(vdf));
        ASSERT_OK(write_file_atomic(vdf, "0123456789", 10, 0644));
        ASSERT_OK(chown(vdf, 1000, 1000));
        ASSERT_ERR(read_user_file(root, "/home/deck/loginusers.vdf", 4, &data, &size), -EFBIG);
}

TEST(read_full_file_refuses_fifos_and_nofollow_refuses_links) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_free_ char *fifo = path_join(dir, "fifo"), *file = path_join(dir, "file"), *lnk = path_join(dir, "link");
        char *data = NULL;
        size_t size;
        ASSERT_OK(mkfifo(fifo, 0644));
        ASSERT_ERR(read_full_file(fifo, 100, &data, &size), -EBADFD);
        /* a socket cannot even be opened (ENXIO): not a regular file either */
        _cleanup_free_ char *sock = path_join(dir, "sock");
        test_make_socket(sock);
        ASSERT_ERR(read_full_file(sock, 100, &data, &size), -EBADFD);
        ASSERT_ERR(read_full_file(dir, 100, &data, &size), -EISDIR);
        ASSERT_OK(write_file_atomic(file, "x", 1, 0644));
        ASSERT_OK(symlink(file, lnk));
        ASSERT_OK(read_full_file(lnk, 100, &data, &size));
        free(data);
        ASSERT_ERR(read_full_file_nofollow(lnk, 100, &data, &size), -EPERM);
}

/* Issue 10 #4: removing a tree never follows a symlink at any level. */
TEST(rm_rf_never_leaves_its_tree) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_free_ char *victim = path_join(dir, "victim"), *keep = path_join(victim, "keep");
        _cleanup_free_ char *tree = path_join(dir, "tree"), *sub = path_join(tree, "a/b");
        _cleanup_free_ char *l1 = path_join(tree, "a/link"), *l2 = path_join(tree, "top-link");
        ASSERT_OK(mkdir_p(victim, 0755));
        ASSERT_OK(write_file_atomic(keep, "k", 1, 0644));
        ASSERT_OK(mkdir_p(sub, 0755));
        ASSERT_OK(symlink(victim, l1));
        ASSERT_OK(symlink(victim, l2));
        ASSERT_OK(rm_rf(tree));
        ASSERT_TRUE(!file_exists(tree));
        ASSERT_TRUE(file_exists(keep));
        /* a symlink given as the tree: the link goes, not its target */
        ASSERT_OK(symlink(victim, tree));
        ASSERT_OK(rm_rf(tree));
        ASSERT_TRUE(file_exists(keep));
}

TEST(read_cut_keeps_head_line_and_end) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_free_ char *p = path_join(dir, "big");
        size_t n = 100000;
        _cleanup_free_ char *buf = malloc(n);
        memset(buf, 'a', n);
        memcpy(buf, "Panic#1 Part1\n", 14);
        memcpy(buf + n - 6, "END!!\n", 6);
        ASSERT_OK(write_file_atomic(p, buf, n, 0644));
        _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
        char *data = NULL;
        size_t size;
        uint64_t cut;
        ASSERT_OK(read_cut_fd(fd, n, 4096, &data, &size, &cut));
        ASSERT_TRUE(size <= 4096);
        ASSERT_TRUE(strncmp(data, "Panic#1 Part1\n[kcrash: ", 23) == 0);
        ASSERT_TRUE(memcmp(data + size - 6, "END!!\n", 6) == 0);
        const char *after = strchr(data + 14, '\n') + 1;
        ASSERT_EQ(14 + cut + (size - (size_t) (after - data)), n);
        free(data);
}

/* A regular file is read into a buffer of its size; the limit holds to the byte. */
TEST(read_full_file_sizes_and_limits) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_free_ char *p = path_join(dir, "f"), *data = NULL;
        size_t size = 0;
        char buf[70000];
        for (size_t i = 0; i < sizeof buf; i++)
                buf[i] = (char) ('a' + i % 26);
        ASSERT_OK(write_file_atomic(p, buf, sizeof buf, 0644));
        ASSERT_OK(read_full_file(p, sizeof buf, &data, &size));
        ASSERT_EQ(size, sizeof buf);
        ASSERT_TRUE(memcmp(data, buf, sizeof buf) == 0 && data[size] == 0);
        free(data);
        data = NULL;
        ASSERT_ERR(read_full_file(p, sizeof buf - 1, &data, &size), -EFBIG);
        /* procfs says size 0: the buffer grows */
        ASSERT_OK(read_full_file("/proc/self/status", 1 << 20, &data, &size));
        ASSERT_TRUE(size > 0 && strlen(data) == size);
}

/* Atomic without the fsyncs: replaces the content whole, with the mode, and
 * leaves no temp file. */
TEST(write_file_replace) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_free_ char *p = path_join(dir, "m"), *data = NULL;
        ASSERT_OK(write_file_replace(p, "one\n", 4, 0600));
        ASSERT_OK(write_file_replace(p, "two\nlines\n", 10, 0640));
        size_t size = 0;
        ASSERT_OK(read_full_file(p, 64, &data, &size));
        ASSERT_EQ(size, 10);
        ASSERT_STREQ(data, "two\nlines\n");
        struct stat st;
        ASSERT_OK(stat(p, &st));
        ASSERT_EQ(st.st_mode & 07777, 0640);
        ASSERT_TRUE(dir_is_empty(dir) == false);
        DIR *d = opendir(dir);
        struct dirent *de;
        unsigned n = 0;
        while ((de = readdir(d)))
                n += de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."));
        closedir(d);
        ASSERT_EQ(n, 1);
        ASSERT_TRUE(write_file_replace("/proc/kcrash-no/m", "x", 1, 0600) < 0);
}

TEST(mkdir_p_nested_and_again) {
        _cleanup_free_ char *dir = test_tmpdir(), *deep = path_join(dir, "a/b/c"), *file = path_join(dir, "f");
        ASSERT_OK(mkdir_p(deep, 0700));
        struct stat st;
        ASSERT_OK(stat(deep, &st));
        ASSERT_TRUE(S_ISDIR(st.st_mode));
        ASSERT_OK(mkdir_p(deep, 0700)); /* there already: one call */
        ASSERT_OK(write_file_replace(file, "x", 1, 0600));
        _cleanup_free_ char *under_file = path_join(dir, "f/g/h");
        ASSERT_ERR(mkdir_p(under_file, 0700), -ENOTDIR);
}

TEST(write_file_new) {
        _cleanup_free_ char *dir = test_tmpdir(), *p = path_join(dir, "n"), *data = NULL;
        mode_t old_umask = umask(077);
        ASSERT_OK(write_file_new(p, "one\n", 4, 0640));
        umask(old_umask);
        struct stat st;
        ASSERT_OK(stat(p, &st));
        ASSERT_EQ(st.st_mode & 07777, 0640); /* as asked, whatever the umask */
        /* never over a name that exists, nor through a symlink */
        ASSERT_ERR(write_file_new(p, "two\n", 4, 0600), -EEXIST);
        ASSERT_OK(read_full_file(p, 64, &data, NULL));
        ASSERT_STREQ(data, "one\n");
        _cleanup_free_ char *link = path_join(dir, "link"), *target = path_join(dir, "target");
        ASSERT_OK(symlink(target, link));
        ASSERT_ERR(write_file_new(link, "x", 1, 0600), -EEXIST);
        ASSERT_TRUE(access(target, F_OK) < 0);
        ASSERT_ERR(write_file_new("/proc/kcrash-no/n", "x", 1, 0600), -ENOENT);
#if KCRASH_TEST_HOOKS
        /* a write that fails leaves no name behind */
        _cleanup_free_ char *q = path_join(dir, "failed");
        setenv("KCRASH_FAILPOINT", "write-new:ENOSPC", 1);
        ASSERT_ERR(write_file_new(q, "x", 1, 0600), -ENOSPC);
        unsetenv("KCRASH_FAILPOINT");
        ASSERT_TRUE(access(q, F_OK) < 0 && errno == ENOENT);
#endif
}

/* Sizes about the huge-page buffer's edges (1.5 MiB, 2 MiB and past it,
 * the read's two extra bytes included) read back byte for byte. */
TEST(read_full_file_large_sizes) {
        const size_t mib = (size_t) 1 << 20;
        const size_t sizes[] = { mib + mib / 2 - 3, mib + mib / 2 - 2, 2 * mib - 2, 2 * mib - 1, 2 * mib,
                                 2 * mib + 1, 3 * mib, 4 * mib - 2 };
        _cleanup_free_ char *dir = test_tmpdir(), *path = path_join(dir, "big");
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
                _cleanup_free_ char *data = malloc(sizes[i]), *back = NULL;
                ASSERT_TRUE(data);
                for (size_t k = 0; k < sizes[i]; k++)
                        data[k] = (char) ('a' + (k * 7 + i) % 26);
                ASSERT_OK(write_file_atomic(path, data, sizes[i], 0600));
                size_t size = 0;
                ASSERT_OK(read_full_file(path, 8 * mib, &back, &size));
                ASSERT_EQ(size, sizes[i]);
                ASSERT_TRUE(memcmp(back, data, size) == 0 && back[size] == 0);
        }
        char *none = NULL;
        ASSERT_ERR(read_full_file(path, 2 * mib, &none, NULL), -EFBIG); /* the last one is larger */
        ASSERT_TRUE(!none);
}

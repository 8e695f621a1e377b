/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "archive.h"
#include "fileio.h"
#include "tests.h"

TEST(write_then_read_members) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_free_ char *zip = path_join(dir, "r.zip");
        static const char big_text[] = "Kernel panic - not syncing: sysrq triggered crash\n";
        ArchiveMember m[] = {
                { "dmesg-pstore.txt", big_text, sizeof big_text - 1 },
                { "report.json", "{\"schema\":1}", 12 },
                { "empty", "", 0 },
        };
        ASSERT_OK(archive_write(zip, m, ELEMENTSOF(m)));

        _cleanup_free_ char *data = NULL;
        size_t size;
        ASSERT_OK(archive_read_member(zip, "report.json", 1024, &data, &size));
        ASSERT_EQ(size, 12);
        ASSERT_STREQ(data, "{\"schema\":1}");
        free(data);
        data = NULL;
        ASSERT_OK(archive_read_member(zip, "dmesg-pstore.txt", 1024, &data, &size));
        ASSERT_STREQ(data, big_text);
        free(data);
        data = NULL;
        ASSERT_ERR(archive_read_member(zip, "nope", 1024, &data, &size), -ENOENT);
        ASSERT_ERR(archive_read_member(zip, "dmesg-pstore.txt", 10, &data, &size), -EFBIG);

        char **names = NULL;
        ASSERT_OK(archive_list_members(zip, &names));
        ASSERT_STREQ(names[0], "dmesg-pstore.txt");
        ASSERT_STREQ(names[2], "empty");
        ASSERT_TRUE(names[3] == NULL);
        strv_free(names);
}

TEST(refuses_to_overwrite) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_free_ char *zip = path_join(dir, "r.zip");
        ArchiveMember m[] = { { "a", "x", 1 } };
        ASSERT_OK(archive_write(zip, m, 1));
        ASSERT_ERR(archive_write(zip, m, 1), -EEXIST);
}

TEST(not_a_zip) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_free_ char *p = path_join(dir, "bad.zip");
        ASSERT_OK(write_file_atomic(p, "garbage", 7, 0644));
        char *data = NULL;
        ASSERT_ERR(archive_read_member(p, "a", 10, &data, NULL), -EBADMSG);
}

TEST(unwritable_directory_leaves_nothing) {
        ArchiveMember m[] = { { "a", "x", 1 } };
        int r = archive_write("/proc/kcrash-test.zip", m, 1);
        ASSERT_TRUE(r < 0);
        ASSERT_TRUE(!file_exists("/proc/kcrash-test.zip"));
}

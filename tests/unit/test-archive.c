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

/* libzip holds the whole central directory in memory: a ZIP of a million
 * empty members took the receiver to ~600 MB. Refused before it is read. */
TEST(too_many_members_refused_before_reading) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_free_ char *zip = path_join(dir, "many.zip");
        size_t n = ARCHIVE_MAX_MEMBERS + 1;
        ArchiveMember *m = calloc(n, sizeof *m);
        char (*names)[16] = calloc(n, sizeof *names);
        ASSERT_TRUE(m && names);
        for (size_t i = 0; i < n; i++) {
                snprintf(names[i], sizeof names[i], "e%zu", i);
                m[i] = (ArchiveMember) { names[i], "", 0 };
        }
        m[0].name = "report.json";
        m[0].data = "{}";
        m[0].size = 2;
        ASSERT_OK(archive_write(zip, m, n));
        char *data = NULL, **list = NULL;
        ASSERT_ERR(archive_read_member(zip, "report.json", 1024, &data, NULL), -E2BIG);
        ASSERT_ERR(archive_list_members(zip, &list), -E2BIG);
        ASSERT_TRUE(!data && !list);

        /* the same ZIP with a small end record appended in the real one's
         * comment (an empty archive's): libzip reads both directories, so
         * it is refused all the same (the receiver took a million members
         * past the check this way) */
        _cleanup_free_ char *zip2 = path_join(dir, "many-appended.zip"), *bytes = NULL;
        size_t size;
        ASSERT_OK(read_full_file(zip, 64 << 20, &bytes, &size));
        ASSERT_TRUE(size > 22 && memcmp(bytes + size - 22, "PK\5\6", 4) == 0); /* no comment */
        bytes[size - 2] = 22; /* comment length: the record appended */
        static const char empty_eocd[22] = "PK\5\6";
        char *grown = malloc(size + 22);
        ASSERT_TRUE(grown);
        memcpy(grown, bytes, size);
        memcpy(grown + size, empty_eocd, 22);
        ASSERT_OK(write_file_atomic(zip2, grown, size + 22, 0600));
        free(grown);
        ASSERT_ERR(archive_list_members(zip2, &list), -E2BIG);
        ASSERT_ERR(archive_read_member(zip2, "report.json", 1024, &data, NULL), -E2BIG);

        /* at the limit: read */
        _cleanup_free_ char *ok = path_join(dir, "ok.zip");
        ASSERT_OK(archive_write(ok, m, ARCHIVE_MAX_MEMBERS));
        ASSERT_OK(archive_read_member(ok, "report.json", 1024, &data, NULL));
        ASSERT_STREQ(data, "{}");
        free(data);
        ASSERT_OK(archive_list_members(ok, &list));
        ASSERT_STREQ(list[ARCHIVE_MAX_MEMBERS - 1], "e4095");
        ASSERT_TRUE(list[ARCHIVE_MAX_MEMBERS] == NULL);
        strv_free(list);
        free(names);
        free(m);
}

/* The archive is built in memory and copied to the file in 64 KiB reads:
 * a member larger than that (stored nearly as is: bytes deflate cannot
 * shrink) comes back whole; no members is -EINVAL and leaves no file. */
TEST(large_member_and_no_members) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_free_ char *zip = path_join(dir, "big.zip"), *none = path_join(dir, "none.zip");
        size_t n = 3u << 20;
        _cleanup_free_ unsigned char *big = malloc(n);
        ASSERT_TRUE(big);
        uint32_t x = 2463534242u;
        for (size_t i = 0; i < n; i++) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                big[i] = (unsigned char) x;
        }
        ArchiveMember m[] = { { "random.bin", big, n }, { "b.txt", "b", 1 } };
        ASSERT_OK(archive_write(zip, m, ELEMENTSOF(m)));
        _cleanup_free_ char *data = NULL;
        size_t size = 0;
        ASSERT_OK(archive_read_member(zip, "random.bin", n, &data, &size));
        ASSERT_EQ(size, n);
        ASSERT_TRUE(memcmp(data, big, n) == 0);
        ASSERT_ERR(archive_write(none, m, 0), -EINVAL);
        ASSERT_TRUE(!file_exists(none));
}

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

/* Little-endian fields of a ZIP, appended to buf at *len: v in its first
 * (up to eight) bytes, zeros after (several fields of 0 are one call). */
static void put_le(uint8_t *buf, size_t *len, uint64_t v, size_t bytes) {
        for (size_t i = 0; i < bytes; i++)
                buf[(*len)++] = i < 8 ? (uint8_t) (v >> (8 * i)) : 0;
}

/* A plain end of central directory record (APPNOTE.TXT 4.3.16). */
static void put_end_record(uint8_t *buf, size_t *len, uint64_t entries, uint64_t dir_size, uint64_t dir,
                           size_t comment) {
        put_le(buf, len, 0x06054b50, 4);
        put_le(buf, len, 0, 2 + 2);
        put_le(buf, len, entries, 2);
        put_le(buf, len, entries, 2);
        put_le(buf, len, dir_size, 4);
        put_le(buf, len, dir, 4);
        put_le(buf, len, comment, 2);
}

/* A ZIP of n empty members "0000000".. With zip64, written as ZIP64
 * writers do (APPNOTE.TXT 4.3.14-4.3.16): the plain end record's counts
 * are the 0xFFFF and 0xFFFFFFFF markers, the real ones in the ZIP64 end
 * record; with one_more, a plain end record of the directory's first
 * member follows as the real one's comment. Without, a plain ZIP whose end
 * record counts n modulo 65536, as InfoZIP's zip writes it, or count. */
static void write_zip(const char *path, size_t n, bool zip64, size_t count, bool one_more) {
        enum { NAME = 7 };
        size_t cap = n * (30 + 46 + 2 * NAME) + 256, len = 0;
        _cleanup_free_ uint8_t *buf = malloc(cap);
        _cleanup_free_ uint64_t *offsets = calloc(n, sizeof *offsets);
        ASSERT_TRUE(buf && offsets);
        char name[NAME + 1];
        for (size_t i = 0; i < n; i++) {
                offsets[i] = len;
                put_le(buf, &len, 0x04034b50, 4); /* local header */
                put_le(buf, &len, 20, 2);
                put_le(buf, &len, 0, 2 * 4 + 4 * 3); /* flags, method, time, date; crc, sizes */
                put_le(buf, &len, NAME, 2);
                put_le(buf, &len, 0, 2);
                snprintf(name, sizeof name, "%07zu", i);
                memcpy(buf + len, name, NAME);
                len += NAME;
        }
        uint64_t dir = len;
        for (size_t i = 0; i < n; i++) {
                put_le(buf, &len, 0x02014b50, 4); /* central directory entry */
                put_le(buf, &len, 20, 2);
                put_le(buf, &len, 20, 2);
                put_le(buf, &len, 0, 2 * 4 + 4 * 3);
                put_le(buf, &len, NAME, 2);
                put_le(buf, &len, 0, 2 * 4 + 4); /* extra, comment, disk, internal; external */
                put_le(buf, &len, offsets[i], 4);
                snprintf(name, sizeof name, "%07zu", i);
                memcpy(buf + len, name, NAME);
                len += NAME;
        }
        uint64_t dir_size = len - dir, z64 = len;
        if (!zip64) {
                put_end_record(buf, &len, count % 65536, dir_size, dir, 0);
                ASSERT_OK(write_file_atomic(path, buf, len, 0600));
                return;
        }
        put_le(buf, &len, 0x06064b50, 4); /* ZIP64 end record */
        put_le(buf, &len, 44, 8);
        put_le(buf, &len, 45, 2);
        put_le(buf, &len, 45, 2);
        put_le(buf, &len, 0, 4 + 4);
        put_le(buf, &len, n, 8);
        put_le(buf, &len, n, 8);
        put_le(buf, &len, dir_size, 8);
        put_le(buf, &len, dir, 8);
        put_le(buf, &len, 0x07064b50, 4); /* its locator */
        put_le(buf, &len, 0, 4);
        put_le(buf, &len, z64, 8);
        put_le(buf, &len, 1, 4);
        put_le(buf, &len, 0x06054b50, 4); /* the plain end record */
        put_le(buf, &len, 0, 2 + 2);
        put_le(buf, &len, 0xffff, 2);
        put_le(buf, &len, 0xffff, 2);
        put_le(buf, &len, 0xffffffff, 4);
        put_le(buf, &len, 0xffffffff, 4);
        put_le(buf, &len, one_more ? 22 : 0, 2);
        if (one_more) {
                put_end_record(buf, &len, 1, 46 + NAME, dir, 0);
        }
        ASSERT_TRUE(len <= cap);
        ASSERT_OK(write_file_atomic(path, buf, len, 0600));
}

/* A ZIP64's counts are in its ZIP64 end record: they were read as the
 * plain record's markers (a 4 GiB directory, taken as one libzip refuses),
 * and a ZIP64 of a million members with a one-member end record after it
 * passed the check on that one (root's `kcrashctl list` of an uploader's
 * ZIP: 300 MB, 12 s; review). */
TEST(zip64_counted_by_its_own_end_record) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_free_ char *ok = path_join(dir, "ok.zip"), *many = path_join(dir, "many.zip"),
                            *hidden = path_join(dir, "hidden.zip");
        char **list = NULL;
        /* a ZIP64 at the limit is read (libzip reads ZIP64) */
        write_zip(ok, ARCHIVE_MAX_MEMBERS, true, 0, false);
        ASSERT_OK(archive_list_members(ok, &list));
        ASSERT_STREQ(list[ARCHIVE_MAX_MEMBERS - 1], "0004095");
        ASSERT_TRUE(list[ARCHIVE_MAX_MEMBERS] == NULL);
        strv_free(list);
        list = NULL;
        /* one more member: refused before libzip reads it, also with the
         * small record after it */
        write_zip(many, ARCHIVE_MAX_MEMBERS + 1, true, 0, false);
        ASSERT_ERR(archive_list_members(many, &list), -E2BIG);
        write_zip(hidden, ARCHIVE_MAX_MEMBERS + 1, true, 0, true);
        ASSERT_ERR(archive_list_members(hidden, &list), -E2BIG);
        char *data = NULL;
        ASSERT_ERR(archive_read_member(hidden, "0000000", 16, &data, NULL), -E2BIG);
        ASSERT_TRUE(!list && !data);
}

/* libzip reads a plain directory to its end, past the count its end
 * record gives (InfoZIP's zip writes the count modulo 65536): 69,632
 * members counted as 4,096 took root's `kcrashctl list` to 24 MB (review).
 * Counted by the directory's own entries; the count as written is read. */
TEST(plain_directory_counted_by_its_entries) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_free_ char *under = path_join(dir, "under.zip"), *infozip = path_join(dir, "infozip.zip");
        char **list = NULL;
        write_zip(under, ARCHIVE_MAX_MEMBERS + 1, false, 1, false);
        ASSERT_ERR(archive_list_members(under, &list), -E2BIG);
        /* InfoZIP's count of a directory at the limit: read */
        write_zip(infozip, ARCHIVE_MAX_MEMBERS, false, ARCHIVE_MAX_MEMBERS, false);
        ASSERT_OK(archive_list_members(infozip, &list));
        ASSERT_STREQ(list[ARCHIVE_MAX_MEMBERS - 1], "0004095");
        strv_free(list);
}

/* A ZIP of `members` members "a", all of one local header that carries
 * `fields` extra fields of `field_size` bytes (APPNOTE.TXT 4.5.1), each of
 * an id of its own. */
static void write_zip_with_local_fields(const char *path, unsigned members, unsigned fields, unsigned field_size) {
        size_t cap = 256 + (4 + (size_t) field_size) * fields + 48 * (size_t) members, len = 0;
        _cleanup_free_ uint8_t *buf = malloc(cap);
        ASSERT_TRUE(buf);
        put_le(buf, &len, 0x04034b50, 4);
        put_le(buf, &len, 20, 2);
        put_le(buf, &len, 0, 2 * 4 + 4 * 3);
        put_le(buf, &len, 1, 2);
        put_le(buf, &len, (4 + field_size) * fields, 2);
        buf[len++] = 'a';
        for (unsigned i = 0; i < fields; i++) {
                put_le(buf, &len, 0x1000 + i, 2);
                put_le(buf, &len, field_size, 2);
                memset(buf + len, 0, field_size);
                len += field_size;
        }
        uint64_t dir = len;
        for (unsigned i = 0; i < members; i++) {
                put_le(buf, &len, 0x02014b50, 4);
                put_le(buf, &len, 20, 2);
                put_le(buf, &len, 20, 2);
                put_le(buf, &len, 0, 2 * 4 + 4 * 3);
                put_le(buf, &len, 1, 2);
                put_le(buf, &len, 0, 2 * 4 + 4);
                put_le(buf, &len, 0, 4);
                buf[len++] = 'a';
        }
        uint64_t dir_size = len - dir;
        put_end_record(buf, &len, members, dir_size, dir, 0);
        ASSERT_TRUE(len <= cap);
        ASSERT_OK(write_file_atomic(path, buf, len, 0600));
}

/* libzip copies every extra field into an item of its own and, checking a
 * ZIP's consistency, merges each member's local header's into its own, one
 * field against all the other's: 4,096 members of one local header with
 * 16,383 empty fields, a ZIP of 258 KB, took the receiver 2.1 GB and 29 s
 * at a device's Finish (review). A member with more than 32, or members
 * with more than 4 MiB of them, are refused before libzip reads the
 * directory. */
TEST(extra_fields_counted_before_libzip_reads_them) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_free_ char *few = path_join(dir, "few.zip"), *many = path_join(dir, "many.zip");
        char **list = NULL;
        write_zip_with_local_fields(few, 1, 3, 0);
        ASSERT_OK(archive_list_members(few, &list));
        ASSERT_STREQ(list[0], "a");
        strv_free(list);
        list = NULL;
        write_zip_with_local_fields(many, 1, ARCHIVE_MAX_EXTRA_FIELDS + 1, 0);
        ASSERT_ERR(archive_list_members(many, &list), -E2BIG);
        /* one field of 64,000 bytes, copied for each of 66 members: 4 MiB */
        _cleanup_free_ char *large = path_join(dir, "large.zip");
        write_zip_with_local_fields(large, 66, 1, 64000);
        ASSERT_ERR(archive_list_members(large, &list), -E2BIG);
        ASSERT_TRUE(!list);
}

/* libzip reads the directory of every end record in the file's last
 * 64 KiB and checks the one it keeps again for each next one: 900 end
 * records chained in each other's comments before a directory of 4,096
 * members took a device's Finish 49 s of the receiver's CPU (review). A
 * ZIP writer writes one; a second is refused before libzip reads any. */
TEST(a_second_end_record_is_refused) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_free_ char *zip = path_join(dir, "one.zip"), *two = path_join(dir, "two.zip"), *bytes = NULL;
        ArchiveMember m[] = { { "report.json", "{}", 2 } };
        ASSERT_OK(archive_write(zip, m, 1));
        char *data = NULL;
        ASSERT_OK(archive_read_member(zip, "report.json", 16, &data, NULL));
        free(data);
        data = NULL;
        size_t size;
        ASSERT_OK(read_full_file(zip, 1 << 20, &bytes, &size));
        ASSERT_TRUE(size > 22 && memcmp(bytes + size - 22, "PK\5\6", 4) == 0); /* no comment */
        /* the same end record again, as the first one's comment */
        _cleanup_free_ char *grown = malloc(size + 22);
        ASSERT_TRUE(grown);
        memcpy(grown, bytes, size);
        memcpy(grown + size, bytes + size - 22, 22);
        grown[size - 2] = 22;
        ASSERT_OK(write_file_atomic(two, grown, size + 22, 0600));
        ASSERT_ERR(archive_read_member(two, "report.json", 16, &data, NULL), -EBADMSG);
        ASSERT_TRUE(!data);
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

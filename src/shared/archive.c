/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "archive.h"
#include "build-config.h"
#include "dlopen-util.h"
#include "failpoint.h"
#include "fileio.h"
#include "macro.h"

/* libzip is loaded when first needed (dlopen-util.h): the collector writes a
 * ZIP only when it has something to collect. Below, every libzip function is
 * called through the pointer loaded here. */
static typeof(zip_close) *sym_zip_close;
static typeof(zip_discard) *sym_zip_discard;
static typeof(zip_error_code_system) *sym_zip_error_code_system;
static typeof(zip_error_code_zip) *sym_zip_error_code_zip;
static typeof(zip_error_fini) *sym_zip_error_fini;
static typeof(zip_error_init) *sym_zip_error_init;
static typeof(zip_error_system_type) *sym_zip_error_system_type;
static typeof(zip_fclose) *sym_zip_fclose;
static typeof(zip_file_add) *sym_zip_file_add;
static typeof(zip_file_get_error) *sym_zip_file_get_error;
static typeof(zip_fopen) *sym_zip_fopen;
static typeof(zip_fread) *sym_zip_fread;
static typeof(zip_get_error) *sym_zip_get_error;
static typeof(zip_get_name) *sym_zip_get_name;
static typeof(zip_get_num_entries) *sym_zip_get_num_entries;
static typeof(zip_open_from_source) *sym_zip_open_from_source;
static typeof(zip_set_file_compression) *sym_zip_set_file_compression;
static typeof(zip_source_buffer) *sym_zip_source_buffer;
static typeof(zip_source_buffer_create) *sym_zip_source_buffer_create;
static typeof(zip_source_close) *sym_zip_source_close;
static typeof(zip_source_error) *sym_zip_source_error;
static typeof(zip_source_filep_create) *sym_zip_source_filep_create;
static typeof(zip_source_free) *sym_zip_source_free;
static typeof(zip_source_keep) *sym_zip_source_keep;
static typeof(zip_source_open) *sym_zip_source_open;
static typeof(zip_source_read) *sym_zip_source_read;
static typeof(zip_stat) *sym_zip_stat;
static typeof(zip_stat_init) *sym_zip_stat_init;

static const DlopenSymbol libzip_symbols[] = {
        DLOPEN_SYMBOL(zip_close),
        DLOPEN_SYMBOL(zip_discard),
        DLOPEN_SYMBOL(zip_error_code_system),
        DLOPEN_SYMBOL(zip_error_code_zip),
        DLOPEN_SYMBOL(zip_error_fini),
        DLOPEN_SYMBOL(zip_error_init),
        DLOPEN_SYMBOL(zip_error_system_type),
        DLOPEN_SYMBOL(zip_fclose),
        DLOPEN_SYMBOL(zip_file_add),
        DLOPEN_SYMBOL(zip_file_get_error),
        DLOPEN_SYMBOL(zip_fopen),
        DLOPEN_SYMBOL(zip_fread),
        DLOPEN_SYMBOL(zip_get_error),
        DLOPEN_SYMBOL(zip_get_name),
        DLOPEN_SYMBOL(zip_get_num_entries),
        DLOPEN_SYMBOL(zip_open_from_source),
        DLOPEN_SYMBOL(zip_set_file_compression),
        DLOPEN_SYMBOL(zip_source_buffer),
        DLOPEN_SYMBOL(zip_source_buffer_create),
        DLOPEN_SYMBOL(zip_source_close),
        DLOPEN_SYMBOL(zip_source_error),
        DLOPEN_SYMBOL(zip_source_filep_create),
        DLOPEN_SYMBOL(zip_source_free),
        DLOPEN_SYMBOL(zip_source_keep),
        DLOPEN_SYMBOL(zip_source_open),
        DLOPEN_SYMBOL(zip_source_read),
        DLOPEN_SYMBOL(zip_stat),
        DLOPEN_SYMBOL(zip_stat_init),
};

static DlopenLibrary libzip = {
        .soname = LIBZIP_SONAME,
        .symbols = libzip_symbols,
        .n_symbols = ELEMENTSOF(libzip_symbols),
};

int archive_dlopen(const char **reterr_message) {
        return dlopen_library(&libzip, reterr_message);
}

#define zip_close sym_zip_close
#define zip_discard sym_zip_discard
#define zip_error_code_system sym_zip_error_code_system
#define zip_error_code_zip sym_zip_error_code_zip
#define zip_error_fini sym_zip_error_fini
#define zip_error_init sym_zip_error_init
#define zip_error_system_type sym_zip_error_system_type
#define zip_fclose sym_zip_fclose
#define zip_file_add sym_zip_file_add
#define zip_file_get_error sym_zip_file_get_error
#define zip_fopen sym_zip_fopen
#define zip_fread sym_zip_fread
#define zip_get_error sym_zip_get_error
#define zip_get_name sym_zip_get_name
#define zip_get_num_entries sym_zip_get_num_entries
#define zip_open_from_source sym_zip_open_from_source
#define zip_set_file_compression sym_zip_set_file_compression
#define zip_source_buffer sym_zip_source_buffer
#define zip_source_buffer_create sym_zip_source_buffer_create
#define zip_source_close sym_zip_source_close
#define zip_source_error sym_zip_source_error
#define zip_source_filep_create sym_zip_source_filep_create
#define zip_source_free sym_zip_source_free
#define zip_source_keep sym_zip_source_keep
#define zip_source_open sym_zip_source_open
#define zip_source_read sym_zip_source_read
#define zip_stat sym_zip_stat
#define zip_stat_init sym_zip_stat_init

/* zip_discard never writes; zip_close would commit a half-built archive. */
DEFINE_TRIVIAL_CLEANUP_FUNC(zip_t *, zip_discard)
DEFINE_TRIVIAL_CLEANUP_FUNC(zip_source_t *, zip_source_free)

/* Level 5: over the 439 text logs of tests/fixtures (4.6 MB) it writes
 * 0.5 % more than zlib's default 6 in 15-21 % less time; on a log that
 * repeats itself (a warning printed a thousand times; the 2 MiB record of
 * bench/collect_bench.py) 3.6 % more in 26-39 % less. Level 4 is 3 % larger
 * on the fixtures; level 9 makes them 0.7 % smaller in 1.4-2.2x the time.
 * Two runs of bench/deflate_levels.py, 2026-12-01. The collector deflates
 * at the boot after a crash. */
#define ARCHIVE_DEFLATE_LEVEL 5

static int zip_error_to_errno(zip_error_t *e) {
        if (zip_error_system_type(e) == ZIP_ET_SYS && zip_error_code_system(e) > 0)
                return -zip_error_code_system(e);
        switch (zip_error_code_zip(e)) {
        case ZIP_ER_MEMORY:
                return -ENOMEM;
        case ZIP_ER_NOENT:
                return -ENOENT;
        case ZIP_ER_EXISTS:
                return -EEXIST;
        case ZIP_ER_NOZIP:
        case ZIP_ER_INCONS:
        case ZIP_ER_CRC:
                return -EBADMSG;
        default:
                return -EIO;
        }
}

/* Deflates the members into the (empty) buffer source src, which keeps the
 * archive after zip_close(). */
static int archive_build(zip_source_t *src, const ArchiveMember *members, size_t n_members) {
        _cleanup_(zip_discardp) zip_t *z = NULL;
        zip_error_t ze;
        zip_error_init(&ze);
        z = zip_open_from_source(src, ZIP_CREATE | ZIP_TRUNCATE, &ze);
        if (!z) {
                int r = zip_error_to_errno(&ze);
                zip_error_fini(&ze);
                return r;
        }
        zip_error_fini(&ze);
        zip_source_keep(src); /* the archive holds src now; this reference is the caller's */

        for (size_t i = 0; i < n_members; i++) {
                /* The member's bytes are deflated from where they are, not copied. */
                zip_source_t *m = zip_source_buffer(z, members[i].data, members[i].size, 0);
                if (!m)
                        return zip_error_to_errno(zip_get_error(z));
                zip_int64_t idx = zip_file_add(z, members[i].name, m, ZIP_FL_ENC_UTF_8);
                if (idx < 0) {
                        /* The source belongs to us until zip_file_add succeeds. */
                        zip_source_free(m);
                        return zip_error_to_errno(zip_get_error(z));
                }
                if (zip_set_file_compression(z, (zip_uint64_t) idx, ZIP_CM_DEFLATE, ARCHIVE_DEFLATE_LEVEL) < 0)
                        return zip_error_to_errno(zip_get_error(z));
        }
        if (zip_close(z) < 0)
                return zip_error_to_errno(zip_get_error(z));
        z = NULL;
        return 0;
}

static int write_all(int fd, const void *data, size_t size) {
        for (const char *p = data; size > 0;) {
                ssize_t k = write(fd, p, size);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return negative_errno();
                p += k;
                size -= (size_t) k;
        }
        return 0;
}

/* Builds the archive in memory and writes it to fd, then fsyncs it. */
static int archive_write_fd(int fd, const ArchiveMember *members, size_t n_members) {
        zip_error_t ze;
        zip_error_init(&ze);
        _cleanup_(zip_source_freep) zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
        int r = src ? 0 : zip_error_to_errno(&ze);
        zip_error_fini(&ze);
        if (r < 0)
                return r;
        r = archive_build(src, members, n_members);
        if (r < 0)
                return r;
        if (zip_source_open(src) < 0)
                return zip_error_to_errno(zip_source_error(src));
        char buf[65536];
        for (;;) {
                zip_int64_t k = zip_source_read(src, buf, sizeof buf);
                if (k < 0)
                        r = zip_error_to_errno(zip_source_error(src));
                else if (k > 0)
                        r = write_all(fd, buf, (size_t) k);
                if (k <= 0 || r < 0)
                        break;
        }
        zip_source_close(src);
        if (r >= 0 && fsync(fd) < 0)
                r = negative_errno();
        return r;
}

/* Built in memory (the deflated archive, a fraction of its members) and
 * written to a file opened here: libzip writing by path names its temp file
 * with libcrypto's random generator (zip_secure_random()), and initialising
 * OpenSSL 3 for it cost the collector 3.4 MiB resident and more time than
 * the deflate. */
int archive_write(const char *path, const ArchiveMember *members, size_t n_members) {
        int r = failpoint_check("archive-write");
        if (r < 0)
                return r;
        /* libzip writes nothing for an archive without members */
        if (n_members == 0)
                return -EINVAL;
        r = archive_dlopen(NULL);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0)
                return negative_errno();
        r = archive_write_fd(fd, members, n_members);
        /* Its name durable too: a marker written next vouches for this file
         * by name, and a marker that outlived a lost name would say "queued"
         * (POSIX promises the name only with its folder's fsync). */
        if (r >= 0)
                r = fsync_directory_of(path);
        if (r < 0)
                (void) unlink(path);
        return r;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(zip_file_t *, zip_fclose)

static uint16_t le16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p) {
        return (uint32_t) le16(p) | (uint32_t) le16(p + 2) << 16;
}

static uint64_t le64(const uint8_t *p) {
        return (uint64_t) le32(p) | (uint64_t) le32(p + 4) << 32;
}

static int pread_full(int fd, void *buf, size_t n, off_t off) {
        ssize_t k = pread(fd, buf, n, off);
        if (k < 0)
                return negative_errno();
        return (size_t) k == n ? 0 : -EBADMSG;
}

/* The extra fields in p[0, len) (APPNOTE.TXT 4.5.1: a 2-byte id, a 2-byte
 * size, that many bytes), counting one that runs past the end too. */
static unsigned extra_fields(const uint8_t *p, size_t len) {
        unsigned n = 0;
        for (size_t at = 0; len - at >= 4; n++) {
                size_t field = 4 + (size_t) le16(p + at + 2);
                if (field > len - at)
                        return n + 1;
                at += field;
        }
        return n;
}

/* Where the local header of the central directory entry e is: its 32-bit
 * offset, or the ZIP64 extended information's when that says 0xFFFFFFFF
 * (APPNOTE.TXT 4.5.3: the sizes before it, each only when its own field
 * says 0xFFFFFFFF); false when it cannot be told. */
static bool local_header_offset(const uint8_t *e, uint64_t *ret) {
        uint64_t offset = le32(e + 42);
        if (offset != 0xffffffff) {
                *ret = offset;
                return true;
        }
        const uint8_t *extra = e + 46 + le16(e + 28);
        size_t extra_len = le16(e + 30), skip = 8 * ((le32(e + 24) == 0xffffffff) + (le32(e + 20) == 0xffffffff));
        for (size_t at = 0; extra_len - at >= 4;) {
                size_t size = le16(extra + at + 2);
                if (4 + size > extra_len - at)
                        return false;
                if (le16(extra + at) == 0x0001 && size >= skip + 8) {
                        *ret = le64(extra + at + 4 + skip);
                        return true;
                }
                at += 4 + size;
        }
        return false;
}

/* The entries libzip reads from the directory of size bytes at offset, and
 * whether it may: -E2BIG when an entry has more than ARCHIVE_MAX_EXTRA_FIELDS
 * extra fields, its own and its local header's together, or the entries'
 * extra fields, counted so, more than ARCHIVE_MAX_DIRECTORY bytes. libzip reads a
 * plain (not ZIP64) directory past its record's count while there are bytes
 * for another entry (InfoZIP writes the count modulo 65536: 69,632 members
 * counted as 4,096 took 24 MB; review), a ZIP64 one up to its count, each
 * entry a "PK\1\2" header of 46 bytes and its name, extra field and comment
 * (APPNOTE.TXT 4.3.12); it stops at one that is not. It makes an item of
 * every extra field, and with ZIP_CHECKCONS merges the local header's into
 * the entry's, one against all the other's: 4,096 entries of one local
 * header with 16,383 empty fields, a ZIP of 258 KB, took 2.1 GB and 29 s
 * (review). A local header that cannot be read is libzip's to refuse. */
static int directory_entries(int fd, uint64_t offset, uint64_t size, bool zip64, uint64_t count, uint64_t *ret) {
        /* (and the bytes of all those fields together: each is copied, one
         * local header's for every entry that names it) */
        uint64_t extra_bytes = 0;
        enum { ENTRY = 46, LOCAL = 30 };
        _cleanup_free_ uint8_t *dir = malloc(size);
        _cleanup_free_ uint8_t *local = malloc(LOCAL + 0xffff);
        if (!dir || !local)
                return -ENOMEM;
        int r = pread_full(fd, dir, size, (off_t) offset);
        if (r < 0)
                return r;
        uint64_t n = 0;
        for (uint64_t at = 0; size - at >= ENTRY && memcmp(dir + at, "PK\1\2", 4) == 0 && (!zip64 || n < count); n++) {
                const uint8_t *e = dir + at;
                uint64_t len = ENTRY + (uint64_t) le16(e + 28) + le16(e + 30) + le16(e + 32);
                if (len > size - at)
                        break;
                unsigned fields = extra_fields(e + ENTRY + le16(e + 28), le16(e + 30));
                extra_bytes += le16(e + 30);
                uint64_t local_at;
                if (local_header_offset(e, &local_at) &&
                    pread_full(fd, local, LOCAL, (off_t) local_at) >= 0 && memcmp(local, "PK\3\4", 4) == 0) {
                        size_t name = le16(local + 26), extra = le16(local + 28);
                        if (extra > 0 && pread_full(fd, local, extra, (off_t) (local_at + LOCAL + name)) >= 0) {
                                fields += extra_fields(local, extra);
                                extra_bytes += extra;
                        }
                }
                if (fields > ARCHIVE_MAX_EXTRA_FIELDS || extra_bytes > ARCHIVE_MAX_DIRECTORY)
                        return -E2BIG;
                at += len;
        }
        *ret = n;
        return 0;
}

/* The number of entries and the size of the central directory of the file
 * fd (st: its stat, taken when it was opened), from its end of central
 * directory record (or, when a ZIP64 locator precedes it, from the ZIP64
 * end record it points to, as libzip reads them: the plain
 * record's fields are then 0xFFFF and 0xFFFFFFFF markers and not read):
 * what libzip would load into memory in zip_open(), known before it does.
 * libzip reads the directory of every end record in the file's last 64 KiB
 * whose directory ends before that record (and keeps the most consistent):
 * a file with more than one is refused, -E2BIG when one of them is too
 * large (a huge directory behind a small end record appended after it, in
 * the first one's comment, is still seen). A record
 * skipped here must be one libzip refuses before reading its directory:
 * a ZIP64 one was skipped because its markers were taken as its size, and a
 * million-member ZIP64 with a small record after it took root's `kcrashctl
 * list` to 300 MB (review). The format: APPNOTE.TXT 4.3.14-4.3.16. */
static int archive_directory_size(int fd, const struct stat *st, uint64_t *ret_entries, uint64_t *ret_size) {
        /* EOCD (22 bytes) + comment (< 64 KiB), preceded by the ZIP64 locator (20 bytes). */
        enum { EOCD = 22, LOCATOR = 20, ZIP64_EOCD = 56, TAIL = EOCD + 0xffff + LOCATOR };
        if (st->st_size < EOCD)
                return -EBADMSG;
        size_t n = (size_t) MIN((uint64_t) st->st_size, (uint64_t) TAIL);
        _cleanup_free_ uint8_t *tail = malloc(n);
        if (!tail)
                return -ENOMEM;
        int r = pread_full(fd, tail, n, st->st_size - (off_t) n);
        if (r < 0)
                return r;
        uint64_t base = (uint64_t) st->st_size - n, max_entries = 0, max_size = 0;
        /* the one record libzip may read: its directory */
        uint64_t dir_offset = 0, dir_size = 0, dir_entries = 0;
        bool dir_zip64 = false;
        unsigned found = 0;
        for (size_t i = n - EOCD + 1; i-- > 0;) {
                if (memcmp(tail + i, "PK\5\6", 4) != 0 || i + EOCD + le16(tail + i + 20) > n)
                        continue;
                uint64_t entries = le16(tail + i + 10), size = le32(tail + i + 12), offset = le32(tail + i + 16);
                bool zip64 = false;
                if (i >= LOCATOR && memcmp(tail + i - LOCATOR, "PK\6\7", 4) == 0) {
                        uint8_t z64[ZIP64_EOCD];
                        uint64_t off = le64(tail + i - LOCATOR + 8);
                        if (off > (uint64_t) st->st_size - ZIP64_EOCD)
                                return -EBADMSG;
                        r = pread_full(fd, z64, sizeof z64, (off_t) off);
                        if (r < 0)
                                return r;
                        if (memcmp(z64, "PK\6\6", 4) != 0)
                                return -EBADMSG;
                        entries = le64(z64 + 32);
                        size = le64(z64 + 40);
                        offset = le64(z64 + 48);
                        zip64 = true;
                }
                /* a directory that would end past its record: libzip refuses
                 * it before reading it (and bytes of a member's data that
                 * happen to read "PK\5\6" mostly say so) */
                if (offset > base + i || size > base + i - offset)
                        continue;
                max_entries = MAX(max_entries, entries);
                max_size = MAX(max_size, size);
                dir_offset = offset;
                dir_size = size;
                dir_entries = entries;
                dir_zip64 = zip64;
                found++;
        }
        if (found == 0)
                return -EBADMSG;
        /* More than one: libzip reads each, and checks the consistency of the
         * one it keeps again for each next one, a read of every member's
         * local header each time: 900 end records, each in the comment of
         * the one before, and a directory of 4,096 members, a ZIP of
         * 254 KB, took a device's Finish 49 s of the receiver's CPU
         * (review). A ZIP writer writes one; refused before any is read
         * (-E2BIG when one is too large anyway, as below). */
        if (found > 1)
                return max_entries > ARCHIVE_MAX_MEMBERS || max_size > ARCHIVE_MAX_DIRECTORY ? -E2BIG : -EBADMSG;
        /* what libzip reads of it, when it is not too large anyway */
        if (dir_entries <= ARCHIVE_MAX_MEMBERS && dir_size <= ARCHIVE_MAX_DIRECTORY) {
                uint64_t walked;
                r = directory_entries(fd, dir_offset, dir_size, dir_zip64, dir_entries, &walked);
                if (r < 0)
                        return r;
                max_entries = MAX(max_entries, walked);
        }
        *ret_entries = max_entries;
        *ret_size = max_size;
        return 0;
}

/* Opens a ZIP for reading, refusing (-E2BIG) one whose central directory is
 * larger than ARCHIVE_MAX_MEMBERS entries or ARCHIVE_MAX_DIRECTORY bytes:
 * libzip holds the whole directory in memory (an 86 MiB ZIP of a million
 * empty members took ~600 MB). */
static int archive_open_read(const char *zip_path, ArchiveReadFlags flags, zip_t **ret) {
        int r = archive_dlopen(NULL);
        if (r < 0)
                return r;
        /* ZIPs are read from folders other users write (the queue is the
         * uploader's): a regular file only, never through a symlink, never
         * blocking on a FIFO. */
        struct stat st;
        _cleanup_close_ int fd = open_regular_at(AT_FDCWD, zip_path, O_NOFOLLOW, &st);
        if (fd < 0)
                return fd;
        /* (the file opened, not what the path names by now) */
        if ((flags & ARCHIVE_TRUSTED) && !stat_is_trusted(&st))
                return -EPERM;
        uint64_t entries, dir_size;
        r = archive_directory_size(fd, &st, &entries, &dir_size);
        if (r < 0)
                return r;
        if (entries > ARCHIVE_MAX_MEMBERS || dir_size > ARCHIVE_MAX_DIRECTORY)
                return -E2BIG;

        /* The same file that was measured, not whatever is at the path now. */
        FILE *f = fdopen(fd, "rb");
        if (!f)
                return negative_errno();
        fd = -1; /* the FILE owns it */
        zip_error_t ze;
        zip_error_init(&ze);
        _cleanup_(zip_source_freep) zip_source_t *src = zip_source_filep_create(f, 0, -1, &ze);
        if (!src) {
                (void) fclose(f);
                r = zip_error_to_errno(&ze);
                zip_error_fini(&ze);
                return r;
        }
        zip_t *z = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
        if (!z) {
                r = zip_error_to_errno(&ze);
                zip_error_fini(&ze);
                return r;
        }
        TAKE_PTR(src);
        zip_error_fini(&ze);
        *ret = z;
        return 0;
}

int archive_read_member_flags(const char *zip_path, ArchiveReadFlags flags, const char *member, size_t max_size,
                              char **ret_data, size_t *ret_size) {
        _cleanup_(zip_discardp) zip_t *z = NULL;
        _cleanup_(zip_fclosep) zip_file_t *f = NULL;
        _cleanup_free_ char *buf = NULL;
        zip_stat_t st;
        int r;

        r = archive_open_read(zip_path, flags, &z);
        if (r < 0)
                return r;
        zip_stat_init(&st);
        if (zip_stat(z, member, 0, &st) < 0)
                return -ENOENT;
        if (!(st.valid & ZIP_STAT_SIZE))
                return -EBADMSG;
        if (st.size > max_size)
                return -EFBIG;
        buf = malloc(st.size + 1);
        if (!buf)
                return -ENOMEM;
        f = zip_fopen(z, member, 0);
        if (!f)
                return zip_error_to_errno(zip_get_error(z));
        zip_uint64_t got = 0;
        while (got < st.size) {
                zip_int64_t k = zip_fread(f, buf + got, st.size - got);
                if (k < 0)
                        return zip_error_to_errno(zip_file_get_error(f));
                if (k == 0)
                        return -EBADMSG;
                got += (zip_uint64_t) k;
        }
        buf[got] = 0;
        *ret_data = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = got;
        return 0;
}

void strv_free(char **l) {
        if (!l)
                return;
        for (char **p = l; *p; p++)
                free(*p);
        free(l);
}

/* (the text names the limits) */
_Static_assert(ARCHIVE_MAX_MEMBERS == 4096 && ARCHIVE_MAX_DIRECTORY == 4u << 20 && ARCHIVE_MAX_EXTRA_FIELDS == 32,
               "archive_strerror() names the limits");

const char *archive_strerror(int error) {
        if (error == -E2BIG)
                return "its central directory lists more than 4096 members or 4 MiB, or its members more than "
                       "32 extra fields each or 4 MiB of them, which is not read (kcrash writes a handful of "
                       "members, with few)";
        if (error == -EBADMSG)
                return "not a ZIP file that can be read";
        if (error == -EPERM)
                return "root did not write it (its owner, links or mode say another user did), so it is not read";
        return strerror(-error);
}

int archive_read_member(const char *zip_path, const char *member, size_t max_size, char **ret_data,
                        size_t *ret_size) {
        return archive_read_member_flags(zip_path, 0, member, max_size, ret_data, ret_size);
}

int archive_list_members_flags(const char *zip_path, ArchiveReadFlags flags, char ***ret_names) {
        _cleanup_(zip_discardp) zip_t *z = NULL;
        int r = archive_open_read(zip_path, flags, &z);
        if (r < 0)
                return r;
        zip_int64_t n = zip_get_num_entries(z, 0);
        if (n < 0)
                return -EBADMSG;
        char **names = calloc((size_t) n + 1, sizeof(char *));
        if (!names)
                return -ENOMEM;
        for (zip_int64_t i = 0; i < n; i++) {
                const char *name = zip_get_name(z, (zip_uint64_t) i, ZIP_FL_ENC_GUESS);
                names[i] = strdup(name ? name : "");
                if (!names[i]) {
                        strv_free(names);
                        return -ENOMEM;
                }
        }
        *ret_names = names;
        return 0;
}

int archive_list_members(const char *zip_path, char ***ret_names) {
        return archive_list_members_flags(zip_path, 0, ret_names);
}

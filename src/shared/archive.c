/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "archive.h"
#include "failpoint.h"
#include "fileio.h"
#include "macro.h"

/* zip_discard never writes; zip_close would commit a half-built archive. */
DEFINE_TRIVIAL_CLEANUP_FUNC(zip_t *, zip_discard)

/* zlib's default level: on kernel logs level 9 made a 2 MiB record take
 * 2.6x as long as the shell baseline, for files only 0.2 % smaller (measured
 * with zlib over every fixture log: 250766 vs 251321 bytes). */
#define ARCHIVE_DEFLATE_LEVEL 6

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

int archive_write(const char *path, const ArchiveMember *members, size_t n_members) {
        _cleanup_(zip_discardp) zip_t *z = NULL;
        int err = 0, r;

        r = failpoint_check("archive-write");
        if (r < 0)
                return r;

        z = zip_open(path, ZIP_CREATE | ZIP_EXCL, &err);
        if (!z) {
                zip_error_t ze;
                zip_error_init_with_code(&ze, err);
                r = zip_error_to_errno(&ze);
                zip_error_fini(&ze);
                return r;
        }

        for (size_t i = 0; i < n_members; i++) {
                zip_source_t *src = zip_source_buffer(z, members[i].data, members[i].size, 0);
                if (!src)
                        return zip_error_to_errno(zip_get_error(z));
                zip_int64_t idx = zip_file_add(z, members[i].name, src, ZIP_FL_ENC_UTF_8);
                if (idx < 0) {
                        /* The source belongs to us until zip_file_add succeeds. */
                        zip_source_free(src);
                        return zip_error_to_errno(zip_get_error(z));
                }
                if (zip_set_file_compression(z, (zip_uint64_t) idx, ZIP_CM_DEFLATE, ARCHIVE_DEFLATE_LEVEL) < 0)
                        return zip_error_to_errno(zip_get_error(z));
        }

        /* zip_close writes a temp file next to path and renames it into place. */
        if (zip_close(z) < 0) {
                r = zip_error_to_errno(zip_get_error(z));
                (void) unlink(path);
                return r;
        }
        z = NULL;

        r = fsync_path(path);
        if (r < 0) {
                (void) unlink(path);
                return r;
        }
        return 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(zip_file_t *, zip_fclose)

/* ZIPs are read from folders other users write (the queue is the
 * uploader's): a regular file only, never through a symlink, never blocking
 * on a FIFO. */
static int archive_open_read(const char *zip_path, zip_t **ret) {
        int err = 0;
        int fd = open(zip_path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return errno == ELOOP ? -EPERM : negative_errno();
        struct stat st;
        int r = fstat(fd, &st) < 0 ? negative_errno() : S_ISDIR(st.st_mode) ? -EISDIR : !S_ISREG(st.st_mode) ? -EBADFD : 0;
        if (r < 0) {
                close(fd);
                return r;
        }
        zip_t *z = zip_fdopen(fd, ZIP_CHECKCONS, &err); /* owns fd from here on success */
        if (!z)
                close(fd);
        if (!z) {
                zip_error_t ze;
                zip_error_init_with_code(&ze, err);
                r = zip_error_to_errno(&ze);
                zip_error_fini(&ze);
                return r;
        }
        *ret = z;
        return 0;
}

int archive_read_member(const char *zip_path, const char *member, size_t max_size, char **ret_data,
                        size_t *ret_size) {
        _cleanup_(zip_discardp) zip_t *z = NULL;
        _cleanup_(zip_fclosep) zip_file_t *f = NULL;
        _cleanup_free_ char *buf = NULL;
        zip_stat_t st;
        int r;

        r = archive_open_read(zip_path, &z);
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

int archive_list_members(const char *zip_path, char ***ret_names) {
        _cleanup_(zip_discardp) zip_t *z = NULL;
        int r = archive_open_read(zip_path, &z);
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

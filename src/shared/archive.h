/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "macro.h"

/* ZIP reading and writing; the only module that includes zip.h. libzip is
 * loaded on the first call (dlopen-util.h): every function returns
 * -EOPNOTSUPP or -ELIBBAD when it cannot be; archive_dlopen() loads it ahead
 * and says why not. */

/* Loads libzip now: 0, or -EOPNOTSUPP/-ELIBBAD with *reterr_message naming
 * the library and the cause. */
int archive_dlopen(const char **reterr_message);

typedef struct ArchiveMember {
        const char *name;
        const void *data;
        size_t size;
} ArchiveMember;

/* Writes a new ZIP at path (which must not exist) holding the members,
 * deflated. The file is complete and fsynced when this returns 0; on failure
 * nothing is left at path. */
int archive_write(const char *path, const ArchiveMember *members, size_t n_members);

/* Readers refuse (-E2BIG) a ZIP whose central directory holds more members or
 * bytes than this, before reading it: libzip keeps the whole directory in
 * memory. kcrash's own ZIPs hold a handful of members. */
#define ARCHIVE_MAX_MEMBERS 4096u
#define ARCHIVE_MAX_DIRECTORY (4u << 20)
/* ...or a member with more extra fields than this, its central directory
 * entry's and its local header's together (or members with more than
 * ARCHIVE_MAX_DIRECTORY bytes of them): libzip copies each into an item of
 * its own and merges the two lists one field against all the other's. A ZIP
 * writer puts a few there (times, ZIP64 sizes, owner ids). */
#define ARCHIVE_MAX_EXTRA_FIELDS 32u

/* What a reader asks of the file besides being a ZIP it can read. */
typedef enum ArchiveReadFlags {
        /* Only a file root wrote: root's (or ours, on a fake root), one
         * link, writable by its owner only (stat_is_trusted()), checked on
         * the file opened; else -EPERM. For root's readers of the queue,
         * which the uploader's account can write too: a ZIP it made there
         * is listed, never parsed by root nor taken as root's report. */
        ARCHIVE_TRUSTED = 1 << 0,
} ArchiveReadFlags;

/* Reads one member of a ZIP into memory (NUL-terminated); -ENOENT when the
 * member does not exist, -EFBIG when it is larger than max_size, -EBADMSG when
 * the file is not a readable ZIP, -E2BIG when its directory is too large. */
int archive_read_member(const char *zip_path, const char *member, size_t max_size, char **ret_data,
                        size_t *ret_size);
int archive_read_member_flags(const char *zip_path, ArchiveReadFlags flags, const char *member, size_t max_size,
                              char **ret_data, size_t *ret_size);

/* Lists member names (a NULL-terminated array of at most ARCHIVE_MAX_MEMBERS
 * strings, free with strv_free); -E2BIG when the directory is too large. */
int archive_list_members(const char *zip_path, char ***ret_names);
int archive_list_members_flags(const char *zip_path, ArchiveReadFlags flags, char ***ret_names);
/* What a reader's error means for the user, for those a ZIP's own bytes
 * or its file cause (-E2BIG, -EBADMSG, -EPERM); strerror()'s text for the
 * others. */
const char *archive_strerror(int error);
void strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free)

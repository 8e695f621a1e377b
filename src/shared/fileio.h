/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Reads a whole file (at most max_size bytes, else -EFBIG) and NUL-terminates the buffer. */
int read_full_file(const char *path, size_t max_size, char **ret_data, size_t *ret_size);
int read_full_fd(int fd, size_t max_size, char **ret_data, size_t *ret_size);
/* The target of a symlink (dir_fd may be AT_FDCWD); -EINVAL when path is
 * not one. */
int readlinkat_malloc(int dir_fd, const char *path, char **ret);

/* Opens a regular file for reading without blocking (O_NONBLOCK: a FIFO or
 * device put where a file belongs can neither hang the reader nor feed it
 * forever): -EISDIR for a directory, -EBADFD for anything else that is not a
 * regular file, -EPERM for a symlink when flags hold O_NOFOLLOW. Returns the
 * fd; ret_st (may be NULL) gets its stat. */
int open_regular_at(int dir_fd, const char *path, int flags, struct stat *ret_st);
/* The same for a file another user can write or replace: a symlink in the
 * last component is refused (-EPERM). Both read regular files only: a FIFO
 * or device is -EBADFD, a directory -EISDIR, and neither blocks. */
int read_full_file_nofollow(const char *path, size_t max_size, char **ret_data, size_t *ret_size);
/* The same for root's own state (.kcrash/: markers, salt, boot records):
 * besides no symlink and regular files only, the file must be root's (or
 * ours, for a fake root), writable by its owner only and have one link; else
 * -EPERM. An older layout let the uploader's group write .kcrash/, so what
 * it planted there before an upgrade is still around and must not count. */
int read_full_file_trusted(const char *path, size_t max_size, char **ret_data, size_t *ret_size);
/* The same, path relative to dir_fd (AT_FDCWD: as above). */
int read_full_file_trusted_at(int dir_fd, const char *path, size_t max_size, char **ret_data, size_t *ret_size);
/* Owned by root, or by us (an unprivileged run on a fake root). */
bool stat_owned_by_us(const struct stat *st);
/* Only root (or we) can change what is in the folder st describes: ours,
 * not writable by group or others. */
bool dir_stat_trusted(const struct stat *st);
/* A symlink (link) the system made, in a folder (dir) only root can
 * change: root's (or ours), and its folder too, not writable by others. A
 * root-owned link in a user's folder is the user's to have put there (a
 * hard link to it, with fs.protected_hardlinks=0). */
bool link_stat_trusted(const struct stat *link, const struct stat *dir);
/* What read_full_file_trusted() asks of a file's owner, links and mode. */
bool stat_is_trusted(const struct stat *st);
/* A walk of a path one name at a time, at the symlink name in dir_fd with
 * rest the part of the path after it: the path to walk on ("target/rest"),
 * and whether it starts from the root (an absolute target) rather than
 * from dir_fd. */
int walk_through_link(int dir_fd, const char *name, const char *rest, char **ret_path, bool *ret_absolute);
/* Reads a file in a user's folder (loginusers.vdf in the desktop user's home)
 * the way that user could, from a root process: walking the path one
 * component at a time from root (NULL = /) with O_NOFOLLOW, following a
 * symlink only where it lies in a folder nobody but root (or us) can write,
 * so a user's link cannot send it to a root-only file; in a folder owned by
 * another user the file must be owned by that user (a root-owned hard link
 * is refused). Regular files only, never blocking (a FIFO is -EBADFD), at
 * most max_size bytes. */
int read_user_file(const char *root, const char *path, size_t max_size, char **ret_data, size_t *ret_size);

/* A file larger than max_size, cut to fit: its first line (a pstore header,
 * when shorter than 256 bytes), a line saying how many bytes were cut, then
 * as much of its end as fits (the end of a kernel log holds the crash).
 * The result is at most max_size bytes (at least 1024 is needed). */
int read_cut_fd(int fd, uint64_t file_size, size_t max_size, char **ret_data, size_t *ret_size, uint64_t *ret_cut);

/* First line of a file, without the newline (sysfs attributes). */
int read_one_line_file(const char *path, char **ret_line);

/* Writes data durably: temp file in the same directory, fsync, rename over path, fsync directory. */
int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode);
/* The same without the fsyncs: a reader sees the old content or the new, but
 * after a power loss either may be there (or none, for a new file). For what
 * a lost write only makes slower, never wrong. */
int write_file_replace(const char *path, const void *data, size_t size, mode_t mode);
/* Creates path (never an existing name: -EEXIST) and writes data durably in
 * place: one journal commit where write_file_atomic() takes two (its temp
 * file's, then the rename's). Until the fsync returns, a reader or a power
 * loss may find the file empty or short: for files whose readers skip one
 * they cannot parse. On failure the name is removed. */
int write_file_new(const char *path, const void *data, size_t size, mode_t mode);
/* Durable rename: fsyncs the source file, renames, fsyncs both directories. */
int rename_durable(const char *from, const char *to);
int fsync_directory_of(const char *path);
int fsync_path(const char *path);

int mkdir_p(const char *path, mode_t mode);
/* Removes a directory tree (files and subdirectories); missing is not an
 * error. Symlinks are removed, never followed, at any level. */
int rm_rf(const char *path);
int rm_rf_at(int dir_fd, const char *name);

/* Joins path components with exactly one '/' between them; NULL on OOM. */
char *path_join(const char *a, const char *b);
/* Prefixes an absolute path with root ("" or NULL root means "/"). */
char *path_in_root(const char *root, const char *path);
const char *path_basename(const char *path);

bool file_exists(const char *path);
bool dir_is_empty(const char *path);

/* Writes to a temp file and returns its name, for callers that build a file incrementally. */
int tempfile_in(const char *dir, const char *prefix, int *ret_fd, char **ret_path);

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

/* A DIR that reads the directory dir_fd is open on, through a duplicate of
 * it, so that the caller keeps dir_fd for the *at() calls on its entries. */
int dir_read_dup(int dir_fd, DIR **ret);

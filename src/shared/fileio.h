/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Reads a whole file (at most max_size bytes, else -EFBIG) and NUL-terminates the buffer. */
int read_full_file(const char *path, size_t max_size, char **ret_data, size_t *ret_size);
int read_full_fd(int fd, size_t max_size, char **ret_data, size_t *ret_size);
/* First line of a file, without the newline (sysfs attributes). */
int read_one_line_file(const char *path, char **ret_line);

/* Writes data durably: temp file in the same directory, fsync, rename over path, fsync directory. */
int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode);
/* Durable rename: fsyncs the source file, renames, fsyncs both directories. */
int rename_durable(const char *from, const char *to);
int fsync_directory_of(const char *path);
int fsync_path(const char *path);

int mkdir_p(const char *path, mode_t mode);
/* Removes a directory tree (files and subdirectories); missing is not an error. */
int rm_rf(const char *path);

/* Joins path components with exactly one '/' between them; NULL on OOM. */
char *path_join(const char *a, const char *b);
/* Prefixes an absolute path with root ("" or NULL root means "/"). */
char *path_in_root(const char *root, const char *path);
const char *path_basename(const char *path);

bool file_exists(const char *path);
bool dir_is_empty(const char *path);

/* Writes to a temp file and returns its name, for callers that build a file incrementally. */
int tempfile_in(const char *dir, const char *prefix, int *ret_fd, char **ret_path);

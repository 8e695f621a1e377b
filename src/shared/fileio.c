/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "failpoint.h"
#include "fileio.h"

int read_full_fd(int fd, size_t max_size, char **ret_data, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0;

        for (;;) {
                if (alloc - size < 4096 + 1) {
                        size_t n = alloc ? alloc * 2 : 16384;
                        if (n > max_size + 4096 + 1)
                                n = max_size + 4096 + 1;
                        if (n <= alloc)
                                return -EFBIG;
                        char *p = realloc(buf, n);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        alloc = n;
                }
                ssize_t k = read(fd, buf + size, alloc - size - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                size += (size_t) k;
                if (size > max_size)
                        return -EFBIG;
        }
        if (!buf) {
                buf = malloc(1);
                if (!buf)
                        return -ENOMEM;
        }
        buf[size] = 0;
        *ret_data = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

int read_full_file(const char *path, size_t max_size, char **ret_data, size_t *ret_size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        return read_full_fd(fd, max_size, ret_data, ret_size);
}

int read_one_line_file(const char *path, char **ret_line) {
        _cleanup_free_ char *data = NULL;
        int r = read_full_file(path, 64 * 1024, &data, NULL);
        if (r < 0)
                return r;
        data[strcspn(data, "\n")] = 0;
        *ret_line = TAKE_PTR(data);
        return 0;
}

static int fsync_fd_dir(const char *dir) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (fsync(fd) < 0)
                return negative_errno();
        return 0;
}

int fsync_directory_of(const char *path) {
        _cleanup_free_ char *dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        char *slash = strrchr(dir, '/');
        if (!slash)
                return fsync_fd_dir(".");
        if (slash == dir)
                slash[1] = 0;
        else
                *slash = 0;
        return fsync_fd_dir(dir);
}

int fsync_path(const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        if (fsync(fd) < 0)
                return negative_errno();
        return 0;
}

int tempfile_in(const char *dir, const char *prefix, int *ret_fd, char **ret_path) {
        _cleanup_free_ char *p = NULL;
        if (asprintf(&p, "%s/.#%sXXXXXX", dir, prefix) < 0)
                return -ENOMEM;
        int fd = mkostemp(p, O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        *ret_fd = fd;
        *ret_path = TAKE_PTR(p);
        return 0;
}

static int write_all(int fd, const void *data, size_t size) {
        const char *p = data;
        while (size > 0) {
                ssize_t k = write(fd, p, size);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                p += k;
                size -= (size_t) k;
        }
        return 0;
}

int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode) {
        _cleanup_free_ char *dir = strdup(path), *tmp = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        if (!dir)
                return -ENOMEM;
        char *slash = strrchr(dir, '/');
        if (slash)
                *slash = 0;
        r = tempfile_in(slash ? (dir[0] ? dir : "/") : ".", path_basename(path), &fd, &tmp);
        if (r < 0)
                return r;
        r = failpoint_check("write-atomic");
        if (r >= 0)
                r = write_all(fd, data, size);
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = negative_errno();
        if (r >= 0 && fsync(fd) < 0)
                r = negative_errno();
        if (r >= 0 && rename(tmp, path) < 0)
                r = negative_errno();
        if (r < 0) {
                (void) unlink(tmp);
                return r;
        }
        r = failpoint_check("write-atomic-renamed");
        if (r < 0)
                return r;
        return fsync_directory_of(path);
}

int rename_durable(const char *from, const char *to) {
        int r = fsync_path(from);
        if (r < 0)
                return r;
        r = failpoint_check("rename-durable");
        if (r < 0)
                return r;
        if (rename(from, to) < 0)
                return negative_errno();
        r = failpoint_check("rename-durable-renamed");
        if (r < 0)
                return r;
        r = fsync_directory_of(to);
        if (r < 0)
                return r;
        return fsync_directory_of(from);
}

int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return negative_errno();
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

int rm_rf(const char *path) {
        struct stat st;
        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        if (!S_ISDIR(st.st_mode))
                return RET_NERRNO(unlink(path)) < 0 ? negative_errno() : 0;

        DIR *d = opendir(path);
        if (!d)
                return negative_errno();
        int r = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                _cleanup_free_ char *child = path_join(path, de->d_name);
                if (!child) {
                        r = -ENOMEM;
                        break;
                }
                r = rm_rf(child);
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r < 0)
                return r;
        if (rmdir(path) < 0)
                return negative_errno();
        return 0;
}

char *path_join(const char *a, const char *b) {
        char *p;
        size_t la = strlen(a);
        while (la > 0 && a[la - 1] == '/')
                la--;
        while (*b == '/')
                b++;
        if (asprintf(&p, "%.*s/%s", (int) la, a, b) < 0)
                return NULL;
        return p;
}

char *path_in_root(const char *root, const char *path) {
        if (isempty(root) || streq(root, "/"))
                return strdup(path);
        return path_join(root, path);
}

const char *path_basename(const char *path) {
        const char *s = strrchr(path, '/');
        return s ? s + 1 : path;
}

bool file_exists(const char *path) {
        return access(path, F_OK) >= 0;
}

bool dir_is_empty(const char *path) {
        DIR *d = opendir(path);
        if (!d)
                return true;
        struct dirent *de;
        bool empty = true;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
                        empty = false;
                        break;
                }
        closedir(d);
        return empty;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "failpoint.h"
#include "fileio.h"

/* The buffer of a file read at once, in transparent huge pages where it
 * fills them: a fresh 2 MiB buffer is otherwise 512 page faults as the read
 * fills it, 5.6 ms on the nested guest the benchmarks run on (11 us a
 * fault; 0.1 ms as one huge page), where the collector of a 2 MiB pstore
 * record took 58 ms in all. Whole 2 MiB pages are advised, and the last,
 * partial one only when the buffer fills three quarters of it (at most
 * 0.5 MiB more resident); below 1.5 MiB, plain malloc(). Freed with free(). */
static void *file_buffer_alloc(size_t size) {
        const size_t huge = (size_t) 2 << 20;
        if (size < huge / 4 * 3 || size > SIZE_MAX - huge)
                return malloc(size);
        size_t whole = size & ~(huge - 1), tail = size - whole;
        size_t advised = tail >= huge / 4 * 3 ? whole + huge : whole;
        void *p;
        if (posix_memalign(&p, huge, MAX(size, advised)) != 0)
                return NULL;
        if (advised > 0)
                (void) madvise(p, advised, MADV_HUGEPAGE); /* a hint: without THP, plain pages */
        return p;
}

/* As read_full_fd(), with the fd's stat when the caller has it (NULL: asked
 * here): one fstat() per file read, not two. */
static int read_full_fd_stat(int fd, const struct stat *known, size_t max_size, char **ret_data, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0;
        struct stat own;
        const struct stat *st = known ? known : fstat(fd, &own) >= 0 ? &own : NULL;

        /* A regular file is read into a buffer of its size (+ one byte to see
         * the end, + the NUL): a 2 MiB pstore record took a 4 MiB buffer and
         * a copy per doubling. The buffer still grows when the file does, or
         * when its size says nothing (procfs, pipes). */
        if (st && S_ISREG(st->st_mode) && st->st_size > 0 && (uint64_t) st->st_size <= max_size &&
            (uint64_t) st->st_size < SIZE_MAX - 2) {
                alloc = (size_t) st->st_size + 2;
                buf = file_buffer_alloc(alloc);
                if (!buf)
                        return -ENOMEM;
        }
        for (;;) {
                if (alloc - size < 2) {
                        /* Up to max_size + 1 bytes: one more than allowed says -EFBIG. */
                        size_t n = alloc ? alloc * 2 : 16384, cap = max_size > SIZE_MAX - 2 ? SIZE_MAX : max_size + 2;
                        if (n > cap || n < alloc)
                                n = cap;
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

int read_full_fd(int fd, size_t max_size, char **ret_data, size_t *ret_size) {
        return read_full_fd_stat(fd, NULL, max_size, ret_data, ret_size);
}

int readlinkat_malloc(int dir_fd, const char *path, char **ret) {
        char target[PATH_MAX];
        ssize_t k = readlinkat(dir_fd, path, target, sizeof target - 1);
        if (k < 0)
                return negative_errno();
        target[k] = 0;
        char *s = strdup(target);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int open_regular_at(int dir_fd, const char *path, int flags, struct stat *ret_st) {
        int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | flags);
        if (fd < 0) {
                if (errno == ELOOP && (flags & O_NOFOLLOW))
                        return -EPERM;
                /* A socket (or a device node without its device) cannot be
                 * opened at all: not a regular file either, and no error that
                 * passes (a kdump side file that is one held its capture
                 * back at every boot: attack review). */
                if (errno == ENXIO)
                        return -EBADFD;
                return negative_errno();
        }
        struct stat st;
        int r = fstat(fd, &st) < 0 ? negative_errno() : S_ISDIR(st.st_mode) ? -EISDIR : !S_ISREG(st.st_mode) ? -EBADFD : 0;
        if (r < 0) {
                close(fd);
                return r;
        }
        if (ret_st)
                *ret_st = st;
        return fd;
}

static int read_regular_file(const char *path, int extra_flags, size_t max_size, char **ret_data, size_t *ret_size) {
        struct stat st;
        _cleanup_close_ int fd = open_regular_at(AT_FDCWD, path, extra_flags, &st);
        if (fd < 0)
                return fd;
        return read_full_fd_stat(fd, &st, max_size, ret_data, ret_size);
}

int walk_through_link(int dir_fd, const char *name, const char *rest, char **ret_path, bool *ret_absolute) {
        _cleanup_free_ char *target = NULL;
        int r = readlinkat_malloc(dir_fd, name, &target);
        if (r < 0)
                return r;
        char *path;
        if (asprintf(&path, "%s/%s", target, rest) < 0)
                return -ENOMEM;
        *ret_path = path;
        *ret_absolute = target[0] == '/';
        return 0;
}

bool stat_owned_by_us(const struct stat *st) {
        return st->st_uid == 0 || st->st_uid == geteuid();
}

bool dir_stat_trusted(const struct stat *st) {
        return stat_owned_by_us(st) && !(st->st_mode & 0022);
}

bool link_stat_trusted(const struct stat *link, const struct stat *dir) {
        return stat_owned_by_us(link) && dir_stat_trusted(dir);
}

int read_user_file(const char *root, const char *path, size_t max_size, char **ret_data, size_t *ret_size) {
        _cleanup_free_ char *todo = strdup(path);
        _cleanup_close_ int root_fd = open(isempty(root) ? "/" : root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        unsigned hops = 0;
        if (!todo)
                return -ENOMEM;
        if (root_fd < 0)
                return negative_errno();
        _cleanup_close_ int dir_fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
        if (dir_fd < 0)
                return negative_errno();
        char *p = todo;
        for (;;) {
                struct stat dir_st;
                if (fstat(dir_fd, &dir_st) < 0)
                        return negative_errno();
                while (*p == '/')
                        p++;
                if (!*p)
                        return -EISDIR;
                char *slash = strchrnul(p, '/');
                bool last = true;
                for (const char *q = slash; *q; q++)
                        if (*q != '/') {
                                last = false;
                                break;
                        }
                _cleanup_free_ char *comp = strndup(p, (size_t) (slash - p));
                if (!comp)
                        return -ENOMEM;
                p = slash;
                if (streq(comp, ".."))
                        return -EPERM; /* not needed for a configured path; keeps the walk simple */
                if (streq(comp, "."))
                        continue;
                struct stat st;
                if (fstatat(dir_fd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return negative_errno();
                if (S_ISLNK(st.st_mode)) {
                        if (!dir_stat_trusted(&dir_st) || ++hops > 32)
                                return -EPERM;
                        char *rest;
                        bool absolute;
                        int k = walk_through_link(dir_fd, comp, p, &rest, &absolute);
                        if (k < 0)
                                return k;
                        free(todo);
                        todo = p = rest;
                        if (absolute) {
                                int fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
                                if (fd < 0)
                                        return negative_errno();
                                close(dir_fd);
                                dir_fd = fd;
                        }
                        continue;
                }
                if (!last) {
                        int fd = openat(dir_fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (fd < 0)
                                return negative_errno();
                        close(dir_fd);
                        dir_fd = fd;
                        continue;
                }
                _cleanup_close_ int fd = open_regular_at(dir_fd, comp, O_NOFOLLOW, &st);
                if (fd < 0)
                        return fd;
                if (!dir_stat_trusted(&dir_st) && st.st_uid != dir_st.st_uid)
                        return -EPERM;
                return read_full_fd(fd, max_size, ret_data, ret_size);
        }
}

int read_cut_fd(int fd, uint64_t file_size, size_t max_size, char **ret_data, size_t *ret_size, uint64_t *ret_cut) {
        if (max_size < 1024 || file_size <= max_size)
                return -EINVAL;
        _cleanup_free_ char *buf = malloc(max_size + 1);
        if (!buf)
                return -ENOMEM;
        char head[256];
        ssize_t k = pread(fd, head, sizeof head, 0);
        if (k < 0)
                return negative_errno();
        const char *nl = memchr(head, '\n', (size_t) k);
        size_t head_len = nl ? (size_t) (nl - head) + 1 : 0;
        memcpy(buf, head, head_len);
        char marker[128];
        /* The cut is known once the tail's size is: assume the widest number. */
        size_t marker_room = (size_t) snprintf(marker, sizeof marker,
                                               "[kcrash: %020llu bytes cut here: the file is larger than %020llu bytes]\n",
                                               0ULL, 0ULL);
        size_t tail = max_size - head_len - marker_room;
        uint64_t cut = file_size - head_len - tail;
        int m = snprintf(marker, sizeof marker, "[kcrash: %llu bytes cut here: the file is larger than %llu bytes]\n",
                         (unsigned long long) cut, (unsigned long long) max_size);
        memcpy(buf + head_len, marker, (size_t) m);
        size_t size = head_len + (size_t) m, got = 0;
        while (got < tail) {
                k = pread(fd, buf + size + got, tail - got, (off_t) (file_size - tail + got));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return negative_errno();
                if (k == 0)
                        break; /* shrank meanwhile: keep what there is */
                got += (size_t) k;
        }
        size += got;
        buf[size] = 0;
        *ret_data = TAKE_PTR(buf);
        *ret_size = size;
        *ret_cut = cut;
        return 0;
}

int read_full_file(const char *path, size_t max_size, char **ret_data, size_t *ret_size) {
        return read_regular_file(path, 0, max_size, ret_data, ret_size);
}

int read_full_file_nofollow(const char *path, size_t max_size, char **ret_data, size_t *ret_size) {
        return read_regular_file(path, O_NOFOLLOW, max_size, ret_data, ret_size);
}

bool stat_is_trusted(const struct stat *st) {
        return stat_owned_by_us(st) && st->st_nlink == 1 && !(st->st_mode & 0022);
}

int read_full_file_trusted_at(int dir_fd, const char *path, size_t max_size, char **ret_data, size_t *ret_size) {
        struct stat st;
        _cleanup_close_ int fd = open_regular_at(dir_fd, path, O_NOFOLLOW, &st);
        if (fd < 0)
                return fd;
        if (!stat_is_trusted(&st))
                return -EPERM;
        return read_full_fd_stat(fd, &st, max_size, ret_data, ret_size);
}

int read_full_file_trusted(const char *path, size_t max_size, char **ret_data, size_t *ret_size) {
        return read_full_file_trusted_at(AT_FDCWD, path, max_size, ret_data, ret_size);
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

static int write_file_renamed(const char *path, const void *data, size_t size, mode_t mode, bool durable) {
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
        if (r >= 0 && durable && fsync(fd) < 0)
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
        return durable ? fsync_directory_of(path) : 0;
}

int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode) {
        return write_file_renamed(path, data, size, mode, true);
}

int write_file_replace(const char *path, const void *data, size_t size, mode_t mode) {
        return write_file_renamed(path, data, size, mode, false);
}

int write_file_new(const char *path, const void *data, size_t size, mode_t mode) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0)
                return negative_errno();
        int r = failpoint_check("write-new");
        if (r >= 0)
                r = write_all(fd, data, size);
        /* the mode asked for, whatever the umask took from it */
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = negative_errno();
        if (r >= 0 && fsync(fd) < 0)
                r = negative_errno();
        if (r < 0) {
                (void) unlink(path);
                return r;
        }
        /* The name's own durability (POSIX asks for the directory's fsync;
         * on ext4 the file's commit carried it and this is a cache flush). */
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
        /* The folder is there on every run but the first: one call, not one
         * per level of the path. */
        if (mkdir(path, mode) == 0 || errno == EEXIST)
                return 0;
        if (errno != ENOENT)
                return negative_errno();
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

/* Never follows a symlink, never leaves the tree it was given: each level is
 * opened with O_NOFOLLOW relative to its parent's fd, so a directory renamed
 * or swapped for a symlink meanwhile cannot send it elsewhere. */
int dir_read_dup(int dir_fd, DIR **ret) {
        int fd = dup(dir_fd);
        if (fd < 0)
                return negative_errno();
        DIR *d = fdopendir(fd);
        if (!d) {
                int r = negative_errno();
                close(fd);
                return r;
        }
        *ret = d;
        return 0;
}

static int rm_rf_children(int dir_fd, unsigned depth) {
        if (depth > 64)
                return -ELOOP;
        DIR *d;
        int r = dir_read_dup(dir_fd, &d);
        if (r < 0)
                return r;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (unlinkat(dir_fd, de->d_name, 0) >= 0 || errno == ENOENT)
                        continue;
                if (errno != EISDIR && errno != EPERM) {
                        r = negative_errno();
                        break;
                }
                _cleanup_close_ int child = openat(dir_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (child < 0) {
                        r = negative_errno();
                        break;
                }
                r = rm_rf_children(child, depth + 1);
                if (r >= 0 && unlinkat(dir_fd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                        r = negative_errno();
                if (r < 0)
                        break;
        }
        closedir(d);
        return r;
}

int rm_rf_at(int dir_fd, const char *name) {
        struct stat st;
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        if (!S_ISDIR(st.st_mode))
                return unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT ? negative_errno() : 0;
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        int r = rm_rf_children(fd, 0);
        if (r < 0)
                return r;
        if (unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return negative_errno();
        return 0;
}

int rm_rf(const char *path) {
        return rm_rf_at(AT_FDCWD, path);
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

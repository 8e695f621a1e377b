/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "failpoint.h"
#include "fileio.h"
#include "kdump.h"

int kdump_parse_stamp(const char *s, time_t *ret) {
        /* kcrash-save's "<stamp>-<n>": the n-th capture of that second */
        const char *dash = strchr(s, '-');
        size_t len = dash ? (size_t) (dash - s) : strlen(s);
        if (dash && (!dash[1] || strspn(dash + 1, "0123456789") != strlen(dash + 1)))
                return -EINVAL;
        if (len != 12 && len != 14)
                return -EINVAL;
        for (size_t i = 0; i < len; i++)
                if (!isdigit((unsigned char) s[i]))
                        return -EINVAL;
        struct tm tm = {};
        int v[6] = {};
        for (size_t i = 0; i < len / 2 - 1; i++)
                v[i] = (s[2 + 2 * i] - '0') * 10 + (s[3 + 2 * i] - '0');
        tm.tm_year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + v[0] - 1900;
        tm.tm_mon = v[1] - 1;
        tm.tm_mday = v[2];
        tm.tm_hour = v[3];
        tm.tm_min = v[4];
        tm.tm_sec = len == 14 ? v[5] : 0;
        if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
            tm.tm_min > 59 || tm.tm_sec > 60)
                return -EINVAL;
        time_t t = timegm(&tm);
        if (t == (time_t) -1)
                return -EINVAL;
        *ret = t;
        return 0;
}

static KdumpCapture *capture_free(KdumpCapture *c) {
        if (!c)
                return NULL;
        free(c->path);
        free(c->name);
        free(c->dmesg);
        free(c->vmcore_path);
        free(c->meta_json);
        free(c->save_log);
        free(c);
        return NULL;
}

KdumpScan *kdump_scan_free(KdumpScan *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_captures; i++)
                capture_free(s->captures[i]);
        free(s->captures);
        for (size_t i = 0; i < s->n_bad; i++) {
                free(s->bad[i].name);
                free(s->bad[i].file);
        }
        free(s->bad);
        free(s);
        return NULL;
}

/* Optional text file of the capture: missing is fine, unreadable (or not a
 * regular file) is an error. With ret_cut, a file larger than max is read cut. */
static int read_optional(int dir_fd, const char *name, size_t max, char **ret, size_t *ret_size,
                         uint64_t *ret_cut, time_t *newest) {
        struct stat st;
        _cleanup_close_ int fd = open_regular_at(dir_fd, name, O_NOFOLLOW, &st);
        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return fd;
        if (st.st_mtime > *newest)
                *newest = st.st_mtime;
        if ((uint64_t) st.st_size > max && ret_cut)
                return read_cut_fd(fd, (uint64_t) st.st_size, max, ret, ret_size, ret_cut);
        return read_full_fd(fd, max, ret, ret_size);
}

/* meta.json and kcrash-save.log, written by kcrash-save in the crash kernel */
#define KDUMP_SIDE_FILE_MAX (1u << 20)

/* What a side file will be at the next boot too (too large, not a regular
 * file, a symlink): it is left out and the capture collected. Any other
 * error (EIO, EMFILE, ENOMEM) may pass: the capture stays for the next run,
 * as the collection removes the folder with the file in it. */
static bool side_file_error_lasts(int error) {
        return error == -EFBIG || error == -EBADFD || error == -EISDIR || error == -EPERM || error == -ELOOP ||
               error == -ENOTDIR;
}

/* One side file: read into *ret (cut before its end when ret_cut, else an
 * error when larger), missing is fine. An error that lasts is kept in
 * *ret_error and the file left out; one that may pass is returned. */
static int read_side_file(int dir_fd, const char *name, char **ret, uint64_t *ret_cut, int *ret_error,
                          time_t *newest) {
        size_t size;
        int k = failpoint_check("kdump-side-file");
        if (k >= 0)
                k = read_optional(dir_fd, name, KDUMP_SIDE_FILE_MAX, ret, &size, ret_cut, newest);
        *ret_error = MIN(k, 0);
        return k < 0 && !side_file_error_lasts(k) ? k : 0;
}

/* What capture_load() reads of a capture folder (a file that is no regular
 * file is refused when it is opened). */
static const char *const capture_files[] = { "done", "dmesg.txt", "meta.json", "kcrash-save.log", "vmcore" };

static int capture_load(int crash_fd, const char *crash_dir, const char *name, size_t max, KdumpCapture **ret,
                        const char **ret_bad_file) {
        KdumpCapture *c = calloc(1, sizeof *c);
        time_t newest = 0;
        int r;

        if (!c)
                return -ENOMEM;
        c->path = path_join(crash_dir, name);
        c->name = strdup(name);
        if (!c->path || !c->name) {
                capture_free(c);
                return -ENOMEM;
        }
        _cleanup_free_ char *done = path_join(c->path, "done");
        _cleanup_free_ char *vmcore = path_join(c->path, "vmcore");
        if (!done || !vmcore) {
                capture_free(c);
                return -ENOMEM;
        }
        _cleanup_close_ int fd = openat(crash_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        struct stat st;
        /* kcrash-save writes as root, in crash/, which only root can
         * write: a capture folder, or a file of it, that is someone else's
         * (or a file with another link) is not read. The user who owns the
         * folder above KDUMP_FOLDER made a whole crash/ of their own, which
         * root adopted, or moved a folder of theirs that root had made its
         * own into crash/: forged crashes, and sparse 64 MiB logs that
         * filled the collector's memory at every boot (attack reviews). By
         * owner alone, not mode: kcrash-save's files follow the crash
         * kernel's umask, and crash/ is 0700 root's. */
        r = fd < 0 || fstat(fd, &st) < 0 ? negative_errno() : stat_owned_by_us(&st) ? 0 : -EPERM;
        *ret_bad_file = ".";
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(capture_files); i++)
                if (fstatat(fd, capture_files[i], &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISREG(st.st_mode) &&
                    (!stat_owned_by_us(&st) || st.st_nlink != 1)) {
                        r = -EPERM;
                        *ret_bad_file = capture_files[i];
                }
        if (r < 0) {
                capture_free(c);
                return r;
        }
        c->complete = fstatat(fd, "done", &st, AT_SYMLINK_NOFOLLOW) >= 0;

        *ret_bad_file = "dmesg.txt";
        r = read_optional(fd, "dmesg.txt", max, &c->dmesg, &c->dmesg_size, &c->dmesg_cut_bytes, &newest);
        if (r >= 0) {
                *ret_bad_file = "meta.json";
                r = read_side_file(fd, "meta.json", &c->meta_json, NULL, &c->meta_json_error, &newest);
        }
        if (r >= 0) {
                /* the log's end is where the capture failed, if it did */
                *ret_bad_file = "kcrash-save.log";
                r = read_side_file(fd, "kcrash-save.log", &c->save_log, &c->save_log_cut_bytes, &c->save_log_error,
                                   &newest);
        }
        if (r < 0) {
                capture_free(c);
                return r;
        }
        *ret_bad_file = NULL;
        if (fstatat(fd, "vmcore", &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISREG(st.st_mode)) {
                c->vmcore_path = TAKE_PTR(vmcore);
                c->vmcore_size = (uint64_t) st.st_size;
        }
        if (kdump_parse_stamp(name, &c->crash_time) < 0)
                c->crash_time = newest;
        *ret = c;
        return 0;
}

static int compare_captures(const void *a, const void *b) {
        const KdumpCapture *x = *(KdumpCapture *const *) a, *y = *(KdumpCapture *const *) b;
        if (x->crash_time != y->crash_time)
                return x->crash_time < y->crash_time ? -1 : 1;
        return strcmp(x->name, y->name);
}

int kdump_scan(const char *crash_dir, size_t max_dmesg_size, KdumpScan **ret) {
        KdumpScan *s = calloc(1, sizeof *s);
        int r = 0;
        if (!s)
                return -ENOMEM;

        DIR *d = opendir(crash_dir);
        if (!d) {
                if (errno == ENOENT) {
                        *ret = s;
                        return 0;
                }
                r = negative_errno();
                free(s);
                return r;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                KdumpCapture *c = NULL;
                const char *bad_file = NULL;
                r = capture_load(dirfd(d), crash_dir, de->d_name, max_dmesg_size, &c, &bad_file);
                if (r == -ENOMEM)
                        break;
                if (r < 0) {
                        /* One bad capture must not hold back the others. */
                        KdumpBadCapture *b = realloc(s->bad, (s->n_bad + 1) * sizeof *b);
                        if (!b) {
                                r = -ENOMEM;
                                break;
                        }
                        s->bad = b;
                        s->bad[s->n_bad++] = (KdumpBadCapture) { .name = strdup(de->d_name),
                                                                 .file = strdup(bad_file ? bad_file : "."), .error = r };
                        r = 0;
                        continue;
                }
                KdumpCapture **p = realloc(s->captures, (s->n_captures + 1) * sizeof *p);
                if (!p) {
                        capture_free(c);
                        r = -ENOMEM;
                        break;
                }
                s->captures = p;
                s->captures[s->n_captures++] = c;
        }
        closedir(d);
        if (r < 0) {
                kdump_scan_free(s);
                return r;
        }
        if (s->n_captures > 0)
                qsort(s->captures, s->n_captures, sizeof *s->captures, compare_captures);
        *ret = s;
        return 0;
}

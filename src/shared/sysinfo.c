/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build-ids.h"
#include "fileio.h"
#include "parse-util.h"
#include "sysinfo.h"
#include "test-hooks.h"

extern char **environ;

static void trim(char *s) {
        size_t l = strlen(s);
        while (l > 0 && (s[l - 1] == '\n' || s[l - 1] == ' ' || s[l - 1] == '\t'))
                s[--l] = 0;
}

int dmi_attr(const char *root, const char *name, char **ret) {
        if (strchr(name, '/'))
                return -EINVAL;
        _cleanup_free_ char *rel = NULL, *p = NULL, *v = NULL;
        if (asprintf(&rel, "/sys/class/dmi/id/%s", name) < 0 || !(p = path_in_root(root, rel)))
                return -ENOMEM;
        int r = read_one_line_file(p, &v);
        if (r < 0)
                return r;
        trim(v);
        *ret = TAKE_PTR(v);
        return 0;
}

int dmi_sysfs_text(const char *root, char **ret) {
        /* The attributes dmi-id.c exposes; serials are root-only there. */
        static const char *const attrs[] = {
                "sys_vendor", "product_name", "product_version", "product_serial", "product_uuid",
                "product_sku", "product_family", "board_vendor", "board_name", "board_version",
                "board_serial", "bios_vendor", "bios_version", "bios_date", "bios_release",
                "chassis_vendor", "chassis_type", "chassis_serial",
        };
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return -ENOMEM;
        unsigned found = 0;
        for (size_t i = 0; i < ELEMENTSOF(attrs); i++) {
                _cleanup_free_ char *v = NULL;
                if (dmi_attr(root, attrs[i], &v) < 0)
                        continue;
                fprintf(f, "%s: %s\n", attrs[i], v);
                found++;
        }
        if (fclose(f) != 0) {
                free(out);
                return -ENOMEM;
        }
        if (found == 0) {
                free(out);
                return -ENOENT;
        }
        *ret = out;
        return 0;
}

int dmidecode_run(char **ret) {
        const char *prog = test_hook_getenv("KCRASH_DMIDECODE");
        const char *candidates[] = { prog, "/usr/sbin/dmidecode", "/sbin/dmidecode", "/usr/bin/dmidecode" };
        const char *path = NULL;
        for (size_t i = 0; i < ELEMENTSOF(candidates) && !path; i++)
                if (candidates[i] && access(candidates[i], X_OK) >= 0)
                        path = candidates[i];
        if (!path)
                return -ENOENT;

        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return negative_errno();
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        pid_t pid;
        char *argv[] = { (char *) path, NULL };
        int r = posix_spawn(&pid, path, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(fds[1]);
        if (r != 0) {
                close(fds[0]);
                return -r;
        }
        char *out = NULL;
        size_t size = 0;
        r = read_full_fd(fds[0], 1 << 20, &out, &size);
        close(fds[0]);
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (r < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || size == 0) {
                free(out);
                return -EIO;
        }
        *ret = out;
        return 0;
}

char *os_release_value(const char *text, const char *key) {
        size_t kl = strlen(key);
        for (const char *p = text; p && *p;) {
                const char *eol = strchrnul(p, '\n');
                if (strneq(p, key, kl) && p[kl] == '=') {
                        const char *v = p + kl + 1, *e = eol;
                        if (e - v >= 2 && (*v == '"' || *v == '\'') && e[-1] == *v) {
                                v++;
                                e--;
                        }
                        return strndup(v, (size_t) (e - v));
                }
                p = *eol ? eol + 1 : NULL;
        }
        return NULL;
}

int os_release_read(const char *root, OsRelease *ret) {
        static const char *const paths[] = { "/etc/os-release", "/usr/lib/os-release" };
        OsRelease o = {};
        int r = -ENOENT;
        for (size_t i = 0; i < ELEMENTSOF(paths) && !o.text; i++) {
                _cleanup_free_ char *p = path_in_root(root, paths[i]);
                if (!p)
                        return -ENOMEM;
                r = read_full_file(p, 64 * 1024, &o.text, NULL);
        }
        if (!o.text)
                return r;
        o.id = os_release_value(o.text, "ID");
        o.build_id = os_release_value(o.text, "BUILD_ID");
        o.version_id = os_release_value(o.text, "VERSION_ID");
        o.pretty_name = os_release_value(o.text, "PRETTY_NAME");
        *ret = o;
        return 0;
}

void os_release_done(OsRelease *o) {
        free(o->text);
        free(o->id);
        free(o->build_id);
        free(o->version_id);
        free(o->pretty_name);
        *o = (OsRelease) {};
}

void boot_record_done(BootRecord *b) {
        free(b->boot_id);
        free(b->kernel_release);
        free(b->kernel_version);
        free(b->build_id);
        free(b->pretty_name);
        free(b->vmlinux_build_id);
        free(b->module_build_ids);
        free(b->os_release_text);
        *b = (BootRecord) {};
}

int boot_record_copy(const BootRecord *b, BootRecord *ret) {
        BootRecord c = { .boot_time = b->boot_time };
        const char *from[] = { b->boot_id, b->kernel_release, b->kernel_version, b->build_id, b->pretty_name,
                               b->vmlinux_build_id, b->module_build_ids, b->os_release_text };
        char **to[] = { &c.boot_id, &c.kernel_release, &c.kernel_version, &c.build_id, &c.pretty_name,
                        &c.vmlinux_build_id, &c.module_build_ids, &c.os_release_text };
        for (size_t i = 0; i < ELEMENTSOF(from); i++)
                if (from[i] && !(*to[i] = strdup(from[i]))) {
                        boot_record_done(&c);
                        return -ENOMEM;
                }
        *ret = c;
        return 0;
}

static char *root_line(const char *root, const char *path) {
        _cleanup_free_ char *p = path_in_root(root, path);
        char *v = NULL;
        if (p && read_one_line_file(p, &v) >= 0)
                trim(v);
        return v;
}

static time_t boot_time(const char *root) {
        _cleanup_free_ char *p = path_in_root(root, "/proc/stat"), *stat = NULL;
        if (!p || read_full_file(p, 1 << 20, &stat, NULL) < 0)
                return 0;
        /* "btime <seconds since the epoch>" (proc_stat(5)) */
        const char *b = strstr(stat, "\nbtime ");
        uint64_t t;
        size_t len = b ? strcspn(b + 7, "\n") : 0;
        return b && parse_uint64_n(b + 7, len, &t) >= 0 && t <= INT64_MAX ? (time_t) t : 0;
}

bool boot_id_valid(const char *s) {
        if (!s || !*s || strlen(s) > 64)
                return false;
        for (; *s; s++)
                if (!isxdigit((unsigned char) *s) && *s != '-')
                        return false;
        return true;
}

/* Record file: "KEY=value" lines, then an empty line, then the os-release text. */
static int boot_record_parse(const char *text, BootRecord *ret) {
        BootRecord b = {};
        const char *sep = strstr(text, "\n\n");
        _cleanup_free_ char *head = strndup(text, sep ? (size_t) (sep - text) + 1 : strlen(text));
        if (!head)
                return -ENOMEM;
        /* A value the boot did not have is written empty and read as NULL. */
        b.boot_id = os_release_value(head, "BOOT_ID");
        _cleanup_free_ char *t = os_release_value(head, "BOOT_TIME");
        int64_t boot_time;
        b.boot_time = t && parse_int64(t, &boot_time) >= 0 ? (time_t) boot_time : 0;
        b.kernel_release = os_release_value(head, "KERNEL_RELEASE");
        b.kernel_version = os_release_value(head, "KERNEL_VERSION");
        b.build_id = os_release_value(head, "BUILD_ID");
        b.pretty_name = os_release_value(head, "PRETTY_NAME");
        b.vmlinux_build_id = os_release_value(head, "VMLINUX_BUILD_ID");
        b.module_build_ids = os_release_value(head, "MODULE_BUILD_IDS");
        if (sep && sep[2])
                b.os_release_text = strdup(sep + 2);
        char **fields[] = { &b.kernel_release, &b.kernel_version, &b.build_id, &b.pretty_name, &b.vmlinux_build_id,
                            &b.module_build_ids };
        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (*fields[i] && !**fields[i]) {
                        free(*fields[i]);
                        *fields[i] = NULL;
                }
        if (!b.boot_id || b.boot_time == 0) {
                boot_record_done(&b);
                return -EBADMSG;
        }
        *ret = b;
        return 0;
}

typedef struct RecordList {
        BootRecord *items;
        char **paths;
        size_t n;
} RecordList;

static void record_list_done(RecordList *l) {
        for (size_t i = 0; i < l->n; i++) {
                boot_record_done(&l->items[i]);
                free(l->paths[i]);
        }
        free(l->items);
        free(l->paths);
}

static int load_records(const char *dir, RecordList *l) {
        DIR *d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : negative_errno();
        struct dirent *de;
        int r = 0;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *p = path_join(dir, de->d_name), *text = NULL;
                BootRecord b;
                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                int k = read_full_file_trusted(p, 256 * 1024, &text, NULL);
                if (k == -EPERM || k == -EBADFD) {
                        (void) unlink(p); /* not root's: planted, never read */
                        continue;
                }
                if (k < 0 || boot_record_parse(text, &b) < 0)
                        continue;
                BootRecord *items = realloc(l->items, (l->n + 1) * sizeof *items);
                char **paths = items ? realloc(l->paths, (l->n + 1) * sizeof *paths) : NULL;
                if (items)
                        l->items = items;
                if (!items || !paths) {
                        boot_record_done(&b);
                        r = -ENOMEM;
                        break;
                }
                l->paths = paths;
                l->items[l->n] = b;
                l->paths[l->n] = TAKE_PTR(p);
                l->n++;
        }
        closedir(d);
        return r;
}

/* The records' names in dir, none read. */
static int count_records(const char *dir) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : negative_errno();
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && n < INT_MAX)
                        n++;
        return n;
}

int boot_record_save(const char *root, const char *state_dir) {
        _cleanup_free_ char *boot_id = root_line(root, "/proc/sys/kernel/random/boot_id");
        _cleanup_free_ char *release = root_line(root, "/proc/sys/kernel/osrelease");
        _cleanup_free_ char *version = root_line(root, "/proc/sys/kernel/version");
        _cleanup_free_ char *dir = path_join(state_dir, "boots"), *path = NULL, *text = NULL, *modules = NULL;
        OsRelease os = {};
        BuildIds ids = {};
        int r;

        if (!dir)
                return -ENOMEM;
        if (!boot_id_valid(boot_id))
                return -ENOENT;
        (void) os_release_read(root, &os);
        /* The build ids that tie a crash of this boot to its debug info. */
        r = build_ids_read_running(root, &ids, "boot-record");
        if (r >= 0)
                r = build_ids_modules_format(&ids, &modules);
        if (r < 0 || asprintf(&path, "%s/%s", dir, boot_id) < 0 ||
            asprintf(&text, "BOOT_ID=%s\nBOOT_TIME=%lld\nKERNEL_RELEASE=%s\nKERNEL_VERSION=%s\nBUILD_ID=%s\nPRETTY_NAME=%s\n"
                     "VMLINUX_BUILD_ID=%s\nMODULE_BUILD_IDS=%s\n\n%s",
                     boot_id, (long long) boot_time(root), strempty(release), strempty(version),
                     strempty(os.build_id), strempty(os.pretty_name), strempty(ids.vmlinux), strempty(modules),
                     strempty(os.text)) < 0) {
                os_release_done(&os);
                build_ids_done(&ids);
                return -ENOMEM;
        }
        os_release_done(&os);
        build_ids_done(&ids);
        /* A later run in the same boot (kcrash-collect.path, kcrashctl
         * collect) finds the record it would write: no new write, no
         * fsync of a new file. Synced all the same, which costs nothing when
         * the run that wrote it finished: a run killed between its rename and
         * its directory sync left it in the page cache only. */
        _cleanup_free_ char *old = NULL;
        size_t old_size = 0;
        if (read_full_file_trusted(path, 256 * 1024, &old, &old_size) >= 0 && old_size == strlen(text) &&
            memcmp(old, text, old_size) == 0) {
                r = fsync_path(path);
                return r < 0 ? r : fsync_directory_of(path);
        }
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return r;
        r = write_file_atomic(path, text, strlen(text), 0600);
        if (r < 0)
                return r;

        /* Keep the newest records only (read only when there are too many:
         * the collection reads them once, after this). */
        r = count_records(dir);
        if (r <= BOOT_RECORDS_KEEP)
                return r < 0 ? r : 0;
        RecordList l = {};
        r = load_records(dir, &l);
        while (r >= 0 && l.n > BOOT_RECORDS_KEEP) {
                size_t oldest = 0;
                for (size_t i = 1; i < l.n; i++)
                        if (l.items[i].boot_time < l.items[oldest].boot_time)
                                oldest = i;
                (void) unlink(l.paths[oldest]);
                boot_record_done(&l.items[oldest]);
                free(l.paths[oldest]);
                l.items[oldest] = l.items[l.n - 1];
                l.paths[oldest] = l.paths[l.n - 1];
                l.n--;
        }
        record_list_done(&l);
        return r < 0 ? r : 0;
}

int boot_records_load(const char *state_dir, BootRecords *ret) {
        _cleanup_free_ char *dir = path_join(state_dir, "boots");
        if (!dir)
                return -ENOMEM;
        RecordList l = {};
        int r = load_records(dir, &l);
        if (r < 0) {
                record_list_done(&l);
                return r;
        }
        for (size_t i = 0; i < l.n; i++)
                free(l.paths[i]);
        free(l.paths);
        *ret = (BootRecords) { .items = l.items, .n = l.n };
        return 0;
}

const BootRecord *boot_records_find(const BootRecords *b, time_t crash_time) {
        const BootRecord *best = NULL;
        for (size_t i = 0; i < b->n; i++)
                if (b->items[i].boot_time <= crash_time && (!best || b->items[i].boot_time > best->boot_time))
                        best = &b->items[i];
        return best;
}

void boot_records_done(BootRecords *b) {
        for (size_t i = 0; i < b->n; i++)
                boot_record_done(&b->items[i]);
        free(b->items);
        *b = (BootRecords) {};
}

int boot_record_find(const char *state_dir, time_t crash_time, BootRecord *ret) {
        BootRecords b = {};
        int r = boot_records_load(state_dir, &b);
        if (r >= 0) {
                const BootRecord *found = boot_records_find(&b, crash_time);
                r = found ? boot_record_copy(found, ret) : -ENOENT;
        }
        boot_records_done(&b);
        return r;
}

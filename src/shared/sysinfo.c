/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

char *root_first_line(const char *root, const char *path) {
        _cleanup_free_ char *p = path_in_root(root, path);
        char *v = NULL;
        if (p && read_one_line_file(p, &v) >= 0)
                trim(v);
        return v;
}

time_t proc_boot_time(const char *root) {
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

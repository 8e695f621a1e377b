/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "build-ids.h"
#include "elf-note.h"
#include "fileio.h"
#include "macro.h"
#include "stack-frame.h"

/* A .ko larger than this is not looked at (the largest Debian modules are
 * ~30 MB with debug info stripped; with it, a few hundred). */
#define MAX_KO_SIZE (512u << 20)
#define MAX_WALK_ENTRIES 65536
#define MAX_WALK_DEPTH 8

void build_ids_done(BuildIds *b) {
        free(b->vmlinux);
        for (size_t i = 0; i < b->n_modules; i++) {
                free(b->modules[i].name);
                free(b->modules[i].id);
        }
        free(b->modules);
        *b = (BuildIds) {};
}

static bool module_name_eq(const char *a, const char *b) {
        for (; *a && *b; a++, b++)
                if (*a != *b && !((*a == '-' || *a == '_') && (*b == '-' || *b == '_')))
                        return false;
        return *a == *b;
}

static BuildIdEntry *find(const BuildIds *b, const char *name) {
        for (size_t i = 0; i < b->n_modules; i++)
                if (module_name_eq(b->modules[i].name, name))
                        return &b->modules[i];
        return NULL;
}

const char *build_ids_module(const BuildIds *b, const char *name) {
        const BuildIdEntry *e = find(b, name);
        return e ? e->id : NULL;
}

int build_ids_set_module(BuildIds *b, const char *name, const char *id, const char *source) {
        if (!build_id_is_valid(id) || isempty(name) || strlen(name) >= STACK_MODULE_NAME_MAX)
                return -EINVAL;
        BuildIdEntry *e = find(b, name);
        if (e) {
                /* What the crashed kernel printed wins over what was read elsewhere. */
                if (!streq(source, "log"))
                        return 0;
                char *c = strdup(id);
                if (!c)
                        return -ENOMEM;
                free(e->id);
                e->id = c;
                e->source = source;
                return 0;
        }
        BuildIdEntry *l = realloc(b->modules, (b->n_modules + 1) * sizeof *l);
        if (!l)
                return -ENOMEM;
        b->modules = l;
        char *n = strdup(name), *c = strdup(id);
        if (!n || !c) {
                free(n);
                free(c);
                return -ENOMEM;
        }
        l[b->n_modules++] = (BuildIdEntry) { n, c, source };
        return 0;
}

static int read_notes_file(const char *path, char hex[BUILD_ID_HEX_MAX]) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        int r = read_full_file(path, 1 << 20, &data, &size);
        if (r < 0)
                return r;
        return elf_notes_build_id(data, size, hex);
}

int build_ids_read_running(const char *root, BuildIds *b, const char *source) {
        _cleanup_free_ char *notes = path_in_root(root, "/sys/kernel/notes"),
                            *moddir = path_in_root(root, "/sys/module");
        char hex[BUILD_ID_HEX_MAX];
        if (!notes || !moddir)
                return -ENOMEM;
        if (!b->vmlinux && read_notes_file(notes, hex) >= 0) {
                b->vmlinux = strdup(hex);
                if (!b->vmlinux)
                        return -ENOMEM;
                b->vmlinux_source = source;
        }
        DIR *d = opendir(moddir);
        if (!d)
                return 0;
        struct dirent *de;
        int r = 0;
        while (r >= 0 && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                /* Only loadable modules have notes/ (kernel/module/sysfs.c);
                 * built-in ones are part of vmlinux. */
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/%s/notes/.note.gnu.build-id", moddir, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (read_notes_file(p, hex) >= 0) {
                        r = build_ids_set_module(b, de->d_name, hex, source);
                        if (r == -EINVAL)
                                r = 0;
                }
        }
        closedir(d);
        return r;
}

typedef struct Walk {
        char *const *names;
        size_t n_names;
        BuildIds *b;
        unsigned entries;
        size_t missing;
} Walk;

/* name of "dir/crashme.ko" that is wanted and still has no id, else NULL */
static const char *wanted(Walk *w, const char *file) {
        size_t l = strlen(file);
        if (l < 4 || !streq(file + l - 3, ".ko"))
                return NULL;
        char stem[STACK_MODULE_NAME_MAX];
        if (l - 3 >= sizeof stem)
                return NULL;
        memcpy(stem, file, l - 3);
        stem[l - 3] = 0;
        for (size_t i = 0; i < w->n_names; i++)
                if (module_name_eq(w->names[i], stem) && !build_ids_module(w->b, w->names[i]))
                        return w->names[i];
        return NULL;
}

static int walk(Walk *w, int dir_fd, unsigned depth) {
        int fd = dup(dir_fd);
        if (fd < 0)
                return negative_errno();
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return negative_errno();
        }
        struct dirent *de;
        int r = 0;
        while (r >= 0 && w->missing > 0 && (de = readdir(d))) {
                if (de->d_name[0] == '.' || ++w->entries > MAX_WALK_ENTRIES)
                        continue;
                if (de->d_type == DT_DIR && depth < MAX_WALK_DEPTH) {
                        _cleanup_close_ int sub = openat(dir_fd, de->d_name,
                                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0)
                                r = walk(w, sub, depth + 1);
                        continue;
                }
                const char *name = de->d_type == DT_REG ? wanted(w, de->d_name) : NULL;
                if (!name)
                        continue;
                struct stat st;
                _cleanup_close_ int kfd = open_regular_at(dir_fd, de->d_name, O_NOFOLLOW, &st);
                if (kfd < 0 || st.st_size <= 0 || (uint64_t) st.st_size > MAX_KO_SIZE)
                        continue;
                /* Mapped, not read: a module with its debug info is large and
                 * only its headers and notes are looked at. */
                void *data = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, kfd, 0);
                if (data == MAP_FAILED)
                        continue;
                char hex[BUILD_ID_HEX_MAX];
                int k = elf_file_build_id(data, (size_t) st.st_size, hex);
                munmap(data, (size_t) st.st_size);
                if (k < 0)
                        continue;
                r = build_ids_set_module(w->b, name, hex, "installed");
                if (r >= 0)
                        w->missing--;
        }
        closedir(d);
        return r;
}

int build_ids_read_installed(const char *root, const char *release, char *const *names, size_t n_names, BuildIds *b) {
        if (isempty(release) || strchr(release, '/') || streq(release, "..") || streq(release, "."))
                return -EINVAL;
        Walk w = { names, n_names, b, 0, 0 };
        for (size_t i = 0; i < n_names; i++)
                if (!build_ids_module(b, names[i]))
                        w.missing++;
        if (w.missing == 0)
                return 0;
        _cleanup_free_ char *rel = NULL, *dir = NULL;
        if (asprintf(&rel, "/lib/modules/%s", release) < 0 || !(dir = path_in_root(root, rel)))
                return -ENOMEM;
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : negative_errno();
        return walk(&w, fd, 0);
}

int build_ids_modules_format(const BuildIds *b, char **ret) {
        char *s = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&s, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < b->n_modules; i++)
                fprintf(f, "%s%s:%s", i ? "," : "", b->modules[i].name, b->modules[i].id);
        if (fclose(f) != 0) {
                free(s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

int build_ids_modules_parse(const char *s, const char *source, BuildIds *b) {
        while (s && *s) {
                const char *comma = strchrnul(s, ','), *colon = memchr(s, ':', (size_t) (comma - s));
                if (colon && colon > s && (size_t) (colon - s) < STACK_MODULE_NAME_MAX &&
                    (size_t) (comma - colon - 1) < BUILD_ID_HEX_MAX) {
                        char name[STACK_MODULE_NAME_MAX], id[BUILD_ID_HEX_MAX];
                        memcpy(name, s, (size_t) (colon - s));
                        name[colon - s] = 0;
                        memcpy(id, colon + 1, (size_t) (comma - colon - 1));
                        id[comma - colon - 1] = 0;
                        int r = build_ids_set_module(b, name, id, source);
                        if (r == -ENOMEM)
                                return r;
                }
                s = *comma ? comma + 1 : comma;
        }
        return 0;
}

static bool name_listed(char **names, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (module_name_eq(names[i], name))
                        return true;
        return false;
}

int build_ids_linked_modules(const char *log, char ***names, size_t *n) {
        for (const char *p = log; (p = strstr(p, "Modules linked in:")); ) {
                p += strlen("Modules linked in:");
                const char *eol = strchrnul(p, '\n');
                while (p < eol) {
                        while (p < eol && *p == ' ')
                                p++;
                        if (*p == '[')
                                break; /* "[last unloaded: x]" */
                        const char *s = p;
                        while (p < eol && (isalnum((unsigned char) *p) || *p == '_' || *p == '-'))
                                p++;
                        size_t l = (size_t) (p - s);
                        /* "(OE)" taint flags of the module */
                        if (p < eol && *p == '(')
                                while (p < eol && *p != ')' && *p != ' ')
                                        p++;
                        while (p < eol && *p != ' ')
                                p++;
                        if (l == 0 || l >= STACK_MODULE_NAME_MAX)
                                continue;
                        _cleanup_free_ char *name = strndup(s, l);
                        if (!name)
                                return -ENOMEM;
                        if (name_listed(*names, *n, name))
                                continue;
                        char **m = realloc(*names, (*n + 2) * sizeof *m);
                        if (!m)
                                return -ENOMEM;
                        *names = m;
                        m[(*n)++] = TAKE_PTR(name);
                        m[*n] = NULL;
                }
        }
        return 0;
}

int build_ids_for_crash(const char *root, const char *release, const char *log, size_t log_size,
                        const char *boot_vmlinux, const char *boot_modules, BuildIds *ret) {
        BuildIds ids = {}, boot = {};
        StackFrame *frames = NULL;
        char **names = NULL;
        size_t n_frames = 0, n_names = 0;
        int r = stack_frames_parse(log, log_size, 4096, &frames, &n_frames);
        for (size_t i = 0; r >= 0 && i < n_frames; i++) {
                if (!frames[i].module)
                        continue;
                if (frames[i].build_id[0])
                        r = build_ids_set_module(&ids, frames[i].module, frames[i].build_id, "log");
                if (r >= 0 && !name_listed(names, n_names, frames[i].module)) {
                        char **m = realloc(names, (n_names + 2) * sizeof *m);
                        if (!m)
                                r = -ENOMEM;
                        else {
                                names = m;
                                names[n_names] = strdup(frames[i].module);
                                r = names[n_names] ? 0 : -ENOMEM;
                                if (r >= 0)
                                        names[++n_names] = NULL;
                        }
                }
        }
        if (r == -EINVAL)
                r = 0;
        /* the log is NUL-terminated by its reader */
        if (r >= 0)
                r = build_ids_linked_modules(log, &names, &n_names);
        if (r >= 0 && build_id_is_valid(boot_vmlinux)) {
                ids.vmlinux = strdup(boot_vmlinux);
                ids.vmlinux_source = "boot-record";
                if (!ids.vmlinux)
                        r = -ENOMEM;
        }
        if (r >= 0)
                r = build_ids_modules_parse(boot_modules, "boot-record", &boot);
        for (size_t i = 0; r >= 0 && i < n_names; i++) {
                const char *id = build_ids_module(&boot, names[i]);
                if (id && !build_ids_module(&ids, names[i]))
                        r = build_ids_set_module(&ids, names[i], id, "boot-record");
        }
        if (r >= 0 && release)
                (void) build_ids_read_installed(root, release, names, n_names, &ids);
        for (size_t i = 0; i < n_names; i++)
                free(names[i]);
        free(names);
        build_ids_done(&boot);
        stack_frames_free(frames, n_frames);
        if (r < 0) {
                build_ids_done(&ids);
                return r;
        }
        *ret = ids;
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot-records.h"
#include "build-ids.h"
#include "failpoint.h"
#include "fileio.h"
#include "parse-util.h"
#include "sysinfo.h"

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
        /* The length of what follows the empty line, written first: a record
         * cut short (a run killed in its write(), a power loss before the
         * fsync, both at a page boundary) is no record. Records of an older
         * kcrash have none. */
        _cleanup_free_ char *tail_size = os_release_value(head, "OS_RELEASE_SIZE");
        uint64_t expected;
        bool cut = tail_size && (parse_uint64(tail_size, &expected) < 0 || !sep || strlen(sep + 2) != expected);
        char **fields[] = { &b.kernel_release, &b.kernel_version, &b.build_id, &b.pretty_name, &b.vmlinux_build_id,
                            &b.module_build_ids };
        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (*fields[i] && !**fields[i]) {
                        free(*fields[i]);
                        *fields[i] = NULL;
                }
        if (!b.boot_id || b.boot_time == 0 || cut) {
                boot_record_done(&b);
                return -EBADMSG;
        }
        *ret = b;
        return 0;
}

/* The text boot_record_parse() reads back: "KEY=value" lines (a value the
 * boot did not have written empty), the first the length of the rest after
 * the empty line, then the os-release text. */
static int boot_record_format(const BootRecord *b, char **ret) {
        return asprintf(ret,
                        "OS_RELEASE_SIZE=%zu\nBOOT_ID=%s\nBOOT_TIME=%lld\nKERNEL_RELEASE=%s\nKERNEL_VERSION=%s\nBUILD_ID=%s\n"
                        "PRETTY_NAME=%s\nVMLINUX_BUILD_ID=%s\nMODULE_BUILD_IDS=%s\n\n%s",
                        strlen(strempty(b->os_release_text)), strempty(b->boot_id), (long long) b->boot_time, strempty(b->kernel_release),
                        strempty(b->kernel_version), strempty(b->build_id), strempty(b->pretty_name),
                        strempty(b->vmlinux_build_id), strempty(b->module_build_ids),
                        strempty(b->os_release_text)) < 0 ? -ENOMEM : 0;
}

/* A record's name: its boot's time, zero-padded so that names sort as the
 * boots did, and its boot id. The set is ordered from the names alone, so a
 * boot reads the one or two records it needs, not all 32 (names of an older
 * kcrash, the boot id alone, are read when listed). */
#define RECORD_TIME_DIGITS 12

static int record_name(const BootRecord *b, char **ret) {
        return asprintf(ret, "%0*lld-%s", RECORD_TIME_DIGITS, (long long) b->boot_time, b->boot_id) < 0 ? -ENOMEM : 0;
}

/* The boot time and boot id a record's name says; false for any other name. */
static bool record_name_parse(const char *name, time_t *ret_time, const char **ret_boot_id) {
        uint64_t t = 0;
        for (size_t i = 0; i < RECORD_TIME_DIGITS; i++) {
                if (name[i] < '0' || name[i] > '9')
                        return false;
                t = t * 10 + (uint64_t) (name[i] - '0');
        }
        if (name[RECORD_TIME_DIGITS] != '-' || !boot_id_valid(name + RECORD_TIME_DIGITS + 1) || t == 0)
                return false;
        *ret_time = (time_t) t;
        *ret_boot_id = name + RECORD_TIME_DIGITS + 1;
        return true;
}

/* Room for one more entry, so that adding it cannot fail. */
static int records_reserve(BootRecords *l) {
        if (l->n < l->allocated)
                return 0;
        size_t n = l->allocated ? l->allocated * 2 : 8;
        BootRecordEntry *items = reallocarray(l->items, n, sizeof *items);
        if (!items)
                return -ENOMEM;
        l->items = items;
        l->allocated = n;
        return 0;
}

/* Takes b and path (left empty); room reserved before. */
static void records_append(BootRecords *l, BootRecord *b, char **path, bool loaded) {
        l->items[l->n++] = (BootRecordEntry) { .record = *b, .path = *path, .loaded = loaded };
        *b = (BootRecord) {};
        *path = NULL;
}

static int records_add(BootRecords *l, BootRecord *b, char **path, bool loaded) {
        int r = records_reserve(l);
        if (r < 0)
                return r;
        records_append(l, b, path, loaded);
        return 0;
}

static void records_remove(BootRecords *l, size_t i) {
        boot_record_done(&l->items[i].record);
        free(l->items[i].path);
        l->items[i] = l->items[--l->n];
}

/* Only root writes here (a 0700 folder of root's); a file that is not
 * root's was planted under an older layout: removed, never read. */
static bool record_file_trusted(int dir_fd, const char *name) {
        struct stat st;
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return false;
        bool trusted = S_ISREG(st.st_mode) && stat_is_trusted(&st);
        if (!trusted)
                (void) unlinkat(dir_fd, name, 0);
        return trusted;
}

/* Reads an entry's record. One that says another boot than its name, or
 * is not root's, is dropped (left in the set, never found again: a caller
 * may hold a record of the set). One that cannot be read or is cut short
 * (a power loss before its fsync) is still its boot: known by its name,
 * its other fields NULL, so that a crash is never put on the boot before. */
static int entry_load(BootRecordEntry *e) {
        _cleanup_free_ char *text = NULL;
        _cleanup_(boot_record_done) BootRecord b = {};
        int r = read_full_file_trusted(e->path, 256 * 1024, &text, NULL);
        if (r == -ENOMEM)
                return r;
        if (r == -EPERM || r == -EBADFD) {
                (void) unlink(e->path); /* not root's: planted, never read */
                e->dropped = true;
                return r;
        }
        if (r >= 0)
                r = boot_record_parse(text, &b);
        if (r == -ENOMEM)
                return r;
        if (r >= 0 && (!streq(b.boot_id, e->record.boot_id) || b.boot_time != e->record.boot_time)) {
                e->dropped = true;
                return -EBADMSG;
        }
        e->loaded = true;
        if (r < 0)
                return 0; /* the name alone */
        boot_record_done(&e->record);
        e->record = b;
        b = (BootRecord) {};
        return 0;
}

int boot_records_load(const char *state_dir, BootRecords *ret) {
        _cleanup_free_ char *dir = path_join(state_dir, "boots");
        if (!dir)
                return -ENOMEM;
        _cleanup_(boot_records_done) BootRecords l = {};
        /* Never through a symlink: what is removed below is removed there. */
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ELOOP)
                        return -ENOTDIR;
                if (errno != ENOENT)
                        return negative_errno();
                *ret = (BootRecords) {};
                return 0;
        }
        _cleanup_(closedirp) DIR *d = fdopendir(fd);
        if (!d) {
                int r = negative_errno();
                close(fd);
                return r;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *p = path_join(dir, de->d_name);
                if (!p)
                        return -ENOMEM;
                _cleanup_(boot_record_done) BootRecord b = {};
                const char *boot_id;
                bool loaded = false;
                if (record_name_parse(de->d_name, &b.boot_time, &boot_id)) {
                        if (!record_file_trusted(dirfd(d), de->d_name))
                                continue;
                        if (!(b.boot_id = strdup(boot_id)))
                                return -ENOMEM;
                } else {
                        /* named by an older kcrash: read now */
                        _cleanup_free_ char *text = NULL;
                        int k = read_full_file_trusted_at(dirfd(d), de->d_name, 256 * 1024, &text, NULL);
                        if (k == -EPERM || k == -EBADFD) {
                                (void) unlinkat(dirfd(d), de->d_name, 0); /* not root's: planted, never read */
                                continue;
                        }
                        if (k == -ENOMEM)
                                return k;
                        if (k < 0)
                                continue;
                        k = boot_record_parse(text, &b);
                        if (k == -ENOMEM)
                                return k;
                        if (k < 0) {
                                /* root's, and no record: only an older kcrash
                                 * wrote this name, never to be pruned */
                                (void) unlinkat(dirfd(d), de->d_name, 0);
                                continue;
                        }
                        loaded = true;
                }
                int k = records_add(&l, &b, &p, loaded);
                if (k < 0)
                        return k;
        }
        *ret = l;
        l = (BootRecords) {};
        return 0;
}

/* The entry of the boot that was running at crash_time, by the names. */
static BootRecordEntry *entry_find(BootRecords *b, time_t crash_time) {
        BootRecordEntry *best = NULL;
        for (size_t i = 0; i < b->n; i++) {
                BootRecordEntry *e = &b->items[i];
                if (!e->dropped && e->record.boot_time <= crash_time &&
                    (!best || e->record.boot_time > best->record.boot_time))
                        best = e;
        }
        return best;
}

/* The folder's lock, waited for a while: a collection holds it for one
 * write. Without it (a filesystem without flock(), a holder stopped for
 * seconds), the boot's record is still written. */
static bool folder_lock(int dir_fd) {
        for (unsigned i = 0; i < 50; i++) {
                if (flock(dir_fd, LOCK_EX | LOCK_NB) == 0)
                        return true;
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return false;
                (void) usleep(100 * 1000);
        }
        return false;
}

/* Removes the folder's other names of boot_id, and, under the lock, temp
 * files a killed write_file_atomic() left (no write is under way then).
 * Returns whether it removed one. */
static bool remove_other_names(int dir_fd, const char *keep, const char *boot_id, bool locked) {
        bool removed = false;
        int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return false;
        _cleanup_(closedirp) DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return false;
        }
        rewinddir(d);
        struct dirent *de;
        while ((de = readdir(d))) {
                time_t t;
                const char *id;
                bool stale = locked && strneq(de->d_name, ".#", 2);
                bool same_boot = streq(de->d_name, boot_id) ||
                                 (record_name_parse(de->d_name, &t, &id) && streq(id, boot_id));
                if ((stale || (same_boot && !streq(de->d_name, keep))) && unlinkat(dir_fd, de->d_name, 0) >= 0)
                        removed = true;
        }
        return removed;
}

/* Keeps the newest records of other boots, room left for this boot's
 * (boot_id): by the names, none read, and never this boot's own (its clock
 * may be behind every earlier boot's: a device without a battery-backed
 * clock). Equal times go by name. Called before this boot's record is
 * written: the directory fsync that makes the record durable makes these
 * removals durable too (a removal after it could come back at a power
 * loss). */
static void prune_for(BootRecords *records, const char *boot_id) {
        size_t live = 1;
        for (size_t i = 0; i < records->n; i++)
                live += !records->items[i].dropped && !streq(records->items[i].record.boot_id, boot_id);
        while (live > BOOT_RECORDS_KEEP) {
                size_t oldest = SIZE_MAX;
                for (size_t i = 0; i < records->n; i++) {
                        const BootRecordEntry *e = &records->items[i], *o;
                        if (e->dropped || streq(e->record.boot_id, boot_id))
                                continue;
                        o = oldest == SIZE_MAX ? NULL : &records->items[oldest];
                        if (!o || e->record.boot_time < o->record.boot_time ||
                            (e->record.boot_time == o->record.boot_time && strcmp(e->path, o->path) < 0))
                                oldest = i;
                }
                if (oldest == SIZE_MAX)
                        break;
                /* The set stays what the folder holds: a record that cannot
                 * be removed (a read-only folder) is still there to be found. */
                int r = failpoint_check("prune-record");
                if (r >= 0 && unlink(records->items[oldest].path) < 0 && errno != ENOENT)
                        r = negative_errno();
                if (r < 0)
                        break;
                records_remove(records, oldest);
                live--;
        }
}

int boot_record_save(const char *root, const char *state_dir, BootRecords *records) {
        _cleanup_(boot_record_done) BootRecord cur = {
                .boot_id = root_first_line(root, "/proc/sys/kernel/random/boot_id"),
                .boot_time = proc_boot_time(root),
                .kernel_release = root_first_line(root, "/proc/sys/kernel/osrelease"),
                .kernel_version = root_first_line(root, "/proc/sys/kernel/version"),
        };
        _cleanup_free_ char *dir = path_join(state_dir, "boots"), *name = NULL, *path = NULL, *text = NULL;
        _cleanup_(os_release_done) OsRelease os = {};
        _cleanup_(build_ids_done) BuildIds ids = {};
        int r;

        if (!dir)
                return -ENOMEM;
        if (!boot_id_valid(cur.boot_id))
                return -ENOENT;
        /* A boot without a boot time has no record that could be found. */
        if (cur.boot_time <= 0)
                return -ENOENT;
        (void) os_release_read(root, &os);
        cur.build_id = TAKE_PTR(os.build_id);
        cur.pretty_name = TAKE_PTR(os.pretty_name);
        cur.os_release_text = TAKE_PTR(os.text);
        /* The build ids that tie a crash of this boot to its debug info. */
        r = build_ids_read_running(root, &ids, "boot-record");
        if (r >= 0)
                r = build_ids_modules_format(&ids, &cur.module_build_ids);
        if (r < 0)
                return r;
        if (ids.vmlinux && !(cur.vmlinux_build_id = strdup(ids.vmlinux)))
                return -ENOMEM;
        if (boot_record_format(&cur, &text) < 0 || record_name(&cur, &name) < 0 || !(path = path_join(dir, name)))
                return -ENOMEM;

        /* Parsed and room made first: once the record is on disk, the set
         * holds it (as a later load reads it back: empty values as NULL). */
        _cleanup_(boot_record_done) BootRecord written = {};
        r = boot_record_parse(text, &written);
        if (r >= 0)
                r = records_reserve(records);
        if (r < 0)
                return r;

        /* One collection at a time writes a boot's record: of two at once
         * (kcrashctl collect beside the boot's), one could read the other's
         * half-written file, or remove the other's record on a failed
         * write. */
        _cleanup_close_ int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir_fd < 0 && errno == ENOENT) {
                r = mkdir_p(dir, 0700);
                if (r < 0)
                        return r;
                dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (dir_fd < 0)
                return errno == ELOOP ? -ENOTDIR : negative_errno();
        bool locked = folder_lock(dir_fd);
        prune_for(records, cur.boot_id);

        /* A later run in the same boot (kcrash-collect.path, kcrashctl
         * collect) finds the record it would write, byte for byte: no new
         * write, no fsync of a new file. Synced all the same, which costs
         * nothing when the run that wrote it finished: a run killed before
         * its syncs left it in the page cache only. */
        bool listed = false;
        for (size_t i = 0; i < records->n && !listed; i++)
                listed = streq(records->items[i].path, path);
        _cleanup_free_ char *old = NULL;
        size_t old_size = 0;
        if (listed && read_full_file_trusted(path, 256 * 1024, &old, &old_size) >= 0 && old_size == strlen(text) &&
            memcmp(old, text, old_size) == 0) {
                r = fsync_path(path);
                if (r >= 0 && fsync(dir_fd) < 0)
                        r = negative_errno();
                if (r < 0)
                        return r;
        } else {
                r = write_file_new(path, text, strlen(text), 0600);
                /* What this boot said before (a build id read later), or a
                 * record cut short: replaced whole. */
                if (r == -EEXIST)
                        r = write_file_atomic(path, text, strlen(text), 0600);
                if (r < 0)
                        return r;
        }

        /* This boot's other records go: the one replaced, one named by an
         * older kcrash, one of a boot time that moved (btime is the clock
         * minus the uptime), also one another collection wrote after this
         * one listed the folder. */
        bool removed = remove_other_names(dir_fd, name, cur.boot_id, locked);
        for (size_t i = records->n; i-- > 0;)
                if (streq(records->items[i].record.boot_id, cur.boot_id)) {
                        if (!streq(records->items[i].path, path) && unlink(records->items[i].path) >= 0)
                                removed = true;
                        records_remove(records, i);
                }
        records_append(records, &written, &path, true);
        /* Those removals made durable too (rare: a boot named twice), or
         * a power loss could bring one back as a second record of this boot.
         * This boot's record is on disk already: a failure is not its. */
        if (removed)
                (void) fsync(dir_fd);
        return 0;
}

const BootRecord *boot_records_find_boot(BootRecords *b, const char *boot_id) {
        for (size_t i = 0; i < b->n; i++) {
                BootRecordEntry *e = &b->items[i];
                if (e->dropped || !streq(e->record.boot_id, boot_id))
                        continue;
                if (e->loaded || entry_load(e) >= 0)
                        return &e->record;
        }
        return NULL;
}

const BootRecord *boot_records_find(BootRecords *b, time_t crash_time) {
        for (;;) {
                BootRecordEntry *e = entry_find(b, crash_time);
                if (!e)
                        return NULL;
                if (e->loaded)
                        return &e->record;
                int r = entry_load(e);
                if (r >= 0)
                        return &e->record;
                if (r == -ENOMEM)
                        return NULL;
                /* dropped: the next best */
        }
}

void boot_records_done(BootRecords *b) {
        for (size_t i = 0; i < b->n; i++) {
                boot_record_done(&b->items[i].record);
                free(b->items[i].path);
        }
        free(b->items);
        *b = (BootRecords) {};
}

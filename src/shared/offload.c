/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fileio.h"
#include "mountinfo.h"
#include "parse-util.h"
#include "offload.h"

const OffloadDir offload_dirs[] = {
        { "", 0755, OWNER_ROOT, "the offload folder" },
        { OFFLOAD_CRASH_DIR, 0700, OWNER_ROOT, "kdump captures written by kcrash-save" },
        { OFFLOAD_VMCORE_DIR, 0700, OWNER_ROOT, "vmcores kept by the collector" },
        { OFFLOAD_STATE_DIR, 0755, OWNER_ROOT, "the collector's state: markers, boot records, salt, armed.json" },
        { OFFLOAD_STATE_DIR "/tmp", 0700, OWNER_ROOT, "reports being built" },
        { OFFLOAD_STATE_DIR "/collected", 0700, OWNER_ROOT, "a marker per record being collected" },
        { OFFLOAD_STATE_DIR "/boots", 0700, OWNER_ROOT, "a record of each boot's kernel and build" },
        { OFFLOAD_QUEUE_DIR, 0775, OWNER_ROOT_UPLOADER_GROUP, "the upload queue" },
        { OFFLOAD_SENT_DIR, 0775, OWNER_ROOT_UPLOADER_GROUP, "uploaded reports" },
        { OFFLOAD_UPLOAD_STATE_DIR, 0755, OWNER_UPLOADER, "the uploader's state: per-report state, lock, budget" },
};
const size_t offload_dirs_count = ELEMENTSOF(offload_dirs);

static const char *const how_names[] = {
        [OFFLOAD_RECORDED] = "recorded at boot by kcrashctl load",
        [OFFLOAD_UNDER_MOUNT_POINT] = "KDUMP_FOLDER lies under MOUNT_DEVNODE's mount point",
        [OFFLOAD_ON_DEVICE] = "KDUMP_FOLDER inside MOUNT_DEVNODE's filesystem",
        [OFFLOAD_NO_DEVICE] = "MOUNT_DEVNODE is empty: KDUMP_FOLDER as is",
        [OFFLOAD_NOT_MOUNTED] = "MOUNT_DEVNODE is not mounted: KDUMP_FOLDER as is",
        [OFFLOAD_NO_MOUNT_TABLE] = "no mount table: KDUMP_FOLDER as is",
};

const char *offload_how_to_string(OffloadHow h) {
        return (size_t) h < ELEMENTSOF(how_names) ? how_names[h] : "?";
}

bool offload_how_is_suspect(OffloadHow h) {
        return h == OFFLOAD_NOT_MOUNTED;
}

void offload_folder_done(OffloadFolder *f) {
        free(f->path);
        free(f->relative);
        free(f->mount_point);
        *f = (OffloadFolder) {};
}

char *offload_path_in_root(const char *root, const OffloadFolder *f) {
        return path_in_root(root, f->path);
}

/* "/a/b" lies under "/a" (or is it); returns the rest ("/b", or "/" when
 * equal), else NULL. */
static const char *path_under(const char *path, const char *dir) {
        size_t l = strlen(dir);
        while (l > 0 && dir[l - 1] == '/')
                l--;
        if (l == 0)
                return path; /* everything lies under "/" */
        if (strncmp(path, dir, l) != 0)
                return NULL;
        if (path[l] == 0)
                return "/";
        if (path[l] != '/')
                return NULL;
        return path + l;
}

/* Whether the link st, in the folder done (resolved, under root), is
 * followed (link_stat_trusted()). */
static bool link_in_root_trusted(const char *root, const char *done, const struct stat *st) {
        _cleanup_free_ char *dir = path_in_root(root, done[0] ? done : "/");
        struct stat dir_st;
        return dir && stat(dir, &dir_st) >= 0 && link_stat_trusted(st, &dir_st);
}

/* Resolves the symlinks of the part of path that exists inside root (as
 * chroot would, so a fake root's absolute links stay inside it) and returns
 * the result without the root prefix; the missing tail is appended as is,
 * and so is the part from a link that is not root's.
 *
 * A symlink on the way to the offload folder is followed only when it is
 * the system's own (root's, or ours on a fake root: /home -> var/home,
 * udev's /dev/disk/by-*, in a folder only root can change), never one a
 * user made or put in a folder of theirs (link_stat_trusted(), here and in
 * folder_walk_open()). KDUMP_FOLDER may lie under a user's folder
 * (/home/deck/kdump): a link of theirs there, followed, had root take over
 * whatever it named as the folder (owner root, mode 0755, our folders made
 * in it: another user's home; attack review). */
int chase_in_root(const char *root, const char *path, char **ret) {
        _cleanup_free_ char *done = strdup(""), *todo = strdup(path);
        unsigned hops = 0;
        if (!done || !todo)
                return -ENOMEM;
        char *p = todo;
        bool missing = false;
        while (*p) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                char *slash = strchrnul(p, '/');
                size_t n = (size_t) (slash - p);
                _cleanup_free_ char *comp = strndup(p, n);
                if (!comp)
                        return -ENOMEM;
                p = slash;
                if (streq(comp, "."))
                        continue;
                if (streq(comp, "..")) {
                        char *last = strrchr(done, '/');
                        if (last)
                                *last = 0;
                        continue;
                }
                _cleanup_free_ char *next = NULL;
                if (asprintf(&next, "%s/%s", done, comp) < 0)
                        return -ENOMEM;
                if (!missing) {
                        _cleanup_free_ char *full = path_in_root(root, next);
                        struct stat st;
                        if (!full)
                                return -ENOMEM;
                        if (lstat(full, &st) < 0 || (S_ISLNK(st.st_mode) && !link_in_root_trusted(root, done, &st)))
                                /* missing, or a link not followed: the rest
                                 * as written (opening it refuses the link,
                                 * folder_walk_open()) */
                                missing = true;
                        else if (S_ISLNK(st.st_mode)) {
                                if (++hops > 40)
                                        return -ELOOP;
                                _cleanup_free_ char *target = NULL, *rest = NULL;
                                int k = readlinkat_malloc(AT_FDCWD, full, &target);
                                if (k < 0)
                                        return k;
                                if (asprintf(&rest, "%s%s", target, p) < 0)
                                        return -ENOMEM;
                                if (target[0] == '/')
                                        done[0] = 0;
                                free(todo);
                                todo = TAKE_PTR(rest);
                                p = todo;
                                continue;
                        }
                }
                free(done);
                done = TAKE_PTR(next);
        }
        if (!done[0]) {
                free(done);
                done = strdup("/");
                if (!done)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(done);
        return 0;
}

/* Any user can mount a FUSE filesystem (fusermount is setuid) and name its
 * source as it likes ("-o fsname=/dev/disk/by-partlabel/home"): such a mount
 * is never the device, whatever its source says. fuseblk (a block device
 * through FUSE, ntfs-3g) needs root to mount and stays. */
static bool mount_is_user_fuse(const MountEntry *m) {
        return streq(m->fstype, "fuse") || startswith(m->fstype, "fuse.");
}

static bool device_matches(const char *root, const char *devnode, const char *devnode_real, const MountEntry *m) {
        if (mount_is_user_fuse(m))
                return false;
        if (streq(m->source, devnode) || (devnode_real && streq(m->source, devnode_real)))
                return true;
        _cleanup_free_ char *p = path_in_root(root, devnode);
        struct stat st;
        return p && stat(p, &st) >= 0 && S_ISBLK(st.st_mode) && major(st.st_rdev) == m->major &&
               minor(st.st_rdev) == m->minor;
}

/* KDUMP_FOLDER as a path on the running system. */
static int folder_as_is(const KcrashConfig *c, OffloadHow how, OffloadFolder *ret) {
        char *p = strdup(c->kdump_folder);
        if (!p)
                return -ENOMEM;
        *ret = (OffloadFolder) { .path = p, .how = how };
        return 0;
}

int offload_resolve(const char *root, const KcrashConfig *c, OffloadFolder *ret) {
        OffloadFolder f = {};
        int r;

        if (isempty(c->kdump_folder) || c->kdump_folder[0] != '/')
                return -EINVAL;
        if (isempty(c->mount_devnode))
                return folder_as_is(c, OFFLOAD_NO_DEVICE, ret);

        _cleanup_free_ char *mi_path = path_in_root(root, "/proc/self/mountinfo"), *mi = NULL;
        if (!mi_path)
                return -ENOMEM;
        r = read_full_file(mi_path, 16 << 20, &mi, NULL);
        if (r == -ENOENT)
                return folder_as_is(c, OFFLOAD_NO_MOUNT_TABLE, ret);
        if (r < 0)
                return r;

        _cleanup_free_ char *devnode_real = NULL;
        (void) chase_in_root(root, c->mount_devnode, &devnode_real);

        /* The device's mount whose root is the filesystem's top (a plain
         * mount, not a bind of a subfolder); failing that, any of its mounts
         * whose root contains the folder. */
        MountEntry best = {};
        bool found = false;
        for (const char *p = mi; *p;) {
                const char *eol = strchrnul(p, '\n');
                MountEntry m = {};
                if (mountinfo_parse_line(p, (size_t) (eol - p), &m) >= 0) {
                        if (device_matches(root, c->mount_devnode, devnode_real, &m) &&
                            (!found || (streq(m.root, "/") && !streq(best.root, "/")))) {
                                mount_entry_done(&best);
                                best = m;
                                m = (MountEntry) {};
                                found = true;
                        }
                        mount_entry_done(&m);
                }
                p = *eol ? eol + 1 : eol;
        }
        if (!found)
                return folder_as_is(c, OFFLOAD_NOT_MOUNTED, ret);

        /* "/home" a symlink to "/var/home": compare real paths. */
        _cleanup_free_ char *folder_real = NULL;
        r = chase_in_root(root, c->kdump_folder, &folder_real);
        if (r < 0) {
                mount_entry_done(&best);
                return r;
        }
        const char *rest = path_under(folder_real, best.mount_point);
        if (rest) {
                f.how = OFFLOAD_UNDER_MOUNT_POINT;
                f.path = strdup(folder_real);
                f.relative = path_join(best.root, rest);
        } else {
                f.how = OFFLOAD_ON_DEVICE;
                /* Inside the filesystem. A path that already names the
                 * mount's root (a bind of a subfolder, a btrfs subvolume
                 * "/@home") is seen below the mount point without it; any
                 * other is taken as a path inside what is mounted, which on
                 * the device itself is below the mount's root. */
                const char *inside = path_under(c->kdump_folder, best.root);
                f.relative = inside ? strdup(c->kdump_folder) : path_join(best.root, c->kdump_folder);
                f.path = path_join(best.mount_point, inside ? inside : c->kdump_folder);
        }
        f.mount_point = strdup(best.mount_point);
        mount_entry_done(&best);
        if (!f.path || !f.relative || !f.mount_point) {
                offload_folder_done(&f);
                return -ENOMEM;
        }
        /* path_join("/", "/x") gives "//x" when the mount point is "/" */
        if (strneq(f.path, "//", 2))
                memmove(f.path, f.path + 1, strlen(f.path));
        if (strneq(f.relative, "//", 2))
                memmove(f.relative, f.relative + 1, strlen(f.relative));
        *ret = f;
        return 0;
}

/* The record's directory must be writable by its owner only, and owned by
 * root (or by us, for an unprivileged run on a fake root); so must the link. */
int offload_record_read(const char *root, char **ret_path) {
        _cleanup_free_ char *link = path_in_root(root, OFFLOAD_RECORD), *dir = NULL;
        if (!link)
                return -ENOMEM;
        dir = strdup(link);
        if (!dir)
                return -ENOMEM;
        *strrchr(dir, '/') = 0;
        struct stat st;
        if (lstat(dir, &st) < 0)
                return negative_errno();
        if (!S_ISDIR(st.st_mode) || !dir_stat_trusted(&st))
                return -EPERM;
        if (lstat(link, &st) < 0)
                return negative_errno();
        if (!S_ISLNK(st.st_mode) || !stat_owned_by_us(&st))
                return -EPERM;
        _cleanup_free_ char *target = NULL;
        int r = readlinkat_malloc(AT_FDCWD, link, &target);
        if (r < 0)
                return r;
        if (target[0] != '/')
                return -EPERM;
        *ret_path = TAKE_PTR(target);
        return 0;
}

int offload_record_write(const char *root, const char *path) {
        _cleanup_free_ char *link = path_in_root(root, OFFLOAD_RECORD), *dir = NULL, *tmp = NULL;
        if (!link)
                return -ENOMEM;
        dir = strdup(link);
        if (!dir)
                return -ENOMEM;
        *strrchr(dir, '/') = 0;
        int r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        if (asprintf(&tmp, "%s/.#offload.%d", dir, (int) getpid()) < 0)
                return -ENOMEM;
        (void) unlink(tmp);
        if (symlink(path, tmp) < 0)
                return negative_errno();
        if (rename(tmp, link) < 0) {
                r = negative_errno();
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

int offload_get(const char *root, const KcrashConfig *c, OffloadFolder *ret) {
        _cleanup_free_ char *recorded = NULL;
        if (offload_record_read(root, &recorded) >= 0) {
                OffloadFolder f = { .how = OFFLOAD_RECORDED, .path = TAKE_PTR(recorded) };
                *ret = f;
                return 0;
        }
        return offload_resolve(root, c, ret);
}

int offload_cmdline_word(const OffloadFolder *f, char **ret) {
        *ret = NULL;
        if (!f->relative)
                return 0;
        /* The kernel splits its command line at spaces and honours double
         * quotes only around a whole value: keep to a plain alphabet. */
        for (const char *p = f->relative; *p; p++)
                if (*p <= ' ' || *p == '"' || *p == '\\' || (unsigned char) *p >= 0x7f)
                        return 0;
        return asprintf(ret, OFFLOAD_CMDLINE_KEY "%s", f->relative) < 0 ? -ENOMEM : 0;
}

int offload_cmdline_find(const char *cmdline, char **ret_relative) {
        const char *found = NULL;
        size_t len = 0;
        for (const char *p = cmdline; *p;) {
                while (*p == ' ' || *p == '\t' || *p == '\n')
                        p++;
                const char *end = p;
                while (*end && *end != ' ' && *end != '\t' && *end != '\n')
                        end++;
                if (startswith(p, OFFLOAD_CMDLINE_KEY) && (size_t) (end - p) > strlen(OFFLOAD_CMDLINE_KEY)) {
                        found = p + strlen(OFFLOAD_CMDLINE_KEY); /* the last one wins, as for the kernel */
                        len = (size_t) (end - found);
                }
                p = end;
        }
        if (!found || found[0] != '/')
                return -ENOENT;
        char *s = strndup(found, len);
        if (!s)
                return -ENOMEM;
        *ret_relative = s;
        return 0;
}

int passwd_find(FILE *f, const char *name, uid_t *ret_uid, gid_t *ret_gid) {
        /* glibc's own parser of passwd(5) lines, without NSS; it skips lines
         * it cannot parse. A line longer than the buffer is ERANGE: the
         * stream is put back and read again with a larger one. */
        size_t size = 1024;
        for (;;) {
                _cleanup_free_ char *buf = malloc(size);
                if (!buf)
                        return -ENOMEM;
                for (;;) {
                        struct passwd pw, *p;
                        int r = fgetpwent_r(f, &pw, buf, size, &p);
                        if (r == ERANGE)
                                break;
                        if (r == ENOENT)
                                return -ENOENT;
                        if (r != 0)
                                return -r;
                        /* (uid_t) -1 is "no user" to chown(2) */
                        if (streq(pw.pw_name, name) && pw.pw_uid != (uid_t) -1 && pw.pw_gid != (gid_t) -1) {
                                *ret_uid = pw.pw_uid;
                                *ret_gid = pw.pw_gid;
                                return 0;
                        }
                }
                if (size >= 1024 * 1024)
                        return -E2BIG;
                size *= 4;
        }
}

/* /etc/passwd itself, not NSS: the account is a system user that
 * systemd-sysusers writes there (systemd/kcrash.sysusers), and getpwnam()
 * would load NSS modules into the root collector at every boot (nss_systemd
 * with libcap and libm when the name is not in the file: a third of the
 * collector's memory and time with nothing to collect). */
int uploader_account(uid_t *ret_uid, gid_t *ret_gid) {
        /* Read at once and parsed from memory: on a file stream,
         * fgetpwent_r() asks the kernel for its position before every line
         * (an lseek() a line, at every boot). */
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        int r = read_full_file("/etc/passwd", 64 << 20, &text, &size);
        if (r < 0)
                return r;
        if (size == 0)
                return -ENOENT;
        _cleanup_fclose_ FILE *f = fmemopen(text, size, "r");
        if (!f)
                return negative_errno();
        return passwd_find(f, UPLOADER_USER, ret_uid, ret_gid);
}

/* Sets the owner and mode of offload_dirs[i], open as fd. */
static int set_owner_and_mode(int fd, const OffloadDir *d, uid_t uploader_uid, gid_t uploader_gid) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (geteuid() == 0) {
                uid_t uid = 0;
                gid_t gid = 0;
                if (d->owner == OWNER_UPLOADER && uploader_uid != (uid_t) -1)
                        uid = uploader_uid;
                if (d->owner != OWNER_ROOT && uploader_gid != (gid_t) -1)
                        gid = uploader_gid;
                if (st.st_uid != uid || st.st_gid != gid) {
                        if (fchown(fd, uid, gid) < 0 || fstat(fd, &st) < 0)
                                return negative_errno();
                }
        }
        if ((st.st_mode & 07777) != d->mode && fchmod(fd, d->mode) < 0)
                return negative_errno();
        /* The mode is all that says who may write here: an ACL the folder
         * was made with (a default ACL the user set on the folder above,
         * inherited) let the user write the upload queue (attack review). */
        static const char *const acls[] = { "system.posix_acl_access", "system.posix_acl_default" };
        /* Looked for first: removing one that is not there is refused
         * without CAP_FOWNER on the uploader's folders. */
        for (size_t i = 0; i < ELEMENTSOF(acls); i++)
                if (fgetxattr(fd, acls[i], NULL, 0) >= 0 && fremovexattr(fd, acls[i]) < 0 && errno != ENODATA)
                        return negative_errno();
        return 0;
}

/* The same; a change refused (a capability the caller lacks) is -EACCES:
 * -EPERM is offload_layout_open()'s answer for a folder that is not root's,
 * which callers tell apart (kcrashctl load then does not arm kdump). */
static int fix_owner_and_mode(int fd, const OffloadDir *d, uid_t uploader_uid, gid_t uploader_gid) {
        int r = set_owner_and_mode(fd, d, uploader_uid, uploader_gid);
        return r == -EPERM ? -EACCES : r;
}

/* Opens the folder at path one name at a time relative to the folder
 * before, making what is missing of it (mode 0755) when make is set (else
 * -ENOENT): a symlink on the way is followed only when the system's
 * (link_stat_trusted(); -ELOOP otherwise, see chase_in_root()), the last
 * name never (-ENOTDIR), and a
 * name swapped for a link meanwhile is refused, not followed. */
static int folder_walk_open(const char *path, bool make, int *ret_fd) {
        _cleanup_free_ char *todo = strdup(path);
        _cleanup_close_ int dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        unsigned hops = 0;
        if (!todo)
                return -ENOMEM;
        if (dir < 0)
                return negative_errno();
        for (char *p = todo; *p;) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                char *slash = strchrnul(p, '/');
                bool last = !slash[strspn(slash, "/")];
                _cleanup_free_ char *name = strndup(p, (size_t) (slash - p));
                if (!name)
                        return -ENOMEM;
                p = slash;
                int fd = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 && errno == ENOENT && make) {
                        if (mkdirat(dir, name, 0755) < 0 && errno != EEXIST)
                                return negative_errno();
                        fd = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                }
                if (fd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
                        struct stat st;
                        if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                return negative_errno();
                        if (!S_ISLNK(st.st_mode) || last)
                                return -ENOTDIR;
                        struct stat dir_st;
                        if (fstat(dir, &dir_st) < 0)
                                return negative_errno();
                        if (++hops > 40 || !link_stat_trusted(&st, &dir_st))
                                return -ELOOP;
                        char *rest;
                        bool absolute;
                        int r = walk_through_link(dir, name, p, &rest, &absolute);
                        if (r < 0)
                                return r;
                        free(todo);
                        todo = p = rest;
                        if (absolute) {
                                int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                                if (root < 0)
                                        return negative_errno();
                                close(dir);
                                dir = root;
                        }
                        continue;
                }
                if (fd < 0)
                        return negative_errno();
                close(dir);
                dir = fd;
        }
        int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        *ret_fd = fd;
        return 0;
}

/* 0 when the open folder is root's (or ours on a fake root), else -EPERM. */
static int folder_is_ours(int fd) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        return stat_owned_by_us(&st) ? 0 : -EPERM;
}

int offload_open(const char *folder_in_root, bool make, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        int r = folder_walk_open(folder_in_root, make, &fd);
        if (r >= 0)
                r = folder_is_ours(fd);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int offload_layout_open(const char *folder_in_root, uid_t uploader_uid, gid_t uploader_gid, int *ret_fd) {
        /* The folder is resolved once, here; its folders are opened,
         * made and repaired relative to it: the folders above it may be a
         * user's (KDUMP_FOLDER=/home/<user>/kdump), who can rename or swap
         * them at any moment. */
        _cleanup_close_ int top = -EBADF;
        int r = folder_walk_open(folder_in_root, true, &top);
        if (r < 0)
                return r;
        /* Made root's when it is (a mode repaired), never taken over from
         * another user: one who can write the folder above could rename
         * someone else's private folder into its place (attack review). */
        r = folder_is_ours(top);
        if (r < 0)
                return r;
        for (size_t i = 0; i < offload_dirs_count; i++) {
                const OffloadDir *d = &offload_dirs[i];
                if (!d->name[0]) {
                        r = fix_owner_and_mode(top, d, uploader_uid, uploader_gid);
                        if (r < 0)
                                return r;
                        continue;
                }
                /* Made only when missing: the folders are there at every
                 * boot but the first. (A name with a '/' goes through its
                 * parent, which comes before it in offload_dirs[] and is
                 * root's by then.) */
                _cleanup_close_ int fd = openat(top, d->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 && errno == ENOENT) {
                        if (mkdirat(top, d->name, d->mode & 0777) < 0 && errno != EEXIST)
                                return negative_errno();
                        fd = openat(top, d->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                }
                if (fd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
                        /* Something else where one of our folders belongs (an
                         * older layout let the uploader's group write here):
                         * removed, never followed, and made anew. */
                        if (unlinkat(top, d->name, 0) < 0 || mkdirat(top, d->name, d->mode & 0777) < 0)
                                return negative_errno();
                        fd = openat(top, d->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                }
                if (fd < 0)
                        return errno == ELOOP ? -ENOTDIR : negative_errno();
                r = fix_owner_and_mode(fd, d, uploader_uid, uploader_gid);
                if (r < 0)
                        return r;
        }
        if (ret_fd)
                *ret_fd = TAKE_FD(top);
        return 0;
}

char *offload_fd_path(int fd, const char *fallback) {
        char *p = NULL;
        if (fd >= 0 && asprintf(&p, "/proc/self/fd/%d", fd) >= 0 && access(p, F_OK) >= 0)
                return p;
        free(p);
        return strdup(fallback);
}

const char *offload_error_hint(int error) {
        if (error == -ELOOP)
                return "; a symlink on the way to it is followed only when root's, in a folder only root can change";
        if (error == -ENOTDIR)
                return "; it must be a folder, not a symlink or a file";
        if (error == -EPERM)
                return "; the folder is not root's, and kcrash does not take over a user's folder "
                       "(make it root's, or remove it)";
        return "";
}

int offload_layout_ensure(const char *folder_in_root, uid_t uploader_uid, gid_t uploader_gid) {
        return offload_layout_open(folder_in_root, uploader_uid, uploader_gid, NULL);
}

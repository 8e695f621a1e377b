/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <sys/stat.h>

#include "config.h"
#include "fileio.h"
#include "mountinfo.h"
#include "offload.h"
#include "tests.h"

TEST(mountinfo_line) {
        MountEntry m = {};
        const char *l = "36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue";
        ASSERT_OK(mountinfo_parse_line(l, strlen(l), &m));
        ASSERT_EQ(m.major, 98);
        ASSERT_EQ(m.minor, 0);
        ASSERT_STREQ(m.root, "/mnt1");
        ASSERT_STREQ(m.mount_point, "/mnt/with space");
        ASSERT_STREQ(m.fstype, "ext3");
        ASSERT_STREQ(m.source, "/dev/root");
        mount_entry_done(&m);
        const char *bad[] = { "", "36 35 98:0 /a /b rw", "36 35 x:0 / / rw - ext4 /dev/x rw", "36 35 1:2 a / rw - e s o",
                              "36 35 1:2 / /\\000 rw - e s o" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ASSERT_ERR(mountinfo_parse_line(bad[i], strlen(bad[i]), &m), -EINVAL);
}

static char *fake_root(const char *mountinfo) {
        char *root = test_tmpdir();
        _cleanup_free_ char *mi = path_join(root, "proc/self/mountinfo"), *dev = path_join(root, "dev/disk/by-partsets/shared");
        _cleanup_free_ char *link = path_join(dev, "home"), *target = path_join(root, "dev/nvme0n1p8");
        ASSERT_OK(mkdir_p(dev, 0755));
        ASSERT_OK(symlink("../../../nvme0n1p8", link));
        ASSERT_OK(write_file_atomic(target, "", 0, 0644));
        _cleanup_free_ char *dir = strdup(mi);
        *strrchr(dir, '/') = 0;
        ASSERT_OK(mkdir_p(dir, 0755));
        if (mountinfo)
                ASSERT_OK(write_file_atomic(mi, mountinfo, strlen(mountinfo), 0644));
        return root;
}

static void resolve(const char *root, const char *devnode, const char *folder, OffloadFolder *ret) {
        KcrashConfig c = {};
        ASSERT_OK(config_init_defaults(&c));
        free(c.mount_devnode);
        free(c.kdump_folder);
        c.mount_devnode = strdup(devnode);
        c.kdump_folder = strdup(folder);
        ASSERT_OK(offload_resolve(root, &c, ret));
        config_done(&c);
}

#define MI_ROOT "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n"

/* Issue 17: SteamOS's values name a folder inside MOUNT_DEVNODE's filesystem;
 * kcrash's full path names the same folder. */
TEST(steamos_folder_is_inside_the_device) {
        _cleanup_free_ char *root = fake_root(MI_ROOT "40 22 259:8 / /home rw - ext4 /dev/nvme0n1p8 rw\n");
        OffloadFolder f = {};
        resolve(root, "/dev/disk/by-partsets/shared/home", "/.steamos/offload/var/kdump", &f);
        ASSERT_EQ(f.how, OFFLOAD_ON_DEVICE);
        ASSERT_STREQ(f.path, "/home/.steamos/offload/var/kdump");
        ASSERT_STREQ(f.relative, "/.steamos/offload/var/kdump");
        ASSERT_STREQ(f.mount_point, "/home");
        offload_folder_done(&f);

        resolve(root, "/dev/disk/by-partsets/shared/home", "/home/.steamos/offload/var/kdump", &f);
        ASSERT_EQ(f.how, OFFLOAD_UNDER_MOUNT_POINT);
        ASSERT_STREQ(f.path, "/home/.steamos/offload/var/kdump");
        ASSERT_STREQ(f.relative, "/.steamos/offload/var/kdump");
        offload_folder_done(&f);

        /* the crash kernel gets the path inside the device */
        char *w = NULL;
        resolve(root, "/dev/nvme0n1p8", "/.steamos/offload/var/kdump", &f);
        ASSERT_OK(offload_cmdline_word(&f, &w));
        ASSERT_STREQ(w, "kcrash.folder=/.steamos/offload/var/kdump");
        char *rel = NULL;
        ASSERT_OK(offload_cmdline_find("ro root=kcrash kcrash.folder=/a kcrash.folder=/.steamos/x quiet", &rel));
        ASSERT_STREQ(rel, "/.steamos/x");
        ASSERT_ERR(offload_cmdline_find("ro kcrash.folder= kcrash.folderx=/a", &rel), -ENOENT);
        free(rel);
        free(w);
        offload_folder_done(&f);
}

TEST(device_at_var_home_and_bind_mounts) {
        /* /home a symlink to /var/home (as on image-based systems) */
        _cleanup_free_ char *root = fake_root(MI_ROOT "41 22 259:8 /@home /var/home rw - btrfs /dev/nvme0n1p8 rw\n"
                                                      "42 22 259:8 /@home/x /srv/x rw - btrfs /dev/nvme0n1p8 rw\n");
        _cleanup_free_ char *var_home = path_join(root, "var/home"), *home = path_join(root, "home");
        ASSERT_OK(mkdir_p(var_home, 0755));
        ASSERT_OK(symlink("var/home", home));
        OffloadFolder f = {};
        resolve(root, "/dev/disk/by-partsets/shared/home", "/.steamos/offload/var/kdump", &f);
        ASSERT_EQ(f.how, OFFLOAD_ON_DEVICE);
        ASSERT_STREQ(f.path, "/var/home/.steamos/offload/var/kdump");
        ASSERT_STREQ(f.mount_point, "/var/home");
        /* the crash kernel mounts the whole device: the subvolume is in the path */
        ASSERT_STREQ(f.relative, "/@home/.steamos/offload/var/kdump");
        offload_folder_done(&f);
        /* kcrash's form through the symlink: the same folder */
        resolve(root, "/dev/disk/by-partsets/shared/home", "/home/.steamos/offload/var/kdump", &f);
        ASSERT_EQ(f.how, OFFLOAD_UNDER_MOUNT_POINT);
        ASSERT_STREQ(f.path, "/var/home/.steamos/offload/var/kdump");
        ASSERT_STREQ(f.relative, "/@home/.steamos/offload/var/kdump");
        offload_folder_done(&f);
}

TEST(device_not_mounted_or_no_table) {
        _cleanup_free_ char *root = fake_root(MI_ROOT);
        OffloadFolder f = {};
        resolve(root, "/dev/disk/by-partsets/shared/home", "/.steamos/offload/var/kdump", &f);
        ASSERT_EQ(f.how, OFFLOAD_NOT_MOUNTED);
        ASSERT_TRUE(offload_how_is_suspect(f.how));
        ASSERT_STREQ(f.path, "/.steamos/offload/var/kdump");
        ASSERT_TRUE(f.relative == NULL);
        offload_folder_done(&f);

        _cleanup_free_ char *bare = fake_root(NULL);
        resolve(bare, "/dev/disk/by-partsets/shared/home", "/var/kdump", &f);
        ASSERT_EQ(f.how, OFFLOAD_NO_MOUNT_TABLE);
        ASSERT_STREQ(f.path, "/var/kdump");
        offload_folder_done(&f);
        resolve(bare, "", "/var/kdump", &f);
        ASSERT_EQ(f.how, OFFLOAD_NO_DEVICE);
        offload_folder_done(&f);
}

TEST(record_is_trusted_only_as_a_root_or_own_symlink) {
        _cleanup_free_ char *root = fake_root(NULL);
        char *p = NULL;
        ASSERT_ERR(offload_record_read(root, &p), -ENOENT);
        ASSERT_OK(offload_record_write(root, "/home/.steamos/offload/var/kdump"));
        ASSERT_OK(offload_record_read(root, &p));
        ASSERT_STREQ(p, "/home/.steamos/offload/var/kdump");
        free(p);
        /* a record in a folder others can write is not believed */
        _cleanup_free_ char *dir = path_join(root, "run/kcrash");
        ASSERT_OK(chmod(dir, 0777));
        ASSERT_ERR(offload_record_read(root, &p), -EPERM);
        ASSERT_OK(chmod(dir, 0755));
        /* nor a plain file */
        _cleanup_free_ char *link = path_join(root, OFFLOAD_RECORD);
        ASSERT_OK(unlink(link));
        ASSERT_OK(write_file_atomic(link, "/etc", 4, 0644));
        ASSERT_ERR(offload_record_read(root, &p), -EPERM);
}

TEST(layout_repairs_modes_and_refuses_symlinks) {
        _cleanup_free_ char *root = test_tmpdir();
        _cleanup_free_ char *folder = path_join(root, "kdump");
        ASSERT_OK(offload_layout_ensure(folder, (uid_t) -1, (gid_t) -1));
        for (size_t i = 0; i < offload_dirs_count; i++) {
                _cleanup_free_ char *p = path_join(folder, offload_dirs[i].name);
                struct stat st;
                ASSERT_OK(lstat(p, &st));
                ASSERT_TRUE(S_ISDIR(st.st_mode));
                ASSERT_EQ(st.st_mode & 07777, offload_dirs[i].mode);
        }
        /* an old layout: the state folder group-writable */
        _cleanup_free_ char *state = path_join(folder, OFFLOAD_STATE_DIR);
        ASSERT_OK(chmod(state, 0770));
        ASSERT_OK(offload_layout_ensure(folder, (uid_t) -1, (gid_t) -1));
        struct stat st;
        ASSERT_OK(stat(state, &st));
        ASSERT_EQ(st.st_mode & 07777, 0755);
        /* a symlink where a folder belongs is never followed */
        _cleanup_free_ char *crash = path_join(folder, OFFLOAD_CRASH_DIR);
        ASSERT_OK(rm_rf(crash));
        _cleanup_free_ char *elsewhere = path_join(root, "elsewhere");
        ASSERT_OK(mkdir_p(elsewhere, 0755));
        ASSERT_OK(symlink(elsewhere, crash));
        ASSERT_OK(offload_layout_ensure(folder, (uid_t) -1, (gid_t) -1));
        ASSERT_OK(lstat(crash, &st));
        ASSERT_TRUE(S_ISDIR(st.st_mode));
        ASSERT_EQ(st.st_mode & 07777, 0700);
        ASSERT_OK(stat(elsewhere, &st));
        ASSERT_EQ(st.st_mode & 07777, 0755); /* not chmodded through the link */
        /* the folder itself a symlink: the admin's business, refused */
        _cleanup_free_ char *linked = path_join(root, "linked");
        ASSERT_OK(symlink(folder, linked));
        ASSERT_ERR(offload_layout_ensure(linked, (uid_t) -1, (gid_t) -1), -ENOTDIR);
}

static int find_in(const char *text, const char *name, uid_t *ret_uid, gid_t *ret_gid) {
        _cleanup_fclose_ FILE *f = fmemopen((void *) text, strlen(text) + 1, "r");
        ASSERT_TRUE(f);
        return passwd_find(f, name, ret_uid, ret_gid);
}

TEST(passwd_find) {
        const char *text = "root:x:0:0:root:/root:/bin/bash\n"
                           "kcrashx:x:5:5::/:/usr/sbin/nologin\n"
                           "kcrash-watch:x:998:997:kcrash kernel log watcher:/var/lib/kcrash-watch:/usr/sbin/nologin\n"
                           "+kcrash::::::\n"
                           "kcrash:x:999:996:kcrash crash report uploader:/var/lib/kcrash:/usr/sbin/nologin";
        uid_t uid = 1;
        gid_t gid = 1;
        ASSERT_OK(find_in(text, "kcrash", &uid, &gid));
        ASSERT_EQ(uid, 999);
        ASSERT_EQ(gid, 996);
        ASSERT_OK(find_in(text, "root", &uid, &gid));
        ASSERT_EQ(uid, 0);
        ASSERT_EQ(gid, 0);
        ASSERT_OK(find_in("kcrash:x:7:8::/:\n", "kcrash", &uid, &gid));
        ASSERT_EQ(uid, 7);
        ASSERT_EQ(gid, 8);
        /* a line longer than the first buffer, before the account */
        _cleanup_free_ char *long_gecos = malloc(5000), *with_long = NULL;
        ASSERT_TRUE(long_gecos);
        memset(long_gecos, 'g', 4999);
        long_gecos[4999] = 0;
        ASSERT_TRUE(asprintf(&with_long, "other:x:1:1:%s:/:/bin/sh\nkcrash:x:9:10::/:\n", long_gecos) > 0);
        ASSERT_OK(find_in(with_long, "kcrash", &uid, &gid));
        ASSERT_EQ(uid, 9);
        ASSERT_EQ(gid, 10);
        /* broken lines and other names are not the account; outputs untouched */
        const char *bad[] = { "", "kcrash", "kcrash:x:1\n", "kcrash:x::2::/:\n", "kcrash:x:a:2::/:\n",
                              "kcrash:x:4294967295:1::/:\n", "kcrash:x:1:4294967295::/:\n", "kcras:x:1:1::/:\n",
                              "kcrash-watch:x:1:1::/:\n", "Kcrash:x:1:1::/:\n" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                uid = gid = 42;
                ASSERT_ERR(find_in(bad[i], "kcrash", &uid, &gid), -ENOENT);
                ASSERT_EQ(uid, 42);
                ASSERT_EQ(gid, 42);
        }
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot-records.h"
#include "build-config.h"
#include "fake-root.h"
#include "fileio.h"
#include "tests.h"

static void boot(const char *root, const char *boot_id, long btime, const char *release, const char *build) {
        char stat[128], os[128];
        snprintf(stat, sizeof stat, "cpu  1 2 3\nbtime %ld\nprocesses 10\n", btime);
        snprintf(os, sizeof os, "ID=test\nBUILD_ID=%s\n", build);
        fake_root_put(root, "/proc/stat", stat);
        fake_root_put(root, "/proc/sys/kernel/random/boot_id", boot_id);
        fake_root_put(root, "/proc/sys/kernel/osrelease", release);
        fake_root_put(root, "/proc/sys/kernel/version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)\n");
        fake_root_put(root, "/etc/os-release", os);
}

/* What a collection does: the records read once, this boot's saved into them. */
static int save(const char *root, const char *state, BootRecords *ret) {
        BootRecords all = {};
        int r = boot_records_load(state, &all);
        if (r >= 0)
                r = boot_record_save(root, state, &all);
        if (r >= 0 && ret)
                *ret = all;
        else
                boot_records_done(&all);
        return r;
}

/* The records as a fresh load reads them: the boot running at crash_time's
 * build id, or NULL. */
static char *build_at(const char *state, time_t crash_time) {
        _cleanup_(boot_records_done) BootRecords all = {};
        ASSERT_OK(boot_records_load(state, &all));
        const BootRecord *b = boot_records_find(&all, crash_time);
        return b && b->build_id ? strdup(b->build_id) : NULL;
}

TEST(boot_records_attribute_a_crash_to_its_boot) {
        _cleanup_free_ char *root = test_tmpdir(), *state = path_join(root, "state");
        boot(root, "aaaaaaaa-0000-0000-0000-000000000001\n", 1000, "6.1.0-55-amd64\n", "b1");
        ASSERT_OK(save(root, state, NULL)); /* no folder yet: made */
        boot(root, "aaaaaaaa-0000-0000-0000-000000000002\n", 2000, "6.1.0-56-amd64\n", "b2");
        ASSERT_OK(save(root, state, NULL));
        /* twice in one boot: one record, left as it was (the same inode: not
         * written again) */
        _cleanup_free_ char *rec = path_join(state, "boots/000000002000-aaaaaaaa-0000-0000-0000-000000000002");
        struct stat st1, st2;
        ASSERT_OK(stat(rec, &st1));
        ASSERT_EQ(st1.st_mode & 07777, 0600);
        ASSERT_OK(save(root, state, NULL));
        ASSERT_OK(stat(rec, &st2));
        ASSERT_EQ(st1.st_ino, st2.st_ino);
        /* what the boot says changed (a build id read later): written anew,
         * in the set given and on disk */
        fake_root_put(root, "/etc/os-release", "ID=steamos\nBUILD_ID=b3\n");
        BootRecords saved = {};
        ASSERT_OK(save(root, state, &saved));
        ASSERT_EQ(saved.n, 2);
        ASSERT_STREQ(boot_records_find(&saved, 2500)->build_id, "b3");
        boot_records_done(&saved);
        _cleanup_free_ char *b3 = build_at(state, 2500);
        ASSERT_STREQ(b3, "b3");
        ASSERT_TRUE(stat(rec, &st2) == 0 && st2.st_ino != st1.st_ino);

        /* read once, searched in memory */
        BootRecords all = {};
        ASSERT_OK(boot_records_load(state, &all));
        ASSERT_EQ(all.n, 2);
        const BootRecord *b = boot_records_find(&all, 1500);
        ASSERT_STREQ(b->kernel_release, "6.1.0-55-amd64");
        ASSERT_STREQ(b->build_id, "b1");
        ASSERT_TRUE(strstr(b->os_release_text, "BUILD_ID=b1"));
        b = boot_records_find(&all, 2000);
        ASSERT_STREQ(b->kernel_release, "6.1.0-56-amd64");
        ASSERT_STREQ(b->kernel_version, "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)");
        ASSERT_STREQ(b->build_id, "b3");
        ASSERT_TRUE(!b->vmlinux_build_id); /* written empty, read as none */
        ASSERT_TRUE(!boot_records_find(&all, 999));
        BootRecord copy;
        ASSERT_OK(boot_record_copy(boot_records_find(&all, 1500), &copy));
        boot_records_done(&all);
        ASSERT_TRUE(!all.items && all.n == 0);
        ASSERT_STREQ(copy.boot_id, "aaaaaaaa-0000-0000-0000-000000000001"); /* outlives the set */
        ASSERT_EQ(copy.boot_time, 1000);
        ASSERT_TRUE(strstr(copy.os_release_text, "BUILD_ID=b1"));
        boot_record_done(&copy);
        _cleanup_free_ char *nowhere = path_join(root, "nowhere");
        ASSERT_OK(boot_records_load(nowhere, &all)); /* no folder: no records */
        ASSERT_EQ(all.n, 0);
        boot_records_done(&all);
}

TEST(boot_record_cut_short_is_written_again) {
        /* A power loss before the record's fsync can leave its name with no
         * bytes: not a record, and the next run of the same boot writes it. */
        _cleanup_free_ char *root = test_tmpdir(), *state = path_join(root, "state");
        boot(root, "aaaaaaaa-0000-0000-0000-000000000001\n", 1000, "6.1.0-55-amd64\n", "b1");
        const char *name = "/state/boots/000000001000-aaaaaaaa-0000-0000-0000-000000000001";
        fake_root_put(root, name, "");
        _cleanup_free_ char *rec = path_join(root, name);
        ASSERT_OK(chmod(rec, 0600));
        BootRecords all = {};
        ASSERT_OK(boot_records_load(state, &all));
        ASSERT_EQ(all.n, 1); /* listed, not read */
        ASSERT_TRUE(!all.items[0].loaded);
        ASSERT_OK(boot_record_save(root, state, &all));
        ASSERT_EQ(all.n, 1);
        ASSERT_STREQ(all.items[0].record.build_id, "b1");
        ASSERT_STREQ(all.items[0].path, rec);
        boot_records_done(&all);
        _cleanup_free_ char *b1 = build_at(state, 1000);
        ASSERT_STREQ(b1, "b1");
}

static void put_record(const char *root, const char *name, const char *boot_id, long btime, const char *build) {
        char text[512], path[256];
        snprintf(text, sizeof text, "BOOT_ID=%s\nBOOT_TIME=%ld\nKERNEL_RELEASE=6.1\nBUILD_ID=%s\n\nID=test\n", boot_id, btime,
                 build);
        snprintf(path, sizeof path, "/state/boots/%s", name);
        fake_root_put(root, path, text);
        _cleanup_free_ char *p = path_join(root, path);
        ASSERT_OK(chmod(p, 0600));
}

TEST(boot_records_read_when_found) {
        /* Listed by name; a record is read when a search finds it. */
        _cleanup_free_ char *root = test_tmpdir(), *state = path_join(root, "state");
        put_record(root, "000000001000-aaaaaaaa-0000-0000-0000-000000000001", "aaaaaaaa-0000-0000-0000-000000000001",
                   1000, "one");
        put_record(root, "000000002000-aaaaaaaa-0000-0000-0000-000000000002", "aaaaaaaa-0000-0000-0000-000000000009",
                   2000, "lies");
        fake_root_put(root, "/state/boots/000000003000-aaaaaaaa-0000-0000-0000-000000000003", "BOOT_ID=");
        _cleanup_free_ char *cut = path_join(root, "/state/boots/000000003000-aaaaaaaa-0000-0000-0000-000000000003");
        ASSERT_OK(chmod(cut, 0600));
        _cleanup_(boot_records_done) BootRecords all = {};
        ASSERT_OK(boot_records_load(state, &all));
        ASSERT_EQ(all.n, 3);
        for (size_t i = 0; i < all.n; i++)
                ASSERT_TRUE(!all.items[i].loaded && all.items[i].record.boot_id && !all.items[i].record.build_id);
        /* cut short: still its boot, known by its name alone (a crash of it
         * is not put on the boot before) */
        const BootRecord *b = boot_records_find(&all, 5000);
        ASSERT_TRUE(b);
        ASSERT_EQ(b->boot_time, 3000);
        ASSERT_STREQ(b->boot_id, "aaaaaaaa-0000-0000-0000-000000000003");
        ASSERT_TRUE(!b->build_id && !b->kernel_release);
        /* says another boot than its name: passed over for the next best */
        const BootRecord *one = boot_records_find(&all, 2500);
        ASSERT_TRUE(one);
        ASSERT_STREQ(one->build_id, "one");
        ASSERT_EQ(one->boot_time, 1000);
        ASSERT_TRUE(boot_records_find(&all, 5000) == b); /* still valid, still found */
        size_t loaded = 0, dropped = 0;
        for (size_t i = 0; i < all.n; i++) {
                loaded += all.items[i].loaded;
                dropped += all.items[i].dropped;
        }
        ASSERT_EQ(loaded, 2);
        ASSERT_EQ(dropped, 1);
        ASSERT_TRUE(boot_records_find_boot(&all, "aaaaaaaa-0000-0000-0000-000000000001") == one);
        ASSERT_TRUE(!boot_records_find_boot(&all, "aaaaaaaa-0000-0000-0000-000000000002"));
        ASSERT_TRUE(!boot_records_find(&all, 999));
}

TEST(boot_records_older_names_and_planted_files) {
        _cleanup_free_ char *root = test_tmpdir(), *state = path_join(root, "state");
        /* a record named by an older kcrash (the boot id alone): read when
         * listed, and replaced by this boot's run under the new name */
        put_record(root, "aaaaaaaa-0000-0000-0000-000000000001", "aaaaaaaa-0000-0000-0000-000000000001", 1000, "old");
        put_record(root, "aaaaaaaa-0000-0000-0000-000000000002", "aaaaaaaa-0000-0000-0000-000000000002", 2000, "older-name");
        /* a file that is not root's, under the new name: removed unread */
        put_record(root, "000000009000-aaaaaaaa-0000-0000-0000-000000000009", "aaaaaaaa-0000-0000-0000-000000000009",
                   9000, "planted");
        _cleanup_free_ char *planted = path_join(root, "/state/boots/000000009000-aaaaaaaa-0000-0000-0000-000000000009");
        if (geteuid() == 0)
                ASSERT_OK(chown(planted, 65534, 65534));
        else
                ASSERT_OK(chmod(planted, 0666));
        /* root's, under an older name, and no record: removed */
        fake_root_put(root, "/state/boots/aaaaaaaa-0000-0000-0000-000000000003", "");
        _cleanup_free_ char *garbage = path_join(root, "/state/boots/aaaaaaaa-0000-0000-0000-000000000003");
        ASSERT_OK(chmod(garbage, 0600));
        BootRecords all = {};
        ASSERT_OK(boot_records_load(state, &all));
        ASSERT_EQ(all.n, 2);
        ASSERT_TRUE(all.items[0].loaded && all.items[1].loaded);
        ASSERT_TRUE(access(planted, F_OK) < 0 && errno == ENOENT);
        ASSERT_TRUE(access(garbage, F_OK) < 0 && errno == ENOENT);
        boot(root, "aaaaaaaa-0000-0000-0000-000000000002\n", 2000, "6.1\n", "new");
        ASSERT_OK(boot_record_save(root, state, &all));
        ASSERT_EQ(all.n, 2);
        boot_records_done(&all);
        _cleanup_free_ char *old_name = path_join(root, "/state/boots/aaaaaaaa-0000-0000-0000-000000000002");
        _cleanup_free_ char *new_name = path_join(root, "/state/boots/000000002000-aaaaaaaa-0000-0000-0000-000000000002");
        ASSERT_TRUE(access(old_name, F_OK) < 0 && access(new_name, F_OK) == 0);
        _cleanup_free_ char *b = build_at(state, 2000), *a = build_at(state, 1999);
        ASSERT_STREQ(b, "new");
        ASSERT_STREQ(a, "old");
        /* the boot time moved (btime is the clock minus the uptime): one
         * record of the boot, under the new time */
        boot(root, "aaaaaaaa-0000-0000-0000-000000000002\n", 2001, "6.1\n", "new");
        ASSERT_OK(save(root, state, NULL));
        _cleanup_free_ char *moved = path_join(root, "/state/boots/000000002001-aaaaaaaa-0000-0000-0000-000000000002");
        ASSERT_TRUE(access(new_name, F_OK) < 0 && access(moved, F_OK) == 0);
        ASSERT_OK(boot_records_load(state, &all));
        ASSERT_EQ(all.n, 2);
        boot_records_done(&all);
}

TEST(boot_record_cut_at_a_page_is_no_record) {
        /* A run killed in its write(), or a power loss that wrote back only
         * the first page, leaves the start of a record that still has
         * BOOT_ID and BOOT_TIME: its size line tells it is short. */
        _cleanup_free_ char *root = test_tmpdir(), *state = path_join(root, "state");
        boot(root, "aaaaaaaa-0000-0000-0000-000000000001\n", 1000, "6.1\n", "b1");
        ASSERT_OK(save(root, state, NULL));
        _cleanup_free_ char *rec = path_join(state, "boots/000000001000-aaaaaaaa-0000-0000-0000-000000000001");
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        ASSERT_OK(read_full_file(rec, 65536, &text, &size));
        ASSERT_TRUE(strneq(text, "OS_RELEASE_SIZE=", 16));
        _cleanup_free_ char *b1 = build_at(state, 1000);
        ASSERT_STREQ(b1, "b1");
        ASSERT_OK(truncate(rec, (off_t) size - 3));
        _cleanup_free_ char *none = build_at(state, 1000);
        ASSERT_TRUE(!none);
        /* and the next run of that boot writes it whole */
        ASSERT_OK(save(root, state, NULL));
        _cleanup_free_ char *again = build_at(state, 1000);
        ASSERT_STREQ(again, "b1");
}

TEST(boot_record_with_quotes_is_not_written_again) {
        /* The run that finds its record compares bytes: a value whose quotes
         * the parser takes off still counts as the same. */
        _cleanup_free_ char *root = test_tmpdir(), *state = path_join(root, "state");
        boot(root, "aaaaaaaa-0000-0000-0000-000000000001\n", 1000, "6.1\n", "b1");
        fake_root_put(root, "/etc/os-release", "ID=test\nPRETTY_NAME=\"'Quoted' OS\"\n");
        ASSERT_OK(save(root, state, NULL));
        _cleanup_free_ char *rec = path_join(state, "boots/000000001000-aaaaaaaa-0000-0000-0000-000000000001");
        struct stat st1, st2;
        ASSERT_OK(stat(rec, &st1));
        ASSERT_OK(save(root, state, NULL));
        ASSERT_OK(stat(rec, &st2));
        ASSERT_EQ(st1.st_ino, st2.st_ino);
}

#if KCRASH_TEST_HOOKS
TEST(boot_record_save_failing_leaves_the_set) {
        _cleanup_free_ char *root = test_tmpdir(), *state = path_join(root, "state");
        boot(root, "aaaaaaaa-0000-0000-0000-000000000001\n", 1000, "6.1\n", "b1");
        ASSERT_OK(save(root, state, NULL));
        boot(root, "aaaaaaaa-0000-0000-0000-000000000002\n", 2000, "6.1\n", "b2");
        _cleanup_(boot_records_done) BootRecords all = {};
        ASSERT_OK(boot_records_load(state, &all));
        setenv("KCRASH_FAILPOINT", "write-new:ENOSPC", 1);
        ASSERT_ERR(boot_record_save(root, state, &all), -ENOSPC);
        unsetenv("KCRASH_FAILPOINT");
        ASSERT_EQ(all.n, 1);
        ASSERT_STREQ(boot_records_find(&all, 5000)->build_id, "b1");
        _cleanup_free_ char *none = path_join(state, "boots/000000002000-aaaaaaaa-0000-0000-0000-000000000002");
        ASSERT_TRUE(access(none, F_OK) < 0 && errno == ENOENT);
}
#endif

/* Boots 0..n-1 recorded, boot i at btime first_btime + i, their build "build". */
static void earlier_boots(const char *root, const char *state, int n, long first_btime, const char *build) {
        for (int i = 0; i < n; i++) {
                char id[64];
                snprintf(id, sizeof id, "%08x-0000-0000-0000-000000000000\n", i);
                boot(root, id, first_btime + i, "6.1\n", build);
                ASSERT_OK(save(root, state, NULL));
        }
}

TEST(boot_record_of_a_boot_with_its_clock_behind_is_kept) {
        /* No battery-backed clock: this boot's time is before every kept
         * record's. Its record is written and kept; the oldest other goes. */
        _cleanup_free_ char *root = test_tmpdir(), *state = path_join(root, "state");
        earlier_boots(root, state, BOOT_RECORDS_KEEP, 1000000, "earlier");
        boot(root, "ffffffff-0000-0000-0000-000000000000\n", 999000, "6.1\n", "behind");
        ASSERT_OK(save(root, state, NULL));
        _cleanup_(boot_records_done) BootRecords all = {};
        ASSERT_OK(boot_records_load(state, &all));
        ASSERT_EQ(all.n, BOOT_RECORDS_KEEP);
        const BootRecord *b = boot_records_find_boot(&all, "ffffffff-0000-0000-0000-000000000000");
        ASSERT_TRUE(b);
        ASSERT_STREQ(b->build_id, "behind");
        ASSERT_TRUE(!boot_records_find_boot(&all, "00000000-0000-0000-0000-000000000000"));
}

TEST(boot_records_folder_a_symlink) {
        /* listed only as a folder of its own: what load removes, it would
         * remove wherever the link points */
        _cleanup_free_ char *root = test_tmpdir(), *state = path_join(root, "state");
        fake_root_put(root, "/victim/config", "");
        _cleanup_free_ char *victim = path_join(root, "victim"), *config = path_join(victim, "config");
        _cleanup_free_ char *boots = path_join(state, "boots");
        ASSERT_OK(chmod(config, 0600));
        ASSERT_OK(mkdir_p(state, 0755));
        ASSERT_OK(symlink(victim, boots));
        _cleanup_(boot_records_done) BootRecords all = {};
        ASSERT_ERR(boot_records_load(state, &all), -ENOTDIR);
        ASSERT_OK(access(config, F_OK));
        boot(root, "aaaaaaaa-0000-0000-0000-000000000001\n", 1000, "6.1\n", "b1");
        ASSERT_ERR(boot_record_save(root, state, &all), -ENOTDIR);
        ASSERT_EQ(all.n, 0);
}

TEST(boot_record_save_removes_what_the_listing_missed) {
        /* Another collection of this boot wrote under an earlier boot time
         * after this one listed the folder; a killed write left a temp file. */
        _cleanup_free_ char *root = test_tmpdir(), *state = path_join(root, "state");
        boot(root, "aaaaaaaa-0000-0000-0000-000000000001\n", 1000, "6.1\n", "b1");
        ASSERT_OK(save(root, state, NULL));
        _cleanup_(boot_records_done) BootRecords all = {};
        ASSERT_OK(boot_records_load(state, &all));
        boot(root, "aaaaaaaa-0000-0000-0000-000000000002\n", 2000, "6.1\n", "b2");
        ASSERT_OK(save(root, state, NULL));
        fake_root_put(root, "/state/boots/.#000000002005-aaaaaaaa-0000-0000-0000-000000000002XXXXXX", "x");
        boot(root, "aaaaaaaa-0000-0000-0000-000000000002\n", 2005, "6.1\n", "b2");
        ASSERT_OK(boot_record_save(root, state, &all));
        _cleanup_free_ char *other = path_join(state, "boots/000000002000-aaaaaaaa-0000-0000-0000-000000000002");
        _cleanup_free_ char *temp = path_join(state, "boots/.#000000002005-aaaaaaaa-0000-0000-0000-000000000002XXXXXX");
        _cleanup_free_ char *mine = path_join(state, "boots/000000002005-aaaaaaaa-0000-0000-0000-000000000002");
        ASSERT_TRUE(access(other, F_OK) < 0 && access(temp, F_OK) < 0 && access(mine, F_OK) == 0);
        ASSERT_EQ(all.n, 2);
}

TEST(boot_records_are_bounded) {
        _cleanup_free_ char *root = test_tmpdir(), *state = path_join(root, "state"), *dir = path_join(state, "boots");
        for (int i = 0; i < BOOT_RECORDS_KEEP + 5; i++) {
                char id[64];
                snprintf(id, sizeof id, "%08x-0000-0000-0000-000000000000\n", i);
                boot(root, id, 1000 + i, "6.1\n", i < BOOT_RECORDS_KEEP + 4 ? "b" : "last");
                BootRecords all = {};
                ASSERT_OK(save(root, state, &all));
                ASSERT_EQ(all.n, MIN(i + 1, BOOT_RECORDS_KEEP)); /* the set given is pruned too */
                boot_records_done(&all);
        }
        unsigned n = 0;
        DIR *d = opendir(dir);
        struct dirent *de;
        while ((de = readdir(d)))
                n += de->d_name[0] != '.';
        closedir(d);
        ASSERT_EQ(n, BOOT_RECORDS_KEEP);
        BootRecords all = {};
        ASSERT_OK(boot_records_load(state, &all));
        ASSERT_TRUE(!boot_records_find(&all, 1004)); /* the oldest went first */
        ASSERT_TRUE(boot_records_find(&all, 1005));
        ASSERT_STREQ(boot_records_find(&all, 9999)->build_id, "last");
        boot_records_done(&all);
}

/* A boot saved where the newest BOOT_RECORDS_KEEP boots before it are
 * recorded (boot i at 1000 + i), with KCRASH_FAILPOINT=failpoint; all is
 * the set the save was given. */
static int save_into_a_full_folder(const char *root, const char *state, const char *failpoint, BootRecords *all) {
        earlier_boots(root, state, BOOT_RECORDS_KEEP, 1000, "b");
        boot(root, "ffffffff-0000-0000-0000-000000000000\n", 2000, "6.1\n", "b");
        ASSERT_OK(boot_records_load(state, all));
        setenv("KCRASH_FAILPOINT", failpoint, 1);
        int r = boot_record_save(root, state, all);
        unsetenv("KCRASH_FAILPOINT");
        return r;
}

/* The oldest record goes before this boot's is written, so that the one
 * directory fsync of the write makes the removal durable too (a removal
 * after it could come back at a power loss): when the write fails, the
 * folder and the set agree, the room made and the oldest gone. */
TEST(boot_records_pruned_before_the_write) {
        _cleanup_free_ char *root = test_tmpdir(), *state = path_join(root, "state");
        BootRecords all = {};
        int r = save_into_a_full_folder(root, state, "write-new:ENOSPC", &all);
        ASSERT_ERR(r, -ENOSPC);
        ASSERT_EQ(all.n, BOOT_RECORDS_KEEP - 1);
        boot_records_done(&all);
        ASSERT_OK(boot_records_load(state, &all));
        ASSERT_EQ(all.n, BOOT_RECORDS_KEEP - 1);
        ASSERT_TRUE(!boot_records_find(&all, 1000));
        ASSERT_TRUE(boot_records_find(&all, 1001));
        boot_records_done(&all);
}

/* A record that cannot be removed (a read-only folder) stays in the set
 * too: the set is what the folder holds, and a crash of that boot is still
 * found. */
TEST(boot_records_kept_in_the_set_when_not_removed) {
        _cleanup_free_ char *root = test_tmpdir(), *state = path_join(root, "state");
        BootRecords all = {};
        int r = save_into_a_full_folder(root, state, "prune-record:EROFS", &all);
        ASSERT_OK(r);
        ASSERT_TRUE(boot_records_find(&all, 1000));
        ASSERT_EQ(all.n, BOOT_RECORDS_KEEP + 1);
        boot_records_done(&all);
        ASSERT_OK(boot_records_load(state, &all));
        ASSERT_EQ(all.n, BOOT_RECORDS_KEEP + 1);
        boot_records_done(&all);
        /* the next boot prunes both */
        boot(root, "fffffffe-0000-0000-0000-000000000000\n", 3000, "6.1\n", "b");
        ASSERT_OK(save(root, state, &all));
        ASSERT_EQ(all.n, BOOT_RECORDS_KEEP);
        ASSERT_TRUE(!boot_records_find(&all, 1001));
        boot_records_done(&all);
}

TEST(no_boot_id_no_record) {
        _cleanup_free_ char *root = test_tmpdir(), *state = path_join(root, "state");
        ASSERT_ERR(save(root, state, NULL), -ENOENT);
        fake_root_put(root, "/proc/sys/kernel/random/boot_id", "../../etc\n");
        ASSERT_ERR(save(root, state, NULL), -ENOENT);
}

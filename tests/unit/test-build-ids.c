/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "boot-records.h"
#include "build-ids.h"
#include "elf-note.h"
#include "fake-root.h"
#include "fileio.h"
#include "sysinfo.h"
#include "tests.h"

/* Binary contents (ELF notes, a .ko); text goes through fake_root_put(). */
static void put(const char *root, const char *path, const void *data, size_t size) {
        _cleanup_free_ char *p = path_join(root, path);
        _cleanup_free_ char *dir = strdup(p);
        *strrchr(dir, '/') = 0;
        ASSERT_OK(mkdir_p(dir, 0755));
        ASSERT_OK(write_file_atomic(p, data, size, 0644));
}

/* The notes of a module as /sys/module/<m>/notes/.note.gnu.build-id shows them. */
static void put_module_notes(const char *root, const char *module, const uint8_t id[4]) {
        uint8_t note[12 + 4 + 4];
        uint32_t namesz = 4, descsz = 4, type = 3;
        memcpy(note, &namesz, 4);
        memcpy(note + 4, &descsz, 4);
        memcpy(note + 8, &type, 4);
        memcpy(note + 12, "GNU", 4);
        memcpy(note + 16, id, 4);
        char path[256];
        snprintf(path, sizeof path, "/sys/module/%s/notes/.note.gnu.build-id", module);
        put(root, path, note, sizeof note);
}

static void boot(const char *root) {
        _cleanup_free_ char *fixture = path_join(test_fixtures_dir(), "build-id/sys-kernel-notes"), *notes = NULL;
        size_t size;
        ASSERT_OK(read_full_file(fixture, 1 << 20, &notes, &size));
        put(root, "/sys/kernel/notes", notes, size);
        put_module_notes(root, "crashme", (const uint8_t[]) { 0xc0, 0xff, 0xee, 0x01 });
        put_module_notes(root, "nf_nat", (const uint8_t[]) { 0x12, 0x34, 0x56, 0x78 });
        fake_root_put(root, "/sys/module/printk/parameters/time", "Y\n"); /* built in: no notes */
        fake_root_put(root, "/proc/stat", "cpu  1 2 3\nbtime 1000\n");
        fake_root_put(root, "/proc/sys/kernel/random/boot_id", "aaaaaaaa-0000-0000-0000-000000000001\n");
        fake_root_put(root, "/proc/sys/kernel/osrelease", "6.1.0-56-amd64\n");
        fake_root_put(root, "/etc/os-release", "ID=test\n");
}

TEST(boot_record_keeps_build_ids) {
        _cleanup_free_ char *root = test_tmpdir(), *state = path_join(root, "state");
        boot(root);
        _cleanup_(boot_records_done) BootRecords all = {};
        ASSERT_OK(boot_record_save(root, state, &all));
        boot_records_done(&all);
        ASSERT_OK(boot_records_load(state, &all)); /* as written */
        const BootRecord *b = boot_records_find(&all, 1500);
        ASSERT_STREQ(b->vmlinux_build_id, "85c7e4e2ed76f4417e8aaad7c6b040d2bb897a26");
        ASSERT_TRUE(strstr(b->module_build_ids, "crashme:c0ffee01"));
        ASSERT_TRUE(strstr(b->module_build_ids, "nf_nat:12345678"));
        ASSERT_TRUE(!strstr(b->module_build_ids, "printk"));
}

TEST(build_ids_of_a_crash) {
        _cleanup_free_ char *root = test_tmpdir(), *self = NULL;
        size_t self_size;
        char self_id[BUILD_ID_HEX_MAX];
        ASSERT_OK(read_full_file("/proc/self/exe", 64 << 20, &self, &self_size));
        if (elf_file_build_id(self, self_size, self_id) < 0) {
                test_skip("this test program has no build id");
                return;
        }
        /* an installed module (any ELF with a build id will do), one behind a symlink */
        put(root, "/lib/modules/6.1.0-56-amd64/updates/dkms/other-mod.ko", self, self_size);
        _cleanup_free_ char *link = path_join(root, "/lib/modules/6.1.0-56-amd64/extra/linked.ko"),
                            *extra = path_join(root, "/lib/modules/6.1.0-56-amd64/extra");
        ASSERT_OK(mkdir_p(extra, 0755));
        ASSERT_OK(symlink("/proc/self/exe", link) == 0 ? 0 : -errno);

        const char *log = "Modules linked in: crashme(OE) other_mod linked nf_nat [last unloaded: gone]\n"
                          "RIP: 0010:kcrash_test_null+0x5/0x20 [crashme]\n"
                          " foo+0x1/0x2 [printed abcdef01]\n";
        BuildIds ids = {};
        ASSERT_OK(build_ids_for_crash(root, "6.1.0-56-amd64", log, strlen(log), "85c7e4e2ed76f4417e8aaad7c6b040d2bb897a26",
                                      "crashme:c0ffee01,unrelated:00ff,bad:zz", &ids));
        ASSERT_STREQ(ids.vmlinux, "85c7e4e2ed76f4417e8aaad7c6b040d2bb897a26");
        ASSERT_STREQ(build_ids_module(&ids, "crashme"), "c0ffee01");
        ASSERT_STREQ(build_ids_module(&ids, "printed"), "abcdef01");
        ASSERT_STREQ(build_ids_module(&ids, "other_mod"), self_id); /* other-mod.ko: '-' is '_' */
        ASSERT_TRUE(build_ids_module(&ids, "linked") == NULL);   /* a symlink is not followed */
        ASSERT_TRUE(build_ids_module(&ids, "unrelated") == NULL); /* not in this crash */
        ASSERT_TRUE(build_ids_module(&ids, "gone") == NULL);
        ASSERT_TRUE(build_ids_module(&ids, "nf_nat") == NULL);    /* not installed, not in the boot record */
        for (size_t i = 0; i < ids.n_modules; i++)
                if (streq(ids.modules[i].name, "other_mod"))
                        ASSERT_STREQ(ids.modules[i].source, "installed");
        build_ids_done(&ids);

        /* a release that is a path is refused */
        ASSERT_ERR(build_ids_read_installed(root, "../../etc", (char *[]) { (char *) "x" }, 1, &ids), -EINVAL);
}

TEST(modules_format_round_trip) {
        BuildIds a = {}, b = {};
        _cleanup_free_ char *s = NULL;
        ASSERT_OK(build_ids_set_module(&a, "crashme", "c0ffee01", "boot-record"));
        ASSERT_OK(build_ids_set_module(&a, "nf_nat", "12345678", "boot-record"));
        ASSERT_ERR(build_ids_set_module(&a, "x", "XYZ", "boot-record"), -EINVAL);
        ASSERT_OK(build_ids_modules_format(&a, &s));
        ASSERT_STREQ(s, "crashme:c0ffee01,nf_nat:12345678");
        ASSERT_OK(build_ids_modules_parse(s, "boot-record", &b));
        ASSERT_EQ(b.n_modules, 2);
        ASSERT_STREQ(build_ids_module(&b, "nf-nat"), "12345678");
        /* the log's id replaces another source's */
        ASSERT_OK(build_ids_set_module(&b, "crashme", "0000aaaa", "log"));
        ASSERT_STREQ(build_ids_module(&b, "crashme"), "0000aaaa");
        ASSERT_OK(build_ids_set_module(&b, "crashme", "1111bbbb", "installed"));
        ASSERT_STREQ(build_ids_module(&b, "crashme"), "0000aaaa");
        build_ids_done(&a);
        build_ids_done(&b);
        /* hostile text: nothing kept, nothing read outside */
        ASSERT_OK(build_ids_modules_parse(",:,a:,:b,::::,x:1,,", "boot-record", &b));
        ASSERT_EQ(b.n_modules, 0);
}

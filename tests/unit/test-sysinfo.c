/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "fake-root.h"
#include "fileio.h"
#include "sysinfo.h"
#include "tests.h"

TEST(dmi_of_a_steam_deck) {
        _cleanup_free_ char *root = test_tmpdir();
        fake_root_put(root, "/sys/class/dmi/id/sys_vendor", "Valve\n");
        fake_root_put(root, "/sys/class/dmi/id/product_name", "Jupiter\n");
        fake_root_put(root, "/sys/class/dmi/id/product_serial", "FVAA12345678\n");
        fake_root_put(root, "/sys/class/dmi/id/bios_version", "F7A0119\n");
        _cleanup_free_ char *v = NULL, *text = NULL;
        ASSERT_OK(dmi_attr(root, "product_name", &v));
        ASSERT_STREQ(v, "Jupiter");
        ASSERT_ERR(dmi_attr(root, "board_name", &text), -ENOENT);
        ASSERT_ERR(dmi_attr(root, "../x", &text), -EINVAL);
        ASSERT_OK(dmi_sysfs_text(root, &text));
        ASSERT_TRUE(strstr(text, "sys_vendor: Valve\n"));
        ASSERT_TRUE(strstr(text, "product_serial: FVAA12345678\n"));
        _cleanup_free_ char *empty = test_tmpdir(), *none = NULL;
        ASSERT_ERR(dmi_sysfs_text(empty, &none), -ENOENT);
}

TEST(dmidecode_stand_in) {
        _cleanup_free_ char *dir = test_tmpdir(), *script = path_join(dir, "dmidecode"), *out = NULL;
        const char *body = "#!/bin/sh\necho '# dmidecode 3.4'\necho 'System Information'\necho '\tSerial Number: ABC'\n";
        ASSERT_OK(write_file_atomic(script, body, strlen(body), 0755));
        setenv("KCRASH_DMIDECODE", script, 1);
        ASSERT_OK(dmidecode_run(&out));
        ASSERT_TRUE(strstr(out, "Serial Number: ABC"));
        const char *failing = "#!/bin/sh\nexit 1\n";
        ASSERT_OK(write_file_atomic(script, failing, strlen(failing), 0755));
        char *none = NULL;
        ASSERT_ERR(dmidecode_run(&none), -EIO);
        unsetenv("KCRASH_DMIDECODE");
}

TEST(os_release) {
        _cleanup_free_ char *root = test_tmpdir();
        fake_root_put(root, "/usr/lib/os-release", "NAME=\"SteamOS\"\nPRETTY_NAME=\"SteamOS\"\nID=steamos\nBUILD_ID=20231122.1\nVERSION_ID='3.5.7'\n");
        OsRelease o;
        ASSERT_OK(os_release_read(root, &o));
        ASSERT_STREQ(o.id, "steamos");
        ASSERT_STREQ(o.build_id, "20231122.1");
        ASSERT_STREQ(o.version_id, "3.5.7");
        os_release_done(&o);
        fake_root_put(root, "/etc/os-release", "ID=debian\n");
        ASSERT_OK(os_release_read(root, &o));
        ASSERT_STREQ(o.id, "debian");
        ASSERT_TRUE(o.build_id == NULL);
        os_release_done(&o);
}

TEST(boot_facts) {
        _cleanup_free_ char *root = test_tmpdir();
        ASSERT_EQ(proc_boot_time(root), 0);
        ASSERT_TRUE(!root_first_line(root, "/proc/sys/kernel/random/boot_id"));
        fake_root_put(root, "/proc/sys/kernel/random/boot_id", "1c4f2d1e-8b0a-4d6e-9a51-3f0e2b7c9d10 \t\nsecond\n");
        _cleanup_free_ char *id = root_first_line(root, "/proc/sys/kernel/random/boot_id");
        ASSERT_STREQ(id, "1c4f2d1e-8b0a-4d6e-9a51-3f0e2b7c9d10");
        ASSERT_TRUE(boot_id_valid(id));
        ASSERT_TRUE(!boot_id_valid("../../etc") && !boot_id_valid("") && !boot_id_valid(NULL));
        static const struct {
                const char *stat;
                long long btime;
        } cases[] = {
                { "cpu  1 2 3\nbtime 1795000000\nprocesses 10\n", 1795000000 },
                { "cpu  1 2 3\nbtime 1795000000", 1795000000 },          /* no newline at the end */
                { "btime 1795000000\n", 0 },                              /* first in the file: /proc/stat never has it there */
                { "cpu  1\nbtime 17950x0000\n", 0 },
                { "cpu  1\nbtime \n", 0 },
                { "cpu  1\nbtime 99999999999999999999\n", 0 },           /* beyond 64 bits */
                { "cpu  1\nbtime -5\n", 0 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                fake_root_put(root, "/proc/stat", cases[i].stat);
                ASSERT_EQ((long long) proc_boot_time(root), cases[i].btime);
        }
}

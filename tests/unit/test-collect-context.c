/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake-root.h"
#include "collect-context.h"
#include "fileio.h"
#include "macro.h"
#include "tests.h"

static void config_with(KcrashConfig *c, const char *text) {
        ConfigError e = {};
        ASSERT_OK(config_init_defaults(c));
        ASSERT_OK(config_parse(c, text, strlen(text), NULL, NULL, &e));
}

#define VDF                                                                 \
        "\"users\"\n{\n"                                                    \
        "\t\"76561198000000001\"\n\t{\n\t\t\"AccountName\"\t\t\"olduser\"\n" \
        "\t\t\"MostRecent\"\t\t\"0\"\n\t}\n"                              \
        "\t\"76561198000000002\"\n\t{\n\t\t\"AccountName\"\t\t\"deckuser\"\n" \
        "\t\t\"MostRecent\"\t\t\"1\"\n\t}\n}\n"

TEST(empty_root) {
        _cleanup_free_ char *root = test_tmpdir();
        KcrashConfig c;
        ASSERT_OK(config_init_defaults(&c));
        unsetenv("KCRASH_DMIDECODE");
        SystemContext sc;
        ASSERT_OK(system_context_gather(root, &c, &sc));
        /* nothing known: the documented "0"s, no text */
        ASSERT_STREQ(sc.serial, "0");
        ASSERT_STREQ(sc.account_name, "0");
        ASSERT_STREQ(sc.steamid, "0");
        ASSERT_TRUE(!sc.os_release_text && !sc.build_id && !sc.pretty_name && !sc.running_release);
        system_context_done(&sc);
        ASSERT_TRUE(!sc.serial);
        config_done(&c);
}

TEST(fake_root_with_everything) {
        _cleanup_free_ char *root = test_tmpdir();
        fake_root_put(root, "/etc/os-release", "NAME=\"SteamOS\"\nPRETTY_NAME=\"SteamOS Holo\"\nBUILD_ID=20261122.1\n");
        fake_root_put(root, "/proc/sys/kernel/osrelease", "6.1.52-valve16-1-neptune\n");
        fake_root_put(root, "/sys/class/dmi/id/product_name", "Jupiter\n");
        fake_root_put(root, "/sys/class/dmi/id/product_serial", "FVAA12345678\n");
        fake_root_put(root, "/home/deck/.local/share/Steam/config/loginusers.vdf", VDF);
        KcrashConfig c;
        config_with(&c, "SERIAL_DMI_PRODUCTS=\"Galileo Jupiter\"\n"
                        "STEAM_LOGINUSERS_VDF=/home/deck/.local/share/Steam/config/loginusers.vdf\n");
        unsetenv("KCRASH_DMIDECODE");
        SystemContext sc;
        ASSERT_OK(system_context_gather(root, &c, &sc));
        ASSERT_STREQ(sc.pretty_name, "SteamOS Holo");
        ASSERT_STREQ(sc.build_id, "20261122.1");
        ASSERT_TRUE(strstr(sc.os_release_text, "NAME=\"SteamOS\""));
        ASSERT_STREQ(sc.running_release, "6.1.52-valve16-1-neptune");
        ASSERT_STREQ(sc.serial, "FVAA12345678"); /* a listed product */
        ASSERT_STREQ(sc.account_name, "deckuser");
        ASSERT_STREQ(sc.steamid, "76561198000000002");
        /* without dmidecode on a fake root: the DMI attributes as text */
        ASSERT_TRUE(sc.dmidecode && strstr(sc.dmidecode, "Jupiter"));
        system_context_done(&sc);
        config_done(&c);

        /* a product not in the list: no serial */
        config_with(&c, "SERIAL_DMI_PRODUCTS=Galileo\n");
        ASSERT_OK(system_context_gather(root, &c, &sc));
        ASSERT_STREQ(sc.serial, "0");
        ASSERT_STREQ(sc.account_name, "deckuser"); /* the default STEAM_LOGINUSERS_VDF */
        system_context_done(&sc);
        config_done(&c);

        /* a listed product whose serial is empty */
        fake_root_put(root, "/sys/class/dmi/id/product_serial", "\n");
        config_with(&c, "SERIAL_DMI_PRODUCTS=Jupiter\n");
        ASSERT_OK(system_context_gather(root, &c, &sc));
        ASSERT_STREQ(sc.serial, "0");
        system_context_done(&sc);
        config_done(&c);
}

TEST(hostile_user_files) {
        _cleanup_free_ char *root = test_tmpdir();
        KcrashConfig c;
        config_with(&c, "STEAM_LOGINUSERS_VDF=/home/deck/loginusers.vdf\n");
        SystemContext sc;
        /* the VDF is the user's symlink to a root-only file: not followed */
        fake_root_put(root, "/etc/secret.vdf", VDF);
        _cleanup_free_ char *secret = path_in_root(root, "/etc/secret.vdf"),
                            *vdf = path_in_root(root, "/home/deck/loginusers.vdf"), *home = path_in_root(root, "/home/deck");
        ASSERT_OK(mkdir_p(home, 0755));
        ASSERT_TRUE(chmod(secret, 0600) == 0);
        ASSERT_TRUE(symlink("/etc/secret.vdf", vdf) == 0);
        if (geteuid() == 0) {
                /* the home belongs to the user: its links are the user's */
                ASSERT_TRUE(chown(home, 1000, 1000) == 0);
                ASSERT_TRUE(lchown(vdf, 1000, 1000) == 0);
                ASSERT_OK(system_context_gather(root, &c, &sc));
                ASSERT_STREQ(sc.account_name, "0");
                ASSERT_STREQ(sc.steamid, "0");
                system_context_done(&sc);
                ASSERT_TRUE(chown(home, 0, 0) == 0);
        }
        ASSERT_TRUE(unlink(vdf) == 0);

        /* a FIFO where the VDF should be: not waited on */
        ASSERT_TRUE(mkfifo(vdf, 0644) == 0);
        ASSERT_OK(system_context_gather(root, &c, &sc));
        ASSERT_STREQ(sc.account_name, "0");
        ASSERT_STREQ(sc.steamid, "0");
        system_context_done(&sc);
        ASSERT_TRUE(unlink(vdf) == 0);

        /* garbage in the VDF */
        fake_root_put(root, "/home/deck/loginusers.vdf", "\"users\" { \"x\" { \"MostRecent\" ");
        ASSERT_OK(system_context_gather(root, &c, &sc));
        ASSERT_STREQ(sc.account_name, "0");
        system_context_done(&sc);
        config_done(&c);
}

static int count_cb(const JournalEntry *e, void *userdata) {
        (void) e;
        (*(unsigned *) userdata)++;
        return 0;
}

TEST(journal_of_a_fake_root) {
        _cleanup_free_ char *root = test_tmpdir();
        char *text = NULL;
        unsigned n = 0;
        /* no journal folder under the root */
        ASSERT_ERR(journal_tail_for_crash(root, 1795335249, 50, &text), -ENOENT);
        ASSERT_ERR(journal_read_boot_in_root(root, "0123456789abcdef0123456789abcdef", 10, count_cb, &n), -ENOENT);
        ASSERT_TRUE(!text);
        ASSERT_EQ(n, 0);
        /* an empty journal folder: nothing about that boot */
        _cleanup_free_ char *dir = path_in_root(root, "/var/log/journal");
        ASSERT_OK(mkdir_p(dir, 0755));
        int r = journal_tail_for_crash(root, 1795335249, 50, &text);
        if (r == -EOPNOTSUPP) {
                test_skip("libsystemd cannot be loaded");
                return;
        }
        ASSERT_TRUE(r < 0);
        ASSERT_TRUE(!text);
        r = journal_read_boot_in_root(root, "0123456789abcdef0123456789abcdef", 10, count_cb, &n);
        ASSERT_TRUE(r <= 0);
        ASSERT_EQ(n, 0);
}

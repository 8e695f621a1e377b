/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"
#include "fileio.h"
#include "tests.h"

struct warning_log {
        unsigned count, last_line;
        char last_key[64];
};

static void record_warning(void *userdata, unsigned line, const char *key, const char *message) {
        struct warning_log *w = userdata;
        w->count++;
        w->last_line = line;
        snprintf(w->last_key, sizeof w->last_key, "%s", key);
}

static int parse(KcrashConfig *c, const char *text, ConfigError *e, struct warning_log *w) {
        ASSERT_OK(config_init_defaults(c));
        return config_parse(c, text, strlen(text), record_warning, w, e);
}

TEST(defaults_match_steamos) {
        KcrashConfig c;
        ASSERT_OK(config_init_defaults(&c));
        ASSERT_STREQ(c.makedumpfile_dmesg_cmd, "--dump-dmesg");
        ASSERT_TRUE(c.use_pstore_ram);
        ASSERT_TRUE(!c.full_coredump);
        ASSERT_TRUE(c.log_submission);
        ASSERT_STREQ(c.submit_start_url, "");
        ASSERT_EQ(c.ramoops_mem_size, 5 * 1024 * 1024);
        config_done(&c);
}

TEST(steamos_file_parses) {
        /* The shape of SteamOS's /etc/default/kdump. */
        const char *text =
                "# kdump-steamos configuration\n"
                "MOUNT_DEVNODE=\"/dev/disk/by-label/home\"\n"
                "KDUMP_FOLDER=\"/home/.steamos/offload/var/kdump\"\n"
                "  FULL_COREDUMP=1   # comment after the value\n"
                "MAKEDUMPFILE_COREDUMP_CMD=\"-z -d 31\"\n"
                "MAKEDUMPFILE_DMESG_CMD='--dump-dmesg'\n"
                "export GRUB_AUTOSET=1\n"
                "USE_PSTORE_RAM=0\n"
                "LOG_SUBMISSION=0\n";
        KcrashConfig c;
        ConfigError e = {};
        struct warning_log w = {};
        ASSERT_OK(parse(&c, text, &e, &w));
        ASSERT_EQ(w.count, 0);
        ASSERT_STREQ(c.mount_devnode, "/dev/disk/by-label/home");
        ASSERT_STREQ(c.kdump_folder, "/home/.steamos/offload/var/kdump");
        ASSERT_TRUE(c.full_coredump);
        ASSERT_STREQ(c.makedumpfile_coredump_cmd, "-z -d 31");
        ASSERT_STREQ(c.makedumpfile_dmesg_cmd, "--dump-dmesg");
        ASSERT_TRUE(c.grub_autoset);
        ASSERT_TRUE(!c.use_pstore_ram);
        ASSERT_TRUE(!c.log_submission);
        config_done(&c);
}

TEST(quoting) {
        KcrashConfig c;
        ConfigError e = {};
        ASSERT_OK(parse(&c, "PRODUCT=\"a \\\"b\\\" \\\\ c\"\nPSTORE_DIR=/x\\ y\nSUBMIT_START_URL=a'b c'd\n", &e, NULL));
        ASSERT_STREQ(c.product, "a \"b\" \\ c");
        ASSERT_STREQ(c.pstore_dir, "/x y");
        ASSERT_STREQ(c.submit_start_url, "ab cd");
        config_done(&c);
}

TEST(sizes) {
        KcrashConfig c;
        ConfigError e = {};
        ASSERT_OK(parse(&c, "RAMOOPS_MEM_SIZE=8M\nRAMOOPS_RECORD_SIZE=512KiB\nOFFLOAD_MAX_SIZE=4096\n", &e, NULL));
        ASSERT_EQ(c.ramoops_mem_size, 8 << 20);
        ASSERT_EQ(c.ramoops_record_size, 512 << 10);
        ASSERT_EQ(c.offload_max_size, 4096);
        config_done(&c);
}

TEST(unknown_key_warns_with_line) {
        KcrashConfig c;
        ConfigError e = {};
        struct warning_log w = {};
        ASSERT_OK(parse(&c, "PRODUCT=x\n\nNO_SUCH_KEY=1\n", &e, &w));
        ASSERT_EQ(w.count, 1);
        ASSERT_EQ(w.last_line, 3);
        ASSERT_STREQ(w.last_key, "NO_SUCH_KEY");
        config_done(&c);
}

TEST(errors_name_line_and_key) {
        static const struct {
                const char *text;
                unsigned line;
                const char *key;
        } cases[] = {
                { "PRODUCT=x\nFULL_COREDUMP=maybe\n", 2, "FULL_COREDUMP" },
                { "RAMOOPS_MEM_SIZE=5Q\n", 1, "RAMOOPS_MEM_SIZE" },
                { "RAMOOPS_MEM_SIZE=99999999999999G\n", 1, "RAMOOPS_MEM_SIZE" },
                { "\n\nPRODUCT=\"unterminated\n", 3, "PRODUCT" },
                { "PRODUCT = x\n", 1, "PRODUCT" },
                { "PRODUCT=$HOME\n", 1, "PRODUCT" },
                { "PRODUCT=a b\n", 1, "PRODUCT" },
                { "JOURNAL_TAIL_LINES=-1\n", 1, "JOURNAL_TAIL_LINES" },
                { "just words\n", 1, "just" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                KcrashConfig c;
                ConfigError e = {};
                ASSERT_ERR(parse(&c, cases[i].text, &e, NULL), -EINVAL);
                ASSERT_EQ(e.line, cases[i].line);
                ASSERT_STREQ(e.key, cases[i].key);
                ASSERT_TRUE(e.message[0] != 0);
                config_done(&c);
        }
}

TEST(shipped_default_file_matches_table) {
        /* etc-default/kdump documents every key with its default value. */
        _cleanup_free_ char *path = path_join(test_fixtures_dir(), "../../etc-default/kdump");
        KcrashConfig c, d;
        ConfigError e = {};
        struct warning_log w = {};
        ASSERT_OK(config_load(&c, path, record_warning, &w, &e));
        ASSERT_EQ(w.count, 0);
        _cleanup_free_ char *text = NULL;
        ASSERT_OK(read_full_file(path, 1 << 20, &text, NULL));
        ASSERT_OK(config_init_defaults(&d));
        for (size_t i = 0; i < config_keys_count; i++) {
                char needle[96];
                snprintf(needle, sizeof needle, "%s=", config_keys[i].name);
                if (!strstr(text, needle))
                        test_fail(__FILE__, __LINE__, "etc-default/kdump does not document %s", config_keys[i].name);
        }
        ASSERT_STREQ(c.kdump_folder, d.kdump_folder);
        ASSERT_EQ(c.ramoops_record_size, d.ramoops_record_size);
        config_done(&c);
        config_done(&d);
}

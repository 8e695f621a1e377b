/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect-context.h"
#include "fileio.h"
#include "journal.h"
#include "parse-util.h"
#include "sysinfo.h"
#include "vdf.h"
#include "test-hooks.h"

static bool is_fake_root(const char *root) {
        return !isempty(root) && !streq(root, "/");
}

/* SteamOS sends the serial only for its own devices; the list is configurable. */
static char *serial_for(const char *root, const KcrashConfig *config) {
        _cleanup_free_ char *product = NULL, *serial = NULL;
        if (dmi_attr(root, "product_name", &product) < 0 || dmi_attr(root, "product_serial", &serial) < 0 ||
            isempty(serial))
                return strdup("0");
        size_t len;
        for (const char *p = strempty(config->serial_dmi_products), *w; (w = word_next(&p, " \t", &len)); )
                if (word_eq(w, len, product))
                        return TAKE_PTR(serial);
        return strdup("0");
}

static void steam_account(const char *root, const KcrashConfig *config, char **ret_name, char **ret_id) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        /* The desktop user's file: read as that user could read it. */
        if (!isempty(config->steam_loginusers_vdf) &&
            read_user_file(root, config->steam_loginusers_vdf, VDF_MAX_SIZE, &data, &size) >= 0 &&
            steam_most_recent_account(data, size, ret_name, ret_id) >= 0)
                return;
        *ret_name = strdup("0");
        *ret_id = strdup("0");
}

int system_context_gather(const char *root, const KcrashConfig *config, SystemContext *ret) {
        SystemContext c = {};
        OsRelease os = {};

        if (os_release_read(root, &os) >= 0) {
                c.os_release_text = TAKE_PTR(os.text);
                c.build_id = TAKE_PTR(os.build_id);
                c.pretty_name = TAKE_PTR(os.pretty_name);
                os_release_done(&os);
        }
        _cleanup_free_ char *rel = path_in_root(root, "/proc/sys/kernel/osrelease");
        if (rel)
                (void) read_one_line_file(rel, &c.running_release);

        /* dmidecode reads the firmware tables of the machine it runs on: on a
         * fake root only a stand-in named by KCRASH_DMIDECODE is meaningful. */
        if ((!is_fake_root(root) || test_hook_getenv("KCRASH_DMIDECODE")) && dmidecode_run(&c.dmidecode) >= 0)
                ;
        else
                (void) dmi_sysfs_text(root, &c.dmidecode);

        c.serial = serial_for(root, config);
        steam_account(root, config, &c.account_name, &c.steamid);
        if (!c.serial || !c.account_name || !c.steamid) {
                system_context_done(&c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

void system_context_done(SystemContext *c) {
        free(c->serial);
        free(c->account_name);
        free(c->steamid);
        free(c->dmidecode);
        free(c->os_release_text);
        free(c->build_id);
        free(c->pretty_name);
        free(c->running_release);
        *c = (SystemContext) {};
}

int journal_tail_for_crash(const char *root, time_t crash_time, unsigned lines, char **ret_text) {
        if (!is_fake_root(root))
                return journal_tail_for_time(NULL, crash_time, lines, ret_text);
        _cleanup_free_ char *dir = path_in_root(root, "/var/log/journal");
        if (!dir)
                return -ENOMEM;
        if (!file_exists(dir))
                return -ENOENT;
        return journal_tail_for_time(dir, crash_time, lines, ret_text);
}

int journal_read_boot_in_root(const char *root, const char *boot_id, unsigned max_entries,
                              int (*cb)(const JournalEntry *e, void *userdata), void *userdata) {
        if (!is_fake_root(root))
                return journal_read_boot(NULL, boot_id, max_entries, cb, userdata);
        _cleanup_free_ char *dir = path_in_root(root, "/var/log/journal");
        if (!dir)
                return -ENOMEM;
        if (!file_exists(dir))
                return -ENOENT;
        return journal_read_boot(dir, boot_id, max_entries, cb, userdata);
}

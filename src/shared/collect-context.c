/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect-context.h"
#include "fileio.h"

/* Value of KEY= in os-release text, unquoted (os-release(5)). */
static char *os_release_value(const char *text, const char *key) {
        size_t kl = strlen(key);
        for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
                if (!strneq(p, key, kl) || p[kl] != '=')
                        continue;
                const char *v = p + kl + 1, *e = strchrnul(v, '\n');
                if (e > v && (*v == '"' || *v == '\'') && e[-1] == *v && e - v >= 2) {
                        v++;
                        e--;
                }
                return strndup(v, (size_t) (e - v));
        }
        return NULL;
}

int system_context_gather(const char *root, const KcrashConfig *config, SystemContext *ret) {
        SystemContext c = {};
        const char *paths[] = { "/etc/os-release", "/usr/lib/os-release" };
        for (size_t i = 0; i < ELEMENTSOF(paths) && !c.os_release_text; i++) {
                _cleanup_free_ char *p = path_in_root(root, paths[i]);
                if (!p)
                        return -ENOMEM;
                (void) read_full_file(p, 64 * 1024, &c.os_release_text, NULL);
        }
        if (c.os_release_text) {
                c.build_id = os_release_value(c.os_release_text, "BUILD_ID");
                c.pretty_name = os_release_value(c.os_release_text, "PRETTY_NAME");
        }
        _cleanup_free_ char *rel = path_in_root(root, "/proc/sys/kernel/osrelease");
        if (rel)
                (void) read_one_line_file(rel, &c.running_release);
        c.serial = strdup("0");
        c.account_name = strdup("0");
        c.steamid = strdup("0");
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

int boot_info_for_crash(const char *root, const char *state_dir, time_t crash_time, BootInfo *ret) {
        return -ENOENT;
}

void boot_info_done(BootInfo *b) {
        free(b->kernel_release);
        free(b->kernel_version);
        free(b->build_id);
        free(b->pretty_name);
        free(b->os_release_text);
        *b = (BootInfo) {};
}

int journal_tail_for_crash(const char *root, time_t crash_time, unsigned lines, char **ret_text) {
        return -ENOENT;
}

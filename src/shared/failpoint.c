/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "failpoint.h"
#include "macro.h"
#include "parse-util.h"
#include "test-hooks.h"

static unsigned hits;

int failpoint_check(const char *name) {
        const char *spec = test_hook_getenv("KCRASH_FAILPOINT");
        if (!spec)
                return 0;

        const char *colon = strchr(spec, ':');
        size_t len = colon ? (size_t) (colon - spec) : strlen(spec);
        bool any = len == 1 && spec[0] == '*';
        if (!any && (len != strlen(name) || strncmp(spec, name, len) != 0))
                return 0;

        const char *skip = test_hook_getenv("KCRASH_FAILPOINT_SKIP");
        unsigned n_skip;
        if (skip && parse_uint(skip, &n_skip) >= 0 && hits++ < n_skip)
                return 0;

        const char *action = colon ? colon + 1 : "kill";
        if (streq(action, "kill")) {
                raise(SIGKILL);
                return -EINTR;
        }
        if (streq(action, "stop")) {
                /* the test does something meanwhile, then sends SIGCONT */
                raise(SIGSTOP);
                return 0;
        }
        if (streq(action, "ENOSPC"))
                return -ENOSPC;
        if (streq(action, "EROFS"))
                return -EROFS;
        if (streq(action, "EACCES"))
                return -EACCES;
        return -EIO;
}

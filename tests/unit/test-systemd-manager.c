/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "macro.h"
#include "systemd-manager.h"
#include "tests.h"

/* The manager is only ever reached at /run/systemd/private. Where it runs
 * (as root, on a real system) these calls would change the machine's
 * watchdog, so they only run where there is no manager to talk to. */
static bool manager_reachable(void) {
        return access("/run/systemd/private", F_OK) == 0;
}

TEST(no_manager_is_an_error_with_a_message) {
        if (manager_reachable()) {
                test_skip("/run/systemd/private exists: not changing this machine's watchdog");
                return;
        }
        char *msg = NULL;
        int r = systemd_manager_set_watchdog(60 * 1000000ULL, 0, NULL, &msg);
        ASSERT_TRUE(r < 0);
        ASSERT_TRUE(msg);
        /* libsystemd missing, or the connection step named */
        if (!strstr(msg, "libsystemd"))
                ASSERT_TRUE(strneq(msg, "connecting to systemd at unix:path=/run/systemd/private: ", 57));
        free(msg);

        /* with a pretimeout and a governor: the same step fails first */
        msg = NULL;
        int r2 = systemd_manager_set_watchdog(60 * 1000000ULL, 10 * 1000000ULL, "panic", &msg);
        ASSERT_EQ(r2, r);
        ASSERT_TRUE(msg);
        free(msg);

        /* the message is optional */
        ASSERT_EQ(systemd_manager_set_watchdog(0, 0, NULL, NULL), r);
}

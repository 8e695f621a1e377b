/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

/* systemd's manager (PID 1), asked over its private socket
 * (/run/systemd/private, as systemctl does as root: no D-Bus daemon is
 * needed early in boot). libsystemd is loaded at run time (dlopen-util.h).
 *
 * Sets the runtime watchdog: RuntimeWatchdogUSec, RuntimeWatchdogPreUSec and
 * RuntimeWatchdogPreGovernor (writable properties of
 * org.freedesktop.systemd1.Manager since systemd 251; pretimeout 0: the
 * timeout alone, the others left as they are). 0, or -errno with
 * *reterr_message (if not NULL) saying which step failed and why; free it. */
int systemd_manager_set_watchdog(uint64_t timeout_usec, uint64_t pretimeout_usec, const char *governor,
                                 char **reterr_message);

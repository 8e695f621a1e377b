/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <time.h>

#include "config.h"

/* What the collector knows about this machine (read once per run). */
typedef struct SystemContext {
        char *serial;          /* DMI serial when the product is listed in SERIAL_DMI_PRODUCTS, else "0" */
        char *account_name;    /* Steam's MostRecent account, else "0" */
        char *steamid;         /* its 64-bit id, else "0" */
        char *dmidecode;       /* dmidecode output, or the DMI sysfs attributes when the tool is missing */
        char *os_release_text; /* the running system's os-release */
        char *build_id;
        char *pretty_name;
        char *running_release; /* uname -r of the running kernel */
} SystemContext;

int system_context_gather(const char *root, const KcrashConfig *config, SystemContext *ret);
void system_context_done(SystemContext *c);

/* The last lines of the crashed boot's journal; -ENOENT when the journal does
 * not hold that boot. */
int journal_tail_for_crash(const char *root, time_t crash_time, unsigned lines, char **ret_text);

/* journal_read_boot() on the journal of root (ROOT/var/log/journal on a
 * fake root); -ENOENT when there is none. */
#include "journal.h"
int journal_read_boot_in_root(const char *root, const char *boot_id, unsigned max_entries,
                              int (*cb)(const JournalEntry *e, void *userdata), void *userdata);

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <time.h>

#include "config.h"
#include "sysinfo.h"

/* What the collector knows about this machine (read once per run). */
typedef struct SystemContext {
        char *serial;          /* DMI serial when the product is listed in SERIAL_DMI_PRODUCTS, else "0" */
        char *account_name;    /* Steam's MostRecent account, else "0" */
        char *steamid;         /* its 64-bit id, else "0" */
        char *dmidecode;       /* dmidecode output, or the DMI sysfs attributes when the tool is missing:
                                * read through system_context_dmidecode() */
        char *os_release_text; /* the running system's os-release */
        char *build_id;
        char *pretty_name;
        char *running_release; /* uname -r of the running kernel */
        /* dmidecode runs while the crash is analysed (it takes as long as the
         * analysis of a record; issue 15); its output is read when needed */
        DmidecodeRun dmidecode_run;
        char *dmi_root;        /* for the sysfs fallback */
        bool dmidecode_read;   /* system_context_dmidecode() ran: its answer is final, so
                                * every report of a run has the same text (pseudonymised once) */
} SystemContext;

/* A dmidecode run started ahead with system_context_start_dmidecode()
 * (started may be NULL) is taken over, and stopped when gathering fails;
 * else dmidecode starts here. */
int system_context_gather(const char *root, const KcrashConfig *config, DmidecodeRun *started,
                          SystemContext *ret);
/* Starts dmidecode ahead of system_context_gather(), as soon as there is a
 * crash to report; nothing when it is running or cannot run there. */
void system_context_start_dmidecode(const char *root, DmidecodeRun *run);
void system_context_done(SystemContext *c);
/* The dmidecode text (waiting for its run), else the sysfs fallback; NULL
 * when neither can be read or on -ENOMEM. */
const char *system_context_dmidecode(SystemContext *c);

/* The last lines of the crashed boot's journal; -ENOENT when the journal does
 * not hold that boot. */
int journal_tail_for_crash(const char *root, time_t crash_time, unsigned lines, char **ret_text);

/* journal_read_boot() on the journal of root (ROOT/var/log/journal on a
 * fake root); -ENOENT when there is none. */
#include "journal.h"
int journal_read_boot_in_root(const char *root, const char *boot_id, unsigned max_entries,
                              int (*cb)(const JournalEntry *e, void *userdata), void *userdata);

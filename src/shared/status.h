/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "testcrash.h"

/* What `kcrashctl status` reports: would a crash now be caught, and what
 * happened to the last test crash. Every path under root. */
/* softdog's soft_panic parameter is not in sysfs (module_param(..., 0),
 * drivers/watchdog/softdog.c): `kcrashctl load` leaves this mark in /run
 * (this boot only) when it loaded softdog with soft_panic=1 itself. */
#define SOFTDOG_PANIC_MARK "/run/kcrash/softdog-soft-panic"
/* The watchdog systemd pets by default (/dev/watchdog0), and softdog's name. */
#define WATCHDOG_SYSFS "/sys/class/watchdog/watchdog0"
#define SOFTDOG_IDENTITY "Software Watchdog"

typedef struct KcrashStatus {
        char *pstore_backend;       /* /sys/module/pstore/parameters/backend; NULL when none */
        bool pstore_mounted;        /* PSTORE_DIR is a pstore mount */
        bool ramoops_loaded;
        uint64_t ramoops_mem_size;
        uint64_t ramoops_record_size;
        uint64_t ramoops_max_reason;
        uint64_t crash_size;        /* /sys/kernel/kexec_crash_size */
        bool crash_loaded;          /* /sys/kernel/kexec_crash_loaded */
        bool post_notifiers;        /* crash_kexec_post_notifiers on the command line */
        char *watchdog_state;       /* /sys/class/watchdog/watchdog0/state; NULL without a watchdog */
        char *watchdog_identity;
        char *watchdog_governor;    /* its pretimeout governor; NULL without pretimeout support */
        uint64_t watchdog_timeout;  /* seconds */
        uint64_t watchdog_pretimeout;
        bool softdog_panics;        /* watchdog0 is softdog with soft_panic=1 (SOFTDOG_PANIC_MARK) */
        char *armed_json;           /* what `kcrashctl load` recorded (.kcrash/armed.json) */
        const char *offload_folder; /* borrowed from the caller: the folder, without the root prefix */
        const char *offload_how;
        unsigned pstore_records;    /* waiting to be collected */
        unsigned kdump_captures;
        unsigned queued;
        unsigned sent;
        bool has_test;
        TestCrash test;
        const char *test_state;     /* armed, captured, collected, sent, lost */
        char *test_report;          /* its report id once collected */
} KcrashStatus;

/* offload_dir NULL: the offload folder is not there (nothing in it counted). */
int status_gather(const char *root, const char *offload_dir, const KcrashConfig *config, KcrashStatus *ret);
void status_done(KcrashStatus *s);
/* A hang that stops systemd from petting watchdog0 panics (WATCHDOG_PANIC):
 * its pretimeout with the panic governor, or softdog with soft_panic=1. */
bool status_hang_panics(const KcrashStatus *s);
/* pstore or kdump is armed. */
bool status_armed(const KcrashStatus *s);

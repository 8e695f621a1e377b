/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "testcrash.h"

/* What `kcrashctl status` reports: would a crash now be caught, and what
 * happened to the last test crash. Every path under root. */
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

int status_gather(const char *root, const char *offload_dir, const KcrashConfig *config, KcrashStatus *ret);
void status_done(KcrashStatus *s);
/* pstore or kdump is armed. */
bool status_armed(const KcrashStatus *s);

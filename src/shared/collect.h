/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "offload.h"

/* The collector: turns pstore records and finished kdump captures into one
 * durable report ZIP per crash event in <KDUMP_FOLDER>/not_sent_logs/, and
 * only then removes what the crash left behind.
 *
 * Crash consistency: before a ZIP is built, a marker per source record
 * (.kcrash/collected/<sha256 of the record>) names the report id (not
 * fsynced: lost with the power, the re-run names the report anew); once the
 * ZIP is built the marker also holds its hash, durably, before the ZIP goes
 * into the queue. A re-run after a kill finds the marker, reuses the id, and
 * either sees the committed ZIP (and just finishes removing the records) or
 * rebuilds it under the same name. Nothing is removed before its ZIP is
 * durable, and no record produces two ZIPs. */

typedef struct CollectOptions {
        const char *root;             /* prefix of every path; NULL = / */
        const char *offload_dir;      /* the offload folder, root prefix included (offload_get()) */
        /* The same folder open (offload_layout_open()), or -1: every file of
         * the collection is then reached through it, as
         * /proc/self/fd/<fd>/..., not through the folders above it, which
         * may be a user's to rename; offload_dir is what messages and the
         * reports say. */
        int offload_fd;
        const KcrashConfig *config;
        time_t now;                   /* collection time (0 = time(NULL)) */
} CollectOptions;

typedef struct CollectedReport {
        char *id;
        char *path;      /* the ZIP */
        char *headline;  /* analysis title, or what kind of capture it was */
        bool resumed;    /* finished a run that was interrupted */
        char *source;    /* pstore, kdump, pstore+kdump */
        char *signature; /* the analysis signature, NULL if none */
} CollectedReport;

typedef struct CollectResult {
        CollectedReport *reports;
        size_t n_reports;
        char **messages;  /* problems met, for the caller to log (what and where) */
        size_t n_messages;
        size_t discarded; /* non-crash leftovers removed (clean-reboot records) */
        size_t kept;      /* records left in place (unknown files, errors) */
} CollectResult;

/* Returns 0 when every crash was collected; else the first error (the other
 * events are still attempted), with ret filled in either case. */
int collect_run(const CollectOptions *o, CollectResult **ret);
CollectResult *collect_result_free(CollectResult *r);

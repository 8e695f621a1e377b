/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The reports of an offload folder as `kcrashctl list` shows them: each
 * ZIP's summary read back from its report.json. */

/* The upload state of a report at one target (kcrash list shows each). */
typedef struct ReportTargetState {
        const char *target;  /* "kcrash", "sentry" */
        const char *state;   /* pending, sent, parked */
        unsigned attempts;
        unsigned deferred; /* of the attempts, those not counted toward parking (SpoolState) */
        int64_t next_try;
        char *last_error;
        char *receipt;       /* the kcrash gid or the Sentry event id */
} ReportTargetState;

typedef struct ReportListEntry {
        char *id;
        const char *state;   /* pending, sent, parked */
        char *path;
        int64_t crash_time;
        char *source;
        char *title;
        char *type;
        char *signature;
        uint64_t size;
        unsigned attempts;
        char *last_error;
        bool untrusted;      /* root did not write the ZIP: not read (ARCHIVE_TRUSTED) */
        char *vmcore;
        char *test_crash_id;
        ReportTargetState targets[2];
        size_t n_targets;
} ReportListEntry;

/* Reads the reports (*.zip) of dir with the given state; appends to *list. */
int report_list_dir(const char *dir, const char *state, ReportListEntry **list, size_t *n);
void report_list_free(ReportListEntry *list, size_t n);
/* The JSON array `kcrashctl list --json` prints. */
int report_list_to_json(const ReportListEntry *list, size_t n, char **ret_json);

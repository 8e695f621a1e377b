/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "analyze.h"
#include "archive.h"
#include "build-ids.h"

/* report.json: the machine-readable manifest inside every report ZIP. The
 * schema is documented in docs/report-json.md; bump REPORT_SCHEMA_VERSION
 * whenever a key changes meaning. */
#define REPORT_SCHEMA_VERSION 1

typedef struct ReportMeta {
        const char *id;
        const char *source;            /* "pstore", "kdump", "pstore+kdump" */
        char **records;                /* original record names (pstore files, crash/<stamp>) */
        size_t n_records;
        time_t crash_time;
        time_t collected_time;
        const char *kernel_release;    /* of the crashed boot */
        const char *kernel_version;    /* "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)" */
        const char *kernel_source;     /* where the release came from: "log", "boot-record", "running" */
        const char *build_id;          /* BUILD_ID of the crashed boot's os-release */
        const char *os_pretty_name;
        const char *build_source;      /* "boot-record", "os-release" */
        const char *product;
        const char *serial;
        const char *account_name;
        const char *steamid;
        const char *vmcore_path;       /* kept in the offload folder, never zipped */
        uint64_t vmcore_size;
        bool incomplete;               /* kdump capture without "done", or pstore parts missing */
        char **notes;                  /* what the collector noticed: missing parts, ECC, compressed records */
        size_t n_notes;
        const char *test_crash_id;     /* set when `kcrashctl test-crash` caused the crash */
        const char *stack;             /* upload "stack" */
        const char *note;              /* upload "note" */
        const BuildIds *build_ids;     /* of the crashed kernel and its modules; NULL = none known */
        bool nonfatal;                 /* a kernel event the system survived ("fatal": false) */
        const char *kind;              /* "crash", "kernel-event", "unclean-shutdown" (NULL: crash) */
        const char *event_class;       /* kernel-event: WARNING, OOPS, HUNG_TASK, ... */
        uint64_t suppressed;           /* kernel-event: events held back by storm control before it */
        const char *event_boot_id;     /* kernel-event, unclean-shutdown: the boot it happened in */
} ReportMeta;

/* Renders report.json for the members that go into the ZIP (their sha256 are
 * computed here). */
int report_json_render(const ReportMeta *m, const CrashAnalysis *a, const ArchiveMember *members,
                       size_t n_members, char **ret_json);

/* What symbolization needs of a report: the crash text (upload.note) and
 * the build ids. -EBADMSG when json is not a report.json. */
int report_json_symbolize_input(const char *json, size_t size, char **ret_text, BuildIds *ret_ids);

/* What `kcrashctl list` shows of a report, read back from its report.json. */
typedef struct ReportSummary {
        char *id;
        char *source;
        char *title;
        char *type;
        char *signature;
        int64_t crash_time;
        char *vmcore;
        char *test_crash_id;
} ReportSummary;

int report_json_summary(const char *json, size_t size, ReportSummary *ret);
void report_summary_done(ReportSummary *s);

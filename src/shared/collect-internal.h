/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The collector's parts (collect.c runs them): what they share. Not an API
 * outside src/shared/collect*.c. */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "analyze.h"
#include "archive.h"
#include "boot-records.h"
#include "collect-context.h"
#include "collect.h"
#include "kdump.h"
#include "macro.h"
#include "pstore.h"
#include "report-json.h"
#include "sysinfo.h"
#include "unclean.h"
#include "watch-event.h"

/* A growable list of owned strings. */
typedef struct StrList {
        char **items;
        size_t n;
} StrList;

int strlist_add(StrList *l, const char *fmt, ...) _printf_(2, 3);
void strlist_done(StrList *l);

/* Members of one ZIP; data is either borrowed (a record's bytes) or owned. */
typedef struct Members {
        ArchiveMember items[64];
        char *owned[64];
        size_t n;
} Members;

/* Takes name and owned_data (freed on failure too); -ENOMEM for a NULL name
 * (a failed allocation), -E2BIG when the ZIP is full. */
int members_add(Members *m, char *name, const void *data, size_t size, char *owned_data);
void members_done(Members *m);
/* "<base>.<stamp>.<ext>", SteamOS's member names; NULL on ENOMEM. */
char *member_name(const char *base, const char *stamp, const char *ext);

/* The logs the analyser reads, in time order. Each is a view of bytes that
 * live until the report is built (the records as read, the members). */
typedef struct LogParts {
        struct {
                const char *data;
                size_t size;
                bool nul_terminated; /* data[size] == 0 may be relied on */
        } *items;
        size_t n;
} LogParts;

int log_parts_add(LogParts *p, const char *data, size_t size, bool nul_terminated);
int log_parts_join(const LogParts *p, const char **ret, size_t *ret_size, char **ret_owned);

/* One crash as the collector sees it: the pstore event, the kdump capture, or
 * both when they hold the same crash. */
typedef struct CrashEvent {
        PstoreEvent *pstore;
        KdumpCapture *kdump;
        /* or a non-fatal kernel event queued by kcrash-watch */
        WatchEvent *watch;
        const char *watch_name;   /* its file in the watcher's spool */
        /* or the unexplained end of the previous boot (Collector.unclean_boot) */
        bool unclean;
        time_t crash_time;
} CrashEvent;

/* report.json's "source" of an event. */
const char *event_source(const CrashEvent *e);

/* What kcrash-watch left in its spool, and the checks of the previous boot. */
#define WATCH_EVENTS_PER_RUN 64
typedef struct WatchSpool {
        WatchEvent events[WATCH_EVENTS_PER_RUN];
        char *names[WATCH_EVENTS_PER_RUN];
        size_t n;
} WatchSpool;

typedef struct Collector {
        const CollectOptions *opts;
        const KcrashConfig *config;
        /* The offload folder as the collection reaches it (through
         * CollectOptions.offload_fd when there is one), and as messages and
         * reports name it (CollectOptions.offload_dir). */
        char *offload;
        const char *offload_shown;
        char *queue_dir;
        char *sent_dir;
        char *vmcore_dir;
        char *state_dir;
        char *tmp_dir;
        char *marker_dir;
        char *upload_state_dir;
        char *pstore_dir;
        char *crash_dir;
        SystemContext sys;
        CollectResult *result;
        StrList messages;
        char *watch_dir;        /* kcrash-watch's spool (KCRASH_WATCH_EVENTS_DIR) */
        WatchSpool spool;
        BootRecords boots;       /* <state_dir>/boots, listed once; this boot's saved into it */
        BootRecord unclean_boot; /* the previous boot, when it ended unexplained */
} Collector;

/* Adds "<what>: <strerror(error)>" to the run's messages; returns error. */
int note_problem(Collector *c, int error, const char *fmt, ...) _printf_(3, 4);
/* A copy of text with the folder as reached (Collector.offload) named as
 * shown (Collector.offload_shown); NULL on OOM. */
char *collector_shown(const Collector *c, const char *text);

/* collect-markers.c: one crash in pstore and kdump, the markers that make a
 * re-run resume, and report ids. */
bool same_crash(const PstoreEvent *pe, const KdumpCapture *k);
int crash_anchor(const char *text, size_t size, const char **ret, size_t *ret_len);
int event_keys(const CrashEvent *e, const char *unclean_boot_id, StrList *keys);
int marker_read(const char *path, char **ret_id, char **ret_hash);
int marker_find(Collector *c, const CrashEvent *e, const StrList *keys, char **ret_id, char **ret_hash);
int markers_write(Collector *c, const StrList *keys, const char *id, const char *hash);
int markers_claim(Collector *c, const StrList *keys, const char *id);
/* The ids the markers name (with_hash_only: only those that vouch for a
 * build by its hash); an empty list when there is no marker folder. */
int marker_ids(Collector *c, bool with_hash_only, StrList *ret);
/* The report id is complete: removes the markers of keys, and any other
 * that names id. */
void markers_remove(Collector *c, const StrList *keys, const char *id);
void utc_stamp(time_t t, char buf[16]);
int choose_id(Collector *c, time_t crash_time, char **ret);

/* collect-unclean.c: the previous boot that ended unexplained. */
int unclean_check(Collector *c, bool crash_found);
/* Records that boot_id was looked at, so it is never reported twice. */
int unclean_mark_checked(Collector *c, const char *boot_id);
int unclean_collect(Collector *c, Members *members, StrList *records, const char *stamp, LogParts *logs,
                    CrashAnalysis **ret_analysis);
time_t unclean_time(Collector *c);

/* collect-privacy.c: REDACT_LOGS and PSEUDONYMIZE. */
int redact_members(Members *m);
int pseudonymize_dmidecode(const char *salt, size_t salt_size, char **text);
int apply_pseudonyms(Collector *c);

/* collect-report.c: one event's members, report.json and ZIP. */
char *summary_text(const ReportMeta *m, const CrashAnalysis *a);
int build_report(Collector *c, const CrashEvent *e, const char *id, const char *zip_path, char **ret_headline,
                 char **ret_signature);
